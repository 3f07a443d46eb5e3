"""End to end with real nbgrader in a throwaway copy of the course: release, submit,
autograde, and read the gradebook. A right answer earns full marks, an untouched chapter
none, a wrong answer loses points, and a harmless warning costs nothing."""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from conftest import run

GETTING_STARTED = "00_getting_started"


def _submit(course: Path, student: str, chapter: str, notebook: Path) -> Path:
    dest = course / "autograder" / "submitted" / student / chapter / f"{chapter}.ipynb"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(notebook, dest)
    return dest


def _edit_solution(source: Path, dest: Path, old: str, new: str) -> Path:
    nb = nbformat.read(source, as_version=4)
    hits = [c for c in nb.cells if old in c.source and c.metadata.get("nbgrader", {}).get("solution")]
    assert len(hits) == 1, f"expected one solution cell containing {old!r}"
    hits[0].source = hits[0].source.replace(old, new)
    nbformat.write(nb, dest)
    return dest


# Plain nbgrader on the quick chapter. Chapters 1-3 go through the same nbgrader autograde,
# one student at a time, in tests/test_examples.py (complete, partly wrong, blank, crashing).
@pytest.mark.parametrize("chapter", [GETTING_STARTED])
def test_release_submit_autograde(chapter, course, tmp_path):
    result = run(["nbgrader", "generate_assignment", chapter, "--force"], cwd=course)
    assert result.returncode == 0, result.stdout + result.stderr
    solution = course / "solutions" / chapter / f"{chapter}.ipynb"
    release = course / "chapters" / chapter / f"{chapter}.ipynb"
    _submit(course, "alice", chapter, solution)
    _submit(course, "bob", chapter, release)
    wrong = {}
    if chapter == GETTING_STARTED:
        # a harmless warning inside the answer must not zero the test cells that call it
        warned = _edit_solution(solution, tmp_path / "warned.ipynb", "    mean = x.mean(",
                                "    import warnings; warnings.warn('harmless', UserWarning)\n    mean = x.mean(")
        _submit(course, "carol", chapter, warned)
        # the sample standard deviation (N - 1) instead of the population one: loses the values cell
        sample_std = _edit_solution(solution, tmp_path / "sample_std.ipynb", ".mean(dim=dim, keepdim=True).sqrt()",
                                    ".sum(dim=dim, keepdim=True).div(x.shape[dim] - 1).sqrt()")
        _submit(course, "dave", chapter, sample_std)
        wrong = {"dave": {"test_standardize_values": 0.0, "test_standardize_edge_cases": 2.0}}
        # a test cell edited into a no-op: restored from the gradebook, and the one checksum warning
        tampered = nbformat.read(solution, as_version=4)
        next(c for c in tampered.cells if c.get("id") == "test_standardize_edge_cases").source = "pass"
        nbformat.write(tampered, tmp_path / "tampered.ipynb")
        _submit(course, "erin", chapter, tmp_path / "tampered.ipynb")

    result = run(["nbgrader", "autograde", chapter, "--force"], cwd=course)
    assert result.returncode == 0, result.stdout + result.stderr
    # nbgrader warns about a changed test cell only where one was changed (the release's missing
    # hidden tests are not a change: autograder.preprocessors.RestoreHiddenTests)
    changed = [line for line in (result.stdout + result.stderr).splitlines() if "has changed" in line]
    if chapter == GETTING_STARTED:
        assert len(changed) == 1 and "'checksum' for cell test_standardize_edge_cases" in changed[0], changed

    with Gradebook(f"sqlite:///{course / 'autograder' / 'gradebook.db'}") as gb:
        assignment = gb.find_assignment(chapter)
        max_code = sum(c.max_score for n in assignment.notebooks for c in n.grade_cells if c.cell_type == "code")
        assert max_code > 0

        def scores(student):
            sub = gb.find_submission(chapter, student)
            return sub, {g.name: g.score for nb in sub.notebooks for g in nb.grades if g.cell.cell_type == "code"}

        alice, alice_scores = scores("alice")
        assert alice.code_score == max_code, alice_scores
        bob, bob_scores = scores("bob")
        assert bob.code_score == 0, bob_scores
        assert all(score is not None for score in bob_scores.values())  # every cell scored, none skipped
        if chapter == GETTING_STARTED:
            assert scores("carol")[0].code_score == max_code
            assert scores("erin")[0].code_score == max_code
            dave, dave_scores = scores("dave")
            for cell, expected in wrong["dave"].items():
                assert dave_scores[cell] == expected, dave_scores
            assert dave.code_score < max_code
            # the written answer waits for a human in formgrader
            assert alice.needs_manual_grade

    # the autograded notebook exists and the submitted file is untouched
    assert (course / "autograder" / "autograded" / "alice" / chapter / f"{chapter}.ipynb").exists()
    assert (course / "autograder" / "submitted" / "alice" / chapter / f"{chapter}.ipynb").read_bytes() == \
        solution.read_bytes()
