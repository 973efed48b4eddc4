"""The snapshot stream (proto/cgview.proto) from real cgroups on the host,
decoded with python3-protobuf: values equal what `cat` shows."""

import math
import os
import subprocess
import time

import pytest

from cgtest import cgview, mirror_path, read, rel
from exlib import (by_path, hier, metrics, mirror, run, self_metrics,
                   snapshots, start, stop, subtree, wait_written, written)
from views_fixture import id_view  # noqa: F401 (fixture)

DIV = {"usage_usec": 1e6, "user_usec": 1e6, "system_usec": 1e6,
       "nice_usec": 1e6, "some.total": 1e6, "full.total": 1e6}


def burn(cg, seconds=0.3):
    """Run a busy loop in CG until it exits, so its counters stay put."""
    subprocess.run(["sh", "-c", f"echo $$ > {cg}/cgroup.procs; "
                    f"timeout {seconds} sh -c 'while :; do :; done'; true"],
                   check=True)


def keyed_lines(path):
    """{key: raw value} of a flat or nested keyed file as `cat` shows it."""
    out = {}
    for line in read(path).splitlines():
        key, *rest = line.split()
        if len(rest) == 1 and "=" not in rest[0]:
            out[key] = float(rest[0])
        for kv in rest:
            if "=" in kv:
                sub, v = kv.split("=")
                out[f"{key}.{sub}"] = float(v)
    return out


def stable(path, during):
    """The keys of PATH whose values were the same before and after DURING()."""
    before = keyed_lines(path)
    result = during()
    after = keyed_lines(path)
    return {k: v for k, v in before.items() if after.get(k) == v}, result


def test_values_equal_cat(tmp_path):
    out = tmp_path / "snap"
    with subtree("a", "a/b", "c") as top:
        burn(f"{top}/a/b")
        files = ["cpu.stat", "cgroup.stat", "cpu.pressure"]
        want, r = {}, None
        cat = {f: keyed_lines(f"{top}/a/b/{f}") for f in files}
        r = run("--once", "--root", top, "--output", f"file:{out}")
        for f in files:
            now = keyed_lines(f"{top}/a/b/{f}")
            want[f] = {k: v for k, v in cat[f].items() if now.get(k) == v}
        assert r.returncode == 0 and r.stderr == b""
        [snap] = snapshots(out.read_bytes())
        cgs = by_path(snap)
        assert sorted(cgs) == sorted(hier(f"{top}/{p}") for p in
                                     ["", "a", "a/b", "c"])
        for p, cg in cgs.items():
            assert cg.id == os.stat(top + p[len(hier(top)):]).st_ino
        b = cgs[hier(f"{top}/a/b")]
        assert want["cpu.stat"]["usage_usec"] > 0
        assert len(want["cpu.stat"]) >= 3 and len(want["cgroup.stat"]) >= 2
        for f in files:
            got = metrics(snap, b, f)
            for key, raw in want[f].items():
                assert got[key].value == raw / DIV.get(key, 1), (f, key)
                assert got[key].known
        assert metrics(snap, b, "cpu.stat")["usage_usec"].type == 1  # COUNTER
        assert metrics(snap, b, "cpu.stat")["usage_usec"].unit == "seconds"
        assert metrics(snap, cgs[hier(top)], "cgroup.stat")[
            "nr_descendants"].value == 3
    u = os.uname()
    assert (snap.host, snap.kernel) == (u.nodename, u.release)
    assert abs(snap.time_unix_nano / 1e9 - time.time()) < 60
    self = self_metrics(snap)
    assert self["cgview_exporter_cgroups_read"] == 4
    assert self["cgview_exporter_scrapes_total"] == 1


def test_stdout_stream_and_default_root_is_the_cgroup2_mount():
    r = run("--once", "--output", "-")
    assert r.returncode == 0, r.stderr
    [snap] = snapshots(r.stdout)
    assert snap.cgroups[0].path == "/" and snap.cgroups[0].id == 1


