"""l2_penalty(parameters, weight_decay): the test cells, wrong answers and right answers."""
import torch
from torch import nn

from autograder.checks import Cell, Check
from traintech.checking import agree, entry, expect_tensor, gradient_probe, gradients_consistent

EXERCISE = "l2_penalty"
REFERENCE = "traintech.reference.regularization.l2_penalty"  # PyTorch has no penalty function (only optimizers' weight_decay)


def collect_value(l2_penalty):
    """The value: weight_decay / 2 * sum of squares, as a 0-dim tensor."""
    w1, w2 = torch.tensor([3.0, 4.0]), torch.tensor([[1.0, 2.0], [0.0, -2.0]])
    return {"l2_penalty([w1, w2], 0.1)": l2_penalty([w1, w2], weight_decay=0.1)}


def judge_value(got, ref, context):
    expect_tensor(entry(got, "l2_penalty([w1, w2], 0.1)"), "l2_penalty([w1, w2], 0.1)", shape=())
    agree(got, ref, "l2_penalty([w1, w2], 0.1)",
          hint="the penalty is weight_decay / 2 times the sum of squares (not of norms, and mind the 1/2).")


def collect_value_of_a_model(l2_penalty):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(7, 5), nn.ReLU(), nn.Linear(5, 3))
    w1, w2 = torch.tensor([3.0, 4.0]), torch.tensor([[1.0, 2.0], [0.0, -2.0]])
    return {"l2_penalty(model.parameters(), 0.3)": l2_penalty(model.parameters(), 0.3),
            "l2_penalty([w1, w2], weight_decay=0)": l2_penalty([w1, w2], 0.0)}


def judge_value_of_a_model(got, ref, context):
    agree(got, ref, "l2_penalty(model.parameters(), 0.3)",
          hint="accept any iterable of tensors, including a generator such as model.parameters().")
    agree(got, ref, "l2_penalty([w1, w2], weight_decay=0)")


def collect_gradient(l2_penalty):
    """The gradient of the penalty with respect to w is weight_decay * w, and the penalty is your own code."""
    w = torch.randn(4, 3, generator=torch.Generator().manual_seed(1)).requires_grad_()
    l2_penalty([w], 0.5).backward()
    return {"the gradient of l2_penalty([w], 0.5)": w.grad}


def judge_gradient(got, ref, context):
    agree(got, ref, "the gradient of l2_penalty([w], 0.5)", hint="the 1/2 in the penalty makes the gradient weight_decay * w.")
    context.no_delegation("l2_penalty", [])


def collect_gradient_check(l2_penalty):
    ab = torch.randn(11, generator=torch.Generator().manual_seed(2))  # a (3, 2) and a (5,) tensor, end to end
    return gradient_probe(lambda t: l2_penalty([t[:6].view(3, 2), t[6:]], 0.7), ab, seed=3)


def judge_gradient_check(got, ref, context):
    gradients_consistent(got, ref, "l2_penalty")


CELLS = [
    Cell("test_l2_penalty_value", points=2, checks=[
        Check(collect_value, judge_value),
        Check(collect_value_of_a_model, judge_value_of_a_model, hidden=True),
    ]),
    Cell("test_l2_penalty_gradient", points=1, checks=[
        Check(collect_gradient, judge_gradient),
        Check(collect_gradient_check, judge_gradient_check, hidden=True),
    ]),
]

HEAD = "def l2_penalty(parameters, weight_decay):\n"

WRONG = {
    "missing the 1/2": HEAD + """\
    return weight_decay * sum(w.pow(2).sum() for w in parameters)
""",
    "norms instead of squared norms": HEAD + """\
    return weight_decay / 2 * sum(w.pow(2).sum().sqrt() for w in parameters)
""",
    "not differentiable": HEAD + """\
    return torch.tensor(weight_decay / 2 * sum(float(w.pow(2).sum()) for w in parameters))
""",
    "only the first tensor": HEAD + """\
    w = next(iter(parameters))
    return weight_decay / 2 * w.pow(2).sum()
""",
    "imports the traintech reference": "from traintech.reference.regularization import l2_penalty\n",
}

# Right answers written differently (the blind ones from the released notebook alone): every one
# must keep every point.
RIGHT = {
    "stacked squares": HEAD + """\
    squares = [(w * w).sum() for w in parameters]
    return 0.5 * weight_decay * torch.stack(squares).sum()
""",
    "blind: generator sum of pow": HEAD + '''\
    """weight_decay / 2 * sum of squared entries of every tensor."""
    total = sum((w.pow(2).sum() for w in parameters), torch.tensor(0.0))
    return 0.5 * weight_decay * total
''',
    "blind: loop with norm squared": HEAD + '''\
    """weight_decay / 2 * sum of squared entries of every tensor (accumulated in a loop)."""
    total = None
    for w in parameters:
        sq = torch.linalg.vector_norm(w) ** 2
        total = sq if total is None else total + sq
    if total is None:
        total = torch.zeros(())
    return total * (weight_decay / 2)
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: loop_accumulate (issue 16's release)"] = r'''\
def l2_penalty(parameters, weight_decay):
    """The L2 penalty weight_decay / 2 * (sum of the squared entries of every tensor).

    Args:
        parameters: an iterable of tensors of any shape: a list, or a generator such as
            ``model.parameters()``.
        weight_decay: lambda >= 0.

    Returns:
        A differentiable 0-dim tensor (its gradient with respect to each ``w`` is
        ``weight_decay * w``).

    Raises:
        ValueError: if ``weight_decay`` is negative.
    """
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be non-negative, got {weight_decay}")
    total = None
    for w in parameters:
        squares = (w * w).sum()
        total = squares if total is None else total + squares
    if total is None:  # no tensors at all
        total = torch.tensor(0.0)
    return 0.5 * weight_decay * total
'''
RIGHT["blind: stack_pow (issue 16's release)"] = r'''\
def l2_penalty(parameters, weight_decay):
    """The L2 penalty weight_decay / 2 * (sum of the squared entries of every tensor).

    Args:
        parameters: an iterable of tensors of any shape: a list, or a generator such as
            ``model.parameters()``.
        weight_decay: lambda >= 0.

    Returns:
        A differentiable 0-dim tensor (its gradient with respect to each ``w`` is
        ``weight_decay * w``).

    Raises:
        ValueError: if ``weight_decay`` is negative.
    """
    if not weight_decay >= 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    sums = [torch.sum(torch.pow(w, 2)) for w in parameters]
    if len(sums) == 0:
        return torch.zeros(())
    return weight_decay / 2 * torch.stack(sums).sum()
'''
