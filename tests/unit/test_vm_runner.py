"""tests/vm/run without booting: its splat scanner and its usage errors."""

import importlib.machinery
import importlib.util
import os
import subprocess

import pytest

from cgtest import REPO

RUN = os.path.join(REPO, "tests", "vm", "run")


def load_runner():
    loader = importlib.machinery.SourceFileLoader("vmrun", RUN)
    spec = importlib.util.spec_from_loader("vmrun", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


vmrun = load_runner()

CLEAN = """\
[    0.000000] Linux version 6.12.57 (root@vm) #1 SMP
[    1.234567] 9pnet: Installing 9P2000 support
[    2.000000] cgroup: some message
"""

WARN = """\
[    5.100000] lkdtm: Performing direct entry WARNING
[    5.100100] ------------[ cut here ]------------
[    5.100200] WARNING: CPU: 1 PID: 80 at drivers/misc/lkdtm/bugs.c:1 lkdtm_WARNING+0x1/0x2
[    5.100300] Call Trace:
[    5.100400]  <TASK>
"""


def write(tmp_path, name, text):
    (tmp_path / name).write_text(text)


def test_clean_log_has_no_splat(tmp_path):
    write(tmp_path, "dmesg", CLEAN)
    write(tmp_path, "kmemleak", "")
    assert vmrun.splats(str(tmp_path), "") == []


def test_warning_is_one_splat_with_its_context(tmp_path):
    write(tmp_path, "dmesg", CLEAN + WARN)
    found = vmrun.splats(str(tmp_path), "")
    assert len(found) == 1
    assert "WARNING: CPU: 1 PID: 80" in found[0]
    assert "Call Trace:" in found[0]


@pytest.mark.parametrize("line", [
    "BUG: KASAN: slab-use-after-free in foo+0x1/0x2",
    "WARNING: possible circular locking dependency detected",
    "BUG: sleeping function called from invalid context at x.c:1",
    "Oops: general protection fault, probably for non-canonical address",
    "INFO: task cat:99 blocked for more than 120 seconds.",
    "kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)",
    "Kernel panic - not syncing: Attempted to kill init!",
])
def test_each_kind_of_splat_is_caught(tmp_path, line):
    write(tmp_path, "dmesg", CLEAN + f"[   9.000000] {line}\n")
    assert len(vmrun.splats(str(tmp_path), "")) == 1


def test_kmemleak_report_is_a_splat(tmp_path):
    write(tmp_path, "dmesg", CLEAN)
    write(tmp_path, "kmemleak", 'unreferenced object 0xffff8880 (size 64):\n')
    found = vmrun.splats(str(tmp_path), "")
    assert found == ["kmemleak:\nunreferenced object 0xffff8880 (size 64):"]


def test_console_is_scanned_when_the_guest_saved_no_log(tmp_path):
    console = ("=== warnings summary ===\nWARNING: not a kernel line\n"
               + WARN)
    found = vmrun.splats(str(tmp_path), console)
    assert len(found) == 1 and "lkdtm_WARNING" in found[0]


def test_missing_command_is_a_usage_error():
    r = subprocess.run([RUN, "--kernel", RUN], capture_output=True, text=True)
    assert r.returncode == 2
    assert "no command given" in r.stderr


def test_missing_kernel_says_to_build_it(tmp_path):
    r = subprocess.run([RUN, "--kernel", str(tmp_path / "bzImage"), "--",
                        "true"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "run 'make kernel' first" in r.stderr


def test_quiet_echo_drops_kernel_lines_split_across_chunks(capsysbinary):
    echo = vmrun.Echo(quiet=True)
    echo.write(b"[    1.000000] virtio: a kernel li")
    echo.write(b"ne\r\nhello from the ")
    echo.write(b"command\r\n[    2.0")
    echo.write(b"00000] sysrq: Resetting\r\nlast", final=False)
    echo.write(b"", final=True)
    assert capsysbinary.readouterr().out == b"hello from the command\nlast\n"
