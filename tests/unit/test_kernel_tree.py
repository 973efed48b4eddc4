"""The kernel tree scripts on a small stand-in for the linux-source tarball:
the series is applied as commits, a changed patch rewrites only the files
whose content differs, local work is never thrown away, and
`make kernel-patches` exports commits back into the series."""

import os
import subprocess
import tarfile
import time

import pytest

from cgtest import REPO

SCRIPTS = os.path.join(REPO, "scripts")


def git(cwd, *args):
    return subprocess.run(["git", "-C", cwd, *args], check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture
def kernel(tmp_path):
    """A tarball with three files, and a series of two patches on it."""
    src = tmp_path / "linux-source-6.12"
    src.mkdir()
    for name in "abc":
        (src / f"{name}.c").write_text(f"int {name};\n")
    tarball = tmp_path / "linux.tar.xz"
    with tarfile.open(tarball, "w:xz") as t:
        t.add(src, arcname="linux-source-6.12")
    patches = tmp_path / "patches"
    patches.mkdir()
    (patches / "base").write_text("6.12.0-test\n")
    (patches / "series").write_text("# test series\n")
    env = dict(os.environ, CGVIEW_KSRC=str(tmp_path / "linux"),
               CGVIEW_PATCHES=str(patches),
               CGVIEW_KERNEL_TARBALL=str(tarball),
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    k = type("K", (), dict(tree=str(tmp_path / "linux"), patches=patches,
                           env=env))
    assert run(k, "kernel-tree.sh").returncode == 0
    edit_and_export(k, "a.c", "int a = 1;\n", "a: one")
    edit_and_export(k, "b.c", "int b = 1;\n", "b: one")
    return k


def run(k, script):
    return subprocess.run([os.path.join(SCRIPTS, script)], env=k.env,
                          capture_output=True, text=True)


def edit_and_export(k, name, text, subject):
    with open(os.path.join(k.tree, name), "w") as f:
        f.write(text)
    git(k.tree, "commit", "-qam", subject)
    r = run(k, "kernel-patches.sh")
    assert r.returncode == 0, r.stderr


def stamp(k, name):
    st = os.stat(os.path.join(k.tree, name))
    return st.st_ino, st.st_mtime_ns


def series(k):
    return [line for line in (k.patches / "series").read_text().splitlines()
            if not line.startswith("#")]


def test_series_lists_exported_patches_in_order(kernel):
    assert series(kernel) == ["0001-a-one.patch", "0002-b-one.patch"]
    assert (kernel.patches / "series").read_text().startswith("# test series")
    log = git(kernel.tree, "log", "--format=%s", "base..HEAD").split("\n")
    assert log[:2] == ["b: one", "a: one"]


def test_applies_from_scratch_as_commits(kernel, tmp_path):
    kernel.env["CGVIEW_KSRC"] = kernel.tree = str(tmp_path / "fresh")
    r = run(kernel, "kernel-tree.sh")
    assert r.returncode == 0, r.stderr
    assert git(kernel.tree, "log", "--format=%s", "base..cgview") == \
        "b: one\na: one\n"
    assert open(os.path.join(kernel.tree, "a.c")).read() == "int a = 1;\n"
    assert git(kernel.tree, "status", "--porcelain") == ""


def test_changed_patch_rewrites_only_what_differs(kernel):
    before = {n: stamp(kernel, n) for n in ("a.c", "b.c", "c.c")}
    text = (kernel.patches / "0002-b-one.patch").read_text()
    (kernel.patches / "0002-b-one.patch").write_text(
        text.replace("+int b = 1;", "+int b = 2;"))
    git(kernel.tree, "reset", "-q", "--hard", "refs/cgview/applied")
    time.sleep(0.01)
    r = run(kernel, "kernel-tree.sh")
    assert r.returncode == 0, r.stderr
    assert "applying 0002-b-one.patch" in r.stdout
    assert open(os.path.join(kernel.tree, "b.c")).read() == "int b = 2;\n"
    assert stamp(kernel, "b.c") != before["b.c"]
    assert stamp(kernel, "a.c") == before["a.c"]
    assert stamp(kernel, "c.c") == before["c.c"]


def test_unchanged_series_is_a_no_op(kernel):
    before = git(kernel.tree, "rev-parse", "HEAD")
    r = run(kernel, "kernel-tree.sh")
    assert (r.returncode, r.stdout) == (0, "")
    assert git(kernel.tree, "rev-parse", "HEAD") == before


def test_local_work_is_kept_when_the_series_changes(kernel):
    with open(os.path.join(kernel.tree, "c.c"), "w") as f:
        f.write("int c = 3;\n")
    (kernel.patches / "series").write_text("0001-a-one.patch\n")
    r = run(kernel, "kernel-tree.sh")
    assert r.returncode == 1
    assert "not exported to kernel-patches/" in r.stderr
    assert open(os.path.join(kernel.tree, "c.c")).read() == "int c = 3;\n"


def test_patch_that_does_not_apply_is_named(kernel):
    (kernel.patches / "series").write_text(
        "0002-b-one.patch\n0002-b-one.patch\n")
    r = run(kernel, "kernel-tree.sh")
    assert r.returncode == 1
    assert "0002-b-one.patch does not apply" in r.stderr


def kernel_hash(k):
    r = subprocess.run(["bash", "-c", f". {SCRIPTS}/kernel-lib.sh; kernel_hash"],
                       env=k.env, capture_output=True, text=True, check=True)
    return r.stdout.strip()


def test_kernel_cache_key_ignores_what_no_image_is_built_from(kernel):
    """Kernel images (and matrix records) are keyed by kernel_hash: a
    commit message, the docs, the selftests, bpftool and libbpf do not
    change it; kernel code does."""
    key = kernel_hash(kernel)
    git(kernel.tree, "commit", "-q", "--amend", "-m", "b: one, said better")
    for name in ("Documentation/bpf/x.rst", "tools/testing/selftests/x.c",
                 "tools/bpf/bpftool/x.c", "tools/lib/bpf/x.c", "MAINTAINERS"):
        os.makedirs(os.path.dirname(os.path.join(kernel.tree, name)) or ".",
                    exist_ok=True)
        with open(os.path.join(kernel.tree, name), "w") as f:
            f.write("x\n")
        git(kernel.tree, "add", "-f", name)
    git(kernel.tree, "commit", "-qm", "tools and docs")
    assert run(kernel, "kernel-patches.sh").returncode == 0
    assert len(series(kernel)) == 3
    assert kernel_hash(kernel) == key
    edit_and_export(kernel, "c.c", "int c = 1;\n", "c: one")
    assert kernel_hash(kernel) != key


def test_every_patch_of_the_series_has_one_author_who_signs_it():
    """kernel-patches/: one identity across the series, each patch's From
    and its one Signed-off-by the same."""
    pdir = os.path.join(REPO, "kernel-patches")
    with open(os.path.join(pdir, "series")) as f:
        names = [n.strip() for n in f if n.strip() and not n.startswith("#")]
    authors = set()
    for name in names:
        with open(os.path.join(pdir, name)) as f:
            head = f.read().split("\n---\n", 1)[0].splitlines()
        [author] = [h[len("From: "):] for h in head if h.startswith("From: ")]
        sobs = [h[len("Signed-off-by: "):] for h in head
                if h.startswith("Signed-off-by: ")]
        assert sobs == [author], name
        authors.add(author)
    assert len(names) >= 11 and len(authors) == 1, authors
