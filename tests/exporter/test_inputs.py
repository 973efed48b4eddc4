"""Files the exporter reads must be regular files of at most 1 MiB: a FIFO,
a device or a symbolic link in the --mirror directory is refused unread, a
longer file is skipped whole (not exported truncated); each is reported
once and counted, and the rest of the snapshot is delivered."""

import os
import stat

from exlib import by_path, hier, metrics, mirror, run, self_metrics, \
    snapshots, subtree

MIB = 1 << 20
NOT_REGULAR = ("not a regular file (a FIFO, device, socket or symbolic "
               "link), skipped (reported once)")


def test_fifo_device_link_and_oversize_files_skipped(tmp_path):
    with subtree() as top:
        m = mirror(tmp_path, top, {"bpf.ok": "x 1\n"})
        d = os.path.join(m, os.path.basename(top))
        os.mkfifo(os.path.join(d, "bpf.fifo"))
        os.mknod(os.path.join(d, "bpf.zero"), stat.S_IFCHR | 0o600,
                 os.makedev(1, 5))  # what /dev/zero is
        os.symlink("/dev/zero", os.path.join(d, "bpf.link"))
        with open(os.path.join(d, "bpf.huge"), "w") as f:
            f.write("x 1\n" * (MIB // 4) + "y 2\n")  # 1 MiB and 4 bytes
        with open(os.path.join(d, "bpf.full"), "w") as f:
            f.write("x 1\n" * (MIB // 4 - 1) + "y 2\n")  # 1 MiB
        r = run("--once", "--root", top, "--mirror", m, "-o", "-",
                timeout=60, text=False)
    assert r.returncode == 0
    where = hier(top)
    assert sorted(r.stderr.decode().splitlines()) == [
        f"cgview-exporter: {where}/bpf.fifo: {NOT_REGULAR}",
        f"cgview-exporter: {where}/bpf.huge: longer than 1 MiB, skipped "
        "(reported once)",
        f"cgview-exporter: {where}/bpf.link: {NOT_REGULAR}",
        f"cgview-exporter: {where}/bpf.zero: {NOT_REGULAR}",
    ]
    [snap] = snapshots(r.stdout)
    cg = by_path(snap)[where]
    assert {f.name for f in cg.files} >= {"bpf.ok", "bpf.full", "cpu.stat"}
    assert "bpf.huge" not in {f.name for f in cg.files}
    assert metrics(snap, cg, "bpf.ok")["x"].value == 1
    assert metrics(snap, cg, "bpf.full")["y"].value == 2
    assert self_metrics(snap)["cgview_exporter_files_skipped_total"] == 4
