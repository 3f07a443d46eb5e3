"""kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None): the test cells,
wrong answers and right answers."""
import math

import torch
from torch import nn

from autograder.checks import Cell, Check
from autograder.checks.ch03_initialization._shared import INIT_FORBIDDEN, filled, same_fills
from traintech.checking import entry, expect_raised, raises
from traintech.testing import assert_close, assert_ks, assert_true

EXERCISE = "kaiming_uniform_"
REFERENCE = "torch.nn.init.kaiming_uniform_"


def collect_fan_in(kaiming_uniform_):
    """The default: ReLU gain sqrt(2), mode fan_in: bound sqrt(6 / fan_in), filled in place."""
    w = torch.empty(200, 300)
    out = kaiming_uniform_(w, generator=torch.Generator().manual_seed(0))
    return {"returned the tensor it filled": out is w, "kaiming_uniform_(torch.empty(200, 300))": w}


def judge_fan_in(got, ref, context):
    assert_true(entry(got, "returned the tensor it filled") is True,
                "kaiming_uniform_ should fill the tensor in place and return it")
    w = filled(got, ref, "kaiming_uniform_(torch.empty(200, 300))")
    b = math.sqrt(6 / 300)
    assert_true(w.abs().max() <= b * (1 + 1e-6), f"every value should lie in [-b, b], b = sqrt(3) * sqrt(2) / sqrt(fan_in) "
                f"= {b:.4f}; the largest |value| is {w.abs().max():.4f}")
    assert_close(w.abs().max(), torch.tensor(b), rtol=1e-3, name="the largest |value| of kaiming_uniform_ (200, 300)",
                 hint="bound = sqrt(3) * gain / sqrt(fan_in), with gain = calculate_gain('leaky_relu', a=0) = sqrt(2).")
    assert_ks(w, "uniform", args=(-b, 2 * b), name="kaiming_uniform_ weights of a (200, 300) tensor")


def collect_slopes(kaiming_uniform_):
    g = torch.Generator().manual_seed(1)
    k = torch.empty(32, 16, 5, 5)
    kaiming_uniform_(k, a=0.2, generator=g)
    w64 = torch.empty(100, 400, dtype=torch.float64)
    kaiming_uniform_(w64, a=math.sqrt(5), generator=g)  # what nn.Linear uses for its default init
    return {"kaiming_uniform_(torch.empty(32, 16, 5, 5), a=0.2)": k,
            "kaiming_uniform_(torch.empty(100, 400, dtype=torch.float64), a=math.sqrt(5))": w64}


def judge_slopes(got, ref, context):
    k = filled(got, ref, "kaiming_uniform_(torch.empty(32, 16, 5, 5), a=0.2)")
    b = math.sqrt(3) * math.sqrt(2 / 1.04) / math.sqrt(16 * 25)
    assert_ks(k, "uniform", args=(-b, 2 * b), name="kaiming_uniform_(conv kernel, a=0.2)")
    assert_true(k.abs().max() <= b * (1 + 1e-6), "kaiming_uniform_(a=0.2): values outside the bound; use the gain "
                "sqrt(2 / (1 + a**2)) and the receptive field in the fan")
    w64 = filled(got, ref, "kaiming_uniform_(torch.empty(100, 400, dtype=torch.float64), a=math.sqrt(5))")
    b = math.sqrt(3) * math.sqrt(2 / 6) / 20
    assert_ks(w64, "uniform", args=(-b, 2 * b), name="kaiming_uniform_(a=sqrt(5)) (nn.Linear's default)")


def collect_modes(kaiming_uniform_):
    """mode="fan_out" and other nonlinearities; a bad mode is a ValueError."""
    w = torch.empty(200, 300)
    kaiming_uniform_(w, mode="fan_out", nonlinearity="relu", generator=torch.Generator().manual_seed(0))
    return {"kaiming_uniform_(torch.empty(200, 300), mode='fan_out', nonlinearity='relu')": w,
            "kaiming_uniform_(torch.empty(3, 4), mode='fan_avg')": raises(kaiming_uniform_, torch.empty(3, 4),
                                                                          mode="fan_avg")}


def judge_modes(got, ref, context):
    w = filled(got, ref, "kaiming_uniform_(torch.empty(200, 300), mode='fan_out', nonlinearity='relu')")
    assert_close(w.abs().max(), torch.tensor(math.sqrt(6 / 200)), rtol=1e-3,
                 name="the largest |value| with mode='fan_out' on (200, 300)",
                 hint="fan_out of an (out, in) weight is size(0) = 200.")
    call = "kaiming_uniform_(torch.empty(3, 4), mode='fan_avg')"
    expect_raised(entry(got, call), "ValueError", call)


