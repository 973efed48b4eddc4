"""Workloads that make a view's numbers move, run inside a given cgroup,
and the helpers around them (v1 memory cgroups on hybrid hosts, cgview
watch, waiting for something the kernel does asynchronously)."""

import contextlib
import os
import subprocess
import sys
import time
import uuid

from cgtest import CGVIEW

V1_MEMORY = "/sys/fs/cgroup/memory"

# sh: move itself into each cgroup.procs given, then run the command
_ENTER = 'for f in $CGVIEW_ENTER; do echo $$ > "$f"; done; exec "$@"'


def run_in(cgroups, *argv, check=True, **kw):
    """Run ARGV as a process that starts in every cgroup of CGROUPS (a v2
    cgroup, and on hybrid hosts maybe a v1 one), and wait for it."""
    procs = " ".join(os.path.join(c, "cgroup.procs") for c in cgroups)
    env = dict(os.environ, CGVIEW_ENTER=procs)
    if "stdout" not in kw:
        kw["capture_output"] = True
    return subprocess.run(["sh", "-c", _ENTER, "sh", *argv], env=env,
                          check=check, text=True, **kw)


def python_in(cgroups, code, **kw):
    return run_in(cgroups, sys.executable, "-c", code, **kw)


@contextlib.contextmanager
def v1_memcg(limit):
    """A cgroup v1 memory cgroup limited to LIMIT bytes (hybrid hosts)."""
    path = os.path.join(V1_MEMORY, f"cgview-{uuid.uuid4().hex[:8]}")
    os.mkdir(path)
    try:
        with open(os.path.join(path, "memory.limit_in_bytes"), "w") as f:
            f.write(str(limit))
        yield path
    finally:
        wait_until(lambda: not open(os.path.join(path, "cgroup.procs")).read())
        with open(os.path.join(path, "memory.force_empty"), "w") as f:
            f.write("0")
        os.rmdir(path)


def wait_until(cond, timeout=20, what="condition"):
    """Poll COND until it is true; fail after TIMEOUT seconds. For effects
    the kernel or cgview watch apply asynchronously, not for timing."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached in {timeout} s")
        time.sleep(0.05)


LOOP_MAJOR = 7  # loop devices' block major


@contextlib.contextmanager
def loop_device(directory, size):
    """A loop device over a new file of SIZE bytes in DIRECTORY (put it
    on tmpfs, /dev/shm, so that its I/O reads no other block device);
    detached after."""
    path = os.path.join(directory, f"loop{len(os.listdir(directory))}")
    with open(path, "wb") as f:
        f.truncate(size)
    dev = subprocess.run(["losetup", "--find", "--show", path], check=True,
                         capture_output=True, text=True).stdout.strip()
    try:
        assert os.major(os.stat(dev).st_rdev) == LOOP_MAJOR, dev
        yield dev
    finally:
        subprocess.run(["losetup", "--detach", dev], check=True)


@contextlib.contextmanager
def watching():
    """`cgview watch` running; stopped after."""
    p = subprocess.Popen([CGVIEW, "watch"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        assert line.startswith("cgview watch: mirroring"), \
            line + p.stderr.read()
        yield p
    finally:
        p.terminate()
        p.wait()


TOUCH_ANON = """
import mmap
size = {mib} << 20
m = mmap.mmap(-1, size)
try:
    m.madvise(mmap.MADV_NOHUGEPAGE)  # a fault per 4 KiB page
except OSError:
    pass  # a kernel without transparent huge pages
for i in range(0, size, 4096):
    m[i] = 1
"""

# Read a file through mmap after dropping it from the page cache: the
# page faults must read it in (major faults).
MAJOR_FAULTS = """
import mmap, os
fd = os.open({path!r}, os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
m = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
m.madvise(mmap.MADV_RANDOM)
total = sum(m[i] for i in range(0, len(m), 4096))
"""

# Bytes both ways over loopback TCP, both ends in this process.
TCP_TRAFFIC = """
import socket, threading
srv = socket.create_server(("127.0.0.1", 0))
data = b"x" * ({kib} << 10)
def serve():
    c, _ = srv.accept()
    got = 0
    while got < len(data):
        got += len(c.recv(65536))
    c.sendall(data)
    c.close()
t = threading.Thread(target=serve)
t.start()
s = socket.create_connection(srv.getsockname())
s.sendall(data)
got = 0
while got < len(data):
    got += len(s.recv(65536))
t.join()
"""

# A SYN that nobody answers: the listener's accept queue is full (backlog
# 0 holds one connection), so the kernel drops the second SYN and the
# client retransmits it after its RTO (1 s).
SYN_RETRANSMIT = """
import socket, time
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(0)
first = socket.create_connection(srv.getsockname())
second = socket.socket()
second.setblocking(False)
second.connect_ex(srv.getsockname())
time.sleep({seconds})
"""
