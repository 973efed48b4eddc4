"""The exporter's bulk read on the patched kernel (6.12), where cgroup v2
has every controller: on a frozen tree with the memory, pids, cpu and io
controllers, where tasks ran and read null_blk's /dev/nullb0, --read bulk
gives the snapshot --read files gives; and views with records, whose files
are the kernel's bpf.* files here, give from their records what their text
gives."""

import os
import subprocess

from bulkcmp import compare, frozen, view_compare
from cgtest import cgroup2_root, cgview, hier, rel

COVERED = {"cgroup.stat", "cpu.stat", "cpu.stat.local", "cpu.pressure",
           "memory.pressure", "io.pressure", "memory.current", "memory.max",
           "memory.peak", "memory.swap.current", "memory.swap.peak",
           "memory.events", "memory.swap.events", "memory.stat",
           "pids.current", "pids.max", "pids.peak", "pids.events",
           "io.stat"}


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_bulk_equals_files_with_every_controller(tmp_path):
    root = cgroup2_root()
    top = os.path.join(root, "bulk-test")
    os.mkdir(top)
    made = [top]
    try:
        write(f"{root}/cgroup.subtree_control", "+memory +pids +cpu +io")
        write(f"{top}/cgroup.subtree_control", "+memory +pids +cpu +io")
        for d in ("a", "a/b", "c"):
            made.append(f"{top}/{d}")
            os.mkdir(made[-1])
        write(f"{top}/a/cgroup.subtree_control", "+memory +pids")
        write(f"{top}/c/memory.max", "67108864")
        write(f"{top}/c/pids.max", "50")
        write(f"{top}/c/cpu.max", "50000 100000")
        subprocess.run(["sh", "-c", f"echo $$ > {top}/c/cgroup.procs; "
                        "exec dd if=/dev/nullb0 of=/dev/null bs=4k count=64 "
                        "iflag=direct"], check=True, capture_output=True)
        with frozen(top, [f"{top}/a/b", f"{top}/c"]):
            compared = compare(top, COVERED)
        files = {f for _, f, _, _ in compared}
        assert files == COVERED, COVERED - files
        got = {(p.rsplit("/", 1)[-1], f, k) for p, f, k, _ in compared}
        assert ("c", "memory.max", ".") in got
        assert ("c", "cpu.stat", "nr_periods") in got
        assert ("c", "io.stat", "*.rios") in got
    finally:
        for d in reversed(made):
            os.rmdir(d)


VIEWS = ["cpu", "id", "io_latency", "mem_events", "net", "oom", "sched_wait"]


def test_view_records_equal_the_kernels_view_files():
    """The cpu view flushes rstat once at the walk's root here (fentry on
    bpf_rstat_flush works on this kernel), not once per file."""
    top = os.path.join(cgroup2_root(), "records-test")
    made = [top] + [f"{top}/{d}" for d in ("a", "a/b", "c")]
    r = cgview("load", "--all")
    assert r.returncode == 0, r.stderr
    try:
        for d in made:
            os.mkdir(d)
            for v in VIEWS:
                r = cgview("expose", v, rel(d))
                assert r.returncode == 0, r.stderr
        recs, more = view_compare(top, [f"{top}/a/b", f"{top}/c"])
        assert {k[0] for k in recs} == {hier(d) for d in made}
        assert more == 3 * len(VIEWS)
        b = hier(f"{top}/a/b")
        assert recs[(b, "bpf.cpu", "usage_ns", "")][0] > 0
        assert recs[(hier(top), "bpf.cpu", "usage_ns", "")][0] >= \
            recs[(b, "bpf.cpu", "usage_ns", "")][0]
        assert recs[(b, "bpf.sched_wait", "wait_count", "")][0] > 0
    finally:
        cgview("unload", "--all")
        for d in reversed(made):
            if os.path.isdir(d):
                os.rmdir(d)
