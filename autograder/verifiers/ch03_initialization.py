"""Chapter 3: the test cells of activation_stds, the initializers and the transfer helpers,
checked outside the notebook.

Each verifier checks what its test cell checks, no more, on fresh inputs. The initializers
are random: they are judged as the tests judge them (bounds, largest value, mean and std,
Kolmogorov-Smirnov, orthogonality, signs, in place, the same draws from the same seeded
generator), with the target distributions written here, never taken from the kernel. The
deterministic exercises are compared with the reference solution's data on the same inputs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from autograder.verify import Context, Verifier, expect_entries, expect_raised, expect_tensor, same
from traintech.testing import _fail, assert_close, assert_ks, assert_mean_std, assert_proportion, assert_true

INIT_FORBIDDEN = ["torch.nn.init." + f for f in (
    "uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
    "kaiming_normal_", "orthogonal_", "calculate_gain", "_calculate_fan_in_and_fan_out", "_calculate_correct_fan",
    "_no_grad_uniform_", "_no_grad_normal_")]


# ----------------------------------------------------------------------------- judging helpers


def _list(got, n: int, name: str) -> list:
    if not isinstance(got, list) or len(got) != n:
        _fail(f"{name} should be a list of {n} items")
    return got


def _equal(got, expected: int) -> bool:
    """``got == expected`` as a test's ``assert_true(n == expected, ...)`` sees it."""
    if isinstance(got, torch.Tensor):
        return bool((got == expected).all())
    return isinstance(got, (bool, int, float)) and got == expected


def _raises_list(calls: list[str], fn: str) -> str:
    """Source of a list of ``raises(fn, <args>)``, one per call's argument source."""
    return "[" + ", ".join(f"raises({fn}, {args})" for args in calls) + "]"


def _raised(got, calls: list[str], fn: str, exception: str = "ValueError") -> None:
    """Each item of ``got`` (the data of ``_raises_list(calls, fn)``) names ``exception``, as ``assert_raises``."""
    for args, err in zip(calls, _list(got, len(calls), f"the errors of {fn}")):
        expect_raised(err, exception, f"{fn}({args})")


def _tensor_like(got, ref: torch.Tensor, name: str) -> torch.Tensor:
    """``got`` as a tensor of the reference's shape and dtype."""
    return expect_tensor(got, name, ref.shape, ref.dtype)


def _pure(verifier: Verifier, names: list[str], forbidden: list[str] = ()) -> Verifier:
    """``verifier`` plus the cell's ``check_no_delegation``: each of ``names`` is defined in the
    notebook without using ``forbidden`` or traintech (read statically from the learner's code),
    and the function the kernel calls is not traintech's (its ``__module__``, from the data)."""
    modules = ", ".join(f'getattr({name}, "__module__", None)' for name in names)
    collect = verifier.collect + f"\nresult = {{'result': result, 'modules': [{modules}]}}\n"

    def judge(got, ref, context: Context) -> None:
        for name in names:
            context.no_delegation(name, list(forbidden))
        got = expect_entries(got, ref)
        for name, module in zip(names, _list(got["modules"], len(names), "the modules")):
            if isinstance(module, str) and module.split(".")[0] == "traintech":
                _fail(f"{name} is {module}.{name}: traintech holds the reference solutions, "
                      f"so the exercise must be your own implementation.")
        verifier.check(got["result"], ref["result"], context)

    return Verifier(collect, judge)


# ----------------------------------------------------------------------------- initializers


@dataclass(frozen=True)
class Draw:
    """One call of an initializer on a fresh ``torch.empty(shape)`` and what the test checks of it:
    ``scale`` is the bound (uniform) or the std (normal); ``checks`` among "returned" (the call
    returns the tensor it filled), "bound" (|w| <= scale), "max" (max |w| close to scale within
    ``max_rtol``), "ks" (Kolmogorov-Smirnov against the distribution), "mean_std"."""

    shape: tuple
    args: str
    scale: float
    checks: tuple
    dtype: str = "float32"
    max_rtol: float = 1e-3