def test_header_has_the_labels_and_the_machine_id():
    with subtree("a") as top:
        r = run("--once", "--root", top, "--output", "-", "--label",
                "region=eu-west", "--label", "instance=", "--label",
                "team=sre")
    assert r.returncode == 0 and r.stderr == b""
    [snap] = snapshots(r.stdout)
    assert [(l.name, l.value) for l in snap.labels] == [
        ("region", "eu-west"), ("team", "sre")]
    assert snap.host_id == open("/etc/machine-id").read().strip()
    assert snap.host == os.uname().nodename


def test_each_cgroup_has_the_start_of_its_series(tmp_path):
    """A cgroup of the first scrape starts with it; one that appears later
    starts at the scrape before it appeared; one made again under the same
    path (a new cgroup id) starts anew."""
    out = tmp_path / "snap"
    with subtree("a") as top:
        p = start("--root", top, "--interval", "100ms", "--output",
                  f"file:{out}")
        wait_written(p, out, 2)
        os.mkdir(f"{top}/b")
        wait_written(p, out, written(out) + 2)
        os.rmdir(f"{top}/a")
        os.mkdir(f"{top}/a")
        wait_written(p, out, written(out) + 2)
        stop(p)
    snaps = snapshots(out.read_bytes())
    ids, made_again = {}, False
    for k, snap in enumerate(snaps):
        for cg in snap.cgroups:
            if k == 0:
                assert cg.start_time_unix_nano == snap.time_unix_nano
            elif ids.get(cg.path, (None,))[0] == cg.id:
                assert cg.start_time_unix_nano == ids[cg.path][1]
            else:
                assert cg.start_time_unix_nano == \
                    snaps[k - 1].time_unix_nano, (k, cg.path)
                made_again |= cg.path in ids
            ids[cg.path] = (cg.id, cg.start_time_unix_nano)
    assert made_again and hier(f"{top}/b") in ids


def test_bpffs_mirror_files_belong_to_the_cgroup(id_view):
    with subtree("a", "a/b") as top:
        for cg in (f"{top}/a", f"{top}/a/b"):
            r = cgview("expose", id_view, rel(cg))
            assert r.returncode == 0, r.stderr
        r = run("--once", "--root", top, "--output", "-")
        assert r.returncode == 0 and r.stderr == b""
        snap = snapshots(r.stdout)[0]
        cgs = by_path(snap)
        for cg, level in ((f"{top}/a", 2), (f"{top}/a/b", 3)):
            text = read(mirror_path(cg, "id"))
            assert text == f"id {os.stat(cg).st_ino}\nlevel {level}\n"
            got = metrics(snap, cgs[hier(cg)], "bpf.id")
            assert got["id"].value == os.stat(cg).st_ino
            assert got["level"].value == level
            assert got["id"].name == "cgview_id_id" and got["id"].known
        assert metrics(snap, cgs[hier(top)], "bpf.id") == {}


def test_malformed_line_reported_once_rest_exported(tmp_path):
    out = tmp_path / "snap"
    with subtree("x") as top:
        mirror(tmp_path, f"{top}/x",
               {"bpf.stat": "anon 4096\nfile oops\nkernel 8192\n"})
        m = mirror(tmp_path, top, {"bpf.one": "123\n"})
        p = start("--root", top, "--mirror", m, "--interval", "100ms",
                  "--count", "3", "--output", f"file:{out}")
        assert p.wait(timeout=60) == 0
        _, err = stop(p)
    assert err == (f"cgview-exporter: {hier(top)}/x/bpf.stat:2: malformed "
                   "line skipped: the value is not a number\n")
    snaps = snapshots(out.read_bytes())
    assert len(snaps) == 3
    for snap in snaps:
        x = metrics(snap, by_path(snap)[f"{hier(top)}/x"], "bpf.stat")
        assert {k: m.value for k, m in x.items()} == {"anon": 4096,
                                                      "kernel": 8192}
        assert metrics(snap, by_path(snap)[hier(top)], "bpf.one")[
            "."].value == 123
    self = self_metrics(snaps[-1])
    assert self["cgview_exporter_parse_errors_total"] == len(snaps)


