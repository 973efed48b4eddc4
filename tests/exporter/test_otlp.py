"""OTLP/HTTP protobuf, decoded with python3-protobuf from proto/otlp.proto:
a receiver (http.server) that answers 503 for a while, then 200, gets every
snapshot (retries, nothing lost within the queue bound); a target that is
down never stops collection and its queue stays bounded."""

import http.server
import math
import os
import re
import threading
import time

import pytest

from cgtest import REPO
from exlib import (by_path, free_port, hier, metrics, mirror, official_otlp,
                   pb2, run, samples, self_metrics, snapshots, start, stop,
                   subtree)


class Receiver(http.server.BaseHTTPRequestHandler):
    refuse_until = 0.0
    accepted, refused, headers = [], [], []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).headers.append(dict(self.headers))
        if time.monotonic() < self.refuse_until:
            type(self).refused.append(body)
            self.send_response(503)
        else:
            type(self).accepted.append(body)
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def receiver(refuse_seconds):
    Receiver.refuse_until = time.monotonic() + refuse_seconds
    Receiver.accepted, Receiver.refused, Receiver.headers = [], [], []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()),
                                          Receiver)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def decode(bodies):
    otlp = pb2("otlp")
    out = []
    for b in bodies:
        req = otlp.ExportMetricsServiceRequest()
        req.ParseFromString(b)
        out.append(req)
    return out


def points(reqs):
    """{(time, metric name, cgroup): (metric, data point)}"""
    out = {}
    for req in reqs:
        for rm in req.resource_metrics:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    kind = m.WhichOneof("data")
                    for dp in getattr(m, kind).data_points:
                        attrs = {a.key: a.value.string_value
                                 for a in dp.attributes}
                        out[(dp.time_unix_nano, m.name,
                             attrs.get("cgroup"))] = (m, dp)
    return out


def test_retries_until_the_collector_answers_and_loses_nothing(tmp_path):
    srv = receiver(refuse_seconds=1.5)
    url = f"http://127.0.0.1:{srv.server_address[1]}/v1/metrics"
    out = tmp_path / "snap"
    with subtree("a") as top:
        p = start("--root", top, "--interval", "200ms", "--batch", "10",
                  "--count", "15", "--output", f"otlp+{url}",
                  "--output", f"file:{out}")
        assert p.wait(timeout=60) == 0  # 15 snapshots, 3 s: past 1.5 s
        _, err = stop(p)
    srv.shutdown()
    assert err == f"cgview-exporter: {url}: HTTP 503 (retrying; reported once)\n"
    assert Receiver.refused, "the receiver never refused: no retry shown"
    assert Receiver.headers[0]["Content-Type"] == "application/x-protobuf"
    snaps = snapshots(out.read_bytes())
    got = points(decode(Receiver.accepted))
    # every point of every snapshot arrived, with the snapshot's value
    for snap in snaps:
        for cg in snap.cgroups:
            for m in samples(snap, cg):
                _, dp = got[(snap.time_unix_nano, m.name, cg.path)]
                assert dp.as_double == m.value
                if m.type == 1:  # counters: since their cgroup's start
                    assert dp.start_time_unix_nano == \
                        cg.start_time_unix_nano > 0
    assert len(got) == sum(len(samples(s, c)) for s in snaps
                           for c in s.cgroups) + len(snaps) * len(snaps[0].self)
    last = self_metrics(snaps[-1])
    assert last["cgview_exporter_pushes_retried_total"] > 0
    assert last["cgview_exporter_samples_dropped_total"] == 0
    m, dp = got[(snaps[0].time_unix_nano, "cgroup_cpu_usage_seconds_total",
                 hier(top) + "/a")]
    assert m.sum.is_monotonic and m.sum.aggregation_temporality == 2
    assert m.unit == "s" and dp.start_time_unix_nano > 0
    m, _ = got[(snaps[0].time_unix_nano, "cgroup_nr_descendants", hier(top))]
    assert m.WhichOneof("data") == "gauge"
    rm = decode(Receiver.accepted)[0].resource_metrics[0]
    attrs = {a.key: a.value.string_value for a in rm.resource.attributes}
    mid = open("/etc/machine-id").read().strip()
    assert attrs == {
        "service.name": "cgview-exporter",
        "service.instance.id": "-".join(
            (mid[:8], mid[8:12], mid[12:16], mid[16:20], mid[20:])),
        "host.name": os.uname().nodename, "host.id": mid,
        "os.type": "linux", "os.version": os.uname().release}
    version = open(os.path.join(REPO, "VERSION")).read().strip()
    scope = rm.scope_metrics[0].scope
    assert (scope.name, scope.version) == ("cgview-exporter", version)


