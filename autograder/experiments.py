"""Experiment cells: what grading does not run, and the reading that proves nothing graded needs them.

A chapter's *experiment cells* are the code cells of its source notebook (``solutions/``) tagged
``experiment`` that are no nbgrader cell: they train networks and draw plots, earn no points, and
take most of a chapter's running time. Grading (``python -m autograder grade``, and ``nbgrader
autograde`` run in the course) does not execute them unless told to (``--experiments run``).

- Which cells they are is decided from the source, by cell id (nbgrader keeps the ids in the
  release), never from the submission: a tag a submission adds or removes changes nothing.
- The learner's own outputs in them are kept in the graded notebook (within the output caps),
  after a line saying the cell was not run when graded: the instructor still sees their plots.
- A correct answer does not lose points for a name it needs from an experiment: an experiment
  cell that binds a name a later cell reads (a learner who added ``import numpy as np`` to an
  experiment cell and uses ``np`` in an answer) is run after all, with the experiment cells it
  reads from in turn (``needed``). Not covered: an experiment that changes an object in place
  that an answer then reads.
- The same reading of names (``dependencies``) proves that no answer or test cell of a chapter
  reads what an experiment defines (tests/test_experiments.py); identical scores with and
  without experiments prove the rest (the random state, objects an experiment changes in place).
- What no reading sees (``exec``, ``globals()``, a star import) is caught after grading
  (``worth_running``): ``python -m autograder grade`` then grades the submission again with
  every cell run, and the better grading counts.

The reading is static, like Python's own scoping at a notebook's top level: a cell reads a name
when it loads it before binding it; using a function (or class) reads what its code reads, when
it is used; an experiment's ``import x`` of what an earlier ordinary cell already imported
under the same name changes nothing; a name bound in one branch of an ``if`` counts as bound.
Names reached only through ``globals()`` or ``exec`` are not seen (``worth_running`` is).
"""
from __future__ import annotations

import ast
import re
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


def is_experiment(cell, ids: set[str]) -> bool:
    """Whether ``cell`` of a notebook being graded is one of the experiment cells ``ids`` (an
    nbgrader cell never is, whatever its id)."""
    return cell.cell_type == "code" and cell.get("id") in ids and not cell.metadata.get("nbgrader")


@dataclass(frozen=True)
class Dependency:
    """Cell ``reader`` reads ``name``, last bound by the experiment cell ``writer`` (indices)."""

    reader: int
    name: str
    writer: int


_PYTHON_CELL_MAGIC = re.compile(r"\s*%%(time|timeit|prun|capture)\b[ \t]*(.*)")
_PYTHON_LINE_MAGIC = re.compile(r"^([ \t]*)%(?:time|timeit|prun)\b[ \t]+", re.M)


def _parse(source: str) -> ast.Module | None:
    """A cell's code as IPython runs it; the magics that run Python (``%%time``, ``%timeit x =
    f()``, ``%%capture out``) read as the Python they run."""
    from .verdict import _python

    first, _, rest = source.partition("\n")
    magic = _PYTHON_CELL_MAGIC.fullmatch(first)
    if magic:
        name = magic.group(2).split()[-1] if magic.group(1) == "capture" and magic.group(2).split() else ""
        source = (f"{name} = None\n" if name.isidentifier() else "") + rest
    try:
        return ast.parse(_python(_PYTHON_LINE_MAGIC.sub(r"\1", source)))
    except (SyntaxError, ValueError):
        return None  # a cell that does not parse binds and reads nothing: it fails when run


def _imports(statement) -> dict[str, str]:
    """name -> what it imports, for an import statement (``import a.b`` binds ``a``, to a.b)."""
    if isinstance(statement, ast.Import):
        return {alias.asname or alias.name.split(".")[0]: alias.name for alias in statement.names}
    if isinstance(statement, ast.ImportFrom):
        return {alias.asname or alias.name: f"{'.' * statement.level}{statement.module or ''}:{alias.name}"
                for alias in statement.names}
    return {}


def _loaded(node) -> set[str]:
    """The top-level names ``node`` reads (or deletes), its functions' bodies included."""
    from traintech.testing import _SCOPES, free_names

    names = set()
    for found in free_names(node):
        root = found
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and isinstance(root.ctx, (ast.Load, ast.Del)):
            names.add(root.id)
    todo = [node]  # ``x += 1`` reads x too
    while todo:
        cur = todo.pop()
        if isinstance(cur, ast.AugAssign) and isinstance(cur.target, ast.Name):
            names.add(cur.target.id)
        if not isinstance(cur, _SCOPES):
            todo.extend(ast.iter_child_nodes(cur))
    return names


def _read(node, reads: list, binds: dict) -> None:
    """Record the top-level names ``node`` reads that are not bound yet."""
    reads.extend(sorted(name for name in _loaded(node) if name not in binds))


def _bind(node, binds: dict) -> None:
    from traintech.testing import _SCOPES, _bound

    binds.update(dict.fromkeys(_bound([node], set())))
    binds.update(_imports(node))
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):  # ``global x`` in it binds x when it runs
        todo = list(node.body)
        while todo:
            cur = todo.pop()
            if isinstance(cur, ast.Global):
                binds.update(dict.fromkeys(cur.names))
            elif not isinstance(cur, _SCOPES):
                todo.extend(ast.iter_child_nodes(cur))


