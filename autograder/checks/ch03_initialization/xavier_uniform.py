"""xavier_uniform_(tensor, gain=1.0, generator=None): the test cells, wrong answers and right answers."""
import math

import torch
from torch import nn

from autograder.checks import Cell, Check
from autograder.checks.ch03_initialization._shared import INIT_FORBIDDEN, filled, same_fills
from traintech.checking import entry, expect_raised, raises
from traintech.testing import assert_close, assert_ks, assert_true

EXERCISE = "xavier_uniform_"
REFERENCE = "torch.nn.init.xavier_uniform_"


def collect_distribution(xavier_uniform_):
    """Uniform on [-a, a] with a = gain * sqrt(6 / (fan_in + fan_out)), filled in place."""
    w = torch.empty(300, 200)
    out = xavier_uniform_(w, generator=torch.Generator().manual_seed(0))
    return {"returned the tensor it filled": out is w, "xavier_uniform_(torch.empty(300, 200))": w}


def judge_distribution(got, ref, context):
    assert_true(entry(got, "returned the tensor it filled") is True,
                "xavier_uniform_ should fill the tensor in place and return that same tensor")
    w = filled(got, ref, "xavier_uniform_(torch.empty(300, 200))")
    a = math.sqrt(6 / (200 + 300))
    assert_true(w.abs().max() <= a * (1 + 1e-6), f"every value should lie in [-a, a] with a = sqrt(6 / (fan_in + fan_out)) "
                f"= {a:.4f}, but the largest |value| is {w.abs().max():.4f}")
    assert_close(w.abs().max(), torch.tensor(a), rtol=1e-3, name="the largest |value| of xavier_uniform_ (300, 200)",
                 hint="the bound is gain * sqrt(6 / (fan_in + fan_out)), not the standard deviation.")
    assert_ks(w, "uniform", args=(-a, 2 * a), name="xavier_uniform_ weights of a (300, 200) tensor")


def collect_kernel_and_float64(xavier_uniform_):
    g = torch.Generator().manual_seed(1)
    k = torch.empty(64, 32, 3, 3)
    xavier_uniform_(k, gain=5 / 3, generator=g)
    wide = torch.empty(10, 5000, dtype=torch.float64)
    xavier_uniform_(wide, gain=0.5, generator=g)
    return {"xavier_uniform_(torch.empty(64, 32, 3, 3), gain=5 / 3)": k,
            "xavier_uniform_(torch.empty(10, 5000, dtype=torch.float64), gain=0.5)": wide}


def judge_kernel_and_float64(got, ref, context):
    k = filled(got, ref, "xavier_uniform_(torch.empty(64, 32, 3, 3), gain=5 / 3)")
    a = 5 / 3 * math.sqrt(6 / ((32 + 64) * 9))
    assert_true(k.abs().max() <= a * (1 + 1e-6), f"a (64, 32, 3, 3) kernel with gain 5/3 should lie in [-{a:.4f}, {a:.4f}]")
    assert_ks(k, "uniform", args=(-a, 2 * a), name="xavier_uniform_ on a conv kernel with gain 5/3")
    wide = filled(got, ref, "xavier_uniform_(torch.empty(10, 5000, dtype=torch.float64), gain=0.5)")
    a = 0.5 * math.sqrt(6 / 5010)
    assert_ks(wide, "uniform", args=(-a, 2 * a), name="xavier_uniform_ on a (10, 5000) float64 tensor with gain 0.5")


