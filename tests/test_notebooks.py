"""The notebooks: solutions execute cleanly, nothing is committed with outputs, and
nbgrader agrees that solutions pass every test and untouched chapters pass none."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import CHAPTERS, SOLUTIONS


def _id(path: Path) -> str:
    return path.parent.name


def test_there_are_notebooks():
    assert SOLUTIONS, "no notebooks in solutions/"
    assert [_id(p) for p in CHAPTERS] == [_id(p) for p in SOLUTIONS], "chapters/ and solutions/ differ"


@pytest.mark.parametrize("path", SOLUTIONS + CHAPTERS, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path} has outputs in cells {dirty}: clear them before committing"


# That every solution executes without errors or stderr is checked where the same execution
# serves the tests of what each chapter's text says (tests/test_claims_0N.py, tests/executed.py).

# The argument of \text{} (and \texttt{}, \mbox{}, \mathrm{}) is taken verbatim by MathJax 2/3
# and KaTeX: `\text{fan\_in}` shows a literal backslash on GitHub, nbviewer and the classic
# notebook, and a bare `_` there is an error in KaTeX. Write `\text{fan}_\text{in}` instead.
_TEXT_ARGUMENT = re.compile(r"\\(?:text\w*|mbox|mathrm)\{([^{}]*)\}")


@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_formulas_render_everywhere(path):
    nb = json.loads(path.read_text())
    bad = [f"cell {c.get('id')}: {m.group(0)}" for c in nb["cells"] if c["cell_type"] == "markdown"
           for m in _TEXT_ARGUMENT.finditer("".join(c["source"])) if "\\" in m.group(1) or "_" in m.group(1)]
    assert not bad, "text inside a formula that renderers show wrongly:\n" + "\n".join(bad)


# nbgrader validate (the learner's Validate button) runs in tests/test_student.py, as the student
# edition's `make test`: an untouched chapter fails, a done one passes. That an untouched release
# earns no point at all is graded on the example class's blank notebook (tests/test_examples.py).
