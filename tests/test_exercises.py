"""Every exercise's checks (autograder/checks/), tested as one: each wrong answer loses points, each
right answer keeps them all, inside the notebook and outside it alike.

An answer is graded here in-process, by the same code the notebook and the grader run: the
answer's source is defined among the chapter's other solutions (as in a notebook where only
this exercise differs), each check runs as its test cell runs it (``traintech.checking.run``:
collect, judge against the reference, live purity check), and the data it collected is judged
again as the grader judges it outside the kernel (``autograder.verdict``: JSON, strict
decoding, the static purity check on the code cells). Kernels are not needed: the notebooks'
own test cells are exercised by the executed chapters (tests/executed.py) and the example class.
"""
from __future__ import annotations

import ast
import itertools
import json
import linecache
import warnings
from functools import lru_cache

import nbformat
import pytest

from autograder import cells as cellgen
from autograder.checks import exercises, references
from autograder.course import ROOT, chapter_ids, is_test_cell
from autograder.verdict import Context, _python, judge_check, learner_sources, reference_data
from traintech import checking

CHAPTERS = [c for c in chapter_ids() if exercises(c)]
EXERCISES = [(c, name) for c in CHAPTERS for name in exercises(c)]
_counter = itertools.count()


def notebook(chapter: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)


def _define(source: str, namespace: dict) -> None:
    """Run a cell's code in ``namespace`` as a kernel does: its source readable by ``inspect``."""
    filename = f"<cell-{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    exec(compile(_python(source), filename, "exec"), namespace)


@lru_cache(maxsize=None)
def _solutions(chapter: str) -> tuple[dict, dict[str, str]]:
    """The chapter's imports and solution cells, defined (nothing else runs): (namespace, sources by id)."""
    namespace: dict = {"__name__": "__main__"}
    imports, answers = [], {}
    for cell in notebook(chapter).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if meta.get("solution"):
            answers[meta["grade_id"]] = cell.source
        elif not meta.get("grade"):
            tree = ast.parse(_python(cell.source))
            imports += [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    _define("\n".join(imports), namespace)
    for source in answers.values():
        _define(source, namespace)
    return namespace, answers


def grade(chapter: str, exercise: str, answer: str | None = None) -> dict[str, tuple[str | None, str | None]]:
    """``{test cell: (why it fails in the notebook, why it fails outside)}`` for ``answer`` (default:
    the solution cell) in place of the exercise's solution; None where it passes."""
    with warnings.catch_warnings():  # a wrong answer's own warnings ("not differentiable") are not the test's
        warnings.simplefilter("ignore")
        return _grade(chapter, exercise, answer)


def _grade(chapter: str, exercise: str, answer: str | None) -> dict[str, tuple[str | None, str | None]]:
    base, answers = _solutions(chapter)
    namespace = dict(base)
    answer = answers[exercise] if answer is None else answer
    _define(answer, namespace)
    nb = notebook(chapter)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == exercise:
            cell.source = answer
    context = Context(learner_sources(nb))
    names = references(chapter)
    results = {}
    for cell in exercises(chapter)[exercise].cells:
        inside = outside = None
        for check, ref in zip(cell.checks, reference_data(chapter, cell.grade_id)):
            answers_ = [namespace[name] for name in check.uses]
            try:
                checking.run(check.collect, check.judge, *answers_, reference=[names[n] for n in check.uses],
                             namespace=namespace)
            except Exception as err:  # noqa: BLE001 - any error fails the cell, as in nbgrader
                inside = inside or f"{type(err).__name__}: {err}"
            recorded = checking._COLLECTED.pop()
            checking._COLLECTED.clear()
            got = (checking.decode(json.loads(json.dumps(recorded["result"]))) if "result" in recorded
                   else checking.BadData(recorded["error"]))
            outside = outside or judge_check(check, got, ref, context)
            if inside:
                break  # nbgrader: the cell stops at its first failure
        results[cell.grade_id] = (inside, outside)
    return results


def _points(chapter, exercise, failed) -> float:
    return sum(c.points for c in exercises(chapter)[exercise].cells if c.grade_id in failed)


@pytest.mark.parametrize("chapter,exercise", EXERCISES)
def test_the_solution_cell_and_the_reference_pass_every_check(chapter, exercise):
    """Ties the solution cell to the reference the checks compare with: same outputs on every
    check's inputs. Also: enough wrong and right answers to mean something."""
    failures = {cell: why for cell, pair in grade(chapter, exercise).items() for why in pair if why}
    assert not failures, f"the solution cell of {exercise} fails its checks: {failures}"
    ex = exercises(chapter)[exercise]
    assert len(ex.wrong) >= 3, f"{exercise}: at least three wrong answers learners really write (WRONG)"
    assert sum(label.startswith("blind") for label in ex.right) >= 2, \
        f"{exercise}: at least two blind right answers (RIGHT, labels 'blind: ...')"


WRONG = [(c, e, label) for c, e in EXERCISES for label in exercises(c)[e].wrong]
RIGHT = [(c, e, label) for c, e in EXERCISES for label in exercises(c)[e].right]


@pytest.mark.parametrize("chapter,exercise,label", WRONG)
def test_a_wrong_answer_loses_points_inside_and_outside_alike(chapter, exercise, label):
    results = grade(chapter, exercise, exercises(chapter)[exercise].wrong[label])
    inside = {cell for cell, (why, _) in results.items() if why}
    outside = {cell for cell, (_, why) in results.items() if why}
    assert _points(chapter, exercise, inside) > 0, f"{exercise} ({label}) passed every test cell"
    # the same cells fail outside: gaming the notebook gains nothing, and an honest mistake costs once
    assert inside == outside, f"{exercise} ({label}): the notebook fails {sorted(inside)}, the grader {sorted(outside)}: {results}"


@pytest.mark.parametrize("chapter,exercise,label", RIGHT)
def test_a_right_answer_written_differently_keeps_every_point(chapter, exercise, label):
    results = grade(chapter, exercise, exercises(chapter)[exercise].right[label])
    failures = {cell: why for cell, pair in results.items() for why in pair if why}
    assert not failures, (f"a correct {exercise} ({label}) lost points: state the requirement in the notebook, "
                          f"or drop it from the check: {failures}")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_test_cells_are_written_from_the_checks(chapter):
    """solutions/ holds exactly what the checks define (points included): `make release` writes it."""
    assert cellgen.sync(chapter, write=False) == [], "run `make release`: the test cells differ from their checks"
    nb = notebook(chapter)
    points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in nb.cells if is_test_cell(c)}
    assert points == {c.grade_id: c.points for e in exercises(chapter).values() for c in e.cells}


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_release_holds_no_hidden_check(chapter):
    released = (ROOT / "chapters" / chapter / f"{chapter}.ipynb").read_text()
    for ex in exercises(chapter).values():
        for cell in ex.cells:
            for check in cell.checks:
                shown = f"def {check.collect.__name__}(" in released
                assert shown != check.hidden, f"{check.collect.__name__} is {'hidden' if check.hidden else 'visible'}"
