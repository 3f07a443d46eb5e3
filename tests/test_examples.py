"""The example class in autograder/examples/: generated from the chapters (never stale), and
graded end to end by `python -m autograder grade` with exactly the scores autograder/README.md
promises — the complete notebook full marks, the blank one nothing, the partly wrong and the
crashing one losing exactly the points of their mistake."""
from __future__ import annotations

import csv
import json
import shutil

import nbformat
import pytest

from autograder import examples
from autograder.course import chapter_ids
from autograder.intake import collect
from conftest import ROOT, copy_course, run

# chapter -> student -> the exercises that lose points, with the points they keep
LOSSES = {
    "00_getting_started": {"example-ben": {"standardize": 2.0}, "example-dev": {"standardize": 0.0}},
    "01_regularization": {"example-ben": {"dropout": 3.0, "Dropout": 1.0}, "example-dev": {"sgd_step": 0.0}},
    "02_normalization": {"example-ben": {"layer_norm": 1.0}, "example-dev": {"group_norm": 0.0}},
    "03_initialization": {"example-ben": {"kaiming_normal_": 1.0}, "example-dev": {"orthogonal_": 0.0}},
}


def test_every_chapter_has_an_example_class():
    assert set(LOSSES) == set(chapter_ids()) == set(examples.MISTAKES) == set(examples.CRASHES)


@pytest.mark.parametrize("chapter", chapter_ids())
def test_examples_are_generated_from_the_chapter(chapter):
    """Committed == generated: run `python -m autograder examples` after changing a chapter."""
    for student, nb in examples.build(chapter).items():
        committed = nbformat.read(examples.path(chapter, student), as_version=4)
        assert committed == nb, f"{examples.path(chapter, student)} is stale: run `python -m autograder examples`"
    with collect([ROOT / "autograder" / "examples" / chapter], chapter=chapter) as intake:
        assert not intake.problems and [s.student for s in intake.submissions] == sorted(examples.STUDENTS)


@pytest.mark.parametrize("chapter", chapter_ids())
def test_example_class_grades_as_documented(chapter, tmp_path):
    """Each class exactly as shipped, graded as `make grade` grades it: the experiment cells are
    not run (the default; tests/test_experiments.py proves the scores do not depend on them)."""
    course = copy_course(tmp_path / "course")
    shutil.copytree(ROOT / "autograder" / "examples", course / "autograder" / "examples")
    before = {p: p.read_bytes() for p in (course / "autograder" / "examples").rglob("*.ipynb")}
    command = ["python", "-m", "autograder", "grade", "--chapter", chapter, "--jobs", "2", "--course", str(course)]
    result = run(command, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "example-ada" in result.stdout and "grades.csv" in result.stdout
    out = course / "autograder" / "graded" / chapter
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert set(rows) == set(examples.STUDENTS)
    exercises = [c[len("exercise:"):] for c in rows["example-ada"] if c.startswith("exercise:")]
    full = {e: float(rows["example-ada"][f"exercise:{e}"]) for e in exercises}
    assert float(rows["example-ada"]["automatic score"]) == float(rows["example-ada"]["automatic max"]) > 0
    assert all(v > 0 for v in full.values())
    for student in ("example-ben", "example-dev"):
        kept = {e: float(rows[student][f"exercise:{e}"]) for e in exercises}
        assert kept == {**full, **LOSSES[chapter][student]}, student
    assert float(rows["example-cleo"]["automatic score"]) == 0 and rows["example-cleo"]["to grade by hand"] == "0"
    assert all(not r["problem"] for r in rows.values())
    crashed = examples.CRASHES[chapter]
    dev = json.loads((out / "example-dev" / "results.json").read_text())
    assert any(f"NameError: name '{crashed}' is not defined" in t["output"] for t in dev["tests"])
    for student in examples.STUDENTS:
        assert (out / student / "feedback.html").exists() and (out / student / f"{chapter}.ipynb").exists()
    # the class gradebook and the folders formgrader reads
    assert (course / "autograder" / "gradebook.db").exists()
    assert (course / "autograder" / "autograded" / "example-ada" / chapter / f"{chapter}.ipynb").exists()
    assert before == {p: p.read_bytes() for p in (course / "autograder" / "examples").rglob("*.ipynb")}
