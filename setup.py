"""Build steps beyond pyproject.toml.

- The shipped weights and model cards in the repository's top-level ``models/`` folder are copied
  into the wheel as ``vs_vhdr/_models/`` so a normal (non-editable) install finds them.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

MODELS_DIR = Path(__file__).parent / "models"
SHIPPED_SUFFIXES = (".safetensors", ".md", ".json")


class BuildPyWithModels(build_py):
    """``build_py`` that also copies ``models/`` into ``vs_vhdr/_models/``."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "vs_vhdr" / "_models"
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(MODELS_DIR.glob("*")):
            if path.suffix in SHIPPED_SUFFIXES:
                shutil.copy2(path, target / path.name)


setup(cmdclass={"build_py": BuildPyWithModels})