def _draws(fn: str, dist: str, draws: list[Draw], seed: int, errors: list[str] = ()) -> Verifier:
    """A cell that fills fresh tensors with ``fn`` (each from its own seeded generator) and judges
    each one's values against ``dist`` ("uniform" or "norm"), plus the ValueErrors of ``errors``."""
    lines = ["_tensors = [" + ", ".join(f"torch.empty({d.shape}, dtype=torch.{d.dtype})" for d in draws) + "]",
             "_returned = []"]
    for i, d in enumerate(draws):
        args = f"{d.args}, " if d.args else ""
        lines.append(f"_returned.append({fn}(_tensors[{i}], {args}generator=torch.Generator().manual_seed({seed + i}))"
                     f" is _tensors[{i}])")
    lines.append(f"result = {{'returned': _returned, 'values': _tensors, 'errors': {_raises_list(list(errors), fn)}}}")

    def judge(got, ref, context: Context) -> None:
        got = expect_entries(got, ref)
        returned = _list(got["returned"], len(draws), "returned")
        values = _list(got["values"], len(draws), "values")
        for i, d in enumerate(draws):
            name = f"{fn}(torch.empty({d.shape}, dtype=torch.{d.dtype}){', ' + d.args if d.args else ''})"
            if "returned" in d.checks:
                assert_true(returned[i] is True, f"{fn} should fill the tensor in place and return that same tensor")
            w = _tensor_like(values[i], ref["values"][i], name)
            largest = w.abs().max()
            if "bound" in d.checks:
                assert_true(largest <= d.scale * (1 + 1e-6), f"every value of {name} should lie in "
                            f"[-{d.scale:.4f}, {d.scale:.4f}], but the largest |value| is {largest:.4f}")
            if "max" in d.checks:
                assert_close(largest, torch.tensor(d.scale, dtype=w.dtype), rtol=d.max_rtol,
                             name=f"the largest |value| of {name}")
            if "ks" in d.checks:
                args = (-d.scale, 2 * d.scale) if dist == "uniform" else (0.0, d.scale)
                assert_ks(w, dist, args=args, name=f"the values of {name}")
            if "mean_std" in d.checks:
                assert_mean_std(w, mean=0.0, std=d.scale, name=f"the values of {name}")
        _raised(got["errors"], list(errors), fn)

    return Verifier("\n".join(lines), judge)


def _in_place(fn: str, layer: str, shape: tuple, seed: int, errors: list[str] = ()) -> Verifier:
    """A cell that fills a layer's weight (an nn.Parameter) and an empty tensor from two generators
    seeded alike: the parameter still requires grad, the two fills are equal, no torch.nn.init inside."""
    collect = f'''
torch.manual_seed({seed})
_layer = {layer}
_empty = torch.empty{shape}
{fn}(_layer.weight, generator=torch.Generator().manual_seed({seed}))
_again = {fn}(_empty, generator=torch.Generator().manual_seed({seed}))
result = {{"requires_grad": _layer.weight.requires_grad, "filled": _layer.weight.detach(), "again": _again,
          "errors": {_raises_list(list(errors), fn)}}}
'''

    def judge(got, ref, context: Context) -> None:
        got = expect_entries(got, ref)
        assert_true(got["requires_grad"] is True, "the parameter should still require grad")
        filled = _tensor_like(got["filled"], ref["filled"], f"the weight {fn} filled")
        again = _tensor_like(got["again"], ref["filled"], f"what {fn} returned")
        assert_close(filled, again, name="two fills with the same seeded generator",
                     hint="pass generator=generator to the random operation.")
        _raised(got["errors"], list(errors), fn)

    return _pure(Verifier(collect, judge), [fn], INIT_FORBIDDEN)


SQRT3 = math.sqrt(3)

