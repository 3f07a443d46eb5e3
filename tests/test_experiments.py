"""Grading does not run the chapters' experiment cells (autograder/experiments.py): which cells
they are, the proof that no answer or test cell needs them, the reading of names behind that
proof, and what grading does with them (skipped, the learner's outputs kept, one an answer
reads from run after all, tags in a submission ignored, ``--experiments run``)."""
from __future__ import annotations

import json
import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder.experiments import (NOT_RUN_NOTE, TAG, could_bind, dependencies, experiment_ids, needed,
                                    worth_running)
from autograder.grade import grade_all
from autograder.intake import collect
from conftest import ROOT, SOLUTIONS, copy_course


def _id(path):
    return path.parent.name


@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_no_answer_or_test_cell_reads_what_an_experiment_defines(path):
    nb = nbformat.read(path, as_version=4)
    ids = set(experiment_ids(nb))
    assert ids, f"{_id(path)} tags no cell {TAG!r}: its experiments would run when graded"
    readers = [d for d in dependencies(nb, ids) if nb.cells[d.reader].get("id") not in ids]
    assert not readers, "cells that read what an experiment cell defines (move the definition out of the " \
        "experiment, or tag the reader too):\n" + "\n".join(
            f"cell {d.reader} ({nb.cells[d.reader].get('id')}) reads {d.name!r} from experiment cell {d.writer}"
            for d in readers)


@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_every_experiment_can_be_read(path):
    """So a learner's own NameError (a broken answer cell) never has the grader run the whole
    chapter again: the safety net looks only at names an experiment may bind."""
    nb = nbformat.read(path, as_version=4)
    opaque = [c.id for c in nb.cells if c.get("id") in set(experiment_ids(nb)) and could_bind(c.source) is None]
    assert not opaque, f"experiment cells whose bindings no reading can list: {opaque}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_experiment_cells_are_plain_code_and_keep_their_ids_in_the_release(path):
    """Experiments are decided by cell id, from the source: the release must keep the ids."""
    nb = nbformat.read(path, as_version=4)
    release = nbformat.read(ROOT / "chapters" / path.parent.name / path.name, as_version=4)
    tagged = [c for c in nb.cells if TAG in c.metadata.get("tags", [])]
    assert all(c.cell_type == "code" and not c.metadata.get("nbgrader") for c in tagged), \
        "an experiment cell must be a plain code cell: graded or locked cells always run"
    assert experiment_ids(release) == experiment_ids(nb) == [c.id for c in tagged]


# --------------------------------------------------------------------------- the reading of names


def _nb(*cells):
    """Cells given as source (an ordinary code cell) or ("x", source) (an experiment)."""
    nb = new_notebook()
    for i, cell in enumerate(cells):
        experiment = isinstance(cell, tuple)
        nb.cells.append(new_code_cell(cell[1] if experiment else cell, id=f"{'exp' if experiment else 'c'}-{i}"))
    return nb, {c.id for c in nb.cells if c.id.startswith("exp")}


def _reads(*cells):
    nb, ids = _nb(*cells)
    return {(d.reader, d.name, d.writer) for d in dependencies(nb, ids)}


def test_a_read_of_what_an_experiment_bound_last_is_a_dependency():
    assert _reads("import torch", ("x", "model = 1\nhistory = []"), "print(model)") == {(2, "model", 1)}
    assert _reads(("x", "import numpy as np"), "def f(x):\n    return np.sum(x)") == {(1, "np", 0)}
    assert _reads(("x", "n = 3"), "n += 1") == {(1, "n", 0)}
    assert _reads(("x", "from math import pi"), "print(pi.real)") == {(1, "pi", 0)}
    assert _reads(("x", "for k in range(3):\n    total = k"), "print(total)") == {(1, "total", 0)}
    assert _reads(("x", "%matplotlib inline\nfig = 1"), "fig") == {(1, "fig", 0)}
    assert _reads(("x", "def helper():\n    return 1"), "class A(Base if helper() else object): pass") \
        == {(1, "helper", 0)}


def test_functions_read_what_their_code_reads_when_they_are_used():
    # defined before the experiment, called after it: reads the experiment's np, and so does a
    # function that calls it, and a class whose method does
    assert _reads("def total(t):\n    return np.sum(t)", ("x", "import numpy as np"), "total([1])") \
        == {(2, "np", 1)}
    assert _reads("def inner():\n    return np.ones(1)\ndef outer():\n    return inner()",
                  ("x", "import numpy as np"), "outer()") == {(2, "np", 1)}
    assert _reads("class A:\n    def f(self):\n        return helper()", ("x", "def helper():\n    return 1"),
                  "A().f()") == {(2, "helper", 1)}
    # an experiment's function that needs another experiment: both are needed
    nb, ids = _nb(("x", "def f():\n    return g()"), ("x", "def g():\n    return 1"), "f()")
    assert set(needed(nb, ids)) == {0, 1}


