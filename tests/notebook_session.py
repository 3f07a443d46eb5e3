"""Run a solutions notebook's exercises and tests in one live kernel, and swap answers in.

Used by the wrong-answer tests: replace an exercise's solution cell with another
implementation, re-run that exercise's test cells (visible and hidden, exactly as
nbgrader grades them), and see which ones fail. Experiment cells are skipped, as grading
skips them (``autograder.experiments``): they judge nothing and are the slow part of a chapter.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from autograder.course import ROOT, tool_env


def grading_kernel_arguments() -> list[str]:
    """The kernel arguments nbgrader uses when it grades (from the course's configuration)."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT / "autograder")).load_config()
    return list(config.Execute.extra_arguments)


@dataclass
class Exercise:
    grade_id: str
    solution: str
    tests: dict[str, str] = field(default_factory=dict)  # test grade_id -> source
    points: dict[str, float] = field(default_factory=dict)


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def exercises_of(nb: nbformat.NotebookNode) -> dict[str, Exercise]:
    """Each code solution cell with the autograded test cells that follow it."""
    found: dict[str, Exercise] = {}
    current = None
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if cell.cell_type != "code":
            continue
        if meta.get("solution") and not meta.get("grade"):
            current = found.setdefault(meta["grade_id"], Exercise(meta["grade_id"], cell.source))
        elif meta.get("grade") and current is not None:
            current.tests[meta["grade_id"]] = cell.source
            current.points[meta["grade_id"]] = float(meta.get("points", 0))
    return found


def failed(outputs) -> str | None:
    """Why a cell failed the way the course's grader sees it (an error), or None. (Plain
    nbgrader also fails a cell that writes to stderr; the course's grader turns stderr into
    stdout first: autograder/preprocessors.py.)"""
    for output in outputs:
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}"
    return None


class NotebookSession:
    """One kernel, started as nbgrader starts grading kernels, that has run a notebook's
    non-experiment cells."""

    def __init__(self, path: Path, timeout: int = 120):
        import os

        self.path = Path(path)
        self.nb = nbformat.read(self.path, as_version=4)
        self.exercises = exercises_of(self.nb)
        from autograder.verify import verifiers

        self.verifiers = verifiers(self.path.parent.name)
        os.environ["PATH"] = tool_env()["PATH"]
        self.client = NotebookClient(self.nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                                     extra_arguments=grading_kernel_arguments(),
                                     resources={"metadata": {"path": str(self.path.parent)}})
        self._context = self.client.setup_kernel()
        self._context.__enter__()
        self.baseline_failures = {}
        from autograder.experiments import experiment_ids

        experiments = set(experiment_ids(self.nb))
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code" or cell.get("id") in experiments:
                continue
            self.client.execute_cell(cell, index)
            why = failed(cell.outputs)
            if why:
                self.baseline_failures[_nbgrader(cell).get("grade_id", f"cell {index}")] = why

    def run(self, source: str):
        cell = new_code_cell(source)
        first = self.nb.cells[0]
        try:
            self.client.execute_cell(cell, 0)
        finally:
            self.nb.cells[0] = first  # nbclient puts the cell it runs into the notebook
        return cell.outputs

    def grade(self, exercise: str, answer: str) -> dict[str, str | None]:
        """Define ``answer`` in place of the exercise's solution, run its test cells, restore.

        Returns ``{test grade_id: reason it failed, or None if it passed}``.
        """
        ex = self.exercises[exercise]
        try:
            why = failed(self.run(answer))
            if why:
                raise AssertionError(f"the answer for {exercise} does not even run: {why}")
            return {test: failed(self.run(source)) for test, source in ex.tests.items()}
        finally:
            why = failed(self.run(ex.solution))
            assert why is None, f"restoring the solution of {exercise} failed: {why}"

    def verify(self, test: str, sources: list[str]) -> str | None:
        """Why ``test``'s verifier (autograder/verifiers/) rejects what the kernel's current
        answers return, or None: the same code, file and judge as grading uses."""
        import tempfile

        from autograder.verify import judge, kernel_code

        verifier = self.verifiers.get(test)
        if verifier is None:
            return f"{test} has no verifier"
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "data.json"
            self.run(kernel_code(verifier.collect, out))
            return judge(verifier, self.path, test, out, sources)

    def sources_with(self, exercise: str, answer: str) -> list[str]:
        """The learner's code cells with ``answer`` in place of the exercise's solution."""
        from autograder.verify import learner_sources

        nb = nbformat.from_dict(self.nb)
        for cell in nb.cells:
            if _nbgrader(cell).get("grade_id") == exercise:
                cell.source = answer
        return learner_sources(nb)

    def grade_both(self, exercise: str, answer: str) -> dict[str, tuple[str | None, str | None]]:
        """Like ``grade``, with each test cell's verdict inside the kernel and outside it:
        ``{test grade_id: (why it failed in the kernel, why its verifier rejected it)}``."""
        ex = self.exercises[exercise]
        sources = self.sources_with(exercise, answer)
        try:
            why = failed(self.run(answer))
            if why:
                raise AssertionError(f"the answer for {exercise} does not even run: {why}")
            return {test: (failed(self.run(source)), self.verify(test, sources)) for test, source in ex.tests.items()}
        finally:
            why = failed(self.run(ex.solution))
            assert why is None, f"restoring the solution of {exercise} failed: {why}"

    def close(self) -> None:
        self._context.__exit__(None, None, None)


