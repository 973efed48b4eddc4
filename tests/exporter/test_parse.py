"""The parser and typed model on every standard cgroup v2 file format,
with fixtures captured from a real kernel (tests/exporter/fixtures, see its
README) and malformed inputs. build/exporter/parse-asan is the parser built
with ASan+UBSan: it prints each sample as `NAME{LABEL} VALUE [le:count...]`."""

import glob
import math
import os
import shutil
import subprocess

import pytest

from cgtest import REPO

PARSE = os.path.join(REPO, "build", "exporter", "parse-asan")
FUZZ = os.path.join(REPO, "build", "exporter", "fuzz-parse")
FIXTURES = os.path.join(REPO, "tests", "exporter", "fixtures")
SCHEMAS = os.path.join(REPO, "exporter", "schemas")
DIVISOR = {"1": 1, "bytes": 1, "pages": 1, "ns": 1e9, "us": 1e6, "ms": 1e3,
           "s": 1, "percent": 100}


def parse(*paths, schema=None):
    args = [PARSE] + (["--schema", schema] if schema else []) + list(paths)
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "runtime error" not in r.stderr and "Sanitizer" not in r.stderr
    *lines, counts = r.stdout.splitlines()
    c = counts.split()
    return lines, {c[i]: int(c[i + 1]) for i in range(0, len(c), 2)}, \
        r.stderr


def samples(lines):
    """{name{label}: value}"""
    return {l.split()[0]: float(l.split()[1]) for l in lines}


def schema_units(file):
    units = {}
    with open(os.path.join(SCHEMAS, f"{file}.schema")) as f:
        for line in f:
            w = line.split()
            if len(w) >= 4 and not w[0].startswith("#"):
                units[w[0]] = w[2]
    return units


def expected_values(path, units):
    """The numbers in PATH as `cat` shows them, each in its base unit."""
    text = open(path).read()
    out = []
    if len(text.split()) == 1:
        v = text.strip()
        return [math.inf if v == "max" else float(v) / DIVISOR[units["."]]]
    for line in text.splitlines():
        key, *rest = line.split()
        if len(rest) == 1 and "=" not in rest[0]:
            out.append(float(rest[0]) / DIVISOR[units[key]])
            continue
        for kv in rest:
            sub, v = kv.split("=")
            k = f"*.{sub}" if f"*.{sub}" in units else f"{key}.{sub}"
            out.append(float(v) / DIVISOR[units[k]])
    return out


CAPTURED = sorted(p for p in glob.glob(os.path.join(FIXTURES, "*"))
                  if os.path.exists(os.path.join(
                      SCHEMAS, os.path.basename(p) + ".schema")))


def test_every_schema_has_a_captured_or_documented_fixture():
    have = {os.path.basename(p) for p in CAPTURED}
    want = {os.path.basename(p)[:-7] for p in glob.glob(SCHEMAS + "/*")}
    assert want - have == {"exporter"}  # self metrics come from no file


@pytest.mark.parametrize("path", CAPTURED + [FIXTURES + "/doc/io.stat"],
                         ids=os.path.basename)
def test_captured_file_values_in_base_units(path):
    file = os.path.basename(path)
    lines, counts, err = parse(path)
    got = [float(l.split()[1]) for l in lines]
    want = expected_values(path, schema_units(file))
    assert got == pytest.approx(want, rel=1e-12)
    assert counts == {"parse_errors": 0, "unknown_keys": 0,
                      "histograms_dropped": 0}
    assert err == ""


@pytest.mark.parametrize("path", sorted(
    p for p in glob.glob(os.path.join(FIXTURES, "*")) if os.path.isfile(p)
    and not p.endswith(".md")), ids=os.path.basename)
def test_every_captured_file_parses(path):
    """Files without a built-in schema too: flat keyed (cgroup.events),
    single values (cpu.weight), "max" (memory.swap.max)."""
    lines, counts, err = parse(path)
    assert counts["parse_errors"] == 0 and err == ""
    text = open(path).read()
    values = 1 if len(text.split()) == 1 else \
        sum(len(line.split()[1:]) for line in text.splitlines())
    assert len(lines) == values


