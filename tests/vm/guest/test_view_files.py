"""The bpf_view series, in the patched kernel: a view link pinned in bpffs
and exposed in a cgroup directory is a file there; reading it runs the
view for that cgroup; its life follows the bpffs pin."""

import errno
import os
import subprocess
import threading

import pytest

import bpfsys
from cgtest import cgroup, cgview, in_child, read, rel, umask

LINK_PIN = "/sys/fs/bpf/cgview/views/id/link"
PROG_PIN = "/sys/fs/bpf/cgview/views/id/prog"


def expected(cg, level=1):
    return f"id {os.stat(cg).st_ino}\nlevel {level}\n"


@pytest.fixture
def view():
    """The id view loaded in patched mode; unloaded (and so unexposed) after."""
    r = cgview("load", "id")
    assert r.returncode == 0, r.stderr
    yield "id"
    cgview("unload", "id")


@pytest.fixture
def link_fd(view):
    fd = bpfsys.obj_get(LINK_PIN)
    yield fd
    os.close(fd)


def another_link(link_fd):
    """A second, unpinned view link of the same program."""
    prog_fd = bpfsys.prog_fd_by_id(bpfsys.link_info(link_fd)["prog_id"])
    try:
        return bpfsys.link_create(prog_fd)
    finally:
        os.close(prog_fd)


def expose(fd, cg, name="bpf.id"):
    bpfsys.obj_pin(fd, os.path.join(cg, name))
    return os.path.join(cg, name)


def test_cgview_loads_a_view_link_on_this_kernel(link_fd):
    info = bpfsys.link_info(link_fd)
    assert info["type"] == bpfsys.BPF_LINK_TYPE_VIEW
    assert info["target"] == "cgroup"
    assert info["exposures"] == 0
    assert "target_name:\tcgroup\n" in bpfsys.fdinfo(link_fd)


def test_exposed_file_shows_the_view_of_its_cgroup(view):
    with cgroup() as a, cgroup("b") as b:
        r = cgview("expose", view, rel(a))
        assert r.returncode == 0, r.stderr
        assert r.stdout == os.path.join(a, "bpf.id") + "\n"
        cgview("expose", view, rel(b))
        assert read(os.path.join(a, "bpf.id")) == expected(a)
        assert read(os.path.join(b, "bpf.id")) == expected(b)
        assert cgview("cat", rel(a), view).stdout == expected(a)


def test_file_is_0444_root_and_chmod_chown_work(link_fd):
    with cgroup() as cg, umask(0o022):
        path = expose(link_fd, cg)
        st = os.stat(path)
        assert (oct(st.st_mode), st.st_uid, st.st_gid) == ("0o100444", 0, 0)
        os.chmod(path, 0o440)
        os.chown(path, 65534, 65534)
        st = os.stat(path)
        assert (oct(st.st_mode), st.st_uid, st.st_gid) == \
            ("0o100440", 65534, 65534)


def test_the_exposers_umask_applies_to_the_mode(link_fd):
    with cgroup() as cg:
        with umask(0o337):
            path = expose(link_fd, cg)
        assert oct(os.stat(path).st_mode) == "0o100440"
        os.unlink(path)
        with umask(0o777):
            path = expose(link_fd, cg)
        assert oct(os.stat(path).st_mode) == "0o100000"


def test_reads_byte_by_byte_and_after_lseek(link_fd):
    with cgroup() as cg:
        path = expose(link_fd, cg)
        r = subprocess.run(["dd", f"if={path}", "bs=1", "status=none"],
                           capture_output=True, text=True)
        assert r.stdout == expected(cg)
        fd = os.open(path, os.O_RDONLY)
        try:
            first = os.read(fd, 4096)
            os.lseek(fd, 0, os.SEEK_SET)
            assert os.read(fd, 4096) == first == expected(cg).encode()
            assert os.read(fd, 4096) == b""
        finally:
            os.close(fd)


