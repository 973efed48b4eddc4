"""cgview on the patched kernel: every view is a real bpf.<view> file in
cgroupfs whose text is what `cgview cat` prints, the views see workloads
there as on the host (cpu through rstat), ls and status read the kernel's
own account (link fdinfo), and --inherit is the kernel's inheritance."""

import json
import os
import subprocess

import pytest

import bpfsys
from cgtest import cgroup, cgview, keyed, read, rel, umask
from workloads import TCP_TRAFFIC, TOUCH_ANON, python_in, run_in

VIEWS = ["cpu", "id", "io_latency", "mem_events", "net", "oom", "sched_wait"]


@pytest.fixture(scope="module")
def views():
    r = cgview("load", "--all")
    assert r.returncode == 0, r.stderr
    yield VIEWS
    cgview("unload", "--all")


def file_of(cg, view):
    return os.path.join(cg, f"bpf.{view}")


def test_every_view_is_a_file_that_cat_matches(views):
    with cgroup("quiet") as cg:
        for view in views:
            r = cgview("expose", view, rel(cg))
            assert (r.returncode, r.stdout) == (0, file_of(cg, view) + "\n")
        for view in views:
            text = read(file_of(cg, view))
            assert text == cgview("cat", rel(cg), view).stdout
            assert text.endswith("\n") and keyed(text)


def test_ls_and_status_read_the_kernels_account(views):
    with cgroup("seen") as cg:
        cgview("expose", "sched_wait", rel(cg))
        got = json.loads(cgview("ls", "-j", rel(cg)).stdout)
        assert got == {"mode": "patched", "views": [{
            "name": "sched_wait", "exposures": [{
                "cgroup": rel(cg), "file": file_of(cg, "sched_wait"),
                "inherit": False, "inherited_from": None}]}]}
        r = cgview("status", "sched_wait", rel(cg))
        assert r.returncode == 0
        assert r.stdout.startswith("mode\tpatched: the kernel has the "
                                   "bpf_view series")
        assert f"file\t{file_of(cg, 'sched_wait')}: present\n" in r.stdout
        os.unlink(file_of(cg, "sched_wait"))
        r = cgview("status", "sched_wait", rel(cg))
        assert r.returncode == 1
        assert "missing: view 'sched_wait' is not exposed at" in r.stdout


def test_mode_sets_the_files_mode(views):
    with cgroup() as cg:
        r = cgview("expose", "--mode", "0440", "id", rel(cg))
        assert r.returncode == 0, r.stderr
        assert oct(os.stat(file_of(cg, "id")).st_mode) == "0o100440"


def test_mode_holds_for_inherited_files_in_new_cgroups_too(views):
    def mode(cg):
        return oct(os.stat(file_of(cg, "id")).st_mode)

    with cgroup("top") as top, cgroup("old", top) as old:
        r = cgview("expose", "--inherit", "--mode", "0400", "id", rel(top))
        assert r.returncode == 0, r.stderr
        with cgroup("new", old) as new:
            assert [mode(cg) for cg in (top, old, new)] == ["0o100400"] * 3
        # without --mode a file is 0444, whatever cgview's caller's umask
        with umask(0o077):
            r = cgview("expose", "--inherit", "sched_wait", rel(old))
        assert r.returncode == 0, r.stderr
        with cgroup("new", old) as new:
            assert oct(os.stat(file_of(new, "sched_wait")).st_mode) == \
                "0o100444"


def test_cpu_adds_up_the_subtree_through_rstat(views):
    fentry = json.loads(cgview("status", "-j").stdout)["fentry"]
    assert fentry, "the test kernel allows fentry, so cpu uses rstat"
    with cgroup("parent") as parent, cgroup("busy", parent) as busy:
        for cg in (parent, busy):
            cgview("expose", "cpu", rel(cg))
        run_in([busy], "timeout", "1", "sh", "-c", "while :; do :; done",
               check=False)
        got, up = keyed(read(file_of(busy, "cpu"))), \
            keyed(read(file_of(parent, "cpu")))
        assert got["usage_ns"] == got["self_usage_ns"] > 0
        assert up["usage_ns"] == got["usage_ns"]
        assert up["self_usage_ns"] == 0


def test_views_see_workloads_in_their_cgroup_only(views):
    with cgroup("busy") as busy, cgroup("idle") as idle:
        for cg in (busy, idle):
            for view in ("mem_events", "net"):
                cgview("expose", view, rel(cg))
        python_in([busy], TOUCH_ANON.format(mib=16))
        python_in([busy], TCP_TRAFFIC.format(kib=256))
        mem, net = keyed(read(file_of(busy, "mem_events"))), \
            keyed(read(file_of(busy, "net")))
        assert mem["pgfault"] >= 16 << 8
        assert net["tcp_tx_bytes"] >= 512 << 10
        assert net["tcp_rx_bytes"] >= 512 << 10
        assert keyed(read(file_of(idle, "net"))) == dict.fromkeys(net, 0)
        assert keyed(read(file_of(idle, "mem_events")))["pgfault"] == 0


