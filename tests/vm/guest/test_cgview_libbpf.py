"""cgview built against the series' libbpf (build/cgview-series-libbpf)
pins views into cgroups with bpf_obj_pin_opts() and finds them with
bpf_prog_query_opts(), and does what the cgview built against Debian's
libbpf 1.1 (bpf(2) with the series' attr layout) does, on the same
kernel."""

import json
import os
import subprocess

import pytest

from cgtest import CGVIEW, REPO, cgroup, read, rel

SERIES = os.path.join(REPO, "build", "cgview-series-libbpf")


def run(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, text=True)


def status(binary):
    r = run(binary, "status", "-j")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_status_says_which_libbpf_makes_the_view_calls():
    series, debian = status(SERIES), status(CGVIEW)
    assert (series["libbpf"], series["libbpf_view_api"]) == ("v1.5", True)
    assert (debian["libbpf"], debian["libbpf_view_api"]) == ("v1.1", False)
    text = run(SERIES, "status").stdout
    assert "libbpf\tv1.5: the series' view API (bpf_obj_pin_opts, " \
        "bpf_prog_query_opts)\n" in text


def exposures(binary, view):
    r = run(binary, "ls", "-j")
    assert r.returncode == 0, r.stderr
    return {e["cgroup"]: (e["inherit"], e["inherited_from"])
            for v in json.loads(r.stdout)["views"] if v["name"] == view
            for e in v["exposures"]}


@pytest.mark.parametrize("binary", [SERIES, CGVIEW],
                         ids=["series-libbpf", "debian-libbpf"])
def test_inherit_and_ls_through_either_libbpf(binary):
    r = run(binary, "load", "id")
    assert r.returncode == 0, r.stderr
    try:
        with cgroup("top") as top, cgroup("old", top) as old:
            r = run(binary, "expose", "--inherit", "id", rel(top))
            assert (r.returncode, r.stdout) == (0, f"{top}/bpf.id\n"), r
            with cgroup("new", old) as new:
                for cg in (top, old, new):
                    assert read(f"{cg}/bpf.id") == \
                        run(binary, "cat", rel(cg), "id").stdout
                want = {rel(top): (True, None), rel(old): (False, rel(top)),
                        rel(new): (False, rel(top))}
                # what one cgview pinned, the other finds
                assert exposures(SERIES, "id") == want
                assert exposures(CGVIEW, "id") == want
                r = run(binary, "expose", "id", rel(old))
                assert r.returncode != 0
                assert f"view 'id' is already exposed at {old}" in r.stderr
                r = run(binary, "unexpose", "id", rel(top))
                assert r.returncode == 0, r.stderr
                assert not any(os.path.exists(f"{cg}/bpf.id")
                               for cg in (top, old, new))
    finally:
        run(binary, "unload", "id")