def test_magics_that_run_python_and_other_bindings_are_read():
    assert _reads(("x", "%%time\nimport numpy as np"), "np.ones(1)") == {(1, "np", 0)}
    assert _reads(("x", "%time net = 5"), "net") == {(1, "net", 0)}
    assert _reads(("x", "%%capture out\nprint(1)"), "out.show()") == {(1, "out", 0)}
    assert _reads(("x", "def setup():\n    global net\n    net = 5\nsetup()"), "net") == {(1, "net", 0)}
    assert _reads(("x", "if (m := 3):\n    pass"), "print(m)") == {(1, "m", 0)}
    assert _reads(("x", "model = 1"), "del model") == {(1, "model", 0)}
    assert _reads("import xml", ("x", "import xml.dom.minidom"), "xml.dom") == {(2, "xml", 1)}


def test_the_safety_net_names_what_an_experiment_not_run_may_define():
    assert could_bind("x = 1\nfor i in []: pass\ndef f():\n    global y\n    y = 2\nimport a.b as c, d.e") \
        == {"x", "i", "f", "y", "c", "d"}
    for opaque in ("from m import *", "exec('z = 1')", "globals()['z'] = 1", "%%bash\necho", "%store -r z"):
        assert could_bind(opaque) is None, opaque
    assert could_bind("model.eval()\nnet.vars(1)") == set()
    nb, _ = _nb(("x", "helper = 1\nother = 2"), ("x", "exec('hidden = 1')"), "print(1)")
    nb.cells[0].outputs = [new_output("stream", name="stdout", text=NOT_RUN_NOTE)]
    lost = {"t1": "NameError: name 'helper' is not defined", "t2": "AssertionError: wrong", "t3": ""}
    assert worth_running(nb, lost) == ["helper"]
    assert worth_running(nb, {"t1": "NameError: name 'standardize' is not defined"}) == []
    nb.cells[1].outputs = [new_output("stream", name="stdout", text=NOT_RUN_NOTE)]  # opaque, and not run
    assert worth_running(nb, {"t1": "NameError: name 'standardize' is not defined"}) == ["standardize"]


def test_what_a_cell_binds_before_reading_is_no_dependency():
    assert not _reads(("x", "x = 1"), "x = 2\nprint(x)")
    assert not _reads(("x", "k = 1; g = 2"), "for k in range(3):\n    print(k)\nfor g, h in []:\n    print(g)")
    assert not _reads(("x", "y = 1"), "for s in [1]:\n    y = s\n    print(y)")
    assert not _reads(("x", "f = 1"), "with open('a') as f:\n    print(f)")
    assert not _reads(("x", "e = 1"), "try:\n    pass\nexcept ValueError as e:\n    print(e)")
    assert not _reads(("x", "z = 1"), "def f(z):\n    return z\n[z for z in range(2)]")
    assert not _reads(("x", "w = 1"), "w = 2", "print(w)")  # an ordinary cell bound it since
    assert not _reads("import torch", ("x", "import torch"), "torch.ones(1)")  # the same import again
    assert not _reads(("x", "def broken(:"), "broken()")  # a cell that does not parse binds nothing
    assert _reads("import torch", ("x", "import numpy as torch"), "torch.ones(1)") == {(2, "torch", 1)}


def test_needed_follows_the_experiments_a_needed_experiment_reads():
    nb, ids = _nb(("x", "a = 1"), ("x", "b = a + 1"), ("x", "c = 3"), "print(b)")
    run = needed(nb, ids)
    assert set(run) == {0, 1}
    assert [(d.reader, d.name) for d in run[1]] == [(3, "b")] and [(d.reader, d.name) for d in run[0]] == [(1, "a")]
    assert not needed(*_nb(("x", "a = 1"), ("x", "b = a"), "print(1)"))


def test_nbgrader_cells_are_never_experiments():
    nb, _ = _nb(("x", "a = 1"), "b = 2")
    for cell in nb.cells:
        cell.metadata["tags"] = [TAG]
    nb.cells[1].metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 1, "solution": False, "locked": True}
    nb.cells.append(new_markdown_cell("text", metadata={"tags": [TAG]}))
    assert experiment_ids(nb) == ["exp-0"]


# --------------------------------------------------------------------------- grading


CHAPTER = "00_getting_started"
RELEASE = ROOT / "chapters" / CHAPTER / f"{CHAPTER}.ipynb"
COMPLETE = ROOT / "autograder" / "examples" / CHAPTER / f"example-ada_{CHAPTER}.ipynb"
PLOT = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure size 640x480 with 1 Axes>"}