def test_reclaim_under_memory_max_is_timed(views):
    # memcg reclaim of the page cache a reader fills over its memory.max
    with cgroup("small") as cg:
        with open(os.path.join(cg, "memory.max"), "w") as f:
            f.write(str(8 << 20))
        cgview("expose", "mem_events", rel(cg))
        run_in([cg], "cat", "/usr/lib/x86_64-linux-gnu/libicudata.so.72.1",
               stdout=subprocess.DEVNULL)
        got = keyed(read(file_of(cg, "mem_events")))
        assert got["reclaim_count"] > 0 and got["reclaim_stall_ns"] > 0


def test_inherit_through_the_kernel(views):
    with cgroup("top") as top, cgroup("old", top) as old:
        r = cgview("expose", "--inherit", "id", rel(top))
        assert r.returncode == 0, r.stderr
        assert r.stdout == file_of(top, "id") + "\n"
        with cgroup("new", old) as new:
            for cg in (top, old, new):
                assert read(file_of(cg, "id")) == \
                    cgview("cat", rel(cg), "id").stdout
            got = json.loads(cgview("ls", "-j").stdout)["views"]
            exposures = {e["cgroup"]: (e["inherit"], e["inherited_from"])
                         for v in got if v["name"] == "id"
                         for e in v["exposures"]}
            assert exposures == {rel(top): (True, None),
                                 rel(old): (False, rel(top)),
                                 rel(new): (False, rel(top))}
            os.unlink(file_of(new, "id"))  # rm of an inherited file
            r = cgview("status", "id", rel(new))
            assert r.returncode == 1
            assert f"missing: it is inherited from {rel(top)}, and was " \
                "removed here (rm of the file)" in r.stdout
            assert os.path.exists(file_of(old, "id"))
            r = cgview("unexpose", "id", rel(top))
            assert r.returncode == 0, r.stderr
            assert not any(os.path.exists(file_of(c, "id"))
                           for c in (top, old, new))


def test_ls_and_status_see_more_files_than_fdinfo_lists(views):
    """fdinfo lists a link's first 64 files; cgview asks each cgroup."""
    with cgroup("wide") as top:
        kids = [os.path.join(top, f"k{i:02}") for i in range(70)]
        r = cgview("expose", "--inherit", "id", rel(top))
        assert r.returncode == 0, r.stderr
        try:
            for k in kids:
                os.mkdir(k)
            fd = bpfsys.obj_get("/sys/fs/bpf/cgview/views/id/link")
            info = bpfsys.fdinfo(fd)
            os.close(fd)
            assert "exposures:\t71\n" in info
            assert info.count("\nexposure:\t") == 64
            assert "exposures_not_listed:\t7\n" in info
            got = json.loads(cgview("ls", "-j").stdout)["views"]
            exposures = {e["cgroup"]: (e["inherit"], e["inherited_from"])
                         for v in got if v["name"] == "id"
                         for e in v["exposures"]}
            assert exposures == {rel(top): (True, None),
                                 **{rel(k): (False, rel(top)) for k in kids}}
            r = cgview("status", "id", rel(kids[-1]))
            assert r.returncode == 0, r.stdout
        finally:
            for k in kids:
                if os.path.exists(k):
                    os.rmdir(k)
            cgview("unexpose", "id", rel(top))


def test_watch_has_nothing_to_do_here(views):
    r = cgview("watch")
    assert (r.returncode, r.stdout) == (0, "cgview watch: this kernel "
                                        "inherits exposures itself "
                                        "(bpf_view series); nothing to "
                                        "watch\n")


def test_stock_mode_runs_the_same_views_as_iterators(views):
    # CGVIEW_MODE=stock: cgroup_iter pins; cpu's iter.s program flushes rstat
    with cgroup("parent") as parent, cgroup("busy", parent) as busy:
        run_in([busy], "timeout", "1", "sh", "-c", "while :; do :; done",
               check=False)
        for cg in (parent, busy):
            r = cgview("expose", "cpu", rel(cg), mode="stock")
            assert r.returncode == 0, r.stderr
        pin = r.stdout.strip()
        assert pin == f"/sys/fs/bpf/cgview/cgroups/{rel(busy)}/bpf.cpu"
        got = keyed(read(pin))
        up = keyed(cgview("cat", rel(parent), "cpu", mode="stock").stdout)
        assert got["usage_ns"] == got["self_usage_ns"] > 0
        assert up["usage_ns"] == got["usage_ns"]
        for cg in (parent, busy):
            assert cgview("unexpose", "cpu", rel(cg),
                          mode="stock").returncode == 0
