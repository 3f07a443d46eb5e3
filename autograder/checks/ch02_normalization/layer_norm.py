"""layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5): the test cells, wrong answers and
right answers."""
import torch

from autograder.checks import Cell, Check
from traintech.checking import agree, entry, expect_raised, gradients_consistent, raises

from ._shared import gradient_probe_of, source, variants

EXERCISE = "layer_norm"
# F.layer_norm refuses an int normalized_shape (the exercise takes one: layer_norm(x, 6)), and raises
# RuntimeError where the exercise raises ValueError; its values are the reference's (tests/test_normalization.py)
REFERENCE = "traintech.reference.normalization.layer_norm"
LAYER_NORM_FORBIDDEN = [
    "torch.nn.functional.layer_norm", "torch.layer_norm", "torch.native_layer_norm", "torch.nn.LayerNorm",
    "torch.nn.functional.group_norm", "torch.nn.functional.batch_norm", "torch.nn.functional.instance_norm",
    "torch.nn.functional.rms_norm"]


# ----------------------------------------------------------------------------- test_layer_norm_values


def collect_layer_norm_values(layer_norm):
    """Each sample (or token) normalized over the trailing normalized_shape, like F.layer_norm."""
    g = torch.Generator().manual_seed(10)
    x = torch.randn(4, 6, generator=g) * 3 + 1
    tokens = torch.randn(2, 5, 8, generator=g)
    images = torch.randn(3, 2, 4, 4, generator=g) * 2 - 1
    return {"layer_norm(x (4, 6), 6)": layer_norm(x, 6),
            "layer_norm of (N, T, D) = (2, 5, 8) tokens over D": layer_norm(tokens, (8,)),
            "layer_norm of (3, 2, 4, 4) over (C, H, W)": layer_norm(images, (2, 4, 4))}


def judge_layer_norm_values(got, ref, context):
    context.no_delegation("layer_norm", LAYER_NORM_FORBIDDEN)
    agree(got, ref, "layer_norm(x (4, 6), 6)",
          hint="normalize each row over its 6 features, with the biased variance (divide by D, not D - 1).")
    agree(got, ref, "layer_norm of (N, T, D) = (2, 5, 8) tokens over D")
    agree(got, ref, "layer_norm of (3, 2, 4, 4) over (C, H, W)",
          hint="reduce over the last len(normalized_shape) dims together, not only the last one.")


def collect_layer_norm_values_more(layer_norm):
    g = torch.Generator().manual_seed(10)
    torch.randn(4, 6, generator=g), torch.randn(2, 5, 8, generator=g)  # the visible check's x and tokens
    images = torch.randn(3, 2, 4, 4, generator=g) * 2 - 1
    x64 = torch.randn(3, 7, generator=g, dtype=torch.float64) * 0.1
    v = torch.randn(9, generator=g)
    return {"layer_norm over (H, W) given as a list": layer_norm(images, [4, 4]),
            "layer_norm with a torch.Size": layer_norm(images, torch.Size([2, 4, 4])),
            "layer_norm with eps=0.01 (float64)": layer_norm(x64, 7, eps=0.01),
            "layer_norm of a 1-D vector": layer_norm(v, 9)}


def judge_layer_norm_values_more(got, ref, context):
    agree(got, ref, "layer_norm over (H, W) given as a list", "layer_norm with a torch.Size")
    agree(got, ref, "layer_norm with eps=0.01 (float64)",
          hint="keep the input's dtype; eps goes inside the square root.")
    agree(got, ref, "layer_norm of a 1-D vector")


# ----------------------------------------------------------------------------- test_layer_norm_affine


def collect_layer_norm_affine(layer_norm):
    """weight and bias are element-wise, of shape normalized_shape."""
    g = torch.Generator().manual_seed(11)
    x = torch.randn(2, 3, 4, generator=g)
    weight, bias = torch.randn(3, 4, generator=g), torch.randn(3, 4, generator=g)
    return {"layer_norm(x, (3, 4), weight, bias)": layer_norm(x, (3, 4), weight, bias)}


def judge_layer_norm_affine(got, ref, context):
    context.no_delegation("layer_norm", LAYER_NORM_FORBIDDEN)
    agree(got, ref, "layer_norm(x, (3, 4), weight, bias)",
          hint="multiply by weight and add bias element-wise after normalizing; they broadcast over the leading dims.")


def collect_layer_norm_affine_more(layer_norm):
    g = torch.Generator().manual_seed(111)
    x = torch.randn(2, 3, 4, generator=g, dtype=torch.float64)
    w = torch.randn(4, generator=g, dtype=torch.float64)
    return {"layer_norm with weight only": layer_norm(x, 4, weight=w),
            "layer_norm with bias only": layer_norm(x, 4, bias=w)}


def judge_layer_norm_affine_more(got, ref, context):
    agree(got, ref, "layer_norm with weight only", "layer_norm with bias only")


# ----------------------------------------------------------------------------- test_layer_norm_errors_and_gradients


