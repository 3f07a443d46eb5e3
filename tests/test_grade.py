"""python -m autograder grade and export, end to end on real nbgrader: a small class of the
getting-started chapter graded in parallel, serially and by plain nbgrader, checked cell by
cell and output by output; then a written answer graded in the gradebook, as formgrader does."""
from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import zipfile

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.grade import grade_all
from autograder.results import write_outputs
from autograder.intake import collect
from conftest import ROOT, copy_course, run

CHAPTER = "00_getting_started"
SOLUTION = ROOT / "solutions" / CHAPTER / f"{CHAPTER}.ipynb"
RELEASE = ROOT / "chapters" / CHAPTER / f"{CHAPTER}.ipynb"
TESTS = ["test_standardize_values", "test_standardize_edge_cases"]
ANSWER = "answer_train_statistics"
EXPECTED = {"alice": 4.0, "bob": 0.0, "carol": 0.0, "dave": 2.0}


def _gradebook(course):
    return Gradebook(f"sqlite:///{course / 'autograder' / 'gradebook.db'}")


@pytest.fixture(scope="session")
def klass(tmp_path_factory):
    """A flat LMS-style folder: complete, blank, not a notebook, partly wrong."""
    folder = tmp_path_factory.mktemp("class")
    (folder / "alice_00.ipynb").write_bytes(SOLUTION.read_bytes())
    (folder / "bob_00.ipynb").write_bytes(RELEASE.read_bytes())
    (folder / "carol_00.ipynb").write_text("{ this is not a notebook")
    nb = nbformat.read(SOLUTION, as_version=4)  # the sample standard deviation: loses the values cell
    for cell in nb.cells:
        cell.source = cell.source.replace(".mean(dim=dim, keepdim=True).sqrt()",
                                          ".sum(dim=dim, keepdim=True).div(x.shape[dim] - 1).sqrt()")
    nbformat.write(nb, folder / "dave_00.ipynb")
    return folder


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


# session, not module: xdist may run another module's tests on this worker in between,
# which would tear a module fixture down and grade the whole class again.
@pytest.fixture(scope="session")
def graded(klass, tmp_path_factory):
    before = _hashes(klass)
    parallel_course = copy_course(tmp_path_factory.mktemp("parallel") / "course")
    serial_course = copy_course(tmp_path_factory.mktemp("serial") / "course")
    work = tmp_path_factory.mktemp("work")
    with collect([klass]) as intake:
        parallel = grade_all(intake.submissions, CHAPTER, work / "parallel", jobs=2, root=parallel_course,
                             progress=False)
        serial = grade_all(intake.submissions, CHAPTER, work / "serial", jobs=1, root=serial_course, progress=False,
                           experiments="run")  # and with the experiment cells run: the same scores
    out = tmp_path_factory.mktemp("out")
    write_outputs(parallel, CHAPTER, out)
    assert _hashes(klass) == before, "grading modified a submitted file"
    return parallel, serial, out, parallel_course


def _table(results):
    return [(r.student, [(c.cell.name, c.score, c.status, c.message) for c in r.cells], r.problem)
            for r in results]


def test_scores(graded):
    parallel, *_ = graded
    assert {r.student: r.score for r in parallel} == EXPECTED
    assert all(r.max_score == 4.0 for r in parallel)
    dave = next(r for r in parallel if r.student == "dave")
    assert {c.cell.name: c.score for c in dave.cells if not c.cell.manual} == dict(zip(TESTS, [0.0, 2.0]))
    carol = next(r for r in parallel if r.student == "carol")
    assert "the file is not valid JSON" in carol.problem
    alice = next(r for r in parallel if r.student == "alice")
    assert alice.pending == 1 and alice.manual_max == 1.0
    bob = next(r for r in parallel if r.student == "bob")  # a blank written answer needs no grader: 0
    assert bob.pending == 0 and bob.manual_score == 0.0


def test_parallel_equals_serial(graded):
    """Two at a time skipping the experiment cells (the default), and one at a time running them:
    the same scores and messages, cell by cell."""
    parallel, serial, *_ = graded
    a, b = _table(parallel), _table(serial)
    assert a == b, "\n".join(f"{x}\n{y}" for x, y in zip(a, b) if x != y)


