"""Stress: four workers for 60 s expose (directly and inherited), read,
unlink, unpin and re-pin the link in bpffs, and make and remove cgroups, at
random, over a handful of cgroups two levels deep, so that cgroups are made
under inherited parents. The debug kernel (KASAN, lockdep, kmemleak) judges
the races; the test checks that nothing is left: no files, no views in any
cgroup's query, no links, no programs."""

import json
import os
import random
import subprocess
import threading
import time

import bpfsys
from cgtest import cgroup2_root, cgview

LINK_PIN = "/sys/fs/bpf/cgview/views/id/link"
SECONDS = 60
WORKERS = 4


def bpf_objects(kind):
    r = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True,
                       text=True, check=True)
    return {o["id"] for o in json.loads(r.stdout or "[]")}


class Stress:
    def __init__(self, root, link_fd):
        tops = [os.path.join(root, f"c{i}") for i in range(3)]
        self.dirs = tops + [os.path.join(t, f"d{i}") for t in tops
                            for i in range(2)]
        self.fd = link_fd
        self.ops = 0

    def files(self):
        return [os.path.join(d, "bpf.id") for d in self.dirs]

    def one(self, rng):
        d = rng.choice(self.dirs)
        f = os.path.join(d, "bpf.id")
        op = rng.choice(("expose", "inherit", "read", "read", "unlink",
                         "unpin", "pin", "mkdir", "mkdir", "rmdir"))
        if op == "expose":
            bpfsys.obj_pin(self.fd, f)
        elif op == "inherit":
            bpfsys.pin(self.fd, f, bpfsys.BPF_F_VIEW_INHERIT)
        elif op == "read":
            with open(f) as fh:
                fh.read()
        elif op == "unlink":
            os.unlink(f)
        elif op == "unpin":
            os.unlink(LINK_PIN)
        elif op == "pin":
            bpfsys.obj_pin(self.fd, LINK_PIN)
        elif op == "mkdir":
            os.mkdir(d)
        else:
            os.rmdir(d)

    def worker(self, seed, deadline):
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            try:
                self.one(rng)
                self.ops += 1
            except OSError:
                pass  # the race went the other way


def test_random_expose_read_unlink_unpin_mkdir_rmdir():
    links, progs = bpf_objects("link"), bpf_objects("prog")
    root = os.path.join(cgroup2_root(), "cgview-stress")
    os.mkdir(root)
    assert cgview("load", "id").returncode == 0
    fd = bpfsys.obj_get(LINK_PIN)
    stress = Stress(root, fd)
    deadline = time.monotonic() + SECONDS
    threads = [threading.Thread(target=stress.worker, args=(i, deadline))
               for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert stress.ops > 1000
    if os.path.exists(LINK_PIN):
        os.unlink(LINK_PIN)
    assert [f for f in stress.files() if os.path.exists(f)] == []
    assert [bpfsys.query_views(d)["count"] for d in stress.dirs
            if os.path.exists(d)] == [0] * sum(map(os.path.exists,
                                                   stress.dirs))
    assert bpfsys.link_info(fd)["exposures"] == 0
    os.close(fd)
    assert cgview("unload", "id").returncode == 0
    for d in reversed(stress.dirs):
        if os.path.exists(d):
            os.rmdir(d)
    os.rmdir(root)
    # links and programs are freed after an RCU grace period or two
    for _ in range(50):
        if (bpf_objects("link"), bpf_objects("prog")) == (links, progs):
            break
        time.sleep(0.2)
    assert bpf_objects("link") == links
    assert bpf_objects("prog") == progs
