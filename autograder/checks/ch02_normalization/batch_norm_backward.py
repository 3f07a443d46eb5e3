"""batch_norm_backward(dout, x, weight, eps=1e-5): the test cells, wrong answers and right answers."""
import torch

from autograder.checks import Cell, Check
from traintech.checking import agree, entry, expect_raised, expect_tensor, raises
from traintech.testing import assert_close, assert_true

from ._shared import source, variants

EXERCISE = "batch_norm_backward"
# PyTorch has no such function (autograd computes these gradients); the reference's formulas are
# checked against autograd through F.batch_norm in tests/test_normalization.py
REFERENCE = "traintech.reference.normalization.batch_norm_backward"
BACKWARD_FORBIDDEN = [
    "torch.autograd.grad", "torch.autograd.backward", "torch.func.vjp", "torch.func.grad",
    "torch.nn.functional.batch_norm", "torch.batch_norm", "torch.native_batch_norm", "torch.nn.BatchNorm1d"]
FLOAT32_TOLERANCE = 1e-4  # float32 gradients summed in another order than the reference's


# ----------------------------------------------------------------------------- test_batch_norm_backward_parameters


def collect_backward_parameters(batch_norm_backward):
    """dweight and dbias, as autograd computes them through F.batch_norm."""
    g = torch.Generator().manual_seed(5)
    x, dout = torch.randn(8, 5, generator=g, dtype=torch.float64), torch.randn(8, 5, generator=g, dtype=torch.float64)
    weight = torch.randn(5, generator=g, dtype=torch.float64)
    with torch.inference_mode():  # derived by hand: no autograd in here
        result = batch_norm_backward(dout, x, weight)
    three = isinstance(result, tuple) and len(result) == 3
    return {"returns (dx, dweight, dbias)": three, "dbias": result[2] if three else None,
            "dweight": result[1] if three else None}


def judge_backward_parameters(got, ref, context):
    context.no_delegation("batch_norm_backward", BACKWARD_FORBIDDEN)
    assert_true(entry(got, "returns (dx, dweight, dbias)") is True,
                "batch_norm_backward should return a tuple (dx, dweight, dbias)")
    agree(got, ref, "dbias", hint="dL/dbeta sums the upstream gradient over the batch (dim 0).")
    agree(got, ref, "dweight", hint="dL/dgamma = sum over the batch of dout * x_hat (the normalized x, not x).")


def collect_backward_parameters_more(batch_norm_backward):
    g = torch.Generator().manual_seed(105)
    x, dout = torch.randn(16, 3, generator=g) * 3 + 1, torch.randn(16, 3, generator=g)
    _, dweight, dbias = batch_norm_backward(dout, x, None, eps=0.1)
    return {"dweight with weight=None, eps=0.1 (float32)": dweight, "dbias with weight=None (float32)": dbias}


def judge_backward_parameters_more(got, ref, context):
    agree(got, ref, "dweight with weight=None, eps=0.1 (float32)", "dbias with weight=None (float32)",
          rtol=FLOAT32_TOLERANCE, atol=FLOAT32_TOLERANCE, hint="weight=None means gamma = 1.")


# ----------------------------------------------------------------------------- test_batch_norm_backward_dx


def collect_backward_dx(batch_norm_backward):
    """dx, as autograd computes it: every x_i also moves the batch mean and variance."""
    g = torch.Generator().manual_seed(6)
    x, dout = torch.randn(8, 5, generator=g, dtype=torch.float64), torch.randn(8, 5, generator=g, dtype=torch.float64)
    weight = torch.randn(5, generator=g, dtype=torch.float64)
    with torch.inference_mode():  # derived by hand: no autograd in here
        dx, _, _ = batch_norm_backward(dout, x, weight)
    return {"dx": dx}


def judge_backward_dx(got, ref, context):
    context.no_delegation("batch_norm_backward", BACKWARD_FORBIDDEN)
    agree(got, ref, "dx",
          hint="x_i reaches the loss by three paths: directly through x_hat_i, and through the mean and the "
               "variance, which move every x_hat_j. Sum all three; a correct dx sums to 0 over the batch.")


