"""Each view, in stock mode on the running kernel: a workload built to
produce its events runs in one cgroup, and the view shows them there and
not in an idle sibling."""

import os
import tempfile

import pytest

from cgtest import cgroup, cgroup2_root, cgview, dying, show
from views_fixture import bpf_ok  # noqa: F401 (fixture)
from workloads import (MAJOR_FAULTS, SYN_RETRANSMIT, TCP_TRAFFIC, TOUCH_ANON,
                       python_in, run_in, v1_memcg, wait_until)


@pytest.fixture
def view(request, bpf_ok):
    """The view named by the test's parameter, loaded; unloaded after."""
    name = request.param
    r = cgview("load", name)
    assert r.returncode == 0, r.stderr
    yield name
    cgview("unload", name)


def zeros(got):
    """GOT with every number 0, histograms too."""
    return {k: dict.fromkeys(v, 0) if isinstance(v, dict) else 0
            for k, v in got.items()}


@pytest.fixture
def busy_idle():
    with cgroup("busy") as busy, cgroup("idle") as idle:
        yield busy, idle


@pytest.mark.parametrize("view", ["cpu"], indirect=True)
def test_cpu_counts_a_busy_loop_in_its_cgroup_and_ancestors(view):
    with cgroup("parent") as parent, cgroup("busy", parent) as busy, \
            cgroup("idle", parent) as idle:
        run_in([busy], "timeout", "0.5", "sh", "-c", "while :; do :; done",
               check=False)
        got, up = show(busy, view), show(parent, view)
        assert got["usage_ns"] == got["self_usage_ns"] > 0
        assert up["usage_ns"] >= got["usage_ns"]
        assert up["self_usage_ns"] == 0
        assert show(idle, view) == {"usage_ns": 0, "self_usage_ns": 0}


@pytest.mark.parametrize("view", ["mem_events"], indirect=True)
def test_mem_events_counts_faults_of_touched_memory(view, busy_idle):
    busy, idle = busy_idle
    python_in([busy], TOUCH_ANON.format(mib=64))
    got = show(busy, view)
    assert got["pgfault"] >= 64 << 8  # one fault per 4 KiB page at least
    assert show(idle, view) == zeros(got)


@pytest.mark.parametrize("view", ["mem_events"], indirect=True)
def test_mem_events_counts_major_faults_of_a_file_read_in(view, busy_idle):
    busy, idle = busy_idle
    with tempfile.NamedTemporaryFile(dir="/var/tmp") as f:
        f.write(os.urandom(4 << 20))
        f.flush()
        os.fsync(f.fileno())
        python_in([busy], MAJOR_FAULTS.format(path=f.name))
    assert show(busy, view)["pgmajfault"] > 0
    assert show(idle, view)["pgmajfault"] == 0


@pytest.mark.parametrize("view", ["mem_events"], indirect=True)
def test_mem_events_times_reclaim_under_a_memory_limit(view, busy_idle):
    # The host's cgroup v2 has no memory controller; a v1 memory cgroup
    # limit makes the writer reclaim its own page cache.
    busy, idle = busy_idle
    with tempfile.TemporaryDirectory(dir="/var/tmp") as d, \
            v1_memcg(16 << 20) as memcg:
        run_in([busy, memcg], "dd", "if=/dev/zero", f"of={d}/f", "bs=1M",
               "count=128", "conv=fsync")
    got = show(busy, view)
    assert got["reclaim_count"] > 0 and got["reclaim_stall_ns"] > 0
    assert show(idle, view)["reclaim_count"] == 0


@pytest.mark.parametrize("view", ["oom"], indirect=True)
def test_oom_counts_the_kill_and_names_the_victims_cgroup(view, busy_idle):
    busy, idle = busy_idle
    with v1_memcg(32 << 20) as memcg:
        r = python_in([busy, memcg], TOUCH_ANON.format(mib=256), check=False)
    assert r.returncode == -9  # SIGKILL from the OOM killer
    got = show(busy, view)
    assert got == {"oom_kill": 1, "oom_victim": 1,
                   "last_victim_cgroup": os.stat(busy).st_ino,
                   "last_victim_pid": got["last_victim_pid"]}
    assert got["last_victim_pid"] > 0
    assert show(idle, view) == zeros(got)


