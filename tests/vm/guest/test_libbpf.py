"""libbpf as the series patches it (tools/lib/bpf) knows SEC("view/cgroup")
by itself: it loads the view and bpf_program__attach() makes a view link."""

import ctypes
import os

import bpfsys
from cgtest import REPO, cgroup, read

LIBBPF = os.path.join(REPO, "build", "libbpf", "libbpf.so")
ID_OBJ = os.path.join(REPO, "build", "views", "id.bpf.o")


def test_patched_libbpf_loads_and_attaches_a_view(tmp_path):
    lib = ctypes.CDLL(LIBBPF)
    lib.bpf_object__open_file.restype = ctypes.c_void_p
    lib.bpf_object__open_file.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    lib.bpf_object__load.argtypes = [ctypes.c_void_p]
    lib.bpf_object__find_program_by_name.restype = ctypes.c_void_p
    lib.bpf_object__find_program_by_name.argtypes = [ctypes.c_void_p,
                                                    ctypes.c_char_p]
    lib.bpf_program__attach.restype = ctypes.c_void_p
    lib.bpf_program__attach.argtypes = [ctypes.c_void_p]
    lib.bpf_link__fd.argtypes = [ctypes.c_void_p]
    lib.bpf_link__pin.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.libbpf_bpf_link_type_str.restype = ctypes.c_char_p
    lib.libbpf_bpf_attach_type_str.restype = ctypes.c_char_p

    assert lib.libbpf_bpf_link_type_str(bpfsys.BPF_LINK_TYPE_VIEW) == b"view"
    assert lib.libbpf_bpf_attach_type_str(bpfsys.BPF_TRACE_VIEW) == \
        b"trace_view"
    obj = lib.bpf_object__open_file(ID_OBJ.encode(), None)
    assert obj
    try:
        assert lib.bpf_object__load(obj) == 0
        prog = lib.bpf_object__find_program_by_name(obj, b"id_view")
        link = lib.bpf_program__attach(prog)
        assert link
        info = bpfsys.link_info(lib.bpf_link__fd(link))
        assert (info["type"], info["target"]) == \
            (bpfsys.BPF_LINK_TYPE_VIEW, "cgroup")
        pin = "/sys/fs/bpf/libbpf-test-link"
        assert lib.bpf_link__pin(link, pin.encode()) == 0
        try:
            with cgroup() as cg:
                bpfsys.obj_pin(lib.bpf_link__fd(link),
                               os.path.join(cg, "bpf.libbpf"))
                assert read(os.path.join(cg, "bpf.libbpf")) == \
                    f"id {os.stat(cg).st_ino}\nlevel 1\n"
        finally:
            os.unlink(pin)
        lib.bpf_link__destroy.argtypes = [ctypes.c_void_p]
        lib.bpf_link__destroy(link)
    finally:
        lib.bpf_object__close.argtypes = [ctypes.c_void_p]
        lib.bpf_object__close(obj)
