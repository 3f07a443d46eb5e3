"""instance_norm(x, weight=None, bias=None, eps=1e-5): the test cells, wrong answers and right answers."""
import torch

from autograder.checks import Cell, Check
from traintech.checking import agree, entry, expect_raised, gradients_consistent, raises

from ._shared import gradient_probe_of, source, variants

EXERCISE = "instance_norm"
# F.instance_norm has another signature (running_mean and running_var come before weight and bias:
# instance_norm(x, weight, bias) would pass them as running statistics); its values with input
# statistics are the reference's (tests/test_normalization.py)
REFERENCE = "traintech.reference.normalization.instance_norm"
INSTANCE_NORM_FORBIDDEN = [
    "torch.nn.functional.instance_norm", "torch.instance_norm", "torch.nn.InstanceNorm1d", "torch.nn.InstanceNorm2d",
    "torch.nn.functional.batch_norm", "torch.batch_norm", "torch.nn.functional.group_norm",
    "torch.nn.functional.layer_norm"]


# ----------------------------------------------------------------------------- test_instance_norm_values


def collect_instance_norm_values(instance_norm):
    """Each channel of each image normalized over its spatial positions, like F.instance_norm."""
    g = torch.Generator().manual_seed(20)
    x = torch.randn(3, 2, 5, 5, generator=g) * 3 + torch.arange(6.0).view(3, 2, 1, 1)
    return {"instance_norm of (3, 2, 5, 5) input": instance_norm(x)}


def judge_instance_norm_values(got, ref, context):
    context.no_delegation("instance_norm", INSTANCE_NORM_FORBIDDEN)
    agree(got, ref, "instance_norm of (3, 2, 5, 5) input",
          hint="one mean and one biased variance per (sample, channel), over the spatial dims (2, 3) only.")


def collect_instance_norm_values_more(instance_norm):
    g = torch.Generator().manual_seed(120)
    x64 = torch.randn(2, 3, 4, 6, generator=g, dtype=torch.float64) * 0.1
    x1 = torch.randn(1, 4, 3, 3, generator=g)
    return {"instance_norm with eps=0.01 (float64)": instance_norm(x64, eps=0.01),
            "instance_norm of a single image": instance_norm(x1)}


def judge_instance_norm_values_more(got, ref, context):
    agree(got, ref, "instance_norm with eps=0.01 (float64)", hint="keep the input's dtype; eps goes inside the square root.")
    agree(got, ref, "instance_norm of a single image")


# ----------------------------------------------------------------------------- test_instance_norm_affine_and_1d


def collect_instance_norm_affine_and_1d(instance_norm):
    """Per-channel weight and bias, and (N, C, L) input."""
    g = torch.Generator().manual_seed(21)
    x = torch.randn(4, 3, 10, generator=g) * 2 + 1
    weight, bias = torch.randn(3, generator=g), torch.randn(3, generator=g)
    return {"instance_norm of (4, 3, 10) input with weight and bias": instance_norm(x, weight, bias)}


def judge_instance_norm_affine_and_1d(got, ref, context):
    context.no_delegation("instance_norm", INSTANCE_NORM_FORBIDDEN)
    agree(got, ref, "instance_norm of (4, 3, 10) input with weight and bias",
          hint="weight and bias have one value per channel: view them as (1, C, 1) to broadcast.")


def collect_instance_norm_affine_and_1d_more(instance_norm):
    g = torch.Generator().manual_seed(121)
    x = torch.randn(2, 3, 4, 4, generator=g, dtype=torch.float64)
    weight, bias = torch.randn(3, generator=g, dtype=torch.float64), torch.randn(3, generator=g, dtype=torch.float64)
    return {"4-D instance_norm with weight and bias": instance_norm(x, weight, bias),
            "instance_norm with bias only": instance_norm(x, bias=bias)}


def judge_instance_norm_affine_and_1d_more(got, ref, context):
    agree(got, ref, "4-D instance_norm with weight and bias", "instance_norm with bias only")


# ----------------------------------------------------------------------------- test_instance_norm_errors_and_gradients


def collect_instance_norm_errors_and_gradients(instance_norm):
    """Bad input is a ValueError; the output is differentiable."""
    g = torch.Generator().manual_seed(22)
    t, w, b = torch.randn(2, 2, 3, 3, generator=g), torch.randn(2, generator=g), torch.randn(2, generator=g)
    return {"instance_norm(x of shape (4, 3))": raises(instance_norm, torch.randn(4, 3, generator=g)),
            "instance_norm(x of shape (2, 3, 1, 1))": raises(instance_norm, torch.randn(2, 3, 1, 1, generator=g)),
            "gradient": gradient_probe_of(lambda t, w, b: instance_norm(t, w, b), t, w, b, seed=1)}


