r"""The checks that the notebooks' test cells call.

Every verdict a test cell reaches goes through one of these helpers, so that

* a failing check tells the learner *what* differs (shape, dtype, the largest error and
  where it is, a hint) rather than just ``AssertionError``;
* the grader has one place where verdicts are made.

Each helper returns ``None`` when the check passes and raises :class:`CheckFailed` (an
``AssertionError``, so nbgrader scores the cell 0) with a readable message when it fails.

Helpers:

- :func:`assert_close` — tensors (or numbers) equal within dtype-aware tolerances;
- :func:`assert_true` — a plain condition with a learner-facing message;
- :func:`assert_raises` — a call raises the expected exception type;
- :func:`check_gradients` — analytical gradients against finite differences (float64 gradcheck);
- :func:`assert_mean_std`, :func:`assert_proportion`, :func:`assert_ks` — statistical checks
  for random operations (with tolerances in standard errors, so a correct answer passes
  for any fixed seed);
- :func:`check_no_delegation` — the answer does not call the library function it is meant
  to re-implement, nor anything from ``traintech``.
"""
from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import math
import re
import textwrap
import types
import warnings
from typing import Any, Callable, Iterable, Sequence

import torch

__all__ = [
    "CheckFailed",
    "assert_close",
    "assert_true",
    "assert_raises",
    "check_gradients",
    "assert_mean_std",
    "assert_proportion",
    "assert_ks",
    "check_no_delegation",
]


class CheckFailed(AssertionError):
    """A test-cell check failed; the message is written for the learner."""


def _fail(message: str, hint: str | None = None) -> None:
    if hint:
        message = f"{message}\nHint: {hint}"
    raise CheckFailed(message)


# ----------------------------------------------------------------------------- closeness

# (rtol, atol) by dtype: loose enough that two correct float32 implementations that sum in
# a different order always agree, tight enough that a real mistake (a missing eps, a
# biased variance, a wrong scale) never does.
_TOLERANCES = {
    torch.float16: (1e-3, 1e-3),
    torch.bfloat16: (1.6e-2, 1e-2),
    torch.float32: (1e-5, 1e-5),
    torch.float64: (1e-7, 1e-7),
}


def _as_tensor(value: Any, name: str, role: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (int, float, bool)):
        return torch.tensor(value)
    try:
        return torch.as_tensor(value)
    except Exception:
        _fail(f"{name}: expected a tensor but the {role} is {type(value).__name__} ({value!r:.80}).")


