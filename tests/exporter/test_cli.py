"""cgview-exporter's command line: usage errors (exit 2) and runtime
errors (exit 1) say what to do; --help covers every flag."""

import os
import re
import socket
import subprocess

import pytest

from cgtest import REPO, cgroup2_root
from exlib import hier, mirror, run, subtree

TRY = "Try 'cgview-exporter --help'.\n"


def err(*args):
    r = run(*args, text=True)
    return r.returncode, r.stderr


@pytest.mark.parametrize("args,msg", [
    ([], "nothing to do: give --output SPEC or --listen ADDR:PORT"),
    (["--bogus"], "unknown option '--bogus'"),
    (["--output"], "--output needs a value"),
    (["-o", "ftp://x"], "--output 'ftp://x': want file:PATH, -, text:PATH, "
     "otlp+http://HOST:PORT/v1/metrics or "
     "remote-write+http://HOST:PORT/api/v1/write"),
    (["-o", "otlp+ftp://h/v1/metrics"], "--output 'otlp+ftp://h/v1/metrics':"
     " 'ftp://h/v1/metrics' is not an http:// or https:// URL with a host"),
    (["-o", "remote-write+http://"], "--output 'remote-write+http://': "
     "'http://' is not an http:// or https:// URL with a host"),
    (["-o", "file:"], "--output 'file:': want file:PATH, -, text:PATH, "
     "otlp+http://HOST:PORT/v1/metrics or "
     "remote-write+http://HOST:PORT/api/v1/write"),
    (["-o", "-", "--interval", "0"], "--interval '0': want a duration from "
     "10ms to 24h, like 10s or 500ms"),
    (["-o", "-", "--interval", "5x"], "--interval '5x': want a duration "
     "from 10ms to 24h, like 10s or 500ms"),
    (["-o", "-", "--queue-size", "lots"], "--queue-size 'lots': want a size "
     "like 16M, 512K or 1048576"),
    (["--listen", "localhost"], "--listen 'localhost': want IPV4ADDR:PORT, "
     "like 127.0.0.1:9184"),
    (["--listen", "127.0.0.1:70000"], "--listen '127.0.0.1:70000': want "
     "IPV4ADDR:PORT, like 127.0.0.1:9184"),
    (["-o", "-", "--files", "../etc/passwd"],
     "--files: '../etc/passwd' is not a file name"),
    (["-o", "-", "extra"], "unexpected argument 'extra'"),
    (["--once", "--listen", "127.0.0.1:9"], "--once or --count with only "
     "--listen would exit before anyone scrapes"),
    (["-o", "-", "--count", "-3"], "--count '-3': want a whole number "
     "from 1"),
    (["-o", "-", "--batch", "1.5"], "--batch '1.5': want a whole number "
     "from 1"),
    *[(["-o", "-", "--label", bad], f"--label '{bad}': want NAME=VALUE, "
       "NAME letters, digits and _ not starting with a digit or __, like "
       "--label region=eu-west")
      for bad in ("region", "9x=1", "__name__=x", "a-b=x", "=x")],
    *[(["-o", "-", "--label", f"{own}=1"], f"--label {own}: the exporter "
       "sets that label itself; choose another name")
      for own in ("cgroup", "le")],
    (["-o", "-", "--label", "device=sda"], "--label device: io.stat has a "
     "label of that name; choose another"),
    (["-o", "-", "--label", "a=1", "--label", "a=2"],
     "--label a given twice"),
    (["-o", "-", "--label", "a=" + "v" * 1025], "--label 'a': the value must"
     " be UTF-8 of at most 1024 bytes"),
    (["-o", "-"] + [f"--label=l{i}=v" for i in range(33)],
     "at most 32 --label"),
    (["-o", "-", "--path-labels", "systemd,pods"], "--path-labels 'pods': "
     "want a comma separated list of systemd, container and kubernetes, "
     "or none"),
    (["-o", "-", "--label", "pod_uid=x"], "--label pod_uid: --path-labels "
     "kubernetes adds that label; choose another name, or leave kubernetes "
     "out of --path-labels"),
])
def test_usage_errors(args, msg):
    assert err(*args) == (2, f"cgview-exporter: {msg}\n{TRY}")