def test_unreadable_file_reported_once(tmp_path):
    out = tmp_path / "snap"
    # cgroup.kill is write-only; --files takes files with a schema
    (tmp_path / "kill.schema").write_text("file cgroup.kill\n. gauge 1 K\n")
    with subtree("a") as top:
        p = start("--root", top, "--files", "cgroup.kill,cpu.stat",
                  "--schemas", str(tmp_path),
                  "--interval", "100ms", "--count", "3", "--output",
                  f"file:{out}")
        assert p.wait(timeout=60) == 0
        _, err = stop(p)
    lines = err.splitlines()
    assert sorted(lines) == sorted(
        f"cgview-exporter: cannot read {hier(top)}{s}/cgroup.kill: Invalid "
        "argument (reported once)" for s in ("", "/a"))
    snaps = snapshots(out.read_bytes())
    assert len(snaps) == 3
    assert self_metrics(snaps[-1])[
        "cgview_exporter_read_errors_total"] == 2 * len(snaps)
    last = snaps[-1]
    assert "usage_usec" in metrics(last, by_path(last)[hier(top)], "cpu.stat")


def test_sigterm_finishes_the_cycle_and_schedule_does_not_drift(tmp_path):
    out = tmp_path / "snap"
    with subtree("a") as top:
        p = start("--root", top, "--interval", "100ms", "--output",
                  f"file:{out}")
        wait_written(p, out, 20)
        _, err = stop(p)
    assert p.returncode == 0 and err == ""
    times = [s.time_unix_nano / 1e9 for s in snapshots(out.read_bytes())]
    assert len(times) >= 20
    # on a fixed schedule snapshot k starts k intervals after the first,
    # give or take wake-up latency, whatever each scrape took
    late = [t - times[0] - k * 0.1 for k, t in enumerate(times)]
    assert min(abs(x) for x in late[-5:]) < 0.03, late


def test_malformed_histogram_dropped_whole_reported_once(tmp_path):
    """Bounds out of order: no partial histogram, no lone _sum; counted at
    each scrape, reported once."""
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "lat.schema").write_text(
        "file bpf.lat\nlat_ns histogram ns Latency\n"
        "lat_ns_sum counter ns Sum of latencies\ncalls counter 1 Calls\n")
    with subtree() as top:
        view = tmp_path / "mirror" / hier(top)[1:]
        view.mkdir(parents=True)
        (view / "bpf.lat").write_text(
            "calls 2\nlat_ns 1024=3 512=1 inf=0\nlat_ns_sum 30000\n")
        r = run("--count", "2", "--interval", "100ms", "--root", top,
                "--files", "cgroup.stat", "--mirror", str(tmp_path / "mirror"),
                "--schemas", str(schemas), "--output", "-")
    assert r.returncode == 0
    assert r.stderr.decode() == (
        f"cgview-exporter: {hier(top)}/bpf.lat:2: malformed line skipped: "
        "bucket bounds are not increasing\n")
    snaps = snapshots(r.stdout)
    for snap in snaps:
        got = metrics(snap, by_path(snap)[hier(top)], "bpf.lat")
        assert {k: m.value for k, m in got.items()} == {"calls": 2}
    self = self_metrics(snaps[-1])
    assert self["cgview_exporter_histograms_dropped_total"] == 2
    assert self["cgview_exporter_parse_errors_total"] == 2


