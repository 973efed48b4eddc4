"""Every cgview command and its errors in stock mode on the running kernel:
load --all, expose --inherit/--mode, unexpose, ls, status, watch, cat, and
the JSON of the read commands."""

import json
import os
import subprocess

import pytest

import bpfsys
from cgtest import CGVIEW, PIN_ROOT, cgroup, cgroup2_root, cgview, keyed, \
    mirror_path, pins, read, rel
from views_fixture import bpf_ok, id_view  # noqa: F401 (fixtures)
from workloads import wait_until, watching

BUILTIN = ["cpu", "id", "io_latency", "mem_events", "net", "oom",
           "sched_wait"]
INHERIT_FILE = "/run/cgview/inherit"
UNKNOWN_NOSUCH = ("cgview: unknown view 'nosuch' (known views: "
                  + " ".join(BUILTIN) + ")\n")


def expected_id(cg):
    level = rel(cg).count("/") + 1
    return f"id {os.stat(cg).st_ino}\nlevel {level}\n"


def inherit_lines():
    if not os.path.exists(INHERIT_FILE):
        return []
    return read(INHERIT_FILE).splitlines()


def ls_json(*args):
    r = cgview("ls", "-j", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def status_json(*args):
    r = cgview("status", "--json", *args)
    return r.returncode, json.loads(r.stdout)


def as_nobody(*args, shell=None):
    """cgview (or SHELL) as uid/gid 65534 without capabilities."""
    cmd = ["sh", "-c", shell] if shell else [CGVIEW, *args]
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "--inh-caps=-all", *cmd]


def test_load_all_loads_every_view_and_unload_all_removes_them(bpf_ok):
    r = cgview("load", "--all")
    try:
        assert r.returncode == 0, r.stderr
        got = ls_json()
        assert got["mode"] == "stock"
        assert [v["name"] for v in got["views"]] == BUILTIN
        assert all(v["exposures"] == [] for v in got["views"])
    finally:
        r = cgview("unload", "--all")
    assert r.returncode == 0, r.stderr
    assert pins() in ([], [os.path.join(PIN_ROOT, "cgroups")])
    assert ls_json()["views"] == []


def test_unload_all_removes_only_what_is_loaded(bpf_ok):
    assert cgview("load", "sched_wait").returncode == 0
    r = cgview("unload", "--all")
    assert (r.returncode, r.stderr) == (0, "")
    assert ls_json()["views"] == []
    r = cgview("unload", "--all")
    assert (r.returncode, r.stderr) == (0, "")
    r = cgview("unload", "sched_wait")
    assert r.returncode == 1
    assert "view 'sched_wait' is not loaded" in r.stderr


def test_a_failed_load_unloads_what_it_loaded(bpf_ok, tmp_path):
    broken = tmp_path / "broken.bpf.o"
    broken.write_text("not an ELF object\n")
    assert cgview("load", "sched_wait").returncode == 0
    try:
        r = cgview("load", "sched_wait", "cpu", "id", str(broken))
        assert r.returncode == 1
        assert "cgview: loading view 'broken' failed (libbpf said why " \
            "above): BPF object format invalid\n" in r.stderr
        assert r.stderr.endswith(
            "cgview: nothing was loaded: the 2 view(s) loaded before "
            "'broken' are unloaded again (name the others without it to "
            "load them)\n")
        # loaded before the command, so it stays
        assert [v["name"] for v in ls_json()["views"]] == ["sched_wait"]
        assert sorted(os.listdir(os.path.join(PIN_ROOT, "views"))) == \
            ["sched_wait"]
    finally:
        assert cgview("unload", "sched_wait").returncode == 0


def test_an_unknown_view_stops_load_and_unload_before_they_start(bpf_ok):
    r = cgview("load", "cpu", "nosuch")
    assert (r.returncode, r.stderr) == (1, UNKNOWN_NOSUCH)
    assert ls_json()["views"] == []
    assert cgview("load", "cpu").returncode == 0
    try:
        r = cgview("unload", "cpu", "nosuch")
        assert (r.returncode, r.stderr) == (1, UNKNOWN_NOSUCH)
        assert [v["name"] for v in ls_json()["views"]] == ["cpu"]
    finally:
        assert cgview("unload", "cpu").returncode == 0


