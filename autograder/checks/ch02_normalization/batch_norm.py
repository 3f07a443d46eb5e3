"""batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
the test cells, wrong answers and right answers."""
import torch

from autograder.checks import Cell, Check
from traintech.checking import agree, entry, expect_raised, gradients_consistent, raises

from ._shared import gradient_probe_of, source, variants

EXERCISE = "batch_norm"
REFERENCE = "torch.nn.functional.batch_norm"  # the values; the ValueErrors are the course's (PyTorch raises others)
BATCH_NORM_FORBIDDEN = [
    "torch.nn.functional.batch_norm", "torch.batch_norm", "torch.native_batch_norm", "torch.nn.BatchNorm1d",
    "torch.nn.BatchNorm2d", "torch.nn.functional.instance_norm", "torch.nn.functional.group_norm",
    "torch.nn.functional.layer_norm", "torch.nn.modules.batchnorm._BatchNorm"]


# ----------------------------------------------------------------------------- test_batch_norm_training


def collect_batch_norm_training(batch_norm):
    """Training mode: each channel normalized with its batch mean and biased variance, like F.batch_norm."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 4, generator=g) * 3 + 2
    weight, bias = torch.randn(4, generator=g), torch.randn(4, generator=g)
    return {"batch_norm(x (16, 4), training=True)": batch_norm(x, torch.zeros(4), torch.ones(4), weight, bias,
                                                                training=True)}


def judge_batch_norm_training(got, ref, context):
    context.no_delegation("batch_norm", BATCH_NORM_FORBIDDEN)
    agree(got, ref, "batch_norm(x (16, 4), training=True)",
          hint="per channel (column): (x - mean) / sqrt(var + eps) * weight + bias, with the mean and the "
               "*biased* variance (divide by n, not n - 1) of the batch, reduced over dim 0.")


def collect_batch_norm_training_more(batch_norm):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 4, generator=g) * 3 + 2
    torch.randn(4, generator=g)  # the visible check's weight: the draws after it stay the same
    bias = torch.randn(4, generator=g)
    x3 = torch.randn(5, 3, 7, generator=g) - 1
    x64 = torch.randn(6, 5, generator=g, dtype=torch.float64) * 0.1
    w64, b64 = torch.rand(5, generator=g, dtype=torch.float64), torch.randn(5, generator=g, dtype=torch.float64)
    t, tw, tb = torch.randn(4, 3, 2, generator=g), torch.rand(3, generator=g) + 0.5, torch.randn(3, generator=g)
    return {
        "batch_norm without weight and bias": batch_norm(x, torch.zeros(4), torch.ones(4), training=True),
        "batch_norm of (5, 3, 7) input": batch_norm(x3, torch.zeros(3), torch.ones(3), training=True),
        "batch_norm with eps=0.1, float64, no running statistics": batch_norm(x64, None, None, w64, b64,
                                                                              training=True, eps=0.1),
        "batch_norm with bias only": batch_norm(x, torch.zeros(4), torch.ones(4), None, bias, training=True),
        "gradient": gradient_probe_of(
            lambda t, w, b: batch_norm(t, torch.zeros(3, dtype=t.dtype), torch.ones(3, dtype=t.dtype), w, b,
                                       training=True), t, tw, tb, seed=1),
    }


def judge_batch_norm_training_more(got, ref, context):
    agree(got, ref, "batch_norm without weight and bias",
          hint="weight=None means gamma = 1, bias=None means beta = 0.")
    agree(got, ref, "batch_norm of (5, 3, 7) input", hint="for (N, C, L) input, reduce over dims 0 and 2.")
    agree(got, ref, "batch_norm with eps=0.1, float64, no running statistics",
          hint="keep the input's dtype; eps goes inside the square root: sqrt(var + eps); running_mean=None "
               "means nothing is tracked.")
    agree(got, ref, "batch_norm with bias only")
    gradients_consistent(entry(got, "gradient"), ref["gradient"], "batch_norm (training)")


# ----------------------------------------------------------------------------- test_batch_norm_running_stats


def collect_batch_norm_running_stats(batch_norm):
    """Running statistics after several training steps: PyTorch's momentum convention, unbiased variance."""
    g = torch.Generator().manual_seed(1)
    mean, var = torch.zeros(3), torch.ones(3)
    for step in range(3):
        x = torch.randn(8, 3, generator=g) * 2 + step
        batch_norm(x, mean, var, training=True, momentum=0.1)
    return {"running_mean after 3 training steps": mean, "running_var after 3 training steps": var}


