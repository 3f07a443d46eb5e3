"""Every graded test of the course, defined once: ``autograder/checks/<chapter>/<exercise>.py``.

An exercise's module holds, for each of its autograded test cells, the checks that cell
makes, as plain functions (``traintech/checking.py`` says what ``collect`` and ``judge`` are),
and the exercise's known wrong answers and blind right answers::

    EXERCISE = "standardize"                             # the solution cell's grade id
    REFERENCE = "traintech.reference.preprocessing.standardize"   # what ``ref`` is computed with
    ALSO = {}                  # other names the solution cell defines and checks call, with their references
    CELLS = [Cell("test_standardize_values", points=2, checks=[
        Check(collect_values, judge_values),                  # visible: in the released notebook
        Check(collect_more_values, judge_more_values, hidden=True),  # hidden: grading only
    ])]
    WRONG = {"sample standard deviation": "def standardize(...): ..."}  # each must lose points
    RIGHT = {"blind: loops": "def standardize(...): ..."}  # right, written differently: keep them all

Everything else is derived from it: ``make release`` writes each test cell of
``solutions/`` from its checks (``autograder/cells.py``), nbgrader's release drops the hidden
ones, and the grader judges each cell's data again outside the learner's kernel
(``autograder/verdict.py``). ``tests/test_exercises.py`` grades every wrong and right answer.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Callable

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Check:
    """One check: ``collect(answers...) -> data`` and ``judge(got, ref, context)``. ``collect``'s
    parameters are named after the exercises it calls (``dropout``, ``Dropout``)."""

    collect: Callable
    judge: Callable
    hidden: bool = False

    @property
    def uses(self) -> list[str]:
        code = self.collect.__code__
        return list(code.co_varnames[:code.co_argcount])


@dataclass(frozen=True)
class Cell:
    """An autograded test cell: its nbgrader grade id, its points, and its checks (the visible
    ones first: they are what the released notebook shows)."""

    grade_id: str
    points: float
    checks: list[Check] = field(default_factory=list)

    def __post_init__(self):
        hidden = [c.hidden for c in self.checks]
        if not self.checks or hidden[0] or hidden != sorted(hidden):
            raise ValueError(f"{self.grade_id}: a cell needs at least one visible check, and its visible checks "
                             f"come before its hidden ones")


@dataclass(frozen=True)
class Exercise:
    """An exercise (its solution cell's grade id is ``name``) and what its module defines."""

    name: str
    chapter: str
    module: ModuleType

    @property
    def cells(self) -> list[Cell]:
        return list(self.module.CELLS)

    @property
    def reference(self) -> str:
        return self.module.REFERENCE

    @property
    def references(self) -> dict[str, str]:
        """What each name the solution cell defines stands for in a ``ref`` computation: the
        exercise's ``REFERENCE``, and ``ALSO``'s (a cell may define several graded names:
        ``freeze`` and ``unfreeze``)."""
        return {self.name: self.reference, **getattr(self.module, "ALSO", {})}

    @property
    def wrong(self) -> dict[str, str]:
        return dict(getattr(self.module, "WRONG", {}))

    @property
    def right(self) -> dict[str, str]:
        return dict(getattr(self.module, "RIGHT", {}))

    @property
    def path(self) -> Path:
        return Path(self.module.__file__)


def package(chapter: str) -> str:
    return f"autograder.checks.ch{chapter}"


def exercises(chapter: str) -> dict[str, Exercise]:
    """The chapter's exercises by name (one module each in ``autograder/checks/ch<chapter>/``,
    defining ``EXERCISE``); empty for a chapter without checks."""
    try:
        pkg = importlib.import_module(package(chapter))
    except ModuleNotFoundError:
        return {}
    found = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        if hasattr(module, "EXERCISE"):  # (a chapter may also keep shared helpers in a module of their own)
            found[module.EXERCISE] = Exercise(module.EXERCISE, chapter, module)
    return found


def cells(chapter: str) -> dict[str, Cell]:
    """Every autograded test cell of the chapter, by grade id."""
    return {cell.grade_id: cell for ex in exercises(chapter).values() for cell in ex.cells}


def references(chapter: str) -> dict[str, str]:
    """What each graded name of the chapter stands for in a ``ref`` computation: its reference, dotted."""
    return {name: ref for ex in exercises(chapter).values() for name, ref in ex.references.items()}