def collect_more_modes(kaiming_uniform_):
    k = torch.empty(64, 16, 3, 3)
    kaiming_uniform_(k, mode="fan_out", nonlinearity="tanh", generator=torch.Generator().manual_seed(2))
    w = torch.empty(50, 2000)
    kaiming_uniform_(w, a=0.7, nonlinearity="linear", generator=torch.Generator().manual_seed(3))
    return {"kaiming_uniform_(torch.empty(64, 16, 3, 3), mode='fan_out', nonlinearity='tanh')": k,
            "kaiming_uniform_(torch.empty(50, 2000), a=0.7, nonlinearity='linear')": w}


def judge_more_modes(got, ref, context):
    k = filled(got, ref, "kaiming_uniform_(torch.empty(64, 16, 3, 3), mode='fan_out', nonlinearity='tanh')")
    assert_close(k.abs().max(), torch.tensor(math.sqrt(3) * 5 / 3 / math.sqrt(64 * 9)), rtol=0.01,
                 name="the largest |value| of kaiming_uniform_(conv (64, 16, 3, 3), fan_out, tanh)")
    w = filled(got, ref, "kaiming_uniform_(torch.empty(50, 2000), a=0.7, nonlinearity='linear')")
    assert_close(w.abs().max(), torch.tensor(math.sqrt(3 / 2000)), rtol=1e-3,
                 name="kaiming_uniform_(nonlinearity='linear') (a is ignored)")