def judge_batch_norm_running_stats(got, ref, context):
    context.no_delegation("batch_norm", BATCH_NORM_FORBIDDEN)
    agree(got, ref, "running_mean after 3 training steps",
          hint="update in place: running_mean = (1 - momentum) * running_mean + momentum * batch_mean "
               "(PyTorch's momentum is the weight of the new batch).")
    agree(got, ref, "running_var after 3 training steps",
          hint="running_var differs: did you use the unbiased variance (divide by n - 1) for the running "
               "statistics, and the same momentum convention as for the mean?")


def collect_batch_norm_running_stats_more(batch_norm):
    g = torch.Generator().manual_seed(101)
    x = torch.randn(4, 3, 5, 5, generator=g, requires_grad=True)
    mean, var = torch.zeros(3), torch.ones(3)
    batch_norm(x, mean, var, training=True, momentum=0.5)
    m64, v64 = torch.full((2,), 0.5, dtype=torch.float64), torch.full((2,), 2.0, dtype=torch.float64)
    batch_norm(torch.randn(3, 2, 4, generator=g, dtype=torch.float64), m64, v64, training=True, momentum=1.0)
    return {
        "running_mean for (4, 3, 5, 5) input, momentum=0.5": mean,
        "running_var for (4, 3, 5, 5) input, momentum=0.5": var,
        "the running statistics stay outside the autograd graph": not (
            mean.requires_grad or var.requires_grad or mean.grad_fn is not None or var.grad_fn is not None),
        "running_mean with momentum=1.0 (float64)": m64,
        "running_var with momentum=1.0 (float64)": v64,
    }


def judge_batch_norm_running_stats_more(got, ref, context):
    agree(got, ref, "running_mean for (4, 3, 5, 5) input, momentum=0.5")
    agree(got, ref, "running_var for (4, 3, 5, 5) input, momentum=0.5",
          hint="n is N * H * W values per channel, so the unbiased factor is n / (n - 1).")
    agree(got, ref, "the running statistics stay outside the autograd graph",
          hint="the running statistics became part of the autograd graph: update them inside `with torch.no_grad():`.")
    agree(got, ref, "running_mean with momentum=1.0 (float64)", "running_var with momentum=1.0 (float64)")


# ----------------------------------------------------------------------------- test_batch_norm_eval


def collect_batch_norm_eval(batch_norm):
    """Evaluation mode: normalize with the running statistics, and leave them unchanged."""
    g = torch.Generator().manual_seed(2)
    x = torch.randn(10, 3, generator=g)
    mean, var = torch.tensor([0.5, -1.0, 2.0]), torch.tensor([4.0, 0.25, 1.0])
    weight, bias = torch.randn(3, generator=g), torch.randn(3, generator=g)
    out = batch_norm(x, mean, var, weight, bias, training=False)
    return {"batch_norm(x, training=False)": out, "running_mean after an evaluation call": mean,
            "running_var after an evaluation call": var}


def judge_batch_norm_eval(got, ref, context):
    context.no_delegation("batch_norm", BATCH_NORM_FORBIDDEN)
    agree(got, ref, "batch_norm(x, training=False)",
          hint="in evaluation mode use running_mean and running_var instead of the batch statistics.")
    agree(got, ref, "running_mean after an evaluation call", hint="evaluation must not update the running statistics.")
    agree(got, ref, "running_var after an evaluation call")


def collect_batch_norm_eval_more(batch_norm):
    g = torch.Generator().manual_seed(2)
    torch.randn(10, 3, generator=g)  # the visible check's x: the same weight and bias follow
    mean, var = torch.tensor([0.5, -1.0, 2.0]), torch.tensor([4.0, 0.25, 1.0])
    weight, bias = torch.randn(3, generator=g), torch.randn(3, generator=g)
    x4 = torch.randn(1, 3, 4, 4, generator=g)
    x1 = torch.randn(1, 3, generator=g, dtype=torch.float64)
    return {
        "batch_norm of one (1, 3, 4, 4) image in evaluation mode with eps=0.5": batch_norm(x4, mean, var, weight, bias,
                                                                                           eps=0.5),
        "batch_norm of a single (1, 3) float64 sample in evaluation mode": batch_norm(x1, mean.double(), var.double()),
    }


