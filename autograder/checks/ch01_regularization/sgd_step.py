"""sgd_step(parameters, lr, weight_decay=0.0): the test cells, wrong answers and right answers."""
import torch
import torch.nn.functional as F
from torch import nn

from autograder.checks import Cell, Check
from traintech.checking import agree, entry, same
from traintech.testing import assert_true

EXERCISE = "sgd_step"
# torch.optim.SGD is a class with another signature: the traintech reference has the exercise's, and the
# checks run torch.optim.SGD itself on the same model to compare with.
REFERENCE = "traintech.reference.regularization.sgd_step"
SGD_STEP_FORBIDDEN = ["torch.optim.SGD", "torch.optim.sgd.sgd"]


def collect_one_step(sgd_step):
    """One step equals torch.optim.SGD with the same lr and weight_decay (both run on copies of one nn.Linear)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        ours, theirs = nn.Linear(5, 3), nn.Linear(5, 3)
        theirs.load_state_dict(ours.state_dict())
        x, y = torch.randn(8, 5), torch.randn(8, 3)
    for model in (ours, theirs):
        F.mse_loss(model(x), y).backward()
    sgd_step(ours.parameters(), lr=0.1, weight_decay=0.01)
    torch.optim.SGD(theirs.parameters(), lr=0.1, weight_decay=0.01).step()
    return {"sgd_step": {"weight": ours.weight, "bias": ours.bias},
            "torch.optim.SGD": {"weight": theirs.weight, "bias": theirs.bias}}


def judge_one_step(got, ref, context):
    ours, torchs = entry(got, "sgd_step"), ref["torch.optim.SGD"]
    same(entry(ours, "weight"), torchs["weight"], "the weight after sgd_step(lr=0.1, weight_decay=0.01)",
         hint="w <- (1 - lr * weight_decay) * w - lr * grad.")
    same(entry(ours, "bias"), torchs["bias"], "the bias after sgd_step")


def collect_several_steps(sgd_step):
    models = []
    for _ in range(2):  # ours and theirs: the same float64 network
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(1)
            models.append(nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2)).double())
    ours, theirs = models
    g = torch.Generator().manual_seed(2)
    x, y = torch.randn(10, 4, generator=g, dtype=torch.float64), torch.randn(10, 2, generator=g, dtype=torch.float64)
    opt = torch.optim.SGD(theirs.parameters(), lr=0.05, weight_decay=0.2)
    for _ in range(3):
        for model in (ours, theirs):
            model.zero_grad()
            F.mse_loss(model(x), y).backward()
        sgd_step(ours.parameters(), lr=0.05, weight_decay=0.2)
        opt.step()
    data = {"sgd_step": {"after 3 steps (lr=0.05, weight_decay=0.2, float64)": [p.detach().clone() for p in ours.parameters()]},
            "torch.optim.SGD": {"after 3 steps (lr=0.05, weight_decay=0.2, float64)": [p.detach().clone() for p in theirs.parameters()]}}
    for model in (ours, theirs):
        model.zero_grad()
        F.mse_loss(model(x), y).backward()
    sgd_step(ours.parameters(), lr=0.3)
    torch.optim.SGD(theirs.parameters(), lr=0.3).step()
    data["sgd_step"]["after a step with the default weight_decay=0"] = list(ours.parameters())
    data["torch.optim.SGD"]["after a step with the default weight_decay=0"] = list(theirs.parameters())
    return data


def judge_several_steps(got, ref, context):
    ours, torchs = entry(got, "sgd_step"), ref["torch.optim.SGD"]
    for when, parameters in torchs.items():
        same(entry(ours, when), parameters, f"the parameters {when}")


def collect_in_place(sgd_step):
    """In place on the same tensors, no autograd history, tensors without .grad are skipped, and
    the step is your own code."""
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    frozen = torch.tensor([5.0, 6.0], requires_grad=True)  # .grad stays None
    (w ** 2).sum().backward()  # grad = 2 w = [2, 4]
    sgd_step([w, frozen], lr=0.1, weight_decay=0.5)
    return {"w after one step": w.detach(), "w is a leaf without grad_fn": w.is_leaf and w.grad_fn is None,
            "a tensor whose .grad is None": frozen.detach()}


def judge_in_place(got, ref, context):
    agree(got, ref, "w after one step",
          hint="change the tensors themselves (w.mul_, w.sub_, w.copy_): rebinding a local name changes nothing.")
    assert_true(entry(got, "w is a leaf without grad_fn") is True,
                "update the parameters in place, under torch.no_grad(), so they stay leaf tensors")
    agree(got, ref, "a tensor whose .grad is None", hint="skip tensors whose .grad is None (frozen or unused parameters).")
    context.no_delegation("sgd_step", SGD_STEP_FORBIDDEN)


def collect_grad_unchanged(sgd_step):
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    (w ** 2).sum().backward()  # grad = 2 w = [2, 4]
    sgd_step([w], lr=0.1, weight_decay=0.5)
    return {"w.grad after sgd_step": w.grad}


def judge_grad_unchanged(got, ref, context):
    agree(got, ref, "w.grad after sgd_step", hint="the step should not change .grad.")


CELLS = [
    Cell("test_sgd_step_matches_torch", points=2, checks=[
        Check(collect_one_step, judge_one_step),
        Check(collect_several_steps, judge_several_steps, hidden=True),
    ]),
    Cell("test_sgd_step_in_place", points=1, checks=[
        Check(collect_in_place, judge_in_place),
        Check(collect_grad_unchanged, judge_grad_unchanged, hidden=True),
    ]),
]

HEAD = "def sgd_step(parameters, lr, weight_decay=0.0):\n"

WRONG = {
    "decay after the gradient step": HEAD + """\
    with torch.no_grad():
        for w in parameters:
            if w.grad is None: continue
            w.sub_(lr * w.grad)
            w.mul_(1 - lr * weight_decay)
