"""The bpf(2) calls tests make directly, through Debian's libbpf (ctypes):
pinning objects where cgview never would, to check the kernel's errors."""

import ctypes
import os
import struct

_lib = ctypes.CDLL("libbpf.so.1", use_errno=True)
_lib.bpf_obj_pin.argtypes = [ctypes.c_int, ctypes.c_char_p]
_lib.bpf_obj_get.argtypes = [ctypes.c_char_p]
_lib.bpf_link_create.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                 ctypes.c_void_p]
_lib.bpf_obj_get_info_by_fd.argtypes = [ctypes.c_int, ctypes.c_void_p,
                                        ctypes.POINTER(ctypes.c_uint32)]

_lib.bpf_map_create.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32,
                               ctypes.c_uint32, ctypes.c_uint32,
                               ctypes.c_void_p]

BPF_MAP_TYPE_ARRAY = 2
BPF_TRACE_VIEW = 57
BPF_LINK_TYPE_VIEW = 15


def _check(ret):
    if ret < 0:
        raise OSError(-ret, os.strerror(-ret))
    return ret


def obj_get(path):
    return _check(_lib.bpf_obj_get(path.encode()))


def obj_pin(fd, path):
    _check(_lib.bpf_obj_pin(fd, path.encode()))


def array_map():
    """A small array map, as an object that is not a view link."""
    return _check(_lib.bpf_map_create(BPF_MAP_TYPE_ARRAY, b"cgview_test",
                                      4, 8, 1, None))


def link_create(prog_fd, attach_type=BPF_TRACE_VIEW):
    return _check(_lib.bpf_link_create(prog_fd, 0, attach_type, None))


def prog_fd_by_id(prog_id):
    return _check(_lib.bpf_prog_get_fd_by_id(prog_id))


def link_info(fd):
    """type, id, prog_id and, for a view link, target name and exposures."""
    name = ctypes.create_string_buffer(64)
    buf = ctypes.create_string_buffer(128)
    struct.pack_into("=IIIIQII", buf, 0, 0, 0, 0, 0,
                     ctypes.addressof(name), len(name), 0)
    size = ctypes.c_uint32(len(buf))
    _check(_lib.bpf_obj_get_info_by_fd(fd, buf, ctypes.byref(size)))
    ltype, lid, prog_id, _, _, name_len, exposures = \
        struct.unpack_from("=IIIIQII", buf, 0)
    return {"type": ltype, "id": lid, "prog_id": prog_id,
            "target": name.value.decode(), "exposures": exposures}


def fdinfo(fd):
    with open(f"/proc/self/fdinfo/{fd}") as f:
        return f.read()