def judge_batch_norm_eval_more(got, ref, context):
    agree(got, ref, "batch_norm of one (1, 3, 4, 4) image in evaluation mode with eps=0.5")
    agree(got, ref, "batch_norm of a single (1, 3) float64 sample in evaluation mode",
          hint="one sample is fine in evaluation mode: the statistics come from running_mean and running_var.")


# ----------------------------------------------------------------------------- test_batch_norm_shapes_and_errors


def collect_batch_norm_shapes_and_errors(batch_norm):
    """(N, C, H, W) input: one mean and variance per channel over N, H and W; one value per channel is an error."""
    g = torch.Generator().manual_seed(3)
    x = torch.randn(4, 3, 5, 6, generator=g) * 2 - 1
    weight, bias = torch.randn(3, generator=g), torch.randn(3, generator=g)
    return {
        "batch_norm of (4, 3, 5, 6) input, training=True": batch_norm(x, torch.zeros(3), torch.ones(3), weight, bias,
                                                                      training=True),
        "batch_norm(x of shape (1, 3), training=True)": raises(batch_norm, torch.randn(1, 3, generator=g),
                                                               torch.zeros(3), torch.ones(3), training=True),
    }


def judge_batch_norm_shapes_and_errors(got, ref, context):
    context.no_delegation("batch_norm", BATCH_NORM_FORBIDDEN)
    agree(got, ref, "batch_norm of (4, 3, 5, 6) input, training=True",
          hint="reduce over dims (0, 2, 3): one mean and one variance per channel, not per position.")
    expect_raised(entry(got, "batch_norm(x of shape (1, 3), training=True)"), "ValueError",
                  "batch_norm(x of shape (1, 3), training=True)",
                  hint="one value per channel cannot be normalized in training: raise ValueError.")


def collect_batch_norm_shapes_and_errors_more(batch_norm):
    g = torch.Generator().manual_seed(103)
    x1 = torch.randn(1, 3, 5, generator=g)
    x64 = torch.randn(2, 2, 3, 3, generator=g, dtype=torch.float64)
    return {
        "batch_norm(x of shape (1, 3, 1, 1), training=True)": raises(
            batch_norm, torch.randn(1, 3, 1, 1, generator=g), torch.zeros(3), torch.ones(3), training=True),
        "batch_norm(x of shape (5,), training=True)": raises(
            batch_norm, torch.randn(5, generator=g), torch.zeros(5), torch.ones(5), training=True),
        "batch_norm(x of shape (2, 3, 2, 2, 2), training=True)": raises(
            batch_norm, torch.randn(2, 3, 2, 2, 2, generator=g), torch.zeros(3), torch.ones(3), training=True),
        "batch_norm of (1, 3, 5) input (5 values per channel)": batch_norm(x1, torch.zeros(3), torch.ones(3),
                                                                           training=True),
        "batch_norm of float64 (2, 2, 3, 3) input": batch_norm(x64, None, None, training=True, eps=1e-3),
    }


def judge_batch_norm_shapes_and_errors_more(got, ref, context):
    for call in ("batch_norm(x of shape (1, 3, 1, 1), training=True)", "batch_norm(x of shape (5,), training=True)",
                 "batch_norm(x of shape (2, 3, 2, 2, 2), training=True)"):
        expect_raised(entry(got, call), "ValueError", call)
    agree(got, ref, "batch_norm of (1, 3, 5) input (5 values per channel)", "batch_norm of float64 (2, 2, 3, 3) input")


