"""calculate_fan_in_and_fan_out(tensor): the test cells, wrong answers and right answers."""
import torch

from autograder.checks import Cell, Check
from autograder.checks.ch03_initialization._shared import INIT_FORBIDDEN
from traintech.checking import entry, expect_raised, raises
from traintech.testing import assert_close, assert_true

EXERCISE = "calculate_fan_in_and_fan_out"
REFERENCE = "torch.nn.init._calculate_fan_in_and_fan_out"  # PyTorch's own, with the same contract


def fans_of(calculate_fan_in_and_fan_out, shapes):
    """``{"(fan_in, fan_out) of a <shape> weight": the fans}`` for an empty tensor of each shape."""
    return {f"(fan_in, fan_out) of a {shape} weight": calculate_fan_in_and_fan_out(torch.empty(shape))
            for shape in shapes}


def fans_agree(got, ref, hint=None):
    """Each entry of ``ref`` (two ints) equals the learner's, compared as integer tensors."""
    for key, expected in ref.items():
        fans = entry(got, key)
        assert_true(isinstance(fans, list) and len(fans) == 2, f"{key}: return a tuple (fan_in, fan_out), got {fans!r:.100}")
        fans = [f.item() if isinstance(f, torch.Tensor) and f.numel() == 1 else f for f in fans]
        assert_true(all(isinstance(f, (int, float)) for f in fans), f"{key}: expected two numbers, got {fans!r:.100}")
        assert_close(torch.tensor(fans), torch.tensor(expected), name=key, hint=hint)


def collect_linear_and_conv(calculate_fan_in_and_fan_out):
    """Linear weights and convolution kernels (with their receptive field)."""
    shapes = [(30, 20), (16, 3, 5, 5), (8, 4, 7)]
    fans = fans_of(calculate_fan_in_and_fan_out, shapes)
    return {"fans": fans, "each is a tuple of 2": [isinstance(f, tuple) and len(f) == 2 for f in fans.values()]}


def judge_linear_and_conv(got, ref, context):
    assert_true(entry(got, "each is a tuple of 2") == ref["each is a tuple of 2"], "return a tuple (fan_in, fan_out)")
    fans_agree(entry(got, "fans"), ref["fans"],
               hint="a Linear weight is (out, in); a convolution kernel (out, in, *k) multiplies both by prod(k).")


def collect_more_shapes(calculate_fan_in_and_fan_out):
    shapes = [(1, 1), (5, 7), (2, 3, 4, 5, 6), (10, 1, 1, 1), (3, 64, 2), (0, 5), (4, 0, 3)]
    fans = fans_of(calculate_fan_in_and_fan_out, shapes)
    # a ConvTranspose2d(6, 4, 3) weight is stored (in, out, k, k) = (6, 4, 3, 3): dims 0 and 1 are used as they are
    fans["(fan_in, fan_out) of a ConvTranspose2d(6, 4, 3) weight (6, 4, 3, 3)"] = calculate_fan_in_and_fan_out(
        torch.empty(6, 4, 3, 3))
    return fans


def judge_more_shapes(got, ref, context):
    fans_agree(got, ref)


def collect_errors_and_purity(calculate_fan_in_and_fan_out):
    """Fewer than 2 dimensions is a ValueError; ints are returned; no torch.nn.init inside."""
    return {"calculate_fan_in_and_fan_out(torch.empty(5))": raises(calculate_fan_in_and_fan_out, torch.empty(5)),
            "calculate_fan_in_and_fan_out(torch.empty(4, 3, 2))": calculate_fan_in_and_fan_out(torch.empty(4, 3, 2))}


def judge_errors_and_purity(got, ref, context):
    call = "calculate_fan_in_and_fan_out(torch.empty(5))"
    expect_raised(entry(got, call), "ValueError", call)
    fans = entry(got, "calculate_fan_in_and_fan_out(torch.empty(4, 3, 2))")
    assert_true(isinstance(fans, list) and all(isinstance(f, int) for f in fans),
                f"fan_in and fan_out should be Python ints, got {fans!r:.100}")
    context.no_delegation("calculate_fan_in_and_fan_out", INIT_FORBIDDEN)


def collect_scalar(calculate_fan_in_and_fan_out):
    return {"calculate_fan_in_and_fan_out(torch.tensor(3.0))": raises(calculate_fan_in_and_fan_out, torch.tensor(3.0))}


def judge_scalar(got, ref, context):
    call = "calculate_fan_in_and_fan_out(torch.tensor(3.0))"
    expect_raised(entry(got, call), "ValueError", call)


CELLS = [
    Cell("test_fans_linear_and_conv", points=2, checks=[
        Check(collect_linear_and_conv, judge_linear_and_conv),
        Check(collect_more_shapes, judge_more_shapes, hidden=True),
    ]),
    Cell("test_fans_errors_and_purity", points=1, checks=[
        Check(collect_errors_and_purity, judge_errors_and_purity),
        Check(collect_scalar, judge_scalar, hidden=True),
    ]),
]

