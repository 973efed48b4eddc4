"""Cgroup names are chosen by tenants: any bytes but '/' and NUL, up to
NAME_MAX. Every output stays valid for the real parsers (promtool,
python3-prometheus-client, python3-protobuf against our protos, Prometheus'
remote-write receiver), shows each name escaped as README.md says, and
each shown name gives back the original bytes (so two names never share
one)."""

import errno
import json
import os
import subprocess
import time
import urllib.request

import pytest

from cgtest import REPO
from exlib import (escape, free_port, hier, prometheus, promql, run,
                   snapshots, start, stop, subtree, unescape)
from test_otlp import decode, receiver, Receiver

NAMES = [
    # not UTF-8: lone bytes, a continuation byte first, truncated sequences
    b"inv\xff", b"\x80lead", b"trunc\xe2\x82", b"trunc4\xf0\x9f\x98x",
    # overlong forms of '/', surrogates, above U+10FFFF, F5..FF
    b"ov\xc0\xaf", b"ov3\xe0\x80\xaf", b"ov4\xf0\x80\x80\xaf",
    b"sur\xed\xa0\x80", b"big\xf4\x90\x80\x80", b"f5\xf5\x80\x80\x80",
    # valid UTF-8, control characters (C0, DEL, C1) included
    "café € 😀".encode(), b"ctl\t\r\x01\x1b\x7f", b"c1\xc2\x85",
    # the text format's own specials, label syntax, spaces
    b'q"uote\'', b"bs\\", b"bs\\\\x", b"{}=, sp ace#", b"# HELP x",
    # looks like an escape, next to the byte it would stand for
    b"a\\xff", b"a\xff", b"a\\\\xff", b"a\\\xff", b"a\\x00",
    b"a\\x41", b"aA",
    b"system-systemd\\x2dfsck.slice",
    # the kernel's limits: 255 bytes, multibyte up to the limit, cut there
    b"n" * 255, "€".encode() * 85, b"x" * 253 + b"\xe2\x82", b"\xff" * 255,
]
DEEP = [b"d\xfe" * 50] * 12  # a deep path of escaped names


def tree():
    """Relative paths (bytes) of every test cgroup, parents first."""
    deep = [b"/".join(DEEP[:i + 1]) for i in range(len(DEEP))]
    return NAMES + deep


@pytest.fixture(scope="module")
def cgroups():
    """{shown path: raw path} of a subtree holding every name."""
    with subtree(*tree()) as top:
        base = hier(top).encode()
        yield top, {escape(base + b"/" + p): base + b"/" + p
                    for p in tree()}


def test_the_kernel_refuses_newlines_in_names():
    with subtree() as top:
        with pytest.raises(OSError) as e:
            os.mkdir(os.fsencode(top) + b"/a\nb")
        assert e.value.errno == errno.EINVAL


def test_every_shown_name_is_distinct_and_reverses(cgroups):
    _, shown = cgroups
    assert len(shown) == len(tree())
    for text, raw in shown.items():
        assert unescape(text) == raw
        text.encode("utf-8")  # valid: no lone surrogates
    assert escape(b"a\\x2d.slice") == "a\\x2d.slice"
    assert escape(b"a\xff") == "a\\xff" and escape(b"a\\xff") == "a\\\\xff"


def test_snapshot_stream_and_decode(cgroups, tmp_path):
    top, shown = cgroups
    out = tmp_path / "snap"
    r = run("--once", "--root", top, "--files", "cgroup.stat",
            "--output", f"file:{out}")
    assert r.returncode == 0 and r.stderr == b""
    [snap] = snapshots(out.read_bytes())  # python3-protobuf: strict UTF-8
    got = {cg.path: cg for cg in snap.cgroups}
    assert set(got) == set(shown) | {hier(top)}
    for text, raw in shown.items():
        cgroupfs = os.fsencode(top) + raw[len(hier(top)):]
        assert got[text].id == os.stat(cgroupfs).st_ino
    d = subprocess.run([os.path.join(REPO, "exporter", "decode"), str(out)],
                       capture_output=True, text=True)
    assert d.returncode == 0 and d.stderr == ""
    assert "\r" not in d.stdout and "\x1b" not in d.stdout
    for text in shown:
        control = any(c < " " or "\x7f" <= c < "\xa0" for c in text)
        name = json.dumps(text, ensure_ascii=False) if control else text
        assert f"  cgroup {name} (id " in d.stdout