def _describe_index(index: Sequence[int]) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def assert_close(
    actual: Any,
    expected: Any,
    name: str = "output",
    rtol: float | None = None,
    atol: float | None = None,
    check_dtype: bool = True,
    hint: str | None = None,
) -> None:
    r"""Check that ``actual`` equals ``expected`` within tolerance, explaining any difference.

    Passes when ``torch.testing.assert_close`` does: :math:`|a - e| \le \mathrm{atol} +
    \mathrm{rtol} \cdot |e|` elementwise (NaN matches NaN, infinities must match exactly);
    tolerances default by dtype. A failure says which element is furthest off, by how much, and
    what the usual mistake is (``hint``).

    Args:
        actual: what the learner's code returned (a tensor, or a number).
        expected: the reference value (a tensor, or a number).
        name: what is being compared, used in the message. Default: ``"output"``
        rtol, atol: relative and absolute tolerance. Default: by dtype (float32: 1e-5, 1e-5)
        check_dtype: also require the same dtype. Default: ``True``
        hint: appended to the message on failure (what the usual mistake is).

    Example:
        >>> assert_close(torch.ones(2), torch.ones(2), name="dropout(x, p=0)")
    """
    if expected is not None and not isinstance(expected, torch.Tensor):
        expected = _as_tensor(expected, name, "reference")
        if isinstance(actual, torch.Tensor) and expected.is_floating_point():
            expected = expected.to(actual.dtype if actual.is_floating_point() else expected.dtype)
        check_dtype = False
    if actual is None:
        _fail(f"{name} is None: did the function forget to `return` its result?", hint)
    if not isinstance(actual, torch.Tensor):
        if isinstance(actual, (int, float, bool)) and expected.numel() == 1:
            actual = torch.tensor(actual, dtype=expected.dtype)
        else:
            _fail(f"{name} should be a torch.Tensor but is a {type(actual).__name__}.", hint)
    if actual.shape != expected.shape:
        _fail(
            f"{name} has shape {tuple(actual.shape)} but should have shape {tuple(expected.shape)}.",
            hint,
        )
    if check_dtype and actual.dtype != expected.dtype:
        _fail(f"{name} has dtype {actual.dtype} but should have dtype {expected.dtype}.", hint)

    a = actual.detach().cpu()
    e = expected.detach().cpu()
    exact = not (a.is_floating_point() or a.is_complex() or e.is_floating_point())
    dtype = e.dtype if e.is_floating_point() else a.dtype
    default_rtol, default_atol = (0.0, 0.0) if exact else _TOLERANCES.get(dtype, (1e-5, 1e-5))
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    try:  # the verdict is PyTorch's; what follows explains a failure
        torch.testing.assert_close(a.to(torch.float64) if not exact else a, e.to(torch.float64) if not exact else e,
                                   rtol=rtol, atol=atol, equal_nan=True, check_dtype=False, check_device=False)
        return
    except AssertionError:
        pass
    if exact:
        mismatch = a != e
        index = mismatch.nonzero()[0].tolist()
        _fail(
            f"{name} differs in {int(mismatch.sum())} of {a.numel()} elements; "
            f"first at {_describe_index(index)}: got {a[tuple(index)].item()}, "
            f"expected {e[tuple(index)].item()}.",
            hint,
        )
    a = a.to(torch.float64)
    e = e.to(torch.float64)

    a_nan, e_nan = torch.isnan(a), torch.isnan(e)
    if (a_nan & ~e_nan).any():
        index = (a_nan & ~e_nan).nonzero()[0].tolist()
        _fail(
            f"{name} contains NaN ({int((a_nan & ~e_nan).sum())} elements, first at "
            f"{_describe_index(index)}) where the expected value is "
            f"{e[tuple(index)].item():.6g}.",
            hint or "look for 0/0, sqrt of a negative number, or log(0).",
        )
    if (e_nan & ~a_nan).any():
        index = (e_nan & ~a_nan).nonzero()[0].tolist()
        _fail(f"{name} should be NaN at {_describe_index(index)} but is {a[tuple(index)].item():.6g}.", hint)
    a_inf, e_inf = torch.isinf(a), torch.isinf(e)
    inf_mismatch = (a_inf | e_inf) & (a != e)
    if inf_mismatch.any():
        index = inf_mismatch.nonzero()[0].tolist()
        _fail(
            f"{name} has an infinity mismatch at {_describe_index(index)}: got "
            f"{a[tuple(index)].item():.6g}, expected {e[tuple(index)].item():.6g}.",
            hint,
        )

    finite = ~(a_nan | e_nan | a_inf | e_inf)
    a_f = torch.where(finite, a, torch.zeros_like(a))
    e_f = torch.where(finite, e, torch.zeros_like(e))
    abs_err = (a_f - e_f).abs()
    allowed = atol + rtol * e_f.abs()
    bad = abs_err > allowed
    if bad.any():
        excess = torch.where(bad, abs_err - allowed, torch.zeros_like(abs_err))
        flat = int(torch.argmax(excess.reshape(-1)))
        index = list(torch.unravel_index(torch.tensor(flat), a.shape)) if a.dim() else []
        index = [int(i) for i in index]
        where = f" at {_describe_index(index)}" if index else ""
        got = a_f.reshape(-1)[flat].item()
        want = e_f.reshape(-1)[flat].item()
        rel = abs_err.reshape(-1)[flat].item() / max(abs(want), 1e-300)
        _fail(
            f"{name} is not close to the expected value: {int(bad.sum())} of {a.numel()} elements "
            f"differ. Largest difference{where}: got {got:.6g}, expected {want:.6g} "
            f"(absolute error {abs_err.max().item():.3g}, relative error {rel:.3g}; "
            f"allowed: atol={atol:g}, rtol={rtol:g}).",
            hint,
        )


