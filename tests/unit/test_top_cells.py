"""cgview top's value cells at the edges of their units: a value is shown
in the unit it has once rounded (never 1000.0ms or 1024B), in at most 7
characters, whatever the value (build/tests/top-cells runs top's own
cell(), cgview/top_view.c, on each value)."""

import os
import subprocess

from cgtest import REPO

CELLS = os.path.join(REPO, "build", "tests", "top-cells")

WANT = [
    ("secs", 0, "0us"),
    ("secs", 999.4e-6, "999us"),
    ("secs", 999.6e-6, "1.0ms"),
    ("secs", 0.99994, "999.9ms"),
    ("secs", 0.99996, "1.00s"),
    ("secs", 9.9949, "9.99s"),
    ("secs", 9.996, "10.0s"),
    ("secs", 99.94, "99.9s"),
    ("secs", 99.96, "100s"),
    ("secs", 99999.4, "99999s"),
    ("secs", 99999.6, "1e+05s"),
    ("secs", 3.2e9, "3e+09s"),
    ("bytes", 0, "0B"),
    ("bytes", 1023.4, "1023B"),
    ("bytes", 1023.6, "1.0K"),
    ("bytes", 1024, "1.0K"),
    ("bytes", 1536, "1.5K"),
    ("bytes", 1023.94 * 1024, "1023.9K"),
    ("bytes", 1023.96 * 1024, "1.0M"),
    ("bytes", 1023.96 * 2 ** 20, "1.0G"),
    ("bytes", 1023.96 * 2 ** 30, "1.0T"),
    ("bytes", 1023.96 * 2 ** 40, "1.0P"),
    ("bytes", 1023.96 * 2 ** 50, "1.0E"),
    ("bytes", 1.5 * 2 ** 60, "1.5E"),
    ("bytes", 1e30, "1e+30"),
    ("count", 0, "0"),
    ("count", 999999.4, "999999"),
    ("count", 999999.6, "1.0e+06"),
    ("pct", 12.34, "12.3"),
    ("pct", 999.94, "999.9"),
    ("pct", 999.96, "1000"),
    ("pct", 1234567, "1.2e+06"),
    ("rate", 0.04, "0.0"),
    ("rate", 1e300, "1e+300"),
]


def cells(pairs):
    lines = "".join(f"{f} {v!r}\n" for f, v in pairs)
    r = subprocess.run([CELLS], input=lines, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def test_each_value_in_the_unit_it_has_once_rounded():
    assert cells([(f, v) for f, v, _ in WANT]) == [c for _, _, c in WANT]


def test_no_cell_is_wider_than_its_column():
    values = [m * 10.0 ** e for e in range(-9, 31) for m in (1, 9.9996, 5.5)]
    for fmt in ("secs", "bytes", "count", "pct", "rate"):
        for c in cells([(fmt, v) for v in values]):
            assert 0 < len(c) <= 7, (fmt, c)