""",
    "decay by weight_decay instead of lr * weight_decay": HEAD + """\
    with torch.no_grad():
        for w in parameters:
            if w.grad is None: continue
            w.mul_(1 - weight_decay)
            w.sub_(lr * w.grad)
""",
    "rebinds instead of updating in place": HEAD + """\
    for w in parameters:
        if w.grad is None: continue
        w = (1 - lr * weight_decay) * w - lr * w.grad
""",
    "does not skip missing gradients": HEAD + """\
    with torch.no_grad():
        for w in parameters:
            w.mul_(1 - lr * weight_decay)
            w.sub_(lr * w.grad)
""",
    "ignores weight_decay": HEAD + """\
    with torch.no_grad():
        for w in parameters:
            if w.grad is not None:
                w.sub_(lr * w.grad)
""",
    "imports the traintech reference": "from traintech.reference.regularization import sgd_step\n",
}

# Right answers written differently (the blind ones from the released notebook alone): every one
# must keep every point.
RIGHT = {
    "decorator + copy_": """\
@torch.no_grad()
def sgd_step(parameters, lr, weight_decay=0.0):
    for w in parameters:
        if w.grad is not None:
            w.copy_(w * (1 - lr * weight_decay) - lr * w.grad)
""",
    "blind: mul_ then add_ alpha": HEAD + '''\
    """One in-place SGD step with weight decay: w <- (1 - lr * wd) * w - lr * grad."""
    with torch.no_grad():
        for w in parameters:
            if w.grad is None:
                continue
            w.mul_(1 - lr * weight_decay)
            w.add_(w.grad, alpha=-lr)
''',
    "blind: decorator + copy_ of new value": '''\
@torch.no_grad()
def sgd_step(parameters, lr, weight_decay=0.0):
    """One in-place SGD step with weight decay, torch-style: d = grad + wd * w; w <- w - lr * d."""
    params = [w for w in parameters if w.grad is not None]
    for w in params:
        d = w.grad + weight_decay * w if weight_decay != 0 else w.grad
        w.copy_(w - lr * d)
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: decay_then_step (issue 16's release)"] = r'''\
def sgd_step(parameters, lr, weight_decay=0.0):
    """One in-place SGD step with weight decay: w <- (1 - lr * weight_decay) * w - lr * w.grad.

    The same update as ``torch.optim.SGD(parameters, lr=lr, weight_decay=weight_decay).step()``.
    The tensors themselves are changed, under ``torch.no_grad()``: they stay leaf tensors
    without ``grad_fn``, and their ``.grad`` is left unchanged.

    Args:
        parameters: an iterable of tensors with .grad (a list, or a generator such as
            ``model.parameters()``); tensors whose .grad is None are skipped.
        lr: learning rate.
        weight_decay: lambda >= 0. Default: 0.0
    """
    params = [w for w in parameters if w.grad is not None]
    with torch.no_grad():
        for w in params:
            new_w = (1 - lr * weight_decay) * w - lr * w.grad
            w.copy_(new_w)
'''
RIGHT["blind: fused_decay (issue 16's release)"] = r'''\
def sgd_step(parameters, lr, weight_decay=0.0):
    """One in-place SGD step with weight decay: w <- (1 - lr * weight_decay) * w - lr * w.grad.

    The same update as ``torch.optim.SGD(parameters, lr=lr, weight_decay=weight_decay).step()``.
    The tensors themselves are changed, under ``torch.no_grad()``: they stay leaf tensors
    without ``grad_fn``, and their ``.grad`` is left unchanged.

    Args:
        parameters: an iterable of tensors with .grad (a list, or a generator such as
            ``model.parameters()``); tensors whose .grad is None are skipped.
        lr: learning rate.
        weight_decay: lambda >= 0. Default: 0.0
    """
    with torch.no_grad():
        for w in parameters:
            if w.grad is None:
                continue
            step = w.grad + weight_decay * w  # gradient of loss + lambda/2 ||w||^2 (a new tensor)
            w.sub_(lr * step)
'''
