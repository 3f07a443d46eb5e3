"""The notebooks: solutions execute cleanly, nothing is committed with outputs, and
nbgrader agrees that solutions pass every test and untouched chapters pass none."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import CHAPTERS, ROOT, SOLUTIONS, run


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


@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_solution_executes_without_errors_or_stderr(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    problems = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                problems.append(f"cell {index}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                problems.append(f"cell {index} wrote to stderr: {output.text[:500]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", SOLUTIONS[:1], ids=_id)
def test_nbgrader_validate_passes_solution(path, course):
    # The learner's Validate button, on the quick chapter. That every chapter's solution earns
    # full marks is checked by grading it (the example class: tests/test_examples.py), which
    # executes the same notebook in the same kernel configuration; validating chapters 1-3
    # too would execute each of them once more for nothing.
    result = run(["nbgrader", "validate", str(course / path.relative_to(ROOT))], cwd=course)
    assert "Success! Your notebook passes all the tests." in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_nbgrader_validate_invert_fails_untouched_chapter(path, course):
    # --invert reports the test cells that *pass*: on an untouched release there must be none.
    result = run(["nbgrader", "validate", "--invert", str(course / path.relative_to(ROOT))], cwd=course)
    assert "Success! The notebook does not pass any tests." in result.stdout, result.stdout + result.stderr
