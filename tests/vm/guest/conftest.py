import os

import pytest


def pytest_configure(config):
    if os.environ.get("CGVIEW_VM") != "1":
        pytest.exit("tests/vm/guest runs inside the VM: use 'make test-vm'",
                    returncode=2)