def assert_true(condition: Any, message: str, hint: str | None = None) -> None:
    """Check a plain condition; ``message`` says what should have been true.

    Example:
        >>> x, y = torch.ones(2, 3), torch.zeros(2, 3)
        >>> assert_true(x.shape == y.shape, "the output should keep the input's shape")
    """
    if isinstance(condition, torch.Tensor):
        condition = bool(condition.all())
    if not condition:
        _fail(message, hint)


def _shown(value: Any) -> str:
    """An argument as a message shows it: a tensor by its shape, an object without a repr of its
    own by its type (``<random.Random>``: never a memory address, which differs at every run)."""
    if isinstance(value, torch.Tensor):
        return f"<tensor {tuple(value.shape)}>"
    return re.sub(r" object at 0x[0-9a-fA-F]+>", ">", repr(value))


def assert_raises(
    exception: type[BaseException] | tuple[type[BaseException], ...],
    fn: Callable,
    *args: Any,
    name: str | None = None,
    match: str | None = None,
    **kwargs: Any,
) -> BaseException:
    """Check that ``fn(*args, **kwargs)`` raises ``exception``; returns the exception.

    Args:
        exception: the expected exception type (or tuple of types).
        fn: the function to call.
        name: how to describe the call in the message. Default: built from the arguments
        match: a substring the exception's message must contain (case-insensitive).

    Example:
        >>> error = assert_raises(ValueError, torch.nn.functional.dropout, torch.ones(3), p=1.5)
        >>> "between 0 and 1" in str(error)  # the raised exception is returned
        True
    """
    expected = exception if isinstance(exception, tuple) else (exception,)
    expected_names = " or ".join(e.__name__ for e in expected)
    if name is None:
        shown = [_shown(a) for a in args] + [f"{k}={_shown(v)}" for k, v in kwargs.items()]
        name = f"{getattr(fn, '__name__', 'the function')}({', '.join(shown)})"
    try:
        fn(*args, **kwargs)
    except expected as err:
        if match is not None and match.lower() not in str(err).lower():
            _fail(f"{name} raised {type(err).__name__}({str(err)!r}), whose message should mention {match!r}.")
        return err
    except Exception as err:  # noqa: BLE001 - we report what was raised instead
        _fail(f"{name} should raise {expected_names} but raised {type(err).__name__}: {err}")
    _fail(f"{name} should raise {expected_names} but returned normally.")


# ----------------------------------------------------------------------------- gradients