def test_expose_inherit_mirrors_the_subtree_with_the_mode(id_view):
    with cgroup("top") as top, cgroup("a", top) as a, cgroup("b", a) as b:
        r = cgview("expose", "--inherit", "--mode", "0440", id_view, rel(top))
        assert r.returncode == 0, r.stderr
        made = [mirror_path(c, "id") for c in (top, a, b)]
        assert sorted(r.stdout.split()) == sorted(made)
        for cg, pin in zip((top, a, b), made):
            assert read(pin) == expected_id(cg)
            assert oct(os.stat(pin).st_mode & 0o777) == "0o440"
        assert f"id 0440 {rel(top)}" in inherit_lines()
        got = ls_json(rel(b))["views"]
        assert got == [{"name": "id", "exposures": [{
            "cgroup": rel(b), "file": made[2], "inherit": False,
            "inherited_from": rel(top)}]}]
        text = cgview("ls").stdout
        assert f"\t{rel(top)}\t{made[0]}\tinherit\n" in text
        assert f"\t{rel(a)}\t{made[1]}\tinherited from {rel(top)}\n" in text

        r = cgview("unexpose", id_view, rel(a))
        assert (r.returncode, r.stderr) == (1, (
            f"cgview: {rel(a)} inherits view 'id' from {rel(top)}, and "
            f"'cgview watch' keeps it there: unexpose it at {rel(top)}\n"))
        assert os.path.exists(made[1])

        r = cgview("unexpose", id_view, rel(top))
        assert r.returncode == 0, r.stderr
        assert not any(os.path.exists(p) for p in made)
        assert f"id 0440 {rel(top)}" not in inherit_lines()


def test_expose_with_mode_sets_the_pins_mode(id_view):
    with cgroup() as cg:
        r = cgview("expose", id_view, rel(cg), "--mode", "0400")
        assert r.returncode == 0, r.stderr
        assert oct(os.stat(mirror_path(cg, "id")).st_mode & 0o777) == "0o400"


def test_failed_inherit_leaves_nothing_behind(id_view):
    with cgroup("top") as top, cgroup("a", top) as a, cgroup("b", top) as b:
        # a bpffs object where the mirror needs b's directory
        os.makedirs(os.path.dirname(mirror_path(top, "id")), mode=0)
        fd = bpfsys.array_map()
        blocker = os.path.dirname(mirror_path(b, "id"))
        bpfsys.obj_pin(fd, blocker)
        os.close(fd)
        try:
            r = cgview("expose", "--inherit", id_view, rel(top))
            assert r.returncode == 1
            assert f"cannot pin the view at {mirror_path(b, 'id')}" in \
                r.stderr
            for cg in (top, a):
                assert not os.path.exists(mirror_path(cg, "id"))
            assert not any(rel(top) in line for line in inherit_lines())
        finally:
            os.unlink(blocker)


def test_watch_keeps_the_mirror_in_step(id_view):
    with cgroup("top") as top, watching() as w:
        assert cgview("expose", "--inherit", id_view, rel(top)).returncode == 0
        new = os.path.join(top, "new.service")
        os.mkdir(new)
        try:
            wait_until(lambda: os.path.exists(mirror_path(new, "id")),
                       what="pin for a new cgroup")
            assert read(mirror_path(new, "id")) == expected_id(new)
            rc, st = status_json(id_view, rel(new))
            assert (rc, st["watch_pid"], st["file"]["present"]) == \
                (0, w.pid, True)
        finally:
            os.rmdir(new)
        wait_until(lambda: not os.path.exists(
            os.path.dirname(mirror_path(new, "id"))),
            what="pin of a removed cgroup gone")
        assert os.path.exists(mirror_path(top, "id"))


def test_status_says_why_a_file_is_missing(id_view):
    with cgroup("top") as top:
        rc, st = status_json(id_view, rel(top))
        assert rc == 1
        assert st["file"] == {
            "path": mirror_path(top, "id"), "present": False,
            "reason": f"view 'id' is not exposed at {rel(top)} (nor with "
                      f"--inherit above it): run 'cgview expose id "
                      f"{rel(top)}'"}
        cgview("expose", "--inherit", id_view, rel(top))
        with cgroup("late", top) as late:
            r = cgview("status", id_view, rel(late))
            assert r.returncode == 1
            assert f"missing: it is inherited from {rel(top)}, but 'cgview " \
                "watch' is not running" in r.stdout
        r = cgview("status", id_view, rel(top))
        assert r.returncode == 0
        assert f"file\t{mirror_path(top, 'id')}: present\n" in r.stdout
        cgview("unload", id_view)
        rc, st = status_json(id_view, rel(top))
        assert (rc, st["file"]["reason"]) == \
            (1, "view 'id' is not loaded: run 'cgview load id'")


