"""What bench/exporter-cost and bench/peers share: the tree of cgroups they
measure on, the bare read loop (build/bench/bare_scrape), cgview-exporter's
CPU per scrape, CPU time of another process's tasks, and the figures file
bench/plot draws (one line per path or peer and cgroup count).
"""
import glob
import os
import statistics
import subprocess
import tempfile
import sys
import time

TOP = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
EXPORTER = os.path.join(TOP, "build", "cgview-exporter")
BARE = os.path.join(TOP, "build", "bench", "bare_scrape")
DATDIR = os.path.join(TOP, "build", "bench")

sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
from cgtest import cgroup2_root  # noqa: E402,F401 (the tests' own)


def cgroup1_root(controller):
    """The mount point of the v1 hierarchy that has CONTROLLER, or None."""
    with open("/proc/self/mounts") as f:
        for line in f:
            _, mnt, fstype, opts = line.split()[:4]
            if fstype == "cgroup" and controller in opts.split(","):
                return mnt
    return None


def standard_files():
    return sorted(os.path.basename(p)[:-7] for p in
                  glob.glob(os.path.join(TOP, "exporter", "schemas",
                                         "*.schema"))
                  if not p.endswith("/exporter.schema"))


def make_tree(top, n):
    """N cgroups below TOP: N/100 parents of 99 children each."""
    os.mkdir(top)
    for p in range(n // 100):
        os.mkdir(f"{top}/p{p:03d}")
        for c in range(99):
            os.mkdir(f"{top}/p{p:03d}/c{c:02d}")


def remove_tree(top):
    """Remove TOP and every cgroup below it, if it exists."""
    if not os.path.isdir(top):
        return
    for dirpath, _, _ in sorted(os.walk(top), key=lambda w: -len(w[0])):
        os.rmdir(dirpath)


def exporter_cpu(top, count, read="files", extra=(), mirror=False):
    """The exporter's CPU seconds for COUNT scrapes (--read READ; MIRROR:
    with cgview's bpffs mirror) and its peak RSS in KiB. The RSS is VmHWM,
    watched until it exits: wait4's ru_maxrss would be at least this
    script's own RSS, which the child's mm had until exec."""
    p = subprocess.Popen([EXPORTER, "--count", str(count), "--interval",
                          "10ms", "--root", top, "--read", read,
                          "--output", "file:/dev/null",
                          *(() if mirror else ("--mirror", "none")),
                          *extra])
    hwm = 0
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        hwm = max(hwm, peak_rss_kib(p.pid))
        time.sleep(0.01)
    p.returncode = os.waitstatus_to_exitcode(status)
    assert p.returncode == 0
    return ru.ru_utime + ru.ru_stime, hwm


def bare_cpu(top, count, files):
    """CPU seconds per walk of the bare loop and the files it read."""
    out = subprocess.run([BARE, top, str(count), *files], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[1])


def exporter_and_bare(top, scrapes, files, rounds, reads=("files",)):
    """Bare loop and exporter (each --read of READS), alternately ROUNDS
    times each: medians of CPU seconds per scrape, the files per scrape and
    the exporter's peak RSS in KiB; "exporter" and "rss_kib" are those of
    the first read, cpu_READ and rss_kib_READ each one's. The exporter's start
    is left out: (CPU of --count K+1) - (CPU of --count 1), over K."""
    bare, exp, rss = [], {r: [] for r in reads}, {r: [] for r in reads}
    for _ in range(rounds):
        cpu, nfiles = bare_cpu(top, scrapes, files)
        bare.append(cpu)
        for read in reads:
            many, maxrss = exporter_cpu(top, scrapes + 1, read)
            one, _ = exporter_cpu(top, 1, read)
            exp[read].append((many - one) / scrapes)
            rss[read].append(maxrss)
    out = {"bare": statistics.median(bare), "files": nfiles,
           "exporter": statistics.median(exp[reads[0]]),
           "rss_kib": max(rss[reads[0]])}
    for read in reads:
        out[f"cpu_{read}"] = statistics.median(exp[read])
        out[f"rss_kib_{read}"] = max(rss[read])
    return out


def bulk_lock_seconds(top, extra=()):
    """The bulk read's longest session in a scrape of TOP (the exporter's
    own metric): how long the kernel's cgroup lock was held."""
    import bulkcmp
    with tempfile.NamedTemporaryFile() as out:
        subprocess.run([EXPORTER, "--read", "bulk", "--count", "3",
                        "--interval", "10ms", "--root", top, "--mirror",
                        "none", "--output", f"file:{out.name}", *extra],
                       check=True)
        snap = bulkcmp.decode(open(out.name, "rb").read())[-1]
    return bulkcmp.self_metric(snap,
                               "cgview_exporter_bulk_lock_duration_seconds")


def cgview(*args):
    """Run build/cgview; it must succeed."""
    subprocess.run([os.path.join(TOP, "build", "cgview"), *args],
                   check=True, capture_output=True)


def tasks_cpu_ns(pid):
    """CPU time of every task (thread) of process PID, in ns (schedstat:
    the scheduler's sum_exec_runtime, not tick-sampled)."""
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(path) as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended
    return total


def peak_rss_kib(pid):
    """VmHWM of PID in KiB; 0 once it has exited."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def write_dat(name, rows, comment):
    """Write build/bench/NAME.dat for bench/plot: a '#' comment, then one
    line 'path-or-peer cgroups microseconds-per-cgroup' per row."""
    os.makedirs(DATDIR, exist_ok=True)
    path = os.path.join(DATDIR, name + ".dat")
    with open(path, "w") as f:
        f.write(f"# {comment}\n# name cgroups us_per_cgroup\n")
        for what, n, us in rows:
            f.write(f"{what} {n} {us:.2f}\n")
    print(f"figures in {path}")
