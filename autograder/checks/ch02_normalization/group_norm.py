"""group_norm(x, num_groups, weight=None, bias=None, eps=1e-5): the test cells, wrong answers and right answers."""
import torch

from autograder.checks import Cell, Check
from traintech.checking import agree, entry, expect_raised, gradients_consistent, raises

from ._shared import gradient_probe_of, source, variants

EXERCISE = "group_norm"
REFERENCE = "torch.nn.functional.group_norm"  # the values; the ValueErrors are the course's (PyTorch raises others)
GROUP_NORM_FORBIDDEN = [
    "torch.nn.functional.group_norm", "torch.group_norm", "torch.native_group_norm", "torch.nn.GroupNorm",
    "torch.nn.functional.layer_norm", "torch.nn.functional.instance_norm", "torch.nn.functional.batch_norm",
    "torch.batch_norm"]


# ----------------------------------------------------------------------------- test_group_norm_values


def collect_group_norm_values(group_norm):
    """Each group of C/G consecutive channels of each sample normalized together, like F.group_norm."""
    g = torch.Generator().manual_seed(30)
    x = torch.randn(2, 6, 4, 4, generator=g) * 2 + torch.arange(6.0).view(1, 6, 1, 1)
    return {"group_norm(x (2, 6, 4, 4), num_groups=3)": group_norm(x, 3)}


def judge_group_norm_values(got, ref, context):
    context.no_delegation("group_norm", GROUP_NORM_FORBIDDEN)
    agree(got, ref, "group_norm(x (2, 6, 4, 4), num_groups=3)",
          hint="3 groups of 6 / 3 = 2 consecutive channels: channels (0, 1), (2, 3), (4, 5); one mean and "
               "biased variance per sample and group, over the group's channels and all positions.")


def collect_group_norm_values_more(group_norm):
    g = torch.Generator().manual_seed(130)
    x8 = torch.randn(3, 8, 5, generator=g) * 3 - 1
    x2 = torch.randn(4, 6, generator=g)
    x64 = torch.randn(2, 4, 3, 3, generator=g, dtype=torch.float64) * 0.1
    found = {f"group_norm of (3, 8, 5) input, num_groups={G}": group_norm(x8, G) for G in (1, 2, 4, 8)}
    found["group_norm of (N, C) = (4, 6) input, num_groups=2"] = group_norm(x2, 2)
    found["group_norm with eps=0.01 (float64)"] = group_norm(x64, 2, eps=0.01)
    return found


def judge_group_norm_values_more(got, ref, context):
    for key in ref:
        agree(got, ref, key, hint="keep the input's dtype." if "float64" in key else None)


# ----------------------------------------------------------------------------- test_group_norm_special_cases_and_affine


def collect_group_norm_special_cases_and_affine(group_norm):
    """G = 1 is LayerNorm over (C, H, W), G = C is InstanceNorm; weight and bias are per channel."""
    g = torch.Generator().manual_seed(31)
    x = torch.randn(2, 4, 3, 3, generator=g) * 2 + 1
    weight, bias = torch.randn(4, generator=g), torch.randn(4, generator=g)
    return {"group_norm(x, 1), layer norm over (C, H, W)": group_norm(x, 1),
            "group_norm(x, C), instance norm": group_norm(x, 4),
            "group_norm(x, 2, weight, bias)": group_norm(x, 2, weight, bias)}


def judge_group_norm_special_cases_and_affine(got, ref, context):
    context.no_delegation("group_norm", GROUP_NORM_FORBIDDEN)
    agree(got, ref, "group_norm(x, 1), layer norm over (C, H, W)", "group_norm(x, C), instance norm")
    agree(got, ref, "group_norm(x, 2, weight, bias)",
          hint="weight and bias have one value per channel (C of them), not per group.")


def collect_group_norm_special_cases_and_affine_more(group_norm):
    g = torch.Generator().manual_seed(131)
    x = torch.randn(3, 6, 2, 2, generator=g, dtype=torch.float64)
    w = torch.randn(6, generator=g, dtype=torch.float64)
    return {"group_norm with weight only": group_norm(x, 3, weight=w), "group_norm with bias only": group_norm(x, 3, bias=w)}


