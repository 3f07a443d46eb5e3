"""The solution notebooks, executed top to bottom once per test process, with their kernels
kept alive: what an experiment computed stays reachable for the tests of what the text says
about it (tests/test_claims_0N.py), and the same execution is checked for errors and stderr.

    chapter = executed("01_regularization")
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
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

ROOT = Path(__file__).resolve().parent.parent

# pickle round trip: tuple-keyed dicts, tensors and dataclasses come back as they are.
_EVALUATE = "print(__import__('base64').b64encode(__import__('pickle').dumps({})).decode())"


class ExecutedNotebook:
    """One solution notebook after `Run all`, and its live kernel."""

    def __init__(self, path: Path):
        self.path = path
        self.nb = nbformat.read(path, as_version=4)
        self._client = NotebookClient(self.nb, timeout=300, kernel_name="python3", allow_errors=True,
                                      resources={"metadata": {"path": str(path.parent)}})
        self._stack = ExitStack()
        self._stack.enter_context(self._client.setup_kernel())
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


def executed(chapter: str) -> ExecutedNotebook:
    """solutions/<chapter>/<chapter>.ipynb, executed once in this process."""
    if chapter not in _executed:
        _executed[chapter] = ExecutedNotebook(ROOT / "solutions" / chapter / f"{chapter}.ipynb")
    return _executed[chapter]


def test_solution_executes_without_errors_or_stderr(chapter):
    """Every claims module imports this test (pytest collects it there, with that module's CHAPTER)."""
    problems = chapter.problems()
    assert not problems, "\n".join(problems)


def close_all():
    while _executed:
        _executed.popitem()[1].close()
