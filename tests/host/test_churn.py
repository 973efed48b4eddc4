"""1,000 short-lived cgroups under a cgroup with every view exposed with
--inherit, while `cgview watch` mirrors them: afterwards no pin is left,
and the kernel has freed every cgroup (a pinned cgroup_iter link would
hold its cgroup as a dying descendant; cgroup local storage, where the
views keep their state, is freed with the cgroup), and io_latency's and
net's statistics by cgroup id are back to the entries they had before,
though every tenth cgroup did direct I/O and sent over TCP: their slots
were given back, cleared, and taken again by the next such cgroup."""

import json
import os
import socket
import struct
import subprocess
import tempfile

import pytest

import bpfsys
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


def loaded_map(name):
    """bpftool's description of the one loaded map named NAME."""
    maps = json.loads(subprocess.run(["bpftool", "-j", "map", "show"],
                                     check=True, capture_output=True,
                                     text=True).stdout)
    found = [m for m in maps if m.get("name") == name]
    assert len(found) == 1, f"one map {name} loaded: {found}"
    return found[0]


def map_entries(name):
    """How many entries the loaded map NAME holds."""
    dump = subprocess.run(["bpftool", "-j", "map", "dump", "id",
                           str(loaded_map(name)["id"])], check=True,
                          capture_output=True, text=True).stdout
    return len(json.loads(dump))


def array_values(name):
    """The raw values of the loaded array map NAME."""
    m = loaded_map(name)
    fd = bpfsys.map_fd_by_id(m["id"])
    try:
        return bpfsys.map_values(fd, m["max_entries"], m["bytes_value"])
    finally:
        os.close(fd)


def slot_owners(stats):
    """The cgroup ids that hold a slot of CGID_STATS STATS, sorted."""
    owners = [struct.unpack_from("=Q", v)[0]
              for v in array_values((stats + "_slots")[:15])]
    return sorted(o for o in owners if o)


def slots_taken(view):
    """How many slots of VIEW's CGID_STATS were ever taken (NAME_unused)."""
    return struct.unpack_from("=Q", array_values(f"{view[:8]}.bss")[0])[0]


@pytest.fixture
def direct_io_file():
    with tempfile.NamedTemporaryFile(dir="/var/tmp") as f:
        f.write(b"x" * 65536)
        f.flush()
        os.fsync(f.fileno())
        yield f.name


@pytest.fixture
def tcp_sink():
    """A loopback listener; yields its port and takes what is sent."""
    with socket.create_server(("127.0.0.1", 0), backlog=8) as srv:
        srv.settimeout(10)
        yield srv, srv.getsockname()[1]


def send_from(cg, sink):
    """One TCP connection from a task in CG, which sends a line."""
    srv, port = sink
    subprocess.run(["bash", "-c", f"echo $$ > {cg}/cgroup.procs; "
                    f"exec 3<>/dev/tcp/127.0.0.1/{port}; echo hi >&3"],
                   check=True, capture_output=True)
    conn, _ = srv.accept()
    conn.close()


# io_latency's and net's statistics by cgroup id (cgid_stats.bpf.h)
CGID_MAPS = ["io_by_cgroup", "net_by_cgroup"]
CGID_VIEWS = {"io_by_cgroup": "io_latency", "net_by_cgroup": "net"}


def test_short_lived_cgroups_leave_nothing_behind(all_views, direct_io_file,
                                                  tcp_sink):
    with cgroup("churn") as top, watching():
        for view in all_views:
            r = cgview("expose", "--inherit", view, rel(top))
            assert r.returncode == 0, r.stderr
        before = pins()
        maps_before = {m: map_entries(m) for m in CGID_MAPS}
        owners_before = {m: slot_owners(m) for m in CGID_MAPS}
        taken_before = {m: slots_taken(v) for m, v in CGID_VIEWS.items()}
        for i in range(CHURN):
            cg = os.path.join(top, f"job{i}.scope")
            os.mkdir(cg)
            if i % 10 == 0:
                # mirrored, and a task makes state in the views' storage
                wait_until(lambda: all(os.path.exists(mirror_path(cg, v))
                                       for v in all_views),
                           what=f"{cg} mirrored")
                subprocess.run(["sh", "-c", f"echo $$ > {cg}/cgroup.procs; "
                                f"cat {mirror_path(cg, 'sched_wait')}; "
                                f"dd if={direct_io_file} of=/dev/null "
                                "bs=4k count=1 iflag=direct"],
                               check=True, capture_output=True)
                send_from(cg, tcp_sink)
                if i == 0:
                    assert {m: map_entries(m) for m in CGID_MAPS} == \
                        {m: n + 1 for m, n in maps_before.items()}
            os.rmdir(cg)
        wait_until(lambda: pins() == before, timeout=120,
                   what="the mirror back to where it started")
        wait_until(lambda: dying(top) == 0, timeout=60,
                   what="every removed cgroup freed")
        assert {m: map_entries(m) for m in CGID_MAPS} == maps_before
        assert {m: slot_owners(m) for m in CGID_MAPS} == owners_before
        # 100 cgroups did I/O and TCP one after another: each took the
        # slot the one before gave back (a few more if other cgroups of
        # the host made statistics meanwhile)
        taken = {m: slots_taken(v) - taken_before[m]
                 for m, v in CGID_VIEWS.items()}
        assert all(n < 10 for n in taken.values()), taken
