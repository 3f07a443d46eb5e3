"""dropout(x, p=0.5, training=True, generator=None): the test cells, wrong answers and right answers."""
import torch

from autograder.checks import Cell, Check
from traintech.checking import (agree, entry, expect_raised, expect_tensor, gradient_probe, gradients_consistent,
                                raises)
from traintech.testing import assert_close, assert_mean_std, assert_proportion, assert_true

EXERCISE = "dropout"
# torch.nn.functional.dropout takes no generator (its 4th argument is `inplace`): the traintech reference
# has the exercise's signature, and tests/test_regularization.py compares it with PyTorch's.
REFERENCE = "traintech.reference.regularization.dropout"
DROPOUT_FORBIDDEN = ["torch.nn.functional.dropout", "torch.dropout", "torch.nn.Dropout",
                     "torch.nn.functional.dropout1d", "torch.nn.functional.dropout2d",
                     "torch.nn.functional.alpha_dropout"]


def collect_zeros_and_scaling(dropout):
    """About p of the elements are zeroed, and the survivors are scaled by 1 / (1 - p)."""
    x = torch.full((20_000,), 3.0)
    return {"x": x, "dropout(x, p=0.3)": dropout(x, p=0.3, generator=torch.Generator().manual_seed(0))}


def judge_zeros_and_scaling(got, ref, context):
    x = ref["x"]
    out = expect_tensor(entry(got, "dropout(x, p=0.3)"), "dropout(x, p=0.3)", shape=x.shape)
    assert_proportion((out == 0).sum(), x.numel(), 0.3, name="the fraction of zeroed elements (p=0.3)")
    kept = out[out != 0]
    assert_close(kept, torch.full_like(kept, 3.0 / 0.7), name="the kept values of 3.0 with p=0.3",
                 hint="kept values should be x / (1 - p) = 4.2857: did you forget the rescaling, or divide by p?")


