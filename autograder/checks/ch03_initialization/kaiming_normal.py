"""kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None): the test cells,
wrong answers and right answers."""
import math

import torch
from torch import nn

from autograder.checks import Cell, Check
from autograder.checks.ch03_initialization._shared import INIT_FORBIDDEN, filled, same_fills
from traintech.checking import entry, expect_raised, raises
from traintech.testing import assert_ks, assert_mean_std, assert_true

EXERCISE = "kaiming_normal_"
REFERENCE = "torch.nn.init.kaiming_normal_"


def collect_fan_in(kaiming_normal_):
    """The default: ReLU gain sqrt(2), mode fan_in: std sqrt(2 / fan_in), filled in place."""
    w = torch.empty(200, 300)
    out = kaiming_normal_(w, generator=torch.Generator().manual_seed(0))
    return {"returned the tensor it filled": out is w, "kaiming_normal_(torch.empty(200, 300))": w}


def judge_fan_in(got, ref, context):
    assert_true(entry(got, "returned the tensor it filled") is True,
                "kaiming_normal_ should fill the tensor in place and return it")
    w = filled(got, ref, "kaiming_normal_(torch.empty(200, 300))")
    std = math.sqrt(2 / 300)
    assert_mean_std(w, mean=0.0, std=std, name="kaiming_normal_ weights of a (200, 300) tensor")
    assert_ks(w, "norm", args=(0.0, std), name="kaiming_normal_ weights of a (200, 300) tensor")


def collect_slopes(kaiming_normal_):
    g = torch.Generator().manual_seed(1)
    k = torch.empty(32, 16, 5, 5)
    kaiming_normal_(k, a=0.2, generator=g)
    w64 = torch.empty(100, 400, dtype=torch.float64)
    kaiming_normal_(w64, a=3.0, generator=g)
    return {"kaiming_normal_(torch.empty(32, 16, 5, 5), a=0.2)": k,
            "kaiming_normal_(torch.empty(100, 400, dtype=torch.float64), a=3.0)": w64}


def judge_slopes(got, ref, context):
    k = filled(got, ref, "kaiming_normal_(torch.empty(32, 16, 5, 5), a=0.2)")
    std = math.sqrt(2 / 1.04) / math.sqrt(16 * 25)
    assert_mean_std(k, mean=0.0, std=std, name="kaiming_normal_(conv kernel (32, 16, 5, 5), a=0.2)")
    assert_ks(k, "norm", args=(0.0, std), name="kaiming_normal_(conv kernel, a=0.2)")
    w64 = filled(got, ref, "kaiming_normal_(torch.empty(100, 400, dtype=torch.float64), a=3.0)")
    assert_mean_std(w64, mean=0.0, std=math.sqrt(2 / 10) / 20, name="kaiming_normal_(a=3.0) on (100, 400)")


def collect_modes(kaiming_normal_):
    """mode="fan_out" and other nonlinearities; a bad mode is a ValueError."""
    w = torch.empty(200, 300)
    kaiming_normal_(w, mode="fan_out", nonlinearity="relu", generator=torch.Generator().manual_seed(0))
    return {"kaiming_normal_(torch.empty(200, 300), mode='fan_out', nonlinearity='relu')": w,
            "kaiming_normal_(torch.empty(3, 4), mode='in')": raises(kaiming_normal_, torch.empty(3, 4), mode="in")}


def judge_modes(got, ref, context):
    w = filled(got, ref, "kaiming_normal_(torch.empty(200, 300), mode='fan_out', nonlinearity='relu')")
    assert_mean_std(w, mean=0.0, std=math.sqrt(2 / 200), name="kaiming_normal_(mode='fan_out') on (200, 300)")
    call = "kaiming_normal_(torch.empty(3, 4), mode='in')"
    expect_raised(entry(got, call), "ValueError", call)


def collect_more_modes(kaiming_normal_):
    k = torch.empty(64, 8, 3, 3)
    kaiming_normal_(k, mode="fan_out", nonlinearity="tanh", generator=torch.Generator().manual_seed(2))
    w = torch.empty(50, 2000)
    kaiming_normal_(w, a=0.7, nonlinearity="sigmoid", generator=torch.Generator().manual_seed(3))
    return {"kaiming_normal_(torch.empty(64, 8, 3, 3), mode='fan_out', nonlinearity='tanh')": k,
            "kaiming_normal_(torch.empty(50, 2000), a=0.7, nonlinearity='sigmoid')": w}


def judge_more_modes(got, ref, context):
    k = filled(got, ref, "kaiming_normal_(torch.empty(64, 8, 3, 3), mode='fan_out', nonlinearity='tanh')")
    assert_mean_std(k, mean=0.0, std=5 / 3 / math.sqrt(64 * 9), name="kaiming_normal_(conv (64, 8, 3, 3), fan_out, tanh)")
    w = filled(got, ref, "kaiming_normal_(torch.empty(50, 2000), a=0.7, nonlinearity='sigmoid')")
    assert_mean_std(w, mean=0.0, std=1 / math.sqrt(2000), name="kaiming_normal_(nonlinearity='sigmoid') (a is ignored)")