def collect_backward_dx_more(batch_norm_backward):
    g = torch.Generator().manual_seed(106)
    found = {}
    for shape, eps in [((2, 4), 1e-5), ((32, 3), 0.5), ((5, 1), 1e-3)]:
        x = torch.randn(shape, generator=g, dtype=torch.float64) * 2 - 1
        dout = torch.randn(shape, generator=g, dtype=torch.float64)
        weight = torch.rand(shape[1], generator=g, dtype=torch.float64) + 0.5
        found[f"dx for input {shape}, eps={eps}"] = batch_norm_backward(dout, x, weight, eps=eps)[0]
    x32, d32 = torch.randn(16, 3, generator=g), torch.randn(16, 3, generator=g)
    found["dx with weight=None (float32)"] = batch_norm_backward(d32, x32, None)[0]
    return found


def judge_backward_dx_more(got, ref, context):
    for key in ref:
        if "float32" in key:
            agree(got, ref, key, rtol=FLOAT32_TOLERANCE, atol=FLOAT32_TOLERANCE, hint="weight=None means gamma = 1.")
        else:
            agree(got, ref, key)


# ----------------------------------------------------------------------------- test_batch_norm_backward_by_hand


def collect_backward_by_hand(batch_norm_backward):
    """Derived by hand: the function works with autograd switched off, and checks its input."""
    g = torch.Generator().manual_seed(7)
    with torch.inference_mode():  # no autograd graph can be built in here
        x, dout, weight = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g), torch.rand(4, generator=g) + 0.5
        dx, dweight, dbias = batch_norm_backward(dout, x, weight)
    return {"dx": dx, "batch_norm_backward(dout, x, None) with x of shape (1, 4)": raises(
        batch_norm_backward, torch.randn(1, 4, generator=g), torch.randn(1, 4, generator=g), None)}


def judge_backward_by_hand(got, ref, context):
    context.no_delegation("batch_norm_backward", BACKWARD_FORBIDDEN)
    dx = expect_tensor(entry(got, "dx"), "dx", shape=ref["dx"].shape)
    assert_close(dx.sum(dim=0), torch.zeros(ref["dx"].shape[1]), atol=1e-5, name="the column sums of dx",
                 hint="the gradient cannot move the batch mean: each column of dx sums to zero.")
    call = "batch_norm_backward(dout, x, None) with x of shape (1, 4)"
    expect_raised(entry(got, call), "ValueError", call, hint="one row (N = 1) cannot be normalized: raise ValueError.")


def collect_backward_by_hand_more(batch_norm_backward):
    g = torch.Generator().manual_seed(107)
    x3 = torch.randn(2, 3, 4, generator=g)
    return {"batch_norm_backward(dout, x, None) with x of shape (2, 3, 4)": raises(batch_norm_backward, x3.clone(), x3, None),
            "batch_norm_backward(dout, x, None) with dout (5, 3) and x (6, 3)": raises(
                batch_norm_backward, torch.randn(5, 3, generator=g), torch.randn(6, 3, generator=g), None)}


def judge_backward_by_hand_more(got, ref, context):
    for call in ref:
        expect_raised(entry(got, call), "ValueError", call)


CELLS = [
    Cell("test_batch_norm_backward_parameters", points=1, checks=[
        Check(collect_backward_parameters, judge_backward_parameters),
        Check(collect_backward_parameters_more, judge_backward_parameters_more, hidden=True),
    ]),
    Cell("test_batch_norm_backward_dx", points=2, checks=[
        Check(collect_backward_dx, judge_backward_dx),
        Check(collect_backward_dx_more, judge_backward_dx_more, hidden=True),
    ]),
    Cell("test_batch_norm_backward_by_hand", points=1, checks=[
        Check(collect_backward_by_hand, judge_backward_by_hand),
        Check(collect_backward_by_hand_more, judge_backward_by_hand_more, hidden=True),
    ]),
]

# ----------------------------------------------------------------------------- answers