CELLS = [
    Cell("test_batch_norm_training", points=2, checks=[
        Check(collect_batch_norm_training, judge_batch_norm_training),
        Check(collect_batch_norm_training_more, judge_batch_norm_training_more, hidden=True),
    ]),
    Cell("test_batch_norm_running_stats", points=2, checks=[
        Check(collect_batch_norm_running_stats, judge_batch_norm_running_stats),
        Check(collect_batch_norm_running_stats_more, judge_batch_norm_running_stats_more, hidden=True),
    ]),
    Cell("test_batch_norm_eval", points=1, checks=[
        Check(collect_batch_norm_eval, judge_batch_norm_eval),
        Check(collect_batch_norm_eval_more, judge_batch_norm_eval_more, hidden=True),
    ]),
    Cell("test_batch_norm_shapes_and_errors", points=1, checks=[
        Check(collect_batch_norm_shapes_and_errors, judge_batch_norm_shapes_and_errors),
        Check(collect_batch_norm_shapes_and_errors_more, judge_batch_norm_shapes_and_errors_more, hidden=True),
    ]),
]

# ----------------------------------------------------------------------------- answers

_TEMPLATE = '''
    def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
        if x.dim() not in (2, 3, 4):
            raise ValueError(f"bad shape {tuple(x.shape)}")
        C = x.shape[1]
        shape = (1, C) + (1,) * (x.dim() - 2)
        if training:
            dims = [0] + list(range(2, x.dim()))
            n = x.numel() // C
            if n <= 1:
                raise ValueError("one value per channel")
            mean = x.mean(dim=dims)
            var = ((x - mean.view(shape)) ** 2).mean(dim=dims)
            if running_mean is not None:
                with torch.no_grad():
                    running_mean.mul_(1 - momentum).add_(momentum * mean)
                    running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))
        else:
            mean, var = running_mean, running_var
        y = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + eps)
        if weight is not None:
            y = y * weight.view(shape)
        if bias is not None:
            y = y + bias.view(shape)
        return y
'''
_UPDATE = '''                with torch.no_grad():
                    running_mean.mul_(1 - momentum).add_(momentum * mean)
                    running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))'''
_TRAIN_HEAD = '''        if training:
            dims = [0] + list(range(2, x.dim()))'''

WRONG = variants(_TEMPLATE, {
    "unbiased variance to normalize": ("var = ((x - mean.view(shape)) ** 2).mean(dim=dims)",
                                       "var = ((x - mean.view(shape)) ** 2).sum(dim=dims) / (n - 1)"),
    "biased variance in running_var": ("momentum * var * n / (n - 1)", "momentum * var"),
    "Keras momentum convention": (_UPDATE, '''                with torch.no_grad():
                    running_mean.mul_(momentum).add_((1 - momentum) * mean)
                    running_var.mul_(momentum).add_((1 - momentum) * var * n / (n - 1))'''),
    "eps outside the square root": ("torch.sqrt(var.view(shape) + eps)", "(torch.sqrt(var.view(shape)) + eps)"),
    "statistics per position (reduces dim 0 only)": ("dims = [0] + list(range(2, x.dim()))", "dims = [0]"),
    "batch statistics in eval mode": (_TRAIN_HEAD, '''        if True:
            dims = [0] + list(range(2, x.dim()))'''),
    "no error for one value per channel": ('''            if n <= 1:
                raise ValueError("one value per channel")
''', ""),
    "running statistics rebound instead of updated in place": (_UPDATE, '''                running_mean = (1 - momentum) * running_mean + momentum * mean
                running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)'''),
    "running statistics left in the autograd graph": (_UPDATE, '''                running_mean.copy_((1 - momentum) * running_mean + momentum * mean)
                running_var.copy_((1 - momentum) * running_var + momentum * var * n / (n - 1))'''),
})
WRONG["calls F.batch_norm"] = source('''
    def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
        return F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)
''')
WRONG["imports the traintech reference"] = "from traintech.reference.normalization import batch_norm\n"

