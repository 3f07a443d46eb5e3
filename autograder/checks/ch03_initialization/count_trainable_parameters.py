"""count_trainable_parameters(model): the test cells, wrong answers and right answers."""
import torch
from torch import nn

from autograder.checks import Cell, Check
from traintech.checking import entry, equal
from traintech.testing import assert_true

EXERCISE = "count_trainable_parameters"
REFERENCE = "traintech.reference.transfer.count_trainable_parameters"  # PyTorch has no such function


def counts_agree(got, ref):
    """Each count equals the reference's (``n == expected``, as a number or a one-element tensor)."""
    for key, expected in ref.items():
        n = entry(got, key)
        assert_true(equal(n, expected), f"{key}: {expected} trainable parameters, got {n!r:.80}")


def collect_values(count_trainable_parameters):
    """Weights and biases of every layer; frozen parameters do not count."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))
    counts = {"nn.Sequential(Linear(10, 5), ReLU(), Linear(5, 2))": count_trainable_parameters(model)}
    model[0].weight.requires_grad_(False)
    counts["the same with model[0].weight frozen"] = count_trainable_parameters(model)
    return counts


def judge_values(got, ref, context):
    counts_agree(got, ref)
    n = got["nn.Sequential(Linear(10, 5), ReLU(), Linear(5, 2))"]
    assert_true(isinstance(n, int), f"return a Python int, got {type(n).__name__}")


def collect_more_values(count_trainable_parameters):
    with torch.random.fork_rng():
        torch.manual_seed(1)
        conv = nn.Conv2d(3, 8, 3)
        model = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 2))
    for p in model.parameters():
        p.requires_grad_(False)
    return {"Conv2d(3, 8, 3)": count_trainable_parameters(conv), "a fully frozen model": count_trainable_parameters(model)}


def judge_more_values(got, ref, context):
    counts_agree(got, ref)


def collect_shared_and_buffers(count_trainable_parameters):
    """A shared layer counts once; buffers (e.g. BatchNorm's running statistics) do not count."""
    with torch.random.fork_rng():
        torch.manual_seed(2)
        shared = nn.Linear(4, 4)
        model = nn.Sequential(shared, nn.ReLU(), shared, nn.BatchNorm1d(4))
    return {"a Linear(4, 4) used twice plus BatchNorm1d(4)": count_trainable_parameters(model)}


def judge_shared_and_buffers(got, ref, context):
    counts_agree(got, ref)
    context.no_delegation("count_trainable_parameters", [])


def collect_tied(count_trainable_parameters):
    with torch.random.fork_rng():
        torch.manual_seed(3)
        tied = nn.Module()
        tied.a = nn.Linear(3, 3, bias=False)
        tied.b = nn.Linear(3, 3, bias=False)
    tied.b.weight = tied.a.weight
    return {"two layers sharing one (3, 3) weight": count_trainable_parameters(tied)}


def judge_tied(got, ref, context):
    counts_agree(got, ref)


CELLS = [
    Cell("test_count_trainable_values", points=2, checks=[
        Check(collect_values, judge_values),
        Check(collect_more_values, judge_more_values, hidden=True),
    ]),
    Cell("test_count_trainable_shared_and_buffers", points=1, checks=[
        Check(collect_shared_and_buffers, judge_shared_and_buffers),
        Check(collect_tied, judge_tied, hidden=True),
    ]),
]

PLAIN = '''\
def count_trainable_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
'''
RETURN = "return sum(p.numel() for p in model.parameters() if p.requires_grad)"


def _variant(old: str, new: str) -> str:
    assert PLAIN.count(old) == 1, old
    return PLAIN.replace(old, new)


WRONG = {
    "frozen parameters counted": _variant("for p in model.parameters() if p.requires_grad)", "for p in model.parameters())"),
    "counts tensors, not scalars": _variant("sum(p.numel() for p", "sum(1 for p"),
    "buffers counted": _variant(RETURN, RETURN + " + sum(b.numel() for b in model.buffers())"),
    "shared parameters counted twice": _variant(
        "model.parameters() if p.requires_grad",
        "(p for _, p in model.named_parameters(remove_duplicate=False)) if p.requires_grad"),
    "returns a tensor": _variant(RETURN, "return torch.tensor(sum(p.numel() for p in model.parameters() if p.requires_grad))"),
    "imports the traintech reference": "from traintech.reference.transfer import count_trainable_parameters\n",
}

RIGHT = {
    "unique parameters by id, math.prod": '''\
def count_trainable_parameters(model):
    unique = {id(p): p for m in model.modules() for p in m.parameters(recurse=False)}
    total = 0
    for p in unique.values():
        if p.requires_grad:
            total += math.prod(p.shape)
    return int(total)
''',
    "blind: generator sum of numel": r'''def count_trainable_parameters(model):
    """The number of trainable scalars of model (parameters with requires_grad), as an int."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))
''',
    "blind: explicit loop, math.prod, id set": r'''def count_trainable_parameters(model):
    """The number of trainable scalars of model (parameters with requires_grad), as an int."""
    total = 0
    seen = set()
    for name, param in model.named_parameters():
        if id(param) in seen or not param.requires_grad:
            continue
        seen.add(id(param))
        total += math.prod(param.shape)
    return total
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: generator_sum (issue 16's release)"] = r'''\
def count_trainable_parameters(model):
    """The number of trainable scalars of model (parameters with requires_grad), as a Python int.

    A parameter shared by several layers counts once; buffers (e.g. BatchNorm's running
    statistics) do not count.
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
'''
RIGHT["blind: loop_seen_ids (issue 16's release)"] = r'''\
def count_trainable_parameters(model):
    """The number of trainable scalars of model (parameters with requires_grad), as a Python int.

    A parameter shared by several layers counts once; buffers (e.g. BatchNorm's running
    statistics) do not count.
    """
    seen = set()
    total = 0
    for module in model.modules():
        for parameter in module.parameters(recurse=False):
            if id(parameter) in seen:
                continue
            seen.add(id(parameter))  # a shared parameter counts once
            if parameter.requires_grad:
                n = 1
                for size in parameter.shape:
                    n *= size
                total += n
    return int(total)
'''
