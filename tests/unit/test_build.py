"""The build links on a machine where pkg-config does not know the
libraries yet: on a fresh machine `make demo` reads the Makefile before
`make deps` has installed them, so their flags cannot come from a lookup
made then."""

import os
import subprocess

from cgtest import REPO


def link_line(target):
    """The command `make` would link TARGET with, pkg-config knowing no
    library at all."""
    env = dict(os.environ, PKG_CONFIG_LIBDIR="/nonexistent",
               PKG_CONFIG_PATH="")
    out = subprocess.run(["make", "-n", "-B", target], cwd=REPO, env=env,
                         capture_output=True, text=True, check=True).stdout
    out = out.replace("\\\n", " ")  # a recipe's continued lines
    lines = [ln for ln in out.splitlines() if f"-o {target} " in ln]
    assert lines, out
    return lines[-1].split()


def test_exporter_links_without_pkg_config():
    flags = link_line("build/cgview-exporter")
    for lib in ("-lprotobuf-c", "-lcurl", "-lmicrohttpd", "-lz", "-lsnappy",
                "-lbpf"):
        assert lib in flags


def test_cgview_links_without_pkg_config():
    flags = link_line("build/cgview")
    for lib in ("-lbpf", "-lprotobuf-c", "-lncurses"):
        assert lib in flags