def test_status_reports_mode_btf_bpffs_libbpf_and_fentry(bpf_ok):
    r = cgview("status")
    assert r.returncode == 0, r.stderr
    fields = dict(line.split("\t", 1) for line in r.stdout.splitlines())
    assert fields["mode"].startswith("stock: the kernel has no bpf_view "
                                     "series")
    assert fields["btf"] == "yes (/sys/kernel/btf/vmlinux)"
    assert fields["bpffs"] == "mounted at /sys/fs/bpf"
    # Debian's libbpf has no view fields: views would be pinned and
    # queried with bpf(2) on a patched kernel
    assert fields["libbpf"] == "v1.1: bpf(2) for view pins and queries " \
        "(this libbpf has no view fields)"
    rc, st = status_json()
    assert (rc, st["mode"], st["btf"], st["bpffs"], st["root"]) == \
        (0, "stock", True, True, True)
    assert (st["libbpf"], st["libbpf_view_api"]) == ("v1.1", False)
    assert st["fentry"] == fields["fentry"].startswith("allowed")


def test_cat_json_holds_what_the_text_says(bpf_ok):
    assert cgview("load", "sched_wait").returncode == 0
    try:
        r = cgview("cat", "/", "sched_wait", "-j")
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)
        assert list(got) == ["wait_count", "wait_total_ns", "wait_max_ns",
                             "wait_hist_ns"]
        assert list(got["wait_hist_ns"])[-1] == "inf"
        assert got.keys() == keyed(cgview("cat", "/", "sched_wait").stdout
                                   ).keys()
    finally:
        cgview("unload", "sched_wait")


def test_loading_needs_root(bpf_ok):
    r = subprocess.run(as_nobody("load", "id"), capture_output=True,
                       text=True)
    assert r.returncode == 1
    assert r.stderr.endswith(
        "cgview: loading view 'id' needs root (CAP_BPF and CAP_PERFMON)\n")
    assert not os.path.exists(os.path.join(PIN_ROOT, "views", "id"))


def test_missing_bpffs_is_mounted_or_explained(bpf_ok):
    # a mount namespace of our own, so the host's bpffs stays
    script = (f"umount /sys/fs/bpf && {CGVIEW} status | grep ^bpffs && "
              + " ".join(as_nobody("load", "id")))
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh",
                        "-c", script], capture_output=True, text=True)
    assert r.stdout == "bpffs\tnot mounted at /sys/fs/bpf (cgview mounts " \
        "it when it loads a view)\n"
    assert r.returncode == 1
    assert "bpffs is not mounted at /sys/fs/bpf and mounting it failed; " \
        "run 'mount -t bpf bpf /sys/fs/bpf' as root" in r.stderr


def test_missing_btf_is_explained(bpf_ok, tmp_path):
    empty = tmp_path / "vmlinux"
    empty.write_bytes(b"")
    script = (f"mount --bind {empty} /sys/kernel/btf/vmlinux && "
              f"{CGVIEW} load id; echo rc=$?; {CGVIEW} status | grep ^btf")
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh",
                        "-c", script], capture_output=True, text=True)
    assert r.stderr == "cgview: the kernel has no BTF (/sys/kernel/btf/" \
        "vmlinux); views need CONFIG_DEBUG_INFO_BTF=y\n"
    assert r.stdout == "rc=1\nbtf\tno: views need CONFIG_DEBUG_INFO_BTF=y\n"


@pytest.mark.parametrize("args, message", [
    (["expose", "--inherit", "id", "no/such"],
     "cgview: no cgroup 'no/such' in the cgroup2 hierarchy at "),
    (["ls", "no/such"], "cgview: no cgroup 'no/such' in the cgroup2 "),
    (["status", "nosuch", "/"], "cgview: unknown view 'nosuch' (known "),
    (["expose", "--inherit", "id", "/"],
     "cgview: view 'id' is not loaded; run 'cgview load id' first"),
])
def test_bad_input_fails_and_says_what_to_do(bpf_ok, args, message):
    r = cgview(*args)
    assert r.returncode == 1
    assert r.stderr.startswith(message), r.stderr
    assert not os.path.exists(mirror_path(cgroup2_root(), "id"))


