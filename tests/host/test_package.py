"""What a machine gets from the package (make deb) and from make install:
lintian has no error or warning for the .deb; installed into a throwaway
root, its programs run from there (cgview status, cgview-exporter --once,
cgview dump finds the exporter beside it) and systemd-analyze verify
accepts its units; make install honours PREFIX and DESTDIR and keeps an
options file that is there."""

import os
import shutil
import subprocess

import pytest

from cgtest import REPO, cgroup2_root

VERSION = open(os.path.join(REPO, "VERSION")).read().strip()
DEB = os.path.join(REPO, "build", "deb", f"cgview_{VERSION}_amd64.deb")
UNITS = ("cgview-exporter.service", "cgview-watch.service")


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """The package's files in a throwaway root (dpkg-deb -x)."""
    assert os.path.exists(DEB), "make deb builds it (make test-host does)"
    r = tmp_path_factory.mktemp("pkgroot")
    subprocess.run(["dpkg-deb", "-x", DEB, str(r)], check=True)
    return r


def test_lintian_finds_no_error_or_warning():
    r = subprocess.run(["lintian", "--fail-on", "error,warning", DEB],
                       capture_output=True, text=True)
    lines = [l for l in r.stdout.splitlines() if l[:2] in ("E:", "W:")]
    assert r.returncode == 0 and lines == [], r.stdout + r.stderr


def test_package_holds_programs_views_units_rules_and_man_pages():
    r = subprocess.run(["dpkg-deb", "-f", DEB, "Package", "Version",
                        "Depends"], capture_output=True, text=True,
                       check=True)
    fields = dict(l.split(": ", 1) for l in r.stdout.splitlines())
    assert fields["Package"] == "cgview" and fields["Version"] == VERSION
    assert "libbpf1" in fields["Depends"] and "libc6" in fields["Depends"]
    names = subprocess.run(["dpkg-deb", "-c", DEB], capture_output=True,
                           text=True, check=True).stdout
    for path in ("./usr/bin/cgview", "./usr/bin/cgview-exporter",
                 "./usr/lib/cgview/views/sched_wait.bpf.o",
                 "./usr/share/cgview/schemas/sched_wait.schema",
                 "./usr/share/cgview/schemas/cpu.stat.schema",
                 "./usr/share/cgview/prometheus/cgview.rules.yml",
                 "./usr/share/man/man1/cgview-exporter.1.gz",
                 "./usr/share/man/man8/cgview.8.gz",
                 "./etc/default/cgview-exporter",
                 *(f"./usr/lib/systemd/system/{u}" for u in UNITS)):
        assert f" {path}\n" in names, path
    conffiles = subprocess.run(["dpkg-deb", "-I", DEB, "conffiles"],
                               capture_output=True, text=True).stdout
    assert conffiles == "/etc/default/cgview-exporter\n"


def test_programs_run_from_the_installed_root(root, tmp_path):
    bindir = root / "usr" / "bin"
    r = subprocess.run([bindir / "cgview", "status"], capture_output=True,
                       text=True)
    assert r.returncode == 0 and "mode" in r.stdout, r.stderr
    r = subprocess.run([bindir / "cgview-exporter", "--version"],
                       capture_output=True, text=True)
    assert r.stdout == f"cgview-exporter {VERSION}\n"
    top = os.path.join(cgroup2_root(), f"pkg-{os.getpid()}")
    os.mkdir(top)
    try:
        out = tmp_path / "snap"
        r = subprocess.run([bindir / "cgview-exporter", "--once", "--root",
                            top, "--output", f"file:{out}"],
                           capture_output=True, text=True)
        assert r.returncode == 0 and r.stderr == ""
        assert out.stat().st_size > 0
        r = subprocess.run([bindir / "cgview", "dump",
                            os.path.basename(top)], capture_output=True,
                           text=True)
        assert r.returncode == 0, r.stderr
        assert f'cgroup="/{os.path.basename(top)}"' in r.stdout
    finally:
        os.rmdir(top)


def test_systemd_accepts_the_units(root):
    """systemd-analyze verify in the root (the host's own units copied in
    for the targets the units are ordered against); then a unit whose
    program is missing fails, so the check can fail."""
    unitdir = root / "usr" / "lib" / "systemd" / "system"
    for f in os.listdir("/usr/lib/systemd/system"):
        if not (unitdir / f).exists():
            src = os.path.join("/usr/lib/systemd/system", f)
            if os.path.isfile(src) and not os.path.islink(src):
                shutil.copy(src, unitdir / f)
    verify = ["systemd-analyze", f"--root={root}", "--man=no", "verify"]
    r = subprocess.run(verify + [str(unitdir / u) for u in UNITS],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    unit = (unitdir / UNITS[0]).read_text()
    assert "ExecStart=/usr/bin/cgview-exporter $CGVIEW_EXPORTER_OPTS" in unit
    assert "EnvironmentFile=-/etc/default/cgview-exporter" in unit
    (unitdir / "broken.service").write_text(
        unit.replace("/usr/bin/cgview-exporter", "/usr/bin/cgview-nothere"))
    r = subprocess.run(verify + [str(unitdir / "broken.service")],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "cgview-nothere" in r.stderr


def test_options_file_starts_a_listener(root):
    """The shipped options file is a valid command line for the exporter."""
    env = (root / "etc" / "default" / "cgview-exporter").read_text()
    [line] = [l for l in env.splitlines() if l.startswith("CGVIEW_")]
    opts = line.split("=", 1)[1].strip('"').split()
    assert opts == ["--listen", "127.0.0.1:9184"]


def test_make_install_honours_prefix_and_destdir(tmp_path):
    dest = tmp_path / "dest"
    make = ["make", "-s", "-C", REPO, "install", f"DESTDIR={dest}",
            "PREFIX=/opt/cgview", "SYSCONFDIR=/opt/etc"]
    subprocess.run(make, check=True, capture_output=True)
    for path in ("opt/cgview/bin/cgview", "opt/cgview/bin/cgview-exporter",
                 "opt/cgview/lib/cgview/views/cpu.bpf.o",
                 "opt/cgview/share/man/man8/cgview.8",
                 "opt/etc/default/cgview-exporter"):
        assert (dest / path).exists(), path
    unit = (dest / "opt/cgview/lib/systemd/system/cgview-exporter.service"
            ).read_text()
    assert "ExecStart=/opt/cgview/bin/cgview-exporter " in unit
    assert "EnvironmentFile=-/opt/etc/default/cgview-exporter" in unit
    opts = dest / "opt/etc/default/cgview-exporter"
    opts.write_text('CGVIEW_EXPORTER_OPTS="--listen 0.0.0.0:9184"\n')
    subprocess.run(make, check=True, capture_output=True)
    assert "0.0.0.0:9184" in opts.read_text()  # kept
