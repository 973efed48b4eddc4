"""The bulk read (--read bulk: one BPF cgroup_iter walk) gives the snapshot
the per-file walk gives, on real cgroups of the host (stock kernel)."""

import os
import signal
import subprocess
import time

from bulkcmp import bulk_files, compare, frozen, scrape
from exlib import hier, self_metrics, snapshots, start, stop, subtree

# what the host's cgroup v2 hierarchy has (a hybrid host: its controllers
# are in v1, so the core files): the VM tier covers memory, pids and cpu
COVERED = {"cpu.stat", "cpu.stat.local", "cgroup.stat", "cpu.pressure",
           "io.pressure", "memory.pressure"}


def test_bulk_equals_files_on_frozen_tree():
    with subtree("a", "a/b", "c") as top:
        with frozen(top, [f"{top}/a/b", f"{top}/c"]):
            compared = compare(top, COVERED)
    keys = {(p, f, k) for p, f, k, _ in compared}
    for cg in ("a/b", "c"):
        assert (hier(f"{top}/{cg}"), "cpu.stat", "usage_usec") in keys
        assert (hier(f"{top}/{cg}"), "cpu.stat", "user_usec") in keys
    assert (hier(top), "cgroup.stat", "nr_descendants") in keys


def test_bulk_in_chunks_equals_files():
    """--bulk-chunk 4: the walk comes in runs of four cgroups, each
    starting where the one before stopped (at a leaf, at a parent, at the
    next subtree)."""
    names = [f"p{i}" for i in range(3)] + \
        [f"p{i}/c{j}" for i in range(3) for j in range(4)]
    with subtree(*names) as top:
        compared = compare(top, COVERED, "--bulk-chunk", "4")
    paths = {p for p, _, _, _ in compared}
    assert paths == {hier(top)} | {hier(f"{top}/{n}") for n in names}


def test_bulk_cpu_time_is_what_cat_shows():
    with subtree("a") as top:
        with frozen(top, [f"{top}/a"]):
            bulk, _ = scrape(top, "bulk")
            cat = dict(line.split() for line in
                       open(f"{top}/a/cpu.stat").read().splitlines())
    path = hier(f"{top}/a")
    assert int(cat["usage_usec"]) > 0
    for key in ("usage_usec", "user_usec", "system_usec", "nice_usec"):
        [v] = [v[0] for k, v in bulk.items()
               if k[:3] == (path, "cpu.stat", key)]
        assert v == int(cat[key]) / 1e6, key


def test_bulk_pressure_of_a_group_gone_idle_is_what_cat_shows():
    """Once a group's tasks are gone, the kernel stops its PSI averaging
    work and its averages stay where that work left them until the file is
    read (which decays them first): the bulk read then reads that file,
    and gives what cat gives, not the averages of the last busy moment."""
    with subtree("a") as top:
        subprocess.run(["sh", "-c", f"echo $$ > {top}/a/cgroup.procs; "
                        "exec timeout 2 sh -c 'for i in 1 2 3 4; do "
                        "(while :; do :; done) & done; wait'"])
        deadline = time.monotonic() + 60
        while True:  # until the work stopped in a and in top (one may stop
            # a moment before the other): their cpu.pressure read per file
            files, read, from_bulk = bulk_files(top)
            if read - from_bulk == 2:
                break
            assert time.monotonic() < deadline, \
                f"{read - from_bulk} of a's and top's cpu.pressure per file"
            time.sleep(0.1)
        keys = [(hier(f"{top}/a"), "cpu.pressure", f"some.avg{w}", "")
                for w in (10, 60, 300)]
        while True:  # files, bulk, files again, with no update in between
            first, _ = scrape(top, "files")
            bulk, _ = scrape(top, "bulk")
            again, _ = scrape(top, "files")
            if all(first[k] == again[k] for k in keys):
                break
        assert first[keys[1]][0] > 0.01  # 60 s average of 4 tasks on 2 CPUs
        assert [bulk[k] for k in keys] == [first[k] for k in keys]