def scrape(top, port):
    """/metrics once the exporter walked TOP."""
    url = f"http://127.0.0.1:{port}/metrics"
    for _ in range(100):
        try:
            text = urllib.request.urlopen(url).read().decode()
            if hier(top) in text:
                return text
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("no scrape with the test cgroups")


def test_metrics_text_format(cgroups):
    from prometheus_client.parser import text_string_to_metric_families
    top, shown = cgroups
    port = free_port()
    p = start("--listen", f"127.0.0.1:{port}", "--root", top,
              "--files", "cgroup.stat", "--interval", "1h")
    try:
        text = scrape(top, port)
    finally:
        _, err = stop(p)
    assert p.returncode == 0 and err == ""
    check = subprocess.run(["promtool", "check", "metrics"], input=text,
                           capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout + check.stderr == "", \
        check.stdout + check.stderr
    seen = set()
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if fam.name == "cgroup_nr_descendants":
                seen.add(s.labels["cgroup"])
    assert seen == set(shown) | {hier(top)}


def promql_string(s):
    """S as a PromQL double-quoted string literal."""
    out = []
    for c in s:
        if c in '\\"':
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) > 0x7e:
            out.append(f"\\U{ord(c):08x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def test_remote_write_into_prometheus(cgroups, tmp_path):
    top, shown = cgroups
    with prometheus(tmp_path) as url:
        r = run("--once", "--root", top, "--files", "cgroup.stat",
                "--output", f"remote-write+{url}/api/v1/write")
        assert r.returncode == 0 and r.stderr == b""
        for text, raw in shown.items():
            got = promql(url, "cgroup_nr_descendants{cgroup="
                         f"{promql_string(text)}}}")
            assert len(got) == 1, text
            assert unescape(got[0][0]["cgroup"]) == raw
        got = promql(url, "count(cgroup_nr_descendants{cgroup=~"
                     f"{promql_string(hier(top) + '/.*')}}})")
        assert got[0][1] == len(shown)


def test_otlp(cgroups):
    top, shown = cgroups
    srv = receiver(refuse_seconds=0)
    url = f"http://127.0.0.1:{srv.server_address[1]}/v1/metrics"
    r = run("--once", "--root", top, "--files", "cgroup.stat",
            "--output", f"otlp+{url}", "--batch", "50")
    srv.shutdown()
    assert r.returncode == 0 and r.stderr == b""
    seen = set()
    for req in decode(Receiver.accepted):  # python3-protobuf: strict UTF-8
        for m in req.resource_metrics[0].scope_metrics[0].metrics:
            for dp in m.gauge.data_points:
                seen |= {a.value.string_value for a in dp.attributes
                         if a.key == "cgroup"}
    assert seen == set(shown) | {hier(top)}


def test_names_read_from_files(tmp_path):
    """Keys, labels and view file names come from files too: a mirror
    directory can hold anything."""
    mirror = tmp_path / "mirror"
    with subtree() as top:
        view = os.fsencode(mirror) + hier(top).encode()
        os.makedirs(view)
        with open(view + b"/bpf.w\xffx", "wb") as f:
            f.write(b"k\xff\\xff 1\nk\\xff 2\nn\xc0\xaf a=3\nbad 1 2\n")
        schema = tmp_path / "schemas"
        schema.mkdir()
        (schema / "lab.schema").write_text(
            "file bpf.lab\nlabel dev\n*.x gauge 1 X\n")
        with open(view + b"/bpf.lab", "wb") as f:
            f.write(b"d\xff x=1\nd\\xff x=2\n")
        port = free_port()
        p = start("--root", top, "--mirror", str(mirror), "--schemas",
                  str(schema), "--files", "cgroup.stat", "-o", "-",
                  "--listen", f"127.0.0.1:{port}", "--interval", "1h")
        try:
            text = scrape(top, port)
        finally:
            out, err = stop(p)
    # messages show names as the outputs do
    assert err == (f"cgview-exporter: {hier(top)}/bpf.w\\xffx:4: malformed "
                   "line skipped: want 'key sub=value ...'\n")
    check = subprocess.run(["promtool", "check", "metrics"], input=text,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    snap = snapshots(out)[0]
    [cg] = snap.cgroups
    files = {f.name: f for f in cg.files}
    assert set(files) == {"cgroup.stat", "bpf.w\\xffx", "bpf.lab"}
    keys = {snap.metrics[s.metric].key: s.value
            for s in files["bpf.w\\xffx"].samples}
    assert {unescape(k): v for k, v in keys.items()} == {
        b"k\xff\\xff": 1, b"k\\xff": 2, b"n\xc0\xaf.a": 3}
    labels = {s.label: s.value for s in files["bpf.lab"].samples}
    assert {unescape(k): v for k, v in labels.items()} == {
        b"d\xff": 1, b"d\\xff": 2}
    assert 'cgview_lab_x{cgroup="%s",dev="d\\\\xff"} 1' % hier(top) in text


@pytest.mark.parametrize("files,why", [
    ({"my-view.schema": "file bpf.my-view\nx gauge 1 X\n",
      "my_view.schema": "file bpf.my_view\nx gauge 1 X\n"},
     "my_view.schema:2: key 'x' of bpf.my_view would be named "
     "cgview_my_view_x, which clashes with key 'x' of bpf.my-view "
     "(cgview_my_view_x); rename one of them"),
    ({"m.schema": "file cgroup.memory\nanon gauge bytes Anon\n"},
     "m.schema:2: key 'anon' of cgroup.memory would be named "
     "cgroup_memory_anon_bytes, which clashes with key 'anon' of "
     "memory.stat (cgroup_memory_anon_bytes); rename one of them"),
    ({"k.schema": "file bpf.k\na-b counter 1 A\na_b counter 1 B\n"},
     "k.schema:3: key 'a_b' of bpf.k would be named cgview_k_a_b_total, "
     "which clashes with key 'a-b' of bpf.k (cgview_k_a_b_total); rename "
     "one of them"),
    ({"h.schema": "file bpf.h\nlat histogram ns L\n"
      "lat_seconds_count gauge 1 C\n"},
     "h.schema:3: key 'lat_seconds_count' of bpf.h would be named "
     "cgview_h_lat_seconds_count, which clashes with key 'lat' of bpf.h "
     "(cgview_h_lat_seconds); rename one of them"),
    ({"h.schema": "file bpf.h\nlat_seconds_bucket gauge 1 C\n"
      "lat histogram ns L\n"},
     "h.schema:3: key 'lat' of bpf.h would be named cgview_h_lat_seconds, "
     "which clashes with key 'lat_seconds_bucket' of bpf.h "
     "(cgview_h_lat_seconds_bucket); rename one of them"),
    ({"d.schema": "file bpf.d\nx gauge 1 X\n# a comment\nx counter 1 Y\n"},
     "d.schema:4: key 'x' is declared twice for this file"),
    ({"l.schema": "file bpf.l\nlabel cgroup\n*.x gauge 1 X\n"},
     "l.schema:2: label 'cgroup': want [a-zA-Z_][a-zA-Z0-9_]*, not cgroup, "
     "le or __*"),
])
def test_schemas_whose_names_collide_are_refused(tmp_path, files, why):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    r = run("--once", "-o", "-", "--schemas", str(tmp_path), text=True)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == f"cgview-exporter: {tmp_path}/{why}; see " \
        "views/SCHEMA.md\n"


def test_a_schema_replacing_a_built_in_one_keeps_its_names(tmp_path):
    (tmp_path / "m.schema").write_text("file memory.stat\nanon gauge bytes "
                                       "Anon, described again\n")
    r = run("--once", "-o", "-", "--files", "memory.stat", "--schemas",
            str(tmp_path))
    assert r.returncode == 0 and r.stderr == b""


def test_undeclared_names_that_collide_are_renamed(tmp_path):
    """Files and keys no schema declares, met at run time: the first met
    keeps the name, the later ones take NAME_2, NAME_3; reported once,
    counted; promtool sees one family per name."""
    from prometheus_client.parser import text_string_to_metric_families
    mirror = tmp_path / "mirror"
    with subtree("a") as top:
        for cg in ("", "/a"):
            view = mirror / (hier(top)[1:] + cg)
            view.mkdir(parents=True)
            (view / "bpf.my-view").write_text("x 1\n")
            (view / "bpf.my_view").write_text("x 2\n")
            (view / "bpf.dup").write_text(
                "x-y 1\nx_y 2\nx.y 3\nz_2 4\nz 5\nz-2 6\n")
            (view / "bpf.exporter").write_text("scrapes_total 7\n")
        port = free_port()
        p = start("--root", top, "--mirror", str(mirror), "--files",
                  "cgroup.stat", "--listen", f"127.0.0.1:{port}",
                  "--interval", "100ms")
        try:
            text = scrape(top + "/a", port)
            time.sleep(0.3)
            text = scrape(top + "/a", port)
        finally:
            _, err = stop(p)
    check = subprocess.run(["promtool", "check", "metrics"], input=text,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    fams = [f.name for f in text_string_to_metric_families(text)]
    assert len(fams) == len(set(fams))
    values = {(f.name, s.value) for f in text_string_to_metric_families(text)
              for s in f.samples if s.labels.get("cgroup") == hier(top)}
    assert {("cgview_dup_x_y", 1), ("cgview_dup_x_y_2", 2),
            ("cgview_dup_x_y_3", 3), ("cgview_dup_z_2", 4),
            ("cgview_dup_z", 5), ("cgview_dup_z_2_2", 6),
            ("cgview_exporter_scrapes_total_2", 7)} <= values
    my = {v for n, v in values if n.startswith("cgview_my_view_x")}
    assert my == {1, 2}
    lines = err.splitlines()
    assert len(lines) == 5 and len(set(lines)) == 5
    assert ("cgview-exporter: bpf.dup: key 'x_y' is exported as "
            "cgview_dup_x_y_2: key 'x-y' of bpf.dup has its name "
            "(cgview_dup_x_y; reported once)") in lines
    renamed = [s.value for f in text_string_to_metric_families(text)
               for s in f.samples
               if f.name == "cgview_exporter_renamed_metrics"]
    assert renamed == [5]


def test_files_typo_is_a_usage_error(tmp_path):
    r = run("--once", "-o", "-", "--files", "cpu.stat,cpu.sat", text=True)
    assert r.returncode == 2 and r.stdout == ""
    first, second = r.stderr.splitlines()
    assert first.startswith("cgview-exporter: --files 'cpu.sat': not a "
                            "cgroup file with a schema; want a comma "
                            "separated list of: cgroup.stat ")
    for f in ("cpu.stat", "memory.stat", "io.stat", "pids.max"):
        assert f" {f} " in first
    assert second == "Try 'cgview-exporter --help'."
    for bad in ("bpf.id", "exporter"):
        r = run("--once", "-o", "-", "--files", bad, text=True)
        assert r.returncode == 2 and f"--files '{bad}'" in r.stderr
    (tmp_path / "kill.schema").write_text("file cgroup.kill\n. gauge 1 K\n")
    with subtree() as top:
        r = run("--once", "-o", "-", "--files", "cgroup.kill", "--root", top,
                "--mirror", "none", "--schemas", str(tmp_path))
    assert r.returncode == 0 and snapshots(r.stdout)