def collect_in_place(kaiming_uniform_):
    """Works on an nn.Parameter, uses the generator, and does not call torch.nn.init."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        layer = nn.Linear(40, 30)
    kaiming_uniform_(layer.weight, generator=torch.Generator().manual_seed(0))
    again = kaiming_uniform_(torch.empty(30, 40), generator=torch.Generator().manual_seed(0))
    return {"weight.requires_grad": layer.weight.requires_grad, "weight": layer.weight.detach(), "again": again}


def judge_in_place(got, ref, context):
    same_fills(got, ref, hint="pass generator=generator to tensor.uniform_.")
    context.no_delegation("kaiming_uniform_", INIT_FORBIDDEN)


CELLS = [
    Cell("test_kaiming_uniform_fan_in", points=2, checks=[
        Check(collect_fan_in, judge_fan_in),
        Check(collect_slopes, judge_slopes, hidden=True),
    ]),
    Cell("test_kaiming_uniform_modes", points=1, checks=[
        Check(collect_modes, judge_modes),
        Check(collect_more_modes, judge_more_modes, hidden=True),
    ]),
    Cell("test_kaiming_uniform_in_place_and_purity", points=1, checks=[
        Check(collect_in_place, judge_in_place),
    ]),
]

PLAIN = '''\
def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"bad mode {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    bound = math.sqrt(3) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    with torch.no_grad():
        tensor.uniform_(-bound, bound, generator=generator)
    return tensor
'''
FAN = 'fan = fan_in if mode == "fan_in" else fan_out'


def _variant(old: str, new: str) -> str:
    assert PLAIN.count(old) == 1, old
    return PLAIN.replace(old, new)


WRONG = {
    "gain ignored": _variant("math.sqrt(3) * calculate_gain(nonlinearity, a) / math.sqrt(fan)", "math.sqrt(3) / math.sqrt(fan)"),
    "mode ignored": _variant(FAN, "fan = fan_in"),
    "fans swapped": _variant(FAN, 'fan = fan_out if mode == "fan_in" else fan_in'),
    "a not passed to the gain": _variant("calculate_gain(nonlinearity, a)", "calculate_gain(nonlinearity)"),
    "the std used as the bound": _variant("bound = math.sqrt(3) * calculate_gain", "bound = calculate_gain"),
    "no ValueError for a bad mode": _variant('        raise ValueError(f"bad mode {mode!r}")', '        mode = "fan_out"'),
    "calls torch.nn.init.kaiming_uniform_": _variant("        tensor.uniform_(-bound, bound, generator=generator)",
                                                     "        nn.init.kaiming_uniform_(tensor, a, mode, nonlinearity, generator)"),
    "imports the traintech reference": "from traintech.reference.initialization import kaiming_uniform_\n",
}

RIGHT = {
    "torch.rand and copy_, a dict of fans": '''\
@torch.no_grad()
def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    fans = dict(zip(("fan_in", "fan_out"), calculate_fan_in_and_fan_out(tensor)))
    if mode not in fans:
        raise ValueError(f"unknown mode {mode!r}")
    std = calculate_gain(nonlinearity, a) / fans[mode] ** 0.5
    u = torch.rand(tensor.shape, generator=generator, dtype=tensor.dtype)
    tensor.copy_((u - 0.5) * 2 * (3 ** 0.5) * std)
    return tensor
''',
    "blind: dict of fans": r'''def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fill tensor in place from U(-b, b), b = sqrt(3) * gain / sqrt(fan_mode) (He et al., 2015).

    Args:
        tensor: the weight to fill, at least 2-D.
        a: negative slope of the leaky ReLU after this layer. Default: 0
        mode: "fan_in" (forward pass) or "fan_out" (backward pass). Default: "fan_in"
        nonlinearity: passed to calculate_gain. Default: "leaky_relu"
        generator: a torch.Generator to draw from. Default: None

    Returns:
        tensor itself.
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    fans = {"fan_in": fan_in, "fan_out": fan_out}
    if mode not in fans:
        raise ValueError(f"mode {mode!r} not supported, please use one of {list(fans)}")
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fans[mode])
    with torch.no_grad():
        tensor.uniform_(-bound, bound, generator=generator)
    return tensor
''',
    "blind: validate mode first, if/else": r'''def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fill tensor in place from U(-b, b), b = sqrt(3) * gain / sqrt(fan_mode) (He et al., 2015).

    Args:
        tensor: the weight to fill, at least 2-D.
        a: negative slope of the leaky ReLU after this layer. Default: 0
        mode: "fan_in" (forward pass) or "fan_out" (backward pass). Default: "fan_in"
        nonlinearity: passed to calculate_gain. Default: "leaky_relu"
        generator: a torch.Generator to draw from. Default: None

    Returns:
        tensor itself.
    """
    if mode != "fan_in" and mode != "fan_out":
        raise ValueError("mode must be 'fan_in' or 'fan_out', got " + repr(mode))
    fans = calculate_fan_in_and_fan_out(tensor)
    fan = fans[0] if mode == "fan_in" else fans[1]
    std = calculate_gain(nonlinearity, a) / fan ** 0.5
    bound = std * 3 ** 0.5
    with torch.no_grad():
        out = tensor.uniform_(-bound, bound, generator=generator)
    return out
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: uniform_inplace (issue 16's release)"] = r'''\
def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fill tensor in place from U(-b, b), b = sqrt(3) * gain / sqrt(fan_mode) (He et al., 2015).

    Args:
        tensor: the weight to fill, at least 2-D (a Linear weight or a convolution kernel); a plain
            tensor or an ``nn.Parameter`` (it keeps ``requires_grad``), of any floating dtype (kept).
        a: negative slope of the leaky ReLU after this layer; used only by "leaky_relu". Default: 0
        mode: "fan_in" (forward pass) or "fan_out" (backward pass). Default: "fan_in"
        nonlinearity: passed to calculate_gain, with ``a`` as its param. Default: "leaky_relu"
        generator: a torch.Generator to draw from (the same seed gives the same values). Default: None

    Returns:
        tensor itself.

    Raises:
        ValueError: if ``mode`` is neither ``"fan_in"`` nor ``"fan_out"``, if ``tensor`` has
            fewer than 2 dimensions, or if ``nonlinearity`` is unknown (as in ``calculate_gain``).
    """
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} not supported, please use one of 'fan_in', 'fan_out'")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)  # ValueError below 2 dimensions
    gain = calculate_gain(nonlinearity, a)  # ValueError for an unknown nonlinearity
    if tensor.numel() == 0:
        return tensor
    fan = fan_in if mode == "fan_in" else fan_out
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    with torch.no_grad():
        tensor.uniform_(-bound, bound, generator=generator)
    return tensor
'''
RIGHT["blind: mode_dict_rand_copy (issue 16's release)"] = r'''\
def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fill tensor in place from U(-b, b), b = sqrt(3) * gain / sqrt(fan_mode) (He et al., 2015).

    Args:
        tensor: the weight to fill, at least 2-D (a Linear weight or a convolution kernel); a plain
            tensor or an ``nn.Parameter`` (it keeps ``requires_grad``), of any floating dtype (kept).
        a: negative slope of the leaky ReLU after this layer; used only by "leaky_relu". Default: 0
        mode: "fan_in" (forward pass) or "fan_out" (backward pass). Default: "fan_in"
        nonlinearity: passed to calculate_gain, with ``a`` as its param. Default: "leaky_relu"
        generator: a torch.Generator to draw from (the same seed gives the same values). Default: None

    Returns:
        tensor itself.

    Raises:
        ValueError: if ``mode`` is neither ``"fan_in"`` nor ``"fan_out"``, if ``tensor`` has
            fewer than 2 dimensions, or if ``nonlinearity`` is unknown (as in ``calculate_gain``).
    """
    mode_index = {"fan_in": 0, "fan_out": 1}
    if not isinstance(mode, str) or mode not in mode_index:
        raise ValueError(f"Mode {mode} not supported, please use one of {list(mode_index)}")
    fans = calculate_fan_in_and_fan_out(tensor)
    fan = fans[mode_index[mode]]
    gain = calculate_gain(nonlinearity, param=a)
    if fan == 0 or tensor.numel() == 0:
        return tensor
    bound = gain * math.sqrt(3.0 / fan)
    u = torch.rand(tuple(tensor.shape), generator=generator, dtype=tensor.dtype, device=tensor.device)
    with torch.no_grad():
        tensor.copy_((2.0 * u - 1.0) * bound)  # U[0, 1) -> U[-b, b)
    return tensor
'''