def collect_layer_norm_errors_and_gradients(layer_norm):
    """A normalized_shape that is not x's trailing shape is a ValueError; the output is differentiable."""
    g = torch.Generator().manual_seed(12)
    t, w, b = torch.randn(3, 5, generator=g), torch.randn(5, generator=g), torch.randn(5, generator=g)
    return {"layer_norm(x of shape (2, 3, 4), (3,))": raises(layer_norm, torch.randn(2, 3, 4, generator=g), (3,)),
            "gradient": gradient_probe_of(lambda t, w, b: layer_norm(t, 5, w, b), t, w, b, seed=1)}


def judge_layer_norm_errors_and_gradients(got, ref, context):
    context.no_delegation("layer_norm", LAYER_NORM_FORBIDDEN)
    expect_raised(entry(got, "layer_norm(x of shape (2, 3, 4), (3,))"), "ValueError",
                  "layer_norm(x of shape (2, 3, 4), (3,))",
                  hint="normalized_shape must be the trailing shape of x: (4,), (3, 4) or (2, 3, 4) here.")
    gradients_consistent(entry(got, "gradient"), ref["gradient"], "layer_norm")


def collect_layer_norm_errors_and_gradients_more(layer_norm):
    g = torch.Generator().manual_seed(112)
    return {"layer_norm(x of shape (2, 3, 4), (2, 4))": raises(layer_norm, torch.randn(2, 3, 4, generator=g), (2, 4)),
            "layer_norm(x of shape (4,), (2, 4))": raises(layer_norm, torch.randn(4, generator=g), (2, 4)),
            "gradient over (2, 3)": gradient_probe_of(lambda t: layer_norm(t, (2, 3)),
                                                      torch.randn(2, 2, 3, generator=g), seed=2)}


def judge_layer_norm_errors_and_gradients_more(got, ref, context):
    for call in ("layer_norm(x of shape (2, 3, 4), (2, 4))", "layer_norm(x of shape (4,), (2, 4))"):
        expect_raised(entry(got, call), "ValueError", call)
    gradients_consistent(entry(got, "gradient over (2, 3)"), ref["gradient over (2, 3)"], "layer_norm over (2, 3)")


CELLS = [
    Cell("test_layer_norm_values", points=2, checks=[
        Check(collect_layer_norm_values, judge_layer_norm_values),
        Check(collect_layer_norm_values_more, judge_layer_norm_values_more, hidden=True),
    ]),
    Cell("test_layer_norm_affine", points=1, checks=[
        Check(collect_layer_norm_affine, judge_layer_norm_affine),
        Check(collect_layer_norm_affine_more, judge_layer_norm_affine_more, hidden=True),
    ]),
    Cell("test_layer_norm_errors_and_gradients", points=1, checks=[
        Check(collect_layer_norm_errors_and_gradients, judge_layer_norm_errors_and_gradients),
        Check(collect_layer_norm_errors_and_gradients_more, judge_layer_norm_errors_and_gradients_more, hidden=True),
    ]),
]

# ----------------------------------------------------------------------------- answers

_TEMPLATE = '''
    def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        normalized_shape = tuple(normalized_shape)
        k = len(normalized_shape)
        if k == 0 or x.dim() < k or tuple(x.shape[x.dim() - k:]) != normalized_shape:
            raise ValueError(f"bad normalized_shape {normalized_shape}")
        dims = list(range(x.dim() - k, x.dim()))
        mean = x.mean(dim=dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
        y = (x - mean) / torch.sqrt(var + eps)
        if weight is not None:
            y = y * weight
        if bias is not None:
            y = y + bias
        return y
'''
WRONG = variants(_TEMPLATE, {
    "always the last dimension only": ("dims = list(range(x.dim() - k, x.dim()))", "dims = [-1]"),
    "over the batch dimension": ("dims = list(range(x.dim() - k, x.dim()))", "dims = [0]"),
    "unbiased variance": ("var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)",
                          "var = x.var(dim=dims, keepdim=True)"),
    "eps outside the square root": ("torch.sqrt(var + eps)", "(torch.sqrt(var) + eps)"),
    "no check of normalized_shape": ('''        if k == 0 or x.dim() < k or tuple(x.shape[x.dim() - k:]) != normalized_shape:
            raise ValueError(f"bad normalized_shape {normalized_shape}")
''', ""),
})
WRONG["calls F.layer_norm"] = source('''
    def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        return F.layer_norm(x, tuple(normalized_shape), weight, bias, eps)
''')
WRONG["imports the traintech reference"] = "from traintech.reference.normalization import layer_norm\n"

