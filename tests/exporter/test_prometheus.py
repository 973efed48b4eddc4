"""A real Prometheus server (Debian's package, our own instance): remote
write lands and PromQL returns the series and values; Prometheus scrapes
/metrics successfully."""

import os
import time

from cgtest import read
from exlib import cgroup2_root, free_port, hier, mirror, prometheus, \
    promql, promql_hist, run, scrape, start, stop, subtree, wait_written, \
    written


def metadata(url, family):
    """What Prometheus keeps of FAMILY's TYPE, UNIT and HELP lines."""
    import json
    import urllib.request
    with urllib.request.urlopen(f"{url}/api/v1/metadata?metric={family}",
                                timeout=10) as r:
        return json.load(r)["data"].get(family, [])


def burn(cg):
    import subprocess
    subprocess.run(["sh", "-c", f"echo $$ > {cg}/cgroup.procs; timeout 0.3 "
                    "sh -c 'while :; do :; done'; true"], check=True)


def usage_seconds(cg):
    return dict(l.split() for l in read(f"{cg}/cpu.stat").splitlines())


def test_remote_write_lands_and_promql_answers(tmp_path):
    with subtree("a", "a/b") as top, prometheus(tmp_path) as url:
        burn(f"{top}/a/b")
        r = run("--once", "--root", top, "--output",
                f"remote-write+{url}/api/v1/write", "--batch", "7")
        assert r.returncode == 0 and r.stderr == b""
        usec = int(usage_seconds(f"{top}/a/b")["usage_usec"])
        got = promql(url, "cgroup_cpu_usage_seconds_total"
                     f'{{cgroup="{hier(top)}/a/b"}}')
        assert len(got) == 1
        labels, value = got[0]
        assert value == usec / 1e6 > 0
        assert labels == {"__name__": "cgroup_cpu_usage_seconds_total",
                          "cgroup": f"{hier(top)}/a/b",
                          "instance": os.uname().nodename}
        got = promql(url, f'cgroup_nr_descendants{{cgroup=~"{hier(top)}.*"}}')
        assert sorted((l["cgroup"], v) for l, v in got) == [
            (hier(top), 2), (f"{hier(top)}/a", 1), (f"{hier(top)}/a/b", 0)]
        # the exporter's own metrics arrive too, without a cgroup label
        [(labels, v)] = promql(url, "cgview_exporter_scrapes_total")
        assert v == 1 and "cgroup" not in labels
        # batches of 7 series: every series of every cgroup landed
        n = promql(url, f'count({{cgroup=~"{hier(top)}.*"}})')[0][1]
        assert n == 3 * len(promql(
            url, f'{{cgroup="{hier(top)}/a/b"}}'))


def test_two_hosts_write_into_one_prometheus_apart(tmp_path):
    """Two exporters (two hosts: their instance labels) write the same
    cgroup paths into one Prometheus: two series each, every --label on
    them; --label instance= writes none."""
    with subtree("a") as top, prometheus(tmp_path) as url:
        for host in ("host-a", "host-b"):
            r = run("--once", "--root", top, "--output",
                    f"remote-write+{url}/api/v1/write", "--label",
                    f"instance={host}", "--label", "region=eu-west")
            assert r.returncode == 0 and r.stderr == b""
        q = f'cgroup_nr_descendants{{cgroup="{hier(top)}"}}'
        got = promql(url, q)
        assert sorted((l["instance"], l["region"], v) for l, v in got) == [
            ("host-a", "eu-west", 1), ("host-b", "eu-west", 1)]
        [(labels, v)] = promql(url, 'cgview_exporter_scrapes_total'
                               '{instance="host-b"}')
        assert labels["region"] == "eu-west" and v == 1
        r = run("--once", "--root", top, "--output",
                f"remote-write+{url}/api/v1/write", "--label", "instance=",
                "--label", "region=us")
        assert r.returncode == 0 and r.stderr == b""
        [(labels, v)] = promql(url, q.replace("}", ',region="us"}'))
        assert labels == {"__name__": "cgroup_nr_descendants",
                          "cgroup": hier(top), "region": "us"}


