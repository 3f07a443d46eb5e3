"""Run the visible test cells of chapters in this Python, without a kernel, and say which fail.

    python tests/visible_checks.py CHAPTER.ipynb ...     (exit status 1 when a test cell fails)

For each notebook, in a fresh IPython shell (as in a kernel: the notebook's names in the shell's
namespace, each cell's source readable by ``inspect``, by which ``traintech.checking.run`` files
the student edition's reference data): the imports of its setup cells, its solution cells, then
its test cells. The experiments are not run: what the test cells need is what grading runs too. tests/test_student.py runs it with the student
edition's Python on a simulated other processor.
"""
from __future__ import annotations

import ast
import sys

import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from IPython.core.interactiveshell import InteractiveShell


def failures(path: str) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    code = [(c, c.metadata.get("nbgrader", {})) for c in nb.cells if c.cell_type == "code"]
    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    imports = [ast.unparse(node) for c, g in code if not g.get("grade") and not g.get("solution")
               for node in ast.parse(TransformerManager().transform_cell(c.source)).body
               if isinstance(node, (ast.Import, ast.ImportFrom))]
    failed = []
    for cell_id, source in [("imports", "\n".join(imports))] + [
            (g["grade_id"], c.source) for c, g in code if g.get("solution")] + [
            (g["grade_id"], c.source) for c, g in code if g.get("grade") and not g.get("solution")]:
        result = shell.run_cell(source, silent=True)
        if not result.success:
            error = result.error_in_exec or result.error_before_exec
            failed.append(f"{path}: {cell_id}: {type(error).__name__}: {str(error)[:300]}")
    return failed


if __name__ == "__main__":
    import matplotlib

    matplotlib.use("Agg")
    found = [line for path in sys.argv[1:] for line in failures(path)]
    print("\n".join(found) or "every visible test cell passes")
    sys.exit(1 if found else 0)