RIGHT = {
    "rows of math.prod(shape), var_mean, rsqrt": source('''
        def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
            shape = [normalized_shape] if isinstance(normalized_shape, int) else list(normalized_shape)
            if not shape or list(x.shape[len(x.shape) - len(shape):]) != shape or x.ndim < len(shape):
                raise ValueError(f"normalized_shape {shape} does not match the end of {list(x.shape)}")
            lead = x.shape[:x.ndim - len(shape)]
            rows = x.reshape(-1, math.prod(shape))                 # one row per sample
            var, mean = torch.var_mean(rows, dim=1, keepdim=True, correction=0)
            out = ((rows - mean) * torch.rsqrt(var + eps)).reshape(*lead, *shape)
            if weight is not None:
                out = out * weight
            if bias is not None:
                out = out + bias
            return out
    '''),
    "blind: reduce trailing dims, keepdim": r'''def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalization over the trailing normalized_shape dims."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k > x.dim() or tuple(x.shape[x.dim() - k:]) != normalized_shape:
        raise ValueError(f"normalized_shape {normalized_shape} is not the trailing shape of input {tuple(x.shape)}")
    if k == 0:
        out = torch.zeros_like(x)
    else:
        dims = tuple(range(x.dim() - k, x.dim()))
        mean = x.mean(dim=dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
        out = (x - mean) / torch.sqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out
''',
    "blind: flatten to (B, D) + torch.var(unbiased=False)": r'''def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """LayerNorm: flatten leading dims and normalized dims to (B, D), normalize rows."""
    if isinstance(normalized_shape, int):
        shape = [normalized_shape]
    elif isinstance(normalized_shape, (list, tuple, torch.Size)):
        shape = [int(s) for s in normalized_shape]
    else:
        raise ValueError(f"normalized_shape must be an int or a sequence of ints, got {normalized_shape!r}")
    k = len(shape)
    if k > x.dim() or list(x.shape)[x.dim() - k:] != shape:
        raise ValueError("Given normalized_shape=%s, expected input with shape [*, %s], but got input of size %s"
                         % (shape, ", ".join(map(str, shape)), list(x.shape)))
    D = math.prod(shape)
    lead = x.shape[:x.dim() - k]
    rows = x.reshape(-1, D)
    mu = rows.mean(dim=1, keepdim=True)
    var = torch.var(rows, dim=1, keepdim=True, unbiased=False)
    normed = ((rows - mu) / torch.sqrt(var + eps)).reshape(x.shape)
    if weight is not None:
        normed = normed * weight.reshape(shape)
    if bias is not None:
        normed = normed + bias.reshape(shape)
    return normed
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: dims_tuple_torch_var (issue 16's release)"] = r'''\
def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalization over the last len(normalized_shape) dimensions (Ba et al., 2016).

    Args:
        x: input of shape (*, *normalized_shape), where * may be empty.
        normalized_shape: the trailing shape to normalize over: an int, or a tuple, list or
            ``torch.Size`` of ints.
        weight, bias: element-wise gamma and beta of shape normalized_shape, or None. Default: None
        eps: added to the variance inside the square root. Default: 1e-5

    Returns:
        A differentiable tensor of ``x``'s shape and dtype, normalized with the mean and biased
        variance over the last len(normalized_shape) dimensions.

    Raises:
        ValueError: if ``normalized_shape`` is not the trailing shape of ``x`` (also when ``x``
            has fewer dimensions).
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0:
        raise ValueError("normalized_shape must contain at least one dimension")
    if x.dim() < k or tuple(x.shape[-k:]) != normalized_shape:
        raise ValueError(f"normalized_shape={list(normalized_shape)} is not the trailing shape of an input "
                         f"of shape {list(x.shape)}")
    dims = tuple(range(-k, 0))
    mean = x.mean(dim=dims, keepdim=True)
    var = torch.var(x, dim=dims, correction=0, keepdim=True)
    out = (x - mean) / torch.sqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out
'''
RIGHT["blind: flatten_rows_manual_sums (issue 16's release)"] = r'''\
def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalization over the last len(normalized_shape) dimensions (Ba et al., 2016).

    Args:
        x: input of shape (*, *normalized_shape), where * may be empty.
        normalized_shape: the trailing shape to normalize over: an int, or a tuple, list or
            ``torch.Size`` of ints.
        weight, bias: element-wise gamma and beta of shape normalized_shape, or None. Default: None
        eps: added to the variance inside the square root. Default: 1e-5

    Returns:
        A differentiable tensor of ``x``'s shape and dtype, normalized with the mean and biased
        variance over the last len(normalized_shape) dimensions.

    Raises:
        ValueError: if ``normalized_shape`` is not the trailing shape of ``x`` (also when ``x``
            has fewer dimensions).
    """
    shape = [normalized_shape] if isinstance(normalized_shape, int) else list(normalized_shape)
    shape = [int(s) for s in shape]
    lead = list(x.shape)[: x.dim() - len(shape)]
    if not shape or len(shape) > x.dim() or list(x.shape)[x.dim() - len(shape):] != shape:
        raise ValueError(f"Given normalized_shape={shape}, expected input with shape [*, "
                         f"{', '.join(map(str, shape))}], but got input of size {list(x.shape)}")
    D = 1
    for s in shape:
        D *= s
    # one row per sample (or token): its D values side by side
    rows = x.reshape(lead + [D])
    mu = rows.sum(dim=-1, keepdim=True) / D
    centred = rows - mu
    var = (centred * centred).sum(dim=-1, keepdim=True) / D     # biased: divide by D
    normalized = (centred / torch.sqrt(var + eps)).reshape(x.shape)
    if weight is not None:
        normalized = normalized * weight
    if bias is not None:
        normalized = normalized + bias
    return normalized
'''