def pushing(top, url, out, *flags):
    """An exporter writing TOP to URL (and OUT) every 200 ms."""
    return start("--root", top, "--interval", "200ms", "--output",
                 f"remote-write+{url}/api/v1/write", "--output",
                 f"file:{out}", *flags)


def until_there(p, url, q):
    while not promql(url, q):
        assert p.poll() is None
        time.sleep(0.1)


def until_stale(url, q):
    deadline = time.monotonic() + 30
    while promql(url, q):
        assert time.monotonic() < deadline, "never stale"
        time.sleep(0.1)


def test_a_removed_cgroups_series_go_stale_at_once(tmp_path):
    """Remote write marks the series of a removed cgroup stale, so PromQL
    stops returning them at the next snapshot, not 5 minutes later; a
    cgroup removed and made again under its path keeps its series (no
    stale marker and value at one timestamp, which Prometheus refuses)."""
    out = tmp_path / "snap"
    with subtree("a", "gone") as top, prometheus(tmp_path) as url:
        p = pushing(top, url, out)
        try:
            q = f'cgroup_nr_descendants{{cgroup="{hier(top)}/gone"}}'
            until_there(p, url, q)
            os.rmdir(f"{top}/gone")
            until_stale(url, q)
            os.rmdir(f"{top}/a")
            os.mkdir(f"{top}/a")
            wait_written(p, out, written(out) + 3)
            a = f'cgroup_nr_descendants{{cgroup="{hier(top)}/a"}}'
            assert [v for _, v in promql(url, a)] == [0]
            assert [v for _, v in promql(url, f'cgroup_nr_descendants{{'
                                         f'cgroup="{hier(top)}"}}')] == [1]
        finally:
            _, err = stop(p)
    assert p.returncode == 0 and err == ""


def test_a_view_no_longer_exposed_goes_stale_while_its_cgroup_stays(
        tmp_path):
    """A bpf.* file gone from a cgroup that stays (cgview unexpose): its
    series go stale at the next snapshot (its native histogram too), the
    cgroup's others do not."""
    (tmp_path / "v.schema").write_text(
        "file bpf.v\nx gauge 1 X\nlat_ns histogram ns L\n")
    out = tmp_path / "snap"
    with subtree("a") as top, prometheus(tmp_path) as url:
        m = mirror(tmp_path, f"{top}/a", {"bpf.v": "x 7\n" + LOG2})
        p = pushing(top, url, out, "--mirror", m, "--schemas", str(tmp_path))
        try:
            q = f'cgview_v_x{{cgroup="{hier(top)}/a"}}'
            hq = f'histogram_count(cgview_v_lat_seconds{{cgroup="{hier(top)}/a"}})'
            until_there(p, url, q)
            assert promql(url, hq)[0][1] == 20
            os.unlink(os.path.join(m, os.path.relpath(
                f"{top}/a", cgroup2_root()), "bpf.v"))
            until_stale(url, q)
            until_stale(url, hq)
            wait_written(p, out, written(out) + 2)
            assert promql(url, "cgroup_nr_descendants"
                          f'{{cgroup="{hier(top)}/a"}}')
        finally:
            _, err = stop(p)
    assert p.returncode == 0 and err == ""


