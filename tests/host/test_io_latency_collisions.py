"""io_latency's table of requests in flight when requests of two queues
want the same slot: every request is still counted, bytes and latency.

The view is built from its own source with a table of one window of 4
slots (build/tests/io_latency_tiny.bpf.o: INFLIGHT_SHIFT=2, and only loop
devices' requests, INFLIGHT_ONLY_MAJOR=7, so that the host's disk does
not fill it), so any two requests in flight share the window, and two
whose first slots are the same collide. Two processes of one cgroup write
and read back 4 KiB blocks of two loop devices (over files in /dev/shm)
with O_DIRECT at the same time, one request in flight each. The tiny
view must count exactly what the same source with the stock table of
16,384 slots counts in that cgroup, loaded beside it and recording loop
devices alone too (build/tests/io_latency_loop.bpf.o: the stock view
also counts a page the processes fault in from the host's disk, one
4 KiB read in one CI run). That is what the processes did, less the
completions that no program saw: the host kernel now and then runs no BPF
program for a completion (one in 50,000 to 200,000 here: those whose
softirq ran inside another task with preemption off, while tracefs saw
them), and then it runs none, the two views' alike. Before the window, a
request whose slot another queue's request took was not counted: the
tiny view lost 2 to 9 % of them."""

import mmap
import os
import shutil
import struct
import subprocess
import tempfile
import time

import pytest

from cgtest import REPO, cgroup, cgview, keyed, rel
from views_fixture import bpf_ok  # noqa: F401 (fixture)
from workloads import loop_device

TINY = "io_latency_tiny"
LOOP = "io_latency_loop"  # the stock table, loop devices alone
BLOCK = 4096
BLOCKS = 2048  # per device: each written, then read back, in turn


@pytest.fixture
def views(bpf_ok):
    """The tiny build and the stock-sized one, loaded; unloaded after."""
    objs = [os.path.join(REPO, "build", "tests", f"{v}.bpf.o")
            for v in (TINY, LOOP)]
    r = cgview("load", *objs)
    assert r.returncode == 0, r.stderr
    yield TINY, LOOP
    cgview("unload", TINY, LOOP)


def start_worker(dev, cg, ready, go, done):
    """Fork a process that joins CG, says so on the pipe READY, waits for
    a byte on the pipe GO, then writes and reads back each block of DEV
    with O_DIRECT, one at a time, and writes its loop's start and end (ns)
    to the pipe DONE. Forked, not started anew, so that it reads nothing
    but DEV from inside CG."""
    fd = os.open(dev, os.O_RDWR | os.O_DIRECT)
    buf = mmap.mmap(-1, BLOCK)  # page-aligned, as O_DIRECT wants
    buf.write(os.urandom(BLOCK))
    pid = os.fork()
    if pid:
        os.close(fd)
        return pid
    status = 1
    try:
        for end in (ready[0], go[1], done[0]):  # the parent's ends
            os.close(end)
        with open(os.path.join(cg, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        os.write(ready[1], b"r")
        os.close(ready[1])  # the parent sees EOF once both said or exited
        if os.read(go[0], 1) == b"g":
            start = time.monotonic_ns()
            for i in range(BLOCKS):
                assert os.pwritev(fd, [buf], i * BLOCK) == BLOCK
                assert os.preadv(fd, [buf], i * BLOCK) == BLOCK
            os.write(done[1], struct.pack("QQ", start, time.monotonic_ns()))
            status = 0
    finally:
        os._exit(status)


def run_workers(devs, cg):
    """A worker per device in DEVS, all in CG, started together; returns
    each one's loop's start and end."""
    ready, go, done = os.pipe(), os.pipe(), os.pipe()
    pids = []
    try:
        for dev in devs:
            pids.append(start_worker(dev, cg, ready, go, done))
        for end in (ready[1], go[0], done[1]):  # the workers' ends
            os.close(end)
        said = b""  # every worker in the cgroup before any starts
        while chunk := os.read(ready[0], len(devs)):
            said += chunk
        if said == b"r" * len(devs):
            os.write(go[1], b"g" * len(devs))
    finally:
        os.close(go[1])  # a worker still waiting (another failed) stops
        for pid in pids:
            assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    times = []
    while chunk := os.read(done[0], 16):
        times.append(struct.unpack("QQ", chunk))
    os.close(ready[0])
    os.close(done[0])
    return times


def counts(cg, view):
    r = cgview("cat", rel(cg), view)
    assert r.returncode == 0, r.stderr
    got = keyed(r.stdout)
    return {"rbytes": got["rbytes"], "wbytes": got["wbytes"],
            "rios": got["rios"], "wios": got["wios"],
            "latencies": sum(got["latency_hist_ns"].values()),
            "latency_sum": got["latency_hist_ns_sum"] > 0}


def test_requests_of_two_queues_sharing_slots_all_count(views):
    tiny, loop = views
    with tempfile.TemporaryDirectory(dir="/dev/shm") as d, \
            loop_device(d, BLOCKS * BLOCK) as a, \
            loop_device(d, BLOCKS * BLOCK) as b, cgroup("io") as cg:
        if shutil.which("udevadm"):  # udev may probe the new devices
            subprocess.run(["udevadm", "settle"], check=False)
        times = run_workers([a, b], cg)
        got, seen = counts(cg, tiny), counts(cg, loop)
    # the two loops ran at the same time: their requests were in flight
    # together
    assert len(times) == 2
    assert max(t[0] for t in times) < min(t[1] for t in times)
    assert got == seen
    # the stock-sized table: every request it saw whole, bytes and latency;
    # and it saw all the processes' requests but the few (here 0 to 24 of
    # 8,192) whose completion the kernel ran no program for
    assert seen["rbytes"] == seen["rios"] * BLOCK
    assert seen["wbytes"] == seen["wios"] * BLOCK
    assert seen["latencies"] == seen["rios"] + seen["wios"]
    assert seen["latency_sum"]
    ios = 2 * BLOCKS  # of each direction, over both devices
    for key in ("rios", "wios"):
        assert ios - ios // 100 <= seen[key] <= ios, (key, seen[key], ios)