def judge_group_norm_special_cases_and_affine_more(got, ref, context):
    agree(got, ref, "group_norm with weight only", "group_norm with bias only")


# ----------------------------------------------------------------------------- test_group_norm_errors_and_gradients


def collect_group_norm_errors_and_gradients(group_norm):
    """num_groups must divide C; the output is differentiable."""
    g = torch.Generator().manual_seed(32)
    t, w, b = torch.randn(2, 4, 3, generator=g), torch.randn(4, generator=g), torch.randn(4, generator=g)
    return {"group_norm(x of shape (2, 6, 4, 4), 4)": raises(group_norm, torch.randn(2, 6, 4, 4, generator=g), 4),
            "gradient": gradient_probe_of(lambda t, w, b: group_norm(t, 2, w, b), t, w, b, seed=1)}


def judge_group_norm_errors_and_gradients(got, ref, context):
    context.no_delegation("group_norm", GROUP_NORM_FORBIDDEN)
    expect_raised(entry(got, "group_norm(x of shape (2, 6, 4, 4), 4)"), "ValueError",
                  "group_norm(x of shape (2, 6, 4, 4), 4)", hint="6 channels cannot be split into 4 equal groups.")
    gradients_consistent(entry(got, "gradient"), ref["gradient"], "group_norm")


def collect_group_norm_errors_and_gradients_more(group_norm):
    g = torch.Generator().manual_seed(132)
    return {"group_norm(x of shape (2, 6, 4), 0)": raises(group_norm, torch.randn(2, 6, 4, generator=g), 0),
            "group_norm(x of shape (2, 5), 2)": raises(group_norm, torch.randn(2, 5, generator=g), 2)}


def judge_group_norm_errors_and_gradients_more(got, ref, context):
    for call in ref:
        expect_raised(entry(got, call), "ValueError", call)


CELLS = [
    Cell("test_group_norm_values", points=2, checks=[
        Check(collect_group_norm_values, judge_group_norm_values),
        Check(collect_group_norm_values_more, judge_group_norm_values_more, hidden=True),
    ]),
    Cell("test_group_norm_special_cases_and_affine", points=1, checks=[
        Check(collect_group_norm_special_cases_and_affine, judge_group_norm_special_cases_and_affine),
        Check(collect_group_norm_special_cases_and_affine_more, judge_group_norm_special_cases_and_affine_more,
              hidden=True),
    ]),
    Cell("test_group_norm_errors_and_gradients", points=1, checks=[
        Check(collect_group_norm_errors_and_gradients, judge_group_norm_errors_and_gradients),
        Check(collect_group_norm_errors_and_gradients_more, judge_group_norm_errors_and_gradients_more, hidden=True),
    ]),
]

# ----------------------------------------------------------------------------- answers

