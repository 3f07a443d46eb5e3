"""The Gradescope bundle, run for real in Gradescope's layout: chapter 0's bundle is built and
unpacked in a bubblewrap box where a temporary folder is ``/autograder`` (``autograder.gradescope.Layout``),
its ``setup.sh`` installs Python's virtual environment and the course (from this machine's pip
configuration and cache), and its ``run_autograder`` grades the example class's complete, partly
wrong and broken notebooks, a notebook failing a hidden test, a submission without a notebook, a
grading killed halfway; each ``results.json`` is checked against Gradescope's specification and
against the scores the example class documents (autograder/README.md). Both isolations run: the
bubblewrap sandbox (this machine allows it) and the unprivileged user (what a Docker container
such as Gradescope's gets), each with a probe cell that tries to read the grader's files.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder.checks import exercises
from autograder.course import ROOT
from autograder.gradescope import SETTINGS, STUDENT, VISIBILITY, Layout, build
from autograder.results import HIDDEN_LATER
from documented import documented_scores

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("bwrap") is None,
                                reason="Gradescope's layout needs root and bubblewrap (make test installs it as root)")
CHAPTER = "00_getting_started"
EXAMPLES = ROOT / "autograder" / "examples" / CHAPTER
STATUSES = ("passed", "failed")


def schema_problems(results: object) -> list[str]:
    """What in ``results`` breaks Gradescope's results specification (it publishes no schema: this is
    its text, https://gradescope-autograders.readthedocs.io/en/latest/specs/, as code)."""
    def number(value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    if not isinstance(results, dict):
        return ["results.json is not a JSON object"]
    problems = []
    known = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
             "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
    problems += [f"unknown top-level field {k!r}" for k in set(results) - known]
    for field in ("score", "execution_time"):
        if field in results and not number(results[field]):
            problems.append(f"{field} is not a number: {results[field]!r}")
    for field in ("visibility", "stdout_visibility"):
        if field in results and results[field] not in VISIBILITY:
            problems.append(f"{field} {results[field]!r} is not one of {VISIBILITY}")
    if "output" in results and not isinstance(results["output"], str):
        problems.append("output is not a string")
    tests = results.get("tests", [])
    if not isinstance(tests, list):
        return problems + ["tests is not a list"]
    test_fields = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
                   "tags", "visibility", "extra_data"}
    for i, test in enumerate(tests):
        if not isinstance(test, dict):
            problems.append(f"tests[{i}] is not an object")
            continue
        problems += [f"tests[{i}]: unknown field {k!r}" for k in set(test) - test_fields]
        for field in ("score", "max_score"):
            if field in test and not number(test[field]):
                problems.append(f"tests[{i}].{field} is not a number")
        if "status" in test and test["status"] not in STATUSES:
            problems.append(f"tests[{i}].status {test['status']!r} is not one of {STATUSES}")
        if test.get("visibility", "visible") not in VISIBILITY:
            problems.append(f"tests[{i}].visibility {test['visibility']!r} is not one of {VISIBILITY}")
        for field in ("name", "output"):
            if field in test and not isinstance(test[field], str):
                problems.append(f"tests[{i}].{field} is not a string")
        if "\r" in test.get("output", ""):
            problems.append(f"tests[{i}].output has \\r line endings")
    if "score" not in results and not all("score" in t for t in tests):
        problems.append("no top-level score, and a test without a score")
    return problems


def test_the_schema_check_can_fail():
    good = {"score": 1, "output": "x", "tests": [{"name": "a", "score": 1, "max_score": 1, "status": "passed",
                                                    "output": "", "visibility": "visible"}]}
    assert schema_problems(good) == []
    assert schema_problems({**good, "tests": [{"name": "a", "status": "ok"}]})
    assert schema_problems({**good, "visibility": "students"})
    assert schema_problems({"tests": [{"name": "a", "status": "failed"}]})  # no score anywhere
    assert schema_problems({**good, "score": "1"}) and schema_problems([good])


@pytest.fixture(scope="module")
def layout(tmp_path_factory) -> Layout:
    """Chapter 0's bundle, unpacked in the layout, its setup.sh run (PyTorch's index skipped: this
    machine cannot reach it; pip's configuration serves the same wheels)."""
    tmp = tmp_path_factory.mktemp("gradescope")
    bundle = build(CHAPTER, tmp / "dist")
    box = Layout(bundle, tmp / "box")
    setup = box.setup({"TT_TORCH_INDEX": "", "TT_PIP_ARGS": "--no-compile"})
    assert setup.returncode == 0, setup.output[-4000:]
    return box