def test_same_scores_as_plain_nbgrader(graded, klass, tmp_path):
    """Plain `nbgrader autograde` of the same notebooks, cell by cell, and our class gradebook
    holds exactly what nbgrader would have written there."""
    parallel, _, _, parallel_course = graded
    course = copy_course(tmp_path / "course")
    for notebook in klass.iterdir():
        dest = course / "autograder" / "submitted" / notebook.name.split("_")[0] / CHAPTER / f"{CHAPTER}.ipynb"
        dest.parent.mkdir(parents=True)
        shutil.copy(notebook, dest)
    assert run(["nbgrader", "generate_assignment", CHAPTER, "--force"], cwd=course).returncode == 0
    run(["nbgrader", "autograde", CHAPTER, "--force"], cwd=course)  # fails on carol, grades the others
    ours = {(r.student, c.cell.name): c.score for r in parallel for c in r.cells if not r.problem}
    for where in (course, parallel_course):
        with _gradebook(where) as gb:
            theirs = {(s.student.id, g.name): (None if g.needs_manual_grade else g.score)
                      for s in gb.find_assignment(CHAPTER).submissions for n in s.notebooks for g in n.grades}
        if where == course:  # plain nbgrader leaves carol's broken file waiting for a grader, ungraded
            assert {k: v for k, v in theirs.items() if k[0] == "carol"} == {("carol", t): None for t in TESTS + [ANSWER]}
            theirs = {k: v for k, v in theirs.items() if k[0] != "carol"}
        assert theirs == ours, where


def test_results_json_is_gradescope_format(graded):
    *_, out, _ = graded
    for student, score in EXPECTED.items():
        data = json.loads((out / student / "results.json").read_text())
        assert set(data) == {"score", "execution_time", "output", "tests"} and data["score"] == score
        assert isinstance(data["execution_time"], (int, float)) and data["execution_time"] >= 0
        for test in data["tests"]:
            assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
            assert test["status"] in ("passed", "failed") and test["visibility"] == "visible"
            assert 0 <= test["score"] <= test["max_score"]
        assert [t["name"] for t in data["tests"]][:2] == TESTS
    assert [t["name"] for t in json.loads((out / "alice" / "results.json").read_text())["tests"]] == TESTS
    dave = json.loads((out / "dave" / "results.json").read_text())
    assert "population standard deviation" in dave["tests"][0]["output"]  # the learner-facing hint
    assert "still to be graded by hand" in json.loads((out / "alice" / "results.json").read_text())["output"]


def test_feedback_shows_no_hidden_test_or_traceback(graded):
    *_, out, _ = graded
    region = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)
    hidden = {line.strip() for cell in nbformat.read(SOLUTION, as_version=4).cells
              for m in region.finditer(cell.source) for line in m.group(1).splitlines() if len(line.strip()) > 15}
    assert hidden
    for student in EXPECTED:
        page = (out / student / "feedback.html").read_text()
        assert "Traceback" not in page and "BEGIN HIDDEN" not in page
        assert not [line for line in hidden if line in page], student
        assert TESTS[0] in page
    assert "the file is not valid JSON" in (out / "carol" / "feedback.html").read_text()
    assert (out / "alice" / f"{CHAPTER}.ipynb").exists() and not (out / "carol" / f"{CHAPTER}.ipynb").exists()


def test_grades_csv_has_a_column_per_cell_and_exercise(graded):
    *_, out, _ = graded
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [r["student"] for r in rows] == sorted(EXPECTED)
    for column in ("exercise:standardize", *TESTS, ANSWER, "automatic score", "total", "to grade by hand"):
        assert column in rows[0]
    dave = next(r for r in rows if r["student"] == "dave")
    assert float(dave[TESTS[0]]) == 0.0 and float(dave["exercise:standardize"]) == 2.0
    alice = next(r for r in rows if r["student"] == "alice")
    assert alice[ANSWER] == "" and alice["to grade by hand"] == "1"  # waits for manual grading


