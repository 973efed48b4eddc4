"""Sleepable views (SEC("view.s/cgroup")) may flush rstat, which gives
hierarchical statistics read with cat; views may call only the helpers and
kfuncs that do not change kernel state, may not write to maps or make
local storage, and the verifier names what it refused."""

import os
import subprocess

import pytest

import bpfsys
from cgtest import REPO, cgroup, cgview, pins, read

OBJ = os.path.join(REPO, "build", "tests")


def load(name):
    return cgview("load", os.path.join(OBJ, f"{name}.bpf.o"))


@pytest.fixture
def attach_stats():
    r = load("attach_stats")
    assert r.returncode == 0, r.stderr
    yield bpfsys.obj_get("/sys/fs/bpf/cgview/views/attach_stats/link")
    cgview("unload", "attach_stats")


@pytest.fixture
def sleepers():
    procs = [subprocess.Popen(["sleep", "600"]) for _ in range(6)]
    yield [p.pid for p in procs]
    for p in procs:
        p.kill()
        p.wait()


def move(cg, pids):
    for pid in pids:
        with open(os.path.join(cg, "cgroup.procs"), "w") as f:
            f.write(str(pid))


def test_parent_total_is_its_childrens_plus_its_own(attach_stats, sleepers):
    with cgroup("p") as p, cgroup("c1", p) as c1, cgroup("c2", p) as c2:
        bpfsys.pin(attach_stats, os.path.join(p, "bpf.attach_stats"),
                   bpfsys.BPF_F_VIEW_INHERIT)
        move(c1, sleepers[:3])
        move(c2, sleepers[3:5])
        move(p, sleepers[5:6])
        got = {cg: read(os.path.join(cg, "bpf.attach_stats"))
               for cg in (p, c1, c2)}
        assert got == {p: "attaches 6\n", c1: "attaches 3\n",
                       c2: "attaches 2\n"}
        assert cgview("cat", p, "attach_stats").stdout == "attaches 6\n"
        move(os.path.dirname(p), sleepers[:6])


REFUSED = {
    # kfuncs of the tracing hook, and of the common hook
    "kfuncs_bad": "view programs may not call kernel function "
                  "cgroup_rstat_updated",
    "refuse_kfunc": "view programs may not call kernel function "
                    "bpf_preempt_disable",
    # helpers that change kernel state, the reader, or run other programs
    "refuse_update": "view programs may not call helper bpf_map_update_elem",
    "refuse_signal": "view programs may not call helper bpf_send_signal",
    "refuse_write_user": "view programs may not call helper "
                         "bpf_probe_write_user",
    "refuse_ringbuf": "view programs may not call helper bpf_ringbuf_output",
    "refuse_tail_call": "view programs may not call helper bpf_tail_call",
    # writes to maps however made, arenas, and local storage made by a read
    "refuse_store": "view programs may not write to maps",
    "refuse_atomic": "view programs may not write to maps",
    "refuse_read_into_map": "view programs may not write to maps",
    "refuse_snprintf": "view programs may not call helper bpf_snprintf",
    "refuse_arena": "view programs may not use arena maps",
    "refuse_storage": "view programs may not create local storage",
}


@pytest.mark.parametrize("view", sorted(REFUSED))
def test_view_that_would_change_state_is_refused_by_name(view):
    before = pins()
    r = load(view)
    assert r.returncode == 1
    assert REFUSED[view] in r.stderr
    assert f"loading view '{view}' failed" in r.stderr
    assert pins() == before


def test_view_calling_only_allowed_kfuncs_loads_and_reads():
    r = load("kfuncs_ok")
    assert r.returncode == 0, r.stderr
    try:
        with cgroup("p") as p, cgroup("c", p) as c:
            r = cgview("expose", "kfuncs_ok", c)
            assert r.returncode == 0, r.stderr
            assert read(os.path.join(c, "bpf.kfuncs_ok")) == \
                f"parent_id {os.stat(p).st_ino}\n"
    finally:
        assert cgview("unload", "kfuncs_ok").returncode == 0