RIGHT = {
    "var_mean over a (C, n) view, lerp_, rsqrt": source('''
        def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
            if not 2 <= x.ndim <= 4:
                raise ValueError(f"expected (N, C), (N, C, L) or (N, C, H, W), got {x.ndim}-D input")
            C = x.size(1)
            flat = x.transpose(0, 1).reshape(C, -1)          # (C, n): one row per channel
            if training:
                n = flat.size(1)
                if n < 2:
                    raise ValueError(f"need more than one value per channel in training, got {tuple(x.shape)}")
                var, mean = torch.var_mean(flat, dim=1, unbiased=False)
                if running_mean is not None:
                    with torch.no_grad():
                        running_mean.lerp_(mean.to(running_mean.dtype), momentum)
                        running_var.lerp_((var * (n / (n - 1))).to(running_var.dtype), momentum)
            else:
                if running_mean is None:
                    raise ValueError("running statistics are required in eval mode")
                mean, var = running_mean, running_var
            scale = torch.rsqrt(var + eps)
            shift = -mean * scale
            if weight is not None:
                scale, shift = scale * weight, shift * weight
            if bias is not None:
                shift = shift + bias
            expand = [1, C] + [1] * (x.ndim - 2)
            return x * scale.reshape(expand) + shift.reshape(expand)
    '''),
    "blind: view + reduce dims, manual biased var": r'''def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalization over channel dim 1, for (N, C), (N, C, L), (N, C, H, W)."""
    if x.dim() not in (2, 3, 4):
        raise ValueError(f"expected 2D, 3D or 4D input, got {x.dim()}D input")
    C = x.shape[1]
    shape = (1, C) + (1,) * (x.dim() - 2)
    dims = [0] + list(range(2, x.dim()))
    if training:
        n = x.numel() // C
        if n <= 1:
            raise ValueError(f"expected more than 1 value per channel when training, got input of shape {tuple(x.shape)}")
        mean = x.mean(dim=dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
        with torch.no_grad():
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(momentum * mean.view(C).to(running_mean.dtype))
            if running_var is not None:
                running_var.mul_(1 - momentum).add_(momentum * (var.view(C) * n / (n - 1)).to(running_var.dtype))
    else:
        if running_mean is None or running_var is None:
            raise ValueError("running_mean and running_var are required when training=False")
        mean = running_mean.view(shape)
        var = running_var.view(shape)
    out = (x - mean) / torch.sqrt(var + eps)
    if weight is not None:
        out = out * weight.view(shape)
    if bias is not None:
        out = out + bias.view(shape)
    return out
''',
    "blind: channels-first reshape + torch.var_mean(correction=0)": r'''def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch norm: statistics per channel (dim 1) over all other dims."""
    ndim = x.dim()
    if ndim < 2 or ndim > 4:
        raise ValueError("batch_norm: input must be (N, C), (N, C, L) or (N, C, H, W), got shape %s" % (tuple(x.shape),))
    num_channels = x.size(1)
    bshape = [1] * ndim
    bshape[1] = num_channels
    if training:
        flat = x.transpose(0, 1).reshape(num_channels, -1)   # (C, n)
        count = flat.shape[1]
        if count == 1:
            raise ValueError("Expected more than 1 value per channel when training, got input size %s" % (tuple(x.shape),))
        batch_var, batch_mean = torch.var_mean(flat, dim=1, correction=0)
        if running_mean is not None or running_var is not None:
            with torch.no_grad():
                if running_mean is not None:
                    running_mean.copy_((1.0 - momentum) * running_mean + momentum * batch_mean)
                if running_var is not None:
                    unbiased = batch_var * (count / (count - 1.0))
                    running_var.copy_((1.0 - momentum) * running_var + momentum * unbiased)
        use_mean, use_var = batch_mean, batch_var
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm in evaluation mode needs running_mean and running_var")
        use_mean, use_var = running_mean, running_var
    inv_std = torch.rsqrt(use_var.reshape(bshape) + eps)
    y = (x - use_mean.reshape(bshape)) * inv_std
    if weight is not None:
        y = y * weight.reshape(bshape)
    if bias is not None:
        y = y + bias.reshape(bshape)
    return y
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: dict_dims_torch_var (issue 16's release)"] = r'''\
def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalization over the channel dimension 1 (Ioffe & Szegedy, 2015).

    Args:
        x: input of shape (N, C), (N, C, L) or (N, C, H, W).
        running_mean, running_var: per-channel running statistics (C,), updated in place in
            training (``running_var`` with the unbiased batch variance), outside the autograd
            graph; may both be None in training (then nothing is tracked).
        weight, bias: per-channel gamma and beta (C,), or None. Default: None
        training: normalize with the batch mean and biased variance of each channel (True), or
            with the running statistics, leaving them unchanged (False). Default: False
        momentum: weight of the new batch in the running statistics. Default: 0.1
        eps: added to the variance inside the square root. Default: 1e-5

    Returns:
        A differentiable tensor of ``x``'s shape and dtype.

    Raises:
        ValueError: if ``x`` is not 2-D, 3-D or 4-D, or if training with only one value per
            channel (e.g. ``x`` of shape (1, C) or (1, C, 1, 1)), or if ``training`` is False
            and the running statistics are None.
    """
    # the axes reduced and the broadcast shape of a per-channel tensor, by number of dimensions
    reduce_dims = {2: (0,), 3: (0, 2), 4: (0, 2, 3)}
    if x.dim() not in reduce_dims:
        raise ValueError(f"expected 2-D, 3-D or 4-D input, got {x.dim()}-D input of shape {tuple(x.shape)}")
    dims = reduce_dims[x.dim()]
    C = x.shape[1]
    per_channel = [1, C] + [1] * (x.dim() - 2)

    if training:
        n = x.numel() // C
        if n == 1:
            raise ValueError(f"expected more than 1 value per channel when training, got input of shape {tuple(x.shape)}")
        mean = x.mean(dim=dims)
        var = torch.var(x, dim=dims, correction=0)
        with torch.no_grad():
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(momentum * mean.detach())
            if running_var is not None:
                unbiased = torch.var(x.detach(), dim=dims, correction=1)
                running_var.mul_(1 - momentum).add_(momentum * unbiased)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("running_mean and running_var are required in evaluation mode (training=False)")
        mean, var = running_mean, running_var

    out = (x - mean.view(per_channel)) / torch.sqrt(var.view(per_channel) + eps)
    if weight is not None:
        out = out * weight.view(per_channel)
    if bias is not None:
        out = out + bias.view(per_channel)
    return out
'''
RIGHT["blind: channels_as_rows_lerp_pytorch_checks (issue 16's release)"] = r'''\
def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalization over the channel dimension 1 (Ioffe & Szegedy, 2015).

    Args:
        x: input of shape (N, C), (N, C, L) or (N, C, H, W).
        running_mean, running_var: per-channel running statistics (C,), updated in place in
            training (``running_var`` with the unbiased batch variance), outside the autograd
            graph; may both be None in training (then nothing is tracked).
        weight, bias: per-channel gamma and beta (C,), or None. Default: None
        training: normalize with the batch mean and biased variance of each channel (True), or
            with the running statistics, leaving them unchanged (False). Default: False
        momentum: weight of the new batch in the running statistics. Default: 0.1
        eps: added to the variance inside the square root. Default: 1e-5

    Returns:
        A differentiable tensor of ``x``'s shape and dtype.

    Raises:
        ValueError: if ``x`` is not 2-D, 3-D or 4-D, or if training with only one value per
            channel (e.g. ``x`` of shape (1, C) or (1, C, 1, 1)), or if ``training`` is False
            and the running statistics are None.
    """
    if x.dim() < 2 or x.dim() > 4:
        raise ValueError(f"expected 2D, 3D or 4D input (got {x.dim()}D input)")
    size = list(x.shape)
    values_per_channel = size[0]
    for s in size[2:]:
        values_per_channel *= s
    if training and values_per_channel == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("running_mean and running_var must be defined in evaluation mode")

    # channels as rows: move the channel axis first and flatten everything else
    C = size[1]
    rows = x.transpose(0, 1).reshape(C, -1)                        # (C, n)
    if training:
        n = rows.shape[1]
        mu = rows.sum(dim=1) / n
        var = ((rows - mu[:, None]) ** 2).sum(dim=1) / n            # biased, for normalizing
        with torch.no_grad():
            # PyTorch's momentum: running <- running + m * (batch - running) = (1 - m) running + m batch
            if running_mean is not None:
                running_mean.lerp_(mu.detach().to(running_mean.dtype), momentum)
            if running_var is not None:
                running_var.lerp_((var.detach() * (n / (n - 1))).to(running_var.dtype), momentum)
    else:
        mu, var = running_mean, running_var
    y = (rows - mu[:, None]) / torch.sqrt(var[:, None] + eps)
    if weight is not None:
        y = y * weight[:, None]
    if bias is not None:
        y = y + bias[:, None]
    moved = [size[1], size[0]] + size[2:]
    return y.reshape(moved).transpose(0, 1)
'''