XAVIER_UNIFORM = [
    Draw((300, 200), "", math.sqrt(6 / 500), ("returned", "bound", "max", "ks")),
    Draw((64, 32, 3, 3), "gain=5 / 3", 5 / 3 * math.sqrt(6 / (96 * 9)), ("bound", "ks")),
    Draw((10, 5000), "gain=0.5", 0.5 * math.sqrt(6 / 5010), ("ks",), dtype="float64"),
]
XAVIER_NORMAL = [
    Draw((300, 200), "", math.sqrt(2 / 500), ("returned", "mean_std", "ks")),
    Draw((64, 32, 3, 3), "gain=5 / 3", 5 / 3 * math.sqrt(2 / (96 * 9)), ("mean_std", "ks")),
    Draw((5000, 10), "gain=2.0", 2 * math.sqrt(2 / 5010), ("mean_std",), dtype="float64"),
]
KAIMING_UNIFORM = [
    Draw((200, 300), "", math.sqrt(6 / 300), ("returned", "bound", "max", "ks")),
    Draw((32, 16, 5, 5), "a=0.2", SQRT3 * math.sqrt(2 / 1.04) / 20, ("bound", "ks")),
    Draw((100, 400), "a=math.sqrt(5)", SQRT3 * math.sqrt(2 / 6) / 20, ("ks",), dtype="float64"),
]
KAIMING_UNIFORM_MODES = [
    Draw((200, 300), 'mode="fan_out", nonlinearity="relu"', math.sqrt(6 / 200), ("max",)),
    Draw((64, 16, 3, 3), 'mode="fan_out", nonlinearity="tanh"', SQRT3 * 5 / 3 / 24, ("max",), max_rtol=0.01),
    Draw((50, 2000), 'a=0.7, nonlinearity="linear"', math.sqrt(3 / 2000), ("max",)),
]
KAIMING_NORMAL = [
    Draw((200, 300), "", math.sqrt(2 / 300), ("returned", "mean_std", "ks")),
    Draw((32, 16, 5, 5), "a=0.2", math.sqrt(2 / 1.04) / 20, ("mean_std", "ks")),
    Draw((100, 400), "a=3.0", math.sqrt(2 / 10) / 20, ("mean_std",), dtype="float64"),
]
KAIMING_NORMAL_MODES = [
    Draw((200, 300), 'mode="fan_out", nonlinearity="relu"', math.sqrt(2 / 200), ("mean_std",)),
    Draw((64, 8, 3, 3), 'mode="fan_out", nonlinearity="tanh"', 5 / 3 / 24, ("mean_std",)),
    Draw((50, 2000), 'a=0.7, nonlinearity="sigmoid"', 1 / math.sqrt(2000), ("mean_std",)),
]


# ----------------------------------------------------------------------------- orthogonal_

# (shape, gain, dtype): the first is judged as filled in place, the others by what orthogonal_ returns.
ORTHOGONAL_SHAPES = [((64, 64), 1.0, "float32"), ((3, 5), 1.0, "float32"), ((5, 3), 2.0, "float32"),
                     ((8, 4, 3, 3), 0.5, "float32"), ((40, 2, 3), 1.0, "float32"), ((30, 30), 1.0, "float64")]


def _orthogonal_shapes(got, ref, context: Context) -> None:
    got = expect_entries(got, ref)
    assert_true(got["returned"] is True, "orthogonal_ should fill the tensor in place and return it")
    values = _list(got["values"], len(ORTHOGONAL_SHAPES), "values")
    for i, (shape, gain, dtype) in enumerate(ORTHOGONAL_SHAPES):
        name = f"orthogonal_(torch.empty({shape}, dtype=torch.{dtype}), gain={gain})"
        w = _tensor_like(values[i], ref["values"][i], name)
        flat = w.reshape(shape[0], -1)
        gram = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
        assert_close(gram, gain ** 2 * torch.eye(gram.shape[0], dtype=w.dtype), atol=1e-10 if dtype == "float64" else 1e-5,
                     name=f"the Gram matrix of {name} (viewed as (size(0), numel // size(0)))")
    assert_true(got["parameter requires grad"] is True,
                "orthogonal_ should work on an nn.Parameter (fill it under torch.no_grad())")


