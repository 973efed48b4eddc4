"""The /metrics listener against hostile clients: an idle-connection flood
and slow readers neither stop scrapes nor hold connections for long; what
is served is checked by python3-prometheus-client's parser. The exporter
listens on 127.0.0.1; other clients come from other loopback addresses
(127.0.0.2...), as a tenant's container would from its own."""

import contextlib
import os
import resource
import socket
import sys
import time

from prometheus_client.parser import text_string_to_metric_families

from cgtest import REPO
from exlib import free_port, hier, mirror, scrape, start, stop, subtree

BIG = "bpf.a_view_with_a_rather_long_name_for_its_size"
BIG_SCHEMA = f"file {BIG}\nlabel n\n*.x gauge 1 X\n"
BIG_LINES = 80000  # 800 kB of bpf.* file, 8 MB of text on /metrics


@contextlib.contextmanager
def exporter(tmp_path, *flags, big=False):
    """An exporter listening on 127.0.0.1 (yields its port and the first
    text it served), with FLAGS; BIG adds a view of BIG_LINES samples."""
    port = free_port()
    with subtree("a") as top:
        args = ["--listen", f"127.0.0.1:{port}", "--root", top,
                "--interval", "1h", *flags]
        if big:
            lines = "".join(f"{i:x} x=1\n" for i in range(BIG_LINES))
            (tmp_path / "big.schema").write_text(BIG_SCHEMA)
            args += ["--mirror", mirror(tmp_path, top, {BIG: lines}),
                     "--schemas", str(tmp_path)]
        p = start(*args)
        try:
            text = scrape(port, f'cgroup="{hier(top)}/a"')
            assert not big or len(text) > 7e6
            yield p, port, top, text
        finally:
            _, err = stop(p)
        assert p.returncode == 0, err


def parsed(text, top):
    """{(name, cgroup)} of the text, as prometheus-client parses it."""
    return {(s.name, s.labels.get("cgroup"))
            for f in text_string_to_metric_families(text) for s in f.samples}


def sockets_of(pid):
    """Sockets PID holds open."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
    return n


def flood(n, sources, port):
    """N idle connections to PORT, spread over the SOURCES addresses."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 256), hard))
    socks = []
    for i in range(n):
        s = socket.socket()
        s.bind((sources[i % len(sources)], 0))
        s.connect(("127.0.0.1", port))
        socks.append(s)
    return socks


def test_idle_flood_from_one_address_does_not_stop_scrapes(tmp_path):
    with exporter(tmp_path, "--listen-per-ip", "8") as (p, port, top, _):
        socks = flood(1100, ["127.0.0.2"], port)
        try:
            text = scrape(port, f'cgroup="{hier(top)}/a"')
            assert ("cgroup_nr_descendants", f"{hier(top)}/a") in \
                parsed(text, top)
            # the listening socket, its epoll, and 8 of the 1100
            assert sockets_of(p.pid) <= 8 + 2
        finally:
            for s in socks:
                s.close()


def test_connections_limited_in_total(tmp_path):
    with exporter(tmp_path, "--listen-connections", "20",
                  "--listen-per-ip", "5") as (p, port, top, _):
        socks = flood(60, [f"127.0.0.{i}" for i in range(2, 14)], port)
        try:
            assert sockets_of(p.pid) <= 20 + 1
        finally:
            for s in socks:
                s.close()
        text = scrape(port, f'cgroup="{hier(top)}/a"')
        assert ("cgroup_nr_descendants", hier(top)) in parsed(text, top)


def server_state(port, client_port):
    """The TCP state (hex, 01 established) of the exporter's end of the
    connection from CLIENT_PORT, None once it is gone."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            local, remote, state = line.split()[1:4]
            if (int(local.split(":")[1], 16) == port and
                    int(remote.split(":")[1], 16) == client_port):
                return state
    return None


def get(port, source):
    """A connection from SOURCE, with a tiny receive buffer, that asked
    for /metrics without gzip."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    return s


