"""Verdicts the submission cannot reach: every autograded test is checked again outside the notebook.

The visible and hidden tests run inside the learner's kernel, next to the learner's code,
which can redefine anything there: the assertion helpers, ``torch.allclose``,
``traintech.testing`` itself, ``sys.modules``, IPython's error display. A verdict computed
in that process proves nothing. So each test cell has a *verifier* here, and a test cell's
points count only when its verifier agrees:

1. Right after the test cell ran (``VerifiedExecute`` in ``preprocessors.py``), the grading
   process sends the verifier's ``collect`` code to the kernel. It runs the learner's
   functions on inputs it builds itself (seeded) and returns *data only*: tensors, numbers,
   strings, exception names. The kernel writes them as JSON to a file of the grader's.
2. The grading process (never the kernel) decodes that data strictly (no pickle, dtypes from
   a short list, sizes checked), runs the same ``collect`` code with the *reference*
   solution (the solution cells of ``solutions/``), and the verifier's ``judge`` compares
   the two with ``traintech.testing``'s checks, imported here, where the notebook cannot
   patch them. Inputs the judge needs come from the reference run, never from the kernel.
3. If the judge fails, the test cell gets an error output (``OutsideCheckFailed``): the cell
   scores 0, whatever the notebook printed or patched.

A submission can still make its kernel return anything it likes, but the only data the
judge accepts are right answers on inputs the learner did not choose: to forge them, the
code has to compute them, which is the exercise. "Implemented from primitives" checks are
made here too, statically, on the learner's code cells as submitted (``no_delegation``).
"""
from __future__ import annotations

import ast
import base64
import importlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import nbformat

OUTSIDE_FAILED = "OutsideCheckFailed"
MAX_BYTES = 64 * 2**20  # the most data a verifier may return from the kernel

# Defined in both processes: ``raises`` for the collect code, and the encoder. In the kernel
# they can be replaced by the notebook, which only changes the data the judge sees.
PRELUDE = '''
def raises(fn, *args, **kwargs):
    """The names of the exception ``fn(*args, **kwargs)`` raised and its bases, or None."""
    try:
        fn(*args, **kwargs)
    except Exception as err:
        return [c.__name__ for c in type(err).__mro__]
    return None


def gradient_probe(fn, x, seed=0, directions=3, h=1e-6):
    """What a gradient check needs, as data: ``fn``'s autograd gradient of a random weighting
    of its output at ``x`` (float64), and central finite differences of the same weighting
    along random directions. Judged by ``verify.gradients_consistent``, as gradcheck would."""
    import torch
    g = torch.Generator().manual_seed(seed)
    x = x.detach().to(torch.float64).requires_grad_(True)
    out = fn(x)
    weight = torch.randn(out.shape, generator=g, dtype=torch.float64)
    grad = None
    if isinstance(out, torch.Tensor) and out.requires_grad:
        grad = torch.autograd.grad((out * weight).sum(), x, allow_unused=True)[0]
    ds = [torch.randn(x.shape, generator=g, dtype=torch.float64) for _ in range(directions)]
    with torch.no_grad():
        fd = [float(((fn(x + h * d) - fn(x - h * d)) * weight).sum() / (2 * h)) for d in ds]
    return {"gradient": grad, "directions": ds, "finite differences": fd,
            "dtype": out.dtype if isinstance(out, torch.Tensor) else None}


def _tt_encode(obj, depth=0):
    import base64, math, numpy, torch
    if depth > 30:
        raise ValueError("data nested too deeply")
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, numpy.generic):
        obj = obj.item()
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"$float": repr(obj)}
    if isinstance(obj, torch.dtype):
        return {"$dtype": str(obj)}
    if isinstance(obj, numpy.ndarray):
        obj = torch.from_numpy(obj)
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        return {"$tensor": [str(t.dtype), list(t.shape), base64.b64encode(t.numpy().tobytes()).decode()]}
    if isinstance(obj, (list, tuple, torch.Size)):
        return [_tt_encode(v, depth + 1) for v in obj]
    if isinstance(obj, dict):
        return {"$dict": [[_tt_encode(k, depth + 1), _tt_encode(v, depth + 1)] for k, v in obj.items()]}
    raise TypeError(f"cannot record a {type(obj).__name__}")
'''

