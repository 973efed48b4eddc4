"""Helpers shared by the test tiers: real cgroups, the cgview tool."""

import contextlib
import os
import subprocess
import uuid

REPO = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
CGVIEW = os.path.join(REPO, "build", "cgview")
PIN_ROOT = "/sys/fs/bpf/cgview"


def cgroup2_root():
    """Where cgroup v2 is mounted (hybrid hosts: /sys/fs/cgroup/unified)."""
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, mnt, fstype = line.split()[:3]
            if fstype == "cgroup2":
                return mnt
    raise RuntimeError("no cgroup2 mount")


def hier(path):
    """PATH as the exporter labels it: its path in the cgroup2 hierarchy."""
    rel = os.path.relpath(path, cgroup2_root())
    return "/" if rel == "." else "/" + rel


@contextlib.contextmanager
def cgroup(name="t", parent=None):
    """A new cgroup below PARENT (default: the cgroup2 root), removed after."""
    parent = parent or cgroup2_root()
    path = os.path.join(parent, f"cgview-{name}-{uuid.uuid4().hex[:8]}")
    os.mkdir(path)
    try:
        yield path
    finally:
        os.rmdir(path)


@contextlib.contextmanager
def umask(mask):
    """This process's umask set to MASK, restored after."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def rel(path):
    """PATH relative to the cgroup2 root, as cgview takes it."""
    return os.path.relpath(path, cgroup2_root())


def cgview(*args, mode=None):
    """Run cgview; MODE "stock" forces cgroup_iter pins (CGVIEW_MODE)."""
    env = dict(os.environ, CGVIEW_MODE=mode) if mode else None
    return subprocess.run([CGVIEW, *args], capture_output=True, text=True,
                          env=env)


@contextlib.contextmanager
def exposed_on(view, *names):
    """VIEW loaded and exposed on new cgroups called NAMES, whose paths
    are yielded; the cgroups removed and VIEW unloaded after."""
    r = cgview("load", view)
    assert r.returncode == 0, r.stderr
    try:
        with contextlib.ExitStack() as stack:
            cgs = [stack.enter_context(cgroup(n)) for n in names]
            for cg in cgs:
                r = cgview("expose", view, rel(cg))
                assert r.returncode == 0, r.stderr
            yield cgs
    finally:
        cgview("unload", view)


def mirror_path(cg, view):
    """Where stock mode pins VIEW exposed at cgroup CG."""
    return os.path.join(PIN_ROOT, "cgroups", rel(cg), f"bpf.{view}")


def in_child(fn):
    """Run FN in a forked child; return its exit status (FN's errno, 0
    when it returned, 255 for any other exception)."""
    pid = os.fork()
    if pid == 0:
        try:
            fn()
            os._exit(0)
        except OSError as e:
            os._exit(e.errno)
        except BaseException:
            os._exit(255)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def read(path):
    with open(path) as f:
        return f.read()


def pins():
    """Every file and directory under cgview's bpffs tree."""
    found = []
    for dirpath, dirs, files in os.walk(PIN_ROOT):
        found += [os.path.join(dirpath, n) for n in dirs + files]
    return sorted(found)


def bpf_unavailable():
    """Why real BPF cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "BPF tests need root"
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "the running kernel has no BTF (/sys/kernel/btf/vmlinux)"
    return None


@contextlib.contextmanager
def cpu_hogs(cg, n=2, cpu=0):
    """N busy loops in cgroup CG, all pinned to one CPU so they wait for it."""
    procs = []
    try:
        for _ in range(n):
            p = subprocess.Popen(["taskset", "-c", str(cpu), "sh", "-c",
                                  "while :; do :; done"])
            procs.append(p)
            with open(os.path.join(cg, "cgroup.procs"), "w") as f:
                f.write(str(p.pid))
        yield procs
    finally:
        for p in procs:
            p.kill()
            p.wait()


def _value(fields):
    """"N" is an int; "a=N b=N ..." (nested keyed) a dict of ints."""
    if len(fields) == 1 and "=" not in fields[0]:
        return int(fields[0])
    return {k: int(v) for k, v in (f.split("=") for f in fields)}


def keyed(text):
    """A flat or nested keyed file as a dict: "key N" lines give ints,
    "key a=N b=N" lines dicts of ints."""
    return {line.split()[0]: _value(line.split()[1:])
            for line in text.splitlines()}


def show(cg, view):
    """`cgview cat` of VIEW on cgroup CG, keyed (it must succeed)."""
    r = cgview("cat", rel(cg), view)
    assert r.returncode == 0, r.stderr
    return keyed(r.stdout)


def dying(cg):
    """How many removed cgroups below CG the kernel has not freed yet."""
    with open(os.path.join(cg, "cgroup.stat")) as f:
        return int(dict(line.split() for line in f)["nr_dying_descendants"])
