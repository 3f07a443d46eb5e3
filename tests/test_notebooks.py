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


def _sections(nb: dict) -> list[tuple[str, list[dict]]]:
    """The notebook's numbered sections ("## 2. Weight decay"), each with its cells."""
    sections: list[tuple[str, list[dict]]] = []
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and re.match(r"## \d+\. ", source):
            sections.append((source.splitlines()[0], []))
        elif sections:
            sections[-1][1].append(cell)
    return sections


def _nbgrader(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


@pytest.mark.parametrize("path", [p for p in SOLUTIONS if not p.name.startswith("00")], ids=_id)
def test_every_technique_section_has_a_your_turn(path):
    """Each section with a graded exercise has a "Your turn": its instructions, a hand-graded answer
    for the prediction (1 point) and the experiment cell the learner changes, in that order."""
    nb = json.loads(path.read_text())
    for title, cells in _sections(nb):
        if not any(c["cell_type"] == "code" and _nbgrader(c).get("solution") for c in cells):
            continue
        starts = [i for i, c in enumerate(cells) if _nbgrader(c).get("grade_id", "").startswith("your_turn_")
                  and _nbgrader(c)["grade_id"].endswith("_text")]
        assert starts, f"{title}: no 'Your turn' (cells your_turn_<key>_text, your_turn_<key>, a your-turn code cell)"
        for i in starts:
            text, answer, experiment = cells[i:i + 3]
            key = _nbgrader(text)["grade_id"][:-len("_text")]
            assert "".join(text["source"]).startswith("### Your turn"), f"{title}: {key}_text"
            assert _nbgrader(answer).get("grade_id") == key and _nbgrader(answer).get("points") == 1 \
                and _nbgrader(answer).get("solution"), f"{title}: {key} is not a 1-point written answer after its text"
            assert "**What you should find.**" in "".join(answer["source"]), f"{title}: {key}'s model answer"
            assert experiment["cell_type"] == "code" and not _nbgrader(experiment) and \
                {"experiment", "your-turn"} <= set(experiment["metadata"].get("tags", [])), \
                f"{title}: the cell after {key} is not an experiment cell tagged your-turn"


@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_every_chapter_ends_in_practice(path):
    last = json.loads(path.read_text())["cells"][-1]
    assert _nbgrader(last).get("grade_id") == "in_practice" and "".join(last["source"]).startswith("## In practice")
