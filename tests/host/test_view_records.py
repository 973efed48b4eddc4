"""Views with records (views/view.bpf.h, CGVIEW_RECORD) in the bulk read:
cgview-exporter takes their numbers from one walk of each view's bulk
program instead of reading each bpf.* file, and the snapshot is the one
their text gives (stock mode on the host's kernel)."""

import contextlib
import fcntl
import os
import signal
import subprocess
import time

import pytest

from bulkcmp import EXPORTER, decode, self_metric, view_compare, \
    view_scrape as scrape, wait_written, written
from cgtest import PIN_ROOT, REPO, cgroup2_root, cgview, cpu_hogs, hier, \
    mirror_path, read, rel
from views_fixture import bpf_ok  # noqa: F401 (fixture)

VIEWS = ["sched_wait", "cpu", "id", "oom", "mem_events", "net", "io_latency"]


@pytest.fixture
def views(bpf_ok):
    r = cgview("load", *VIEWS)
    assert r.returncode == 0, r.stderr
    yield VIEWS
    for v in VIEWS:
        cgview("unload", v)


@contextlib.contextmanager
def tree(*names, exposed=VIEWS, bare=()):
    """A new cgroup with the cgroups NAMES below it, the views EXPOSED
    on each, and the cgroups BARE with none; removed after, deepest
    first."""
    top = os.path.join(cgroup2_root(), f"cgview-vr-{os.getpid()}")
    paths = [top] + [os.path.join(top, n) for n in names]
    for p in paths + [os.path.join(top, n) for n in bare]:
        os.mkdir(p)
    try:
        for p in paths:
            for v in exposed:
                r = cgview("expose", v, rel(p))
                assert r.returncode == 0, r.stderr
        yield top
    finally:
        for p in paths + [os.path.join(top, n) for n in bare]:
            for v in VIEWS:
                cgview("unexpose", v, rel(p))
        for p in reversed(paths + [os.path.join(top, n) for n in bare]):
            os.rmdir(p)


def test_records_give_what_the_text_gives(views):
    """Frozen tasks that ran and waited for a CPU: every key of every view
    is the same from the records as from the text, and all view files
    but the first of each view (read to learn the text's keys) came from
    records."""
    with tree("a", "a/b", "c") as top:
        recs, more = view_compare(top, [f"{top}/a/b", f"{top}/c"])
        assert {k[0] for k in recs} == \
            {hier(top)} | {hier(f"{top}/{d}") for d in ("a", "a/b", "c")}
    assert more == 3 * len(VIEWS)
    b = hier(f"{top}/a/b")
    assert recs[(b, "bpf.sched_wait", "wait_count", "")][0] > 0
    assert recs[(b, "bpf.cpu", "self_usage_ns", "")][0] > 0
    hist = recs[(b, "bpf.sched_wait", "wait_hist_ns", "")]
    assert len(hist[3]) == 22 and hist[3][-1] == (float("inf"), hist[0])
    assert recs[(b, "bpf.io_latency", "latency_hist_ns", "")][1]  # has_sum


def test_records_in_sessions_while_a_tenant_churns(views):
    """--bulk-chunk 2: each view's walk comes in sessions of two cgroups
    while a tenant makes and removes cgroups among them; every id is the
    cgroup's inode number and the exporter reports no failed walk."""
    names = [f"p{i}" for i in range(3)] + \
        [f"p{i}/c{j}" for i in range(3) for j in range(3)]
    with tree(*names) as top:
        churn = subprocess.Popen(
            ["sh", "-c", f"while :; do for i in 0 1 2; do "
             f"mkdir {top}/p$i/x 2>/dev/null; rmdir {top}/p$i/x "
             "2>/dev/null; done; done"], start_new_session=True)
        try:
            for _ in range(5):
                recs, _ = scrape(top, "--bulk-chunk", "2")
                for n in [""] + names:
                    p = os.path.join(top, n) if n else top
                    assert recs[(hier(p), "bpf.id", "id", "")][0] == \
                        os.stat(p).st_ino
        finally:
            os.killpg(churn.pid, signal.SIGKILL)  # and its mkdir, rmdir
            churn.wait()
            for i in range(3):
                if os.path.isdir(f"{top}/p{i}/x"):
                    os.rmdir(f"{top}/p{i}/x")