def test_manual_grades_and_regrading(graded, klass, tmp_path):
    """Formgrader writes a manual grade into the class gradebook; `export` brings it into
    grades.csv and the feedback. Grading alice again (a zip of a student folder, with bob's
    single file) gives the same automatic scores and, as nbgrader does, keeps the manual grade
    but marks it for review: the new submission may have a different answer."""
    parallel, _, _, course = graded
    out = tmp_path / "out"
    write_outputs(parallel, CHAPTER, out)
    with _gradebook(course) as gb:  # what formgrader does when a grader saves a score and a comment
        grade = gb.find_grade(ANSWER, CHAPTER, CHAPTER, "alice")
        grade.manual_score, grade.needs_manual_grade = 0.5, False
        gb.find_comment(ANSWER, CHAPTER, CHAPTER, "alice").manual_comment = "Right idea; say why it leaks."
        gb.db.commit()
    result = run(["python", "-m", "autograder", "export", "--chapter", CHAPTER, "--out", str(out),
                  "--course", str(course)], cwd=ROOT)
    assert result.returncode == 0, result.stderr
    alice = next(r for r in csv.DictReader((out / "grades.csv").open()) if r["student"] == "alice")
    assert float(alice[ANSWER]) == 0.5 and float(alice["total"]) == 4.5 and alice["to grade by hand"] == "0"
    assert "say why it leaks" in (out / "alice" / "feedback.html").read_text()
    data = json.loads((out / "alice" / "results.json").read_text())
    assert data["score"] == 4.5 and data["tests"][-1]["name"] == ANSWER

    with zipfile.ZipFile(tmp_path / "upload.zip", "w") as archive:
        archive.write(klass / "alice_00.ipynb", "alice/my work.ipynb")
    again = tmp_path / "again"
    result = run(["python", "-m", "autograder", "grade", str(tmp_path / "upload.zip"), str(klass / "bob_00.ipynb"),
                  "--chapter", CHAPTER, "--out", str(again), "--jobs", "2", "--course", str(course)], cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "alice" in result.stdout and "bob" in result.stdout
    rows = {r["student"]: r for r in csv.DictReader((again / "grades.csv").open())}
    assert set(rows) == {"alice", "bob"}
    assert rows["alice"][ANSWER] == "" and rows["alice"]["to grade by hand"] == "1"
    before = {r.student: r for r in parallel}
    for student in ("alice", "bob"):
        assert [float(rows[student][t]) for t in TESTS] == [c.score for c in before[student].cells[:2]]
    with _gradebook(course) as gb:
        assert sorted(s.student.id for s in gb.find_assignment(CHAPTER).submissions) == ["alice", "bob", "dave"]
        grade = gb.find_grade(ANSWER, CHAPTER, CHAPTER, "alice")
        assert grade.manual_score == 0.5 and grade.needs_manual_grade


def test_cli_reports_bad_input_without_grading(tmp_path):
    result = run(["python", "-m", "autograder", "grade", str(tmp_path / "nothing"), "--chapter", CHAPTER,
                  "--out", str(tmp_path / "out")], cwd=ROOT)
    assert result.returncode == 2 and "does not exist" in result.stderr and "no submissions" in result.stderr
    result = run(["python", "-m", "autograder", "grade", "--chapter", "99_nope"], cwd=ROOT)
    assert result.returncode == 2 and "unknown chapter" in result.stderr
    result = run(["python", "-m", "autograder", "grade", "--chapter", CHAPTER, "--course", str(tmp_path)], cwd=ROOT)
    assert result.returncode == 2 and "not a course folder" in result.stderr
    result = run(["python", "-m", "autograder", "export", "--chapter", CHAPTER, "--out", str(tmp_path)], cwd=ROOT)
    assert result.returncode == 2 and "grade the chapter first" in result.stderr
    assert not (tmp_path / "out").exists()


def test_grade_me_grades_a_learner_s_own_notebook_as_an_instructor_would(klass, tmp_path):
    """Self-study (`make grade-me`): the hidden tests' verdicts on the learner's own notebook, on a
    feedback page, and the notebook untouched."""
    course = copy_course(tmp_path / "course")
    mine = course / "chapters" / CHAPTER / f"{CHAPTER}.ipynb"  # where a self-study learner works
    shutil.copyfile(klass / "dave_00.ipynb", mine)
    before = mine.read_bytes()
    result = run(["python", "-m", "autograder", "grade-me", "--chapter", CHAPTER, "--course", str(course)], cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert mine.read_bytes() == before
    out = course / "autograder" / "graded" / "self-study" / CHAPTER
    feedback = (out / "me" / "feedback.html").read_text()
    assert f"your feedback page: {out / 'me' / 'feedback.html'}" in result.stdout
    (row,) = csv.DictReader((out / "grades.csv").open())
    assert float(row["automatic score"]) == EXPECTED["dave"]
    assert "test_standardize_values" in feedback and "BEGIN HIDDEN" not in feedback
    result = run(["python", "-m", "autograder", "grade-me", "--chapter", CHAPTER, str(tmp_path / "none.ipynb")], cwd=ROOT)
    assert result.returncode == 2 and "no notebook" in result.stderr