def test_names_units_and_labels():
    lines, _, _ = parse(f"{FIXTURES}/cpu.stat", f"{FIXTURES}/memory.max",
                        f"{FIXTURES}/cpu.pressure", f"{FIXTURES}/doc/io.stat",
                        f"{FIXTURES}/memory.current")
    s = samples(lines)
    assert s["cgroup_cpu_usage_seconds_total"] == 7.244976
    assert s["cgroup_memory_max_bytes"] == math.inf
    assert s["cgroup_cpu_pressure_some_avg10_ratio"] == 0.0058
    assert s["cgroup_cpu_pressure_full_seconds_total"] == 0.263165
    assert s['cgroup_io_rbytes_total{device="8:0"}'] == 90430464
    assert s['cgroup_io_dios_total{device="8:0"}'] == 3021
    assert s["cgroup_memory_current_bytes"] == 34004992


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(p)


def test_malformed_line_is_reported_and_the_rest_exported(tmp_path):
    p = write(tmp_path, "memory.stat", "anon 12\nfile x\nkernel 8192\n")
    lines, counts, err = parse(p)
    assert samples(lines) == {"cgroup_memory_anon_bytes": 12,
                              "cgroup_memory_kernel_bytes": 8192}
    assert counts["parse_errors"] == 1
    assert err == (f"cgview-exporter: {p}:2: malformed line skipped: "
                   "the value is not a number\n")


@pytest.mark.parametrize("text,good", [
    ("some avg10=0.00 avg60\nfull avg10=1.00 total=5\n", 2),
    ("some avg10=0.00 =3\nfull total=x\n", 0),
    ("some a b c\n", 0),
    ("some " + "x=1 " * 100 + "\n", 0),
    ("\x00\xff\n\n\n", 0),
    ("=\n=1\n", 0),
])
def test_malformed_pressure_lines(tmp_path, text, good):
    p = write(tmp_path, "cpu.pressure", text)
    lines, counts, err = parse(p)
    assert len(lines) == good
    assert counts["parse_errors"] == len(err.splitlines()) >= 1
    assert all(f"{p}:" in line for line in err.splitlines())


def test_odd_but_valid_input(tmp_path):
    p = write(tmp_path, "memory.events", "low 1\r\nhigh   2\n\n\tmax 3")
    lines, counts, err = parse(p)
    assert samples(lines) == {"cgroup_memory_events_low_total": 1,
                              "cgroup_memory_events_high_total": 2,
                              "cgroup_memory_events_max_total": 3}
    assert counts["parse_errors"] == 0 and err == ""
    empty = write(tmp_path, "pids.current", "")
    assert parse(empty)[0] == []


def test_whole_numbers_are_exact_to_64_bits(tmp_path):
    """A counter past 2^53 (ns of CPU time on a big host, bytes) is the
    double nearest to it, as the bulk read's records give it, not what
    adding digit by digit in a double rounds to."""
    big = [10508965330920255989, 2**64 - 1, 2**53 + 1, 14808185429289954015]
    p = write(tmp_path, "memory.events",
              "".join(f"{k} {v}\n" for k, v in
                      zip(("low", "high", "max", "oom"), big)))
    got = samples(parse(p)[0])
    assert [got[f"cgroup_memory_events_{k}_total"] for k in
            ("low", "high", "max", "oom")] == [float(v) for v in big]


def test_unknown_keys_are_gauges_and_counted(tmp_path):
    p = write(tmp_path, "memory.stat", "anon 1\nnew_thing 5\nother a=1\n")
    lines, counts, _ = parse(p)
    assert samples(lines) == {"cgroup_memory_anon_bytes": 1,
                              "cgroup_memory_new_thing": 5,
                              "cgroup_memory_other_a": 1}
    assert counts == {"parse_errors": 0, "unknown_keys": 2,
                      "histograms_dropped": 0}
    view = write(tmp_path, "bpf.noschema", "x 1\n")
    assert samples(parse(view)[0]) == {"cgview_noschema_x": 1}


def test_histogram_buckets_and_sum(tmp_path):
    schema = write(tmp_path, "lat.schema",
                   "file bpf.lat\nlat_ns histogram ns Latency\n"
                   "lat_ns_sum counter ns Sum of latencies\n"
                   "calls counter 1 Calls\n")
    p = write(tmp_path, "bpf.lat",
              "calls 14\nlat_ns 1024=3 2048=10 inf=1\nlat_ns_sum 30000\n")
    lines, counts, _ = parse(p, schema=schema)
    assert lines[0] == "cgview_lat_calls_total 14"
    name, count, *buckets, total = lines[1].split()
    assert (name, count, total) == ("cgview_lat_lat_seconds", "14",
                                    "sum=3.0000000000000001e-05")
    assert [tuple(map(float, b.split(":"))) for b in buckets] == \
        [(1.024e-06, 3), (2.048e-06, 10), (math.inf, 1)]
    assert counts["parse_errors"] == 0