def _run(body: list, reads: list, binds: dict, bodies: dict) -> None:
    """Walk statements in the order they run: a compound statement's header, its targets, then
    its blocks one after the other (a name bound in a block counts as bound after it). A
    function's or class's own reads are kept in ``bodies``: whoever uses it later reads them."""
    for statement in body:
        if isinstance(statement, (ast.For, ast.AsyncFor)):
            _read(statement.iter, reads, binds)
            _bind(statement.iter, binds)  # a walrus
            _bind(statement.target, binds)
            _run(statement.body + statement.orelse, reads, binds, bodies)
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            for item in statement.items:
                _read(item.context_expr, reads, binds)
                _bind(item.context_expr, binds)
                if item.optional_vars is not None:
                    _bind(item.optional_vars, binds)
            _run(statement.body, reads, binds, bodies)
        elif isinstance(statement, (ast.If, ast.While)):
            _read(statement.test, reads, binds)
            _bind(statement.test, binds)
            _run(statement.body + statement.orelse, reads, binds, bodies)
        elif isinstance(statement, ast.Try):
            _run(statement.body, reads, binds, bodies)
            for handler in statement.handlers:
                if handler.type is not None:
                    _read(handler.type, reads, binds)
                if handler.name:
                    binds[handler.name] = None
                _run(handler.body, reads, binds, bodies)
            _run(statement.orelse + statement.finalbody, reads, binds, bodies)
        else:
            _read(statement, reads, binds)
            _bind(statement, binds)
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bodies[statement.name] = _loaded(statement)


def _reads_and_binds(tree: ast.Module) -> tuple[list[str], dict[str, str | None], dict[str, set[str]]]:
    """(the top-level names a cell reads before it binds them, {name it binds: what it imports,
    or None for any other binding}, {function or class it defines: the names its code reads})."""
    reads, binds, bodies = [], {}, {}
    _run(tree.body, reads, binds, bodies)
    return list(dict.fromkeys(reads)), binds, bodies


def dependencies(nb, experiments: set[str]) -> list[Dependency]:
    """Every read, by a later cell, of a binding whose last writer is an experiment cell (by id in
    ``experiments``): what would change if the experiment cells did not run. Using a function
    (or class) reads what its code reads, at that moment: a function defined before an
    experiment and called after it reads the experiment's names."""
    found = []
    last: dict[str, tuple[int, bool, str | None, set[str]]] = {}  # name -> (cell, experiment?, import, its reads)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = _parse(cell.source)
        if tree is None:
            continue
        reads, binds, bodies = _reads_and_binds(tree)
        todo, seen = list(reads), set(reads)
        while todo:
            name = todo.pop()
            writer = last.get(name)
            if writer is None:
                continue
            if writer[1]:
                found.append(Dependency(index, name, writer[0]))
            todo.extend(writer[3] - seen)
            seen |= writer[3]
        experiment = is_experiment(cell, experiments)
        for name, target in binds.items():
            before = last.get(name)
            if experiment and target is not None and before is not None and before[2] == target:
                continue  # the same import again: nothing changes if it is not run
            last[name] = (index, experiment, target, bodies.get(name, set()))
    return sorted(set(found), key=lambda d: (d.reader, d.writer, d.name))


def needed(nb, experiments: set[str]) -> dict[int, list[Dependency]]:
    """The experiment cells of ``nb`` that must run after all, by index: those an ordinary cell
    reads from, and, in turn, those they read from; each with the reads that require it."""
    deps = dependencies(nb, experiments)
    run: dict[int, list[Dependency]] = {}
    todo = [d for d in deps if not is_experiment(nb.cells[d.reader], experiments)]
    while todo:
        dep = todo.pop()
        if dep.writer not in run:
            todo.extend(d for d in deps if d.reader == dep.writer)
        run.setdefault(dep.writer, []).append(dep)
    return run


# A safety net behind the reading above, for what it cannot see: after grading without the
# experiments, a test that failed with a NameError on a name that an experiment cell not run
# might have bound (anywhere in its code, or opaquely: a star import, exec, a magic) has the
# submission graded again with every cell run; the better of the two gradings counts.
_OPAQUE = re.compile(r"import\s+\*|(?<![.\w])(?:exec|eval|globals|locals|vars|setattr|get_ipython)\s*\(|__dict__"
                     r"|^\s*[%!]", re.M)  # (``model.eval()`` is no eval)
_NAME_ERROR = re.compile(r"NameError: name '(\w+)' is not defined")


def could_bind(source: str) -> set[str] | None:
    """Every name a cell might bind, anywhere in its code (a function's ``global`` too); None
    when it may bind names that no reading of its code can list."""
    if _OPAQUE.search(source):
        return None
    tree = _parse(source)
    if tree is None:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.Global):
            names.update(node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
    return names


def worth_running(nb, messages: dict[str, str]) -> list[str]:
    """For a notebook graded without its experiments (``nb``, with the grader's notes), and the
    failing tests' messages: the missing names (NameError) that an experiment cell not run
    might have defined. Not empty: grading it again with every cell run may give points back."""
    missing = {m.group(1) for message in messages.values() for m in [_NAME_ERROR.search(message)] if m}
    if not missing:
        return []
    found = set()
    for cell in nb.cells:
        outputs = cell.get("outputs", []) if cell.cell_type == "code" else []
        if outputs and outputs[0].get("text") == NOT_RUN_NOTE:
            names = could_bind(cell.source)
            found |= missing if names is None else missing & names
    return sorted(found)
