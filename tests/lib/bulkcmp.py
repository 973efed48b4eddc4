"""The bulk read against the per-file walk: cgview-exporter --read bulk and
--read files on the same frozen tree, decoded with python3-protobuf."""

import contextlib
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXPORTER = os.path.join(REPO, "build", "cgview-exporter")


def pb2():
    """build/py/cgview_pb2 (make exporter makes it)."""
    gen = os.path.join(REPO, "build", "py")
    if gen not in sys.path:
        sys.path.insert(0, gen)
    import cgview_pb2
    return cgview_pb2


def decode(data):
    """The snapshots of a length-delimited stream."""
    from google.protobuf.internal.decoder import _DecodeVarint32
    snaps, pos = [], 0
    while pos < len(data):
        n, pos = _DecodeVarint32(data, pos)
        s = pb2().Snapshot()
        s.ParseFromString(data[pos:pos + n])
        assert len(data[pos:pos + n]) == n
        snaps.append(s)
        pos += n
    return snaps


def values(snap):
    """{(cgroup path, file, key, label): (value, type, unit, name)}"""
    out = {}
    for cg in snap.cgroups:
        for f in cg.files:
            for s in f.samples:
                m = snap.metrics[s.metric]
                out[(cg.path, f.name, m.key, s.label)] = (
                    s.value, m.type, m.unit, m.name)
    return out


def self_metric(snap, name):
    [v] = [s.value for s in snap.self if snap.metrics[s.metric].name == name]
    return v


def bulk_files(root, *bulk_args):
    """The files of a --read bulk scrape ({(cgroup path, file)}), how many
    it read and how many of those came from the bulk records."""
    with tempfile.NamedTemporaryFile() as out:
        subprocess.run([EXPORTER, "--read", "bulk", "--root", root, "--count",
                        "2", "--interval", "10ms", "--output",
                        f"file:{out.name}", *bulk_args], check=True,
                       timeout=120)
        snap = decode(open(out.name, "rb").read())[-1]
    return ({(cg.path, f.name) for cg in snap.cgroups for f in cg.files},
            self_metric(snap, "cgview_exporter_files_read"),
            self_metric(snap, "cgview_exporter_files_bulk"))


def scrape(root, mode, *extra):
    """One snapshot of ROOT read with --read MODE: (values, stderr)."""
    with tempfile.NamedTemporaryFile() as out:
        r = subprocess.run([EXPORTER, "--read", mode, "--root", root,
                            "--once", "--output", f"file:{out.name}",
                            *extra], capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr
        [snap] = decode(open(out.name, "rb").read())
    return values(snap), r.stderr


def comm(pid):
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip()


@contextlib.contextmanager
def frozen(top, cgroups):
    """A sleeping task in each of CGROUPS (after each burned some CPU), and
    TOP frozen until the block ends (cgroup.events says frozen 1)."""
    tasks = []
    for cg in cgroups:
        tasks.append(subprocess.Popen(
            ["sh", "-c", f"echo $$ > {cg}/cgroup.procs; "
             "timeout 0.2 sh -c 'while :; do :; done'; exec sleep 1000"]))
    try:
        for t in tasks:  # until each has burned its CPU and sleeps
            while comm(t.pid) != "sleep":
                time.sleep(0.01)
        with open(f"{top}/cgroup.freeze", "w") as f:
            f.write("1")
        while "frozen 1" not in open(f"{top}/cgroup.events").read():
            time.sleep(0.01)
        yield
    finally:
        for t in tasks:
            t.kill()
            t.wait()
        with open(f"{top}/cgroup.freeze", "w") as f:
            f.write("0")


def compare(root, covered, *bulk_args):
    """Files, bulk, files again on ROOT: every key the two per-file reads
    agree on has the same value in the bulk read; the three have the same
    keys; the files in COVERED come from the records (*.pressure may not).
    Returns the keys of files in COVERED that were compared."""
    first, _ = scrape(root, "files")
    bulk, err = scrape(root, "bulk", *bulk_args)
    again, _ = scrape(root, "files")
    assert b"bulk read" not in err, err
    assert set(bulk) == set(first) == set(again)
    files, read, from_bulk = bulk_files(root, *bulk_args)
    assert read == len(files)
    # a *.pressure file whose averages the kernel stopped updating (an
    # idle group) is read per file; everything else covered is bulk
    cov = {f for f in files if f[1] in covered}
    psi = {f for f in cov if f[1].endswith(".pressure")}
    assert len(cov) - len(psi) <= from_bulk <= len(cov) and from_bulk > 0
    compared = set()
    for k, v in first.items():
        if again[k] == v:
            assert bulk[k] == v, (k, bulk[k], v)
            if k[1] in covered:
                compared.add(k)
    return compared


def view_scrape(top, *args, read="bulk"):
    """One --read READ snapshot of TOP: {(path, file, key, label): value
    (histograms: count, has_sum, sum, buckets)} of the bpf.* files, and
    how many files came from records. No view's walk may fail. Of the
    standard files only cgroup.stat is read, which the records always hold
    (a *.pressure file may or may not be, from one scrape to the next)."""
    with tempfile.NamedTemporaryFile() as out:
        r = subprocess.run([EXPORTER, "--read", read, "--root", top,
                            "--once", "--files", "cgroup.stat", "--output",
                            f"file:{out.name}", *args],
                           capture_output=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert b"records of" not in r.stderr, r.stderr
        [snap] = decode(open(out.name, "rb").read())
    vals = {}
    for cg in snap.cgroups:
        for f in cg.files:
            if not f.name.startswith("bpf."):
                continue
            for s in f.samples:
                vals[(cg.path, f.name, snap.metrics[s.metric].key,
                      s.label)] = (s.value, s.has_sum, s.sum,
                                   tuple((b.le, b.count) for b in s.buckets))
    return vals, self_metric(snap, "cgview_exporter_files_bulk")


def view_compare(top, cgroups):
    """Tasks that ran (and waited for a CPU: cgtest.cpu_hogs) in the first
    of CGROUPS, then TOP frozen: the views' values from their records
    (--read bulk), from their text (--views none) and per file (--read
    files), which must have the same keys, every cgroup in CGROUPS, and
    the same values where the text read before and after agree (90 % of
    them at least). Returns the records' values and how many more files
    came from records than without them."""
    from cgtest import cpu_hogs
    with cpu_hogs(cgroups[0]):
        with frozen(top, cgroups):
            text, text_bulk = view_scrape(top, "--views", "none")
            recs, recs_bulk = view_scrape(top)
            files, _ = view_scrape(top, read="files")
            again, _ = view_scrape(top, "--views", "none")
    assert set(recs) == set(text) == set(again) == set(files)
    same = [k for k, v in text.items() if again[k] == v]
    assert len(same) > 0.9 * len(text)
    for k in same:
        assert recs[k] == text[k] == files[k], k
    return recs, recs_bulk - text_bulk


def written(path):
    """How many whole snapshots the file PATH holds so far (the last one
    may be half written while the exporter runs)."""
    from google.protobuf.internal.decoder import _DecodeVarint32
    data = path.read_bytes() if path.exists() else b""
    n = pos = 0
    while pos < len(data):
        try:
            size, pos = _DecodeVarint32(data, pos)
        except IndexError:
            break
        if pos + size > len(data):
            break
        pos += size
        n += 1
    return n


def wait_written(p, path, n):
    """Until the exporter P has written N snapshots to PATH (it must not
    exit before)."""
    while written(path) < n:
        assert p.poll() is None, "the exporter exited"
        time.sleep(0.05)
