"""How a graded test cell runs a check, in the notebook and in the grader.

Every autograded test cell of the course is generated from one of the course's *checks*:
a pair of plain functions.

- ``collect(answer, ...)`` calls the learner's functions on inputs it builds itself (seeded)
  and returns **data**: tensors, numbers, strings, lists, dicts, dtypes.
- ``judge(got, ref, context)`` raises :class:`~traintech.testing.CheckFailed` when ``got``,
  the data of the learner's code, is wrong. ``ref`` is the same ``collect`` run on the
  reference implementation (PyTorch's own function where PyTorch has one); judges take
  their inputs from ``ref``, never from ``got``.

In the notebook, :func:`run` does both in the learner's kernel, so a failure explains itself
at once. When the course is graded, the grader also judges the same data *outside* the
kernel, where the notebook cannot patch the judge: :func:`record` writes what the cell
collected, and the grader decodes it strictly (:func:`decode`) and judges it again.

The data crosses as :func:`encode` writes it in both places, so a judge sees the same kind of
values in the notebook and in the grader.

Example:
    >>> def collect(double):
    ...     return {"double(3)": double(torch.tensor(3.0))}
    >>> def judge(got, ref, context):
    ...     same(got, ref)
    >>> run(collect, judge, lambda t: 2 * t, reference=[lambda t: t + t])
"""
from __future__ import annotations

import base64
import functools
import json
import math
from pathlib import Path
from typing import Any, Callable

import torch

from .kernel import KERNEL_TABLE
from .testing import CheckFailed, _fail, assert_close, check_no_delegation

__all__ = [
    "run", "record", "raises", "gradient_probe", "encode", "decode", "BadData",
    "same", "entry", "agree", "expect_tensor", "expect_raised", "expect_entries", "raised_like",
    "gradients_consistent", "equal",
]



# ----------------------------------------------------------------------------- what collect uses


def raises(fn: Callable, *args, **kwargs) -> list[str] | None:
    """The names of the exception ``fn(*args, **kwargs)`` raised and of its bases, or None.

    Example:
        >>> raises(int, "x")[:2]
        ['ValueError', 'Exception']
    """
    try:
        fn(*args, **kwargs)
    except Exception as err:  # noqa: BLE001 - the data is which exception it was
        return [c.__name__ for c in type(err).__mro__]
    return None


def gradient_probe(fn: Callable, x: torch.Tensor, seed: int = 0, directions: int = 3, h: float = 1e-6) -> dict:
    """What a gradient check needs, as data: ``fn``'s autograd gradient of a random weighting of
    its output at ``x`` (float64), and central finite differences of the same weighting along
    random directions. Judged by :func:`gradients_consistent`, as ``torch.autograd.gradcheck`` would.
    """
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


# ----------------------------------------------------------------------------- the data


class BadData(ValueError):
    """What a cell collected is not data a judge accepts."""


_DTYPES = {
    "torch.float64": "float64", "torch.float32": "float32", "torch.float16": "float16",
    "torch.int64": "int64", "torch.int32": "int32", "torch.int16": "int16", "torch.int8": "int8",
    "torch.uint8": "uint8", "torch.bool": "bool",
}


def encode(obj: Any, depth: int = 0) -> Any:
    """``obj`` as JSON-ready data: tensors (detached, on the CPU), numbers, strings, None, dtypes,
    lists, tuples and dicts of those. Anything else raises ``TypeError``.

    Example:
        >>> encode({"x": torch.tensor([1.0]), "n": (1, 2)})
        {'$dict': [['x', {'$tensor': ['torch.float32', [1], 'AACAPw==']}], ['n', [1, 2]]]}
    """
    import numpy

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
        if str(t.dtype) not in _DTYPES:
            raise TypeError(f"cannot record a tensor of dtype {t.dtype}")
        return {"$tensor": [str(t.dtype), list(t.shape), base64.b64encode(t.numpy().tobytes()).decode()]}
    if isinstance(obj, (list, tuple, torch.Size)):
        return [encode(v, depth + 1) for v in obj]
    if isinstance(obj, dict):
        return {"$dict": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in obj.items()]}
    raise TypeError(f"cannot record a {type(obj).__name__}")


def decode(obj: Any, depth: int = 0) -> Any:
    """The inverse of :func:`encode`, accepting nothing else: the input is untrusted."""
    import numpy

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
        return torch.from_numpy(numpy.frombuffer(raw, dtype=np_dtype).reshape(shape).copy())
    raise BadData(f"unexpected {kind!r} in the data")


def roundtrip(obj: Any) -> Any:
    """``obj`` as a judge receives it: encoded, through JSON, decoded."""
    return decode(json.loads(json.dumps(encode(obj))))


# ----------------------------------------------------------------------------- running a check