def test_status_without_root_says_what_it_cannot_know(bpf_ok):
    r = subprocess.run(as_nobody("status", "-j"), capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert (st["root"], st["fentry"], st["mode"]) == (False, None, "stock")


def test_dump_prints_every_cgroup_with_its_stats_and_views(id_view):
    with cgroup("dump") as top, cgroup("child", top) as child:
        assert cgview("expose", "id", rel(child)).returncode == 0
        r = cgview("dump", rel(top))
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        for cg in (top, child):
            path = "/" + rel(cg)
            assert f'cgroup_nr_descendants{{cgroup="{path}"}} ' \
                f'{1 if cg == top else 0}' in lines
        want = 'cgview_id_id{cgroup="/%s"} %d' % (rel(child),
                                                  os.stat(child).st_ino)
        assert want in lines
        r = cgview("dump", rel(top), "extra")
        assert r.returncode == 2 and "at most one CGROUP" in r.stderr


def test_a_cgroup_as_dump_and_top_show_it_names_it(id_view):
    """A cgroup named as dump, top and cgview-exporter show it (its path
    from the root, with a leading '/'), as a path below the root and as a
    path in the mount are the same cgroup to every command; a path that
    is neither fails with the same message as before."""
    with cgroup("names") as top, cgroup("child", top) as child:
        r = cgview("dump", rel(top))
        assert r.returncode == 0, r.stderr
        shown = 'cgroup_nr_descendants{cgroup="/%s"} 0' % rel(child)
        assert shown in r.stdout.splitlines()
        for name in ("/" + rel(child), rel(child), child):
            r = cgview("cat", name, "id")
            assert (r.returncode, r.stdout) == (0, expected_id(child)), name
            r = cgview("expose", "id", name)
            assert (r.returncode, r.stdout) == \
                (0, mirror_path(child, "id") + "\n"), name
            assert cgview("unexpose", "id", name).returncode == 0
            assert not os.path.exists(mirror_path(child, "id"))
        r = cgview("cat", "/" + rel(child) + "/nosuch", "id")
        assert (r.returncode, r.stderr) == (1, "cgview: no cgroup '/%s/nosuch'"
                                            " in the cgroup2 hierarchy at %s\n"
                                            % (rel(child), cgroup2_root()))


def test_a_cgroup2_directory_outside_the_mount_is_refused(id_view, tmp_path):
    """A second cgroup2 mount (a private mount namespace): its directory,
    named by its path or relative to the root through '..', is not below
    the cgroup2 mount cgview uses, and cgview says so."""
    other = tmp_path / "cg2"
    other.mkdir()
    up = "../" * cgroup2_root().count("/")
    script = (f"mount -t cgroup2 none {other} && "
              f"{CGVIEW} cat {other} id; echo rc=$?; "
              f"{CGVIEW} cat {up}{str(other).lstrip('/')} id; echo rc=$?")
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh",
                        "-c", script], capture_output=True, text=True)
    assert r.stdout == "rc=1\nrc=1\n", r.stderr
    assert r.stderr == "".join(
        f"cgview: '{a}' is not below the cgroup2 mount {cgroup2_root()}\n"
        for a in (other, up + str(other).lstrip("/")))


def test_a_name_is_taken_as_it_is_never_with_escapes_undone(id_view):
    """A tenant's sibling named to pass for another cgroup once a shown
    name's escapes are undone: top shows the cgroup '\\ ' (a backslash, a
    space) as '\\\\x20', which the exporter's escapes read as the sibling
    '\\x20'. cgview takes names as they are: the shown name is no cgroup,
    even with the first one removed, and each cgroup is found by its
    bytes (as bash's $'...' gives them)."""
    with cgroup("lit") as top:
        one, other = os.path.join(top, "\\ "), os.path.join(top, "\\x20")
        os.mkdir(one)
        os.mkdir(other)
        try:
            r = subprocess.run([CGVIEW, "top", "-b", "-n", "1", rel(top)],
                               capture_output=True, text=True)
            shown = "/%s/\\\\x20" % rel(top)
            assert shown in r.stdout.split(), r.stdout
            for cgroups in ((one, other), (other,)):
                r = cgview("cat", shown, "id")
                assert (r.returncode, r.stdout) == (1, ""), cgroups
                assert r.stderr == "cgview: no cgroup '%s' in the cgroup2 " \
                    "hierarchy at %s\n" % (shown, cgroup2_root())
                for cg, q in ((one, "\\\\\\x20"), (other, "\\\\x20")):
                    if cg not in cgroups:
                        continue
                    r = subprocess.run(["bash", "-c", f"{CGVIEW} cat "
                                        f"$'/{rel(top)}/{q}' id"],
                                       capture_output=True, text=True)
                    assert (r.returncode, r.stdout) == \
                        (0, expected_id(cg)), q
                if os.path.exists(one):
                    os.rmdir(one)
        finally:
            for cg in (one, other):
                if os.path.exists(cg):
                    os.rmdir(cg)