def test_read_mode_errors():
    with subtree("a") as top:
        r = subprocess.run([bulkcmp_exporter(), "--read", "fast", "--root",
                            top, "--once", "--output", "-"],
                           capture_output=True)
        assert r.returncode == 2
        assert b"--read 'fast': want auto, bulk or files" in r.stderr
        nobody = ["setpriv", "--reuid=65534", "--regid=65534",
                  "--clear-groups", "--inh-caps=-all", bulkcmp_exporter(),
                  "--root", top, "--once", "--output", "-"]
        r = subprocess.run(nobody + ["--read", "bulk"], capture_output=True)
        assert r.returncode == 1 and r.stdout == b""
        assert b"the bulk read does not load" in r.stderr
        assert b"use --read files" in r.stderr
        r = subprocess.run(nobody, capture_output=True)
        assert r.returncode == 0 and r.stdout
        assert b"reading each file instead" in r.stderr


def bulkcmp_exporter():
    from bulkcmp import EXPORTER
    assert os.access(EXPORTER, os.X_OK)
    return EXPORTER


def test_bulk_grows_past_its_slots():
    """1,500 cgroups: more than the array the program is first loaded with
    (1,344 slots), so the walk overflows once and is done again with a
    larger one; nothing is lost or doubled."""
    names = [f"p{i}" for i in range(15)] + \
        [f"p{i}/c{j}" for i in range(15) for j in range(99)]
    with subtree(*names) as top:
        files, read, from_bulk = bulk_files(top)
    paths = {p for p, _ in files}
    assert len(paths) == 1 + len(names)
    assert read == len(files) and from_bulk == read


def test_bulk_skips_what_the_files_walk_skips():
    """A tenant's tree deeper than PATH_MAX: the cgroups whose paths do not
    fit are left out by both reads alike, and the rest is the same."""
    long = "x" * 250
    with subtree("d") as top:
        fds = [os.open(f"{top}/d", os.O_RDONLY | os.O_DIRECTORY)]
        try:
            for _ in range(17):  # 17 * 251 bytes: past PATH_MAX (4096)
                os.mkdir(long, dir_fd=fds[-1])
                fds.append(os.open(long, os.O_RDONLY | os.O_DIRECTORY,
                                   dir_fd=fds[-1]))
            compared = compare(top, COVERED)
            lengths = {len(p) for p, _, _, _ in compared}
            assert max(lengths) < 4096 and len(lengths) > 10
        finally:
            for parent in reversed(fds[:-1]):
                os.close(fds.pop())
                os.rmdir(long, dir_fd=parent)
            os.close(fds.pop())


def test_bulk_follows_a_root_made_again(tmp_path):
    """--root removed and made again between two scrapes (a service that
    restarted): the second scrape reads the new cgroup, not the old one
    the iterator was attached to."""
    out = tmp_path / "snap"
    with subtree("svc", "svc/old") as top:
        root = f"{top}/svc"
        p = start("--read", "bulk", "--root", root, "--count", "2",
                  "--interval", "1s", "--output", f"file:{out}")
        try:
            while not out.exists() or not out.stat().st_size:
                time.sleep(0.01)  # the first snapshot is out
            os.rmdir(f"{root}/old")
            os.rmdir(root)
            os.mkdir(root)
            os.mkdir(f"{root}/new")
            assert p.wait(timeout=30) == 0
        finally:
            stop(p)
        first, second = snapshots(out.read_bytes())
    assert {c.path for c in first.cgroups} == {hier(root), hier(f"{root}/old")}
    assert {c.path for c in second.cgroups} == \
        {hier(root), hier(f"{root}/new")}


