"""The /metrics listener against hostile clients: an idle-connection flood
and slow readers neither stop scrapes nor hold connections for long; what
is served is checked by python3-prometheus-client's parser. The exporter
listens on 127.0.0.1; other clients come from other loopback addresses
(127.0.0.2...), as a tenant's container would from its own."""

import contextlib
import os
import resource
import socket
import time

from prometheus_client.parser import text_string_to_metric_families

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


def fetch(port, accept):
    """(Content-Type, body) of /metrics asked for with ACCEPT."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", "/metrics", headers={"Accept": accept} if accept
                  else {})
        r = c.getresponse()
        return r.getheader("Content-Type"), r.read().decode()
    finally:
        c.close()


OM = "application/openmetrics-text; version=1.0.0; charset=utf-8"
PLAIN = "text/plain; version=0.0.4; charset=utf-8"
PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,"
                     "application/openmetrics-text;version=0.0.1;q=0.75,"
                     "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


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
