"""1,000 short-lived cgroups under a cgroup with every view exposed with
--inherit, while `cgview watch` mirrors them: afterwards no pin is left,
and the kernel has freed every cgroup (a pinned cgroup_iter link would
hold its cgroup as a dying descendant; cgroup local storage, where the
views keep their state, is freed with the cgroup)."""

import os
import subprocess

import pytest

from cgtest import cgroup, cgview, mirror_path, pins, rel
from views_fixture import bpf_ok  # noqa: F401 (fixture)
from workloads import wait_until, watching

CHURN = 1000
VIEWS = ["cpu", "id", "io_latency", "mem_events", "net", "oom", "sched_wait"]


def dying(cg):
    with open(os.path.join(cg, "cgroup.stat")) as f:
        stat = dict(line.split() for line in f)
    return int(stat["nr_dying_descendants"])


@pytest.fixture
def all_views(bpf_ok):
    r = cgview("load", "--all")
    assert r.returncode == 0, r.stderr
    yield VIEWS
    cgview("unload", "--all")


def test_short_lived_cgroups_leave_nothing_behind(all_views):
    with cgroup("churn") as top, watching():
        for view in all_views:
            r = cgview("expose", "--inherit", view, rel(top))
            assert r.returncode == 0, r.stderr
        before = pins()
        for i in range(CHURN):
            cg = os.path.join(top, f"job{i}.scope")
            os.mkdir(cg)
            if i % 10 == 0:
                # mirrored, and a task makes state in the views' storage
                wait_until(lambda: all(os.path.exists(mirror_path(cg, v))
                                       for v in all_views),
                           what=f"{cg} mirrored")
                subprocess.run(["sh", "-c", f"echo $$ > {cg}/cgroup.procs; "
                                f"cat {mirror_path(cg, 'sched_wait')}"],
                               check=True, capture_output=True)
            os.rmdir(cg)
        wait_until(lambda: pins() == before, timeout=120,
                   what="the mirror back to where it started")
        wait_until(lambda: dying(top) == 0, timeout=60,
                   what="every removed cgroup freed")