_TEMPLATE = '''
    def batch_norm_backward(dout, x, weight, eps=1e-5):
        if x.dim() != 2 or x.shape[0] < 2:
            raise ValueError(f"bad shape {tuple(x.shape)}")
        if dout.shape != x.shape:
            raise ValueError("dout and x differ in shape")
        N = x.shape[0]
        mean = x.mean(dim=0)
        var = ((x - mean) ** 2).mean(dim=0)
        s = torch.sqrt(var + eps)
        x_hat = (x - mean) / s
        dbias = dout.sum(dim=0)
        dweight = (dout * x_hat).sum(dim=0)
        gamma = weight if weight is not None else torch.ones_like(s)
        dx = gamma / (N * s) * (N * dout - dbias - x_hat * dweight)
        return dx, dweight, dbias
'''
WRONG = variants(_TEMPLATE, {
    "ignores the paths through the mean and variance": (
        "dx = gamma / (N * s) * (N * dout - dbias - x_hat * dweight)", "dx = gamma / s * dout"),
    "only the path through the mean": (
        "dx = gamma / (N * s) * (N * dout - dbias - x_hat * dweight)", "dx = gamma / (N * s) * (N * dout - dbias)"),
    "forgets gamma in dx": ("dx = gamma / (N * s)", "dx = 1 / (N * s)"),
    "dweight from x instead of x_hat": ("dweight = (dout * x_hat).sum(dim=0)", "dweight = (dout * x).sum(dim=0)"),
    "unbiased variance": ("var = ((x - mean) ** 2).mean(dim=0)", "var = ((x - mean) ** 2).sum(dim=0) / (N - 1)"),
    "no error for N = 1": ("if x.dim() != 2 or x.shape[0] < 2:", "if x.dim() != 2:"),
})
WRONG["uses autograd"] = source('''
    def batch_norm_backward(dout, x, weight, eps=1e-5):
        if x.dim() != 2 or x.shape[0] < 2 or dout.shape != x.shape:
            raise ValueError("bad input")
        with torch.enable_grad():
            xg = x.detach().clone().requires_grad_()
            w = (weight if weight is not None else torch.ones(x.shape[1], dtype=x.dtype)).detach().clone().requires_grad_()
            b = torch.zeros(x.shape[1], dtype=x.dtype, requires_grad=True)
            mean = xg.mean(dim=0)
            var = ((xg - mean) ** 2).mean(dim=0)
            y = (xg - mean) / torch.sqrt(var + eps) * w + b
            y.backward(dout)
        return xg.grad, w.grad, b.grad
''')
WRONG["imports the traintech reference"] = "from traintech.reference.normalization import batch_norm_backward\n"