def test_many_concurrent_readers(link_fd):
    with cgroup() as cg:
        path = expose(link_fd, cg)
        want, bad = expected(cg), []

        def reader():
            for _ in range(50):
                got = read(path)
                if got != want:
                    bad.append(got)

        threads = [threading.Thread(target=reader) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert bad == []


def test_rm_removes_only_that_file(link_fd):
    with cgroup() as a, cgroup() as b:
        pa, pb = expose(link_fd, a), expose(link_fd, b)
        assert bpfsys.link_info(link_fd)["exposures"] == 2
        subprocess.run(["rm", pa], check=True)
        assert not os.path.exists(pa)
        assert read(pb) == expected(b)
        assert bpfsys.link_info(link_fd)["exposures"] == 1
        fdinfo = bpfsys.fdinfo(link_fd)
        assert "exposures:\t1\n" in fdinfo
        path = "/" + rel(b)
        assert f"exposure:\t{os.stat(b).st_ino}\t{path}\tbpf.id\n" in fdinfo


def test_rm_of_a_cgroup_file_still_fails(view):
    with cgroup() as cg:
        with pytest.raises(PermissionError):
            os.unlink(os.path.join(cg, "cgroup.procs"))
        assert os.path.exists(os.path.join(cg, "cgroup.procs"))


def test_unpinning_the_link_removes_every_file(link_fd):
    with cgroup() as a, cgroup() as b:
        pa, pb = expose(link_fd, a), expose(link_fd, b)
        os.unlink(LINK_PIN)
        assert not os.path.exists(pa) and not os.path.exists(pb)
        assert bpfsys.link_info(link_fd)["exposures"] == 0


def test_unload_removes_every_file(view):
    with cgroup() as a:
        cgview("expose", view, rel(a))
        assert cgview("unload", view).returncode == 0
        assert not os.path.exists(os.path.join(a, "bpf.id"))


def test_unmounting_bpffs_removes_the_files(link_fd, tmp_path):
    mnt = str(tmp_path)
    subprocess.run(["mount", "-t", "bpf", "bpf", mnt], check=True)
    try:
        fd = another_link(link_fd)
        bpfsys.obj_pin(fd, os.path.join(mnt, "link"))
        with cgroup() as cg:
            path = expose(fd, cg, "bpf.other")
            assert read(path) == expected(cg)
            subprocess.run(["umount", mnt], check=True)
            assert not os.path.exists(path)
            assert bpfsys.link_info(fd)["exposures"] == 0
        os.close(fd)
    finally:
        subprocess.run(["umount", mnt], capture_output=True)


def test_rmdir_of_a_cgroup_with_files_works(link_fd):
    with cgroup() as parent:
        child = os.path.join(parent, "child")
        os.mkdir(child)
        expose(link_fd, child)
        os.rmdir(child)
        assert bpfsys.link_info(link_fd)["exposures"] == 0


@pytest.mark.parametrize("name", ["id", "bpf.", "bpfid", "cpu.stat2"])
def test_name_must_start_with_bpf_dot(link_fd, name):
    with cgroup() as cg:
        with pytest.raises(OSError) as e:
            expose(link_fd, cg, name)
        assert e.value.errno == errno.EINVAL


@pytest.mark.parametrize("name", ["bpf.a b", "bpf. ", "bpf.a\tb",
                                  "bpf.a\nexposure:\t1\tbpf.forged",
                                  "bpf.\x01", "bpf.a\x7f", "bpf.\udcff",
                                  "bpf.\u00e9", "bpf.a\x1b[1m"])
def test_name_must_be_printable_ascii_without_spaces(link_fd, name):
    with cgroup() as cg:
        with pytest.raises(OSError) as e:
            expose(link_fd, cg, name)
        assert e.value.errno == errno.EINVAL
        assert [n for n in os.listdir(cg) if n.startswith("bpf.")] == []
        assert "exposures:\t0\n" in bpfsys.fdinfo(link_fd)


def test_name_of_name_max_bytes_works_one_more_is_enametoolong(link_fd):
    longest = "bpf." + "x" * 251
    with cgroup() as cg:
        path = expose(link_fd, cg, longest)
        assert len(os.path.basename(path)) == 255
        assert read(path) == expected(cg)
        with pytest.raises(OSError) as e:
            expose(link_fd, cg, longest + "y")
        assert e.value.errno == errno.ENAMETOOLONG
        assert f"\t{longest}\n" in bpfsys.fdinfo(link_fd)


def test_name_in_use_is_eexist(link_fd):
    with cgroup() as cg:
        expose(link_fd, cg)
        with pytest.raises(FileExistsError):
            expose(link_fd, cg)


def test_only_cgroup2_directories(link_fd, tmp_path):
    for d in ("/sys/kernel", str(tmp_path)):
        with pytest.raises(OSError) as e:
            expose(link_fd, d)
        assert e.value.errno == errno.EPERM, d


def test_only_view_links_go_into_cgroupfs(view):
    """A program, a map and another kind of link (a cgroup_iter) fail."""
    with cgroup() as cg:
        r = cgview("expose", view, rel(cg), mode="stock")
        assert r.returncode == 0, r.stderr
        fds = [bpfsys.obj_get(PROG_PIN), bpfsys.array_map(),
               bpfsys.obj_get(r.stdout.strip())]
        try:
            for fd in fds:
                with pytest.raises(PermissionError):
                    expose(fd, cg, "bpf.other")
        finally:
            for fd in fds:
                os.close(fd)


def test_link_not_pinned_in_bpffs_is_enoent(link_fd):
    fd = another_link(link_fd)
    try:
        with cgroup() as cg:
            with pytest.raises(FileNotFoundError):
                expose(fd, cg)
    finally:
        os.close(fd)


def test_a_view_link_has_one_bpffs_pin(link_fd):
    with pytest.raises(OSError) as e:
        bpfsys.obj_pin(link_fd, "/sys/fs/bpf/cgview/second")
    assert e.value.errno == errno.EBUSY


def test_without_cap_bpf_is_eperm(link_fd):
    with cgroup() as cg:
        os.chown(cg, 65534, 65534)

        def as_nobody():
            os.setgid(65534)
            os.setuid(65534)  # drops every capability
            expose(link_fd, cg)

        assert in_child(as_nobody) == errno.EPERM
        assert not os.path.exists(os.path.join(cg, "bpf.id"))


def test_without_write_permission_is_eacces(link_fd):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_KEEPCAPS, CAP_BPF = 8, 39

    def nobody_with_cap_bpf():
        libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)
        os.setgid(65534)
        os.setuid(65534)
        # capset(v3): effective = permitted = CAP_BPF only
        hdr = (ctypes.c_uint32 * 2)(0x20080522, 0)
        data = (ctypes.c_uint32 * 6)(0, 0, 0, 0, 0, 0)
        data[3] = data[4] = 1 << (CAP_BPF - 32)
        if libc.capset(hdr, data):
            raise OSError(ctypes.get_errno(), "capset")
        expose(link_fd, cg)

    with cgroup() as cg:
        assert in_child(nobody_with_cap_bpf) == errno.EACCES