def judge_instance_norm_errors_and_gradients(got, ref, context):
    context.no_delegation("instance_norm", INSTANCE_NORM_FORBIDDEN)
    expect_raised(entry(got, "instance_norm(x of shape (4, 3))"), "ValueError", "instance_norm(x of shape (4, 3))",
                  hint="only (N, C, L) and (N, C, H, W) input have spatial positions to normalize over.")
    expect_raised(entry(got, "instance_norm(x of shape (2, 3, 1, 1))"), "ValueError",
                  "instance_norm(x of shape (2, 3, 1, 1))",
                  hint="one spatial element per channel cannot be normalized: raise ValueError.")
    gradients_consistent(entry(got, "gradient"), ref["gradient"], "instance_norm")


def collect_instance_norm_errors_and_gradients_more(instance_norm):
    g = torch.Generator().manual_seed(122)
    return {"instance_norm(x of shape (2, 3, 1))": raises(instance_norm, torch.randn(2, 3, 1, generator=g)),
            "instance_norm(x of shape (2, 2, 2, 2, 2))": raises(instance_norm, torch.randn(2, 2, 2, 2, 2, generator=g))}


def judge_instance_norm_errors_and_gradients_more(got, ref, context):
    for call in ref:
        expect_raised(entry(got, call), "ValueError", call)


CELLS = [
    Cell("test_instance_norm_values", points=2, checks=[
        Check(collect_instance_norm_values, judge_instance_norm_values),
        Check(collect_instance_norm_values_more, judge_instance_norm_values_more, hidden=True),
    ]),
    Cell("test_instance_norm_affine_and_1d", points=1, checks=[
        Check(collect_instance_norm_affine_and_1d, judge_instance_norm_affine_and_1d),
        Check(collect_instance_norm_affine_and_1d_more, judge_instance_norm_affine_and_1d_more, hidden=True),
    ]),
    Cell("test_instance_norm_errors_and_gradients", points=1, checks=[
        Check(collect_instance_norm_errors_and_gradients, judge_instance_norm_errors_and_gradients),
        Check(collect_instance_norm_errors_and_gradients_more, judge_instance_norm_errors_and_gradients_more,
              hidden=True),
    ]),
]

# ----------------------------------------------------------------------------- answers

_TEMPLATE = '''
    def instance_norm(x, weight=None, bias=None, eps=1e-5):
        if x.dim() not in (3, 4):
            raise ValueError(f"bad shape {tuple(x.shape)}")
        if x[0, 0].numel() <= 1:
            raise ValueError("one spatial element")
        C = x.shape[1]
        shape = (1, C) + (1,) * (x.dim() - 2)
        dims = list(range(2, x.dim()))
        mean = x.mean(dim=dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
        y = (x - mean) / torch.sqrt(var + eps)
        if weight is not None:
            y = y * weight.view(shape)
        if bias is not None:
            y = y + bias.view(shape)
        return y
'''
WRONG = variants(_TEMPLATE, {
    "layer norm (channels reduced too)": ("dims = list(range(2, x.dim()))", "dims = list(range(1, x.dim()))"),
    "batch statistics (batch reduced too)": ("dims = list(range(2, x.dim()))", "dims = [0] + list(range(2, x.dim()))"),
    "unbiased variance": ("var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)", "var = x.var(dim=dims, keepdim=True)"),
    "eps outside the square root": ("torch.sqrt(var + eps)", "(torch.sqrt(var) + eps)"),
    "weight and bias ignored": ('''        if weight is not None:
            y = y * weight.view(shape)
        if bias is not None:
            y = y + bias.view(shape)
''', ""),
    "no error for 2-D input": ('''        if x.dim() not in (3, 4):
            raise ValueError(f"bad shape {tuple(x.shape)}")
        if x[0, 0].numel() <= 1:''', '''        if x.dim() > 2 and x[0, 0].numel() <= 1:'''),
})
WRONG["calls F.instance_norm"] = source('''
    def instance_norm(x, weight=None, bias=None, eps=1e-5):
        return F.instance_norm(x, weight=weight, bias=bias, eps=eps)
''')
WRONG["imports the traintech reference"] = "from traintech.reference.normalization import instance_norm\n"

