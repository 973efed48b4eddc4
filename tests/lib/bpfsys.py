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

_lib.bpf_map_lookup_elem.argtypes = [ctypes.c_int, ctypes.c_void_p,
                                     ctypes.c_void_p]

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
    """PATH may hold any bytes (os.fsencode: str with surrogateescape)."""
    _check(_lib.bpf_obj_pin(fd, os.fsencode(path)))


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


def map_fd_by_id(map_id):
    return _check(_lib.bpf_map_get_fd_by_id(map_id))


def map_values(fd, entries, value_size):
    """The raw values of array map FD's keys 0 to ENTRIES - 1."""
    key = ctypes.c_uint32()
    value = ctypes.create_string_buffer(value_size)
    out = []
    for key.value in range(entries):
        _check(_lib.bpf_map_lookup_elem(fd, ctypes.byref(key), value))
        out.append(value.raw)
    return out


def fdinfo(fd):
    with open(f"/proc/self/fdinfo/{fd}") as f:
        return f.read()


# bpf(2) itself, for attributes Debian's libbpf 1.1 cannot pass: the view
# series' BPF_OBJ_PIN flags and revision, and BPF_PROG_QUERY's view fields.
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
SYS_bpf = 321
BPF_OBJ_PIN = 6
BPF_PROG_QUERY = 16
BPF_F_VIEW_INHERIT = 1 << 19


def _bpf(cmd, attr):
    ret = _libc.syscall(SYS_bpf, cmd, attr, len(attr))
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return ret


def pin(fd, path, flags=0, expected_revision=0):
    """BPF_OBJ_PIN with file_flags and expected_view_revision."""
    name = ctypes.create_string_buffer(path.encode())
    attr = ctypes.create_string_buffer(32)
    struct.pack_into("=QIIiIQ", attr, 0, ctypes.addressof(name), fd, flags,
                     0, 0, expected_revision)
    _bpf(BPF_OBJ_PIN, attr)


def query_views(cg, count=64, names_len=4096):
    """BPF_PROG_QUERY of the views in cgroup directory CG: a dict with the
    revision, the count and, per view, its link, prog, flags, origin
    cgroup id and name. ENOSPC (arrays too small) raises OSError."""
    ids = {k: (ctypes.c_uint32 * count)() for k in ("prog", "link", "flags")}
    cgids = (ctypes.c_uint64 * count)()
    names = ctypes.create_string_buffer(names_len)
    attr = ctypes.create_string_buffer(88)
    dfd = os.open(cg, os.O_RDONLY | os.O_DIRECTORY)
    try:
        struct.pack_into("=IIIIQIIQQQQQQI", attr, 0, dfd, BPF_TRACE_VIEW, 0,
                         0, ctypes.addressof(ids["prog"]), count, 0, 0,
                         ctypes.addressof(ids["link"]),
                         ctypes.addressof(ids["flags"]), 0,
                         ctypes.addressof(cgids), ctypes.addressof(names),
                         names_len)
        _bpf(BPF_PROG_QUERY, attr)
    finally:
        os.close(dfd)
    n = struct.unpack_from("=I", attr, 24)[0]
    revision = struct.unpack_from("=Q", attr, 56)[0]
    needed = struct.unpack_from("=I", attr, 80)[0]
    names = names.raw[:needed].split(b"\0")[:n]
    return {"revision": revision, "count": n, "names_len": needed,
            "views": [{"prog_id": ids["prog"][i], "link_id": ids["link"][i],
                       "flags": ids["flags"][i], "cgroup_id": cgids[i],
                       "name": names[i].decode()} for i in range(n)]}
