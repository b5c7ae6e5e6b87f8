"""Build steps beyond pyproject.toml.

- The shipped weights and model cards in the repository's top-level ``models/`` folder are copied
  into the wheel as ``vs_vhdr/_models/`` so a normal (non-editable) install finds them.
- The native VapourSynth plugin (``vs_vhdr/vapoursynth/shim.c``, stable ABI) is built into
  ``vapoursynth/plugins/vs_vhdr/`` so VapourSynth auto-loads the ``vhdr`` namespace.
"""

import shutil
from pathlib import Path

from setuptools import Extension, setup
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


def vapoursynth_plugin() -> Extension:
    """The ``vhdr`` namespace shim, placed where VapourSynth searches for plugins."""
    import vapoursynth  # a build requirement (pyproject.toml): its C headers

    return Extension(
        "vapoursynth.plugins.vs_vhdr.vhdr",
        sources=["vs_vhdr/vapoursynth/shim.c"],
        include_dirs=[vapoursynth.get_include()],
        extra_compile_args=["-std=c11", "-O2"],
        py_limited_api=True,
    )


setup(
    cmdclass={"build_py": BuildPyWithModels},
    ext_modules=[vapoursynth_plugin()],
    options={"bdist_wheel": {"py_limited_api": "cp312"}},
)
