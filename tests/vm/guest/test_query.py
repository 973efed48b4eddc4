"""BPF_PROG_QUERY (attach type BPF_TRACE_VIEW) on a cgroup directory lists
the views shown there; the cgroup's view revision changes with every file
added or removed, and an expose that expects another revision gets ESTALE."""

import errno
import multiprocessing
import os

import pytest

import bpfsys
from cgtest import cgroup

from conftest import ID_LINK_PIN as LINK_PIN, OTHER_PIN


def test_query_lists_direct_and_inherited_views(link_fd, other_fd):
    link, other = bpfsys.link_info(link_fd), bpfsys.link_info(other_fd)
    with cgroup("a") as a, cgroup("b", a) as b:
        bpfsys.pin(link_fd, os.path.join(a, "bpf.id"),
                   bpfsys.BPF_F_VIEW_INHERIT)
        bpfsys.obj_pin(other_fd, os.path.join(b, "bpf.other"))
        q = bpfsys.query_views(b)
        assert q["count"] == 2
        assert q["names_len"] == len("bpf.id\0bpf.other\0")
        assert q["views"] == [
            {"prog_id": link["prog_id"], "link_id": link["id"],
             "flags": bpfsys.BPF_F_VIEW_INHERIT,
             "cgroup_id": os.stat(a).st_ino, "name": "bpf.id"},
            {"prog_id": other["prog_id"], "link_id": other["id"],
             "flags": 0, "cgroup_id": os.stat(b).st_ino,
             "name": "bpf.other"},
        ]
        assert [v["name"] for v in bpfsys.query_views(a)["views"]] == \
            ["bpf.id"]


def test_empty_cgroup_has_revision_1_and_no_views():
    with cgroup() as cg:
        q = bpfsys.query_views(cg)
    assert (q["revision"], q["count"], q["views"]) == (1, 0, [])


def test_revision_changes_with_every_file_added_or_removed(link_fd):
    with cgroup("a") as a, cgroup("b", a) as b:
        r0 = bpfsys.query_views(b)["revision"]
        bpfsys.pin(link_fd, os.path.join(a, "bpf.id"),
                   bpfsys.BPF_F_VIEW_INHERIT)
        r1 = bpfsys.query_views(b)["revision"]
        os.unlink(os.path.join(b, "bpf.id"))
        r2 = bpfsys.query_views(b)["revision"]
        assert r0 < r1 < r2
        assert bpfsys.query_views(b)["count"] == 0


def test_expected_revision_must_match(link_fd, other_fd):
    with cgroup() as cg:
        rev = bpfsys.query_views(cg)["revision"]
        with pytest.raises(OSError) as e:
            bpfsys.pin(link_fd, os.path.join(cg, "bpf.id"),
                       expected_revision=rev + 1)
        assert e.value.errno == errno.ESTALE
        assert not os.path.exists(os.path.join(cg, "bpf.id"))
        bpfsys.pin(link_fd, os.path.join(cg, "bpf.id"), expected_revision=rev)
        with pytest.raises(OSError) as e:
            bpfsys.pin(other_fd, os.path.join(cg, "bpf.other"),
                       expected_revision=rev)
        assert e.value.errno == errno.ESTALE
        assert bpfsys.query_views(cg)["count"] == 1


def _expose(path, name, rev, start, out):
    fd = bpfsys.obj_get(path)
    start.wait()
    try:
        bpfsys.pin(fd, name, expected_revision=rev)
        out.put(0)
    except OSError as e:
        out.put(e.errno)


def test_two_agents_with_the_same_revision_exactly_one_wins(link_fd,
                                                             other_fd):
    ctx = multiprocessing.get_context("fork")
    for _ in range(20):
        with cgroup() as cg:
            rev = bpfsys.query_views(cg)["revision"]
            start, out = ctx.Barrier(2), ctx.Queue()
            procs = [ctx.Process(target=_expose,
                                 args=(pin, os.path.join(cg, name), rev,
                                       start, out))
                     for pin, name in ((LINK_PIN, "bpf.id"),
                                       (OTHER_PIN, "bpf.other"))]
            for p in procs:
                p.start()
            results = sorted(out.get(timeout=30) for _ in procs)
            for p in procs:
                p.join()
            assert results == [0, errno.ESTALE]
            assert bpfsys.query_views(cg)["count"] == 1
            for name in ("bpf.id", "bpf.other"):
                if os.path.exists(os.path.join(cg, name)):
                    os.unlink(os.path.join(cg, name))


def test_too_small_arrays_get_enospc(link_fd, other_fd):
    with cgroup() as cg:
        bpfsys.obj_pin(link_fd, os.path.join(cg, "bpf.id"))
        bpfsys.obj_pin(other_fd, os.path.join(cg, "bpf.other"))
        with pytest.raises(OSError) as e:
            bpfsys.query_views(cg, count=1)
        assert e.value.errno == errno.ENOSPC
        with pytest.raises(OSError) as e:
            bpfsys.query_views(cg, names_len=8)
        assert e.value.errno == errno.ENOSPC


def test_revision_is_refused_outside_cgroupfs(link_fd):
    with pytest.raises(OSError) as e:
        bpfsys.pin(link_fd, "/sys/fs/bpf/cgview-test-rev", expected_revision=1)
    assert e.value.errno == errno.EINVAL