class KernelContext:
    """What a judge may look at besides the data, in the notebook: the learner's live objects."""

    def __init__(self, answers: dict[str, Any], namespace: dict | None = None):
        self.answers = answers
        if namespace is None:  # the notebook's: other names a judge asks about (``unfreeze`` next to ``freeze``)
            from IPython import get_ipython

            shell = get_ipython()
            namespace = shell.user_ns if shell is not None else {}
        self.namespace = namespace

    def no_delegation(self, name: str, forbidden: list[str]) -> None:
        """Fail when the learner's ``name`` calls one of ``forbidden`` or anything in traintech."""
        if name not in self.answers and name not in self.namespace:
            _fail(f"{name} is not defined: this exercise asks you to implement it yourself.")
        answer = self.answers[name] if name in self.answers else self.namespace[name]
        check_no_delegation(answer, forbidden=forbidden, name=name)


_COLLECTED: list[Any] = []  # the data of the cell's checks so far, for the grader (record)


def _reference(item: Any) -> Any:
    """``item``, or the object its dotted name names (``"torch.nn.functional.batch_norm"``)."""
    if not isinstance(item, str):
        return item
    import importlib

    module, _, name = item.rpartition(".")
    return getattr(importlib.import_module(module), name)


EXPECTED = "expected.json"  # in the student edition's traintech: the visible checks' reference data


def expected_key(collect: Callable, reference: list[str]) -> str:
    """Where the student edition files the reference data of a visible check: its ``collect``'s
    name, its references' dotted names (unique in the course) and a digest of the ``collect``'s
    source, so that a check changed since the edition was built is told apart."""
    import hashlib
    import inspect
    import textwrap

    source = textwrap.dedent(inspect.getsource(collect)).strip()
    return f"{collect.__name__}({', '.join(reference)}) {hashlib.sha256(source.encode()).hexdigest()[:12]}"


def _reference_data(collect: Callable, reference: list) -> Any:
    """``collect`` run on the ``reference``, as a judge receives it. In the student edition, which
    leaves the graded exercises' references (``traintech.reference``) out, the data the edition's
    build computed with them (``traintech/expected.json``)."""
    try:
        objects = [_reference(r) for r in reference]
    except ModuleNotFoundError as err:
        if not (err.name or "").startswith("traintech.reference"):
            raise
        return _expected_data(collect, list(reference))
    return roundtrip(collect(*objects))


@functools.lru_cache(maxsize=1)
def _expected_table() -> dict:
    """The data of the visible checks whose reference this Python cannot import: the file the
    grader hands an isolated kernel (``$TRAINTECH_EXPECTED``: the chapter being graded; its hidden
    checks are the grader's alone to judge), else the student edition's ``traintech/expected.json``."""
    import os
    from importlib import resources

    given = os.environ.get(KERNEL_TABLE)
    source = Path(given) if given else resources.files("traintech").joinpath(EXPECTED)
    return json.loads(source.read_text()) if source.is_file() else {}


GRADER_JUDGES = object()  # what a grading kernel has instead of a hidden check's reference data


def _expected_data(collect: Callable, reference: list[str]) -> Any:
    import os

    table = _expected_table()
    try:
        key = expected_key(collect, reference)
    except (OSError, TypeError):  # no source to read: a collect defined where Python keeps none
        key = None
    if key in table:
        return decode(table[key])
    if os.environ.get(KERNEL_TABLE):  # a grading kernel: a hidden check, which the grader alone judges
        return GRADER_JUDGES
    named = f"{collect.__name__}({', '.join(reference)}) "
    why = ("was changed after the course's helpers you installed were built" if any(k.startswith(named) for k in table)
           else "is not one the course's helpers you installed were built with")
    raise RuntimeError(f"this check ({collect.__name__}) {why}: your notebook and your course folder come from "
                       f"different releases. Ask your instructor for the current course folder (or image) and "
                       f"install it; your answers are not the problem.")


def run(collect: Callable, judge: Callable, *answers: Any, reference: list = (), namespace: dict | None = None) -> None:
    """Run one check in the notebook: ``collect`` on the learner's ``answers`` and on the
    ``reference`` (objects, or dotted names such as ``"torch.nn.functional.batch_norm"``), then
    ``judge`` the two as the grader will. Raises ``CheckFailed`` (or what the learner's code
    raised) when the answer is wrong; the collected data is kept for :func:`record`. In a kernel
    the grader isolates, a hidden check is only collected: the grader judges it outside.
    ``namespace``: where the judge finds the learner's other names (default: the notebook's).
    """
    names = list(collect.__code__.co_varnames[:collect.__code__.co_argcount])
    try:
        got = encode(collect(*answers))
    except Exception as err:
        _COLLECTED.append({"error": f"{type(err).__name__}: {str(err)[:500]}"})
        raise
    _COLLECTED.append({"result": got})
    ref = _reference_data(collect, reference)
    if ref is GRADER_JUDGES:
        return
    judge(decode(json.loads(json.dumps(got))), ref, KernelContext(dict(zip(names, answers)), namespace))


def record(path: str) -> None:
    """Write the data the checks of the last test cell collected to ``path`` (for the grader),
    and forget it."""
    with open(path, "w") as f:
        json.dump(list(_COLLECTED), f)
    _COLLECTED.clear()