def test_series_gone_from_a_file_that_stays_go_stale(tmp_path):
    """A device gone from a file of `*` keys (io.stat's shape) and a key
    gone from a flat file (cpu.stat's when the cpu controller is taken
    away): their series go stale at the next snapshot, the file's others
    do not."""
    (tmp_path / "d.schema").write_text(
        "file bpf.d\nlabel device\n*.rbytes counter bytes R\n")
    (tmp_path / "f.schema").write_text(
        "file bpf.f\nx gauge 1 X\ny gauge 1 Y\n")
    out = tmp_path / "snap"
    with subtree("a") as top, prometheus(tmp_path) as url:
        m = mirror(tmp_path, f"{top}/a", {"bpf.d": "8:0 rbytes=1\n"
                                          "8:16 rbytes=2\n",
                                          "bpf.f": "x 1\ny 2\n"})
        d = os.path.join(m, os.path.relpath(f"{top}/a", cgroup2_root()))
        p = pushing(top, url, out, "--mirror", m, "--schemas", str(tmp_path))
        cg = f'cgroup="{hier(top)}/a"'
        try:
            until_there(p, url, f'cgview_d_rbytes_total{{{cg},device="8:16"}}')
            until_there(p, url, f"cgview_f_y{{{cg}}}")
            with open(os.path.join(d, "bpf.d"), "w") as f:
                f.write("8:0 rbytes=3\n")
            with open(os.path.join(d, "bpf.f"), "w") as f:
                f.write("x 4\n")
            until_stale(url, f'cgview_d_rbytes_total{{{cg},device="8:16"}}')
            until_stale(url, f"cgview_f_y{{{cg}}}")
            wait_written(p, out, written(out) + 2)
            assert [v for _, v in promql(
                url, f'cgview_d_rbytes_total{{{cg},device="8:0"}}')] == [3]
            assert [v for _, v in promql(url, f"cgview_f_x{{{cg}}}")] == [4]
        finally:
            _, err = stop(p)
    assert p.returncode == 0 and err == ""


def test_prometheus_scrapes_metrics(tmp_path):
    """Prometheus without native histograms scrapes OpenMetrics."""
    port = free_port()
    with subtree("a") as top:
        p = start("--listen", f"127.0.0.1:{port}", "--root", top,
                  "--interval", "500ms", "--label", "region=eu-west")
        try:
            with prometheus(tmp_path, scrape=f"127.0.0.1:{port}",
                            native=False) as url:
                for _ in range(60):
                    up = promql(url, 'up{job="cgview"}')
                    got = promql(url, "cgroup_nr_descendants"
                                 f'{{cgroup="{hier(top)}"}}')
                    if up and up[0][1] == 1 and got:
                        break
                    time.sleep(0.5)
                assert up[0][1] == 1
                assert got[0][1] == 1
                # the scraper's instance, the exporter's --label
                assert got[0][0]["instance"] == f"127.0.0.1:{port}"
                assert got[0][0]["region"] == "eu-west"
                # it scraped OpenMetrics: a counter's family and its unit
                deadline = time.monotonic() + 30
                while not (meta := metadata(url, "cgroup_cpu_usage_seconds")):
                    assert time.monotonic() < deadline, "no OpenMetrics"
                    time.sleep(0.2)
                assert meta == [{"type": "counter", "unit": "seconds",
                                 "help": meta[0]["help"]}]
                assert promql(url, "cgroup_cpu_usage_seconds_total"
                              f'{{cgroup="{hier(top)}/a"}}')
                assert promql(url, "cgview_exporter_cgroups_read")[0][1] == 2
        finally:
            _, err = stop(p)
    assert p.returncode == 0 and err == ""


def test_prometheus_with_native_histograms_scrapes_them(tmp_path):
    """Prometheus with native histograms asks /metrics for the protobuf
    format and stores a view's log2 histogram as a native one."""
    (tmp_path / "lat.schema").write_text(
        "file bpf.lat\nlat_ns histogram ns Latency\n"
        "lat_ns_sum counter ns Sum of latencies\n")
    port = free_port()
    with subtree("a") as top:
        m = mirror(tmp_path, top, {"bpf.lat": LOG2})
        p = start("--listen", f"127.0.0.1:{port}", "--root", top,
                  "--interval", "500ms", "--mirror", m, "--schemas",
                  str(tmp_path))
        try:
            with prometheus(tmp_path, scrape=f"127.0.0.1:{port}") as url:
                q = "cgview_lat_lat_seconds"
                deadline = time.monotonic() + 60
                while not (got := promql_hist(url, q)):
                    assert time.monotonic() < deadline, "no native series"
                    time.sleep(0.2)
                [(labels, h)] = got
                assert labels["cgroup"] == hier(top)
                assert (h["count"], h["sum"]) == (20, 4e-05)
                assert h["buckets"][1:] == [(2 ** -20, 2 ** -19, 3),
                                            (2 ** -19, 2 ** -18, 10),
                                            (2 ** -18, 2 ** -17, 4),
                                            (2 ** -17, 2 ** -16, 1)]
                [(_, v)] = promql(url, f"histogram_quantile(0.5, {q})")
                assert v == 2 ** -19 * 1.5  # rank 10: half of (2^-19, 2^-18]
                assert promql(url, "cgroup_cpu_usage_seconds_total"
                              f'{{cgroup="{hier(top)}/a"}}')
        finally:
            _, err = stop(p)
    assert p.returncode == 0 and err == ""