def _isolation(layout: Layout, isolation: str) -> None:
    settings = layout.root / "source" / SETTINGS
    settings.write_text(json.dumps({**json.loads(settings.read_text()), "isolation": isolation}))


def _checked(run) -> dict:
    assert run.results is not None, run.output[-3000:]
    assert schema_problems(run.results) == [], run.results
    return run.results


def _scores(results: dict) -> tuple[float, float]:
    return results["score"], sum(t.get("max_score", 0) for t in results["tests"])


def test_the_bundle_holds_what_gradescope_runs(layout):
    source = layout.root / "source"
    assert (source / "setup.sh").is_file() and (source / "run_autograder").stat().st_mode & 0o111
    assert json.loads((source / SETTINGS).read_text())["chapter"] == CHAPTER
    course = source / "course"
    assert (course / "solutions" / CHAPTER / f"{CHAPTER}.ipynb").is_file()
    assert not (course / "autograder" / "examples").exists() and not (course / "chapters").exists()
    assert (layout.root / "prepared" / "_master" / "autograder" / "gradebook.db").is_file()


PROBE = '''# tries to read what the grader keeps from the notebook, and to write where it may not
import os, sys
for path in [f"/autograder/results/probe", f"{sys.prefix}/probe", "/autograder/source/probe"]:
    try:
        open(path, "w").write("x")
        print("WROTE", path)
    except OSError as err:
        print("refused", path, type(err).__name__)
for path in ["/autograder/source/course/solutions", "/autograder/source/gradescope.json", "/autograder/results",
             "/autograder/prepared/_master/autograder/references.json",
             "/autograder/work/student/autograder/gradebook.db", "/autograder/submission"]:
    try:
        os.listdir(path) if os.path.isdir(path) else open(path).read()
        print("READ", path)
    except OSError as err:
        print("denied", path, type(err).__name__)
for name in ["traintech.reference.preprocessing", "autograder.checks"]:
    try:
        __import__(name)
        print("READ", name)
    except ImportError as err:
        print("denied", name, type(err).__name__)
'''


def _with_probe(tmp_path: Path) -> Path:
    nb = nbformat.read(EXAMPLES / f"example-ada_{CHAPTER}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    path = tmp_path / f"{CHAPTER}.ipynb"
    nbformat.write(nb, path)
    return path


def _probe_output(layout: Layout) -> str:
    graded = layout.root / "work" / STUDENT / "autograder" / "autograded" / STUDENT / CHAPTER / f"{CHAPTER}.ipynb"
    nb = nbformat.read(graded, as_version=4)
    return "".join(o.get("text", "") for o in nb.cells[-1].outputs)


@pytest.mark.parametrize("isolation, said", [("auto", "bubblewrap sandbox"), ("user", "unprivileged user 'student'")])
def test_a_complete_notebook_earns_full_marks_and_reads_none_of_the_grader_s_files(layout, tmp_path, isolation, said):
    _isolation(layout, isolation)
    run = layout.grade([_with_probe(tmp_path)])
    results = _checked(run)
    assert _scores(results) == documented_scores(CHAPTER)["example-ada"], results
    assert said in results["output"] and "Written answers (answer_train_statistics; 1 point)" in results["output"]
    assert [t["status"] for t in results["tests"]] == ["passed", "passed"]
    probe = _probe_output(layout)
    assert probe.count("denied") == 8 and "READ" not in probe, probe
    assert probe.count("refused") == 3 and "WROTE" not in probe, probe
    assert not _student_processes(layout)


def _student_processes(layout: Layout) -> list[int]:
    """The processes of the box's user ``student`` still running (none may outlive a grading)."""
    uid = layout.uid("student")
    return [p.pid for p in psutil.process_iter(["uids", "status"])
            if p.info["uids"] and uid in p.info["uids"][:2] and p.info["status"] != psutil.STATUS_ZOMBIE]


def test_a_partly_wrong_notebook_loses_the_documented_points(layout):
    _isolation(layout, "user")
    results = _checked(layout.grade([EXAMPLES / f"example-ben_{CHAPTER}.ipynb"]))
    assert _scores(results) == documented_scores(CHAPTER)["example-ben"], results
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert failed and all(t["score"] == 0 and "CheckFailed" in t["output"] for t in failed)
    assert all(t["visibility"] == "visible" for t in results["tests"])
    name = f"example-ben_{CHAPTER}.ipynb"  # grading never changes the submitted file
    assert (layout.root / "submission" / name).read_bytes() == (EXAMPLES / name).read_bytes()


def test_a_hidden_test_s_message_waits_for_the_grades(layout, tmp_path):
    """A standardize that always works along dimension 0 passes the visible checks and fails a
    hidden one: its test shows at once that it failed, the message once the grades are published."""
    nb = nbformat.read(EXAMPLES / f"example-ada_{CHAPTER}.ipynb", as_version=4)
    wrong = exercises(CHAPTER)["standardize"].module.WRONG["always along dimension 0"]
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "standardize"]
    cell.source = wrong
    path = tmp_path / f"{CHAPTER}.ipynb"
    nbformat.write(nb, path)
    _isolation(layout, "auto")
    results = _checked(layout.grade([path]))
    (failed,) = [t for t in results["tests"] if t.get("status") == "failed" and "max_score" in t]
    assert failed["score"] == 0 and failed["visibility"] == "visible"
    assert failed["output"] == HIDDEN_LATER["after_published"]
    (message,) = [t for t in results["tests"] if t["name"] == f"{failed['name']}: the hidden test's message"]
    assert message["visibility"] == "after_published" and "score" not in message and message["output"]
    assert results["score"] == documented_scores(CHAPTER)["example-ada"][0] - failed["max_score"]


