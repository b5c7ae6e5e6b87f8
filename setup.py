"""Build hooks beyond pyproject.toml (the native VapourSynth shim is added here)."""

from setuptools import setup

setup()