def test_labels_are_point_attributes(tmp_path):
    srv = receiver(refuse_seconds=0)
    url = f"http://127.0.0.1:{srv.server_address[1]}/v1/metrics"
    with subtree("a") as top:
        r = run("--once", "--root", top, "-o", f"otlp+{url}", "--label",
                "region=eu-west", "--label", "team=sre", "--label", "empty=")
    srv.shutdown()
    assert r.returncode == 0 and r.stderr == b""
    got = points(decode(Receiver.accepted))
    assert got
    for (_, name, cgroup), (_, dp) in got.items():
        attrs = {a.key: a.value.string_value for a in dp.attributes}
        want = {"region": "eu-west", "team": "sre"}
        if cgroup is not None:
            want["cgroup"] = cgroup
        assert {k: v for k, v in attrs.items() if k != "device"} == want, \
            name


def test_histograms_from_a_view(tmp_path):
    (tmp_path / "lat.schema").write_text(
        "file bpf.lat\nlat_ns histogram ns Latency\n"
        "lat_ns_sum counter ns Sum of latencies\n")
    srv = receiver(refuse_seconds=0)
    url = f"http://127.0.0.1:{srv.server_address[1]}/v1/metrics"
    with subtree() as top:
        m = mirror(tmp_path, top, {
            "bpf.lat": "lat_ns 1024=3 2048=10 inf=1\nlat_ns_sum 30000\n"})
        r = run("--once", "--root", top, "--mirror", m, "--schemas",
                str(tmp_path), "-o", f"otlp+{url}", "-o", "-")
    srv.shutdown()
    assert r.returncode == 0 and r.stderr == b""
    [(m, dp)] = [v for k, v in points(decode(Receiver.accepted)).items()
                 if k[1] == "cgview_lat_lat_seconds"]
    assert m.histogram.aggregation_temporality == 2
    assert list(dp.bucket_counts) == [3, 10, 1]
    assert list(dp.explicit_bounds) == [1024e-9, 2048e-9]
    assert (dp.count, dp.sum) == (14, 30000e-9)
    snap = snapshots(r.stdout)[0]
    h = metrics(snap, by_path(snap)[hier(top)], "bpf.lat")["lat_ns"]
    assert [(b.le, b.count) for b in h.buckets] == [
        (1024e-9, 3), (2048e-9, 13), (math.inf, 14)]
    assert h.has_sum and h.sum == 30000e-9


def test_log2_histograms_are_exponential_by_the_official_definitions(
        tmp_path):
    """A view's log2 histogram (bounds 2^e s, views/hist.bpf.h) is an
    exponential histogram at scale 0, decoded here with the official
    opentelemetry-proto definitions: the zero bucket holds what is at most
    2^-20 s, bucket i is (2^i, 2^(i+1)], the overflow in the next one. The
    official files we have predate zero_threshold (field 14): it is checked
    with ours. --classic-histograms sends the explicit-bucket form."""
    (tmp_path / "lat.schema").write_text(
        "file bpf.lat\nlat_ns histogram ns Latency\n"
        "lat_ns_sum counter ns Sum of latencies\n")
    bodies = {}
    with subtree() as top:
        m = mirror(tmp_path, top, {"bpf.lat": "lat_ns 953=2 1907=3 3814=10 "
                                   "7629=4 inf=1\nlat_ns_sum 40000\n"})
        for how in ("native", "classic"):
            srv = receiver(refuse_seconds=0)
            url = f"http://127.0.0.1:{srv.server_address[1]}/v1/metrics"
            r = run("--once", "--root", top, "--mirror", m, "--schemas",
                    str(tmp_path), "-o", f"otlp+{url}",
                    *(["--classic-histograms"] if how == "classic" else []))
            srv.shutdown()
            assert r.returncode == 0 and r.stderr == b""
            bodies[how] = Receiver.accepted
    svc = official_otlp()
    got = []
    for b in bodies["native"]:
        req = svc.ExportMetricsServiceRequest()
        req.ParseFromString(b)
        got += [(mt, dp) for rm in req.resource_metrics
                for sm in rm.scope_metrics for mt in sm.metrics
                if mt.name == "cgview_lat_lat_seconds"
                for dp in mt.exponential_histogram.data_points]
    [(mt, dp)] = got
    assert mt.WhichOneof("data") == "exponential_histogram"
    assert mt.unit == "s"
    assert mt.exponential_histogram.aggregation_temporality == 2
    assert (dp.count, dp.sum, dp.scale, dp.zero_count) == (20, 4e-05, 0, 2)
    assert (dp.positive.offset, list(dp.positive.bucket_counts)) == (
        -20, [3, 10, 4, 1])
    assert not dp.HasField("negative")
    assert dp.start_time_unix_nano and dp.time_unix_nano
    ours = [dp for k, (m, dp) in points(decode(bodies["native"])).items()
            if k[1] == "cgview_lat_lat_seconds"]
    assert [dp.zero_threshold for dp in ours] == [2 ** -20]
    [(m, dp)] = [v for k, v in points(decode(bodies["classic"])).items()
                 if k[1] == "cgview_lat_lat_seconds"]
    assert m.WhichOneof("data") == "histogram"
    assert list(dp.explicit_bounds) == [2 ** -20, 2 ** -19, 2 ** -18,
                                        2 ** -17]
    assert list(dp.bucket_counts) == [2, 3, 10, 4, 1]


