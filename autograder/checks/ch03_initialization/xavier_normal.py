"""xavier_normal_(tensor, gain=1.0, generator=None): the test cells, wrong answers and right answers."""
import math

import torch
from torch import nn

from autograder.checks import Cell, Check
from autograder.checks.ch03_initialization._shared import INIT_FORBIDDEN, filled, same_fills
from traintech.checking import entry, expect_raised, raises
from traintech.testing import assert_ks, assert_mean_std, assert_true

EXERCISE = "xavier_normal_"
REFERENCE = "torch.nn.init.xavier_normal_"


def collect_distribution(xavier_normal_):
    """Gaussian with mean 0 and std = gain * sqrt(2 / (fan_in + fan_out)), filled in place."""
    w = torch.empty(300, 200)
    out = xavier_normal_(w, generator=torch.Generator().manual_seed(0))
    return {"returned the tensor it filled": out is w, "xavier_normal_(torch.empty(300, 200))": w}


def judge_distribution(got, ref, context):
    assert_true(entry(got, "returned the tensor it filled") is True,
                "xavier_normal_ should fill the tensor in place and return that same tensor")
    w = filled(got, ref, "xavier_normal_(torch.empty(300, 200))")
    std = math.sqrt(2 / (200 + 300))
    assert_mean_std(w, mean=0.0, std=std, name="xavier_normal_ weights of a (300, 200) tensor")
    assert_ks(w, "norm", args=(0.0, std), name="xavier_normal_ weights of a (300, 200) tensor")


def collect_kernel_and_float64(xavier_normal_):
    g = torch.Generator().manual_seed(1)
    k = torch.empty(64, 32, 3, 3)
    xavier_normal_(k, gain=5 / 3, generator=g)
    tall = torch.empty(5000, 10, dtype=torch.float64)
    xavier_normal_(tall, gain=2.0, generator=g)
    return {"xavier_normal_(torch.empty(64, 32, 3, 3), gain=5 / 3)": k,
            "xavier_normal_(torch.empty(5000, 10, dtype=torch.float64), gain=2.0)": tall}


def judge_kernel_and_float64(got, ref, context):
    k = filled(got, ref, "xavier_normal_(torch.empty(64, 32, 3, 3), gain=5 / 3)")
    std = 5 / 3 * math.sqrt(2 / ((32 + 64) * 9))
    assert_mean_std(k, mean=0.0, std=std, name="xavier_normal_ on a (64, 32, 3, 3) kernel with gain 5/3")
    assert_ks(k, "norm", args=(0.0, std), name="xavier_normal_ on a conv kernel with gain 5/3")
    tall = filled(got, ref, "xavier_normal_(torch.empty(5000, 10, dtype=torch.float64), gain=2.0)")
    assert_mean_std(tall, mean=0.0, std=2 * math.sqrt(2 / 5010), name="xavier_normal_ on (5000, 10) with gain 2")