def wrong_answer_tests(notebook: Path, wrong: dict[str, dict[str, str]], right: dict[str, str],
                       blind: dict[str, dict[str, str]]):
    """The four tests every chapter's wrong-answer table gets, plus their shared kernel.

    Use at module level::

        session, test_reference, test_wrong, test_right, test_blind = wrong_answer_tests(NOTEBOOK, WRONG, RIGHT, BLIND)

    - the reference solution passes every test cell, and every exercise has at least three
      wrong answers and one alternative right answer;
    - each wrong answer fails at least one test cell and so loses points, and every test
      cell it fails inside the kernel is rejected by that cell's verifier too (outside the
      kernel, where the notebook cannot game the verdict: autograder/verify.py), and no
      other cell's verifier rejects it (verifiers check what their tests check, no more);
    - each alternative right answer (written differently, drawing random numbers in another
      order) passes every test cell and every verifier;
    - so does each blind answer (``tests/blind_answers/``): at least two per exercise, written
      from the released notebook alone, in styles unlike the reference;
    - every test cell has a verifier, and the verifiers accept the reference solution.
    """
    import pytest

    @pytest.fixture(scope="module")
    def session():
        s = NotebookSession(notebook)
        yield s
        s.close()

    def test_reference_solution_passes_every_test_cell(session):
        assert not session.baseline_failures, session.baseline_failures
        tests = {t for ex in session.exercises.values() for t in ex.tests}
        assert set(session.verifiers) == tests, "every test cell needs a verifier (autograder/verifiers/)"
        sources = session.sources_with("", "")
        rejected = {t: why for t in sorted(tests) if (why := session.verify(t, sources))}
        assert not rejected, f"verifiers reject the reference solution: {rejected}"
        assert set(wrong) == set(right) == set(session.exercises), "every exercise needs wrong and right answers"
        assert all(len(variants) >= 3 for variants in wrong.values()), "at least three wrong answers per exercise"
        assert set(blind) == set(session.exercises) and all(len(v) >= 2 for v in blind.values()), \
            "every exercise needs at least two blind answers (tests/blind_answers/)"

    @pytest.mark.parametrize("exercise,label", [(e, label) for e, variants in wrong.items() for label in variants])
    def test_wrong_answer_loses_points(session, exercise, label):
        results = session.grade_both(exercise, wrong[exercise][label])
        lost = {test: inside for test, (inside, _) in results.items() if inside}
        assert lost, f"{exercise} ({label}) passed every test cell: {sorted(results)}"
        assert sum(session.exercises[exercise].points[t] for t in lost) > 0
        # Outside the kernel, each of those cells is rejected too: a notebook that games the
        # tests inside its kernel gains nothing with this mistake.
        accepted = sorted(test for test in lost if results[test][1] is None)
        assert not accepted, f"{exercise} ({label}): the verifiers of {accepted} accept it, their tests do not"
        # ... and no other: a verifier stricter than its test would cost an honest mistake twice.
        stricter = {test: outside for test, (inside, outside) in results.items() if outside and not inside}
        assert not stricter, (f"{exercise} ({label}): verifiers reject cells whose tests accept it (a verifier "
                              f"must check what its test checks, no more): {stricter}")

    def keeps_every_point(session, exercise: str, answer: str, what: str) -> None:
        results = session.grade_both(exercise, answer)
        failures = {test: why for test, pair in results.items() for why in pair if why}
        assert not failures, f"a correct {exercise} {what} lost points: {failures}"

    @pytest.mark.parametrize("exercise", sorted(right))
    def test_another_right_answer_keeps_every_point(session, exercise):
        keeps_every_point(session, exercise, right[exercise], "written differently")

    @pytest.mark.parametrize("exercise,style", [(e, style) for e, styles in blind.items() for style in styles])
    def test_blind_answer_keeps_every_point(session, exercise, style):
        keeps_every_point(session, exercise, blind[exercise][style],
                          f"written from the released notebook alone ({style}): state the requirement in the "
                          f"notebook, or drop it from the test;")

    return (session, test_reference_solution_passes_every_test_cell, test_wrong_answer_loses_points,
            test_another_right_answer_keeps_every_point, test_blind_answer_keeps_every_point)