NOT_LOG2 = {
    "gap": "x_ns 953=1 3814=2 inf=0",
    "off": "x_ns 953=1 1908=2 inf=0",
    "one": "x_ns 953=1 inf=2",
    "huge": "x_ns 1152921504606846976=1 2305843009213693952=2 inf=0",
}


@pytest.mark.parametrize("odd", sorted(NOT_LOG2))
def test_histograms_that_are_not_log2_stay_explicit(tmp_path, odd):
    """Only consecutive powers of two, then inf, make an exponential
    histogram: a gap, a bound off by one ns, one power only or huge bounds
    stay explicit, exported whole. A metric is one kind in all cgroups (OTLP
    wants one type per name): one cgroup whose histogram is not log2 sends
    its log2 sibling's explicit too, both points in one Metric."""
    lines = {odd: NOT_LOG2[odd], "log2": "x_ns 953=1 1907=2 inf=0"}
    srv = receiver(refuse_seconds=0)
    url = f"http://127.0.0.1:{srv.server_address[1]}/v1/metrics"
    (tmp_path / "x.schema").write_text("file bpf.x\nx_ns histogram ns X\n")
    with subtree(*lines) as top:
        for name, line in lines.items():
            mirror(tmp_path, f"{top}/{name}", {"bpf.x": line + "\n"})
        r = run("--once", "--root", top, "--mirror", str(tmp_path / "mirror"),
                "--schemas", str(tmp_path), "-o", f"otlp+{url}")
    srv.shutdown()
    assert r.returncode == 0 and r.stderr == b""
    reqs = decode(Receiver.accepted)
    kinds = {k[2].rsplit("/", 1)[1]: (m.WhichOneof("data"), dp.count)
             for k, (m, dp) in points(reqs).items()
             if k[1] == "cgview_x_x_seconds"}
    assert kinds == {odd: ("histogram", 3), "log2": ("histogram", 3)}
    assert [m.name for q in reqs for rm in q.resource_metrics
            for sm in rm.scope_metrics for m in sm.metrics
            if m.name == "cgview_x_x_seconds"] == ["cgview_x_x_seconds"]


def test_a_target_that_is_down_never_stops_collection(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1/metrics"  # nobody listens
    out = tmp_path / "snap"
    with subtree("a", "b") as top:
        p = start("--root", top, "--interval", "100ms", "--queue-size", "4K",
                  "--flush-timeout", "300ms", "--count", "20",
                  "--output", f"otlp+{url}", "--output", f"file:{out}")
        assert p.wait(timeout=60) == 3  # --count: not delivered
        _, err = stop(p)
    retrying, lost = err.splitlines()
    assert url in retrying and "retrying" in retrying
    assert re.fullmatch(
        rf"cgview-exporter: {url}: (\d+) of (\d+) requests \(\d+ samples\) "
        r"not delivered: (\d+) dropped from the full queue, 0 refused, 0 "
        r"given up after --push-retry-for, (\d+) not sent by --flush-timeout",
        lost)
    snaps = snapshots(out.read_bytes())
    assert len(snaps) == 20
    last = self_metrics(snaps[-1])
    assert last["cgview_exporter_samples_dropped_total"] > 0
    assert last["cgview_exporter_pushes_ok_total"] == 0


def test_push_headers(tmp_path):
    srv = receiver(refuse_seconds=0)
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    with subtree() as top:
        r = run("--once", "--root", top, "--mirror", "none",
                "-o", f"otlp+{base}/v1/metrics",
                "-o", f"remote-write+{base}/api/v1/write")
    srv.shutdown()
    assert r.returncode == 0 and r.stderr == b""
    otlp, rw = sorted(Receiver.headers, key=lambda h: "Content-Encoding" in h)
    assert otlp["Content-Type"] == "application/x-protobuf"
    assert otlp["User-Agent"].startswith("cgview-exporter/")
    assert {k: rw[k] for k in ("Content-Type", "Content-Encoding",
                               "X-Prometheus-Remote-Write-Version")} == {
        "Content-Type": "application/x-protobuf",
        "Content-Encoding": "snappy",
        "X-Prometheus-Remote-Write-Version": "0.1.0"}
    assert rw["User-Agent"].startswith("cgview-exporter/")