def _experiment_cell(nb):
    (cell,) = [c for c in nb.cells if c.get("id") in set(experiment_ids(nbformat.read(RELEASE, as_version=4)))]
    return cell


def _submissions(folder):
    """Complete notebooks that treat the experiment cell in different ways."""
    def complete():
        return nbformat.read(COMPLETE, as_version=4)

    nb = complete()  # the learner ran it: a plot, an invalid output, and they took the tag away
    cell = _experiment_cell(nb)
    cell.outputs = [new_output("display_data", data=PLOT), {"output_type": "stream", "text": "no name"}]
    cell.metadata["tags"] = []
    (folder / "keeper_00.ipynb").write_text(json.dumps(nb))  # as saved: nbformat.write would refuse
    nb = complete()  # an answer that needs a helper the learner put into the experiment cell, moved up
    cell = _experiment_cell(nb)
    cell.source = "def column_means(t):\n    return t.mean(dim=0, keepdim=True)\n\n" + cell.source
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "standardize")
    assert "x.mean(dim=dim, keepdim=True)" in answer.source
    answer.source = answer.source.replace("x.mean(dim=dim, keepdim=True)",
                                          "(column_means(x) if dim == 0 else x.mean(dim=dim, keepdim=True))")
    order = [c for c in nb.cells if c is not cell]  # before the answer (where its own code fails: no points)
    nb.cells = order[:2] + [cell] + order[2:]
    nbformat.write(nb, folder / "mover_00.ipynb")
    nb = complete()  # tags an ordinary cell (the imports) as an experiment: it still runs
    nb.cells[1].metadata["tags"] = [TAG]
    nbformat.write(nb, folder / "tagger_00.ipynb")
    nb = complete()  # an experiment that kills the kernel, with saved outputs that flood and lie
    cell = _experiment_cell(nb)
    cell.source = "import os\nos._exit(1)\n" + cell.source
    cell.outputs = [new_output("stream", name="stdout", text="x" * 3_000_000),
                    new_output("error", ename="KernelDied", evalue="the kernel died", traceback=[]),
                    *[new_output("display_data", data=PLOT) for _ in range(20)]]
    nbformat.write(nb, folder / "killer_00.ipynb")
    nb = complete()  # as mover, but the helper is defined where no reading of names sees it
    cell = _experiment_cell(nb)
    cell.source = ("def _make():\n    def column_means(t):\n        return t.mean(dim=0, keepdim=True)\n"
                   "    return column_means\n\nglobals()['column_means'] = _make()\n\n" + cell.source)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "standardize")
    answer.source = answer.source.replace("x.mean(dim=dim, keepdim=True)",
                                          "(column_means(x) if dim == 0 else x.mean(dim=dim, keepdim=True))")
    order = [c for c in nb.cells if c is not cell]
    nb.cells = order[:2] + [cell] + order[2:]
    nbformat.write(nb, folder / "execer_00.ipynb")


STUDENTS = ("keeper", "mover", "tagger", "killer", "execer")


@pytest.fixture(scope="session")
def both_ways(tmp_path_factory):
    folder = tmp_path_factory.mktemp("experiments-class")
    _submissions(folder)
    graded = {}
    for mode in ("skip", "run"):
        course = copy_course(tmp_path_factory.mktemp(f"experiments-{mode}") / "course")
        with collect([folder]) as intake:
            graded[mode] = grade_all(intake.submissions, CHAPTER, tmp_path_factory.mktemp(f"work-{mode}"), jobs=2,
                                     root=course, progress=False, experiments=mode)
    return graded


def _cell(result):
    return _experiment_cell(nbformat.read(result.autograded, as_version=4))


def test_every_submission_keeps_full_marks_either_way(both_ways):
    for mode, results in both_ways.items():
        assert {r.student: (r.score, r.max_score, r.problem) for r in results} == {
            s: (4.0, 4.0, "") for s in STUDENTS}, mode
    killer = {mode: {r.student: r for r in results}["killer"] for mode, results in both_ways.items()}
    assert "kernel died" in killer["run"].note and not killer["skip"].note  # its own outputs claim it died


def test_what_the_reading_cannot_see_is_graded_again_with_every_cell_run(both_ways):
    execer = {r.student: r for r in both_ways["skip"]}["execer"]
    assert "graded again with the experiment cells run" in execer.note and "column_means" in execer.note
    assert "scored higher" in execer.note
    assert all("graded again" not in r.note for r in both_ways["skip"] if r.student != "execer")


