"""A tenant cannot blind io_latency or net for other cgroups by making
many cgroups: 16,385 cgroups of one tenant that each did direct I/O and
sent over TCP (one more than the 16,384 cgroups these views' statistics
had room for when they were kept in a table by cgroup id), and then a
cgroup of somebody else's does both, and its files count it."""

import os
import socket
import tempfile
import threading

import pytest

from cgtest import cgroup, cgview, dying, show
from views_fixture import bpf_ok  # noqa: F401 (fixture)
from workloads import python_in, wait_until

MANY = 16385

# In each of COUNT new cgroups below TOP: one 4 KiB O_DIRECT read of
# PATH and one TCP connection to PORT that sends one byte; the task
# moves itself from cgroup to cgroup.
TENANT = """
import mmap, os, socket
top, path, port, count = {top!r}, {path!r}, {port}, {count}
fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
buf = mmap.mmap(-1, 4096)
for i in range(count):
    cg = os.path.join(top, f"c{{i}}")
    os.mkdir(cg)
    with open(os.path.join(cg, "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))
    assert os.preadv(fd, [buf], 0) == 4096
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"x")
"""

# What the other cgroup does: 256 such reads, and 1,000 bytes over TCP
OTHER = """
import mmap, os, socket
fd = os.open({path!r}, os.O_RDONLY | os.O_DIRECT)
buf = mmap.mmap(-1, 4096)
for _ in range(256):
    assert os.preadv(fd, [buf], 0) == 4096
with socket.create_connection(("127.0.0.1", {port})) as s:
    s.sendall(b"y" * 1000)
"""


@pytest.fixture
def views(bpf_ok):
    r = cgview("load", "io_latency", "net")
    assert r.returncode == 0, r.stderr
    yield
    cgview("unload", "io_latency", "net")


@pytest.fixture
def sink():
    """A loopback listener that accepts and drops every connection."""
    srv = socket.create_server(("127.0.0.1", 0), backlog=4096)

    def drain():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            c.close()

    t = threading.Thread(target=drain, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    srv.shutdown(socket.SHUT_RDWR)
    srv.close()
    t.join()


@pytest.fixture
def data_file():
    with tempfile.NamedTemporaryFile(dir="/var/tmp") as f:
        f.write(os.urandom(4096))
        f.flush()
        os.fsync(f.fileno())
        yield f.name


def remove_children(top):
    for name in os.listdir(top):
        if os.path.isdir(os.path.join(top, name)):
            os.rmdir(os.path.join(top, name))


@pytest.fixture
def tenant():
    """A tenant's cgroup; its children are removed after."""
    with cgroup("tenant") as top:
        try:
            yield top
        finally:
            remove_children(top)


def test_many_cgroups_of_a_tenant_hide_no_other_cgroups_io(views, sink,
                                                           data_file, tenant):
    python_in([tenant], TENANT.format(top=tenant, path=data_file, port=sink,
                                      count=MANY))
    last = os.path.join(tenant, f"c{MANY - 1}")
    assert show(last, "io_latency")["rbytes"] == 4096
    assert show(last, "net")["tcp_tx_bytes"] == 1
    with cgroup("other") as other:
        python_in([other], OTHER.format(path=data_file, port=sink))
        io, net = show(other, "io_latency"), show(other, "net")
    # its reads (and what starting Python read from disk, if anything)
    assert io["rios"] >= 256 and io["rbytes"] >= 4096 * 256
    assert sum(io["latency_hist_ns"].values()) == io["rios"] + io["wios"]
    assert net["tcp_tx_bytes"] == 1000
    # and the views hold none of the tenant's cgroups once removed
    remove_children(tenant)
    wait_until(lambda: dying(tenant) == 0, timeout=120,
               what=f"the tenant's {MANY} cgroups freed")
