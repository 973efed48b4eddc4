"""Root's views against a tenant: a user who owns a delegated cgroup (the
directory and its cgroup.procs, cgroup.subtree_control and cgroup.threads
chowned to it, as systemd does for Delegate=yes). The tenant reads the
views root shows in its subtree and makes cgroups there, which get root's
inherited views; it cannot remove, rename, chmod or squat them."""

import ctypes
import errno
import os

import pytest

import bpfsys
from cgtest import cgroup, cgroup2_root, in_child, read

TENANT = 4242
DELEGATED = ("", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads")


def expected(cg):
    level = os.path.relpath(cg, cgroup2_root()).count("/") + 1
    return f"id {os.stat(cg).st_ino}\nlevel {level}\n"


def become_tenant(cap_bpf=False):
    """This process as uid and gid TENANT, with no capability or, with
    CAP_BPF, that one alone."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_KEEPCAPS, CAP_BPF = 8, 39
    libc.prctl(PR_SET_KEEPCAPS, 1 if cap_bpf else 0, 0, 0, 0)
    os.setgroups([])
    os.setgid(TENANT)
    os.setuid(TENANT)
    if cap_bpf:
        # capset(v3): effective = permitted = CAP_BPF only
        hdr = (ctypes.c_uint32 * 2)(0x20080522, 0)
        data = (ctypes.c_uint32 * 6)(0, 0, 0, 0, 0, 0)
        data[3] = data[4] = 1 << (CAP_BPF - 32)
        if libc.capset(hdr, data):
            raise OSError(ctypes.get_errno(), "capset")


def as_tenant(fn, *args, cap_bpf=False):
    """FN(*ARGS) run as the tenant: 0, or the errno it failed with."""
    def child():
        become_tenant(cap_bpf)
        fn(*args)
    return in_child(child)


@pytest.fixture
def delegated():
    """p, and p/tenant delegated to TENANT."""
    with cgroup("p") as p, cgroup("tenant", p) as d:
        for name in DELEGATED:
            os.chown(os.path.join(d, name), TENANT, TENANT)
        yield p, d


def state(cg, *fds):
    """What the tenant must not change: the files in CG, their contents,
    the cgroup's view revision and list, the links' fdinfo."""
    names = sorted(n for n in os.listdir(cg) if n.startswith("bpf."))
    return (names, [read(os.path.join(cg, n)) for n in names],
            bpfsys.query_views(cg), [bpfsys.fdinfo(fd) for fd in fds])


def test_tenant_cannot_unlink_views_root_shows_in_its_cgroup(link_fd,
                                                             other_fd,
                                                             delegated):
    p, d = delegated
    bpfsys.pin(link_fd, os.path.join(p, "bpf.id"), bpfsys.BPF_F_VIEW_INHERIT)
    bpfsys.obj_pin(other_fd, os.path.join(d, "bpf.other"))
    before = state(d, link_fd, other_fd)
    assert before[0] == ["bpf.id", "bpf.other"]
    for name in ("bpf.id", "bpf.other"):
        assert as_tenant(os.unlink, os.path.join(d, name)) == errno.EPERM
    assert state(d, link_fd, other_fd) == before


def test_tenant_cgroups_get_root_views_and_cannot_drop_them(link_fd,
                                                            delegated):
    p, d = delegated
    bpfsys.pin(link_fd, os.path.join(p, "bpf.id"), bpfsys.BPF_F_VIEW_INHERIT)
    job = os.path.join(d, "job")
    assert as_tenant(os.mkdir, job) == 0
    try:
        f = os.path.join(job, "bpf.id")

        def reads_it():
            if read(f) != expected(job):
                raise OSError(errno.EBADMSG, "wrong content")

        assert as_tenant(reads_it) == 0
        before = state(job, link_fd)
        assert as_tenant(os.unlink, f) == errno.EPERM
        assert as_tenant(os.rename, f, os.path.join(job, "bpf.x")) == \
            errno.EPERM
        assert as_tenant(os.chmod, f, 0o600) == errno.EPERM
        assert as_tenant(os.chown, f, TENANT, TENANT) == errno.EPERM
        assert state(job, link_fd) == before
        # later cgroups of the tenant's still get the view
        assert as_tenant(os.mkdir, os.path.join(job, "task")) == 0
        assert read(os.path.join(job, "task", "bpf.id")) == \
            expected(os.path.join(job, "task"))
        os.rmdir(os.path.join(job, "task"))
    finally:
        os.rmdir(job)


def test_removing_a_view_takes_cap_bpf_not_directory_ownership(link_fd,
                                                               delegated):
    """The same tenant with CAP_BPF may: the capability is what counts."""
    p, d = delegated
    bpfsys.pin(link_fd, os.path.join(p, "bpf.id"), bpfsys.BPF_F_VIEW_INHERIT)
    f = os.path.join(d, "bpf.id")
    assert as_tenant(os.unlink, f) == errno.EPERM
    assert as_tenant(os.unlink, f, cap_bpf=True) == 0
    assert not os.path.exists(f)
    assert os.path.exists(os.path.join(p, "bpf.id"))


def test_tenant_cannot_make_a_cgroup_with_a_view_name(link_fd, delegated):
    p, d = delegated
    squat = os.path.join(d, "bpf.id")
    assert as_tenant(os.mkdir, squat) == errno.EINVAL
    assert not os.path.exists(squat)
    # so root's inherited expose above it still works
    bpfsys.pin(link_fd, os.path.join(p, "bpf.id"), bpfsys.BPF_F_VIEW_INHERIT)
    assert read(squat) == expected(d)


@pytest.mark.parametrize("name", ["bpf.x", "bpf.id", "bpf."])
def test_no_cgroup2_cgroup_has_a_bpf_dot_name(name):
    with cgroup() as cg:
        with pytest.raises(OSError) as e:
            os.mkdir(os.path.join(cg, name))
        assert e.value.errno == errno.EINVAL
        assert not os.path.exists(os.path.join(cg, name))


@pytest.mark.parametrize("name", ["bpf", "bpfx", "xbpf.y", "BPF.x"])
def test_other_names_are_still_cgroups(name):
    with cgroup() as cg:
        os.mkdir(os.path.join(cg, name))
        os.rmdir(os.path.join(cg, name))


def test_unlink_in_sysfs_is_eperm_as_before():
    d = "/sys/kernel"
    f = next(os.path.join(d, n) for n in sorted(os.listdir(d))
             if os.path.isfile(os.path.join(d, n)))
    with pytest.raises(OSError) as e:
        os.unlink(f)
    assert e.value.errno == errno.EPERM
    assert os.path.isfile(f)