def test_output_larger_than_a_page(tmp_path):
    big = os.path.join(os.getcwd(), "build", "tests", "big.bpf.o")
    assert cgview("load", big).returncode == 0
    try:
        want = "".join(f"line {i} of 1000\n" for i in range(1000))
        assert len(want) > 4096
        with cgroup() as cg:
            assert cgview("expose", "big", rel(cg)).returncode == 0
            path = os.path.join(cg, "bpf.big")
            assert read(path) == want
            r = subprocess.run(["dd", f"if={path}", "bs=1000", "status=none"],
                               capture_output=True, text=True)
            assert r.stdout == want
    finally:
        cgview("unload", "big")


def test_unprivileged_user_reads_0444_but_not_0400(link_fd):
    def read_as_nobody(path):
        def child():
            os.setgid(65534)
            os.setuid(65534)
            with open(path) as f:
                if f.read() != expected(cg):
                    raise OSError(errno.EBADMSG, "wrong content")
        return in_child(child)

    with cgroup() as cg:
        path = expose(link_fd, cg)
        assert read_as_nobody(path) == 0
        os.chmod(path, 0o400)
        assert read_as_nobody(path) == errno.EACCES


def test_views_may_use_every_seq_file_helper():
    obj = os.path.join(os.getcwd(), "build", "tests", "helpers.bpf.o")
    r = cgview("load", obj)
    assert r.returncode == 0, r.stderr
    try:
        with cgroup() as cg:
            assert cgview("expose", "helpers", rel(cg)).returncode == 0
            assert read(os.path.join(cg, "bpf.helpers")) == \
                "printf 1\nwrite\n(int)1\n"
    finally:
        cgview("unload", "helpers")


def test_a_view_returning_non_zero_is_refused():
    obj = os.path.join(os.getcwd(), "build", "tests", "bad_return.bpf.o")
    r = cgview("load", obj)
    assert r.returncode == 1
    assert "At program exit the register R0 has" in r.stderr
    assert "should have been in [0, 0]" in r.stderr
    assert not os.path.exists("/sys/fs/bpf/cgview/views/bad_return")
