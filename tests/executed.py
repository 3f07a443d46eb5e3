"""The chapters as a student who got everything right hands them in, executed top to bottom
once per test process, with their kernels kept alive: what an experiment computed stays
reachable for the tests of what the text says about it (tests/test_claims_0N.py), and the same
execution is checked for errors and stderr.

Each is the student edition's chapter with the solution cells pasted in, run by the edition's
own Python (tests/edition.py): the visible tests pass with the data the edition ships, and every
experiment runs with the learner's code and the edition's helpers, without the graded
references (the edition has none). The hidden tests run in tests/test_exercises.py and in the
graded example class.

    chapter = executed("01_regularization", edition)
    chapter.problems()                        # errors and stderr, one line each
    chapter.value("dropout_runs[0.0]['train_acc'][-1]")   # evaluated in the notebook's kernel

Each chapter's module runs on one xdist worker (--dist loadfile), so each notebook executes once.
"""
from __future__ import annotations

import base64
import pickle
from contextlib import ExitStack
from pathlib import Path

import nbformat
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from edition import Edition, environment

ROOT = Path(__file__).resolve().parent.parent

# pickle round trip: tuple-keyed dicts, tensors and dataclasses come back as they are.
_EVALUATE = "print(__import__('base64').b64encode(__import__('pickle').dumps({})).decode())"


class ExecutedNotebook:
    """One notebook after `Run all` in the student edition's Python, and its live kernel.
    ``skip``: a cell tag whose cells are not run (as the grader skips ``experiment`` cells);
    ``env``: the kernel's environment (default: :func:`edition.environment`)."""

    def __init__(self, path: Path, edition: Edition, skip: str | None = None, env: dict | None = None):
        self.path = path
        self.nb = nbformat.read(path, as_version=4)
        if skip:
            self.nb.cells = [c for c in self.nb.cells if skip not in c.metadata.get("tags", [])]
        km = AsyncKernelManager(kernel_name="edition", kernel_spec_manager=KernelSpecManager(
            kernel_dirs=[str(edition.kernels)], ensure_native_kernel=False))
        self._client = NotebookClient(self.nb, km=km, timeout=300, allow_errors=True,
                                      resources={"metadata": {"path": str(path.parent)}})
        self._stack = ExitStack()
        self._stack.enter_context(self._client.setup_kernel(env=env or environment(), cwd=str(path.parent)))
        for index, cell in enumerate(self.nb.cells):
            self._client.execute_cell(cell, index)

    def problems(self) -> list[str]:
        """Every error output and every write to stderr, one line each (empty when clean)."""
        found = []
        for index, cell in enumerate(self.nb.cells):
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    found.append(f"cell {index}: {output.ename}: {output.evalue}")
                elif output.output_type == "stream" and output.name == "stderr":
                    found.append(f"cell {index} wrote to stderr: {output.text[:500]}")
        return found

    def value(self, expression: str):
        """Evaluate `expression` in the executed notebook's namespace and return its value."""
        cell = new_code_cell(_EVALUATE.format(expression))
        self.nb.cells.append(cell)  # nbclient writes the executed cell back at its index
        try:
            self._client.execute_cell(cell, len(self.nb.cells) - 1)
        finally:
            self.nb.cells.pop()
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")
        errors = [f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"{self.path.name}: evaluating {expression!r} failed: {errors[0]}"
        return pickle.loads(base64.b64decode(text.strip().splitlines()[-1]))

    def output(self, cell_id: str) -> str:
        """What the cell with this id printed (stdout)."""
        (cell,) = [c for c in self.nb.cells if c.get("id") == cell_id]
        return "".join(o.get("text", "") for o in cell.get("outputs", [])
                       if o.output_type == "stream" and o.name == "stdout")

    def markdown(self, cell_id: str) -> str:
        """The source of the markdown cell with this id (the text whose claims a test checks)."""
        (cell,) = [c for c in self.nb.cells if c.get("id") == cell_id]
        return cell.source

    def close(self):
        self._stack.close()


_executed: dict[str, ExecutedNotebook] = {}


def executed(chapter: str, edition: Edition) -> ExecutedNotebook:
    """The edition's chapter with the solutions pasted in, executed once in this process."""
    if chapter not in _executed:
        _executed[chapter] = ExecutedNotebook(edition.chapter(chapter), edition)
    return _executed[chapter]


def test_chapter_executes_in_the_edition_without_errors_or_stderr(chapter):
    """Every claims module imports this test (pytest collects it there, with that module's CHAPTER)."""
    problems = chapter.problems()
    assert not problems, "\n".join(problems)


def close_all():
    while _executed:
        _executed.popitem()[1].close()
