"""progressive_unfreeze(layer_groups, stage): the test cells, wrong answers and right answers."""
import torch
from torch import nn

from autograder.checks import Cell, Check
from traintech.checking import entry, expect_raised, raises
from traintech.testing import assert_true

EXERCISE = "progressive_unfreeze"
REFERENCE = "traintech.reference.transfer.progressive_unfreeze"  # PyTorch has no such function


def collect_stages(progressive_unfreeze):
    """Stage k: exactly the last k groups are trainable; going back freezes again."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    groups = [model[0], model[2], model[4]]
    data = {}
    for stage in [1, 2, 3, 1, 0]:
        progressive_unfreeze(groups, stage)
        key = f"call {len(data) + 1}: progressive_unfreeze(groups, {stage})"
        data[key] = [[p.requires_grad for p in g.parameters()] for g in groups]  # requires_grad of each group's parameters
    return data


def judge_stages(got, ref, context):
    for key, flags in ref.items():
        expected = [all(group) for group in flags]
        trainable = [any(group) for group in entry(got, key)]
        assert_true(entry(got, key) == flags, f"after {key.split(': ')[1]} the trainable groups should be {expected}, "
                    f"got {trainable}", hint="freeze everything first, then unfreeze the LAST `stage` groups.")


def collect_group_kinds(progressive_unfreeze):
    with torch.random.fork_rng():
        torch.manual_seed(1)
        net = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3), nn.Linear(3, 3))
    progressive_unfreeze([list(net[0].parameters()), net[1].weight, net[2].parameters()], 2)
    return {"groups given as a list, a tensor and a generator, stage 2": [
                net[0].weight.requires_grad, net[0].bias.requires_grad, net[1].weight.requires_grad,
                net[2].weight.requires_grad, net[2].bias.requires_grad],
            "net[1].bias, in no group": net[1].bias.requires_grad}


def judge_group_kinds(got, ref, context):
    key = "groups given as a list, a tensor and a generator, stage 2"
    flags = entry(got, key)
    assert_true(flags == ref[key], f"{key}: expected {ref[key]}, got {flags!r:.100}")
    assert_true(entry(got, "net[1].bias, in no group") is True, "parameters outside the layer groups should be left alone")


def collect_errors(progressive_unfreeze):
    """A stage outside [0, len(layer_groups)] is a ValueError."""
    with torch.random.fork_rng():
        torch.manual_seed(2)
        model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    return {f"progressive_unfreeze([model[0], model[1]], {stage})": raises(progressive_unfreeze, [model[0], model[1]], stage)
            for stage in [3, -1]}


def judge_errors(got, ref, context):
    for call in ref:
        expect_raised(entry(got, call), "ValueError", call)
    context.no_delegation("progressive_unfreeze", [])


def collect_fractional_stage(progressive_unfreeze):
    with torch.random.fork_rng():
        torch.manual_seed(2)
        model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    return {"progressive_unfreeze([model[0], model[1]], 1.5)": raises(progressive_unfreeze, [model[0], model[1]], 1.5)}


def judge_fractional_stage(got, ref, context):
    for call in ref:
        expect_raised(entry(got, call), "ValueError", call)


CELLS = [
    Cell("test_progressive_unfreeze_stages", points=2, checks=[
        Check(collect_stages, judge_stages),
        Check(collect_group_kinds, judge_group_kinds, hidden=True),
    ]),
    Cell("test_progressive_unfreeze_errors", points=1, checks=[
        Check(collect_errors, judge_errors),
        Check(collect_fractional_stage, judge_fractional_stage, hidden=True),
    ]),
]

PLAIN = '''\
def progressive_unfreeze(layer_groups, stage):
    groups = list(layer_groups)
    if isinstance(stage, bool) or not isinstance(stage, int) or not 0 <= stage <= len(groups):
        raise ValueError(f"bad stage {stage!r}")
    params = [list(g.parameters()) if isinstance(g, nn.Module) else [g] if isinstance(g, torch.Tensor) else list(g)
              for g in groups]
    for i, ps in enumerate(params):
        for p in ps:
            p.requires_grad_(i >= len(groups) - stage)
    return groups[len(groups) - stage:]
'''
FLAG = "p.requires_grad_(i >= len(groups) - stage)"


def _variant(old: str, new: str) -> str:
    assert PLAIN.count(old) == 1, old
    return PLAIN.replace(old, new)


WRONG = {
    "unfreezes the first groups": _variant(FLAG, "p.requires_grad_(i < stage)"),
    "never freezes again": _variant(FLAG, "p.requires_grad_(True) if i >= len(groups) - stage else None"),
    "off by one": _variant(FLAG, "p.requires_grad_(i >= len(groups) - stage - 1)"),
    "only the group at index -stage": _variant(FLAG, "p.requires_grad_(i == len(groups) - stage)"),
    "no ValueError": _variant('        raise ValueError(f"bad stage {stage!r}")',
                              "        stage = max(0, min(int(stage), len(groups)))"),
    "imports the traintech reference": "from traintech.reference.transfer import progressive_unfreeze\n",
}

RIGHT = {
    "freeze all, then unfreeze a slice": '''\
def progressive_unfreeze(layer_groups, stage):
    groups = list(layer_groups)
    if type(stage) is not int or stage < 0 or stage > len(groups):
        raise ValueError(f"stage must be an int in [0, {len(groups)}], got {stage!r}")
    def params_of(g):
        if isinstance(g, nn.Module):
            return list(g.parameters())
        if isinstance(g, torch.Tensor):
            return [g]
        return list(g)
    all_params = [params_of(g) for g in groups]
    for ps in all_params:
        for p in ps:
            p.requires_grad = False
    for ps in all_params[len(groups) - stage:]:
        for p in ps:
            p.requires_grad = True
    return groups[len(groups) - stage:]
''',
    "blind: strict int type, slice from len-stage": r'''def progressive_unfreeze(layer_groups, stage):
    """Freeze every layer group, then unfreeze the last `stage` of them (Howard & Ruder, 2018).

    Args:
        layer_groups: earliest first; each an nn.Module, a parameter tensor or an iterable of parameters.
        stage: how many groups, counted from the last, are trainable: an int in [0, len(layer_groups)].

    Returns:
        The list of the groups that are now trainable.
    """
    layer_groups = list(layer_groups)
    n = len(layer_groups)
    if type(stage) is not int or not 0 <= stage <= n:
        raise ValueError(f"stage must be an int in [0, {n}], got {stage!r}")

    def params_of(group):
        if isinstance(group, nn.Module):
            return list(group.parameters())
        if isinstance(group, torch.Tensor):
            return [group]
        return list(group)

    params = [params_of(g) for g in layer_groups]
    for ps in params:
        for p in ps:
            p.requires_grad_(False)
    for ps in params[n - stage:]:
        for p in ps:
            p.requires_grad_(True)
    return layer_groups[n - stage:]
''',
    "blind: numbers.Integral check, index loop": r'''import numbers


def progressive_unfreeze(layer_groups, stage):
    """Freeze every layer group, then unfreeze the last `stage` of them (Howard & Ruder, 2018).

    Args:
        layer_groups: earliest first; each an nn.Module, a parameter tensor or an iterable of parameters.
        stage: how many groups, counted from the last, are trainable: an int in [0, len(layer_groups)].

    Returns:
        The list of the groups that are now trainable.
    """
    groups = [g for g in layer_groups]
    if not isinstance(stage, numbers.Integral):
        raise ValueError("stage must be an integer, got " + repr(stage))
    if stage < 0 or stage > len(groups):
        raise ValueError(f"stage {stage} is outside [0, {len(groups)}]")

    def as_params(group):
        if isinstance(group, nn.Module):
            return [p for p in group.parameters()]
        if torch.is_tensor(group):
            return [group]
        return [p for p in group]

    param_lists = [as_params(g) for g in groups]
    first_trainable = len(groups) - int(stage)
    for i, plist in enumerate(param_lists):  # freeze all ...
        for p in plist:
            p.requires_grad = False
    trainable = []
    for i in range(first_trainable, len(groups)):  # ... then the last `stage`
        for p in param_lists[i]:
            p.requires_grad = True
        trainable.append(groups[i])
    return trainable
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: slice_last (issue 16's release)"] = r'''\
def progressive_unfreeze(layer_groups, stage):
    """Freeze every layer group, then unfreeze the last `stage` of them (Howard & Ruder, 2018).

    A later call with a smaller stage freezes groups again; parameters outside the layer
    groups are left alone.

    Args:
        layer_groups: earliest first; each an nn.Module, a single parameter tensor or an iterable of
            parameters (a list, or a generator such as ``module.parameters()``).
        stage: how many groups, counted from the last, are trainable: an int in [0, len(layer_groups)].

    Returns:
        The list of the groups that are now trainable.

    Raises:
        ValueError: if ``stage`` is not an int in [0, len(layer_groups)] (e.g. ``-1``, ``1.5``).
    """
    layer_groups = list(layer_groups)
    n = len(layer_groups)
    if isinstance(stage, bool) or not isinstance(stage, int) or not 0 <= stage <= n:
        raise ValueError(f"stage should be an int in [0, {n}], got {stage!r}")

    def params_of(group):
        if isinstance(group, nn.Module):
            return list(group.parameters())
        if isinstance(group, torch.Tensor):
            return [group]
        return list(group)  # a list or a one-shot generator: read it once

    group_params = [params_of(group) for group in layer_groups]
    for params in group_params:  # freeze everything first ...
        for p in params:
            p.requires_grad_(False)
    first_trainable = n - stage
    for params in group_params[first_trainable:]:  # ... then unfreeze the last `stage` groups
        for p in params:
            p.requires_grad_(True)
    return layer_groups[first_trainable:]
'''
RIGHT["blind: integral_index_loop (issue 16's release)"] = r'''\
def progressive_unfreeze(layer_groups, stage):
    """Freeze every layer group, then unfreeze the last `stage` of them (Howard & Ruder, 2018).

    A later call with a smaller stage freezes groups again; parameters outside the layer
    groups are left alone.

    Args:
        layer_groups: earliest first; each an nn.Module, a single parameter tensor or an iterable of
            parameters (a list, or a generator such as ``module.parameters()``).
        stage: how many groups, counted from the last, are trainable: an int in [0, len(layer_groups)].

    Returns:
        The list of the groups that are now trainable.

    Raises:
        ValueError: if ``stage`` is not an int in [0, len(layer_groups)] (e.g. ``-1``, ``1.5``).
    """
    import numbers

    groups = tuple(layer_groups)
    if isinstance(stage, bool) or not isinstance(stage, numbers.Integral):
        raise ValueError(f"stage must be an integer, got {stage!r}")
    stage = int(stage)
    if stage < 0 or stage > len(groups):
        raise ValueError(f"stage must lie in [0, {len(groups)}], got {stage}")

    param_lists = []
    for group in groups:
        if isinstance(group, torch.Tensor):
            param_lists.append([group])
        elif isinstance(group, nn.Module):
            param_lists.append(list(group.parameters()))
        else:
            param_lists.append(list(group))

    # freeze all, then unfreeze: a parameter shared with a trainable group ends up trainable
    for params in param_lists:
        for p in params:
            p.requires_grad = False
    trainable = []
    for index in range(len(groups)):
        if index >= len(groups) - stage:
            for p in param_lists[index]:
                p.requires_grad = True
            trainable.append(groups[index])
    return trainable
'''