@pytest.mark.parametrize("view", ["io_latency"], indirect=True)
def test_io_latency_counts_direct_io_of_its_cgroup(view, busy_idle):
    busy, idle = busy_idle
    with tempfile.TemporaryDirectory(dir="/var/tmp") as d:
        run_in([busy], "dd", "if=/dev/zero", f"of={d}/f", "bs=1M",
               "count=8", "oflag=direct")
        run_in([busy], "dd", f"if={d}/f", "of=/dev/null", "bs=1M",
               "iflag=direct")
    got = show(busy, view)
    assert got["wbytes"] >= 8 << 20 and got["rbytes"] >= 8 << 20
    assert got["wios"] > 0 and got["rios"] > 0
    assert sum(got["latency_hist_ns"].values()) >= got["rios"] + got["wios"]
    assert got["latency_hist_ns_sum"] > 0
    assert show(idle, view) == zeros(got)


@pytest.mark.parametrize("view", ["net"], indirect=True)
def test_net_counts_tcp_bytes_of_its_sockets(view, busy_idle):
    busy, idle = busy_idle
    python_in([busy], TCP_TRAFFIC.format(kib=1024))
    got = show(busy, view)
    assert got["tcp_tx_bytes"] >= 2 << 20  # 1 MiB each way
    assert got["tcp_rx_bytes"] >= 2 << 20
    assert show(idle, view) == zeros(got)


# Both ends of a connection made in this cgroup, then used from another
# (cgroup.procs of the other in {other}): 1,000 bytes each way.
HANDED_OVER = """
import socket
srv = socket.create_server(("127.0.0.1", 0))
c = socket.create_connection(srv.getsockname())
s, _ = srv.accept()
with open({other!r}, "w") as f:
    f.write("0")
c.sendall(b"x" * 1000)
got = 0
while got < 1000:
    got += len(s.recv(1000))
s.sendall(b"y" * 1000)
got = 0
while got < 1000:
    got += len(c.recv(1000))
"""


@pytest.mark.parametrize("view", ["net"], indirect=True)
def test_net_counts_a_socket_where_it_was_made_whoever_uses_it(view):
    # The sockets' events come from tasks of another cgroup: the program
    # takes a reference to the sockets' cgroup by id and keeps it in each
    # socket's storage; it goes with the sockets, and the cgroup, once
    # removed, is freed.
    with cgroup("parent") as parent:
        with cgroup("made", parent) as made, cgroup("user", parent) as user:
            python_in([made], HANDED_OVER.format(
                other=os.path.join(user, "cgroup.procs")))
            assert show(made, view) == {"tcp_rx_bytes": 2000,
                                        "tcp_tx_bytes": 2000,
                                        "tcp_retransmits": 0}
            assert show(user, view) == zeros(show(made, view))
        wait_until(lambda: dying(parent) == 0, timeout=60,
                   what="both cgroups freed")


@pytest.mark.parametrize("view", ["net"], indirect=True)
def test_net_counts_retransmitted_syns(view, busy_idle):
    busy, idle = busy_idle
    python_in([busy], SYN_RETRANSMIT.format(seconds=2.5))
    assert show(busy, view)["tcp_retransmits"] > 0
    assert show(idle, view)["tcp_retransmits"] == 0


def schema(view):
    """views/<view>.schema: the file it describes and its keys' types."""
    from cgtest import REPO
    declared, file = {}, None
    with open(os.path.join(REPO, "views", f"{view}.schema")) as f:
        for line in f:
            fields = line.split("#")[0].split()
            if fields and fields[0] == "file":
                file = fields[1]
            elif len(fields) >= 4:
                declared[fields[0]] = fields[1]
    return file, declared


ALL_VIEWS = ["cpu", "id", "io_latency", "mem_events", "net", "oom",
             "sched_wait"]


@pytest.mark.parametrize("view", ALL_VIEWS, indirect=True)
def test_schema_declares_what_the_view_prints(view):
    file, declared = schema(view)
    got = show(cgroup2_root(), view)
    assert file == f"bpf.{view}"
    assert set(got) == set(declared)
    for key, value in got.items():
        assert isinstance(value, dict) == (declared[key] == "histogram"), key
        assert declared[key] in ("counter", "gauge", "histogram")
