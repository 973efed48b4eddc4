"""tests/vm/run, seen from the host: it returns the command's exit status,
fails a run whose kernel log has a splat, and kills a hung guest. Each test
boots the debug kernel once."""

import os
import subprocess

from cgtest import REPO

RUN = os.path.join(REPO, "tests", "vm", "run")


def vm(*cmd, timeout=None):
    args = [RUN] + (["--timeout", str(timeout)] if timeout else []) + ["--", *cmd]
    return subprocess.run(args, capture_output=True, text=True)


def test_exit_status_and_output_come_back():
    r = vm("sh", "-c", "echo guest says $(uname -n); exit 0")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "guest says cgview-vm" in r.stdout
    r = vm("sh", "-c", "exit 7")
    assert r.returncode == 7, r.stdout + r.stderr
    assert "command exited 7" in r.stdout


def test_lkdtm_warning_fails_the_run():
    r = vm("sh", "-c", "echo WARNING > /sys/kernel/debug/provoke-crash/DIRECT")
    assert r.returncode == 123, r.stdout + r.stderr
    assert "vm: kernel splat:" in r.stderr
    assert "lkdtm_WARNING" in r.stderr
    assert "splat(s) in the kernel log (command exited 0)" in r.stderr


def test_hung_guest_is_killed():
    r = vm("sleep", "1000", timeout=30)
    assert r.returncode == 124, r.stdout + r.stderr
    assert "guest hung: killed after 30 s" in r.stderr