PLAIN = '''\
def calculate_fan_in_and_fan_out(tensor):
    if tensor.dim() < 2:
        raise ValueError(f"need 2 dims, got {tensor.dim()}")
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive
'''
RETURN = "return tensor.shape[1] * receptive, tensor.shape[0] * receptive"


def _variant(old: str, new: str) -> str:
    assert PLAIN.count(old) == 1, old
    return PLAIN.replace(old, new)


WRONG = {
    "fans swapped (weight read as (in, out))": _variant(RETURN, "return tensor.shape[0] * receptive, tensor.shape[1] * receptive"),
    "no receptive field": _variant(RETURN, "return tensor.shape[1], tensor.shape[0]"),
    "receptive field only in fan_in": _variant(RETURN, "return tensor.shape[1] * receptive, tensor.shape[0]"),
    "no ValueError for a 1-D tensor": _variant('        raise ValueError(f"need 2 dims, got {tensor.dim()}")', "        pass"),
    "returns floats": _variant(RETURN, "return float(tensor.shape[1] * receptive), float(tensor.shape[0] * receptive)"),
    "imports the traintech reference": "from traintech.reference.initialization import calculate_fan_in_and_fan_out\n",
}

RIGHT = {
    "math.prod, int()": '''\
def calculate_fan_in_and_fan_out(tensor):
    shape = tuple(tensor.size())
    if len(shape) < 2:
        raise ValueError(f"fans need at least 2 dimensions, got shape {shape}")
    field = math.prod(shape[2:])
    return int(shape[1] * field), int(shape[0] * field)
''',
    "blind: math.prod of kernel dims": r'''def calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight tensor (out, in, *kernel_size), as torch.nn.init computes them.

    Args:
        tensor: a tensor with at least 2 dimensions.

    Returns:
        A tuple of two ints: in * prod(kernel_size), out * prod(kernel_size).
    """
    if tensor.dim() < 2:
        raise ValueError(
            f"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (got {tensor.dim()})"
        )
    receptive_field = math.prod(tensor.shape[2:])
    return int(tensor.shape[1] * receptive_field), int(tensor.shape[0] * receptive_field)
''',
    "blind: explicit loop over shape": r'''def calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight tensor (out, in, *kernel_size), as torch.nn.init computes them.

    Args:
        tensor: a tensor with at least 2 dimensions.

    Returns:
        A tuple of two ints: in * prod(kernel_size), out * prod(kernel_size).
    """
    shape = list(tensor.size())
    if len(shape) < 2:
        raise ValueError("calculate_fan_in_and_fan_out needs a tensor with at least 2 dimensions, got shape "
                         + str(tuple(shape)))
    out_features, in_features, *kernel = shape
    r = 1
    for k in kernel:
        r *= int(k)
    fan_in = int(in_features) * r
    fan_out = int(out_features) * r
    return (fan_in, fan_out)
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: math_prod (issue 16's release)"] = r'''\
def calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight tensor (out, in, *kernel_size), as torch.nn.init computes them.

    Dimensions 0 and 1 are used as they are, also for a ConvTranspose weight, which is stored
    (in, out, *kernel_size).

    Args:
        tensor: a tensor with at least 2 dimensions; sizes may be 0, e.g. ``(0, 5)`` or ``(4, 0, 3)``.

    Returns:
        A tuple of two Python ints: in * prod(kernel_size), out * prod(kernel_size).

    Raises:
        ValueError: if ``tensor`` has fewer than 2 dimensions (1-D or a scalar).
    """
    if tensor.dim() < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dimensions, got shape {tuple(tensor.shape)}")
    out_size, in_size, *kernel_size = tensor.shape
    receptive_field = math.prod(kernel_size)  # 1 for a Linear weight
    return int(in_size * receptive_field), int(out_size * receptive_field)
'''
RIGHT["blind: loop_over_sizes (issue 16's release)"] = r'''\
def calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight tensor (out, in, *kernel_size), as torch.nn.init computes them.

    Dimensions 0 and 1 are used as they are, also for a ConvTranspose weight, which is stored
    (in, out, *kernel_size).

    Args:
        tensor: a tensor with at least 2 dimensions; sizes may be 0, e.g. ``(0, 5)`` or ``(4, 0, 3)``.

    Returns:
        A tuple of two Python ints: in * prod(kernel_size), out * prod(kernel_size).

    Raises:
        ValueError: if ``tensor`` has fewer than 2 dimensions (1-D or a scalar).
    """
    sizes = list(tensor.size())
    if len(sizes) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    receptive_field = 1
    for k in sizes[2:]:
        receptive_field *= k
    fan_in = sizes[1] * receptive_field
    fan_out = sizes[0] * receptive_field
    return (fan_in, fan_out)
'''