@pytest.mark.parametrize("line,why", [
    ("lat_ns 2048=3 1024=1", "bucket bounds are not increasing"),
    ("lat_ns 1024=3 1024=1", "bucket bounds are not increasing"),
    ("lat_ns 1024=3 inf=1 4096=1", "bucket bounds are not increasing"),
    ("lat_ns 1024=3 x=1 4096=1", "a bucket bound is not a number"),
    ("lat_ns 1024=3 2048=-1", "a bucket count is not a whole number"),
    ("lat_ns 1024=3 2048=1.5", "a bucket count is not a whole number"),
    ("lat_ns 1024=3 2048=max", "a bucket count is not a whole number"),
    ("lat_ns 1024=1" + "0" * 400, "a bucket count is not a whole number"),
    ("lat_ns 1024=9007199254740000 2048=1000",
     "the bucket counts add up to more than 2^53"),
    ("lat_ns 17", "a histogram wants BOUND=COUNT pairs"),
])
def test_a_malformed_histogram_is_dropped_whole(tmp_path, line, why):
    """Not a partial histogram with wrong counts: none, its _sum too; the
    line is reported once, the rest of the file is exported."""
    schema = write(tmp_path, "lat.schema",
                   "file bpf.lat\nlat_ns histogram ns Latency\n"
                   "lat_ns_sum counter ns Sum of latencies\n"
                   "other_ns histogram ns Other\n"
                   "calls counter 1 Calls\n")
    p = write(tmp_path, "bpf.lat", f"calls 14\n{line}\nlat_ns_sum 30000\n"
              "other_ns 1=1 2=2\n")
    lines, counts, err = parse(p, schema=schema)
    assert [l.split()[0] for l in lines] == ["cgview_lat_calls_total",
                                             "cgview_lat_other_seconds"]
    assert lines[1] == "cgview_lat_other_seconds 3 1.0000000000000001e-09:1 " \
        "2.0000000000000001e-09:2"
    assert counts == {"parse_errors": 1, "unknown_keys": 0,
                      "histograms_dropped": 1}
    assert err == f"cgview-exporter: {p}:2: malformed line skipped: {why}\n"


def test_a_second_line_for_a_histogram_is_dropped(tmp_path):
    schema = write(tmp_path, "lat.schema",
                   "file bpf.lat\nlat_ns histogram ns Latency\n")
    p = write(tmp_path, "bpf.lat", "lat_ns 1=1 2=2\nlat_ns 1=5 2=5\n")
    lines, counts, err = parse(p, schema=schema)
    assert [l.split()[1] for l in lines] == ["3"]
    assert counts["histograms_dropped"] == 1
    assert err == (f"cgview-exporter: {p}:2: malformed line skipped: "
                   "a second line for a histogram\n")


def test_bad_schema_says_where(tmp_path):
    schema = write(tmp_path, "bad.schema", "file bpf.x\nk counter lightyears Far\n")
    r = subprocess.run([PARSE, "--schema", schema], capture_output=True,
                       text=True)
    assert r.returncode == 1
    assert r.stderr == (f"cgview-exporter: {schema}:2: unknown unit "
                        "'lightyears' (1 ns us ms s bytes pages percent); "
                        "see views/SCHEMA.md\n")


def test_fuzzer_runs_clean_on_the_fixtures(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES, corpus)
    shutil.rmtree(corpus / "doc")
    r = subprocess.run([FUZZ, "-max_total_time=10", "-seed=1",
                        f"-artifact_prefix={tmp_path}/", str(corpus)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Done" in r.stderr


def test_inputs_the_fuzzer_crashed_on_run_clean(tmp_path):
    crashes = glob.glob(os.path.join(REPO, "tests", "exporter",
                                     "fuzz-crashes", "*"))
    assert crashes
    r = subprocess.run([FUZZ, f"-artifact_prefix={tmp_path}/", *crashes],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
