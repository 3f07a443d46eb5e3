"""Verdicts the submission cannot reach: every autograded test cell is judged again outside the notebook.

A test cell runs in the learner's kernel, next to the learner's code, which can redefine
anything there (the judges, ``torch.allclose``, ``traintech`` itself, ``sys.modules``), so its
verdict alone proves nothing. Each cell is written from checks (``autograder/checks/``), and
each check's ``run`` keeps the *data* its ``collect`` returned. After a test cell passed in the
kernel (``VerifiedExecute`` in ``preprocessors.py``):

1. the grading process asks the kernel to write that data to a file of the grader's
   (``traintech.checking.record``);
2. the grading process, which the notebook cannot reach, decodes it strictly
   (``traintech.checking.decode``: no pickle, known dtypes, sizes checked), runs the same
   ``collect`` on the reference itself, and calls the check's ``judge`` on the two, with the
   judge and ``traintech`` imported here. Every input a judge needs comes from the reference's
   run, never from the kernel; "implemented from primitives" is read from the code cells as
   submitted (``Context.no_delegation``);
3. if a judge fails, the cell gets an error (``OutsideCheckFailed``) and scores 0.

A notebook can still make its kernel hand over any data it likes, but the judges accept only
right answers to inputs the learner did not choose: forging them means computing them.
"""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from .checks import Cell, Check, cells, references
from .course import is_test_cell
from .sandbox import LEFT_OUT

MAX_BYTES = 64 * 2**20  # the most data a cell may hand over from the kernel


def record_call(path: Path) -> str:
    """The one call the grader sends to the kernel after a passed test cell: write what the cell's
    checks collected to ``path`` (``traintech.checking.record``)."""
    return f"__import__('traintech.checking', fromlist=['record']).record({str(path)!r})"


@dataclass
class Context:
    """What a judge may look at besides the data: the learner's code cells, as submitted."""

    sources: list[str] = field(default_factory=list)

    def no_delegation(self, name: str, forbidden: list[str]) -> None:
        """Fail when the learner's ``name`` (or a helper of theirs it uses) refers to one of
        ``forbidden`` (dotted names, however imported or aliased) or to anything in traintech."""
        from traintech.testing import _fail

        found = delegations(self.sources, name, forbidden)
        if found is None:
            _fail(f"{name} is not defined in the notebook (by a def or class statement, as the last thing that "
                  f"binds the name): this exercise asks you to implement it yourself.")
        if found:
            _fail(f"{name} uses {found[0]}: this exercise asks you to implement it yourself.")


def _python(source: str) -> str:
    """A cell's code as IPython runs it: magics and shell escapes (``%matplotlib``, ``!pip``)
    become plain calls, and nothing else changes (a line that starts with ``%`` inside
    brackets is Python's ``%`` operator, not a magic)."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - then ast.parse reports what is wrong with it
        return source


def delegations(sources: list[str], name: str, forbidden: list[str]) -> list[str] | None:
    """The forbidden names ``name``'s definition (and the notebook's own helpers it uses) refers
    to, however imported or aliased, traintech included; None if the notebook does not define
    ``name`` (its last top-level binding is no def, class or assignment: e.g. an import).
    Static: reads the code as written (a call hidden behind ``getattr`` is not seen)."""
    from traintech.testing import free_names

    aliases: dict[str, str] = {}
    defs: dict[str, ast.AST | None] = {}  # each top-level name's last binding (None: an import)
    for source in sources:
        try:
            tree = ast.parse(_python(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defs[node.name] = node
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    if isinstance(target, ast.Name):
                        defs[target.id] = node
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for a in node.names:
                    defs[a.asname or a.name.split(".")[0]] = None
    if defs.get(name) is None:
        return None
    banned = list(forbidden) + ["traintech"]

    def dotted(node) -> str:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        parts.append(aliases.get(node.id, node.id))
        return ".".join(reversed(parts))

    found, seen, queue = set(), set(), [name]
    while queue:
        current = queue.pop()
        if current in seen or defs.get(current) is None:
            continue
        seen.add(current)
        definition = defs[current]
        roots = [definition] if not isinstance(definition, (ast.Assign, ast.AnnAssign)) else [definition.value]
        for node in (n for root in roots if root is not None for n in free_names(root)):
            path = dotted(node)
            found.update(bad for bad in banned if path == bad or path.startswith(bad + "."))
            head = node
            while isinstance(head, ast.Attribute):
                head = head.value
            queue.append(head.id)
    return sorted(found)


def read_data(path: Path, count: int) -> list:
    """The data of the last ``count`` checks a kernel wrote to ``path``, decoded: one entry per
    check, each the decoded result or a ``BadData`` saying why there is none."""
    from traintech.checking import BadData, decode

    import os
    import stat

    try:  # the kernel's folder is the notebook's to change: no symlink, no device, no pipe, no flood
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        raise BadData("the notebook returned no data (did it replace the grader's helpers, or crash?)") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise BadData("the notebook returned its data in something that is not a file")
        text = handle.read(MAX_BYTES + 1)
    if len(text) > MAX_BYTES:
        raise BadData(f"the notebook returned more than {MAX_BYTES} bytes of data")
    try:
        raw = json.loads(text.decode())
    except (ValueError, UnicodeDecodeError) as err:
        raise BadData(f"the notebook returned data that is not JSON: {err}") from None
    if not isinstance(raw, list):
        raise BadData("the notebook returned data of an unexpected form")
    if len(raw) < count:
        raise BadData("the notebook returned no data for some of this cell's checks (did it replace them?)")
    results = []
    for item in raw[len(raw) - count:]:
        if not isinstance(item, dict) or not ({"result"} == set(item) or {"error"} == set(item)):
            raise BadData("the notebook returned data of an unexpected form")
        if "error" in item:
            results.append(BadData(f"running your code on the check's inputs raised {str(item['error'])[:500]}"))
        else:
            results.append(decode(item["result"]))
    return results


# ----------------------------------------------------------------------------- the reference's data

_REFERENCE: dict[tuple[str, str], list] = {}


def reference_encoded(chapter: str, check: Check) -> Any:
    """``check``'s ``collect`` run on the chapter's references, encoded (JSON-ready)."""
    from traintech.checking import _reference, encode

    names = references(chapter)
    return json.loads(json.dumps(encode(check.collect(*[_reference(names[n]) for n in check.uses]))))


def _reference_encoded(chapter: str, cell: Cell) -> list:
    return [reference_encoded(chapter, check) for check in cell.checks]


def reference_data(chapter: str, grade_id: str) -> list:
    """Each check's ``collect`` run on the references (once per process, or ``load_references``)."""
    from traintech.checking import decode

    key = (chapter, grade_id)
    if key not in _REFERENCE:
        _REFERENCE[key] = [decode(item) for item in _reference_encoded(chapter, cells(chapter)[grade_id])]
    return _REFERENCE[key]