def collect_in_place(kaiming_normal_):
    """Works on an nn.Parameter, uses the generator, and does not call torch.nn.init."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        layer = nn.Conv2d(3, 8, 3)
    kaiming_normal_(layer.weight, generator=torch.Generator().manual_seed(0))
    again = kaiming_normal_(torch.empty(8, 3, 3, 3), generator=torch.Generator().manual_seed(0))
    return {"weight.requires_grad": layer.weight.requires_grad, "weight": layer.weight.detach(), "again": again}


def judge_in_place(got, ref, context):
    same_fills(got, ref, hint="pass generator=generator to tensor.normal_.")
    context.no_delegation("kaiming_normal_", INIT_FORBIDDEN)


CELLS = [
    Cell("test_kaiming_normal_fan_in", points=2, checks=[
        Check(collect_fan_in, judge_fan_in),
        Check(collect_slopes, judge_slopes, hidden=True),
    ]),
    Cell("test_kaiming_normal_modes", points=1, checks=[
        Check(collect_modes, judge_modes),
        Check(collect_more_modes, judge_more_modes, hidden=True),
    ]),
    Cell("test_kaiming_normal_in_place_and_purity", points=1, checks=[
        Check(collect_in_place, judge_in_place),
    ]),
]

PLAIN = '''\
def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"bad mode {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    with torch.no_grad():
        tensor.normal_(0.0, std, generator=generator)
    return tensor
'''
FAN = 'fan = fan_in if mode == "fan_in" else fan_out'


def _variant(old: str, new: str) -> str:
    assert PLAIN.count(old) == 1, old
    return PLAIN.replace(old, new)


WRONG = {
    "no square root of the fan": _variant("std = calculate_gain(nonlinearity, a) / math.sqrt(fan)",
                                          "std = calculate_gain(nonlinearity, a) / fan"),
    "average of the fans (Xavier)": _variant(FAN, "fan = (fan_in + fan_out) / 2"),
    "mode ignored": _variant(FAN, "fan = fan_in"),
    "modes swapped": _variant(FAN, 'fan = fan_out if mode == "fan_in" else fan_in'),
    "always the ReLU gain": _variant("std = calculate_gain(nonlinearity, a) / math.sqrt(fan)", "std = math.sqrt(2 / fan)"),
    "no ValueError for a bad mode": _variant('        raise ValueError(f"bad mode {mode!r}")', '        mode = "fan_out"'),
    "calls torch.nn.init.kaiming_normal_": _variant("        tensor.normal_(0.0, std, generator=generator)",
                                                    "        nn.init.kaiming_normal_(tensor, a, mode, nonlinearity, generator)"),
    "imports the traintech reference": "from traintech.reference.initialization import kaiming_normal_\n",
}

RIGHT = {
    "torch.randn and copy_, a dict of fans": '''\
@torch.no_grad()
def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    fans = dict(zip(("fan_in", "fan_out"), calculate_fan_in_and_fan_out(tensor)))
    if mode not in fans:
        raise ValueError(f"unknown mode {mode!r}")
    z = torch.randn(tensor.shape, generator=generator, dtype=tensor.dtype)
    tensor.copy_(z * calculate_gain(nonlinearity, a) / math.sqrt(fans[mode]))
    return tensor
''',
    "blind: if/elif fan, no_grad": r'''def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fill tensor in place from N(0, std^2), std = gain / sqrt(fan_mode) (He et al., 2015).

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
    if mode == "fan_in":
        fan = fan_in
    elif mode == "fan_out":
        fan = fan_out
    else:
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    with torch.no_grad():
        tensor.normal_(0, std, generator=generator)
    return tensor
''',
    "blind: tuple index + .data fill": r'''def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fill tensor in place from N(0, std^2), std = gain / sqrt(fan_mode) (He et al., 2015).

    Args:
        tensor: the weight to fill, at least 2-D.
        a: negative slope of the leaky ReLU after this layer. Default: 0
        mode: "fan_in" (forward pass) or "fan_out" (backward pass). Default: "fan_in"
        nonlinearity: passed to calculate_gain. Default: "leaky_relu"
        generator: a torch.Generator to draw from. Default: None

    Returns:
        tensor itself.
    """
    modes = ("fan_in", "fan_out")
    if mode not in modes:
        raise ValueError(f"unknown mode {mode!r}; expected 'fan_in' or 'fan_out'")
    fan = calculate_fan_in_and_fan_out(tensor)[modes.index(mode)]
    gain = calculate_gain(nonlinearity, param=a)
    variance = gain * gain / fan
    tensor.data.normal_(0.0, math.sqrt(variance), generator=generator)  # .data: no autograd tracking
    return tensor
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: normal_inplace (issue 16's release)"] = r'''\
def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fill tensor in place from N(0, std^2), std = gain / sqrt(fan_mode) (He et al., 2015).

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
    if mode != "fan_in" and mode != "fan_out":
        raise ValueError(f"mode {mode!r} not supported, please use one of 'fan_in', 'fan_out'")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)  # ValueError below 2 dimensions
    gain = calculate_gain(nonlinearity, a)  # ValueError for an unknown nonlinearity
    if tensor.numel() == 0:
        return tensor
    fan = fan_in if mode == "fan_in" else fan_out
    std = gain / math.sqrt(fan)
    with torch.no_grad():
        tensor.normal_(0.0, std, generator=generator)
    return tensor
'''
RIGHT["blind: mode_dict_randn_copy (issue 16's release)"] = r'''\
def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fill tensor in place from N(0, std^2), std = gain / sqrt(fan_mode) (He et al., 2015).

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
    fan_of_mode = {"fan_in": lambda fans: fans[0], "fan_out": lambda fans: fans[1]}
    pick = fan_of_mode.get(mode) if isinstance(mode, str) else None
    if pick is None:
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan = pick(calculate_fan_in_and_fan_out(tensor))
    gain = calculate_gain(nonlinearity, param=a)
    if fan == 0 or tensor.numel() == 0:
        return tensor
    variance = gain ** 2 / fan
    z = torch.randn(tuple(tensor.shape), generator=generator, dtype=tensor.dtype, device=tensor.device)
    with torch.no_grad():
        tensor.copy_(z * math.sqrt(variance))
    return tensor
'''