def lat_view(tmp_path, top):
    """Flags for a tree TOP whose root has a histogram view (in a mirror
    in TMP_PATH), and the view's schema."""
    (tmp_path / "lat.schema").write_text(
        "file bpf.lat\nlat_ns histogram ns Latency\n"
        "lat_ns_sum counter ns Sum of latencies\n")
    m = mirror(tmp_path, top, {
        "bpf.lat": "lat_ns 1024=3 2048=10 inf=1\nlat_ns_sum 30000\n"})
    return ["--root", top, "--mirror", m, "--schemas", str(tmp_path)]


def test_histograms_in_remote_write_and_on_metrics(tmp_path):
    with subtree() as top, prometheus(tmp_path) as url:
        r = run("--once", *lat_view(tmp_path, top), "--output",
                f"remote-write+{url}/api/v1/write")
        assert r.returncode == 0 and r.stderr == b""
        got = promql(url, "cgview_lat_lat_seconds_bucket")
        assert sorted((float(l["le"]), v) for l, v in got) == [
            (1.024e-06, 3), (2.048e-06, 13), (float("inf"), 14)]
        assert promql(url, "cgview_lat_lat_seconds_count")[0][1] == 14
        assert promql(url, "cgview_lat_lat_seconds_sum")[0][1] == 3e-05
        q = promql(url, "histogram_quantile(0.5, cgview_lat_lat_seconds_bucket)")
        assert 1.024e-06 < q[0][1] <= 2.048e-06
    with subtree() as top:
        port = free_port()
        p = start("--listen", f"127.0.0.1:{port}", *lat_view(tmp_path, top))
        try:
            text = scrape(port, "cgview_lat")
        finally:
            stop(p)
    assert ("# TYPE cgview_lat_lat_seconds histogram\n"
            'cgview_lat_lat_seconds_bucket{cgroup="CG",le="1.024e-06"} 3\n'
            'cgview_lat_lat_seconds_bucket{cgroup="CG",le="2.048e-06"} 13\n'
            'cgview_lat_lat_seconds_bucket{cgroup="CG",le="+Inf"} 14\n'
            'cgview_lat_lat_seconds_sum{cgroup="CG"} 3e-05\n'
            'cgview_lat_lat_seconds_count{cgroup="CG"} 14\n'
            ).replace("CG", hier(top)) in text


# A view's log2 histogram (views/hist.bpf.h): bounds 2^-20 .. 2^-17 s
# printed in whole ns
LOG2 = "lat_ns 953=2 1907=3 3814=10 7629=4 inf=1\nlat_ns_sum 40000\n"


def test_log2_histograms_go_native_with_the_classic_quantiles(tmp_path):
    """A view's log2 histogram goes out as one native histogram (schema 0:
    zero bucket up to 2^-20 s, then one bucket per power of two, the
    overflow in the next), whose quantiles are those of its classic form
    (--classic-histograms) in the same Prometheus."""
    (tmp_path / "lat.schema").write_text(
        "file bpf.lat\nlat_ns histogram ns Latency\n"
        "lat_ns_sum counter ns Sum of latencies\n")
    with subtree() as top, prometheus(tmp_path) as url:
        m = mirror(tmp_path, top, {"bpf.lat": LOG2})
        flags = ["--once", "--root", top, "--mirror", m, "--schemas",
                 str(tmp_path), "--output", f"remote-write+{url}/api/v1/write"]
        for how in ("native", "classic"):
            more = ["--classic-histograms"] if how == "classic" else []
            r = run(*flags, "--label", f"how={how}", *more)
            assert r.returncode == 0 and r.stderr == b""
        [(_, h)] = promql_hist(url, 'cgview_lat_lat_seconds{how="native"}')
        assert h["count"] == 20 and h["sum"] == 4e-05
        assert h["buckets"] == [(-2 ** -20, 2 ** -20, 2),
                                (2 ** -20, 2 ** -19, 3),
                                (2 ** -19, 2 ** -18, 10),
                                (2 ** -18, 2 ** -17, 4),
                                (2 ** -17, 2 ** -16, 1)]
        assert not promql(url, 'cgview_lat_lat_seconds_bucket{how="native"}')
        classic = promql(url, 'cgview_lat_lat_seconds_bucket{how="classic"}')
        assert sorted((float(l["le"]), v) for l, v in classic) == [
            (2 ** -20, 2), (2 ** -19, 5), (2 ** -18, 15), (2 ** -17, 19),
            (float("inf"), 20)]
        for q in (0.05, 0.25, 0.5, 0.75, 0.9):
            [(_, nq)] = promql(url, f"histogram_quantile({q}, "
                               'cgview_lat_lat_seconds{how="native"})')
            [(_, cq)] = promql(url, f"histogram_quantile({q}, "
                               'cgview_lat_lat_seconds_bucket{how="classic"})')
            assert nq == cq, q
        [(_, c)] = promql(url, "histogram_count("
                          'cgview_lat_lat_seconds{how="native"})')
        assert c == 20


