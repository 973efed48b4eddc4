"""cgview top on the running kernel (stock mode): its batch mode against
two CPU hogs in one cgroup and an idle sibling, with sched_wait exposed on
both, and its screen driven in tmux the way a person would (keys to sort,
make a tree, filter and quit; capture-pane is what they would see)."""

import contextlib
import os
import re
import subprocess
import uuid

import pytest

from cgtest import CGVIEW, cgroup, cgview, cpu_hogs, hier, rel
from views_fixture import bpf_ok  # noqa: F401 (fixture)
from workloads import wait_until

UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1, "B": 1, "K": 2 ** 10,
         "M": 2 ** 20, "G": 2 ** 30}


def number(cell):
    """A cell as a float (seconds, bytes, percent), None for "-"."""
    if cell == "-":
        return None
    m = re.fullmatch(r"([0-9.e+]+)([a-zA-Z]*)", cell)
    assert m, cell
    return float(m[1]) * UNITS.get(m[2], 1)


def tables(out):
    """Each table of top -b: [{"CGROUP": path, title: value, ...}] in the
    order printed (the paths here have no spaces)."""
    got = []
    for block in out.strip("\n").split("\n\n"):
        head, *lines = block.splitlines()
        titles = head.split()[1:]
        rows = []
        for line in lines:
            path, *cells = line.split()
            assert len(cells) == len(titles), line
            rows.append({"CGROUP": path,
                         **dict(zip(titles, map(number, cells)))})
        got.append(rows)
    return got


@contextlib.contextmanager
def busy_and_idle():
    """A cgroup with "busy" (two hogs sharing one CPU) and "idle" below
    it, sched_wait loaded and exposed on all three."""
    r = cgview("load", "sched_wait")
    assert r.returncode == 0, r.stderr
    try:
        with cgroup("top") as top, cgroup("busy", top) as busy, \
                cgroup("idle", top) as idle:
            r = cgview("expose", "--inherit", "sched_wait", rel(top))
            assert r.returncode == 0, r.stderr
            with cpu_hogs(busy):
                yield top, busy, idle
            cgview("unexpose", "--inherit", "sched_wait", rel(top))
    finally:
        cgview("unload", "sched_wait")


def top_batch(*args):
    return subprocess.run([CGVIEW, "top", "-b", *args], capture_output=True,
                          text=True, timeout=60)


def test_batch_shows_the_busy_cgroup_first_and_its_idle_sibling_at_zero(
        bpf_ok):
    with busy_and_idle() as (top, busy, idle):
        r = top_batch("-n", "2", "-d", "0.5", rel(top))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    got = tables(r.stdout)
    assert len(got) == 2
    for rows in got:
        order = [x["CGROUP"] for x in rows]
        assert order.index(hier(busy)) < order.index(hier(idle))
        by = {x["CGROUP"]: x for x in rows}
        assert set(by) == {hier(top), hier(busy), hier(idle)}
        b, i = by[hier(busy)], by[hier(idle)]
        # two hogs on one CPU: about one CPU busy, one of them waiting
        assert 20 < b["CPU%"] < 150, b
        assert 0.2 < b["WAIT/s"] <= 2.05, b
        assert 0 < b["WAIT99"] <= 1, b
        assert (i["CPU%"], i["WAIT/s"], i["WAIT99"]) == (0, 0, None), i
        assert by[hier(top)]["CPU%"] >= b["CPU%"] * 0.9


def test_batch_tree_sorted_by_path_and_filtered(bpf_ok):
    with busy_and_idle() as (top, busy, idle):
        tree = top_batch("-n", "1", "--tree", "-s", "path", rel(top))
        only = top_batch("-n", "1", "--filter", "idle", "-s", "wait",
                         rel(top))
    assert tree.returncode == 0 and tree.stderr == "", tree.stderr
    names = [line.split()[0] for line in tree.stdout.splitlines()[1:]]
    indent = [len(line) - len(line.lstrip())
              for line in tree.stdout.splitlines()[1:]]
    assert names == [hier(top), os.path.basename(busy),
                     os.path.basename(idle)]
    assert indent == [0, 2, 2]
    assert only.returncode == 0, only.stderr
    assert [line.split()[0] for line in only.stdout.splitlines()[1:]] == \
        [hier(idle)]


@pytest.mark.parametrize("args,why", [
    (["-b", "-s", "bogus"], "-s takes cpu, wait, mem, io, net, oom or path, "
                            "not 'bogus'"),
    (["-b", "-d", "0.01"], "-d takes seconds from 0.1 to 3600, not '0.01'"),
    (["-b", "-d", "1x"], "-d takes seconds from 0.1 to 3600, not '1x'"),
    (["-b", "-n", "0"], "-n takes a count of tables from 1, not '0'"),
    (["-b", "-n", "-3"], "-n takes a count of tables from 1, not '-3'"),
    (["-n", "1"], "-n goes with -b"),
])
def test_bad_options_are_usage_errors(args, why):
    r = subprocess.run([CGVIEW, "top", *args], capture_output=True,
                       text=True)
    assert r.returncode == 2
    assert r.stderr == f"cgview: top: {why}\nrun 'cgview help' for usage\n"
    assert r.stdout == ""