def check_gradients(
    fn: Callable[..., Any],
    *inputs: Any,
    name: str | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> None:
    """Check ``fn``'s analytical gradients against finite differences, in float64.

    Floating-point tensor inputs are copied to float64 with ``requires_grad=True``; other
    inputs are passed as they are. ``fn`` must return a tensor (or a tuple of tensors).

    Args:
        fn: the function to differentiate.
        *inputs: its positional inputs.
        name: how to describe ``fn`` in the message. Default: its ``__name__``
        eps, atol, rtol: as in :func:`torch.autograd.gradcheck`.

    Example:
        >>> check_gradients(lambda x: (x - x.mean(dim=0)) / x.std(dim=0), torch.randn(5, 3))
    """
    name = name or getattr(fn, "__name__", "the function")
    prepared = []
    for value in inputs:
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            value = value.detach().to(torch.float64).clone().requires_grad_(True)
        prepared.append(value)
    if not any(isinstance(v, torch.Tensor) and v.requires_grad for v in prepared):
        raise ValueError("check_gradients needs at least one floating-point tensor input")

    try:
        out = fn(*prepared)
    except Exception as err:  # noqa: BLE001
        _fail(f"{name} raised {type(err).__name__} on float64 inputs: {err}")
    outputs = out if isinstance(out, (tuple, list)) else (out,)
    tensors = [o for o in outputs if isinstance(o, torch.Tensor)]
    if not tensors:
        _fail(f"{name} should return a tensor, but returned {type(out).__name__}.")
    if not any(o.requires_grad for o in tensors):
        _fail(
            f"{name}'s output is not connected to its input's gradient.",
            "avoid .detach(), .item(), .numpy(), torch.no_grad() or building a new tensor "
            "with torch.tensor(...) on the way from the input to the output.",
        )
    if any(o.is_floating_point() and o.dtype != torch.float64 for o in tensors):
        _fail(
            f"{name} returned {tensors[0].dtype} for float64 input: it should keep the input's dtype.",
            "create new tensors with dtype=x.dtype (or torch.*_like(x)).",
        )
    try:
        torch.autograd.gradcheck(fn, tuple(prepared), eps=eps, atol=atol, rtol=rtol, raise_exception=True)
    except Exception as err:  # noqa: BLE001
        detail = str(err).strip().splitlines()
        detail = " ".join(detail[:2]) if detail else type(err).__name__
        _fail(
            f"{name}'s gradient does not match finite differences: {detail}",
            "use only differentiable tensor operations, and no in-place changes to the input.",
        )


# ----------------------------------------------------------------------------- statistics
# One false-failure budget for every statistical check: a correct random operation fails any one
# check with probability FALSE_FAILURE, whatever the check. Grading one complete submission of
# every chapter makes about 100 statistical checks (counted); allowing 300 per student, a class
# of 1,000 makes 300,000, and at 1e-8 each the chance that any of them takes a point from a
# correct answer anywhere in the class is under 0.3 %.
FALSE_FAILURE = 1e-8
Z = 5.73  # standard errors allowed: the two-sided normal quantile of FALSE_FAILURE (tests/test_testing.py)
#
# A statistical check with a fixed seed gives the same verdict on every processor: PyTorch's CPU
# generator draws the same numbers everywhere (rand, randint, randperm, bernoulli with a tensor
# of probabilities, float64 randn), and float32 randn, made by a vectorized transform, differs
# only in its last bits (tests/test_testing.py checks both). A verdict could change only for a
# statistic within rounding of its threshold; in the wrong-answer suite (right, blind and wrong
# answers alike) the closest any statistical check comes is 0.91 of its allowance (passing) and
# 2.5 (failing; for the KS test, log p / log alpha), the same on a simulated CPU without AVX.


def assert_mean_std(
    samples: torch.Tensor,
    mean: float | None = None,
    std: float | None = None,
    name: str = "samples",
    z: float = Z,
    atol: float = 1e-6,
) -> None:
    r"""Check the sample mean and standard deviation of ``samples`` (all elements).

    The tolerances are ``z`` standard errors of the estimate
    (:math:`\sigma/\sqrt n` for the mean, :math:`\sigma/\sqrt{2n}` for the standard
    deviation), so a correct random operation passes for essentially every seed while a
    wrong scale or offset is caught once ``n`` is in the thousands.

    Args:
        samples: the values drawn.
        mean, std: the expected mean and standard deviation (``None``: not checked).
        name: what is being checked, for the message.
        z: how many standard errors are allowed. Default: ``Z`` (5.73, a false failure in 10^8)
    """
    x = samples.detach().to(torch.float64).reshape(-1)
    n = x.numel()
    if n < 2:
        raise ValueError(f"assert_mean_std needs at least 2 samples, got {n}")
    sample_mean = x.mean().item()
    sample_std = x.std(correction=1).item()
    sigma = std if std is not None else sample_std
    if mean is not None:
        tol = z * sigma / math.sqrt(n) + atol
        if abs(sample_mean - mean) > tol:
            _fail(
                f"{name} has mean {sample_mean:.5g}, expected {mean:.5g} "
                f"(allowed deviation ±{tol:.2g} over {n} values)."
            )
    if std is not None:
        tol = z * std / math.sqrt(2 * n) + atol
        if abs(sample_std - std) > tol:
            _fail(
                f"{name} has standard deviation {sample_std:.5g}, expected {std:.5g} "
                f"(allowed deviation ±{tol:.2g} over {n} values)."
            )


def assert_proportion(
    successes: int | torch.Tensor,
    trials: int,
    p: float,
    name: str = "proportion",
    z: float = Z,
    hint: str | None = None,
) -> None:
    r"""Check that ``successes`` out of ``trials`` is consistent with probability ``p``.

    Passes when the observed frequency is within ``z`` binomial standard errors
    :math:`\sqrt{p(1-p)/n}` of ``p`` (exactly equal when ``p`` is 0 or 1).

    Example:
        >>> _ = torch.manual_seed(0)
        >>> zeros = (torch.nn.functional.dropout(torch.ones(10_000), p=0.3) == 0).sum()
        >>> assert_proportion(zeros, 10_000, 0.3, name="fraction of zeroed elements")
    """
    if isinstance(successes, torch.Tensor):
        successes = int(successes.sum().item())
    if trials <= 0:
        raise ValueError(f"trials must be positive, got {trials}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    freq = successes / trials
    tol = z * math.sqrt(p * (1 - p) / trials)
    if abs(freq - p) > tol:
        _fail(
            f"{name} is {freq:.4f} ({successes} of {trials}) but should be about {p:.4f} "
            f"(allowed ±{tol:.2g}).",
            hint,
        )


def assert_ks(
    samples: torch.Tensor,
    distribution: str | Callable[[Any], Any],
    args: tuple = (),
    name: str = "samples",
    alpha: float = FALSE_FAILURE,
) -> None:
    """Kolmogorov–Smirnov test that ``samples`` follow ``distribution``.

    Args:
        samples: the values drawn (all elements are used).
        distribution: a :mod:`scipy.stats` distribution name (``"norm"``, ``"uniform"``,
            ...) or a CDF callable.
        args: the distribution's parameters, e.g. ``(loc, scale)`` for ``"norm"``;
            ``(low, high - low)`` for ``"uniform"``.
        name: what is being checked, for the message.
        alpha: the test fails when its p-value is below ``alpha``. Default: ``FALSE_FAILURE`` (1e-8)

    Example:
        >>> w = torch.empty(300, 500).normal_(0.0, 0.05, generator=torch.Generator().manual_seed(0))
        >>> assert_ks(w, "norm", args=(0.0, 0.05), name="xavier_normal_ weights")
    """
    from scipy import stats

    x = samples.detach().to(torch.float64).reshape(-1).numpy()
    result = stats.kstest(x, distribution, args=args)
    if result.pvalue < alpha:
        label = distribution if isinstance(distribution, str) else getattr(distribution, "__name__", "the CDF")
        _fail(
            f"{name} do not look like draws from {label}{tuple(args) if args else ''}: "
            f"Kolmogorov–Smirnov statistic {result.statistic:.4f}, p-value {result.pvalue:.2g} "
            f"(below {alpha:g})."
        )


# ----------------------------------------------------------------------------- delegation


def _resolve_dotted(path: str) -> Any:
    """Import ``"torch.nn.functional.dropout"`` → the object, by the longest importable prefix."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError as err:
            raise ValueError(f"forbidden name {path!r} does not exist") from err
        return obj
    raise ValueError(f"forbidden name {path!r} cannot be imported")


def _is_traintech(obj: Any) -> bool:
    if isinstance(obj, types.ModuleType):
        return obj.__name__ == "traintech" or obj.__name__.startswith("traintech.")
    module = getattr(obj, "__module__", None)
    return isinstance(module, str) and (module == "traintech" or module.startswith("traintech."))


def _functions_of(obj: Any) -> list[types.FunctionType]:
    """The Python functions whose source makes up ``obj`` (a function, method or class)."""
    if isinstance(obj, types.MethodType):
        obj = obj.__func__
    if isinstance(obj, types.FunctionType):
        return [obj]
    if isinstance(obj, type):
        found = []
        for value in vars(obj).values():
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if isinstance(value, property):
                found += [f for f in (value.fget, value.fset, value.fdel) if f is not None]
            elif isinstance(value, types.FunctionType):
                found.append(value)
        return found
    return []


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
           ast.GeneratorExp, ast.ClassDef)


def _scope(node) -> tuple[list, list, set]:
    """(what a scope evaluates in the enclosing scope, its own body, its parameters)."""
    if isinstance(node, ast.ClassDef):
        return node.bases + [k.value for k in node.keywords] + node.decorator_list, node.body, set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        a = node.args
        params = [p for p in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg] if p]
        outer = a.defaults + [d for d in a.kw_defaults if d] + getattr(node, "decorator_list", [])
        return outer, node.body if isinstance(node.body, list) else [node.body], {p.arg for p in params}
    first, *rest = node.generators
    results = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
    return [first.iter], [first.target, *first.ifs, *rest, *results], set()


def _bound(body: list, params: set) -> set:
    """The names a scope binds itself (so they never mean a top-level name in it); not its
    imports, which still name what they import."""
    names, declared, todo = set(params), set(), list(body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        if not isinstance(node, _SCOPES):
            todo.extend(ast.iter_child_nodes(node))
    return names - declared


def free_names(node, local: tuple = ()) -> list[ast.AST]:
    """The Name and Attribute nodes of ``node`` that do not mean a local variable or a parameter
    of an enclosing function, class body or comprehension: top-level names and imported
    modules (an import inside a function still names the module), outermost attribute chains
    only. The one reading of scopes behind both "implemented from primitives" checks: this
    one, inside the learner's kernel, and the grader's, outside it."""
    if isinstance(node, _SCOPES):
        outer, body, params = _scope(node)
        found = [n for child in outer for n in free_names(child, local)]
        inner = local + (_bound(body, params),)
        return found + [n for child in body for n in free_names(child, inner)]
    root = node
    while isinstance(root, ast.Attribute):
        root = root.value
    if isinstance(root, ast.Name) and isinstance(node, (ast.Name, ast.Attribute)):
        return [] if any(root.id in names for names in local) else [node]
    return [n for child in ast.iter_child_nodes(node) for n in free_names(child, local)]


def _chains(nodes: list[ast.AST]) -> list[tuple[list[str], int]]:
    """``F.dropout`` -> ``(["F", "dropout"], line)`` for each Name or Attribute node."""
    chains = []
    for node in nodes:
        chain, cur = [], node
        while isinstance(cur, ast.Attribute):
            chain.append(cur.attr)
            cur = cur.value
        chains.append(([cur.id, *reversed(chain)], node.lineno))
    return chains


class _NameCollector(ast.NodeVisitor):
    """Collects the imports of a function body (``import torch.nn.functional as F`` -> ``F``)."""

    def __init__(self) -> None:
        self.imports: dict[str, str] = {}

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.imports[alias.asname] = alias.name
            else:
                root = alias.name.split(".")[0]
                self.imports[root] = root

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level:
            for alias in node.names:
                self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"


def check_no_delegation(
    fn: Callable[..., Any] | type,
    forbidden: Iterable[str | Any] = (),
    name: str | None = None,
) -> None:
    """Check that an answer does not call what it is meant to re-implement.

    Reads the source of ``fn`` (a function or a class: all its methods), and of the
    learner's own helper functions it uses, and fails when it refers to any of the
    ``forbidden`` objects (however imported or aliased) or to anything from ``traintech``.

    Args:
        fn: the learner's function or class.
        forbidden: dotted names (``"torch.nn.functional.dropout"``) or the objects themselves.
        name: how to call ``fn`` in the message. Default: its ``__name__``

    Example:
        >>> # softsign is written from primitives (x / (|x| + 1)): it passes
        >>> check_no_delegation(torch.nn.functional.softsign, forbidden=["torch.nn.functional.softmax"])
    """
    banned: dict[int, str] = {}
    for item in forbidden:
        obj = _resolve_dotted(item) if isinstance(item, str) else item
        label = item if isinstance(item, str) else getattr(item, "__qualname__", repr(item))
        banned[id(obj)] = label
    name = name or getattr(fn, "__name__", "your answer")

    lineage = getattr(fn, "__mro__", None) or (fn,)
    reference = [c for c in lineage if _is_traintech(c)]
    if reference:
        _fail(f"{name} is (or inherits from) {reference[0].__module__}.{reference[0].__qualname__}: the exercise "
              f"must be your own implementation, not one of the course's.")
    inherited = [c for c in lineage if id(c) in banned]
    if inherited:
        _fail(f"{name} inherits from {banned[id(inherited[0])]}: this exercise asks you to implement it yourself.",
              "subclass nn.Module and write the computation from tensor operations.")
    if not _functions_of(fn):
        _fail(f"{name} should be a function or a class defined in this notebook, not a {type(fn).__name__}.")
    home_module = getattr(fn, "__module__", None)
    queue = list(_functions_of(fn))
    seen: set[int] = set()
    while queue:
        func = queue.pop()
        if id(func) in seen:
            continue
        seen.add(id(func))
        try:
            source = textwrap.dedent(inspect.getsource(func))
            tree = ast.parse(source)
        except (OSError, TypeError, SyntaxError) as err:
            _fail(f"cannot read the source of {func.__qualname__} to check it ({err}); define it in a code cell.")
        collector = _NameCollector()  # the imports in the function's own body
        collector.visit(tree)

        scope: dict[str, Any] = dict(vars(builtins))
        scope.update(func.__globals__)
        if func.__closure__:
            for var, cell in zip(func.__code__.co_freevars, func.__closure__):
                try:
                    scope[var] = cell.cell_contents
                except ValueError:
                    pass
        for alias, target in collector.imports.items():
            try:
                scope[alias] = _resolve_dotted(target)
            except ValueError:
                pass

        first_line = func.__code__.co_firstlineno
        for chain, lineno in _chains(free_names(tree)):
            if chain[0] not in scope:
                continue
            obj = scope[chain[0]]
            objects = [(chain[0], obj)]
            with warnings.catch_warnings():  # e.g. `.T` of a 1-D global tensor warns: not the learner's doing
                warnings.simplefilter("ignore")
                for attr in chain[1:]:
                    try:
                        obj = getattr(obj, attr)
                    except Exception:  # noqa: BLE001 - attributes of local values are not ours to judge
                        break
                    objects.append((attr, obj))
            for depth, (_, candidate) in enumerate(objects):
                spelled = ".".join(chain[: depth + 1])
                where = f"{func.__qualname__}, line {first_line + lineno - 1}"
                if id(candidate) in banned:
                    _fail(
                        f"{name} uses {spelled} ({banned[id(candidate)]}) in {where}: this exercise "
                        f"asks you to implement it yourself from tensor operations.",
                        "the function you are re-implementing is off limits here; build it "
                        "from primitives such as arithmetic, torch.rand, mean, sum and indexing.",
                    )
                if _is_traintech(candidate) and candidate is not fn:
                    _fail(
                        f"{name} uses {spelled} from traintech in {where}: the exercise "
                        f"must be your own implementation, so it must not call the course's code.",
                    )
            root = scope[chain[0]]
            for candidate in (root, objects[-1][1]):
                if candidate is fn:
                    continue
                if getattr(candidate, "__module__", None) == home_module and _functions_of(candidate):
                    if isinstance(candidate, (types.FunctionType, types.MethodType, type)):
                        queue.extend(_functions_of(candidate))
