"""The sched_wait view as bpf.sched_wait files in cgroupfs: two CPU hogs
pinned to one CPU wait for each other; an idle sibling waits for nothing."""

import os

from cgtest import cgview, cpu_hogs, exposed_on, keyed, read, rel
from workloads import wait_until


def test_busy_cgroup_waits_and_idle_sibling_does_not():
    with exposed_on("sched_wait", "busy", "idle") as (busy, idle):
        with cpu_hogs(busy):
            # until one hog's wait for the other's slice ended
            wait_until(lambda: keyed(read(os.path.join(
                busy, "bpf.sched_wait")))["wait_count"] > 0,
                what="a runqueue wait")
        text = read(os.path.join(busy, "bpf.sched_wait"))
        got = keyed(text)
        assert got["wait_count"] > 0
        assert got["wait_total_ns"] >= got["wait_max_ns"] > 0
        assert cgview("cat", rel(busy), "sched_wait").stdout == text
        idle_got = keyed(read(os.path.join(idle, "bpf.sched_wait")))
        assert set(idle_got.pop("wait_hist_ns").values()) == {0}
        assert idle_got == \
            {"wait_count": 0, "wait_total_ns": 0, "wait_max_ns": 0}
