"""Experiment cells: what grading does not run, and the reading that proves nothing graded needs them.

A chapter's *experiment cells* are the code cells of its source notebook (``solutions/``) tagged
``experiment`` that are no nbgrader cell: they train networks and draw plots, earn no points, and
take most of a chapter's running time. Grading (``python -m autograder grade``, and ``nbgrader
autograde`` run in the course) does not execute them unless told to (``--experiments run``).

- Which cells they are is decided from the source, by cell id (nbgrader keeps the ids in the
  release), never from the submission: a tag a submission adds or removes changes nothing.
- The learner's own outputs in them are kept in the graded notebook (within the output caps),
  after a line saying the cell was not run when graded: the instructor still sees their plots.
- A correct answer never loses points for it: an experiment cell that binds a name a later cell
  reads (a learner who added ``import numpy as np`` to an experiment cell and uses ``np`` in an
  answer) is run after all, with the experiment cells it reads from in turn (``needed``).
- The same reading of names (``dependencies``) proves that no answer or test cell of a chapter
  reads what an experiment defines (tests/test_experiments.py); identical scores with and
  without experiments prove the rest (the random state, objects an experiment changes in place).

The reading is static, like Python's own scoping at a notebook's top level: a cell reads a name
when it loads it before binding it (inside its functions too: they run later); an experiment's
``import x`` of what an earlier ordinary cell already imported under the same name changes
nothing. Names reached only through ``globals()`` or ``exec`` are not seen.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

TAG = "experiment"
MODES = ("skip", "run")
NOT_RUN_NOTE = ("[not run when graded: an experiment earns no points. Outputs below, if any, are the "
                "learner's own, from their last run.]\n")
RUN_NOTE = "[an experiment cell, run when graded because {reader} reads {names} from it]\n"


def experiment_ids(nb) -> list[str]:
    """The ids of ``nb``'s experiment cells: code cells tagged ``experiment`` that nbgrader
    neither grades nor locks (an nbgrader cell is never an experiment, whatever its tags)."""
    return [cell.get("id") for cell in nb.cells
            if cell.cell_type == "code" and TAG in cell.metadata.get("tags", [])
            and not cell.metadata.get("nbgrader") and cell.get("id")]


@dataclass(frozen=True)
class Dependency:
    """Cell ``reader`` reads ``name``, last bound by the experiment cell ``writer`` (indices)."""

    reader: int
    name: str
    writer: int


def _parse(source: str) -> ast.Module | None:
    from .verify import _python

    try:
        return ast.parse(_python(source))
    except (SyntaxError, ValueError):
        return None  # a cell that does not parse binds and reads nothing: it fails when run


def _imports(statement) -> dict[str, str]:
    """name -> what it imports, for an import statement."""
    if isinstance(statement, ast.Import):
        return {alias.asname or alias.name.split(".")[0]: alias.name if alias.asname else alias.name.split(".")[0]
                for alias in statement.names}
    if isinstance(statement, ast.ImportFrom):
        return {alias.asname or alias.name: f"{'.' * statement.level}{statement.module or ''}:{alias.name}"
                for alias in statement.names}
    return {}


def _read(node, reads: list, binds: dict) -> None:
    """Record the top-level names ``node`` loads that are not bound yet (its functions' too)."""
    from traintech.testing import _SCOPES, free_names

    for found in free_names(node):
        root = found
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and isinstance(root.ctx, ast.Load) and root.id not in binds:
            reads.append(root.id)
    todo = [node]  # ``x += 1`` reads x too
    while todo:
        cur = todo.pop()
        if isinstance(cur, ast.AugAssign) and isinstance(cur.target, ast.Name) and cur.target.id not in binds:
            reads.append(cur.target.id)
        if not isinstance(cur, _SCOPES):
            todo.extend(ast.iter_child_nodes(cur))


def _bind(node, binds: dict) -> None:
    from traintech.testing import _bound

    binds.update(dict.fromkeys(_bound([node], set())))
    binds.update(_imports(node))


def _run(body: list, reads: list, binds: dict) -> None:
    """Walk statements in the order they run: a compound statement's header, its targets, then
    its blocks one after the other (a name bound in a block counts as bound after it)."""
    for statement in body:
        if isinstance(statement, (ast.For, ast.AsyncFor)):
            _read(statement.iter, reads, binds)
            _bind(statement.target, binds)
            _run(statement.body + statement.orelse, reads, binds)
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            for item in statement.items:
                _read(item.context_expr, reads, binds)
                if item.optional_vars is not None:
                    _bind(item.optional_vars, binds)
            _run(statement.body, reads, binds)
        elif isinstance(statement, (ast.If, ast.While)):
            _read(statement.test, reads, binds)
            _run(statement.body + statement.orelse, reads, binds)
        elif isinstance(statement, ast.Try):
            _run(statement.body, reads, binds)
            for handler in statement.handlers:
                if handler.type is not None:
                    _read(handler.type, reads, binds)
                if handler.name:
                    binds[handler.name] = None
                _run(handler.body, reads, binds)
            _run(statement.orelse + statement.finalbody, reads, binds)
        else:
            _read(statement, reads, binds)
            _bind(statement, binds)


def _reads_and_binds(tree: ast.Module) -> tuple[list[str], dict[str, str | None]]:
    """(the top-level names a cell reads before it binds them, {name it binds: what it imports,
    or None for any other binding})."""
    reads, binds = [], {}
    _run(tree.body, reads, binds)
    return list(dict.fromkeys(reads)), binds


def dependencies(nb, experiments: set[str]) -> list[Dependency]:
    """Every read, by a later cell, of a binding whose last writer is an experiment cell (by id in
    ``experiments``): what would change if the experiment cells did not run."""
    found = []
    last: dict[str, tuple[int, bool, str | None]] = {}  # name -> (cell, is experiment, what it imports)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = _parse(cell.source)
        if tree is None:
            continue
        reads, binds = _reads_and_binds(tree)
        for name in reads:
            writer = last.get(name)
            if writer is not None and writer[1]:
                found.append(Dependency(index, name, writer[0]))
        experiment = cell.get("id") in experiments
        for name, target in binds.items():
            before = last.get(name)
            if experiment and target is not None and before is not None and before[2] == target:
                continue  # the same import again: nothing changes if it is not run
            last[name] = (index, experiment, target)
    return found


def needed(nb, experiments: set[str]) -> dict[int, list[Dependency]]:
    """The experiment cells of ``nb`` that must run after all, by index: those an ordinary cell
    reads from, and, in turn, those they read from; each with the reads that require it."""
    deps = dependencies(nb, experiments)
    index_of = {cell.get("id"): i for i, cell in enumerate(nb.cells)}
    is_experiment = {index_of[i] for i in experiments if i in index_of}
    run: dict[int, list[Dependency]] = {}
    todo = [d for d in deps if d.reader not in is_experiment]
    while todo:
        dep = todo.pop()
        if dep.writer not in run:
            todo.extend(d for d in deps if d.reader == dep.writer)
        run.setdefault(dep.writer, []).append(dep)
    return run