def test_top_options_go_with_top_only():
    r = cgview("ls", "-b")
    assert r.returncode == 2
    assert r.stderr.startswith("cgview: -b, -n, -d, -s, --reverse, --tree "
                               "and --filter go with top, not ls\n")


def test_no_such_cgroup_and_no_terminal_fail_with_the_reason():
    r = top_batch("-n", "1", "cgview-no-such-cgroup")
    assert r.returncode == 1 and r.stdout == ""
    assert "no cgroup 'cgview-no-such-cgroup'" in r.stderr
    r = subprocess.run([CGVIEW, "top"], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    assert r.stderr == ("cgview: top wants a terminal; -b prints plain "
                        "text\n")


@contextlib.contextmanager
def tmux(command, width=140, height=30):
    """COMMAND on a tmux screen of its own; yields (screen(), keys(...),
    wait_exit()) where wait_exit gives COMMAND's exit status."""
    name = f"cgview-top-{uuid.uuid4().hex[:8]}"
    status = f"/tmp/{name}.status"
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x",
                    str(width), "-y", str(height),
                    f"{command}; echo $? > {status}.new; "
                    f"mv {status}.new {status}"], check=True)

    def screen():
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", name],
                              check=True, capture_output=True,
                              text=True).stdout

    def keys(*k):
        subprocess.run(["tmux", "send-keys", "-t", name, *k], check=True)

    def wait_exit():
        wait_until(lambda: os.path.exists(status), what=f"{command} exits")
        with open(status) as f:
            return int(f.read())

    try:
        yield screen, keys, wait_exit
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name],
                       capture_output=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(status)


def rows_on(screen, top):
    """The rows of the table on SCREEN below TOP's name: first words."""
    lines = screen.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("CGROUP"))
    return [line.split()[0] for line in lines[i + 1:] if line.strip()]


def test_the_screen_sorts_makes_a_tree_filters_and_quits(bpf_ok):
    with busy_and_idle() as (top, busy, idle), \
            tmux(f"{CGVIEW} top -d 0.3 {rel(top)}") as (screen, keys, wait):
        wait_until(lambda: hier(busy) in screen(), what="busy on screen")
        s = screen()
        assert s.startswith(f"cgview top  {rel(top)}  3/3 cgroups  every "
                            "0.3s  sort CPU%  flat")
        header = next(line for line in s.splitlines()
                      if line.startswith("CGROUP"))
        assert header.split()[:4] == ["CGROUP", "CPU%", "WAIT/s", "WAIT99"]
        # by CPU: the busy cgroup (or their parent, with the same CPU)
        # before the idle one
        assert rows_on(s, top).index(hier(busy)) < \
            rows_on(s, top).index(hier(idle))
        keys("p")
        wait_until(lambda: "sort path" in screen(), what="sorted by path")
        assert rows_on(screen(), top) == [hier(top), hier(busy), hier(idle)]
        keys("t")
        wait_until(lambda: "path  tree" in screen(), what="a tree")
        assert rows_on(screen(), top) == [hier(top), os.path.basename(busy),
                                          os.path.basename(idle)]
        keys("/", "idle", "Enter")
        wait_until(lambda: "filter: idle" in screen(), what="filtered")
        assert "1/3 cgroups" in screen()
        assert rows_on(screen(), top) == [os.path.basename(idle)]
        keys("q")
        assert wait() == 0


def test_a_tenants_cgroup_name_cannot_drive_the_terminal_or_split_lines():
    """Cgroups named with escape sequences (ESC, and the C1 CSI byte), a
    tab, a space and UTF-8: each byte outside printable ASCII and the space
    shown as \\xNN, one line, one path field; a name that spells such an
    escape keeps apart ("\\x5c" for its backslash: \\xHH reads as a byte
    for those bytes and the backslash only), while systemd's own "\\x2d"
    stays as it is. (cgroupfs refuses a newline in a name.)"""
    names = {b"a b\x1b[2J\tc\xc3\xa9\x9b":
             "a\\x20b\\x1b[2J\\x09c\\xc3\\xa9\\x9b",
             b"a\\x20b": "a\\x5cx20b",
             b"x\\x2dy": "x\\x2dy",
             b"z\\\\x9b": "z\\\\x5cx9b",
             b"\\x5c": "\\x5cx5c"}
    with cgroup("top") as top:
        for name in names:
            os.mkdir(os.path.join(top.encode(), name))
        try:
            r = subprocess.run([CGVIEW, "top", "-b", "-n", "1", "-d", "0.2",
                                "-s", "path", rel(top)], capture_output=True,
                               timeout=60)
        finally:
            for name in names:
                os.rmdir(os.path.join(top.encode(), name))
    assert r.returncode == 0, r.stderr
    assert b"\x1b" not in r.stdout and b"\x9b" not in r.stdout
    lines = r.stdout.decode("ascii").splitlines()
    assert len(lines) == 2 + len(names)
    shown = {line.split()[0] for line in lines[2:]}
    assert shown == {f"{hier(top)}/{v}" for v in names.values()}
