"""1,000 short-lived cgroups under a cgroup with every view exposed with
--inherit, while `cgview watch` mirrors them: afterwards no pin is left,
and the kernel has freed every cgroup (a pinned cgroup_iter link would
hold its cgroup as a dying descendant; cgroup local storage, where the
views keep their state, is freed with the cgroup), though every tenth
cgroup did direct I/O and sent over TCP: io_latency took a reference to
the cgroup of each request and dropped it when the request completed."""

import os
import socket
import subprocess
import tempfile

import pytest

from cgtest import cgroup, cgview, dying, mirror_path, pins, rel, show
from views_fixture import bpf_ok  # noqa: F401 (fixture)
from workloads import wait_until, watching

CHURN = 1000
VIEWS = ["cpu", "id", "io_latency", "mem_events", "net", "oom", "sched_wait"]


@pytest.fixture
def all_views(bpf_ok):
    r = cgview("load", "--all")
    assert r.returncode == 0, r.stderr
    yield VIEWS
    cgview("unload", "--all")


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


def test_short_lived_cgroups_leave_nothing_behind(all_views, direct_io_file,
                                                  tcp_sink):
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
                                f"cat {mirror_path(cg, 'sched_wait')}; "
                                f"dd if={direct_io_file} of=/dev/null "
                                "bs=4k count=1 iflag=direct"],
                               check=True, capture_output=True)
                send_from(cg, tcp_sink)
                assert show(cg, "io_latency")["rios"] >= 1
                assert show(cg, "net")["tcp_tx_bytes"] == 3  # "hi\n"
            os.rmdir(cg)
        wait_until(lambda: pins() == before, timeout=120,
                   what="the mirror back to where it started")
        wait_until(lambda: dying(top) == 0, timeout=60,
                   what="every removed cgroup freed")
