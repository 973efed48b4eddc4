"""cgview's command line, where no privilege is needed: usage errors exit 2
with a hint, help exits 0, an unknown view names the known ones."""

import subprocess

from cgtest import CGVIEW


def cgview(*args):
    return subprocess.run([CGVIEW, *args], capture_output=True, text=True)


def test_help_lists_every_command():
    r = cgview("help")
    assert r.returncode == 0
    for cmd in ("load VIEW", "unload VIEW", "expose VIEW CGROUP",
                "unexpose VIEW CGROUP", "cat CGROUP VIEW"):
        assert f"  {cmd}" in r.stdout
    assert cgview("--help").stdout == r.stdout


def test_no_command_is_a_usage_error():
    r = cgview()
    assert r.returncode == 2
    assert r.stderr == "cgview: no command given\nrun 'cgview help' for usage\n"


def test_unknown_command_is_a_usage_error():
    r = cgview("frob")
    assert r.returncode == 2
    assert "unknown command 'frob'" in r.stderr


def test_wrong_argument_count_is_a_usage_error():
    for args in (["expose", "id"], ["cat", "/"], ["unexpose", "id", "/", "x"],
                 ["load"]):
        r = cgview(*args)
        assert r.returncode == 2, args
        assert "run 'cgview help'" in r.stderr


def test_unknown_view_names_the_known_ones():
    r = cgview("cat", "/", "nosuch")
    assert r.returncode == 1
    assert r.stderr == "cgview: unknown view 'nosuch' (known views: cpu id io_latency mem_events net oom sched_wait)\n"