def test_each_cgroup_has_its_own_histogram_whatever_its_neighbours(tmp_path):
    """Cgroups of one view whose histograms differ in bounds (a view
    loaded again with other buckets, mid-tree), one with the first
    buckets of another's, idle ones (all 0, or 0 after the first), one
    malformed between them: each cgroup's histogram is what its file
    says, scrape after scrape."""
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "lat.schema").write_text(
        "file bpf.lat\nlat_ns histogram ns Latency\n")
    files = {"a": "lat_ns 1024=3 2048=0 inf=0\n",
             "b": "lat_ns 1024=0 2048=5 4096=0 inf=2\n",
             "c": "lat_ns 1024=1 2048=2\n",
             "d": "lat_ns 1024=4 512=1 inf=0\n",
             "e": "lat_ns 1024=0 2048=0 inf=0\n",
             "f": "lat_ns 1024=0 2048=7 4096=0 inf=0\n",
             "g": "lat_ns 1024=0 2048=4 inf=0\n"}
    want = {"a": [(1024, 3), (2048, 3), (math.inf, 3)],
            "b": [(1024, 0), (2048, 5), (4096, 5), (math.inf, 7)],
            "c": [(1024, 1), (2048, 3), (math.inf, 3)],
            "e": [(1024, 0), (2048, 0), (math.inf, 0)],
            "f": [(1024, 0), (2048, 7), (4096, 7), (math.inf, 7)],
            "g": [(1024, 0), (2048, 4), (math.inf, 4)]}
    with subtree(*files) as top:
        for name, text in files.items():
            view = tmp_path / "mirror" / hier(f"{top}/{name}")[1:]
            view.mkdir(parents=True)
            (view / "bpf.lat").write_text(text)
        r = run("--count", "2", "--interval", "100ms", "--root", top,
                "--files", "cgroup.stat", "--mirror", str(tmp_path / "mirror"),
                "--schemas", str(schemas), "--output", "-")
        assert r.returncode == 0, r.stderr
        snaps = snapshots(r.stdout)
        assert len(snaps) == 2
        for snap in snaps:
            paths = by_path(snap)
            for name, buckets in want.items():
                h = metrics(snap, paths[hier(f"{top}/{name}")],
                            "bpf.lat")["lat_ns"]
                assert [(b.le * 1e9 if b.le != math.inf else b.le, b.count)
                        for b in h.buckets] == pytest.approx(buckets), name
            assert "lat_ns" not in metrics(snap, paths[hier(f"{top}/d")],
                                           "bpf.lat")


def test_log2_bounds_are_the_exact_powers_in_every_cgroup(tmp_path):
    """A view's log2 histogram counts whole ns, its bounds written as
    floor(2^e s in ns): the snapshot gives the exact powers 2^e s, in
    every cgroup, also when a histogram of another metric of the file
    comes between two of them, and when a cgroup's bounds are one ns off
    (not log2: given as written)."""
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "lat.schema").write_text(
        "file bpf.lat\nlat_ns histogram ns Latency\n"
        "size histogram 1 Sizes\n")
    log2 = "lat_ns 953=1 1907=2 3814=0 inf=0\nsize 100=1 1000=2 inf=0\n"
    files = {"a": log2, "b": log2.replace("1907", "1908"), "c": log2}
    want = {"a": [2 ** -20, 2 ** -19, 2 ** -18, math.inf],
            "b": [953e-9, 1908e-9, 3814e-9, math.inf],
            "c": [2 ** -20, 2 ** -19, 2 ** -18, math.inf]}
    with subtree(*files) as top:
        for name, text in files.items():
            view = tmp_path / "mirror" / hier(f"{top}/{name}")[1:]
            view.mkdir(parents=True)
            (view / "bpf.lat").write_text(text)
        r = run("--once", "--root", top, "--files", "cgroup.stat",
                "--mirror", str(tmp_path / "mirror"),
                "--schemas", str(schemas), "--output", "-")
    assert r.returncode == 0, r.stderr
    [snap] = snapshots(r.stdout)
    paths = by_path(snap)
    for name, bounds in want.items():
        got = metrics(snap, paths[hier(f"{top}/{name}")], "bpf.lat")
        assert [b.le for b in got["lat_ns"].buckets] == bounds, name
        assert [b.count for b in got["lat_ns"].buckets] == [1, 3, 3, 3]
        assert [(b.le, b.count) for b in got["size"].buckets] == [
            (100, 1), (1000, 3), (math.inf, 3)], name
