# The README's commands. Everything builds from nothing: a Python 3.12 venv, the packages, the
# native VapourSynth shim (built by pip install into site-packages/vapoursynth/plugins).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# python3.12 from PATH, else from pyenv's versions (its shim may refuse when 3.12 is not global).
PYTHON312 ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12; do \
	  "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
DEPS_STAMP := $(VENV)/.deps-installed
INSTALL_STAMP := $(VENV)/.vhdr-installed
SOURCES := $(shell find vs_vhdr models -type f -not -path '*/__pycache__/*' 2>/dev/null) setup.py pyproject.toml

.PHONY: setup demo test lint bench clean ofx ofx-test

setup: $(INSTALL_STAMP)

$(PY):
	@test -n "$(PYTHON312)" || { echo "make: no Python 3.12 found (python3.12 or ~/.pyenv/versions/3.12*)"; exit 1; }
	$(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel

$(DEPS_STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet '.[dev]'
	touch $@

# Non-editable install (the native plugin must land in site-packages); redone when sources change.
$(INSTALL_STAMP): $(DEPS_STAMP) $(SOURCES)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation --force-reinstall .
	$(PY) -m vapoursynth config >/dev/null 2>&1 || true
	touch $@

demo: setup
	$(VENV)/bin/vhdr demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint
	$(PY) -m pytest -q

bench: setup
	$(PY) -m benchmarks.run
	$(PY) -m benchmarks.bench_nets --models pmunet c3ded-m

# The OFX bundle (ofx_bridge/build/vhdr.ofx.bundle) and its end-to-end test against `vhdr serve`.
ofx:
	$(MAKE) -C ofx_bridge

ofx-test: setup
	$(MAKE) -C ofx_bridge test PYTHON=$(abspath $(PY))

clean:
	rm -rf build *.egg-info $(VENV)