def test_bulk_sessions_under_a_tenant_churning_cgroups(tmp_path):
    """A tenant makes and removes cgroups as fast as it can while the bulk
    read walks in runs of one cgroup each, so that changes fall between
    runs, and a run's start is often one the tenant just removed: every
    snapshot lists each cgroup once, with its parent, from the bulk read
    (the exporter never falls back to reading each file), and the
    exporter keeps going."""
    out = tmp_path / "snap"
    with subtree(*[f"p{i}" for i in range(4)]) as top:
        churn = subprocess.Popen(
            ["sh", "-c", f"while :; do for i in 0 1 2 3; do "
             f"mkdir {top}/p$i/x 2>/dev/null; rmdir {top}/p$i/x "
             "2>/dev/null; done; done"], start_new_session=True)
        try:
            r = subprocess.run([bulkcmp_exporter(), "--read", "bulk",
                                "--bulk-chunk", "1", "--count", "50",
                                "--interval", "10ms", "--root", top,
                                "--output", f"file:{out}"],
                               capture_output=True, timeout=60)
        finally:
            os.killpg(churn.pid, signal.SIGKILL)  # and its mkdir, rmdir
            churn.wait()
        assert r.returncode == 0, r.stderr
        assert b"from now on" not in r.stderr, r.stderr
        snaps = snapshots(out.read_bytes())
    assert len(snaps) == 50
    for snap in snaps:
        paths = [c.path for c in snap.cgroups]
        assert len(paths) == len(set(paths))
        for p in paths:
            assert p == hier(top) or os.path.dirname(p) in paths
        assert {hier(top)} | {hier(f"{top}/p{i}") for i in range(4)} <= \
            set(paths)
        # the five cgroups' cgroup.stat at least, from the records
        assert self_metrics(snap)["cgview_exporter_files_bulk"] >= 5


def make_chain(parent, depth):
    """DEPTH cgroups named d below PARENT, each in the one before."""
    fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            below = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = below
    finally:
        os.close(fd)


def remove_chain(parent):
    """The chain of cgroups named d below PARENT, deepest first (its paths
    are longer than PATH_MAX: by directory descriptors)."""
    fds = [os.open(parent, os.O_RDONLY | os.O_DIRECTORY)]
    try:
        while True:
            try:
                fds.append(os.open("d", os.O_RDONLY | os.O_DIRECTORY,
                                   dir_fd=fds[-1]))
            except FileNotFoundError:
                break
        while len(fds) > 1:
            os.close(fds.pop())
            os.rmdir("d", dir_fd=fds[-1])
    finally:
        for fd in fds:
            os.close(fd)


def test_bulk_walks_on_past_a_chain_too_deep_to_climb():
    """A tenant nests 4,300 cgroups in a chain, before a sibling of its
    top: runs of 100 cgroups stop deeper in it than the 4,096 levels a run
    climbs to find the next subtree (views/walk.bpf.h), so the walk is
    done again in one run: the cgroup after the chain is in the snapshot,
    from the bulk read (the exporter never falls back to reading each
    file), and so is every cgroup of the chain whose path fits in 4,096
    bytes."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)),
                                                hard))
    with subtree("a", "z") as top:
        try:
            make_chain(f"{top}/a", 4300)
            r = subprocess.run([bulkcmp_exporter(), "--read", "bulk",
                                "--bulk-chunk", "100", "--once",
                                "--files", "cgroup.stat", "--root", top,
                                "--output", "-"],
                               capture_output=True, timeout=120)
        finally:
            remove_chain(f"{top}/a")
        assert r.returncode == 0, r.stderr
        assert b"from now on" not in r.stderr, r.stderr
        snap, = snapshots(r.stdout)
    paths = {c.path for c in snap.cgroups}
    assert {hier(top), hier(f"{top}/a"), hier(f"{top}/z")} <= paths
    fits = [hier(f"{top}/a" + "/d" * k) for k in range(1, 4300)
            if len(hier(f"{top}/a" + "/d" * k)) < 4000]
    assert len(fits) > 1900 and set(fits) <= paths
    assert self_metrics(snap)["cgview_exporter_files_bulk"] >= len(fits)