def kernel_table(chapter: str, encoded: dict[str, list]) -> dict[str, Any]:
    """The reference data a kernel without ``traintech.reference`` judges the chapter's *visible*
    checks with (those whose reference is in it), filed as ``traintech.checking.run`` looks for it:
    the student edition's ``expected.json``, and what the grader hands an isolated kernel. Hidden
    checks are never in it: a grading kernel collects their data and the grader alone judges
    them (``judge_cell``). ``encoded``: each cell's data, as ``save_references`` computes it
    (``None`` for a hidden check is fine)."""
    from traintech.checking import expected_key

    names = references(chapter)
    table: dict[str, Any] = {}
    for grade_id, cell in cells(chapter).items():
        for check, data in zip(cell.checks, encoded[grade_id]):
            dotted = [names[name] for name in check.uses]
            if check.hidden or not any(d.startswith(f"traintech.{LEFT_OUT}.") for d in dotted):
                continue
            key = expected_key(check.collect, dotted)  # what run() looks up
            if table.setdefault(key, data) != data:
                raise RuntimeError(f"two checks of {chapter} are filed as {key} with different data: rename one collect")
    return table


def save_references(chapter: str, path: Path, kernel: Path | None = None) -> None:
    """Every check's reference data of ``chapter``, computed once for a whole class and written to
    ``path``: each grading process reads it instead of computing it again. ``kernel``: where to
    write the same data as a sandboxed kernel reads it (``kernel_table``)."""
    data = {grade_id: _reference_encoded(chapter, cell) for grade_id, cell in cells(chapter).items()}
    Path(path).write_text(json.dumps(data))
    if kernel is not None:
        Path(kernel).write_text(json.dumps(kernel_table(chapter, data)))


def load_references(chapter: str, path: Path) -> None:
    """Use the reference data ``save_references`` wrote (the instructor's file, not the kernel's)."""
    from traintech.checking import decode

    for grade_id, encoded in json.loads(Path(path).read_text()).items():
        _REFERENCE[(chapter, grade_id)] = [decode(item) for item in encoded]


def learner_sources(nb: nbformat.NotebookNode) -> list[str]:
    """The code cells the learner wrote or could edit (everything but the locked test cells)."""
    return [cell.source for cell in nb.cells if cell.cell_type == "code" and not is_test_cell(cell)]


def judge_check(check: Check, got: Any, ref: Any, context: "Context") -> str | None:
    """Why ``got`` fails ``check``'s judge, or None."""
    from traintech.checking import BadData
    from traintech.testing import CheckFailed

    try:
        if isinstance(got, BadData):
            raise got
        check.judge(got, ref, context)
    except (CheckFailed, BadData) as err:
        return str(err)
    except Exception as err:  # noqa: BLE001 - odd data the judge did not expect: wrong, not a crash
        return f"the data your code returned could not be checked ({type(err).__name__}: {err})"
    return None


def judge_cell(chapter: str, grade_id: str, data_file: Path, sources: list[str]) -> tuple[str | None, bool]:
    """Why the data the kernel wrote to ``data_file`` for test cell ``grade_id`` fails its checks
    (None if every check passes), and whether the first check that fails is a hidden one."""
    from traintech.checking import BadData

    cell = cells(chapter)[grade_id]
    refs = reference_data(chapter, grade_id)
    try:
        data = read_data(data_file, len(cell.checks))
    except BadData as err:
        return str(err), False
    context = Context(sources)
    for check, got, ref in zip(cell.checks, data, refs):
        why = judge_check(check, got, ref, context)
        if why:
            return why, check.hidden
    return None, False
