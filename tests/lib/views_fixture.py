"""pytest fixtures for tiers that load views into a real kernel."""

import pytest

from cgtest import bpf_unavailable, cgview


@pytest.fixture
def bpf_ok():
    """Skip, saying why, where real BPF cannot run."""
    why = bpf_unavailable()
    if why:
        pytest.skip(why)


@pytest.fixture
def id_view():
    """The "id" view loaded for one test, unloaded (with its exposures) after."""
    why = bpf_unavailable()
    if why:
        pytest.skip(why)
    r = cgview("load", "id")
    assert r.returncode == 0, r.stderr
    yield "id"
    cgview("unload", "id")
