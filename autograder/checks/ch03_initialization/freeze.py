"""freeze(module) and unfreeze(module), defined in one solution cell: the test cells, wrong answers and
right answers."""
import torch
from torch import nn

from autograder.checks import Cell, Check
from traintech.checking import entry
from traintech.testing import assert_true

EXERCISE = "freeze"
REFERENCE = "traintech.reference.transfer.freeze"  # PyTorch has Module.requires_grad_, a method that returns nothing else
ALSO = {"unfreeze": "traintech.reference.transfer.unfreeze"}  # the solution cell defines unfreeze too


def requires_grad_flags(module):
    return [p.requires_grad for p in module.parameters()]


def collect_freeze_unfreeze(freeze, unfreeze):
    """Every parameter, nested ones included, is frozen / unfrozen; the module is returned."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8)), nn.Linear(8, 2))
    data = {"freeze(model) returned model": freeze(model) is model, "after freeze(model)": requires_grad_flags(model)}
    data["unfreeze(model[1]) returned model[1]"] = unfreeze(model[1]) is model[1]
    data["model[1] after unfreeze(model[1])"] = requires_grad_flags(model[1])
    data["model[0] and model[2] after unfreeze(model[1])"] = requires_grad_flags(model[0]) + requires_grad_flags(model[2])
    return data


def judge_freeze_unfreeze(got, ref, context):
    assert_true(entry(got, "freeze(model) returned model") is True, "freeze should return the module it was given")
    assert_true(entry(got, "after freeze(model)") == ref["after freeze(model)"],
                "after freeze(model) no parameter should require grad (nested modules too: use module.parameters())")
    assert_true(entry(got, "unfreeze(model[1]) returned model[1]") is True, "unfreeze should return the module it was given")
    assert_true(entry(got, "model[1] after unfreeze(model[1])") == ref["model[1] after unfreeze(model[1])"],
                "unfreeze(model[1]) should unfreeze all of model[1]")
    assert_true(entry(got, "model[0] and model[2] after unfreeze(model[1])") ==
                ref["model[0] and model[2] after unfreeze(model[1])"], "unfreeze(model[1]) should leave the other layers frozen")


def collect_unfreeze_all_and_gradients(freeze, unfreeze):
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8)), nn.Linear(8, 2))
    freeze(model)
    unfreeze(model[1])
    unfreeze(model)
    data = {"after unfreeze(model)": requires_grad_flags(model)}
    freeze(model[0])
    model(torch.randn(5, 4, generator=torch.Generator().manual_seed(0))).sum().backward()
    data["after freeze(model[0]) and a backward pass: model[0] has no gradient, model[2] has one"] = [
        model[0].weight.grad is None, model[2].weight.grad is not None]
    return data


def judge_unfreeze_all_and_gradients(got, ref, context):
    assert_true(entry(got, "after unfreeze(model)") == ref["after unfreeze(model)"],
                "unfreeze(model) should unfreeze every parameter")
    key = "after freeze(model[0]) and a backward pass: model[0] has no gradient, model[2] has one"
    assert_true(entry(got, key) == ref[key], "a frozen layer should get no gradient, the others should")


def collect_in_place_and_purity(freeze):
    """In place on the parameters themselves (no copies), buffers untouched; both written by you."""
    bn = nn.BatchNorm1d(3)
    weight = bn.weight
    freeze(bn)
    return {"frozen in place": bn.weight is weight and not weight.requires_grad,
            "buffers after freeze": sorted(dict(bn.named_buffers()))}


def judge_in_place_and_purity(got, ref, context):
    assert_true(entry(got, "frozen in place") is True, "freeze should change the parameters in place")
    assert_true(entry(got, "buffers after freeze") == ref["buffers after freeze"], "freeze should leave the buffers alone")
    context.no_delegation("freeze", [])
    context.no_delegation("unfreeze", [])


def collect_unfreeze_in_place(freeze, unfreeze):
    bn = nn.BatchNorm1d(3)
    weight = bn.weight
    freeze(bn)
    unfreeze(bn)
    empty = nn.ReLU()
    return {"unfrozen in place": bn.weight is weight and weight.requires_grad,
            "a module without parameters is returned": freeze(empty) is empty and unfreeze(empty) is empty}


def judge_unfreeze_in_place(got, ref, context):
    assert_true(entry(got, "unfrozen in place") is True, "unfreeze should change the parameters in place")
    assert_true(entry(got, "a module without parameters is returned") is True,
                "a module without parameters is returned as it is")


CELLS = [
    Cell("test_freeze_unfreeze", points=2, checks=[
        Check(collect_freeze_unfreeze, judge_freeze_unfreeze),
        Check(collect_unfreeze_all_and_gradients, judge_unfreeze_all_and_gradients, hidden=True),
    ]),
    Cell("test_freeze_in_place_and_purity", points=1, checks=[
        Check(collect_in_place_and_purity, judge_in_place_and_purity),
        Check(collect_unfreeze_in_place, judge_unfreeze_in_place, hidden=True),
    ]),
]

PLAIN = '''\
def freeze(module):
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def unfreeze(module):
    for p in module.parameters():
        p.requires_grad_(True)
    return module
'''
FREEZE_LOOP = "    for p in module.parameters():\n        p.requires_grad_(False)"


def _variant(old: str, new: str) -> str:
    assert PLAIN.count(old) == 1, old
    return PLAIN.replace(old, new)


WRONG = {
    "direct parameters only (recurse=False)": _variant(
        FREEZE_LOOP, "    for p in module.parameters(recurse=False):\n        p.requires_grad_(False)"),
    "sets an attribute on the module": _variant(FREEZE_LOOP, "    module.requires_grad = False"),
    "returns nothing": _variant("        p.requires_grad_(False)\n    return module", "        p.requires_grad_(False)"),
    "unfreeze does not unfreeze": _variant("p.requires_grad_(True)", "p.requires_grad_(False)"),
    "freezes only the first layer": _variant(FREEZE_LOOP,
                                             "    for p in list(module.parameters())[:2]:\n        p.requires_grad_(False)"),
    "imports the traintech reference": "from traintech.reference.transfer import freeze, unfreeze\n",
    "unfreeze imported from traintech": PLAIN.split("\n\n\n")[0] + "\n\n\nfrom traintech.reference.transfer import unfreeze\n",
}

RIGHT = {
    "a shared helper over named_parameters()": '''\
def _set_trainable(module, flag):
    for _, parameter in module.named_parameters():
        parameter.requires_grad = flag
    return module


def freeze(module):
    return _set_trainable(module, False)


def unfreeze(module):
    return _set_trainable(module, True)
''',
    "blind: parameters() loop with requires_grad_": r'''def freeze(module):
    """Stop training every parameter of module (requires_grad = False), in place; returns module."""
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def unfreeze(module):
    """Train every parameter of module again (requires_grad = True), in place; returns module."""
    for p in module.parameters():
        p.requires_grad_(True)
    return module
''',
    "blind: shared helper over modules(), attribute assignment": r'''def _set_trainable(module, flag):
    for submodule in module.modules():
        for _, param in submodule.named_parameters(recurse=False):
            param.requires_grad = flag
    return module


def freeze(module):
    """Stop training every parameter of module (requires_grad = False), in place; returns module."""
    return _set_trainable(module, False)


def unfreeze(module):
    """Train every parameter of module again (requires_grad = True), in place; returns module."""
    return _set_trainable(module, True)
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: parameters_loop (issue 16's release)"] = r'''\
def freeze(module):
    """Stop training every parameter of module (requires_grad = False), in place; returns module.

    Nested submodules are included; the parameter tensors themselves are changed (no copies)
    and buffers are left alone. A module without parameters is returned as it is.
    """
    for parameter in module.parameters():  # recurses into submodules
        parameter.requires_grad_(False)
    return module


def unfreeze(module):
    """Train every parameter of module again (requires_grad = True), in place; returns module.

    Nested submodules are included; the parameter tensors themselves are changed (no copies)
    and buffers are left alone. A module without parameters is returned as it is.
    """
    for parameter in module.parameters():
        parameter.requires_grad_(True)
    return module
'''
RIGHT["blind: shared_helper_named (issue 16's release)"] = r'''\
def freeze(module):
    """Stop training every parameter of module (requires_grad = False), in place; returns module.

    Nested submodules are included; the parameter tensors themselves are changed (no copies)
    and buffers are left alone. A module without parameters is returned as it is.
    """
    return _set_trainable(module, False)


def unfreeze(module):
    """Train every parameter of module again (requires_grad = True), in place; returns module.

    Nested submodules are included; the parameter tensors themselves are changed (no copies)
    and buffers are left alone. A module without parameters is returned as it is.
    """
    return _set_trainable(module, True)


def _set_trainable(module, flag):
    """Set requires_grad = flag on every parameter of every submodule of module (itself included)."""
    for submodule in module.modules():
        for _, parameter in submodule.named_parameters(recurse=False):
            parameter.requires_grad = flag
    return module
'''
