"""The autograded test cells of ``solutions/``, written from their checks (``autograder/checks/``).

``make release`` calls :func:`sync` before nbgrader releases a chapter: each test cell's code is
the source of its checks' functions (and of what they use), followed by one
``traintech.checking.run(...)`` call per check; the hidden checks go between nbgrader's
``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` markers, which the release removes. A learner
reads, in each test cell, exactly what it checks; nobody edits a test cell by hand.
"""
from __future__ import annotations

import builtins
import importlib
import inspect
import json
import pprint
import symtable
import textwrap
import types
from pathlib import Path

from .checks import Cell, Check, Exercise, exercises, references
from .course import HIDDEN_BEGIN, HIDDEN_END, ROOT, is_test_cell

_SHARED = ("torch", "traintech", "math", "numpy", "random", "collections", "itertools")  # importable in a kernel


class CheckDefinitionError(ValueError):
    """A check uses something a notebook cell cannot reproduce."""


def _globals_of(source: str) -> list[str]:
    """The global names a function's source reads (in the order first seen), nested scopes included."""
    found: dict[str, None] = {}

    def walk(table) -> None:
        for symbol in table.get_symbols():
            if symbol.is_global() and symbol.is_referenced():
                found.setdefault(symbol.get_name())
        for child in table.get_children():
            walk(child)

    for child in symtable.symtable(source, "<check>", "exec").get_children():
        walk(child)
    return list(found)


def _is_literal(value) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_literal(v) for v in value)
    if isinstance(value, dict):
        return all(_is_literal(k) and _is_literal(v) for k, v in value.items())
    return False


class _Writer:
    """Collects what a group of checks needs, each thing once per cell, in a readable order."""

    def __init__(self, module: types.ModuleType):
        self.module = module
        self.done: dict[str, object] = {}

    def need(self, name: str, imports: list[str], constants: list[str], functions: list[str],
             module: types.ModuleType | None = None) -> None:
        """Add what defines ``name`` (as ``module`` sees it) to the cell, once."""
        module = module or self.module
        namespace = vars(module)
        if name not in namespace and hasattr(builtins, name):
            return
        if name not in namespace:
            raise CheckDefinitionError(f"{module.__name__}: a check uses {name!r}, which the module does not define")
        value = namespace[name]
        if name in self.done:
            if self.done[name] is not value:
                raise CheckDefinitionError(f"{module.__name__}: {name!r} means two things in one cell")
            return
        self.done[name] = value
        if isinstance(value, types.ModuleType):
            imports.append(f"import {value.__name__}" if value.__name__ == name else f"import {value.__name__} as {name}")
        elif isinstance(value, (types.FunctionType, type)) and value.__module__.startswith("autograder.checks"):
            # the course's own helpers (this module's, or a chapter's shared ones): their code goes in the cell
            home = importlib.import_module(value.__module__)
            if value.__name__ != name:
                raise CheckDefinitionError(f"{module.__name__}: import {value.__name__} without renaming it")
            source = textwrap.dedent(inspect.getsource(value))
            for used in _globals_of(source):
                self.need(used, imports, constants, functions, home)
            functions.append(source.rstrip("\n"))
        elif _is_literal(value):
            constants.append(_constant(name, value))
        else:
            home = getattr(value, "__module__", None) or ""
            if home.split(".")[0] not in _SHARED or getattr(importlib.import_module(home), name, None) is not value:
                raise CheckDefinitionError(f"{module.__name__}: a check uses {name!r} ({type(value).__name__} from "
                                           f"{home or '?'}), which a notebook cell cannot import; use torch, traintech "
                                           f"or a literal")
            imports.append(f"from {home} import {name}")

    def group(self, checks: list[Check], reference: dict[str, str]) -> str:
        imports, constants, functions, calls = [], [], [], []
        self.need_run(imports)
        for check in checks:
            for fn in (check.collect, check.judge):
                self.need(fn.__name__, imports, constants, functions)
            missing = [name for name in check.uses if name not in reference]
            if missing:
                raise CheckDefinitionError(f"{check.collect.__name__} takes {missing}: not exercises of this chapter")
            refs = ", ".join(repr(reference[name]) for name in check.uses)
            calls.append(f"run({check.collect.__name__}, {check.judge.__name__}, {', '.join(check.uses)}, "
                         f"reference=[{refs}])")
        parts = [_imports(imports)] if imports else []
        parts += ["\n".join(constants)] if constants else []
        parts += functions
        parts.append("\n".join(calls))
        return "\n\n".join(p for p in parts if p)

    def need_run(self, imports: list[str]) -> None:
        if "run" not in self.done:
            self.done["run"] = None
            imports.append("from traintech.checking import run")


