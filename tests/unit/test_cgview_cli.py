"""cgview's command line, where no privilege is needed: usage errors exit 2
with a hint, help exits 0, an unknown view names the known ones."""

import subprocess

import pytest

from cgtest import CGVIEW


def cgview(*args):
    return subprocess.run([CGVIEW, *args], capture_output=True, text=True)


def test_help_lists_every_command():
    r = cgview("help")
    assert r.returncode == 0
    for cmd in ("load VIEW...|--all", "unload VIEW...|--all",
                "expose VIEW CGROUP", "unexpose VIEW CGROUP",
                "cat CGROUP VIEW", "ls [CGROUP]", "status [VIEW CGROUP]",
                "watch", "    --inherit", "    --mode MODE", "-j, --json"):
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


@pytest.mark.parametrize("args, message", [
    (["ls", "a", "b"], "ls takes at most one CGROUP"),
    (["status", "id"], "status takes no arguments, or VIEW CGROUP"),
    (["watch", "x"], "watch takes no arguments"),
    (["load", "--all", "id"], "load takes VIEW... or --all, not both"),
    (["cat", "/", "id", "--inherit"],
     "--inherit and --mode go with expose, not cat"),
    (["load", "id", "-j"], "--json goes with cat, ls and status, not load"),
    (["ls", "--all"], "--all goes with load and unload, not ls"),
    (["expose", "id", "/", "--mode", "999"],
     "--mode takes an octal file mode such as 0440, not '999'"),
    (["expose", "id", "/", "--mode", "0644"],
     "--mode 0644: a view file can only be read; give read permissions "
     "only, such as 0444, 0440 or 0400"),
    (["expose", "id", "/", "--mode", "rw"],
     "--mode takes an octal file mode such as 0440, not 'rw'"),
    (["expose", "id", "/", "--mode"], "--mode needs an argument"),
    (["ls", "--frob"], "unknown option '--frob'"),
])
def test_option_and_argument_errors_are_usage_errors(args, message):
    r = cgview(*args)
    assert (r.returncode, r.stderr) == \
        (2, f"cgview: {message}\nrun 'cgview help' for usage\n")
