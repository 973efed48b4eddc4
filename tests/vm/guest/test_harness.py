"""Inside the VM (tests/vm/run): the guest runs the kernel just built, with
BTF, the filesystems the tests rely on, and views that load and read."""

import os
import struct

import pytest

from cgtest import cgroup, cgview, mirror_path, read, rel
from views_fixture import id_view  # noqa: F401 (fixture)


def bzimage_version(path):
    """The version string in a bzImage's setup header (boot protocol 2.0+:
    a pointer at 0x20e to a string 0x200 bytes further into the file)."""
    with open(path, "rb") as f:
        data = f.read(0x10000)
    offset = struct.unpack_from("<H", data, 0x20E)[0] + 0x200
    return data[offset:data.index(b"\0", offset)].decode()


def test_guest_runs_the_kernel_just_built():
    # "6.12.57 (root@host) #1 SMP PREEMPT_DYNAMIC Sun Nov 22 01:20:00 UTC 2026"
    built = bzimage_version(os.environ["CGVIEW_VM_KERNEL"])
    release, _, rest = built.partition(" ")
    uts_version = rest[rest.index("#"):]
    assert os.uname().release == release
    assert os.uname().version == uts_version


def test_kernel_has_btf():
    with open("/sys/kernel/btf/vmlinux", "rb") as f:
        assert f.read(2) == b"\x9f\xeb"  # BTF magic 0xeB9F, little endian


def test_filesystems_are_mounted():
    mounts = {line.split()[1]: line.split()[2] for line in open("/proc/mounts")}
    assert mounts["/"] == "9p"
    assert mounts["/sys/fs/cgroup"] == "cgroup2"
    assert mounts["/sys/fs/bpf"] == "bpf"
    assert mounts["/sys/kernel/debug"] == "debugfs"
    for d in ("/tmp", "/run", "/var/tmp"):
        assert mounts[d] == "tmpfs"
    with pytest.raises(OSError):
        open(os.path.join(os.getcwd(), "written-by-guest"), "w")


def test_every_controller_is_enabled_for_children():
    enabled = read("/sys/fs/cgroup/cgroup.subtree_control").split()
    assert set(enabled) == set(read("/sys/fs/cgroup/cgroup.controllers").split())
    assert {"cpu", "memory", "io", "pids"} <= set(enabled)


def test_cgroup_iter_view_pinned_in_bpffs_prints_the_cgroup_id(id_view):
    with cgroup() as cg:
        r = cgview("expose", id_view, rel(cg), mode="stock")
        assert r.returncode == 0, r.stderr
        assert read(mirror_path(cg, "id")) == \
            f"id {os.stat(cg).st_ino}\nlevel 1\n"