# ----------------------------------------------------------------------------- what judges use


def entry(data: Any, key: Any) -> Any:
    """``data[key]``, failing (not crashing) when the learner's data has another form."""
    if not isinstance(data, dict) or key not in data:
        _fail(f"the data your code returned has no entry {key!r}")
    return data[key]


def equal(got: Any, want: Any) -> bool:
    """``got == want`` as ``assert_true`` sees it (a tensor: all its elements); False on odd data."""
    try:
        result = got == want
        return bool(result.all()) if isinstance(result, torch.Tensor) else bool(result)
    except Exception:  # noqa: BLE001 - odd data: not equal
        return False


def expect_entries(got: Any, keys) -> dict:
    """The learner's data as a dict with exactly ``keys`` (fails, never crashes, on another form)."""
    if not isinstance(got, dict) or set(got) != set(keys):
        shown = sorted(map(str, got)) if isinstance(got, dict) else type(got).__name__
        _fail(f"the data your code returned should have the entries {sorted(map(str, keys))}, got {shown}")
    return got


def expect_tensor(got: Any, name: str, shape=None, dtype=None) -> torch.Tensor:
    """The learner's ``got``, which must be a tensor (of that shape and dtype)."""
    if not isinstance(got, torch.Tensor):
        _fail(f"{name} should be a tensor, but is a {type(got).__name__}")
    if shape is not None and tuple(got.shape) != tuple(shape):
        _fail(f"{name} has shape {tuple(got.shape)} but should have shape {tuple(shape)}")
    if dtype is not None and got.dtype != dtype:
        _fail(f"{name} has dtype {got.dtype} but should have dtype {dtype}")
    return got


def expect_raised(got: Any, exception: str | None, call: str, hint: str | None = None) -> None:
    """``got``, the data of ``raises(...)`` for ``call``, shows ``exception`` (or a subclass) was
    raised; with ``exception`` None, that the call returned normally."""
    raised = got[0] if isinstance(got, list) and got and isinstance(got[0], str) else got
    if exception is None:
        if got is not None:
            _fail(f"{call} should return normally, but raised {raised!r:.100}", hint)
    elif not (isinstance(got, list) and exception in got):
        _fail(f"{call} should raise {exception} but " + ("returned normally" if got is None else f"raised {raised!r:.100}"),
              hint)


def raised_like(got: Any, ref: Any, hint: str | None = None) -> None:
    """Each call in ``ref`` (``{call: raises(...)}``) raised what the reference raised (or a
    subclass), or returned normally where the reference did."""
    for call, expected in ref.items():
        names = got.get(call, ["(no data)"]) if isinstance(got, dict) else ["(no data)"]
        expect_raised(names, None if expected is None else expected[0], call, hint)


def same(got: Any, ref: Any, where: str = "result", rtol: float | None = None, atol: float | None = None,
         hint: str | None = None) -> None:
    """Fail unless the learner's data equals the reference's: the same structure, and tensors of
    the same shape and dtype, close within the tolerance (``assert_close``)."""
    if isinstance(ref, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            _fail(f"{where} should be a tensor, but is a {type(got).__name__}", hint)
        assert_close(got, ref, name=where, rtol=rtol, atol=atol, hint=hint)
    elif isinstance(ref, dict):
        if not isinstance(got, dict) or set(got) != set(ref):
            _fail(f"{where} does not have the expected entries", hint)
        for key in ref:
            same(got[key], ref[key], f"{where}[{key!r}]", rtol, atol, hint)
    elif isinstance(ref, list):
        if not isinstance(got, list) or len(got) != len(ref):
            _fail(f"{where} should have {len(ref)} items", hint)
        for i, (g, r) in enumerate(zip(got, ref)):
            same(g, r, f"{where}[{i}]", rtol, atol, hint)
    elif isinstance(ref, float) and isinstance(got, (int, float)) and not isinstance(got, bool):
        if not (math.isclose(got, ref, rel_tol=rtol or 1e-6, abs_tol=atol or 1e-7) or (math.isnan(got) and math.isnan(ref))):
            _fail(f"{where} is {got!r} but should be {ref!r}", hint)
    elif type(got) is not type(ref) or got != ref:
        _fail(f"{where} is {got!r} but should be {ref!r}", hint)


def agree(got: Any, ref: Any, *keys: Any, hint: str | None = None, **tolerances) -> None:
    """The learner's entries ``keys`` equal the reference's (:func:`same`)."""
    for key in keys:
        same(entry(got, key), ref[key], str(key), hint=hint, **tolerances)


def gradients_consistent(got: Any, ref: dict, name: str, atol: float = 1e-5, rtol: float = 1e-3) -> None:
    """Judge a :func:`gradient_probe`: the learner's autograd gradient must agree with finite
    differences of the learner's own function (gradcheck's test), along the reference's random
    directions; a missing gradient or a changed dtype fails, as in ``check_gradients``."""
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


CheckFailed = CheckFailed  # re-exported: what a judge raises