def collect_in_place(xavier_normal_):
    """Works on an nn.Parameter, uses the generator, and does not call torch.nn.init."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        layer = nn.Linear(40, 30)
    xavier_normal_(layer.weight, generator=torch.Generator().manual_seed(0))
    again = xavier_normal_(torch.empty(30, 40), generator=torch.Generator().manual_seed(0))
    return {"weight.requires_grad": layer.weight.requires_grad, "weight": layer.weight.detach(), "again": again}


def judge_in_place(got, ref, context):
    same_fills(got, ref, hint="pass generator=generator to tensor.normal_.")
    context.no_delegation("xavier_normal_", INIT_FORBIDDEN)


def collect_one_dimension(xavier_normal_):
    return {"xavier_normal_(torch.empty(7))": raises(xavier_normal_, torch.empty(7))}


def judge_one_dimension(got, ref, context):
    expect_raised(entry(got, "xavier_normal_(torch.empty(7))"), "ValueError", "xavier_normal_(torch.empty(7))")


CELLS = [
    Cell("test_xavier_normal_distribution", points=2, checks=[
        Check(collect_distribution, judge_distribution),
        Check(collect_kernel_and_float64, judge_kernel_and_float64, hidden=True),
    ]),
    Cell("test_xavier_normal_in_place_and_purity", points=1, checks=[
        Check(collect_in_place, judge_in_place),
        Check(collect_one_dimension, judge_one_dimension, hidden=True),
    ]),
]

PLAIN = '''\
def xavier_normal_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2 / (fan_in + fan_out))
    with torch.no_grad():
        tensor.normal_(0.0, std, generator=generator)
    return tensor
'''


def _variant(old: str, new: str) -> str:
    assert PLAIN.count(old) == 1, old
    return PLAIN.replace(old, new)


WRONG = {
    "the uniform bound used as std": _variant("math.sqrt(2 / (fan_in + fan_out))", "math.sqrt(6 / (fan_in + fan_out))"),
    "variance used as std": _variant("std = gain * math.sqrt(2 / (fan_in + fan_out))", "std = gain * 2 / (fan_in + fan_out)"),
    "gain ignored": _variant("std = gain * math.sqrt", "std = math.sqrt"),
    "generator ignored": _variant("tensor.normal_(0.0, std, generator=generator)", "tensor.normal_(0.0, std)"),
    "uniform with the right std": _variant("tensor.normal_(0.0, std, generator=generator)",
                                           "tensor.uniform_(-std * math.sqrt(3), std * math.sqrt(3), generator=generator)"),
    "calls torch.nn.init.normal_": _variant("tensor.normal_(0.0, std, generator=generator)",
                                            "nn.init.normal_(tensor, 0.0, std, generator=generator)"),
    "imports the traintech reference": "from traintech.reference.initialization import xavier_normal_\n",
}

RIGHT = {
    "torch.randn and copy_ under @torch.no_grad()": '''\
@torch.no_grad()
def xavier_normal_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    z = torch.randn(tensor.shape, generator=generator, dtype=tensor.dtype)
    tensor.copy_(z * gain * (2.0 / (fan_in + fan_out)) ** 0.5)
    return tensor
''',
    "blind: std formula, no_grad block": r'''def xavier_normal_(tensor, gain=1.0, generator=None):
    """Fill tensor in place from N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

    Args:
        tensor: the weight to fill, at least 2-D.
        gain: scaling factor. Default: 1.0
        generator: a torch.Generator to draw from. Default: None

    Returns:
        tensor itself.
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    with torch.no_grad():
        tensor.normal_(0.0, std, generator=generator)
    return tensor
''',
    "blind: @torch.no_grad() decorator, variance first": r'''@torch.no_grad()
def xavier_normal_(tensor, gain=1.0, generator=None):
    """Fill tensor in place from N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

    Args:
        tensor: the weight to fill, at least 2-D.
        gain: scaling factor. Default: 1.0
        generator: a torch.Generator to draw from. Default: None

    Returns:
        tensor itself.
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    variance = gain ** 2 * 2.0 / (fan_in + fan_out)
    tensor.normal_(mean=0.0, std=math.sqrt(variance), generator=generator)
    return tensor
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: normal_inplace (issue 16's release)"] = r'''\
def xavier_normal_(tensor, gain=1.0, generator=None):
    """Fill tensor in place from N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

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
    if tensor.numel() == 0:
        return tensor
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    with torch.no_grad():
        tensor.normal_(0.0, std, generator=generator)
    return tensor
'''
RIGHT["blind: randn_scaled_copy (issue 16's release)"] = r'''\
def xavier_normal_(tensor, gain=1.0, generator=None):
    """Fill tensor in place from N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

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
    if tensor.ndim < 2:
        raise ValueError("xavier_normal_ needs a tensor with at least 2 dimensions "
                         f"(got {tensor.ndim})")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    n_avg = (fan_in + fan_out) / 2.0  # Glorot's compromise: the average of the two fans
    if n_avg == 0 or tensor.numel() == 0:
        return tensor
    std = gain / math.sqrt(n_avg)
    z = torch.randn(tensor.shape, generator=generator, dtype=tensor.dtype, device=tensor.device)
    with torch.no_grad():
        tensor.copy_(z.mul_(std))
    return tensor
'''