def test_client_that_never_reads_is_cut_after_the_timeout(tmp_path):
    with exporter(tmp_path, "--listen-timeout", "2s", big=True) as \
            (p, port, top, full):
        s = get(port, "127.0.0.2")
        t0 = time.monotonic()
        me = s.getsockname()[1]
        try:
            assert server_state(port, me) == "01"
            # others are served meanwhile
            assert len(scrape(port, f'cgroup="{hier(top)}/a"')) == len(full)
            while server_state(port, me) == "01":
                assert time.monotonic() - t0 < 10, "never cut"
                time.sleep(0.05)
            assert time.monotonic() - t0 >= 1.5
        finally:
            s.close()


def test_client_that_reads_slowly_is_cut_after_the_timeout(tmp_path):
    with exporter(tmp_path, "--listen-timeout", "2s", big=True) as \
            (p, port, top, full):
        s = get(port, "127.0.0.3")
        t0 = time.monotonic()
        got = 0
        try:
            while True:  # 100 kB/s: the whole text would take a minute
                try:
                    n = len(s.recv(1000))
                except ConnectionResetError:
                    break
                if not n:
                    break
                got += n
                assert time.monotonic() - t0 < 10, "never cut"
                if got == n:  # others are served meanwhile
                    assert len(scrape(port, "n=")) == len(full)
                time.sleep(0.01)
        finally:
            s.close()
        assert 1.5 <= time.monotonic() - t0 < 5
        assert 0 < got < len(full) / 2