def test_a_view_another_walker_holds_is_read_from_its_files(views):
    """Another reader has the view's records (flock on its pin directory):
    the exporter reads that view's files instead, with the same values."""
    with tree("a") as top:
        free, free_bulk = scrape(top)
        d = os.open(f"{PIN_ROOT}/views/id", os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(d, fcntl.LOCK_EX)
            held, held_bulk = scrape(top)
        finally:
            os.close(d)
    assert free_bulk - held_bulk == 1  # a/'s bpf.id: from its file
    for k in ((hier(top), "bpf.id", "id", ""),
              (hier(f"{top}/a"), "bpf.id", "id", "")):
        assert held[k] == free[k]


def two_scrapes(top, out):
    """Two --read bulk snapshots of TOP (cgroup.stat and the views): the
    exporter's stderr and the snapshots."""
    r = subprocess.run([EXPORTER, "--read", "bulk", "--root", top, "--count",
                        "2", "--interval", "10ms", "--files", "cgroup.stat",
                        "--output", f"file:{out}"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    snaps = decode(out.read_bytes())
    assert len(snaps) == 2
    return r.stderr, snaps


def ids_and_bulk(snap):
    """{cgroup path: bpf.id's id} of SNAP, and how many of its files came
    from records."""
    return ({cg.path: s.value for cg in snap.cgroups for f in cg.files
             if f.name == "bpf.id" for s in f.samples
             if snap.metrics[s.metric].key == "id"},
            self_metric(snap, "cgview_exporter_files_bulk"))


def test_a_view_an_older_cgview_loaded_is_read_from_its_files(views,
                                                              tmp_path):
    """The id view as one built before the bulk walk resumed by cgroup id
    (build/tests/old/id.bpf.o: its bulk program says SEEN, as those
    views did): an exporter's scrapes read its files, it says once what to do,
    and the values are those of the view loaded again."""
    assert cgview("unload", "id").returncode == 0
    r = cgview("load", os.path.join(REPO, "build", "tests", "old",
                                    "id.bpf.o"))
    assert r.returncode == 0, r.stderr
    with tree("a", "a/b") as top:
        err, old = two_scrapes(top, tmp_path / "old")
        assert cgview("unload", "id").returncode == 0
        assert cgview("load", "id").returncode == 0
        for d in ("", "/a", "/a/b"):
            assert cgview("expose", "id", rel(top + d)).returncode == 0
        again_err, again = two_scrapes(top, tmp_path / "again")
        ino = os.stat(top).st_ino
    said = "bulk read: the records of bpf.id: an older cgview loaded it; " \
        "`cgview load` it again; it is read per file (reported once)"
    assert err.count(said) == 1, err
    assert "records of" not in err.replace(said, "") + again_err
    for (ids, bulk), (ids2, bulk2), id_records in zip(
            map(ids_and_bulk, old), map(ids_and_bulk, again), (2, 3)):
        assert ids == ids2 and len(ids) == 3
        assert ids[hier(top)] == ino
        # the other views' files alike; the three bpf.id files from their
        # files, where the view loaded again gives them from records: all
        # but the first in the first scrape (read to learn its keys)
        assert bulk2 - bulk == id_records, (bulk2, bulk)


def cpu_files(snap):
    """{cgroup path: self_usage_ns} of the snapshot's bpf.cpu files"""
    return {cg.path: s.value for cg in snap.cgroups for f in cg.files
            if f.name == "bpf.cpu" for s in f.samples
            if snap.metrics[s.metric].key == "self_usage_ns"}


def starts(snap):
    """{cgroup path: (the cgroup's start, its bpf.cpu file's start)}"""
    return {cg.path: (cg.start_time_unix_nano, f.start_time_unix_nano)
            for cg in snap.cgroups for f in cg.files if f.name == "bpf.cpu"}


def test_views_exposed_and_loaded_again_while_the_exporter_runs(
        views, tmp_path):
    """A running exporter, scraping every second, keeps its scan of the
    mirror and its views' programs between scrapes: a view exposed on one
    more cgroup, then unloaded and loaded again (its counts start from
    0), shows in the scrapes after each change as cgview left it, from
    the program loaded then, never from the one before; and its series
    start again when it was loaded, while its cgroups' start stays."""
    out = tmp_path / "snap"

    def snaps():
        return decode(out.read_bytes())

    with tree("a", exposed=["cpu"], bare=["b"]) as top:
        a = f"{top}/a"
        with cpu_hogs(a, n=1):
            while "self_usage_ns 0\n" in read(mirror_path(a, "cpu")):
                time.sleep(0.01)  # until the hog ran
        p = subprocess.Popen([EXPORTER, "--read", "bulk", "--root", top,
                              "--interval", "1s", "--output",
                              f"file:{out}"], stderr=subprocess.PIPE)
        try:
            wait_written(p, out, 3)  # the mirror's scan is kept from now
            assert cgview("expose", "cpu", rel(f"{top}/b")).returncode == 0
            k = written(out)
            wait_written(p, out, k + 2)
            exposed = cpu_files(snaps()[k + 1])
            assert cgview("unload", "cpu").returncode == 0
            t_load = time.time_ns()
            assert cgview("load", "cpu").returncode == 0
            t_loaded = time.time_ns()
            for cg in (top, a):
                assert cgview("expose", "cpu", rel(cg)).returncode == 0
            k = written(out)
            wait_written(p, out, k + 2)
            again = cpu_files(snaps()[k + 1])
            first, last = starts(snaps()[1]), starts(snaps()[k + 1])
        finally:
            p.send_signal(signal.SIGTERM)
            assert p.wait(timeout=30) == 0
        before = cpu_files(snaps()[1])
    assert set(before) == {hier(top), hier(a)} and before[hier(a)] > 0
    assert set(exposed) == {hier(top), hier(a), hier(f"{top}/b")}
    assert exposed[hier(a)] >= before[hier(a)]
    assert again == {hier(top): 0, hier(a): 0}
    assert b"records of" not in p.stderr.read()
    # loaded before the exporter started: the cgroup's start (file: 0)
    assert first[hier(a)][1] == 0 and first[hier(a)][0] > 0
    assert last[hier(a)][0] == first[hier(a)][0]
    assert t_load - 1e6 <= last[hier(a)][1] <= t_loaded + 1e6


def test_a_pin_removed_by_hand_loses_only_its_file(views, tmp_path):
    """A mirror pin removed by hand (not by cgview: the exporter keeps its
    scan of the mirror up to a minute): the cgroup's other files stay in
    every scrape; only the removed file is gone."""
    out = tmp_path / "snap"
    with tree("a", exposed=["cpu", "id"]) as top:
        a = f"{top}/a"
        p = subprocess.Popen([EXPORTER, "--read", "bulk", "--root", top,
                              "--views", "none", "--interval", "1s",
                              "--output", f"file:{out}"],
                             stderr=subprocess.PIPE)
        try:
            wait_written(p, out, 3)  # the scan is kept from now on
            os.unlink(mirror_path(a, "id"))
            k = written(out)
            wait_written(p, out, k + 2)
        finally:
            p.send_signal(signal.SIGTERM)
            assert p.wait(timeout=30) == 0
        last = decode(out.read_bytes())[k + 1]
    files = {cg.path: {f.name for f in cg.files} for cg in last.cgroups}
    assert "bpf.cpu" in files[hier(a)] and "cpu.stat" in files[hier(a)]
    assert "bpf.id" not in files[hier(a)]
    assert "bpf.id" in files[hier(top)]
