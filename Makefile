# Training Techniques — every target creates .venv when it is missing.
#   make lab      open the course (chapters/) in JupyterLab   (LAB_ARGS='--no-browser --port 8899')
#   make test     run the whole test suite                     (PYTEST_ARGS='-k release')
#   make test-portable  the suite on a simulated CPU without AVX (CPU=avx2: AVX2, no AVX-512)
#   make test-slow  the slow proofs only (every chapter graded with and without its experiments)
#   make coverage the suite, measuring its line coverage of autograder/ (grading processes included)
#   make release  regenerate chapters/ from solutions/ with nbgrader
#   make grade    grade the example class of every chapter     (CHAPTERS=01_regularization GRADE_ARGS='--jobs 1')
#   make bench    time each chapter notebook (benchmarks/chapters.py)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(CURDIR)/$(VENV)/bin
# nbgrader runs `alembic` and the kernels by name: the venv's tools come first.
export PATH := $(BIN):$(PATH)

LAB_ARGS    ?=
# Jupyter refuses to run as root unless told to (containers and CI run as root).
ROOT_FLAG   := $(if $(filter 0,$(shell id -u)),--allow-root,)
PYTEST_ARGS ?=
CHAPTERS    ?= $(notdir $(patsubst %/,%,$(dir $(wildcard solutions/*/*.ipynb))))
GRADE_ARGS  ?=
# test-portable's simulated processor: a setting of tests/simulated_cpu.py (lowered, avx2)
CPU         ?= lowered

.PHONY: lab test test-portable test-slow coverage release grade bench venv sandbox clean-venv

venv: $(VENV)/.installed

# Reinstall whenever the dependencies change. torch is pinned exactly in pyproject.toml:
# an unpinned torch would pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

# The grader runs every submission's kernel in a bubblewrap sandbox (autograder/sandbox.py):
# installed from Debian's packages when missing and this runs as root; otherwise say how.
sandbox:
	@command -v bwrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq bubblewrap >/dev/null 2>&1 || \
	     (apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null)) && echo "installed bubblewrap"; \
	  else echo "WARNING: bubblewrap is missing: grading is not sandboxed and its tests fail." \
	            "Install it: sudo apt-get install bubblewrap"; fi; }

lab: venv
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/chapters $(ROOT_FLAG) $(LAB_ARGS)

test: venv sandbox
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The whole suite with PyTorch's three CPU dispatch layers (its kernels, oneDNN, MKL) held below
# what this machine has: what another processor computes. Checks first that they took effect.
test-portable: venv sandbox
	$(BIN)/python tests/simulated_cpu.py $(CPU) -- $(BIN)/python -m pytest $(PYTEST_ARGS)

# About nine minutes: every chapter's example class (and a hostile class of chapter 1) graded with
# and without its experiment cells, to the same scores (tests/test_experiments.py).
test-slow: venv sandbox
	$(BIN)/python -m pytest --slow -m slow $(PYTEST_ARGS)

# The suite's line coverage of autograder/, grading processes included (about twice make test's time).
coverage: venv sandbox
	rm -f .coverage .coverage.*
	$(BIN)/python -m coverage run -m pytest $(PYTEST_ARGS)
	$(BIN)/python -m coverage combine -q
	$(BIN)/python -m coverage report --skip-covered

release: venv
	$(BIN)/python -m autograder release

# The example class (autograder/examples/<chapter>/) into autograder/graded/<chapter>/.
grade: venv sandbox
	@set -e; for chapter in $(CHAPTERS); do $(BIN)/python -m autograder grade --chapter $$chapter $(GRADE_ARGS); done

bench: venv
	$(BIN)/python benchmarks/chapters.py

clean-venv:
	rm -rf $(VENV)
