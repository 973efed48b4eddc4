"""A request whose completion io_latency did not see leaves its slot of
the table of requests in flight stale, and the slot keeps its reference
to the cgroup of the task that submitted the request (README, "cgview":
load). Stale slots hide no other cgroup's I/O, and keep no
removed cgroup for good: a start that takes such a slot again drops the
reference, and unloading the view drops them all.

The view is built from its own source with a table of one window of 4
slots, recording loop devices alone, and seeing no read's completion
(build/tests/io_latency_stale.bpf.o: INFLIGHT_SHIFT=2,
INFLIGHT_ONLY_MAJOR=7, CGVIEW_TEST_LOSE_READS): each read a cgroup makes
leaves a stale slot with a reference to that cgroup, and after a few
reads every slot of the table is stale. Writes are seen whole."""

import os
import shutil
import subprocess
import tempfile

import pytest

from cgtest import REPO, cgroup, cgview, dying, show
from views_fixture import bpf_ok  # noqa: F401 (fixture)
from workloads import loop_device, python_in, wait_until

STALE = "io_latency_stale"
BLOCK = 4096
BLOCKS = 256  # of the loop device
ROUND = 256  # requests of one process
ROUNDS = 16  # of writes at most, before the reader's cgroup must be freed

# N 4 KiB O_DIRECT requests to DEV, one at a time; OP is preadv or pwritev
IO = """
import mmap, os
fd = os.open({dev!r}, os.{mode} | os.O_DIRECT)
buf = mmap.mmap(-1, {block})
for i in range({n}):
    assert os.{op}(fd, [buf], i % {blocks} * {block}) == {block}
"""


def io(cg, dev, op, n):
    """Reads open DEV read-only: a close after writing makes udev probe
    the device (reads of its own), and io() waits for that to end."""
    mode = "O_RDONLY" if op == "preadv" else "O_WRONLY"
    python_in([cg], IO.format(dev=dev, mode=mode, op=op, n=n, block=BLOCK,
                              blocks=BLOCKS))
    settle()


def settle():
    if shutil.which("udevadm"):
        subprocess.run(["udevadm", "settle"], check=False)


@pytest.fixture
def view(bpf_ok):
    obj = os.path.join(REPO, "build", "tests", f"{STALE}.bpf.o")
    r = cgview("load", obj)
    assert r.returncode == 0, r.stderr
    yield STALE
    cgview("unload", STALE)  # a test may have unloaded it


@pytest.fixture
def dev():
    """A loop device over a file on tmpfs: its I/O reads no other disk."""
    with tempfile.TemporaryDirectory(dir="/dev/shm") as d, \
            loop_device(d, BLOCKS * BLOCK) as path:
        settle()  # udev may probe the new device
        yield path


def read_and_remove(parent, dev, view):
    """A child of PARENT reads DEV, then is removed: its reads' slots are
    left stale (their completions unseen), with references to it."""
    with cgroup("reader", parent) as reader:
        io(reader, dev, "preadv", ROUND)
        assert show(reader, view)["rios"] == 0  # no read seen to complete


def assert_held(parent):
    """PARENT's one removed child is not freed yet when a cgroup that
    nothing holds, removed after it, has been freed."""
    with cgroup("control") as control:
        with cgroup("free", control):
            pass
        wait_until(lambda: dying(control) == 0, timeout=60,
                   what="a removed cgroup that nothing holds freed")
    assert dying(parent) == 1


def test_a_stale_slots_cgroup_is_freed_once_other_requests_take_it(view,
                                                                  dev):
    with cgroup("held") as held, cgroup("other") as other:
        read_and_remove(held, dev, view)
        assert_held(held)
        # every slot stale: another cgroup's writes take the slots over,
        # dropping their references, and are counted. A start takes the
        # slot of its own request (a tag's struct request is the same
        # each time) before a free one, and one whose request is done
        # when none is free; as a queue hands its tags out in turn, its
        # starts meet the reader's requests' structs one by one
        with cgroup("writer", other) as writer:
            writes = 0
            while dying(held) and writes < ROUNDS * ROUND:
                io(writer, dev, "pwritev", ROUND)
                writes += ROUND
            wait_until(lambda: dying(held) == 0, timeout=60,
                       what="the reader's cgroup freed")
            got = show(writer, view)
    # all of them but one at most whose completion the kernel ran no
    # program for (one in 50,000 or more:
    # tests/host/test_io_latency_collisions.py)
    assert writes - 1 <= got["wios"] <= writes, (got, writes)
    assert got["wbytes"] == got["wios"] * BLOCK
    assert sum(got["latency_hist_ns"].values()) == got["wios"]
    assert got["rios"] == got["rbytes"] == 0


def test_unloading_the_view_frees_the_cgroups_its_stale_slots_held(view,
                                                                   dev):
    with cgroup("held") as held:
        read_and_remove(held, dev, view)
        assert_held(held)
        r = cgview("unload", view)
        assert r.returncode == 0, r.stderr
        wait_until(lambda: dying(held) == 0, timeout=60,
                   what="the reader's cgroup freed once the view unloaded")