RIGHT = {
    "flatten(2), centred, pow(2)": source('''
        def instance_norm(x, weight=None, bias=None, eps=1e-5):
            if x.ndim < 3 or x.ndim > 4:
                raise ValueError(f"expected 3-D or 4-D input, got {tuple(x.shape)}")
            N, C = x.shape[0], x.shape[1]
            flat = x.flatten(2)                                     # (N, C, L)
            if flat.shape[2] < 2:
                raise ValueError("need more than one spatial element per channel")
            centred = flat - flat.mean(dim=2, keepdim=True)
            out = centred / (centred.pow(2).mean(dim=2, keepdim=True) + eps).sqrt()
            if weight is not None:
                out = out * weight[None, :, None]
            if bias is not None:
                out = out + bias[None, :, None]
            return out.reshape(x.shape)
    '''),
    "blind: reduce spatial dims with keepdim": r'''def instance_norm(x, weight=None, bias=None, eps=1e-5):
    """Instance norm: one mean/biased var per (sample, channel) over spatial dims."""
    if x.dim() not in (3, 4):
        raise ValueError(f"expected 3D (N, C, L) or 4D (N, C, H, W) input, got {x.dim()}D")
    spatial = tuple(range(2, x.dim()))
    if math.prod(x.shape[2:]) <= 1:
        raise ValueError(f"expected more than 1 spatial element per channel, got input of shape {tuple(x.shape)}")
    mean = x.mean(dim=spatial, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=spatial, keepdim=True)
    out = (x - mean) / torch.sqrt(var + eps)
    shape = (1, x.shape[1]) + (1,) * (x.dim() - 2)
    if weight is not None:
        out = out * weight.view(shape)
    if bias is not None:
        out = out + bias.view(shape)
    return out
''',
    "blind: reshape (N, C, -1) + torch.var_mean": r'''def instance_norm(x, weight=None, bias=None, eps=1e-5):
    """Instance normalization with input statistics, via a (N, C, HW) view."""
    if x.ndim != 3 and x.ndim != 4:
        raise ValueError("instance_norm: input must be (N, C, L) or (N, C, H, W), got %d-D" % x.ndim)
    N, C = x.shape[0], x.shape[1]
    flat = x.reshape(N, C, -1)
    if flat.shape[-1] < 2:
        raise ValueError("Expected more than 1 spatial element when training, got input size %s" % (tuple(x.shape),))
    var, mean = torch.var_mean(flat, dim=-1, keepdim=True, unbiased=False)
    y = (flat - mean) * torch.rsqrt(var + eps)
    if weight is not None:
        y = y * weight.reshape(1, C, 1)
    if bias is not None:
        y = y + bias.reshape(1, C, 1)
    return y.reshape(x.shape)
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: dict_dims_torch_var (issue 16's release)"] = r'''\
def instance_norm(x, weight=None, bias=None, eps=1e-5):
    """Instance normalization of every channel of every sample over its spatial dims (Ulyanov et al., 2016).

    Args:
        x: input of shape (N, C, L) or (N, C, H, W).
        weight, bias: per-channel gamma and beta (C,), or None. Default: None
        eps: added to the variance inside the square root. Default: 1e-5

    Returns:
        A differentiable tensor of ``x``'s shape and dtype, normalized with the mean and biased
        variance of each (sample, channel) over the spatial dims.

    Raises:
        ValueError: if ``x`` is not 3-D or 4-D, or if it has only one spatial element per
            channel (e.g. shape (N, C, 1) or (N, C, 1, 1)).
    """
    spatial_dims = {3: (2,), 4: (2, 3)}.get(x.dim())
    if spatial_dims is None:
        raise ValueError(f"expected 3-D (N, C, L) or 4-D (N, C, H, W) input, got shape {tuple(x.shape)}")
    if x.shape[2:].numel() == 1:
        raise ValueError(f"expected more than 1 spatial element per channel, got input of shape {tuple(x.shape)}")
    mean = x.mean(dim=spatial_dims, keepdim=True)
    var = torch.var(x, dim=spatial_dims, correction=0, keepdim=True)
    out = (x - mean) / torch.sqrt(var + eps)
    channel_shape = (1, x.shape[1]) + (1,) * len(spatial_dims)
    if weight is not None:
        out = out * weight.view(channel_shape)
    if bias is not None:
        out = out + bias.view(channel_shape)
    return out
'''
RIGHT["blind: rows_per_instance_manual (issue 16's release)"] = r'''\
def instance_norm(x, weight=None, bias=None, eps=1e-5):
    """Instance normalization of every channel of every sample over its spatial dims (Ulyanov et al., 2016).

    Args:
        x: input of shape (N, C, L) or (N, C, H, W).
        weight, bias: per-channel gamma and beta (C,), or None. Default: None
        eps: added to the variance inside the square root. Default: 1e-5

    Returns:
        A differentiable tensor of ``x``'s shape and dtype, normalized with the mean and biased
        variance of each (sample, channel) over the spatial dims.

    Raises:
        ValueError: if ``x`` is not 3-D or 4-D, or if it has only one spatial element per
            channel (e.g. shape (N, C, 1) or (N, C, 1, 1)).
    """
    if x.ndim not in (3, 4):
        raise ValueError(f"Expected 3D or 4D input (got {x.ndim}D input)")
    N, C = x.shape[0], x.shape[1]
    spatial = 1
    for size in x.shape[2:]:
        spatial *= size
    if spatial == 1:
        raise ValueError(f"Expected more than 1 spatial element, got input size {list(x.shape)}")
    # one row per (sample, channel), holding its spatial positions
    rows = x.reshape(N * C, spatial)
    mu = rows.sum(dim=1, keepdim=True) / spatial
    var = ((rows - mu) ** 2).sum(dim=1, keepdim=True) / spatial
    y = ((rows - mu) / torch.sqrt(var + eps)).reshape(N, C, spatial)
    if weight is not None:
        y = y * weight[None, :, None]
    if bias is not None:
        y = y + bias[None, :, None]
    return y.reshape(x.shape)
'''