def _orthogonal_haar(got, ref, context: Context) -> None:
    got = expect_entries(got, ref)
    for key, shape in [("square", (3, 3)), ("wide", (3, 5)), ("tall", (5, 3))]:
        diagonals = _tensor_like(got[key], ref[key], f"the diagonals of the {shape} draws")
        n = diagonals.shape[0]
        for i in range(3):
            if key == "square":
                assert_ks(diagonals[:, i], "uniform", args=(-1.0, 2.0), name=f"W[{i}, {i}] of {n} orthogonal 3x3 matrices")
            assert_proportion((diagonals[:, i] > 0).sum(), n, 0.5, name=f"the fraction of {shape} draws with W[{i}, {i}] > 0",
                              hint="without the sign correction Q = Q * sign(diag(R)), QR's own sign convention "
                                   "decides the signs and the matrix is not uniformly distributed.")


def _orthogonal_errors(got, ref, context: Context) -> None:
    got = expect_entries(got, ref)
    _raised(got["errors"], ORTHOGONAL_ERRORS, "orthogonal_")
    a = _tensor_like(got["a"], ref["a"], "orthogonal_(torch.empty(6, 4))")
    b = _tensor_like(got["b"], ref["a"], "orthogonal_(torch.empty(6, 4)) again")
    assert_close(a, b, name="two orthogonal_ fills with the same seeded generator",
                 hint="draw the Gaussian matrix with torch.randn(..., generator=generator).")


# ----------------------------------------------------------------------------- the other exercises


def _activation_stds_values(got, ref, context: Context) -> None:
    got = expect_entries(got, ref)
    assert_true(got["a list of floats"] is True,
                "activation_stds should return a list of Python floats, one per child (use .item())")
    stds = _list(got["stds"], len(ref["stds"]), "the stds of the three models")
    for name, g, r in zip(["an MLP", "a small CNN", "a model with nn.ReLU(inplace=True)"], stds, ref["stds"]):
        assert_close(_tensor_like(g, r, f"activation_stds of {name}"), r, name=f"activation_stds of {name}",
                     hint="record output.std() inside the hook of every child, in the order the children run.")


def _activation_stds_hooks(got, ref, context: Context) -> None:
    got = expect_entries(got, ref)
    err = got["broken model raised"]
    assert_true(err is None or (isinstance(err, list) and "RuntimeError" in err),
                "activation_stds should let the model's RuntimeError through (or catch it), not raise another error")
    same({k: v for k, v in got.items() if k != "broken model raised"},
         {k: v for k, v in ref.items() if k != "broken model raised"})


def _fans_errors(got, ref, context: Context) -> None:
    got = expect_entries(got, ref)
    _raised(got["errors"], FAN_ERRORS, "calculate_fan_in_and_fan_out")
    assert_true(got["ints"] is True, "fan_in and fan_out should be Python ints")


def _counts(got, ref, context: Context) -> None:
    got = expect_entries(got, ref)
    assert_true(got.get("an int", True) is True, "count_trainable_parameters should return a Python int")
    counts = _list(got["counts"], len(ref["counts"]), "the counts")
    for i, (g, r) in enumerate(zip(counts, ref["counts"])):
        assert_true(_equal(g, r), f"count {i} should be {r} trainable parameters, got {g!r:.80}")


def _discriminative_rates(got, ref, context: Context) -> None:
    got = expect_entries(got, ref)
    assert_true(got["a list of 3"] is True, "discriminative_param_groups should return a list, one group per layer group")
    for key in ["rates of 3 modules, default decay", "rates of module, list, tensor, generator"]:
        assert_close(_tensor_like(got[key], ref[key], key), ref[key], name=key,
                     hint="the LAST group gets lr; group l gets lr / decay ** (L - 1 - l).")
    assert_close(got["rate of a single group"], ref["rate of a single group"], name="the rate of a single group")
    same(got["params of 3 modules"], ref["params of 3 modules"], "the parameters of each group (their positions)")
    same(got["sizes of module, list, tensor, generator"], ref["sizes of module, list, tensor, generator"],
         "the number of parameters of groups given as a module, a list, a tensor and a generator")
    same(got["size of a frozen group"], ref["size of a frozen group"], "the number of parameters of a frozen group")


