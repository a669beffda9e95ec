import os
import shutil

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))


@pytest.fixture(scope="session")
def nntrain_bin():
    """The nntrain command of this build ($NNTRAIN under make check)."""
    for p in (os.environ.get("NNTRAIN"), os.path.join(TOP, "nntrain"), shutil.which("nntrain")):
        if p and os.access(p, os.X_OK):
            return p
    pytest.skip("no nntrain program to compare with (set NNTRAIN)")
