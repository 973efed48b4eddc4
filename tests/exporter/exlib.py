"""Helpers of the exporter tests: run cgview-exporter, decode what it
writes with python3-protobuf (Python generated from proto/ at test time),
free ports, a test cgroup subtree."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid

from cgtest import REPO, cgroup2_root, hier  # noqa: F401 (for tests)
import bulkcmp
from bulkcmp import wait_written, written  # noqa: F401 (for tests)

EXPORTER = os.path.join(REPO, "build", "cgview-exporter")
GEN = os.path.join(REPO, "build", "py")


def pb2(name):
    """The generated module of proto/NAME.proto (protoc runs each session)."""
    os.makedirs(GEN, exist_ok=True)
    subprocess.run(["protoc", f"--python_out={GEN}",
                    f"-I{os.path.join(REPO, 'proto')}",
                    os.path.join(REPO, "proto", f"{name}.proto")], check=True)
    if GEN not in sys.path:
        sys.path.insert(0, GEN)
    return __import__(f"{name}_pb2")


def official_otlp():
    """The official opentelemetry-proto metrics service messages (the
    Makefile generates them from the upstream .proto files: OTEL_PY)."""
    gen = os.path.join(REPO, "build", "otel-py")
    if gen not in sys.path:
        sys.path.insert(0, gen)
    from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
    return metrics_service_pb2


def snapshots(data):
    """Each Snapshot of a length-delimited stream."""
    pb2("cgview")
    return bulkcmp.decode(data)


def run(*args, **kw):
    return subprocess.run([EXPORTER, *args], capture_output=True, **kw)


def start(*args):
    return subprocess.Popen([EXPORTER, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def stop(p, timeout=30):
    """SIGTERM P; its (stdout, stderr) once it exited."""
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=timeout)
    return out, err.decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rm_tree(path):
    """Remove a cgroup subtree, deepest first."""
    for dirpath, dirs, _ in sorted(os.walk(path), key=lambda w: -len(w[0])):
        os.rmdir(dirpath)


@contextlib.contextmanager
def subtree(*children):
    """<cgroup2 root>/cgview-test-<pid>-<rand> with CHILDREN (relative
    paths, str or bytes, parents first), removed after."""
    top = os.path.join(cgroup2_root(),
                       f"cgview-test-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    os.mkdir(top)
    try:
        for c in children:
            os.mkdir(os.path.join(os.fsencode(top) if isinstance(c, bytes)
                                  else top, c))
        yield top
    finally:
        rm_tree(top)


def escape(name):
    """NAME (bytes) as every output shows it (README.md, "Names in the
    output"), written from the rule with Python's strict UTF-8 decoder."""
    chars = name.decode("utf-8", "surrogateescape")
    out = []

    def escaped(c):
        return c == "\0" or "\udc80" <= c <= "\udcff"

    for i, c in enumerate(chars):
        if escaped(c):
            out.append(f"\\x{ord(c) & 0xff:02x}")
            continue
        rest = chars[i + 1:i + 4]
        if c == "\\" and rest and (
                rest[0] == "\\" or escaped(rest[0]) or rest == "x00" or
                (len(rest) == 3 and rest[0] == "x" and rest[1] in "89abcdef"
                 and rest[2] in "0123456789abcdef")):
            out.append("\\")
        out.append(c)
    return "".join(out)


def unescape(text):
    """The bytes of a name from what an output shows (TEXT, str)."""
    b, out, i = text.encode(), bytearray(), 0
    while i < len(b):
        h = b[i + 2:i + 4]
        if b[i:i + 2] == b"\\\\":
            out += b"\\"
            i += 2
        elif b[i:i + 2] == b"\\x" and len(h) == 2 and (
                h == b"00" or (h[0:1] in b"89abcdef" and
                               h[1:2] in b"0123456789abcdef")):
            out.append(int(h, 16))
            i += 4
        else:
            out.append(b[i])
            i += 1
    return bytes(out)


def by_path(snap):
    return {cg.path: cg for cg in snap.cgroups}


class Sample:
    """A sample with its metric's description: name, key, type, unit,
    known, label (name), label_value, value, buckets, sum, has_sum."""

    def __init__(self, snap, s):
        m = snap.metrics[s.metric]
        for k in ("name", "key", "type", "unit", "help", "label", "known"):
            setattr(self, k, getattr(m, k))
        self.label_value = s.label
        for k in ("value", "buckets", "sum", "has_sum"):
            setattr(self, k, getattr(s, k))


def metrics(snap, cg, file):
    """{key: Sample} of FILE in cgroup message CG (labelled keys:
    key@value)."""
    out = {}
    for f in cg.files:
        if f.name == file:
            for s in f.samples:
                m = Sample(snap, s)
                out[m.key + (f"@{m.label_value}" if m.label else "")] = m
    return out


def samples(snap, cg):
    """Every Sample of cgroup message CG."""
    return [Sample(snap, s) for f in cg.files for s in f.samples]


def self_metrics(snap):
    """{name: value} of the exporter's own metrics."""
    return {Sample(snap, s).name: s.value for s in snap.self}


def prometheus_available():
    return shutil.which("prometheus") is not None


@contextlib.contextmanager
def prometheus(tmp, scrape=None, native=True):
    """A Prometheus server of our own (Debian's package) on a free loopback
    port, remote write receiver on, native histograms on unless not NATIVE,
    storage in TMP; scraping SCRAPE (HOST:PORT) every second when given.
    Yields its base URL."""
    import time
    import urllib.request
    port = free_port()
    cfg = tmp / "prometheus.yml"
    text = "global:\n  scrape_interval: 1s\n"
    if scrape:
        text += ("scrape_configs:\n  - job_name: cgview\n"
                 f"    static_configs:\n      - targets: ['{scrape}']\n")
    cfg.write_text(text)
    log = open(tmp / "prometheus.log", "w")
    p = subprocess.Popen(["prometheus", f"--config.file={cfg}",
                          f"--storage.tsdb.path={tmp / 'data'}",
                          f"--web.listen-address=127.0.0.1:{port}",
                          "--web.enable-remote-write-receiver"] +
                         (["--enable-feature=native-histograms"]
                          if native else []),
                         stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/-/ready", timeout=1)
                break
            except OSError:
                assert p.poll() is None, (tmp / "prometheus.log").read_text()
                time.sleep(0.1)
        yield url
    finally:
        p.terminate()
        p.wait(timeout=30)
        log.close()


def promql(url, query):
    """[(labels, value)] of an instant query through the HTTP API."""
    import json
    import urllib.parse
    import urllib.request
    q = urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(f"{url}/api/v1/query?{q}", timeout=10) as r:
        body = json.load(r)
    assert body["status"] == "success", body
    return [(s["metric"], float(s["value"][1]))
            for s in body["data"]["result"]]


def promql_hist(url, query):
    """[(labels, histogram)] of an instant query whose answer is native
    histograms; histogram: {"count", "sum", "buckets": [(lower, upper,
    count)]} as floats."""
    import json
    import urllib.parse
    import urllib.request
    q = urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(f"{url}/api/v1/query?{q}", timeout=10) as r:
        body = json.load(r)
    assert body["status"] == "success", body
    out = []
    for s in body["data"]["result"]:
        h = s["histogram"][1]
        out.append((s["metric"], {
            "count": float(h["count"]), "sum": float(h["sum"]),
            "buckets": [(float(lo), float(hi), float(n))
                        for _, lo, hi, n in h.get("buckets", [])]}))
    return out


def mirror(tmp, top, files):
    """A bpffs-like mirror in TMP whose directory of cgroup TOP holds
    FILES ({name: text}); its path, for --mirror."""
    m = tmp / "mirror"
    d = m / os.path.relpath(top, cgroup2_root())
    d.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (d / name).write_text(text)
    return str(m)


def scrape(port, marker, source="127.0.0.1", seconds=10):
    """The text of /metrics on PORT (from SOURCE) once it holds MARKER."""
    import http.client
    import time
    deadline = time.monotonic() + seconds
    while True:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                       source_address=(source, 0))
        try:
            c.request("GET", "/metrics")
            text = c.getresponse().read().decode()
            if marker in text:
                return text
        except OSError:
            pass
        finally:
            c.close()
        assert time.monotonic() < deadline, f"no {marker} on /metrics"
        time.sleep(0.1)