def _discriminative_optimizer(got, ref, context: Context) -> None:
    got = expect_entries(got, ref)
    _raised(got["errors"], DISCRIMINATIVE_ERRORS, "discriminative_param_groups")
    assert_close(_tensor_like(got["rates"], ref["rates"], "the rates seen by torch.optim.SGD"), ref["rates"],
                 name="the rates seen by torch.optim.SGD")
    weight = _tensor_like(got["first weight after a step"], ref["first weight after a step"], "the first layer's weight")
    assert_close(weight, ref["first weight after a step"], name="one SGD step on the first group",
                 hint="the first group's rate should be lr / decay.")


FAN_ERRORS = ["torch.empty(6)", "torch.tensor(2.0)"]
GAIN_ERRORS = ['"softplus"', '"leaky_relu", "0.2"', '"leaky_relu", True', '"leaky_relu", [0.1]', '"ReLU"']
ORTHOGONAL_ERRORS = ["torch.empty(6)"]
DISCRIMINATIVE_ERRORS = ["[_model[0]], 0.1, decay=0.0", "[_model[0]], -0.1", "[], 0.1", "[_model[0]], 0.1, decay=-2.6"]
PROGRESSIVE_ERRORS = ["_groups, 3", "_groups, -1", "_groups, 1.5"]