def test_client_that_trickles_its_request_is_cut_after_the_timeout(tmp_path):
    import select
    with exporter(tmp_path, "--listen-timeout", "2s") as (p, port, top, full):
        s = socket.socket()
        s.bind(("127.0.0.4", 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        t0 = time.monotonic()
        try:
            while True:  # a byte of header every 0.3 s: never idle
                if select.select([s], [], [], 0.3)[0]:
                    assert s.recv(4096) == b""  # closed, no response
                    break
                assert time.monotonic() - t0 < 10, "never cut"
                s.send(b"a")
            took = time.monotonic() - t0
            # others are served meanwhile
            assert len(scrape(port, f'cgroup="{hier(top)}/a"')) == len(full)
        finally:
            s.close()
        assert 1.5 <= took < 3.5, took


def response(port, accept):
    """(headers, body) of /metrics asked for with ACCEPT."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", "/metrics", headers={"Accept": accept} if accept
                  else {})
        r = c.getresponse()
        return r.headers, r.read()
    finally:
        c.close()


def fetch(port, accept, raw=False):
    """(Content-Type, body) of /metrics asked for with ACCEPT (RAW: the
    body as bytes)."""
    headers, body = response(port, accept)
    return headers["Content-Type"], body if raw else body.decode()


OM = "application/openmetrics-text; version=1.0.0; charset=utf-8"
PLAIN = "text/plain; version=0.0.4; charset=utf-8"
PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,"
                     "application/openmetrics-text;version=0.0.1;q=0.75,"
                     "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
PB = ("application/vnd.google.protobuf; "
      "proto=io.prometheus.client.MetricFamily; encoding=delimited")
# what Prometheus 2.42 asks with --enable-feature=native-histograms
PROMETHEUS_NATIVE_ACCEPT = (
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
    "encoding=delimited;q=0.5,application/openmetrics-text;version=1.0.0;"
    "q=0.4,application/openmetrics-text;version=0.0.1;q=0.3,"
    "text/plain;version=0.0.4;q=0.2,*/*;q=0.1")
LOG2 = "lat_ns 953=2 1907=3 3814=10 7629=4 inf=1\nlat_ns_sum 40000\n"


def families(body):
    """{name: MetricFamily} of a delimited protobuf body, decoded with
    client_model's metrics.proto (Debian's: the Makefile's PROM_PY)."""
    from google.protobuf.internal.decoder import _DecodeVarint32
    gen = os.path.join(REPO, "build", "prom-py")
    if gen not in sys.path:
        sys.path.insert(0, gen)
    import client_model_metrics_pb2 as metrics_pb2
    out, pos = {}, 0
    while pos < len(body):
        n, pos = _DecodeVarint32(body, pos)
        f = metrics_pb2.MetricFamily()
        f.ParseFromString(body[pos:pos + n])
        pos += n
        assert f.name not in out, f"{f.name} twice"
        out[f.name] = f
    return out


def until_format(p, port, accept, kind):
    """Wait until /metrics answers ACCEPT with Content-Type KIND (from the
    snapshot after the first request that asked for it)."""
    while True:
        assert p.poll() is None
        try:
            if fetch(port, accept, raw=True)[0] == kind:
                return
        except OSError:  # not listening yet
            pass
        time.sleep(0.05)


def test_protobuf_with_native_histograms_for_those_who_ask(tmp_path):
    """A client that asks for the protobuf format (as Prometheus with
    native histograms does) gets delimited MetricFamily messages from the
    next snapshot on: a log2 histogram with its classic buckets and its
    native form; --classic-histograms leaves the native form out."""
    (tmp_path / "lat.schema").write_text(
        "file bpf.lat\nlat_ns histogram ns Latency\n"
        "lat_ns_sum counter ns Sum of latencies\n")
    got = {}
    with subtree("a") as top:
        m = mirror(tmp_path, top, {"bpf.lat": LOG2})
        for how in ("native", "classic"):
            port = free_port()
            p = start("--listen", f"127.0.0.1:{port}", "--root", top,
                      "--interval", "100ms", "--mirror", m, "--schemas",
                      str(tmp_path), "--label", "region=eu-west",
                      *(["--classic-histograms"] if how == "classic"
                        else []))
            try:
                until_format(p, port, PROMETHEUS_NATIVE_ACCEPT, PB)
                got[how] = families(fetch(port, PROMETHEUS_NATIVE_ACCEPT,
                                          raw=True)[1])
            finally:
                _, err = stop(p)
            assert p.returncode == 0 and err == ""
    fams = got["native"]
    usage = fams["cgroup_cpu_usage_seconds_total"]
    assert usage.type == 0  # COUNTER
    by_cg = {dict((lp.name, lp.value) for lp in mt.label)["cgroup"]: mt
             for mt in usage.metric}
    a = by_cg[hier(top) + "/a"]
    assert {lp.name: lp.value for lp in a.label}["region"] == "eu-west"
    assert a.HasField("counter")
    lat = fams["cgview_lat_lat_seconds"]
    assert lat.type == 4 and lat.help == "Latency"  # HISTOGRAM
    [h] = [mt.histogram for mt in lat.metric]
    assert (h.sample_count, h.sample_sum) == (20, 4e-05)
    assert [(b.upper_bound, b.cumulative_count) for b in h.bucket] == [
        (2 ** -20, 2), (2 ** -19, 5), (2 ** -18, 15), (2 ** -17, 19)]
    assert (h.schema, h.zero_threshold, h.zero_count) == (0, 2 ** -20, 2)
    assert [(s.offset, s.length) for s in h.positive_span] == [(-19, 4)]
    assert list(h.positive_delta) == [3, 7, -6, -3]  # 3, 10, 4, 1
    [h] = [mt.histogram for mt in
           got["classic"]["cgview_lat_lat_seconds"].metric]
    assert [(b.upper_bound, b.cumulative_count) for b in h.bucket] == [
        (2 ** -20, 2), (2 ** -19, 5), (2 ** -18, 15), (2 ** -17, 19)]
    assert not h.HasField("schema") and not h.positive_span


def test_the_format_with_the_highest_q_wins(tmp_path):
    """Accept is weighed by q: the highest of the formats /metrics has,
    the 0.0.4 text when none of them is named (or all have q=0); a q that
    is not one from 0 to 1 counts as 0, junk between commas is skipped."""
    with subtree() as top:
        port = free_port()
        p = start("--listen", f"127.0.0.1:{port}", "--root", top,
                  "--interval", "100ms", "--mirror", "none")
        try:
            until_format(p, port, "application/openmetrics-text", OM)
            until_format(p, port, PB, PB)
            kinds = {a: fetch(port, a, raw=True)[0] for a in (
                "text/plain;q=1, application/openmetrics-text;q=0.5",
                "text/plain;q=0.5, application/openmetrics-text",
                "application/openmetrics-text;q=0.2, " + PB + ";q=0.3",
                "application/vnd.google.protobuf;q=1, text/plain;q=0.1",
                "application/json",
                "application/openmetrics-text;q=0, " + PB + "; q=0",
                " APPLICATION/OpenMetrics-Text ; version=1.0.0 ; q=0.9",
                "application/openmetrics-text;q=nan, " + PB + ";q=2",
                ";;,,;q=,application/openmetrics-text;q;=;,"
                "text/plain;q=0.5;q=0.1")}
            # caches between us and scrapers keep the formats apart
            vary = {response(port, a)[0]["Vary"] for a in (None, PB)}
        finally:
            _, err = stop(p)
    assert p.returncode == 0 and err == ""
    assert list(kinds.values()) == [PLAIN, OM, PB, PLAIN, PLAIN, PLAIN, OM,
                                    PLAIN, OM]
    assert vary == {"Accept, Accept-Encoding"}


def test_openmetrics_for_those_who_ask(tmp_path):
    """A client whose Accept lists OpenMetrics gets OpenMetrics 1.0 from
    the next snapshot on (the 0.0.4 text until then); the others, and one
    that gives OpenMetrics q=0, the 0.0.4 text."""
    from prometheus_client.openmetrics.parser import \
        text_string_to_metric_families as om_families
    (tmp_path / "lat.schema").write_text(
        "file bpf.lat\nlat_ns histogram ns Latency\n"
        "lat_ns_sum counter ns Sum of latencies\n")
    with subtree("a") as top:
        m = mirror(tmp_path, top, {
            "bpf.lat": "lat_ns 1024=3 2048=10 inf=1\nlat_ns_sum 30000\n"})
        port = free_port()
        p = start("--listen", f"127.0.0.1:{port}", "--root", top,
                  "--interval", "100ms", "--mirror", m, "--schemas",
                  str(tmp_path), "--label", "region=eu-west")
        try:
            scrape(port, f'cgroup="{hier(top)}/a"')
            while fetch(port, PROMETHEUS_ACCEPT)[0] != OM:
                assert p.poll() is None
                time.sleep(0.05)
            kind, text = fetch(port, PROMETHEUS_ACCEPT)
            plain = [fetch(port, a) for a in (None, "text/plain",
                     "application/openmetrics-text;q=0,text/plain")]
        finally:
            _, err = stop(p)
    assert p.returncode == 0 and err == ""
    assert kind == OM and text.endswith("\n# EOF\n")
    fams = {f.name: f for f in om_families(text)}
    usage = fams["cgroup_cpu_usage_seconds"]
    assert (usage.type, usage.unit) == ("counter", "seconds")
    assert {s.name for s in usage.samples} == {
        "cgroup_cpu_usage_seconds_total"}
    assert all(s.labels["region"] == "eu-west" for s in usage.samples)
    lat = fams["cgview_lat_lat_seconds"]
    assert (lat.type, lat.unit) == ("histogram", "seconds")
    got = {(s.name, s.labels.get("le")): s.value for s in lat.samples}
    assert got == {("cgview_lat_lat_seconds_bucket", "1.024e-06"): 3,
                   ("cgview_lat_lat_seconds_bucket", "2.048e-06"): 13,
                   ("cgview_lat_lat_seconds_bucket", "+Inf"): 14,
                   ("cgview_lat_lat_seconds_count", None): 14,
                   ("cgview_lat_lat_seconds_sum", None): 30000e-9}
    for kind, body in plain:
        assert kind == PLAIN and "# EOF" not in body
        assert ("cgroup_cpu_usage_seconds_total", hier(top) + "/a") in \
            parsed(body, top)
