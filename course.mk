# What the course repository and the student edition share: the virtual environment and `make lab`.
# Included by the Makefile of each; every target creates .venv when it is missing.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(CURDIR)/$(VENV)/bin
# nbgrader runs `alembic` and the kernels by name: the venv's tools come first.
export PATH := $(BIN):$(PATH)

LAB_ARGS    ?=
# Jupyter refuses to run as root unless told to (containers and CI run as root).
ROOT_FLAG   := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab venv clean-venv

venv: $(VENV)/.installed

# Reinstall whenever the dependencies change. torch is pinned exactly in pyproject.toml:
# an unpinned torch would pull a multi-GB CUDA build.
# PIP_ARGS: more for pip (the tests build the student edition's with --no-compile: half the time).
PIP_ARGS ?=
$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(PIP_ARGS) -e .
	@touch $@

lab: venv
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/chapters $(ROOT_FLAG) $(LAB_ARGS)

clean-venv:
	rm -rf $(VENV)