# Sent to the kernel after a test cell: runs ``collect`` in a copy of the notebook's namespace.
_KERNEL = '''
def _tt_verify(source, out):
    import json
    namespace = dict(get_ipython().user_ns)
    exec(_TT_PRELUDE, namespace)
    try:
        exec(source, namespace)
        data = {"result": namespace["_tt_encode"](namespace["result"])}
    except Exception as err:
        data = {"error": type(err).__name__ + ": " + str(err)[:500]}
    with open(out, "w") as f:
        json.dump(data, f)
_TT_PRELUDE = %r
try:
    _tt_verify(%r, %r)
finally:
    del _tt_verify, _TT_PRELUDE
'''


def kernel_code(collect: str, out: Path) -> str:
    """The code that runs ``collect`` in the learner's kernel and writes its data to ``out``."""
    return _KERNEL % (PRELUDE, collect, str(out))


class BadData(ValueError):
    """What the kernel returned is not data this module accepts."""


_DTYPES = {
    "torch.float64": "float64", "torch.float32": "float32", "torch.float16": "float16",
    "torch.int64": "int64", "torch.int32": "int32", "torch.int16": "int16", "torch.int8": "int8",
    "torch.uint8": "uint8", "torch.bool": "bool",
}


def decode(obj: Any, depth: int = 0) -> Any:
    """The inverse of ``_tt_encode``, accepting nothing else (the input is untrusted)."""
    import numpy
    import torch

    if depth > 30:
        raise BadData("data nested too deeply")
    if obj is None or isinstance(obj, (bool, str, int, float)):
        return obj
    if isinstance(obj, list):
        return [decode(v, depth + 1) for v in obj]
    if not isinstance(obj, dict) or len(obj) != 1:
        raise BadData(f"unexpected {type(obj).__name__} in the data")
    (kind, value), = obj.items()
    if kind == "$float" and value in ("nan", "inf", "-inf"):
        return float(value)
    if kind == "$dtype" and value in _DTYPES:
        return getattr(torch, value.split(".")[1])
    if kind == "$dict" and isinstance(value, list):
        out = {}
        for pair in value:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise BadData("a malformed dict in the data")
            key = decode(pair[0], depth + 1)
            if not isinstance(key, (str, int, bool, type(None))):
                raise BadData("a dict key that is not a string or a number")
            out[key] = decode(pair[1], depth + 1)
        return out
    if kind == "$tensor" and isinstance(value, list) and len(value) == 3:
        dtype, shape, data = value
        if dtype not in _DTYPES or not isinstance(shape, list) or not all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape) or not isinstance(data, str):
            raise BadData(f"a malformed tensor in the data ({dtype!r})")
        raw = base64.b64decode(data, validate=True)
        np_dtype = numpy.dtype(_DTYPES[dtype])
        if len(raw) != math.prod(shape) * np_dtype.itemsize:
            raise BadData("a tensor whose data does not match its shape")
        array = numpy.frombuffer(raw, dtype=np_dtype).reshape(shape).copy()
        return torch.from_numpy(array)
    raise BadData(f"unexpected {kind!r} in the data")


def read_data(path: Path) -> Any:
    """The data a kernel wrote to ``path``: ``{"result": ...}`` decoded, or BadData/the error it reported."""
    path = Path(path)
    if not path.is_file():
        raise BadData("the notebook returned no data (did it replace the grader's helpers, or crash?)")
    if path.stat().st_size > MAX_BYTES:
        raise BadData(f"the notebook returned more than {MAX_BYTES} bytes of data")
    try:
        raw = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise BadData(f"the notebook returned data that is not JSON: {err}") from None
    if not isinstance(raw, dict) or not ({"result"} == set(raw) or {"error"} == set(raw)):
        raise BadData("the notebook returned data of an unexpected form")
    if "error" in raw:
        raise BadData(f"running your code on the check's inputs raised {str(raw['error'])[:500]}")
    return decode(raw["result"])


# ----------------------------------------------------------------------------- judging


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


def expect_entries(got: Any, keys) -> dict:
    """The learner's data as a dict with exactly ``keys`` (fails, never crashes, on another form)."""
    from traintech.testing import _fail

    if not isinstance(got, dict) or set(got) != set(keys):
        shown = sorted(map(str, got)) if isinstance(got, dict) else type(got).__name__
        _fail(f"the data your code returned should have the entries {sorted(map(str, keys))}, got {shown}")
    return got