def _imports(lines: list[str]) -> str:
    """``import`` lines first, then one ``from M import a, b`` per module."""
    plain = sorted({line for line in lines if line.startswith("import ")})
    names: dict[str, list[str]] = {}
    for line in lines:
        if line.startswith("from "):
            module, name = line[5:].split(" import ")
            names.setdefault(module, []).append(name)
    return "\n".join(plain + [f"from {m} import {', '.join(sorted(set(n)))}" for m, n in sorted(names.items())])


def _constant(name: str, value) -> str:
    """``NAME = value``, one item per line when it is long."""
    line = f"{name} = {value!r}"
    if len(line) <= 110 or not isinstance(value, (list, tuple, dict)) or not value:
        return line
    items = [f"{k!r}: {v!r}" for k, v in value.items()] if isinstance(value, dict) else [repr(v) for v in value]
    if any(len(item) > 100 for item in items):
        return f"{name} = {pprint.pformat(value, width=110, sort_dicts=False)}"
    opening, closing = {dict: "{}", list: "[]", tuple: "()"}[type(value)]
    return f"{name} = {opening}\n" + "".join(f"    {item},\n" for item in items) + closing


def cell_source(exercise: Exercise, cell: Cell) -> str:
    """The code of ``cell``'s test cell in ``solutions/``: its visible checks, then its hidden
    ones between nbgrader's markers."""
    reference = references(exercise.chapter)
    writer = _Writer(exercise.module)
    points = f"{cell.points:g} point" + ("" if cell.points == 1 else "s")
    head = f"# Autograder test, {points}: written by `make release` from the course's checks of {exercise.name}.\n"
    says = inspect.getdoc(cell.checks[0].collect)
    if says:
        head += textwrap.indent(says, "# ") + "\n"
    head += "# Each check calls your code (collect_...) and judges what it returns against the reference (judge_...)."
    visible = [c for c in cell.checks if not c.hidden]
    hidden = [c for c in cell.checks if c.hidden]
    source = head + "\n" + writer.group(visible, reference)
    if hidden:
        source += f"\n\n{HIDDEN_BEGIN}\n{writer.group(hidden, reference)}\n{HIDDEN_END}"
    return source


def _metadata(cell: Cell) -> dict:
    return {"nbgrader": {"grade": True, "grade_id": cell.grade_id, "locked": True, "points": cell.points,
                         "schema_version": 3, "solution": False, "task": False}}


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def sync(chapter: str, root: Path = ROOT, write: bool = True) -> list[str]:
    """Write every test cell of ``chapter``'s solution notebook from its checks. Returns the grade
    ids of the cells that changed (``write=False``: that would change). A test cell no check defines,
    or an exercise with checks but no solution cell, raises ``CheckDefinitionError``."""
    defined = exercises(chapter)
    if not defined:
        return []
    path = Path(root) / "solutions" / chapter / f"{chapter}.ipynb"
    nb = json.loads(path.read_text())
    wanted = {cell.grade_id: (ex, cell) for ex in defined.values() for cell in ex.cells}
    present = {c["metadata"]["nbgrader"]["grade_id"]: c for c in nb["cells"] if is_test_cell(c)}
    unknown = sorted(set(present) - set(wanted))
    if unknown:
        raise CheckDefinitionError(f"{path.name}: test cells {unknown} are defined by no check in autograder/checks/")
    changed = []
    for grade_id, (ex, cell) in wanted.items():
        source, metadata = cell_source(ex, cell), _metadata(cell)
        if grade_id in present:
            old = present[grade_id]
            if "".join(old["source"]) != source or old["metadata"] != metadata:
                old["source"], old["metadata"] = _lines(source), metadata
                changed.append(grade_id)
            continue
        index = _insertion_point(nb["cells"], ex)
        nb["cells"].insert(index, {"cell_type": "code", "execution_count": None, "id": grade_id,
                                   "metadata": metadata, "outputs": [], "source": _lines(source)})
        present[grade_id] = nb["cells"][index]
        changed.append(grade_id)
    if changed and write:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return changed


def _insertion_point(cells: list[dict], ex: Exercise) -> int:
    """Just after the exercise's solution cell and the test cells already following it."""
    own = {cell.grade_id for cell in ex.cells}
    for index, cell in enumerate(cells):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == ex.name:
            index += 1
            while index < len(cells) and is_test_cell(cells[index]) and \
                    cells[index]["metadata"]["nbgrader"]["grade_id"] in own:
                index += 1
            return index
    raise CheckDefinitionError(f"{ex.path.name}: the notebook has no solution cell with grade id {ex.name!r}")