def collect_in_place(xavier_uniform_):
    """Works on an nn.Parameter, uses the generator, and does not call torch.nn.init."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        layer = nn.Linear(40, 30)
    xavier_uniform_(layer.weight, generator=torch.Generator().manual_seed(0))
    again = xavier_uniform_(torch.empty(30, 40), generator=torch.Generator().manual_seed(0))
    return {"weight.requires_grad": layer.weight.requires_grad, "weight": layer.weight.detach(), "again": again}


def judge_in_place(got, ref, context):
    same_fills(got, ref, hint="pass generator=generator to tensor.uniform_.")
    context.no_delegation("xavier_uniform_", INIT_FORBIDDEN)


def collect_one_dimension(xavier_uniform_):
    return {"xavier_uniform_(torch.empty(7))": raises(xavier_uniform_, torch.empty(7))}


def judge_one_dimension(got, ref, context):
    expect_raised(entry(got, "xavier_uniform_(torch.empty(7))"), "ValueError", "xavier_uniform_(torch.empty(7))")


CELLS = [
    Cell("test_xavier_uniform_distribution", points=2, checks=[
        Check(collect_distribution, judge_distribution),
        Check(collect_kernel_and_float64, judge_kernel_and_float64, hidden=True),
    ]),
    Cell("test_xavier_uniform_in_place_and_purity", points=1, checks=[
        Check(collect_in_place, judge_in_place),
        Check(collect_one_dimension, judge_one_dimension, hidden=True),
    ]),
]

PLAIN = '''\
def xavier_uniform_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6 / (fan_in + fan_out))
    with torch.no_grad():
        tensor.uniform_(-bound, bound, generator=generator)
    return tensor
'''


def _variant(old: str, new: str) -> str:
    assert PLAIN.count(old) == 1, old
    return PLAIN.replace(old, new)


WRONG = {
    "the std used as the bound (no sqrt(3))": _variant("math.sqrt(6 / (fan_in + fan_out))", "math.sqrt(2 / (fan_in + fan_out))"),
    "fan_in only": _variant("math.sqrt(6 / (fan_in + fan_out))", "math.sqrt(3 / fan_in)"),
    "gain ignored": _variant("bound = gain * math.sqrt", "bound = math.sqrt"),
    "generator ignored": _variant("tensor.uniform_(-bound, bound, generator=generator)", "tensor.uniform_(-bound, bound)"),
    "returns a new tensor": _variant("        tensor.uniform_(-bound, bound, generator=generator)\n    return tensor",
                                     "        return torch.empty_like(tensor).uniform_(-bound, bound, generator=generator)"),
    "normal instead of uniform": _variant("tensor.uniform_(-bound, bound, generator=generator)",
                                          "tensor.normal_(0.0, bound / math.sqrt(3), generator=generator)"),
    "calls torch.nn.init.xavier_uniform_": _variant("        tensor.uniform_(-bound, bound, generator=generator)",
                                                    "        nn.init.xavier_uniform_(tensor, gain=gain, generator=generator)"),
    "imports the traintech reference": "from traintech.reference.initialization import xavier_uniform_\n",
}

RIGHT = {
    "torch.rand and copy_ under @torch.no_grad()": '''\
@torch.no_grad()
def xavier_uniform_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    a = gain * (6.0 / (fan_in + fan_out)) ** 0.5
    u = torch.rand(tensor.shape, generator=generator, dtype=tensor.dtype)
    tensor.copy_((2 * u - 1) * a)
    return tensor
''',
    "blind: bound formula, no_grad block": r'''def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Fill tensor in place from U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

    Args:
        tensor: the weight to fill, at least 2-D.
        gain: scaling factor. Default: 1.0
        generator: a torch.Generator to draw from. Default: None

    Returns:
        tensor itself.
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    with torch.no_grad():
        tensor.uniform_(-a, a, generator=generator)
    return tensor
''',
    "blind: std then sqrt(3)*std": r'''def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Fill tensor in place from U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

    Args:
        tensor: the weight to fill, at least 2-D.
        gain: scaling factor. Default: 1.0
        generator: a torch.Generator to draw from. Default: None

    Returns:
        tensor itself.
    """
    fans = calculate_fan_in_and_fan_out(tensor)
    std = gain * (2.0 / sum(fans)) ** 0.5
    bound = 3.0 ** 0.5 * std  # U(-b, b) has variance b^2 / 3
    with torch.no_grad():
        return tensor.uniform_(-bound, bound, generator=generator)
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: uniform_inplace (issue 16's release)"] = r'''\
def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Fill tensor in place from U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

    Args:
        tensor: the weight to fill, at least 2-D (a Linear weight or a convolution kernel); a plain
            tensor or an ``nn.Parameter`` (it keeps ``requires_grad``), of any floating dtype (kept).
        gain: scaling factor. Default: 1.0
        generator: a torch.Generator to draw from (the same seed gives the same values). Default: None

    Returns:
        tensor itself.

    Raises:
        ValueError: if ``tensor`` has fewer than 2 dimensions.
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)  # ValueError below 2 dimensions
    if tensor.numel() == 0:  # nothing to fill (and the fans may both be 0)
        return tensor
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        tensor.uniform_(-bound, bound, generator=generator)
    return tensor
'''
RIGHT["blind: rand_affine_copy (issue 16's release)"] = r'''\
def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Fill tensor in place from U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

    Args:
        tensor: the weight to fill, at least 2-D (a Linear weight or a convolution kernel); a plain
            tensor or an ``nn.Parameter`` (it keeps ``requires_grad``), of any floating dtype (kept).
        gain: scaling factor. Default: 1.0
        generator: a torch.Generator to draw from (the same seed gives the same values). Default: None

    Returns:
        tensor itself.

    Raises:
        ValueError: if ``tensor`` has fewer than 2 dimensions.
    """
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError(f"xavier_uniform_ needs a tensor with at least 2 dimensions, got shape {shape}")
    receptive_field = math.prod(shape[2:])
    fan_in, fan_out = shape[1] * receptive_field, shape[0] * receptive_field
    if fan_in + fan_out == 0 or tensor.numel() == 0:
        return tensor
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    a = math.sqrt(3.0) * std  # U(-a, a) has variance a^2 / 3 = std^2
    u = torch.rand(shape, generator=generator, dtype=tensor.dtype, device=tensor.device)  # U[0, 1)
    with torch.no_grad():
        tensor.copy_(u * (2 * a) - a)
    return tensor
'''
