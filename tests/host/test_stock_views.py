"""Stock mode on the running kernel: a view runs as a cgroup_iter pinned in
a bpffs mirror of the cgroup tree, and `cat` of the pin prints the view."""

import os
import time

from cgtest import REPO, cgroup, cgview, mirror_path, pins, read, rel
from views_fixture import bpf_ok, id_view  # noqa: F401 (fixtures)


def expected_id(cg, level):
    return f"id {os.stat(cg).st_ino}\nlevel {level}\n"


def test_exposed_view_prints_the_cgroups_id(id_view):
    with cgroup() as cg:
        r = cgview("expose", id_view, rel(cg))
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == mirror_path(cg, "id")
        assert read(mirror_path(cg, "id")) == expected_id(cg, 1)
        assert cgview("unexpose", id_view, rel(cg)).returncode == 0
        assert not os.path.exists(os.path.dirname(mirror_path(cg, "id")))


def test_dotted_names_are_mirrored_as_they_are(id_view):
    with cgroup("a.slice") as parent, cgroup("b.service", parent) as child:
        r = cgview("expose", id_view, child)  # absolute path works too
        assert r.returncode == 0, r.stderr
        assert read(mirror_path(child, "id")) == expected_id(child, 2)


def test_cat_runs_a_view_that_is_not_exposed(id_view):
    with cgroup() as cg:
        r = cgview("cat", rel(cg), id_view)
        assert r.returncode == 0, r.stderr
        assert r.stdout == expected_id(cg, 1)
    r = cgview("cat", "/", id_view)
    assert r.stdout == "id 1\nlevel 0\n"


def test_cat_of_an_exposed_view_reads_the_pin(id_view):
    with cgroup() as cg:
        cgview("expose", id_view, rel(cg))
        assert cgview("cat", rel(cg), id_view).stdout == expected_id(cg, 1)


def test_exposing_twice_fails_and_keeps_the_first(id_view):
    with cgroup() as cg:
        assert cgview("expose", id_view, rel(cg)).returncode == 0
        r = cgview("expose", id_view, rel(cg))
        assert r.returncode == 1
        assert "already exposed" in r.stderr
        assert read(mirror_path(cg, "id")) == expected_id(cg, 1)


def test_unload_removes_every_exposure(id_view):
    with cgroup() as a, cgroup() as b:
        cgview("expose", id_view, rel(a))
        cgview("expose", id_view, rel(b))
        assert cgview("unload", id_view).returncode == 0
        assert pins() == ["/sys/fs/bpf/cgview/cgroups"]


def test_errors_say_what_to_do(id_view):
    r = cgview("expose", "nosuchview", "/")
    assert (r.returncode, "unknown view 'nosuchview' (known views: cpu id "
            "io_latency mem_events net oom sched_wait)") == \
        (1, r.stderr.strip().removeprefix("cgview: "))
    r = cgview("expose", id_view, "no/such/cgroup")
    assert r.returncode == 1 and "no cgroup 'no/such/cgroup'" in r.stderr
    r = cgview("unexpose", id_view, "/")
    assert r.returncode == 1 and "not exposed" in r.stderr
    cgview("unload", id_view)
    with cgroup() as cg:
        r = cgview("expose", id_view, rel(cg))
        assert r.returncode == 1
        assert "run 'cgview load id' first" in r.stderr
        assert not os.path.exists(mirror_path(cg, "id"))


def test_sched_wait_shows_runqueue_wait_of_busy_cgroup_only(bpf_ok):
    from cgtest import cpu_hogs, keyed
    assert cgview("load", "sched_wait").returncode == 0
    try:
        with cgroup("busy") as busy, cgroup("idle") as idle:
            with cpu_hogs(busy):
                got = keyed(cgview("cat", rel(busy), "sched_wait").stdout)
                while got["wait_count"] < 10:  # until the hogs waited
                    time.sleep(0.01)
                    got = keyed(cgview("cat", rel(busy),
                                       "sched_wait").stdout)
            assert got["wait_total_ns"] >= got["wait_max_ns"] > 0
            after = keyed(cgview("cat", rel(busy), "sched_wait").stdout)
            assert sum(after["wait_hist_ns"].values()) == after["wait_count"]
            idle_got = keyed(cgview("cat", rel(idle), "sched_wait").stdout)
            assert idle_got.pop("wait_hist_ns") == \
                dict.fromkeys(got["wait_hist_ns"], 0)
            assert idle_got == \
                {"wait_count": 0, "wait_total_ns": 0, "wait_max_ns": 0}
    finally:
        cgview("unload", "sched_wait")


def test_view_from_an_object_file_loads_under_its_name(bpf_ok):
    big = os.path.join(REPO, "build", "tests", "big.bpf.o")
    r = cgview("load", big)
    assert r.returncode == 0, r.stderr
    try:
        with cgroup() as cg:
            assert cgview("expose", "big", rel(cg)).returncode == 0
            text = read(mirror_path(cg, "big"))
            assert text.splitlines()[-1] == "line 999 of 1000"
    finally:
        assert cgview("unload", "big").returncode == 0
    r = cgview("expose", "big", "/")
    assert "unknown view 'big'" in r.stderr


def test_cat_json_writes_what_is_not_a_json_number_as_a_string(bpf_ok):
    """cat -j keeps a view's text whole and valid JSON: JSON integers as
    numbers, the rest (007, 0x10, max, quotes) as strings; an error under
    -j is a JSON object too."""
    import json
    odd = os.path.join(REPO, "build", "tests", "oddvalues.bpf.o")
    r = cgview("load", odd)
    assert r.returncode == 0, r.stderr
    try:
        r = cgview("cat", "/", "oddvalues", "-j")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout) == {
            "zero": 0, "neg": -5, "lead": "007", "hex": "0x10", "minus": "-",
            "quote": '"q\\', "max": "max",
            "nested": {"a": 1, "b": "01", "c": 0, "d": "x"}}
    finally:
        assert cgview("unload", "oddvalues").returncode == 0
    r = cgview("cat", "/", "oddvalues", "-j")
    assert r.returncode == 1 and r.stderr == ""
    assert json.loads(r.stdout)["error"].startswith(
        "unknown view 'oddvalues' (known views: cpu id ")


def test_view_file_with_a_bad_name_is_refused(bpf_ok):
    r = cgview("load", "/tmp/Not-A-Name.bpf.o")
    assert r.returncode == 1
    assert r.stderr == ("cgview: view file /tmp/Not-A-Name.bpf.o: its name "
                        "must be [a-z0-9_]+.bpf.o\n")