def test_runtime_errors(tmp_path):
    assert err("--once", "-o", "-", "--root", "/nonexistent") == \
        (1, "cgview-exporter: --root /nonexistent: No such file or "
         "directory\n")
    assert err("--once", "-o", f"file:{tmp_path}/no/such/dir") == \
        (1, f"cgview-exporter: {tmp_path}/no/such/dir: No such file or "
         "directory\n")
    assert err("--once", "-o", "-", "--schemas", str(tmp_path / "x")) == \
        (1, f"cgview-exporter: --schemas {tmp_path}/x: No such file or "
         "directory\n")
    (tmp_path / "bad.schema").write_text("wait_ns counter ns Time\n")
    assert err("--once", "-o", "-", "--schemas", str(tmp_path)) == \
        (1, f"cgview-exporter: {tmp_path}/bad.schema:1: 'wait_ns' before "
         "any 'file NAME' line; see views/SCHEMA.md\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        addr = f"127.0.0.1:{s.getsockname()[1]}"
        assert err("--listen", addr) == \
            (1, f"cgview-exporter: --listen {addr}: address in use: another "
             "process listens on that port; stop it or pick another port\n")


@pytest.mark.parametrize("root,what", [
    ("/etc", "not a cgroup2 file system"),
    ("/proc", "not a cgroup2 file system"),
    ("/sys/fs/cgroup", "not a cgroup2 file system"),  # hybrid: tmpfs
    ("/sys/fs/cgroup/memory", "a cgroup v1 hierarchy, not cgroup2"),
    ("/sys/fs/cgroup/pids", "a cgroup v1 hierarchy, not cgroup2"),
])
def test_root_must_be_cgroup2(root, what):
    assert err("--once", "-o", "-", "--root", root) == \
        (1, f"cgview-exporter: --root {root}: {what}; pass the cgroup2 mount "
         f"{cgroup2_root()} or a directory below it\n")


def test_listen_address_not_on_this_machine():
    # only bound, never contacted
    assert err("--listen", "10.255.255.1:9184") == \
        (1, "cgview-exporter: --listen 10.255.255.1:9184: not an address of "
         "this machine; pass one of its addresses, 127.0.0.1, or 0.0.0.0 "
         "for every interface\n")


def test_help_covers_every_flag_and_exit_code():
    r = run("--help", text=True)
    assert r.returncode == 0 and r.stderr == ""
    src = open(os.path.join(REPO, "exporter", "options.c")).read()
    flags = re.findall(r'\{ "([a-z-]+)", (?:required|no)_argument', src)
    assert len(flags) >= 12
    for f in flags:
        assert f"--{f}" in r.stdout
    for code in ("0 done", "1 the root", "2 usage error", "3 not delivered"):
        assert code in r.stdout


def test_version_is_the_projects():
    r = run("--version", text=True)
    version = open(os.path.join(REPO, "VERSION")).read().strip()
    assert (r.returncode, r.stdout, r.stderr) == (
        0, f"cgview-exporter {version}\n", "")


def test_a_label_value_that_is_not_utf8_is_refused():
    r = subprocess.run([os.path.join(REPO, "build", "cgview-exporter"), "-o",
                        "-", b"--label", b"a=\xff"], capture_output=True)
    assert r.returncode == 2
    assert r.stderr == (b"cgview-exporter: --label 'a': the value must be "
                        b"UTF-8 of at most 1024 bytes\n" + TRY.encode())


def test_man_page_covers_every_flag():
    src = open(os.path.join(REPO, "exporter", "options.c")).read()
    page = open(os.path.join(REPO, "exporter", "cgview-exporter.1")).read()
    page = page.replace("\\-", "-")
    for f in re.findall(r'\{ "([a-z-]+)", (?:required|no)_argument', src):
        assert f"--{f}" in page


def test_text_output_puts_the_labels_on_every_series():
    from prometheus_client.parser import text_string_to_metric_families
    with subtree("a") as top:
        r = run("--once", "--root", top, "--output", "text:-", "--label",
                "region=eu-west", "--label", "team=sre", text=True)
    assert r.returncode == 0 and r.stderr == ""
    fams = list(text_string_to_metric_families(r.stdout))
    series = [s for f in fams for s in f.samples]
    assert len(series) > 20
    for s in series:
        assert (s.labels["region"], s.labels["team"]) == ("eu-west", "sre")
        assert "instance" not in s.labels
    paths = {s.labels.get("cgroup") for s in series}
    assert paths == {hier(top), hier(top) + "/a", None}  # None: self


def test_extra_schema_dir_types_a_view(tmp_path):
    (tmp_path / "v.schema").write_text("file bpf.v\nx_ms gauge ms X\n")
    with subtree() as top:
        m = mirror(tmp_path, top, {})
        r = run("--once", "--root", top, "--mirror", m,
                "--schemas", str(tmp_path), "-o", "-")
        assert r.returncode == 0 and r.stderr == b""
        mirror(tmp_path, top, {"bpf.v": "x_ms 1500\n"})
        r = run("--once", "--root", top, "--mirror", m,
                "--schemas", str(tmp_path), "-o", "-")
    from exlib import metrics, snapshots
    [snap] = snapshots(r.stdout)
    m = metrics(snap, snap.cgroups[0], "bpf.v")["x_ms"]
    assert (m.name, m.value, m.unit, m.known) == ("cgview_v_x_seconds", 1.5,
                                                  "seconds", True)


def test_count_takes_that_many_snapshots(tmp_path):
    from exlib import snapshots
    with subtree() as top:
        r = run("--count", "3", "--interval", "10ms", "--root", top,
                "--mirror", "none", "-o", "-")
    assert r.returncode == 0 and r.stderr == b""
    assert [len(s.cgroups) for s in snapshots(r.stdout)] == [1, 1, 1]


def test_text_output_is_the_metrics_text(tmp_path):
    """--output text:PATH writes what /metrics serves (promtool accepts
    it), each snapshot after the last."""
    once, twice = tmp_path / "once.txt", tmp_path / "twice.txt"
    with subtree("a") as top:
        line = f'cgroup_nr_descendants{{cgroup="{hier(top)}/a"}} 0\n'
        assert run("--once", "--root", top, "--output",
                   f"text:{once}").returncode == 0
        check = subprocess.run(["promtool", "check", "metrics"],
                               stdin=open(once, "rb"), capture_output=True)
        assert check.returncode == 0, check.stdout + check.stderr
        assert once.read_text().count(line) == 1
        assert run("--count", "2", "--interval", "10ms", "--root", top,
                   "--output", f"text:{twice}").returncode == 0
        assert twice.read_text().count(line) == 2
