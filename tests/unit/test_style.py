"""Userspace C (cgview/, bench/, exporter/, lib/) follows the kernel style
in .clang-format."""

import glob
import os
import subprocess

from cgtest import REPO


def test_c_sources_are_clang_formatted():
    files = sorted(glob.glob(os.path.join(REPO, "cgview", "*.[ch]")) +
                   glob.glob(os.path.join(REPO, "bench", "*.[ch]")) +
                   glob.glob(os.path.join(REPO, "exporter", "*.[ch]")) +
                   glob.glob(os.path.join(REPO, "lib", "*.[ch]")) +
                   glob.glob(os.path.join(REPO, "tests", "unit", "*.c")))
    assert files
    r = subprocess.run(["clang-format", "--dry-run", "-Werror", *files],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