def collect_independent_draws(dropout):
    x = torch.randn(300, 200, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    return {"x": x, "dropout(x, p=0.8)": dropout(x, p=0.8, generator=torch.Generator().manual_seed(2))}


def judge_independent_draws(got, ref, context):
    x = ref["x"]
    out = expect_tensor(entry(got, "dropout(x, p=0.8)"), "dropout(x, p=0.8)", shape=x.shape)
    assert_true(out.dtype == torch.float64, f"dropout should keep x's dtype (float64), got {out.dtype}")
    zeroed = out == 0
    assert_proportion(zeroed.sum(), x.numel(), 0.8, name="the fraction of zeroed elements (p=0.8)")
    assert_close(out[~zeroed], x[~zeroed] / 0.2, name="the kept values with p=0.8")
    # independent per element: rows (and columns) do not share one draw
    assert_true(zeroed.double().mean(dim=1).std() > 0.01,
                "each element needs its own random draw, not one mask per row or per tensor")
    assert_true(zeroed.double().mean(dim=0).std() > 0.01, "each element needs its own random draw, not one per column")
    assert_mean_std(out - x, mean=0.0, name="dropout(x) - x (inverted dropout keeps the expected value of every element)")


def collect_identity(dropout):
    """In eval mode, or with p = 0, dropout leaves the values unchanged."""
    x = torch.randn(4, 5, generator=torch.Generator().manual_seed(3))
    return {"dropout(x, p=0.5, training=False)": dropout(x, p=0.5, training=False),
            "dropout(x, p=0.0)": dropout(x, p=0.0)}


def judge_identity(got, ref, context):
    agree(got, ref, "dropout(x, p=0.5, training=False)",
          hint="with inverted dropout, inference is the identity: no mask and no scaling.")
    agree(got, ref, "dropout(x, p=0.0)")


def collect_identity_float64(dropout):
    x = torch.randn(3, 2, 6, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    return {"dropout(x, p=1.0, training=False)": dropout(x, p=1.0, training=False),
            "dropout(float64 x, p=0.3, training=False)": dropout(x, p=0.3, training=False)}


def judge_identity_float64(got, ref, context):
    agree(got, ref, "dropout(x, p=1.0, training=False)", "dropout(float64 x, p=0.3, training=False)")


def collect_extremes(dropout):
    """p = 1 gives zeros (not NaN); p outside [0, 1] is a ValueError."""
    x = torch.randn(100, generator=torch.Generator().manual_seed(5))
    return {"dropout(x, p=1.0)": dropout(x, p=1.0),
            "dropout(x, p=1.5)": raises(dropout, x, p=1.5), "dropout(x, p=-0.1)": raises(dropout, x, p=-0.1)}


def judge_extremes(got, ref, context):
    agree(got, ref, "dropout(x, p=1.0)",
          hint="1 / (1 - p) is infinite at p = 1, and 0 * inf is NaN: handle p == 1 separately.")
    expect_raised(entry(got, "dropout(x, p=1.5)"), "ValueError", "dropout(x, p=1.5)")
    expect_raised(entry(got, "dropout(x, p=-0.1)"), "ValueError", "dropout(x, p=-0.1)")


def collect_extremes_more(dropout):
    x = torch.randn(100, generator=torch.Generator().manual_seed(5))
    w = torch.randn(10, generator=torch.Generator().manual_seed(6)).requires_grad_()
    dropout(w, p=1.0).sum().backward()
    return {"dropout(x, p=2.0, training=False)": raises(dropout, x, p=2.0, training=False),
            "the gradient of dropout(w, p=1.0).sum()": w.grad}


def judge_extremes_more(got, ref, context):
    expect_raised(entry(got, "dropout(x, p=2.0, training=False)"), "ValueError", "dropout(x, p=2.0, training=False)",
                  hint="check p before looking at `training`.")
    agree(got, ref, "the gradient of dropout(w, p=1.0).sum()")


def collect_gradient_and_purity(dropout):
    """dropout is built from primitives, leaves x untouched, uses the generator, and its gradient is
    the scaled mask."""
    x = torch.ones(1000, requires_grad=True)
    out = dropout(x, p=0.5, generator=torch.Generator().manual_seed(3))
    data = {"x after dropout(x)": x.detach().clone(), "dropout(x, p=0.5)": out}
    out.sum().backward()
    data["the gradient of dropout(x).sum() with respect to x"] = x.grad
    data["dropout(x, p=0.5) again, with a generator seeded the same way"] = dropout(
        x.detach(), p=0.5, generator=torch.Generator().manual_seed(3))
    return data


def judge_gradient_and_purity(got, ref, context):
    context.no_delegation("dropout", DROPOUT_FORBIDDEN)
    agree(got, ref, "x after dropout(x)", hint="do not modify x in place.")
    out = expect_tensor(entry(got, "dropout(x, p=0.5)"), "dropout(x, p=0.5)")
    assert_close(entry(got, "the gradient of dropout(x).sum() with respect to x"), out,
                 name="the gradient of dropout(x).sum() with respect to x",
                 hint="the gradient should be mask / (1 - p): keep x in the autograd graph.")
    assert_close(entry(got, "dropout(x, p=0.5) again, with a generator seeded the same way"), out,
                 name="dropout with a generator seeded the same way",
                 hint="draw the mask with torch.rand(..., generator=generator).")


def collect_gradient_check(dropout):
    x = torch.randn(6, 4, generator=torch.Generator().manual_seed(6))
    return gradient_probe(lambda t: dropout(t, 0.4, generator=torch.Generator().manual_seed(5)), x, seed=7)


def judge_gradient_check(got, ref, context):
    gradients_consistent(got, ref, "dropout")


CELLS = [
    Cell("test_dropout_zeros_and_scaling", points=2, checks=[
        Check(collect_zeros_and_scaling, judge_zeros_and_scaling),
        Check(collect_independent_draws, judge_independent_draws, hidden=True),
    ]),
    Cell("test_dropout_identity", points=1, checks=[
        Check(collect_identity, judge_identity),
        Check(collect_identity_float64, judge_identity_float64, hidden=True),
    ]),
    Cell("test_dropout_extremes", points=1, checks=[
        Check(collect_extremes, judge_extremes),
        Check(collect_extremes_more, judge_extremes_more, hidden=True),
    ]),
    Cell("test_dropout_gradient_and_purity", points=1, checks=[
        Check(collect_gradient_and_purity, judge_gradient_and_purity),
        Check(collect_gradient_check, judge_gradient_check, hidden=True),
    ]),
]

HEAD = "def dropout(x, p=0.5, training=True, generator=None):\n"
CHECK_P = '    if not 0.0 <= p <= 1.0:\n        raise ValueError(f"bad p {p}")\n'

WRONG = {
    "no rescaling": HEAD + CHECK_P + """\
    if not training or p == 0: return x
    keep = torch.rand(x.shape, generator=generator) >= p
    return x * keep
""",
    "rescaled by (1 - p)": HEAD + CHECK_P + """\
    if not training or p == 0: return x
    keep = torch.rand(x.shape, generator=generator) >= p
    return x * keep * (1 - p)
""",
    "one mask for the whole tensor": HEAD + CHECK_P + """\
    if not training or p == 0: return x
    if p == 1: return x * 0
    keep = torch.rand(1, generator=generator) >= p
    return x * keep / (1 - p)
""",
    "NaN at p = 1": HEAD + CHECK_P + """\
    if not training or p == 0: return x
    keep = torch.rand(x.shape, generator=generator) >= p
    return x * keep / (1 - p)
""",
    "ignores training": HEAD + CHECK_P + """\
    if p == 0: return x
    if p == 1: return x * 0
    keep = torch.rand(x.shape, generator=generator) >= p
    return x * keep / (1 - p)
""",
    "calls F.dropout": HEAD + """\
    return F.dropout(x, p, training)
""",
    "no ValueError": HEAD + """\
    if not training or p == 0: return x
    if p >= 1: return x * 0
    keep = torch.rand(x.shape, generator=generator) >= p
    return x * keep / (1 - p)
""",
    "imports the traintech reference": "from traintech.reference.regularization import dropout\n",
}

# Right answers written differently: they draw their random numbers differently from the reference and
# must keep every point (the checks judge behaviour, not the order of random draws). The blind ones
# were written from the released notebook alone.
RIGHT = {
    "bernoulli mask, p != p for NaN": HEAD + """\
    if p != p or p < 0 or p > 1:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * torch.zeros_like(x)
    keep_prob = 1 - p
    mask = torch.bernoulli(torch.full(x.shape, keep_prob, dtype=x.dtype), generator=generator)
    return x * mask / keep_prob
""",
    "blind: rand mask + where": HEAD + '''\
    """Inverted dropout built from torch.rand, a comparison and torch.where."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= p
    return torch.where(keep, x / (1.0 - p), torch.zeros_like(x))
''',
    "blind: bernoulli mask + multiply": HEAD + '''\
    """Inverted dropout with a Bernoulli(1 - p) keep-mask."""
    if p < 0 or p > 1:
        raise ValueError("p must be in [0, 1], got {}".format(p))
    if not training or p == 0:
        return x.clone()
    if p == 1:
        return torch.zeros_like(x) * x
    probs = torch.full(x.shape, 1.0 - p, dtype=x.dtype if x.is_floating_point() else torch.float32,
                       device=x.device)
    mask = torch.bernoulli(probs, generator=generator)
    scale = 1.0 / (1.0 - p)
    return x * mask * scale
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: bernoulli_scale (issue 16's release)"] = r'''\
def dropout(x, p=0.5, training=True, generator=None):
    """Inverted dropout (Srivastava et al., 2014).

    Args:
        x: input tensor of any shape.
        p: probability of zeroing each element, in [0, 1]. Default: 0.5
        training: apply dropout if True, else return x unchanged. Default: True
        generator: a torch.Generator for the random mask (pass it to torch.rand). Default: None

    Returns:
        A tensor of x's shape and dtype: x * mask / (1 - p) in training, x in eval mode (and
        for ``p == 0``). ``mask`` is an independent Bernoulli(1 - p) draw per element;
        ``p == 1`` gives all zeros (no NaN). The result is differentiable with respect to
        ``x``, and ``x`` itself is not modified.

    Raises:
        ValueError: if ``p`` is not in [0, 1] (also when ``training`` is False).
    """
    if p < 0 or p > 1 or p != p:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if training is False or p == 0:
        return x.clone()
    keep_prob = 1.0 - p
    probs = torch.full(tuple(x.shape), keep_prob, device=x.device)
    mask = torch.bernoulli(probs, generator=generator).to(x.dtype)  # 1 = keep, Bernoulli(1 - p)
    scale = 1.0 / keep_prob if keep_prob > 0 else 0.0  # p == 1: scale 0 instead of inf
    return x * (mask * scale)
'''
RIGHT["blind: rand_compare (issue 16's release)"] = r'''\
def dropout(x, p=0.5, training=True, generator=None):
    """Inverted dropout (Srivastava et al., 2014).

    Args:
        x: input tensor of any shape.
        p: probability of zeroing each element, in [0, 1]. Default: 0.5
        training: apply dropout if True, else return x unchanged. Default: True
        generator: a torch.Generator for the random mask (pass it to torch.rand). Default: None

    Returns:
        A tensor of x's shape and dtype: x * mask / (1 - p) in training, x in eval mode (and
        for ``p == 0``). ``mask`` is an independent Bernoulli(1 - p) draw per element;
        ``p == 1`` gives all zeros (no NaN). The result is differentiable with respect to
        ``x``, and ``x`` itself is not modified.

    Raises:
        ValueError: if ``p`` is not in [0, 1] (also when ``training`` is False).
    """
    if not 0.0 <= p <= 1.0:  # also rejects NaN
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return x
    # keep an element when its uniform draw is >= p: probability 1 - p
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= p
    if p == 1.0:
        return x * keep  # every element dropped: zeros, still in the graph, no 0 * inf
    return x * keep / (1.0 - p)
'''
