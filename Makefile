# Training Techniques — every target creates .venv when it is missing.
#   make lab      open the course (chapters/) in JupyterLab   (LAB_ARGS='--no-browser --port 8899')
#   make test     run the whole test suite                     (PYTEST_ARGS='-k release')
#   make test-portable  the suite on a simulated CPU without AVX (CPU=avx2: AVX2, no AVX-512)
#   make test-slow  the slow proofs only (every chapter graded with and without its experiments)
#   make coverage the suite, measuring its line coverage of autograder/ (grading processes included)
#   make release  regenerate chapters/ from solutions/ with nbgrader
#   make grade    grade the example class of every chapter     (CHAPTERS=01_regularization GRADE_ARGS='--jobs 1')
#   make grade-me self-study: grade your own notebook with the hidden tests (CHAPTER=01_regularization)
#   make student  build the student edition for a graded class into dist/
#   make bench    time each chapter notebook (benchmarks/chapters.py)

include course.mk

PYTEST_ARGS ?=
CHAPTERS    ?= $(notdir $(patsubst %/,%,$(dir $(wildcard solutions/*/*.ipynb))))
GRADE_ARGS  ?=
# test-portable's simulated processor: a setting of tests/simulated_cpu.py (lowered, avx2)
CPU         ?= lowered

.PHONY: test test-portable test-slow coverage release grade grade-me student bench sandbox

# The grader runs every submission's kernel in a bubblewrap sandbox (autograder/sandbox.py):
# installed from Debian's packages when missing and this runs as root; otherwise say how.
sandbox:
	@command -v bwrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq bubblewrap >/dev/null 2>&1 || \
	     (apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null)) && echo "installed bubblewrap"; \
	  else echo "WARNING: bubblewrap is missing: grading is not sandboxed and its tests fail." \
	            "Install it: sudo apt-get install bubblewrap"; fi; }

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


# Self-study: grade your own notebook (chapters/<CHAPTER>/) as an instructor would, hidden tests
# included, and open its feedback page.    make grade-me CHAPTER=01_regularization [NOTEBOOK=path]
grade-me: venv sandbox
	@test -n "$(CHAPTER)" || { echo "say which chapter: make grade-me CHAPTER=01_regularization"; exit 2; }
	$(BIN)/python -m autograder grade-me --chapter $(CHAPTER) $(NOTEBOOK) --open

# The student edition for a graded class (dist/training-techniques-student/ and its .zip):
# the released chapters and traintech without the graded exercises' references.
student: venv
	$(BIN)/python -m autograder student