RIGHT = {
    "staged backpropagation, node by node": source('''
        def batch_norm_backward(dout, x, weight, eps=1e-5):
            # staged backpropagation through the computational graph, node by node
            if x.ndim != 2:
                raise ValueError(f"x must be (N, D), got {tuple(x.shape)}")
            if tuple(dout.shape) != tuple(x.shape):
                raise ValueError("dout must match x")
            N, D = x.shape
            if N == 1:
                raise ValueError("N must be at least 2")
            gamma = torch.ones(D, dtype=x.dtype) if weight is None else weight
            mu = x.sum(0) / N
            xc = x - mu
            var = (xc * xc).sum(0) / N
            std = (var + eps).sqrt()
            inv = 1.0 / std
            xhat = xc * inv
            dbeta = dout.sum(0)
            dgamma = (dout * xhat).sum(0)
            dxhat = dout * gamma
            dinv = (dxhat * xc).sum(0)
            dxc = dxhat * inv
            dstd = -dinv / std ** 2
            dvar = dstd / (2 * std)
            dxc = dxc + 2 * xc * dvar / N
            dmu = -dxc.sum(0)
            dx = dxc + dmu / N
            return dx, dgamma, dbeta
    '''),
    "blind: vectorized closed form": r'''def batch_norm_backward(dout, x, weight, eps=1e-5):
    """(dx, dweight, dbias) of training-mode batch norm on (N, D) input, no autograd."""
    if x.dim() != 2:
        raise ValueError(f"x must be 2-D (N, D), got shape {tuple(x.shape)}")
    if dout.shape != x.shape:
        raise ValueError(f"dout has shape {tuple(dout.shape)}, expected {tuple(x.shape)}")
    N, D = x.shape
    if N == 1:
        raise ValueError("batch norm needs more than one sample per feature (N > 1)")
    gamma = torch.ones(D, dtype=x.dtype, device=x.device) if weight is None else weight
    mu = x.mean(dim=0)
    s = torch.sqrt(((x - mu) ** 2).mean(dim=0) + eps)
    x_hat = (x - mu) / s
    dbias = dout.sum(dim=0)
    dweight = (dout * x_hat).sum(dim=0)
    dx = gamma / (N * s) * (N * dout - dbias - x_hat * dweight)
    return dx, dweight, dbias
''',
    "blind: per-feature loop, mean-based form": r'''def batch_norm_backward(dout, x, weight, eps=1e-5):
    """Hand-derived batch-norm gradients, one feature (column) at a time."""
    if x.ndim != 2:
        raise ValueError("batch_norm_backward expects (N, D) input")
    if tuple(dout.shape) != tuple(x.shape):
        raise ValueError("dout must have the same shape as x")
    n, d = x.shape
    if n < 2:
        raise ValueError("need at least 2 rows (N > 1) for training-mode batch norm")
    dx = torch.empty_like(x)
    dweight = torch.empty(d, dtype=x.dtype, device=x.device)
    dbias = torch.empty(d, dtype=x.dtype, device=x.device)
    for j in range(d):
        col, g = x[:, j], dout[:, j]
        gamma = 1.0 if weight is None else weight[j]
        mu = col.sum() / n
        var = torch.var(col, correction=0)
        s = torch.sqrt(var + eps)
        xh = (col - mu) / s
        dbias[j] = g.sum()
        dweight[j] = torch.dot(g, xh)
        # dx_i = gamma / s * (g_i - mean(g) - xh_i * mean(g * xh))
        dx[:, j] = gamma / s * (g - g.mean() - xh * (g * xh).mean())
    return dx, dweight, dbias
''',
    # Derived from the released chapter's graph and Jacobian steps alone (issue 15), which no
    # longer state dx: proof that the challenge can be finished from its text.
    "blind: derived from the Jacobian steps": r'''def batch_norm_backward(dout, x, weight, eps=1e-5):
    """Hand-derived gradients (dx, dweight, dbias) of training-mode batch norm on (N, D) input.

    Per column, with x_hat = (x - mu) / s, s = sqrt(var + eps) (biased var), g = dout:
        dbias   = sum_i g_i
        dweight = sum_i g_i * x_hat_i
        dx_i    = gamma / s * (g_i - dbias / N - x_hat_i * dweight / N)
    No autograd is used; works under torch.inference_mode().
    """
    if not isinstance(x, torch.Tensor) or not isinstance(dout, torch.Tensor):
        raise ValueError("x and dout must be tensors")
    if x.dim() != 2:
        raise ValueError(f"x must be 2-D (N, D), got shape {tuple(x.shape)}")
    n, d = x.shape
    if n < 2:
        raise ValueError(f"batch norm needs more than one row per batch, got N={n}")
    if dout.shape != x.shape:
        raise ValueError(f"dout has shape {tuple(dout.shape)}, expected {tuple(x.shape)}")
    if weight is not None and tuple(weight.shape) != (d,):
        raise ValueError(f"weight must have shape ({d},), got {tuple(weight.shape)}")

    mean = x.mean(dim=0)
    centred = x - mean
    var = (centred * centred).mean(dim=0)          # biased variance, as in the forward pass
    inv_std = 1.0 / torch.sqrt(var + eps)          # 1 / s
    x_hat = centred * inv_std

    dbias = dout.sum(dim=0)
    dweight = (dout * x_hat).sum(dim=0)

    scale = inv_std if weight is None else weight * inv_std   # gamma / s
    dx = scale * (dout - dbias / n - x_hat * (dweight / n))
    return dx, dweight, dbias
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: vectorized_sums (issue 16's release)"] = r'''\
def batch_norm_backward(dout, x, weight, eps=1e-5):
    """Gradients (dx, dweight, dbias) of training-mode batch norm on (N, D) input, derived by hand.

    Computed from the formulas without autograd: it must work under ``torch.inference_mode()``.

    Args:
        dout: the upstream gradient dL/dy, shape (N, D).
        x: the forward pass's input, shape (N, D).
        weight: gamma, shape (D,), or None for gamma = 1.
        eps: the forward pass's eps. Default: 1e-5

    Returns:
        (dx of shape (N, D), dweight of shape (D,), dbias of shape (D,)).

    Raises:
        ValueError: if ``x`` is not 2-D with N > 1 rows, or if ``dout`` and ``x`` differ in shape.
    """
    if x.dim() != 2:
        raise ValueError(f"expected 2-D input (N, D), got shape {tuple(x.shape)}")
    if x.shape[0] < 2:
        raise ValueError(f"expected more than 1 row (N > 1), got shape {tuple(x.shape)}")
    if dout.shape != x.shape:
        raise ValueError(f"dout of shape {tuple(dout.shape)} does not match x of shape {tuple(x.shape)}")
    N = x.shape[0]
    mu = x.mean(dim=0)
    s = torch.sqrt(torch.var(x, dim=0, correction=0) + eps)
    x_hat = (x - mu) / s
    gamma = torch.ones_like(s) if weight is None else weight

    dbias = dout.sum(dim=0)
    dweight = (dout * x_hat).sum(dim=0)
    # sum_j g_j (delta_ij - 1/N - x_hat_i x_hat_j / N) / s, times gamma
    dx = gamma / (N * s) * (N * dout - dbias - x_hat * dweight)
    return dx, dweight, dbias
'''
RIGHT["blind: per_column_jacobian_loop (issue 16's release)"] = r'''\
def batch_norm_backward(dout, x, weight, eps=1e-5):
    """Gradients (dx, dweight, dbias) of training-mode batch norm on (N, D) input, derived by hand.

    Computed from the formulas without autograd: it must work under ``torch.inference_mode()``.

    Args:
        dout: the upstream gradient dL/dy, shape (N, D).
        x: the forward pass's input, shape (N, D).
        weight: gamma, shape (D,), or None for gamma = 1.
        eps: the forward pass's eps. Default: 1e-5

    Returns:
        (dx of shape (N, D), dweight of shape (D,), dbias of shape (D,)).

    Raises:
        ValueError: if ``x`` is not 2-D with N > 1 rows, or if ``dout`` and ``x`` differ in shape.
    """
    if x.ndim != 2 or x.size(0) <= 1:
        raise ValueError(f"Expected 2-D input with more than 1 row, got input size {list(x.shape)}")
    if tuple(dout.shape) != tuple(x.shape):
        raise ValueError(f"dout has shape {list(dout.shape)} but x has shape {list(x.shape)}")
    N, D = x.shape
    dx = torch.empty_like(x)
    dweight = torch.empty(D, dtype=x.dtype, device=x.device)
    dbias = torch.empty(D, dtype=x.dtype, device=x.device)
    eye = torch.eye(N, dtype=x.dtype, device=x.device)
    # the D features do not interact: one column at a time, with its N x N Jacobian (step 3)
    for d in range(D):
        col, g = x[:, d], dout[:, d]
        mu = col.sum() / N
        s = torch.sqrt(((col - mu) ** 2).sum() / N + eps)
        x_hat = (col - mu) / s
        gamma = 1.0 if weight is None else weight[d]
        # jacobian[j, i] = d x_hat_j / d x_i = (delta_ij - 1/N - x_hat_i x_hat_j / N) / s
        jacobian = (eye - 1.0 / N - torch.outer(x_hat, x_hat) / N) / s
        dx[:, d] = gamma * (g @ jacobian)         # sum over j of gamma g_j d x_hat_j / d x_i
        dweight[d] = (g * x_hat).sum()
        dbias[d] = g.sum()
    return dx, dweight, dbias
'''