def test_the_learners_outputs_are_capped(both_ways):
    killer = {r.student: r for r in both_ways["skip"]}["killer"]
    outputs = _cell(killer).outputs
    assert outputs[0].text == NOT_RUN_NOTE and "output truncated" in outputs[-1].text
    assert len(json.dumps(outputs)) < 250_000


def test_the_experiment_is_not_run_and_the_learners_outputs_are_kept(both_ways):
    keeper = {r.student: r for r in both_ways["skip"]}["keeper"]
    cell = _cell(keeper)
    assert cell.outputs[0].text == NOT_RUN_NOTE
    assert [o.output_type for o in cell.outputs[1:]] == ["display_data"] and cell.outputs[1].data == PLOT
    tagger = {r.student: r for r in both_ways["skip"]}["tagger"]
    assert NOT_RUN_NOTE in [o.get("text") for o in _cell(tagger).outputs]  # the release decides, not the tags


def test_an_experiment_an_answer_reads_from_runs_after_all(both_ways):
    mover = {r.student: r for r in both_ways["skip"]}["mover"]
    texts = "".join(o.get("text", "") for o in _cell(mover).outputs)
    assert "run when graded because" in texts and "column_means" in texts and NOT_RUN_NOTE not in texts
    assert _ran(_cell(mover).outputs, "mover")


def _ran(outputs, student) -> bool:
    """Outputs made by running the cell: a fresh plot; for mover and execer (it runs before
    standardize is defined) a NameError after the helper was defined; for killer, the grader's
    kernel death."""
    if student in ("mover", "execer"):
        return any(o.output_type == "error" and "standardize" in o.evalue for o in outputs)
    if student == "killer":
        return [o.get("evalue", "") for o in outputs] == [
            "the kernel died while running this cell: it crashed, exited (os._exit), or ran out of memory"]
    return any(o.output_type == "display_data" and o.data != PLOT for o in outputs)


def test_experiments_run_runs_them(both_ways):
    for result in both_ways["run"]:
        outputs = _cell(result).outputs
        assert all(o.get("text") != NOT_RUN_NOTE for o in outputs) and _ran(outputs, result.student), result.student


# --------------------------------------------------------------------------- every chapter, both ways


def _hostile(chapter, folder):
    """Submissions of ``chapter`` that meddle with what grading runs: experiment tags swapped
    (every experiment untagged, every other code cell tagged), a test cell deleted and another
    edited, the tests' helpers replaced before the first test. The complete notebook otherwise."""
    complete = ROOT / "autograder" / "examples" / chapter / f"example-ada_{chapter}.ipynb"

    def tests(nb):
        return [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                and c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")]

    nb = nbformat.read(complete, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata["tags"] = [] if TAG in cell.metadata.get("tags", []) else [TAG]
    nbformat.write(nb, folder / f"x-tags_{chapter}.ipynb")
    nb = nbformat.read(complete, as_version=4)
    first, second, *_ = tests(nb)
    nb.cells[second].source = "pass"
    del nb.cells[first]
    nbformat.write(nb, folder / f"x-tampered_{chapter}.ipynb")
    nb = nbformat.read(complete, as_version=4)
    nb.cells.insert(tests(nb)[0], new_code_cell(
        "import traintech.testing as T\nT.assert_close = T.assert_true = lambda *a, **k: None"))
    nbformat.write(nb, folder / f"x-gaming_{chapter}.ipynb")


@pytest.mark.slow
@pytest.mark.parametrize("chapter", [p.parent.name for p in SOLUTIONS])
def test_every_chapter_grades_the_same_with_and_without_experiments(chapter, tmp_path):
    """The example class (complete, partly wrong, blank, crashing), and for chapter 1 the hostile
    submissions of ``_hostile``: identical automatic scores, cell by cell, and messages, whether
    the experiment cells run or not. (About 8 minutes in all: `make test-slow`.)"""
    folder = tmp_path / "class"
    shutil.copytree(ROOT / "autograder" / "examples" / chapter, folder)
    if chapter == "01_regularization":
        _hostile(chapter, folder)
    graded = {}
    for mode in ("skip", "run"):
        course = copy_course(tmp_path / f"course-{mode}")
        with collect([folder], chapter=chapter) as intake:
            results = grade_all(intake.submissions, chapter, tmp_path / f"work-{mode}", jobs=2, root=course,
                                progress=False, experiments=mode)
        graded[mode] = {r.student: ([(c.cell.name, c.score, c.message) for c in r.cells if not c.cell.manual],
                                    r.problem) for r in results}
    assert graded["skip"] == graded["run"]
    assert {s: sum(score for _, score, _ in cells) for s, (cells, _) in graded["skip"].items()}["example-ada"] > 0
