"""The Prometheus rules shipped in dist/: promtool accepts them, their unit
tests (dist/cgview.rules.test.yml) pass, and every metric they read is one
cgview-exporter exports."""

import math
import os
import re
import subprocess

import yaml

from cgtest import REPO
from exlib import mirror, prometheus, promql, run, snapshots, subtree

RULES = os.path.join(REPO, "dist", "cgview.rules.yml")
TESTS = os.path.join(REPO, "dist", "cgview.rules.test.yml")


def promtool(*args):
    return subprocess.run(["promtool", *args], capture_output=True,
                          text=True, cwd=os.path.dirname(RULES))


def test_promtool_checks_the_rules():
    r = promtool("check", "rules", RULES)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS: 13 rules found" in r.stdout


def test_the_rules_unit_tests_pass():
    r = promtool("test", "rules", TESTS)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS" in r.stdout


def test_a_wrong_expectation_fails_the_unit_tests(tmp_path):
    """promtool test rules can fail: a threshold changed in a copy."""
    bad = tmp_path / "cgview.rules.yml"
    bad.write_text(open(RULES).read().replace(
        "cgroup:memory_pressure_full:rate5m > 0.1",
        "cgroup:memory_pressure_full:rate5m > 0.5"))
    tests = tmp_path / "t.yml"
    tests.write_text(open(TESTS).read())
    r = subprocess.run(["promtool", "test", "rules", str(tests)],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 1
    assert "alertname: CgroupMemoryPressureHigh" in r.stdout + r.stderr


def exported_names():
    """Every series name the exporter can send (its snapshot header lists
    each metric it knows, views' included)."""
    with subtree() as top:
        r = run("--once", "--root", top, "--output", "-")
    assert r.returncode == 0, r.stderr
    names = set()
    for m in snapshots(r.stdout)[0].metrics:
        names.add(m.name)
        if m.type == 3:  # histogram
            names |= {m.name + s for s in ("_bucket", "_sum", "_count")}
    return names


def test_every_metric_the_rules_read_is_exported():
    rules = [r for g in yaml.safe_load(open(RULES))["groups"]
             for r in g["rules"]]
    recorded = {r["record"] for r in rules if "record" in r}
    read = {n for r in rules
            for n in re.findall(r"\b(?:cgroup|cgview)_[a-z0-9_]+", r["expr"])}
    assert len(read) >= 8
    assert read - exported_names() == set()
    for r in rules:  # alerts read recording rules that exist
        for n in re.findall(r"\bcgroup:[a-z0-9_:]+", r["expr"]):
            assert n in recorded, (r.get("alert"), n)


def quantile_rules():
    """{record: expr} of the rules that take a histogram's quantile."""
    return {r["record"]: r["expr"]
            for g in yaml.safe_load(open(RULES))["groups"]
            for r in g["rules"]
            if "histogram_quantile" in r.get("expr", "")}


# The log2 buckets of views/hist.bpf.h: 2^-20 .. 2^0 s in whole ns, then inf
BOUNDS = [int(1e9 * 2 ** e) for e in range(-20, 1)] + ["inf"]


def hist(counts):
    """A view's histogram line: COUNTS ({bound: n}) in its buckets."""
    return " ".join(f"{b}={counts.get(b, 0)}" for b in BOUNDS)


def views(counts):
    """bpf.sched_wait and bpf.io_latency with histogram COUNTS."""
    return {"bpf.sched_wait": "wait_count 0\nwait_total_ns 0\n"
            f"wait_max_ns 0\nwait_hist_ns {hist(counts)}\n",
            "bpf.io_latency": "rbytes 0\nwbytes 0\nrios 0\nwios 0\n"
            f"latency_hist_ns {hist(counts)}\nlatency_hist_ns_sum 0\n"}


# two scrapes: 100 waits and requests more, 90 of them in (2^-11, 2^-10] s
# and 10 in (2^-3, 2^-2] s
BEFORE = views({})
AFTER = views({BOUNDS[10]: 90, BOUNDS[18]: 10})


def test_the_quantile_rules_answer_on_native_and_classic_series(tmp_path):
    """The p99 rules give the same answer on the native histograms the
    exporter sends by default as on the classic buckets of
    --classic-histograms, in a Prometheus with native histograms on."""
    rules = quantile_rules()
    assert len(rules) == 2
    with subtree() as top, prometheus(tmp_path) as url:
        for how in ("native", "classic"):
            m = tmp_path / how
            m.mkdir()
            more = ["--classic-histograms"] if how == "classic" else []
            for files in (BEFORE, AFTER):
                mm = mirror(m, top, files)
                r = run("--once", "--root", top, "--mirror", mm, "--label",
                        f"how={how}", *more, "--output",
                        f"remote-write+{url}/api/v1/write")
                assert r.returncode == 0 and r.stderr == b"", r.stderr
        for record, expr in rules.items():
            got = {l["how"]: v for l, v in promql(url, expr)}
            assert set(got) == {"native", "classic"}, record
            # rank 99 of 100: 9/10 of the way through (2^-3, 2^-2]
            want = 2 ** -3 + (2 ** -2 - 2 ** -3) * 0.9
            for how, v in got.items():
                assert math.isclose(v, want, rel_tol=1e-6), (record, how, v)
