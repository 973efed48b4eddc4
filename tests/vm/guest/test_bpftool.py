"""The series' bpftool (make bpftool): `bpftool link show` lists the files
of a view link, from its fdinfo, as `cgview ls` sees them; `bpftool cgroup
show` and `cgroup tree` list the views in a cgroup (BPF_PROG_QUERY)."""

import json
import os
import subprocess

import pytest

from cgtest import REPO, cgroup, cgroup2_root, cgview, rel

BPFTOOL = os.path.join(REPO, "build", "bpftool", "bpftool")
VIEW_PIN = "/sys/fs/bpf/cgview/views/{}/link"


def bpftool(*args, json_out=True):
    r = subprocess.run([BPFTOOL, *(["-j"] if json_out else []), *args],
                       capture_output=True, text=True)
    assert (r.returncode, r.stderr) == (0, ""), r
    return json.loads(r.stdout) if json_out else r.stdout


def plain_link(link_id):
    """What plain `bpftool link show id LINK_ID` prints (exiting 0)"""
    return bpftool("link", "show", "id", str(link_id), json_out=False)


def cgid(path):
    return os.stat(path).st_ino


def hier(path):
    """PATH as fdinfo prints it: its path from the cgroup2 root, "/" first."""
    r = rel(path)
    return "/" if r == "." else "/" + r


@pytest.fixture(scope="module")
def views():
    r = cgview("load", "id", "sched_wait")
    assert r.returncode == 0, r.stderr
    yield
    cgview("unload", "id", "sched_wait")


@pytest.fixture
def tree(views):
    """top (id --inherit), top/child, top/"odd name" (a space and a tab in
    it, sched_wait exposed there too) and side (sched_wait)."""
    with cgroup("top") as top, cgroup("child", top) as child, \
            cgroup("sp ace\ttab", top) as odd, cgroup("side") as side:
        for args in (("--inherit", "id", top), ("sched_wait", odd),
                     ("sched_wait", side)):
            r = cgview("expose", *args[:-1], rel(args[-1]))
            assert r.returncode == 0, r.stderr
        yield {"top": top, "child": child, "odd": odd, "side": side}
        for cg in (top, odd, side):
            for view in ("id", "sched_wait"):
                cgview("unexpose", view, rel(cg))


def view_links():
    """bpftool -j -f link show's view links, by the view they pin for cgview"""
    links = {}
    for link in bpftool("-f", "link", "show"):
        for view in ("id", "sched_wait"):
            if VIEW_PIN.format(view) in link.get("pinned", []):
                links[view] = link
    return links


def cgview_files(view):
    """The files of VIEW as `cgview ls -j` reports them, as bpftool's"""
    ls = json.loads(cgview("ls", "-j").stdout)["views"]
    root = cgroup2_root()
    files = []
    for e in next(v for v in ls if v["name"] == view)["exposures"]:
        cg = os.path.join(root, e["cgroup"].lstrip("/"))
        f = {"cgroup_id": cgid(cg), "cgroup": "/" + e["cgroup"].lstrip("/"),
             "name": os.path.basename(e["file"])}
        assert e["file"] == os.path.join(cg, f["name"])
        if e["inherit"]:
            f["inherit"] = True
        if e["inherited_from"]:
            f["inherited_from"] = cgid(os.path.join(
                root, e["inherited_from"].lstrip("/")))
        files.append(f)
    return files


def key(f):
    return f["cgroup_id"], f["name"]


def test_link_show_lists_the_files_cgview_ls_reports(tree):
    links = view_links()
    assert set(links) == {"id", "sched_wait"}
    for view, link in links.items():
        assert (link["type"], link["target_name"]) == ("view", "cgroup")
        assert link["file_cnt"] == len(link["files"])
        assert "files_not_listed" not in link
        assert sorted(link["files"], key=key) == \
            sorted(cgview_files(view), key=key)
        for f in link["files"]:
            cg = os.path.join(cgroup2_root(), f["cgroup"].lstrip("/"))
            assert os.path.exists(os.path.join(cg, f["name"]))

    top, odd = tree["top"], tree["odd"]
    by_cgroup = {f["cgroup"]: f for f in links["id"]["files"]}
    assert by_cgroup[hier(top)] == {"cgroup_id": cgid(top),
                                    "cgroup": hier(top), "name": "bpf.id",
                                    "inherit": True}
    for cg in (tree["child"], odd):
        assert by_cgroup[hier(cg)] == {"cgroup_id": cgid(cg),
                                       "cgroup": hier(cg), "name": "bpf.id",
                                       "inherited_from": cgid(top)}
    # fdinfo escapes the space and the tab; bpftool gives the name back
    assert " " in hier(odd) and "\t" in hier(odd)
    assert hier(odd) in {f["cgroup"] for f in links["sched_wait"]["files"]}