VERIFIERS = {
    # -------------------------------------------------------------- activation_stds
    # The models run again after the calls, as the test does to compute its expected values:
    # a hook left behind would keep appending to the list activation_stds returned.
    "test_activation_stds_values": Verifier('''
torch.manual_seed(301)
_mlp = nn.Sequential(nn.Linear(20, 30), nn.Tanh(), nn.Linear(30, 10), nn.ReLU())
_x_mlp = torch.randn(64, 20)
_cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 5))
_x_cnn = torch.randn(16, 1, 8, 8)
_inplace = nn.Sequential(nn.Linear(10, 50), nn.ReLU(inplace=True), nn.Linear(50, 3))
_x_inplace = torch.randn(200, 10)
_stds = [activation_stds(_mlp, _x_mlp), activation_stds(_cnn, _x_cnn), activation_stds(_inplace, _x_inplace)]
_floats = isinstance(_stds[0], list) and len(_stds[0]) == 4 and all(isinstance(s, float) for s in _stds[0])
with torch.no_grad():
    for _m, _x in [(_mlp, _x_mlp), (_cnn, _x_cnn), (_inplace, _x_inplace)]:
        for _layer in _m:
            _x = _layer(_x)
result = {"stds": [torch.tensor(s) for s in _stds], "a list of floats": _floats}
''', _activation_stds_values),
    "test_activation_stds_hooks_and_autograd": _pure(Verifier('''
class _GradProbe(nn.Module):
    def forward(self, x):
        self.grad_enabled = torch.is_grad_enabled()
        return x

class _Boom(nn.Module):
    def forward(self, x):
        raise RuntimeError("boom")

torch.manual_seed(302)
_model = nn.Sequential(nn.Linear(5, 5), _GradProbe(), nn.ReLU())
_broken = nn.Sequential(nn.Linear(3, 3), _Boom())
_x, _x_eval, _x_broken = torch.randn(8, 5), torch.randn(6, 5), torch.randn(2, 3)
_model.train()
activation_stds(_model, _x)
result = {"hooks left": [len(m._forward_hooks) for m in _model.modules()],
          "grad enabled in the pass": _model[1].grad_enabled, "training after": _model.training}
result["broken model raised"] = raises(activation_stds, _broken, _x_broken)
result["hooks left after an error"] = [len(m._forward_hooks) for m in _broken.modules()]
_model.eval()
activation_stds(_model, _x_eval)
result["training after, in eval mode"] = _model.training
''', _activation_stds_hooks), ["activation_stds"]),
    # -------------------------------------------------------------- fans and gains
    "test_fans_linear_and_conv": Verifier('''
_shapes = [(20, 30), (8, 3, 3, 5), (6, 4, 9), (1, 1), (7, 5), (2, 3, 4, 5, 6), (10, 1, 1, 1), (3, 64, 2), (0, 5),
           (4, 0, 3), (6, 4, 3, 3)]
_weights = [torch.empty(s) for s in _shapes]
_fans = [calculate_fan_in_and_fan_out(w) for w in _weights]
result = {"tuples of 2": [isinstance(f, tuple) and len(f) == 2 for f in _fans[:3]],
          "fans": [torch.tensor(f) for f in _fans]}  # as the test compares them
'''),
    "test_fans_errors_and_purity": _pure(Verifier(f'''
result = {{"errors": {_raises_list(FAN_ERRORS, "calculate_fan_in_and_fan_out")},
          "ints": all(isinstance(f, int) for f in calculate_fan_in_and_fan_out(torch.empty(5, 3, 2)))}}
''', _fans_errors), ["calculate_fan_in_and_fan_out"], INIT_FORBIDDEN),
    "test_gain_values": Verifier('''
_calls = [(name, None) for name in ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                                    "conv_transpose3d", "sigmoid", "tanh", "relu", "selu", "leaky_relu"]]
_calls += [("leaky_relu", s) for s in [0.2, 0, 1, 0.5, 3]] + [("tanh", 7.0), ("relu", 0.3)]
result = {f"{name}, {param}": float(calculate_gain(name) if param is None else calculate_gain(name, param))
          for name, param in _calls}
''', rtol=1e-5, atol=1e-5),
    "test_gain_errors_and_purity": _pure(Verifier(
        f"result = {{'errors': {_raises_list(GAIN_ERRORS, 'calculate_gain')}}}",
        lambda got, ref, context: _raised(expect_entries(got, ref)["errors"], GAIN_ERRORS, "calculate_gain")),
        ["calculate_gain"], INIT_FORBIDDEN),
    # -------------------------------------------------------------- the initializers
    "test_xavier_uniform_distribution": _draws("xavier_uniform_", "uniform", XAVIER_UNIFORM, seed=310),
    "test_xavier_uniform_in_place_and_purity": _in_place("xavier_uniform_", "nn.Linear(40, 30)", (30, 40), 313,
                                                         errors=["torch.empty(7)"]),
    "test_xavier_normal_distribution": _draws("xavier_normal_", "norm", XAVIER_NORMAL, seed=320),
    "test_xavier_normal_in_place_and_purity": _in_place("xavier_normal_", "nn.Linear(40, 30)", (30, 40), 323,
                                                        errors=["torch.empty(7)"]),
    "test_kaiming_uniform_fan_in": _draws("kaiming_uniform_", "uniform", KAIMING_UNIFORM, seed=330),
    "test_kaiming_uniform_modes": _draws("kaiming_uniform_", "uniform", KAIMING_UNIFORM_MODES, seed=333,
                                         errors=['torch.empty(3, 4), mode="fan_avg"']),
    "test_kaiming_uniform_in_place_and_purity": _in_place("kaiming_uniform_", "nn.Linear(40, 30)", (30, 40), 336),
    "test_kaiming_normal_fan_in": _draws("kaiming_normal_", "norm", KAIMING_NORMAL, seed=340),
    "test_kaiming_normal_modes": _draws("kaiming_normal_", "norm", KAIMING_NORMAL_MODES, seed=343,
                                        errors=['torch.empty(3, 4), mode="in"']),
    "test_kaiming_normal_in_place_and_purity": _in_place("kaiming_normal_", "nn.Conv2d(3, 8, 3)", (8, 3, 3, 3), 346),
    # -------------------------------------------------------------- orthogonal_
    "test_orthogonal_shapes": Verifier(f'''
_specs = {ORTHOGONAL_SHAPES!r}
_tensors = [torch.empty(shape, dtype=getattr(torch, dtype)) for shape, _, dtype in _specs]
torch.manual_seed(350)
_parameter = nn.Linear(6, 6).weight
_out = [orthogonal_(w, gain=gain, generator=torch.Generator().manual_seed(351 + i))
        for i, (w, (_, gain, _)) in enumerate(zip(_tensors, _specs))]
orthogonal_(_parameter)
result = {{"returned": _out[0] is _tensors[0], "values": [_tensors[0]] + _out[1:],
          "parameter requires grad": _parameter.requires_grad}}
''', _orthogonal_shapes),
    # Fewer draws than the test's 1500 and 1000 (time): the sign mistakes give all-or-nothing signs.
    "test_orthogonal_haar": Verifier('''
_g = torch.Generator().manual_seed(360)
def _diagonals(shape, n):
    return torch.stack([orthogonal_(torch.empty(shape), generator=_g) for _ in range(n)]).diagonal(dim1=1, dim2=2)
result = {"square": _diagonals((3, 3), 1000), "wide": _diagonals((3, 5), 500), "tall": _diagonals((5, 3), 500)}
''', _orthogonal_haar),
    "test_orthogonal_errors_and_purity": _pure(Verifier(f'''
result = {{"errors": {_raises_list(ORTHOGONAL_ERRORS, "orthogonal_")},
          "a": orthogonal_(torch.empty(6, 4), generator=torch.Generator().manual_seed(370)),
          "b": orthogonal_(torch.empty(6, 4), generator=torch.Generator().manual_seed(370))}}
''', _orthogonal_errors), ["orthogonal_"], INIT_FORBIDDEN + ["torch.nn.utils.parametrizations.orthogonal"]),
    # -------------------------------------------------------------- freeze, unfreeze, count
    "test_freeze_unfreeze": Verifier('''
torch.manual_seed(380)
_model = nn.Sequential(nn.Linear(4, 8), nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8)), nn.Linear(8, 2))
_x = torch.randn(5, 4)
def _flags():
    return [p.requires_grad for p in _model.parameters()]
result = {"freeze returns the module": freeze(_model) is _model, "after freeze(model)": _flags(),
          "unfreeze returns the module": unfreeze(_model[1]) is _model[1], "after unfreeze(model[1])": _flags()}
unfreeze(_model)
result["after unfreeze(model)"] = _flags()
freeze(_model[0])
_model(_x).sum().backward()
result["frozen model[0] has no gradient, model[2] has one"] = [_model[0].weight.grad is None,
                                                               _model[2].weight.grad is not None]
'''),
    "test_freeze_in_place_and_purity": _pure(Verifier('''
_bn = nn.BatchNorm1d(5)
_weight = _bn.weight
_empty = nn.ReLU()
freeze(_bn)
result = {"frozen in place": _bn.weight is _weight and not _weight.requires_grad,
          "buffers": sorted(dict(_bn.named_buffers()))}
unfreeze(_bn)
result["unfrozen in place"] = _bn.weight is _weight and _weight.requires_grad
result["no parameters"] = freeze(_empty) is _empty and unfreeze(_empty) is _empty
'''), ["freeze", "unfreeze"]),
    "test_count_trainable_values": Verifier('''
_model = nn.Sequential(nn.Linear(9, 6), nn.ReLU(), nn.Linear(6, 3))
_conv = nn.Conv2d(2, 5, 3)
_counts = [count_trainable_parameters(_model)]
result = {"an int": isinstance(_counts[0], int)}
_model[0].weight.requires_grad_(False)
_counts.append(count_trainable_parameters(_model))
_counts.append(count_trainable_parameters(_conv))
for _p in _model.parameters():
    _p.requires_grad_(False)
_counts.append(count_trainable_parameters(_model))
result["counts"] = _counts
''', _counts),
    "test_count_trainable_shared_and_buffers": _pure(Verifier('''
_shared = nn.Linear(5, 5)
_model = nn.Sequential(_shared, nn.ReLU(), _shared, nn.BatchNorm1d(5))
_tied = nn.Module()
_tied.a = nn.Linear(4, 4, bias=False)
_tied.b = nn.Linear(4, 4, bias=False)
_tied.b.weight = _tied.a.weight
result = {"counts": [count_trainable_parameters(_model), count_trainable_parameters(_tied)]}
''', _counts), ["count_trainable_parameters"]),
    # -------------------------------------------------------------- discriminative rates, progressive unfreezing
    "test_discriminative_rates": Verifier('''
_model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
_net = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3), nn.Linear(3, 3), nn.Linear(3, 1))
_all = list(_model.parameters())
def _rates(groups):
    return torch.tensor([g["lr"] for g in groups], dtype=torch.float64)
_three = discriminative_param_groups([_model[0], _model[2], _model[4]], lr=0.02)
_four = discriminative_param_groups([_net[0], list(_net[1].parameters()), _net[2].weight, _net[3].parameters()], 0.5,
                                    decay=3.0)
result = {"a list of 3": isinstance(_three, list) and len(_three) == 3, "rates of 3 modules, default decay": _rates(_three),
          "params of 3 modules": [[next((i for i, q in enumerate(_all) if p is q), -1) for p in g["params"]]
                                  for g in _three],
          "rates of module, list, tensor, generator": _rates(_four),
          "sizes of module, list, tensor, generator": [len(list(g["params"])) for g in _four],
          "rate of a single group": discriminative_param_groups([_net], lr=0.3)[0]["lr"]}
for _p in _net[0].parameters():
    _p.requires_grad_(False)
result["size of a frozen group"] = len(list(discriminative_param_groups([_net[0], _net[1]], lr=0.1)[0]["params"]))
''', _discriminative_rates),
    "test_discriminative_optimizer_and_errors": _pure(Verifier(f'''
torch.manual_seed(390)
_model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
_x = torch.randn(3, 2)
_opt = torch.optim.SGD(discriminative_param_groups([_model[0], _model[1]], lr=0.26, decay=2.6), lr=1.0)
result = {{"rates": torch.tensor([g["lr"] for g in _opt.param_groups], dtype=torch.float64),
          "errors": {_raises_list(DISCRIMINATIVE_ERRORS, "discriminative_param_groups")}}}
_model(_x).sum().backward()
_opt.step()
result["first weight after a step"] = _model[0].weight.detach()
''', _discriminative_optimizer), ["discriminative_param_groups"]),
    "test_progressive_unfreeze_stages": Verifier('''
_model = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 2))
_groups = [_model[0], _model[2], _model[4]]
_net = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3), nn.Linear(3, 3))
result = {}
for _i, _stage in enumerate([1, 2, 3, 1, 0]):
    progressive_unfreeze(_groups, _stage)
    result[f"call {_i}: stage {_stage}"] = [[p.requires_grad for p in g.parameters()] for g in _groups]
progressive_unfreeze([list(_net[0].parameters()), _net[1].weight, _net[2].parameters()], 2)
result["list, tensor, generator at stage 2 (and net[1].bias left alone)"] = [p.requires_grad for p in _net.parameters()]
'''),
    "test_progressive_unfreeze_errors": _pure(Verifier(f'''
_model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
_groups = [_model[0], _model[1]]
result = {{"errors": {_raises_list(PROGRESSIVE_ERRORS, "progressive_unfreeze")}}}
''', lambda got, ref, context: _raised(expect_entries(got, ref)["errors"], PROGRESSIVE_ERRORS, "progressive_unfreeze")),
        ["progressive_unfreeze"]),
}
