"""Fixtures shared by several test modules."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.vs_support import build_shim, installed_plugin

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def vspipe_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for ``vspipe`` children: our source tree on the path, the plugin loadable."""
    config = subprocess.run(
        [sys.executable, "-m", "vapoursynth", "config"], cwd=ROOT, capture_output=True, text=True
    )
    assert config.returncode == 0, config.stderr
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if installed_plugin() is None:
        env["VAPOURSYNTH_EXTRA_PLUGIN_PATH"] = str(
            build_shim(tmp_path_factory.mktemp("shim")).parent
        )
    return env