_TEMPLATE = '''
    def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
        N, C = x.shape[:2]
        if num_groups <= 0 or C % num_groups != 0:
            raise ValueError(f"num_groups={num_groups} does not divide C={C}")
        xg = x.reshape(N, num_groups, -1)
        mean = xg.mean(dim=-1, keepdim=True)
        var = ((xg - mean) ** 2).mean(dim=-1, keepdim=True)
        y = ((xg - mean) / torch.sqrt(var + eps)).reshape(x.shape)
        shape = (1, C) + (1,) * (x.dim() - 2)
        if weight is not None:
            y = y * weight.view(shape)
        if bias is not None:
            y = y + bias.view(shape)
        return y
'''
WRONG = variants(_TEMPLATE, {
    "num_groups read as channels per group": ("xg = x.reshape(N, num_groups, -1)", "xg = x.reshape(N, C // num_groups, -1)"),
    "interleaved groups (channel c in group c % G)": (
        '''        xg = x.reshape(N, num_groups, -1)
        mean = xg.mean(dim=-1, keepdim=True)
        var = ((xg - mean) ** 2).mean(dim=-1, keepdim=True)
        y = ((xg - mean) / torch.sqrt(var + eps)).reshape(x.shape)''',
        '''        xg = x.reshape(N, C // num_groups, num_groups, -1)
        mean = xg.mean(dim=(1, 3), keepdim=True)
        var = ((xg - mean) ** 2).mean(dim=(1, 3), keepdim=True)
        y = ((xg - mean) / torch.sqrt(var + eps)).reshape(x.shape)'''),
    "no check that num_groups divides C": ("if num_groups <= 0 or C % num_groups != 0:", "if num_groups <= 0:"),
    "unbiased variance": ("var = ((xg - mean) ** 2).mean(dim=-1, keepdim=True)", "var = xg.var(dim=-1, keepdim=True)"),
    "eps outside the square root": ("torch.sqrt(var + eps)", "(torch.sqrt(var) + eps)"),
    "weight applied before the reshape, per group": (
        '''        y = ((xg - mean) / torch.sqrt(var + eps)).reshape(x.shape)
        shape = (1, C) + (1,) * (x.dim() - 2)
        if weight is not None:
            y = y * weight.view(shape)''',
        '''        y = (xg - mean) / torch.sqrt(var + eps)
        if weight is not None:
            y = y * weight[:num_groups].view(1, num_groups, 1)
        y = y.reshape(x.shape)
        shape = (1, C) + (1,) * (x.dim() - 2)'''),
})
WRONG["calls F.group_norm"] = source('''
    def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
        return F.group_norm(x, num_groups, weight, bias, eps)
''')
WRONG["imports the traintech reference"] = "from traintech.reference.normalization import group_norm\n"