def test_a_native_histogram_without_a_sum_has_sum_nan(tmp_path):
    """A view with no KEY_sum (sched_wait): its native histogram's sum is
    NaN, unknown, not 0."""
    import math
    (tmp_path / "lat.schema").write_text(
        "file bpf.lat\nlat_ns histogram ns Latency\n")
    with subtree() as top, prometheus(tmp_path) as url:
        m = mirror(tmp_path, top, {"bpf.lat": LOG2.splitlines()[0] + "\n"})
        r = run("--once", "--root", top, "--mirror", m, "--schemas",
                str(tmp_path), "--output", f"remote-write+{url}/api/v1/write")
        assert r.returncode == 0 and r.stderr == b""
        [(_, c)] = promql(url, "histogram_count(cgview_lat_lat_seconds)")
        [(_, s)] = promql(url, "histogram_sum(cgview_lat_lat_seconds)")
    assert c == 20 and math.isnan(s)


def test_classic_histograms_for_a_receiver_without_native_ones(tmp_path):
    """Prometheus without native histograms refuses them (the request is
    lost and counted); --classic-histograms is what lands there."""
    (tmp_path / "lat.schema").write_text(
        "file bpf.lat\nlat_ns histogram ns Latency\n")
    with subtree() as top, prometheus(tmp_path, native=False) as url:
        m = mirror(tmp_path, top, {"bpf.lat": LOG2})
        flags = ["--once", "--root", top, "--mirror", m, "--schemas",
                 str(tmp_path), "--output", f"remote-write+{url}/api/v1/write"]
        r = run(*flags)
        assert r.returncode != 0
        assert b"HTTP 500: native histograms are disabled (retrying" \
            in r.stderr, r.stderr
        assert b"run with --classic-histograms" in r.stderr, r.stderr
        r = run(*flags, "--classic-histograms")
        assert r.returncode == 0 and r.stderr == b""
        q = "histogram_quantile(0.5, cgview_lat_lat_seconds_bucket)"
        assert promql(url, q)[0][1] == 2 ** -19 + 2 ** -19 * (5 / 10)


def test_metrics_gzip_for_those_who_ask(tmp_path):
    import gzip
    import urllib.request
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    with subtree() as top:
        p = start("--listen", f"127.0.0.1:{port}", "--interval", "1h",
                  *lat_view(tmp_path, top))
        try:
            plain = scrape(port, "cgview_lat_lat_seconds_count").encode()
            req = urllib.request.Request(
                url, headers={"Accept-Encoding": "gzip"})
            with urllib.request.urlopen(req) as r:
                assert r.headers["Content-Encoding"] == "gzip"
                assert r.headers["Content-Type"].startswith(
                    "text/plain; version=0.0.4")
                assert gzip.decompress(r.read()) == plain
            try:
                urllib.request.urlopen(url.replace("/metrics", "/other"))
                assert False, "/other answered"
            except urllib.error.HTTPError as e:
                assert e.code == 404
        finally:
            stop(p)
