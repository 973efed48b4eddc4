"""Push outputs against collectors that are down, silent or slow: memory
stays within --queue-size (VmHWM from /proc), a request is given up after
--push-retry-for, one --flush-timeout deadline holds for every target
together and cuts requests in flight, --once/--count exit 3 when a push
output did not get everything, and URLs without a path post to the
protocol's path."""

import contextlib
import http.server
import re
import socket
import threading
import time
import urllib.request

from exlib import (free_port, hier, prometheus, promql, run, start, stop,
                   subtree)

KB = 1024


class Receiver(http.server.BaseHTTPRequestHandler):
    """Answers every POST with Receiver.code, noting its path."""
    code = 200
    paths = []

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).paths.append((self.path,
                                 self.headers.get("Content-Encoding")))
        self.send_response(type(self).code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def receiver(code=200):
    Receiver.code, Receiver.paths = code, []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


@contextlib.contextmanager
def silent():
    """A collector that accepts connections and never answers: yields its
    URL and the list of connections it accepted so far."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(64)
    conns = []

    def accept():
        with contextlib.suppress(OSError):
            while True:
                conns.append(lsock.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{lsock.getsockname()[1]}", conns
    finally:
        lsock.shutdown(socket.SHUT_RDWR)
        lsock.close()
        for c in conns:
            c.close()


def dead():
    """The URL of a port nobody listens on."""
    return f"http://127.0.0.1:{free_port()}"


def lost_line(url, err):
    """The numbers of URL's 'not delivered' report on stderr."""
    m = re.search(rf"cgview-exporter: {re.escape(url)}: (\d+) of (\d+) "
                  r"requests \((\d+) samples\) not delivered: (\d+) dropped "
                  r"from the full queue, (\d+) refused, (\d+) given up after "
                  r"--push-retry-for, (\d+) not sent by --flush-timeout\n",
                  err)
    assert m, err
    return [int(x) for x in m.groups()]


def self_metric(port, name):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return None


def vm(pid, key):
    """VmRSS or VmHWM of PID in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * KB


def peak_with_target_down(top, queue):
    """VmHWM of an exporter pushing 20 snapshots a second of TOP to a dead
    remote-write target with --queue-size QUEUE, once the queue was full
    and 200 more snapshots were taken."""
    port = free_port()
    p = start("--root", top, "--interval", "50ms", "--queue-size", queue,
              "--listen", f"127.0.0.1:{port}", "--flush-timeout", "100ms",
              "-o", f"remote-write+{dead()}/api/v1/write")
    try:
        deadline = time.monotonic() + 60
        full_at = None
        while True:
            assert time.monotonic() < deadline, "queue never filled"
            with contextlib.suppress(OSError):
                scrapes = self_metric(port, "cgview_exporter_scrapes_total")
                if full_at is None and self_metric(
                        port, "cgview_exporter_samples_dropped_total"):
                    full_at = scrapes
                if full_at is not None and scrapes >= full_at + 200:
                    return vm(p.pid, "VmHWM")
            time.sleep(0.2)
    finally:
        stop(p)


def test_memory_bounded_by_queue_size_with_the_target_down():
    with subtree(*[f"c{i}" for i in range(300)]) as top:
        base = peak_with_target_down(top, "1K")
        full = peak_with_target_down(top, "16M")
    # the queue's 16 MiB, and a little for the allocator's own
    assert full - base < 16 * KB * KB * 1.25, (base, full)


def test_sigterm_with_dead_and_silent_targets_exits_by_the_deadline():
    with contextlib.ExitStack() as stack, subtree("a") as top:
        quiet = [stack.enter_context(silent()) for _ in range(3)]
        urls = [dead() for _ in range(3)] + [u for u, _ in quiet]
        outs = []
        for i, u in enumerate(urls):
            outs += ["-o", f"otlp+{u}/v1/metrics" if i % 2 else
                     f"remote-write+{u}/api/v1/write"]
        p = start("--root", top, "--interval", "100ms", "--push-timeout",
                  "1m", "--flush-timeout", "2s", *outs)
        deadline = time.monotonic() + 10
        while not all(conns for _, conns in quiet):  # requests in flight
            assert time.monotonic() < deadline, "no request reached"
            time.sleep(0.05)
        t0 = time.monotonic()
        _, err = stop(p)
        took = time.monotonic() - t0
    assert p.returncode == 0
    assert 1.5 < took < 3, took
    for i, u in enumerate(urls):
        path = "/v1/metrics" if i % 2 else "/api/v1/write"
        lost, total, samples, full, refused, given_up, unsent = \
            lost_line(u + path, err)
        assert lost == total and samples > 0 and unsent >= 1
        assert refused == given_up == 0


def test_request_given_up_after_retry_for():
    with silent() as (url, conns), subtree("a") as top:
        t0 = time.monotonic()
        r = run("--once", "--root", top, "--push-timeout", "200ms",
                "--push-retry-for", "1s", "--flush-timeout", "10s",
                "-o", f"otlp+{url}/v1/metrics", text=True)
        took = time.monotonic() - t0
        attempts = len(conns)
    assert r.returncode == 3
    assert lost_line(f"{url}/v1/metrics", r.stderr)[:2] == [1, 1]
    assert lost_line(f"{url}/v1/metrics", r.stderr)[3:] == [0, 0, 1, 0]
    # libcurl's own clock may say 199 for a 200 ms timeout
    assert re.search(r"Operation timed out after (19\d|2\d\d) milliseconds",
                     r.stderr)
    # tried again within the second, then no more: not until the deadline
    assert 2 <= attempts <= 6 and took < 3


def test_once_exits_3_when_a_push_output_did_not_get_it(tmp_path):
    with subtree("a") as top:
        with receiver() as ok:
            r = run("--once", "--root", top, "-o", f"otlp+{ok}/v1/metrics",
                    "-o", f"file:{tmp_path}/s", text=True)
            assert (r.returncode, r.stderr) == (0, "")
            url = dead()
            r = run("--once", "--root", top, "-o", f"otlp+{ok}/v1/metrics",
                    "--flush-timeout", "500ms",
                    "-o", f"remote-write+{url}/api/v1/write", text=True)
            assert r.returncode == 3
            assert lost_line(f"{url}/api/v1/write", r.stderr)[0] >= 1
        with receiver(code=400) as refusing:
            r = run("--count", "2", "--interval", "10ms", "--root", top,
                    "-o", f"otlp+{refusing}/v1/metrics", text=True)
        assert r.returncode == 3
        lost, total, _, _, refused, _, _ = lost_line(
            f"{refusing}/v1/metrics", r.stderr)
        assert lost == total == refused == 2


def test_url_without_a_path_posts_to_the_protocols_path():
    with subtree("a") as top, receiver() as url:
        r = run("--once", "--root", top, "-o", f"otlp+{url}",
                "-o", f"otlp+{url}/", "-o", f"remote-write+{url}",
                "-o", f"remote-write+{url}/custom/write?x=1", text=True)
        assert (r.returncode, r.stderr) == (0, "")
        assert sorted(set(Receiver.paths)) == [
            ("/api/v1/write", "snappy"), ("/custom/write?x=1", "snappy"),
            ("/v1/metrics", None)]
        assert Receiver.paths.count(("/v1/metrics", None)) == 2


def test_remote_write_url_without_a_path_lands_in_prometheus(tmp_path):
    with subtree("a") as top, prometheus(tmp_path) as url:
        r = run("--once", "--root", top, "-o", f"remote-write+{url}")
        assert r.returncode == 0 and r.stderr == b""
        got = promql(url, f'cgroup_nr_descendants{{cgroup="{hier(top)}"}}')
        assert [v for _, v in got] == [1]