RIGHT = {
    "torch.chunk per group, torch.cat": source('''
        def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
            C = x.shape[1]
            if num_groups < 1 or C % num_groups:
                raise ValueError(f"{C} channels cannot be split into {num_groups} groups")
            pieces = []
            for chunk in torch.chunk(x, num_groups, dim=1):         # consecutive channels
                dims = tuple(range(1, x.ndim))
                mean = chunk.mean(dim=dims, keepdim=True)
                var = chunk.var(dim=dims, keepdim=True, unbiased=False)
                pieces.append((chunk - mean) / torch.sqrt(var + eps))
            out = torch.cat(pieces, dim=1)
            view = (1, C) + (1,) * (x.ndim - 2)
            if weight is not None:
                out = out * weight.reshape(view)
            if bias is not None:
                out = out + bias.reshape(view)
            return out
    '''),
    "blind: reshape (N, G, -1)": r'''def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalization of (N, C, *) input with num_groups groups of consecutive channels."""
    if x.dim() < 2:
        raise ValueError(f"expected input of shape (N, C, *), got {tuple(x.shape)}")
    N, C = x.shape[0], x.shape[1]
    if num_groups <= 0 or C % num_groups != 0:
        raise ValueError(f"num_groups={num_groups} must divide the number of channels C={C}")
    grouped = x.reshape(N, num_groups, -1)
    mean = grouped.mean(dim=-1, keepdim=True)
    var = ((grouped - mean) ** 2).mean(dim=-1, keepdim=True)
    out = ((grouped - mean) / torch.sqrt(var + eps)).reshape(x.shape)
    shape = (1, C) + (1,) * (x.dim() - 2)
    if weight is not None:
        out = out * weight.view(shape)
    if bias is not None:
        out = out + bias.view(shape)
    return out
''',
    "blind: loop over groups, slice channels, torch.cat": r'''def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Group norm computed group by group (channels [g*C/G, (g+1)*C/G))."""
    if x.ndim < 2:
        raise ValueError("group_norm expects input of shape (N, C, *)")
    C = x.size(1)
    if not isinstance(num_groups, int) or num_groups < 1:
        raise ValueError(f"num_groups must be a positive int, got {num_groups!r}")
    if C % num_groups:
        raise ValueError(f"Expected number of channels in input to be divisible by num_groups, "
                         f"but got input of shape {tuple(x.shape)} and num_groups={num_groups}")
    per_group = C // num_groups
    red = tuple(range(1, x.ndim))
    pieces = []
    for g in range(num_groups):
        block = x[:, g * per_group:(g + 1) * per_group]
        mu = block.mean(dim=red, keepdim=True)
        var = torch.var(block, dim=red, keepdim=True, correction=0)
        pieces.append((block - mu) / torch.sqrt(var + eps))
    y = torch.cat(pieces, dim=1)
    bshape = [1] * x.ndim
    bshape[1] = C
    if weight is not None:
        y = y * weight.reshape(bshape)
    if bias is not None:
        y = y + bias.reshape(bshape)
    return y
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: reshape_groups_torch_var (issue 16's release)"] = r'''\
def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalization: C channels in num_groups groups of C // num_groups (Wu & He, 2018).

    Args:
        x: input of shape (N, C, *), where * may be empty: (N, C) input is accepted.
        num_groups: the number of groups G, a positive int that divides C; group g holds the
            C // G consecutive channels g * C // G, ..., (g + 1) * C // G - 1.
        weight, bias: per-channel gamma and beta (C,), or None. Default: None
        eps: added to the variance inside the square root. Default: 1e-5

    Returns:
        A differentiable tensor of ``x``'s shape and dtype, normalized with the mean and biased
        variance of each (sample, group) over the group's channels and all positions.

    Raises:
        ValueError: if ``x`` has fewer than 2 dimensions, or if ``num_groups`` is not positive
            or does not divide C.
    """
    if x.dim() < 2:
        raise ValueError(f"expected input of shape (N, C, *), got shape {tuple(x.shape)}")
    N, C = x.shape[:2]
    if num_groups <= 0 or C % num_groups != 0:
        raise ValueError(f"num_groups={num_groups} must be a positive divisor of the number of channels C={C}")
    grouped = x.reshape(N, num_groups, -1)      # each row: one group's C/G channels and all their positions
    mean = grouped.mean(dim=-1, keepdim=True)
    var = torch.var(grouped, dim=-1, correction=0, keepdim=True)
    out = ((grouped - mean) / torch.sqrt(var + eps)).reshape(x.shape)
    channel_shape = [1, C] + [1] * (x.dim() - 2)
    if weight is not None:
        out = out * weight.reshape(channel_shape)
    if bias is not None:
        out = out + bias.reshape(channel_shape)
    return out
'''
RIGHT["blind: split_chunks_loop (issue 16's release)"] = r'''\
def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalization: C channels in num_groups groups of C // num_groups (Wu & He, 2018).

    Args:
        x: input of shape (N, C, *), where * may be empty: (N, C) input is accepted.
        num_groups: the number of groups G, a positive int that divides C; group g holds the
            C // G consecutive channels g * C // G, ..., (g + 1) * C // G - 1.
        weight, bias: per-channel gamma and beta (C,), or None. Default: None
        eps: added to the variance inside the square root. Default: 1e-5

    Returns:
        A differentiable tensor of ``x``'s shape and dtype, normalized with the mean and biased
        variance of each (sample, group) over the group's channels and all positions.

    Raises:
        ValueError: if ``x`` has fewer than 2 dimensions, or if ``num_groups`` is not positive
            or does not divide C.
    """
    if x.ndim < 2:
        raise ValueError(f"Expected at least 2 dimensions for input tensor but received {x.ndim}")
    C = x.size(1)
    if not num_groups > 0:
        raise ValueError(f"num_groups must be positive, got {num_groups}")
    if C % num_groups:
        raise ValueError(f"Expected number of channels in input to be divisible by num_groups, "
                         f"but got input of shape {list(x.shape)} and num_groups={num_groups}")
    per_group = C // num_groups
    dims = list(range(1, x.ndim))           # within a chunk: its channels and all positions
    pieces = []
    for chunk in torch.split(x, per_group, dim=1):    # the G groups of consecutive channels
        mu = chunk.mean(dim=dims, keepdim=True)
        var = (chunk - mu).pow(2).mean(dim=dims, keepdim=True)
        pieces.append((chunk - mu) / torch.sqrt(var + eps))
    out = torch.cat(pieces, dim=1)
    broadcast = (1, C) + (1,) * (x.ndim - 2)
    if weight is not None:
        out = out * weight.view(broadcast)
    if bias is not None:
        out = out + bias.view(broadcast)
    return out
'''