def test_a_crashing_notebook_gets_the_documented_score(layout):
    """The example class's notebook with a syntax error in its answer: every test of it fails."""
    _isolation(layout, "user")
    results = _checked(layout.grade([EXAMPLES / f"example-dev_{CHAPTER}.ipynb"]))
    assert _scores(results) == documented_scores(CHAPTER)["example-dev"], results
    assert all("NameError" in t["output"] for t in results["tests"])


def test_a_broken_notebook_and_no_notebook_score_zero_and_say_why(layout, tmp_path):
    _isolation(layout, "auto")
    broken = tmp_path / f"{CHAPTER}.ipynb"
    broken.write_text('{"cells": [')
    results = _checked(layout.grade([broken]))
    assert results["score"] == 0 and "not a notebook: the file is not valid JSON" in results["output"]
    assert results["tests"] and all(t["status"] == "failed" and "not valid JSON" in t["output"]
                                    for t in results["tests"])
    script = tmp_path / "standardize.py"
    script.write_text("print('hello')\n")
    results = _checked(layout.grade([script]))
    assert results["score"] == 0 and "no notebook (.ipynb) was submitted (files: standardize.py)" in results["output"]


def test_a_grading_killed_halfway_leaves_results_that_say_so(layout):
    """What a container's memory or time limit does: the box is killed while the notebook is graded."""
    _isolation(layout, "user")
    run = layout.grade([EXAMPLES / f"example-ada_{CHAPTER}.ipynb"], kill_after=4)
    results = _checked(run)
    assert results["score"] == 0 and results["tests"] == []
    assert results["output"].startswith("Grading did not finish") and "memory or time limit" in results["output"]
    assert not _student_processes(layout)


def test_past_the_memory_limit_the_kernel_is_stopped_and_the_results_say_why(layout):
    """The grader's own memory guard acts before the container's limit (here: 400 MiB, which the
    notebook's kernel and nbgrader's process together pass as soon as they have imported torch)."""
    _isolation(layout, "auto")
    settings = layout.root / "source" / SETTINGS
    saved = settings.read_text()
    settings.write_text(json.dumps({**json.loads(saved), "memory_limit_mb": 400}))
    try:
        results = _checked(layout.grade([EXAMPLES / f"example-ada_{CHAPTER}.ipynb"]))
    finally:
        settings.write_text(saved)
    assert "reached the autograder's memory limit (400 MiB)" in results["output"], results
    assert results["score"] < documented_scores(CHAPTER)["example-ada"][0]


def test_the_command_builds_a_bundle_and_refuses_bad_settings(tmp_path, capsys):
    from autograder.__main__ import main

    assert main(["gradescope", "--chapter", CHAPTER, "--out", str(tmp_path), "--hidden-messages", "visible"]) == 0
    assert json.loads((tmp_path / f"autograder-{CHAPTER}" / SETTINGS).read_text())["hidden_messages"] == "visible"
    assert main(["gradescope", "--chapter", "99_nothing", "--out", str(tmp_path)]) == 2
    assert "unknown chapter '99_nothing'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="hidden_messages must be one of"):
        build(CHAPTER, tmp_path, hidden_messages="students")
    with pytest.raises(ValueError, match="unknown settings"):
        build(CHAPTER, tmp_path, memory=768)
