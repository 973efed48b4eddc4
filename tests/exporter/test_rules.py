"""The Prometheus rules shipped in dist/: promtool accepts them, their unit
tests (dist/cgview.rules.test.yml) pass, and every metric they read is one
cgview-exporter exports."""

import os
import re
import subprocess

import yaml

from cgtest import REPO
from exlib import run, snapshots, subtree

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
