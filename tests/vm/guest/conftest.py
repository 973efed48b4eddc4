import os

import pytest

import bpfsys
from cgtest import cgview

ID_LINK_PIN = "/sys/fs/bpf/cgview/views/id/link"
OTHER_PIN = "/sys/fs/bpf/cgview-test-other"


def pytest_configure(config):
    if os.environ.get("CGVIEW_VM") != "1":
        pytest.exit("tests/vm/guest runs inside the VM: use 'make test-vm'",
                    returncode=2)


@pytest.fixture
def link_fd():
    """The id view loaded by cgview: its link, pinned in bpffs."""
    assert cgview("load", "id").returncode == 0
    fd = bpfsys.obj_get(ID_LINK_PIN)
    yield fd
    os.close(fd)
    cgview("unload", "id")


@pytest.fixture
def other_fd(link_fd):
    """A second view link of the id program, pinned in bpffs."""
    prog_fd = bpfsys.prog_fd_by_id(bpfsys.link_info(link_fd)["prog_id"])
    fd = bpfsys.link_create(prog_fd)
    os.close(prog_fd)
    bpfsys.obj_pin(fd, OTHER_PIN)
    yield fd
    if os.path.exists(OTHER_PIN):
        os.unlink(OTHER_PIN)
    os.close(fd)
