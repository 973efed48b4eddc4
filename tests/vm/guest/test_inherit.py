"""Inherited exposures (BPF_F_VIEW_INHERIT): a view exposed at a cgroup with
the flag shows in every descendant, present and future; where it is removed
decides how much goes; names already taken make the expose fail whole."""

import errno
import os

import pytest

import bpfsys
from cgtest import cgroup, cgroup2_root, read, rel, umask

from conftest import ID_LINK_PIN as LINK_PIN


def expected(cg):
    level = os.path.relpath(cg, cgroup2_root()).count("/") + 1
    return f"id {os.stat(cg).st_ino}\nlevel {level}\n"


@pytest.fixture
def tree():
    """a, a/b, a/b/c: three levels below the root."""
    with cgroup("a") as a, cgroup("b", a) as b, cgroup("c", b) as c:
        yield a, b, c


def has(cg, name="bpf.id"):
    return os.path.exists(os.path.join(cg, name))


def test_inherited_view_shows_in_every_level_and_in_new_cgroups(link_fd,
                                                                 tree):
    a, b, c = tree
    bpfsys.pin(link_fd, os.path.join(a, "bpf.id"), bpfsys.BPF_F_VIEW_INHERIT)
    for cg in tree:
        assert read(os.path.join(cg, "bpf.id")) == expected(cg)
    with cgroup("d", c) as d, cgroup("e", a) as e:
        assert read(os.path.join(d, "bpf.id")) == expected(d)
        assert read(os.path.join(e, "bpf.id")) == expected(e)
        assert bpfsys.link_info(link_fd)["exposures"] == 5


def test_every_inherited_file_has_the_mode_of_the_expose(link_fd, tree):
    a, b, c = tree

    def mode(cg):
        return oct(os.stat(os.path.join(cg, "bpf.id")).st_mode)

    with umask(0o337):
        bpfsys.pin(link_fd, os.path.join(a, "bpf.id"),
                   bpfsys.BPF_F_VIEW_INHERIT)
    assert [mode(cg) for cg in tree] == ["0o100440"] * 3
    # whoever makes a cgroup later, with whatever umask
    with umask(0), cgroup("d", c) as d:
        assert mode(d) == "0o100440"


def test_fdinfo_names_where_an_inherited_file_comes_from(link_fd, tree):
    a, b, _ = tree
    bpfsys.pin(link_fd, os.path.join(a, "bpf.id"), bpfsys.BPF_F_VIEW_INHERIT)
    info = bpfsys.fdinfo(link_fd)
    ida, idb = os.stat(a).st_ino, os.stat(b).st_ino
    pa, pb = "/" + rel(a), "/" + rel(b)
    assert "exposures:\t3\n" in info
    assert f"exposure:\t{ida}\t{pa}\tbpf.id\tinherit\n" in info
    assert f"exposure:\t{idb}\t{pb}\tbpf.id\tinherited\t{ida}\n" in info


def test_without_the_flag_nothing_is_inherited(link_fd, tree):
    a, b, c = tree
    bpfsys.pin(link_fd, os.path.join(a, "bpf.id"))
    with cgroup("d", a) as d:
        assert [has(cg) for cg in (a, b, c, d)] == [True, False, False, False]


def test_unlink_at_the_top_removes_it_everywhere(link_fd, tree):
    a, b, c = tree
    bpfsys.pin(link_fd, os.path.join(a, "bpf.id"), bpfsys.BPF_F_VIEW_INHERIT)
    os.unlink(os.path.join(a, "bpf.id"))
    assert [has(cg) for cg in tree] == [False, False, False]
    assert bpfsys.link_info(link_fd)["exposures"] == 0
    with cgroup("d", b) as d:
        assert not has(d)


def test_unlink_in_the_middle_removes_that_subtree_only(link_fd, tree):
    a, b, c = tree
    with cgroup("e", a) as e:
        bpfsys.pin(link_fd, os.path.join(a, "bpf.id"),
                   bpfsys.BPF_F_VIEW_INHERIT)
        os.unlink(os.path.join(b, "bpf.id"))
        assert [has(cg) for cg in (a, b, c, e)] == [True, False, False, True]
        with cgroup("f", b) as f, cgroup("g", a) as g:
            assert not has(f)
            assert read(os.path.join(g, "bpf.id")) == expected(g)


def test_unpinning_the_link_removes_every_inherited_file(link_fd, tree):
    a, b, c = tree
    bpfsys.pin(link_fd, os.path.join(a, "bpf.id"), bpfsys.BPF_F_VIEW_INHERIT)
    os.unlink(LINK_PIN)
    assert [has(cg) for cg in tree] == [False, False, False]
    assert bpfsys.link_info(link_fd)["exposures"] == 0


def test_a_descendant_cannot_take_an_inherited_name(link_fd, other_fd, tree):
    a, b, c = tree
    bpfsys.pin(link_fd, os.path.join(a, "bpf.id"), bpfsys.BPF_F_VIEW_INHERIT)
    with pytest.raises(OSError) as e:
        bpfsys.obj_pin(other_fd, os.path.join(c, "bpf.id"))
    assert e.value.errno == errno.EEXIST
    bpfsys.obj_pin(other_fd, os.path.join(c, "bpf.other"))
    assert read(os.path.join(c, "bpf.other")) == expected(c)


def test_a_name_used_below_fails_the_whole_expose(link_fd, other_fd, tree):
    a, b, c = tree
    bpfsys.obj_pin(other_fd, os.path.join(c, "bpf.id"))
    with pytest.raises(OSError) as e:
        bpfsys.pin(link_fd, os.path.join(a, "bpf.id"),
                   bpfsys.BPF_F_VIEW_INHERIT)
    assert e.value.errno == errno.EEXIST
    assert [has(a), has(b)] == [False, False]
    assert bpfsys.link_info(link_fd)["exposures"] == 0
    assert bpfsys.link_info(other_fd)["exposures"] == 1
    # the other link's file is untouched
    assert read(os.path.join(c, "bpf.id")) == expected(c)


def test_rmdir_under_inheritance(link_fd, tree):
    a, b, c = tree
    bpfsys.pin(link_fd, os.path.join(a, "bpf.id"), bpfsys.BPF_F_VIEW_INHERIT)
    d = os.path.join(c, "d")
    os.mkdir(d)
    assert has(d)
    os.rmdir(d)
    assert bpfsys.link_info(link_fd)["exposures"] == 3
    with cgroup("top") as top:
        bpfsys.pin(link_fd, os.path.join(top, "bpf.id"),
                   bpfsys.BPF_F_VIEW_INHERIT)
        os.mkdir(os.path.join(top, "x"))
        os.rmdir(os.path.join(top, "x"))
    # the exposure made at top went with it
    assert bpfsys.link_info(link_fd)["exposures"] == 3


def test_inherit_flag_outside_cgroupfs_is_einval(link_fd):
    with pytest.raises(OSError) as e:
        bpfsys.pin(link_fd, "/sys/fs/bpf/cgview-test-inherit",
                   bpfsys.BPF_F_VIEW_INHERIT)
    assert e.value.errno == errno.EINVAL
    assert not os.path.exists("/sys/fs/bpf/cgview-test-inherit")