def test_link_show_plain(tree):
    link = view_links()["id"]
    text = plain_link(link["id"])
    top, child = tree["top"], tree["child"]
    assert text.startswith(f"{link['id']}: view  prog {link['prog_id']}  \n"
                           f"\ttarget_name cgroup  file_cnt 3  \n")
    assert f"\tfile {hier(top)}/bpf.id  cgroup_id {cgid(top)}  " \
        "inherit  \n" in text
    assert f"\tfile {hier(child)}/bpf.id  cgroup_id {cgid(child)}  " \
        f"inherited_from {cgid(top)}  \n" in text


def test_link_show_id_exits_0_and_a_missing_id_fails(tree):
    """bpftool exited with whatever errno was left over for one link (the
    series' bpftool fix): 0 when it showed it, non-zero when it could not"""
    link = view_links()["id"]
    shown = bpftool("link", "show", "id", str(link["id"]))
    assert (shown["id"], shown["files"]) == (link["id"], link["files"])
    missing = max(l["id"] for l in bpftool("link", "show")) + 1000
    r = subprocess.run([BPFTOOL, "link", "show", "id", str(missing)],
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert f"failed to get link with ID {missing}" in r.stderr


def test_cgroup_show_lists_the_views_of_a_cgroup(tree):
    links = view_links()
    odd = tree["odd"]
    rows = bpftool("cgroup", "show", odd)
    assert [(r["attach_type"], r["attach_flags"], r["name"], r["view_name"],
             r["id"], r["link_id"], r["exposed_at"]) for r in rows] == [
        ("trace_view", "inherit", "id_view", "bpf.id",
         links["id"]["prog_id"], links["id"]["id"], cgid(tree["top"])),
        ("trace_view", "", "sched_wait_view", "bpf.sched_wait",
         links["sched_wait"]["prog_id"], links["sched_wait"]["id"],
         cgid(odd)),
    ]
    assert all(r["attach_btf_name"] == "bpf_view_cgroup" for r in rows)

    text = bpftool("cgroup", "show", tree["child"], json_out=False)
    assert text.splitlines()[1].split() == [
        str(links["id"]["prog_id"]), "trace_view", "inherit", "id_view",
        "bpf_view_cgroup", "view", "bpf.id", "link", str(links["id"]["id"]),
        "exposed_at", str(cgid(tree["top"]))]


def test_cgroup_tree_shows_cgroups_with_only_views(tree):
    got = {c["cgroup"]: [p.get("view_name") for p in c["programs"]]
           for c in bpftool("cgroup", "tree")}
    for cg, names in ((tree["top"], ["bpf.id"]), (tree["child"], ["bpf.id"]),
                      (tree["odd"], ["bpf.id", "bpf.sched_wait"]),
                      (tree["side"], ["bpf.sched_wait"])):
        assert got[cg] == names


def test_files_past_the_first_64_are_counted(views):
    with cgroup("wide") as top:
        kids = [os.path.join(top, f"k{i:02}") for i in range(70)]
        r = cgview("expose", "--inherit", "id", rel(top))
        assert r.returncode == 0, r.stderr
        try:
            for k in kids:
                os.mkdir(k)
            link = view_links()["id"]
            assert (link["file_cnt"], len(link["files"]),
                    link["files_not_listed"]) == (71, 64, 7)
            assert link["files"][0]["cgroup"] == hier(top)
            text = plain_link(link["id"])
            assert "\tfiles_not_listed 7  \n" in text
        finally:
            for k in kids:
                if os.path.exists(k):
                    os.rmdir(k)
            cgview("unexpose", "id", rel(top))
