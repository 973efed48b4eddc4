"""Cgroups created and removed while the exporter takes 300 snapshots,
one every 100 ms: no crash, no error output, every snapshot whole, RSS
stable."""

import os
import random
import threading
import time
import urllib.request

from exlib import (free_port, hier, rm_tree, self_metrics, snapshots, start,
                   stop, subtree, wait_written, written)

STANDARD = {"cgroup.stat", "cpu.stat", "cpu.pressure"}


def churn(top, done):
    """Make and remove small cgroup trees below TOP until DONE is set."""
    rnd = random.Random(1)
    made = 0
    while not done.is_set():
        d = os.path.join(top, f"c{rnd.randrange(8)}")
        try:
            if os.path.exists(d):
                rm_tree(d)
            else:
                os.makedirs(os.path.join(d, "x", "y"))
                made += 1
        except OSError:
            pass
        time.sleep(rnd.random() * 0.005)
    return made


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])


def test_churn(tmp_path):
    out = tmp_path / "snap"
    port = free_port()
    with subtree("fixed") as top:
        p = start("--root", top, "--interval", "100ms", "--count", "300",
                  "--output", f"file:{out}", "--listen", f"127.0.0.1:{port}")
        done = threading.Event()
        made = []
        t = threading.Thread(target=lambda: made.append(churn(top, done)))
        t.start()
        try:
            wait_written(p, out, 50)
            early = rss_kib(p.pid)
            while written(out) < 280:
                assert p.poll() is None, "the exporter exited"
                urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/metrics").read()
                time.sleep(0.5)  # a scraper's pace, not a count
            late = rss_kib(p.pid)
            assert p.wait(timeout=120) == 0
        finally:
            done.set()
            t.join()
            _, err = stop(p)
    assert err == ""
    assert made[0] > 100
    snaps = snapshots(out.read_bytes())
    assert len(snaps) == 300
    for snap in snaps:
        paths = [cg.path for cg in snap.cgroups]
        assert hier(top) in paths and f"{hier(top)}/fixed" in paths
        for cg in snap.cgroups:  # a vanished cgroup is left out, not half
            assert STANDARD <= {f.name for f in cg.files}, cg.path
    assert late - early < 1024, (early, late)
    vanished = self_metrics(snaps[-1])[
        "cgview_exporter_cgroups_vanished_total"]
    print(f"rss {early} -> {late} KiB, {made[0]} trees made, "
          f"{vanished:.0f} cgroups vanished during walks")