def expect_tensor(got: Any, name: str, shape=None, dtype=None):
    """The learner's ``got``, which must be a tensor (of that shape and dtype)."""
    import torch
    from traintech.testing import _fail

    if not isinstance(got, torch.Tensor):
        _fail(f"{name} should be a tensor, but is a {type(got).__name__}")
    if shape is not None and tuple(got.shape) != tuple(shape):
        _fail(f"{name} has shape {tuple(got.shape)} but should have shape {tuple(shape)}")
    if dtype is not None and got.dtype != dtype:
        _fail(f"{name} has dtype {got.dtype} but should have dtype {dtype}")
    return got


def expect_raised(got: Any, exception: str | None, call: str) -> None:
    """``got``, the data of ``raises(...)`` for ``call``, shows ``exception`` (or a subclass) was
    raised, as ``assert_raises`` requires; with ``exception`` None, that the call returned."""
    from traintech.testing import _fail

    raised = got[0] if isinstance(got, list) and got and isinstance(got[0], str) else got
    if exception is None:
        if got is not None:
            _fail(f"{call} should return normally, but raised {raised!r:.100}")
    elif not (isinstance(got, list) and exception in got):
        _fail(f"{call} should raise {exception} but " + ("returned normally" if got is None else f"raised {raised!r:.100}"))


