"""discriminative_param_groups(layer_groups, lr, decay=2.6): the test cells, wrong answers and right answers."""
import torch
from torch import nn

from autograder.checks import Cell, Check
from traintech.checking import entry, expect_raised, raises
from traintech.testing import assert_close, assert_true

EXERCISE = "discriminative_param_groups"
REFERENCE = "traintech.reference.transfer.discriminative_param_groups"  # PyTorch has no such function


def rates_agree(got, ref, key, hint=None):
    """The learning rates ``got[key]`` (a list of numbers) equal the reference's."""
    rates = entry(got, key)
    assert_true(isinstance(rates, list) and all(isinstance(r, (int, float)) for r in rates),
                f"{key} should be numbers, got {rates!r:.200}")
    assert_close(torch.tensor(rates, dtype=torch.float64), torch.tensor(ref[key], dtype=torch.float64), name=key, hint=hint)


def collect_rates(discriminative_param_groups):
    """One group per layer group, the last at lr, each earlier one divided by decay once more."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    groups = discriminative_param_groups([model[0], model[2], model[4]], lr=0.01)
    everything = list(model.parameters())
    return {"a list of 3 groups": isinstance(groups, list) and len(groups) == 3,
            "the learning rates of the 3 groups (lr=0.01, decay=2.6)": [g["lr"] for g in groups],
            "each group's params, as positions in model.parameters()": [
                [next((i for i, q in enumerate(everything) if p is q), -1) for p in g["params"]] for g in groups]}


def judge_rates(got, ref, context):
    assert_true(entry(got, "a list of 3 groups") is True, "expected a list of 3 parameter groups")
    rates_agree(got, ref, "the learning rates of the 3 groups (lr=0.01, decay=2.6)",
                hint="the LAST group gets lr; group l gets lr / decay ** (L - 1 - l).")
    key = "each group's params, as positions in model.parameters()"
    assert_true(entry(got, key) == ref[key], "each group's 'params' should be the parameters of its layer group, in order")


def collect_group_kinds(discriminative_param_groups):
    with torch.random.fork_rng():
        torch.manual_seed(1)
        net = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3), nn.Linear(3, 3), nn.Linear(3, 1))
    groups = discriminative_param_groups([net[0], list(net[1].parameters()), net[2].weight, net[3].parameters()], 1.0,
                                         decay=2.0)
    data = {"the learning rates of 4 groups (lr=1, decay=2)": [g["lr"] for g in groups],
            "the sizes of groups given as a module, a list, a tensor and a generator": [
                len(list(g["params"])) for g in groups],
            "the rate of a single group": [g["lr"] for g in discriminative_param_groups([net], lr=0.3)]}
    for p in net[0].parameters():
        p.requires_grad_(False)
    data["the size of a frozen group"] = len(list(discriminative_param_groups([net[0], net[1]], lr=0.1)[0]["params"]))
    return data


def judge_group_kinds(got, ref, context):
    rates_agree(got, ref, "the learning rates of 4 groups (lr=1, decay=2)")
    key = "the sizes of groups given as a module, a list, a tensor and a generator"
    sizes = entry(got, key)
    assert_true(sizes == ref[key], f"{key}: expected {ref[key]} parameters, got {sizes!r:.100}")
    rates_agree(got, ref, "the rate of a single group")
    assert_true(entry(got, "the size of a frozen group") == ref["the size of a frozen group"],
                "frozen parameters should be included as well")


def collect_optimizer_and_errors(discriminative_param_groups):
    """The groups work with a torch optimizer; bad arguments are ValueErrors."""
    with torch.random.fork_rng():
        torch.manual_seed(2)
        model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    opt = torch.optim.SGD(discriminative_param_groups([model[0], model[1]], lr=0.26, decay=2.6), lr=1.0)
    return {"the rates seen by torch.optim.SGD": [g["lr"] for g in opt.param_groups],
            "discriminative_param_groups([model[0]], 0.1, decay=0.0)": raises(
                discriminative_param_groups, [model[0]], 0.1, decay=0.0),
            "discriminative_param_groups([model[0]], -0.1)": raises(discriminative_param_groups, [model[0]], -0.1)}


def judge_optimizer_and_errors(got, ref, context):
    rates_agree(got, ref, "the rates seen by torch.optim.SGD")
    for call in ["discriminative_param_groups([model[0]], 0.1, decay=0.0)", "discriminative_param_groups([model[0]], -0.1)"]:
        expect_raised(entry(got, call), "ValueError", call)
    context.no_delegation("discriminative_param_groups", [])


def collect_more_errors_and_a_step(discriminative_param_groups):
    with torch.random.fork_rng():
        torch.manual_seed(2)
        model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    data = {"discriminative_param_groups([], 0.1)": raises(discriminative_param_groups, [], 0.1),
            "discriminative_param_groups([model[0]], 0.1, decay=-2.6)": raises(
                discriminative_param_groups, [model[0]], 0.1, decay=-2.6)}
    opt = torch.optim.SGD(discriminative_param_groups([model[0], model[1]], lr=0.26, decay=2.6), lr=1.0)
    model(torch.ones(1, 2)).sum().backward()
    opt.step()
    data["the first layer's weight after one SGD step"] = model[0].weight.detach()
    return data


def judge_more_errors_and_a_step(got, ref, context):
    for call in ["discriminative_param_groups([], 0.1)", "discriminative_param_groups([model[0]], 0.1, decay=-2.6)"]:
        expect_raised(entry(got, call), "ValueError", call)
    key = "the first layer's weight after one SGD step"
    assert_close(entry(got, key), ref[key], name="one SGD step on the first group",
                 hint="the first group's rate should be lr / decay.")


CELLS = [
    Cell("test_discriminative_rates", points=2, checks=[
        Check(collect_rates, judge_rates),
        Check(collect_group_kinds, judge_group_kinds, hidden=True),
    ]),
    Cell("test_discriminative_optimizer_and_errors", points=1, checks=[
        Check(collect_optimizer_and_errors, judge_optimizer_and_errors),
        Check(collect_more_errors_and_a_step, judge_more_errors_and_a_step, hidden=True),
    ]),
]

PLAIN = '''\
def discriminative_param_groups(layer_groups, lr, decay=2.6):
    if decay <= 0:
        raise ValueError(f"bad decay {decay}")
    if lr < 0:
        raise ValueError(f"bad lr {lr}")
    groups = list(layer_groups)
    if not groups:
        raise ValueError("no layer groups")
    out = []
    for i, g in enumerate(groups):
        params = list(g.parameters()) if isinstance(g, nn.Module) else [g] if isinstance(g, torch.Tensor) else list(g)
        out.append({"params": params, "lr": lr / decay ** (len(groups) - 1 - i)})
    return out
'''
RATE = '"lr": lr / decay ** (len(groups) - 1 - i)'


def _variant(old: str, new: str) -> str:
    assert PLAIN.count(old) == 1, old
    return PLAIN.replace(old, new)


WRONG = {
    "first group at lr (order reversed)": _variant(RATE, '"lr": lr / decay ** i'),
    "rates multiplied by decay": _variant(RATE, '"lr": lr * decay ** (len(groups) - 1 - i)'),
    "off by one: the last group at lr / decay": _variant(RATE, '"lr": lr / decay ** (len(groups) - i)'),
    "a tensor group iterated row by row": _variant(
        "list(g.parameters()) if isinstance(g, nn.Module) else [g] if isinstance(g, torch.Tensor) else list(g)",
        "list(g.parameters()) if isinstance(g, nn.Module) else list(g)"),
    "no argument checks": _variant('    if decay <= 0:\n        raise ValueError(f"bad decay {decay}")\n'
                                   '    if lr < 0:\n        raise ValueError(f"bad lr {lr}")\n', ""),
    "frozen parameters left out": _variant("list(g.parameters()) if isinstance(g, nn.Module)",
                                           "[p for p in g.parameters() if p.requires_grad] if isinstance(g, nn.Module)"),
    "imports the traintech reference": "from traintech.reference.transfer import discriminative_param_groups\n",
}

RIGHT = {
    "walk backwards from lr": '''\
def discriminative_param_groups(layer_groups, lr, decay=2.6):
    if not (decay > 0 and lr >= 0):
        raise ValueError(f"need decay > 0 and lr >= 0, got decay={decay}, lr={lr}")
    groups = [list(g.parameters()) if isinstance(g, nn.Module)
              else [g] if isinstance(g, torch.Tensor) else list(g) for g in layer_groups]
    if len(groups) == 0:
        raise ValueError("layer_groups must not be empty")
    result, rate = [], lr
    for params in reversed(groups):
        result.append({"params": params, "lr": rate})
        rate = rate / decay
    return result[::-1]
''',
    "blind: power formula, list of dicts": r'''def discriminative_param_groups(layer_groups, lr, decay=2.6):
    """Optimizer parameter groups, the last at lr and each earlier one decay times slower (Howard & Ruder, 2018).

    Args:
        layer_groups: earliest first; each an nn.Module, a parameter tensor or an iterable of parameters.
        lr: the learning rate of the last group, >= 0.
        decay: the factor between consecutive groups' rates, > 0. Default: 2.6

    Returns:
        A list of dicts {"params": [...], "lr": ...}, one per layer group, in order.
    """
    layer_groups = list(layer_groups)
    if not layer_groups:
        raise ValueError("layer_groups is empty")
    if decay <= 0:
        raise ValueError(f"decay must be > 0, got {decay}")
    if lr < 0:
        raise ValueError(f"lr must be >= 0, got {lr}")

    def params_of(group):
        if isinstance(group, nn.Module):
            return list(group.parameters())
        if isinstance(group, torch.Tensor):
            return [group]
        return list(group)

    L = len(layer_groups)
    return [{"params": params_of(g), "lr": lr / decay ** (L - 1 - l)} for l, g in enumerate(layer_groups)]
''',
    "blind: walk backwards dividing, then reverse": r'''def discriminative_param_groups(layer_groups, lr, decay=2.6):
    """Optimizer parameter groups, the last at lr and each earlier one decay times slower (Howard & Ruder, 2018).

    Args:
        layer_groups: earliest first; each an nn.Module, a parameter tensor or an iterable of parameters.
        lr: the learning rate of the last group, >= 0.
        decay: the factor between consecutive groups' rates, > 0. Default: 2.6

    Returns:
        A list of dicts {"params": [...], "lr": ...}, one per layer group, in order.
    """
    if not decay > 0:
        raise ValueError("decay should be positive")
    if not lr >= 0:
        raise ValueError("lr should be non-negative")
    groups = [g for g in layer_groups]
    if len(groups) == 0:
        raise ValueError("need at least one layer group")
    result = []
    rate = lr
    for group in reversed(groups):
        if isinstance(group, nn.Module):
            params = [p for p in group.parameters()]
        elif torch.is_tensor(group):
            params = [group]
        else:
            params = [p for p in group]
        result.append(dict(params=params, lr=rate))
        rate = rate / decay
    result.reverse()
    return result
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: power_formula (issue 16's release)"] = r'''\
def discriminative_param_groups(layer_groups, lr, decay=2.6):
    """Optimizer parameter groups, the last at lr and each earlier one decay times slower (Howard & Ruder, 2018).

    Args:
        layer_groups: earliest first; each an nn.Module, a single parameter tensor or an iterable of
            parameters (a list, or a generator such as ``module.parameters()``).
        lr: the learning rate of the last group, >= 0.
        decay: the factor between consecutive groups' rates, > 0. Default: 2.6

    Returns:
        A list of dicts {"params": [...], "lr": ...}, one per layer group, in order; "params" lists
        the group's parameters in order (a module's as ``module.parameters()``), frozen ones included.

    Raises:
        ValueError: if ``decay <= 0``, ``lr < 0`` or ``layer_groups`` is empty.
    """
    if decay <= 0:
        raise ValueError(f"decay should be > 0, got {decay}")
    if lr < 0:
        raise ValueError(f"Invalid learning rate: {lr}")
    layer_groups = list(layer_groups)
    if len(layer_groups) == 0:
        raise ValueError("layer_groups is empty: give at least one layer group")

    def params_of(group):
        if isinstance(group, nn.Module):
            return list(group.parameters())
        if isinstance(group, torch.Tensor):  # a single parameter (tensors are iterable: check first)
            return [group]
        return list(group)

    n = len(layer_groups)
    return [{"params": params_of(group), "lr": lr / decay ** (n - 1 - l)} for l, group in enumerate(layer_groups)]
'''
RIGHT["blind: reverse_loop_divide (issue 16's release)"] = r'''\
def discriminative_param_groups(layer_groups, lr, decay=2.6):
    """Optimizer parameter groups, the last at lr and each earlier one decay times slower (Howard & Ruder, 2018).

    Args:
        layer_groups: earliest first; each an nn.Module, a single parameter tensor or an iterable of
            parameters (a list, or a generator such as ``module.parameters()``).
        lr: the learning rate of the last group, >= 0.
        decay: the factor between consecutive groups' rates, > 0. Default: 2.6

    Returns:
        A list of dicts {"params": [...], "lr": ...}, one per layer group, in order; "params" lists
        the group's parameters in order (a module's as ``module.parameters()``), frozen ones included.

    Raises:
        ValueError: if ``decay <= 0``, ``lr < 0`` or ``layer_groups`` is empty.
    """
    if not decay > 0:
        raise ValueError(f"decay must be positive, got {decay}")
    if not lr >= 0:
        raise ValueError(f"lr must be non-negative, got {lr}")
    groups = [group for group in layer_groups]
    if not groups:
        raise ValueError("layer_groups must contain at least one group")

    param_groups = []
    rate = lr
    for group in reversed(groups):  # from the last group (lr) backwards, dividing by decay each time
        if isinstance(group, torch.Tensor):
            params = [group]
        elif isinstance(group, nn.Module):
            params = [p for p in group.parameters()]
        else:
            params = [p for p in group]
        param_groups.append({"params": params, "lr": rate})
        rate = rate / decay
    param_groups.reverse()  # earliest first again
    return param_groups
'''