def same(got: Any, ref: Any, where: str = "result", rtol: float | None = None, atol: float | None = None) -> None:
    """Fail unless the learner's data equals the reference's: the same structure, and tensors
    of the same shape and dtype, close within the tolerance."""
    import torch
    from traintech.testing import _fail, assert_close

    if isinstance(ref, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            _fail(f"{where} should be a tensor, but is a {type(got).__name__}")
        assert_close(got, ref, name=where, rtol=rtol, atol=atol)
    elif isinstance(ref, dict):
        if not isinstance(got, dict) or set(got) != set(ref):
            _fail(f"{where} does not have the expected entries")
        for key in ref:
            same(got[key], ref[key], f"{where}[{key!r}]", rtol, atol)
    elif isinstance(ref, list):
        if not isinstance(got, list) or len(got) != len(ref):
            _fail(f"{where} should have {len(ref)} items")
        for i, (g, r) in enumerate(zip(got, ref)):
            same(g, r, f"{where}[{i}]", rtol, atol)
    elif isinstance(ref, float) and isinstance(got, (int, float)) and not isinstance(got, bool):
        if not (math.isclose(got, ref, rel_tol=rtol or 1e-6, abs_tol=atol or 1e-7) or (math.isnan(got) and math.isnan(ref))):
            _fail(f"{where} is {got!r} but should be {ref!r}")
    elif type(got) is not type(ref) or got != ref:
        _fail(f"{where} is {got!r} but should be {ref!r}")


def gradients_consistent(got: Any, ref: dict, name: str, atol: float = 1e-5, rtol: float = 1e-3) -> None:
    """Judge a ``gradient_probe``: the learner's autograd gradient must agree with finite
    differences of the learner's own function (gradcheck's test), along the reference's
    random directions; a missing gradient or a changed dtype fails, as in ``check_gradients``."""
    import torch
    from traintech.testing import _fail

    if not isinstance(got, dict) or not isinstance(got.get("gradient"), torch.Tensor):
        _fail(f"{name} has no gradient: its output is not connected to the input in the autograd graph.",
              "build the result from tensor operations on x (no .detach(), .item(), .numpy() or torch.tensor(...)).")
    if got.get("dtype") != torch.float64:
        _fail(f"{name} turned float64 input into {got.get('dtype')}: keep the input's dtype.")
    grad, fd = got["gradient"].to(torch.float64), got.get("finite differences")
    if grad.shape != ref["gradient"].shape or not isinstance(fd, list) or len(fd) != len(ref["directions"]):
        _fail(f"{name}'s gradient has the wrong shape.")
    for d, numeric in zip(ref["directions"], fd):
        analytic = float((grad * d).sum())
        if not isinstance(numeric, (int, float)) or not abs(analytic - numeric) <= atol + rtol * abs(numeric):
            _fail(f"{name}'s gradient disagrees with finite differences: along a random direction autograd gives "
                  f"{analytic:.6g}, finite differences {numeric}.")


Judge = Callable[[Any, Any, Context], None]


@dataclass(frozen=True)
class Verifier:
    """How one test cell is checked outside the notebook.

    ``collect``: code run twice, in the learner's kernel (names are the learner's) and here
    with the reference solution; it builds its own inputs (seeded, before calling the
    learner's code, so both runs see the same inputs) and sets ``result`` to data.
    ``judge(got, ref, context)``: raises ``traintech.testing.CheckFailed`` when the
    learner's data ``got`` is wrong; default: ``same(got, ref)`` with ``rtol``/``atol``.
    """

    collect: str
    judge: Judge | None = None
    rtol: float | None = None
    atol: float | None = None

    def check(self, got: Any, ref: Any, context: Context) -> None:
        if self.judge is None:
            same(got, ref, rtol=self.rtol, atol=self.atol)
        else:
            self.judge(got, ref, context)


def verifiers(chapter: str) -> dict[str, Verifier]:
    """The chapter's verifiers, by test cell id (``autograder/verifiers/ch<chapter>.py``)."""
    try:
        module = importlib.import_module(f"autograder.verifiers.ch{chapter}")
    except ModuleNotFoundError:
        return {}
    return dict(module.VERIFIERS)


_REFERENCE: dict[tuple[str, str], Any] = {}
_NAMESPACES: dict[str, dict] = {}


def reference_namespace(solution: Path) -> dict:
    """The solution notebook's answers, defined here: its solution cells, after the import
    statements of all its code cells (nothing else runs: no experiment, no test)."""
    key = str(Path(solution).resolve())
    if key not in _NAMESPACES:
        nb = nbformat.read(solution, as_version=4)
        namespace: dict = {"__name__": "reference"}
        imports, answers = [], []
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                answers.append(cell.source)
            elif not meta.get("grade"):
                tree = ast.parse(_python(cell.source))
                imports += [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        exec("\n".join(imports), namespace)
        for source in answers:
            exec(source, namespace)
        _NAMESPACES[key] = namespace
    return _NAMESPACES[key]


def _reference_encoded(solution: Path, collect: str) -> Any:
    namespace = dict(reference_namespace(solution))
    exec(PRELUDE, namespace)
    exec(collect, namespace)
    return json.loads(json.dumps(namespace["_tt_encode"](namespace["result"])))


def reference_data(solution: Path, grade_id: str, collect: str) -> Any:
    """``collect`` run on the reference solution, through the same encoding as the kernel's
    (once per process, or read from ``load_references``)."""
    key = (str(solution), grade_id)
    if key not in _REFERENCE:
        _REFERENCE[key] = decode(_reference_encoded(solution, collect))
    return _REFERENCE[key]


def save_references(chapter: str, solution: Path, path: Path) -> None:
    """Every verifier's reference data of ``chapter``, computed once for a whole class and
    written to ``path``: each grading process reads it instead of running the solution."""
    data = {grade_id: _reference_encoded(solution, v.collect) for grade_id, v in verifiers(chapter).items()}
    Path(path).write_text(json.dumps(data))


def load_references(path: Path, solution: Path) -> None:
    """Use the reference data ``save_references`` wrote (the instructor's file, not the kernel's)."""
    for grade_id, encoded in json.loads(Path(path).read_text()).items():
        _REFERENCE[(str(solution), grade_id)] = decode(encoded)


def learner_sources(nb: nbformat.NotebookNode) -> list[str]:
    """The code cells the learner wrote or could edit (everything but the locked test cells)."""
    out = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and not (meta.get("grade") and not meta.get("solution")):
            out.append(cell.source)
    return out


def judge(verifier: Verifier, solution: Path, grade_id: str, data_file: Path, sources: list[str]) -> str | None:
    """Why the data the kernel wrote to ``data_file`` fails the verifier, or None if it passes."""
    from traintech.testing import CheckFailed

    ref = reference_data(solution, grade_id, verifier.collect)
    try:
        got = read_data(data_file)
        verifier.check(got, ref, Context(sources))
    except (CheckFailed, BadData) as err:
        return str(err)
    except Exception as err:  # noqa: BLE001 - odd data the judge did not expect: wrong, not a crash
        return f"the data your code returned could not be checked ({type(err).__name__}: {err})"
    return None
