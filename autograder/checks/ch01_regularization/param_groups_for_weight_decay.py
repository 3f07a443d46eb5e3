"""param_groups_for_weight_decay(model, weight_decay): the test cells, wrong answers and right answers."""
import torch
from torch import nn

from autograder.checks import Cell, Check
from traintech.checking import entry, expect_raised, raises
from traintech.testing import assert_true

EXERCISE = "param_groups_for_weight_decay"
REFERENCE = "traintech.reference.regularization.param_groups_for_weight_decay"  # PyTorch has no such function


class TinyWeightNormLinear(nn.Module):
    """A stand-in for chapter 2's WeightNormLinear: the parameters weight_v (out, in), weight_g (out, 1), bias."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight_v = nn.Parameter(torch.randn(out_features, in_features))
        self.weight_g = nn.Parameter(torch.ones(out_features, 1))
        self.bias = nn.Parameter(torch.zeros(out_features))

    def forward(self, x):
        return x @ (self.weight_g * self.weight_v / self.weight_v.norm(dim=1, keepdim=True)).T + self.bias


def describe_groups(model, groups):
    """The groups as data: each group's weight_decay, and its parameters by name ("4.weight (Linear)"),
    sorted (their order in a group does not matter), a parameter listed twice named twice."""
    names = {}
    for name, p in model.named_parameters():
        owner = model.get_submodule(name.rpartition(".")[0])
        names[id(p)] = f"{name} ({type(owner).__name__}{'' if p.requires_grad else ', frozen'})"
    if not isinstance(groups, (list, tuple)) or not all(isinstance(g, dict) for g in groups):
        return {"the result": f"a {type(groups).__name__}, not a list of dicts"}
    return {"the result": f"a list of {len(groups)} dicts",
            "weight_decay of each group": [g.get("weight_decay", "(no 'weight_decay' key)") for g in groups],
            "parameters of each group": [sorted(names.get(id(p), "(not a parameter of the model)")
                                                for p in g.get("params", [])) for g in groups]}


def groups_agree(got, ref, hint=None):
    """The learner's groups (describe_groups) are the reference's: two dicts, the weight decays, the parameters."""
    shape = entry(got, "the result")
    assert_true(shape == ref["the result"], f"the result should be {ref['the result']}, but is {shape}",
                hint='return [{"params": [...], "weight_decay": weight_decay}, {"params": [...], "weight_decay": 0.0}].')
    decays = entry(got, "weight_decay of each group")
    want = ref["weight_decay of each group"]
    assert_true(all(isinstance(d, (int, float)) and not isinstance(d, bool) for d in decays)
                and [float(d) for d in decays] == [float(w) for w in want],
                f"the groups' weight_decay should be {want} (the decay group first), but is {decays}")
    params = entry(got, "parameters of each group")
    for group, label in [(0, "decay"), (1, "no-decay")]:
        mine, theirs = params[group], ref["parameters of each group"][group]
        extra = sorted({n for n in mine if n not in theirs})
        twice = sorted({n for n in mine if n in theirs and mine.count(n) > theirs.count(n)})
        missing = [n for n in theirs if n not in mine]
        problems = [f"should not hold {extra}" if extra else "", f"lists {twice} more than once" if twice else "",
                    f"misses {missing}" if missing else ""]
        assert_true(not extra and not twice and not missing,
                    f"the {label} group (group {group}) " + "; ".join(part for part in problems if part), hint=hint)


def collect_decay_rule(param_groups_for_weight_decay):
    """Which parameters decay: the weight of Linear and Conv layers and weight_v; not biases, normalization
    layers' parameters or weight_g (a stand-in for WeightNormLinear)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(144, 16),
                              nn.LayerNorm(16), nn.ReLU(), TinyWeightNormLinear(16, 10))
    return describe_groups(model, param_groups_for_weight_decay(model, 0.1))


def judge_decay_rule(got, ref, context):
    groups_agree(got, ref, hint="decay exactly the weight of nn.Linear / nn.Conv layers and any weight_v; never a bias, "
                                "a normalization layer's weight or bias, or weight_g (2-D, but a gain: p.ndim >= 2 is "
                                "not the rule).")


def collect_decay_rule_more_layers(param_groups_for_weight_decay):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        model = nn.ModuleDict({
            "embed": nn.Embedding(10, 8),
            "body": nn.Sequential(nn.Conv1d(8, 8, 3, bias=False), nn.GroupNorm(2, 8), nn.BatchNorm1d(8), nn.PReLU(),
                                  nn.ConvTranspose2d(2, 2, 3), nn.InstanceNorm2d(2, affine=True)),
            "head": nn.Sequential(nn.Linear(8, 8, bias=False), nn.Sequential(TinyWeightNormLinear(8, 3)),
                                  nn.Linear(3, 3)),
        })
    return describe_groups(model, param_groups_for_weight_decay(model, 0.3))


def judge_decay_rule_more_layers(got, ref, context):
    groups_agree(got, ref, hint="only the weight of Linear, Conv and ConvTranspose layers and weight_v decay: "
                                "an nn.Embedding's or an nn.PReLU's weight does not, nor GroupNorm's or InstanceNorm's; "
                                "look into nested modules too.")


def collect_every_parameter_once(param_groups_for_weight_decay):
    """Every parameter exactly once (a shared weight once, frozen ones too), and torch.optim.AdamW accepts
    the groups: one step with zero gradients shrinks the decay group by 1 - lr * weight_decay, nothing else."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(2)
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 4), nn.Linear(4, 4))
    model[3].weight = model[2].weight  # a shared (tied) weight: one parameter
    model[0].requires_grad_(False)  # a frozen layer: its parameters belong in the groups too
    groups = param_groups_for_weight_decay(model, 0.1)
    data = describe_groups(model, groups)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    for p in model.parameters():
        p.grad = torch.zeros_like(p) if p.requires_grad else None
    try:
        optimizer = torch.optim.AdamW(groups, lr=0.5)
    except (ValueError, TypeError, KeyError) as err:
        data["torch.optim.AdamW(groups, lr=0.5)"] = f"raised {type(err).__name__}: {err}"
        return data
    data["torch.optim.AdamW(groups, lr=0.5)"] = "accepted"
    optimizer.step()
    data["each parameter after one step with zero gradients, as a multiple of itself"] = {
        name: "unchanged" if torch.equal(p, before[name]) else (p.norm() / before[name].norm()).item()
        for name, p in model.named_parameters()}
    return data


def judge_every_parameter_once(got, ref, context):
    key = "torch.optim.AdamW(groups, lr=0.5)"
    said = entry(got, key)
    assert_true(said == "accepted", f"{key} {said}",
                hint="list every parameter once: model.parameters() gives a shared parameter once.")
    groups_agree(got, ref, hint="the docstring's rule, with every parameter of model.parameters() exactly once: "
                                "a shared one once, frozen ones (requires_grad=False) too.")
    key = "each parameter after one step with zero gradients, as a multiple of itself"
    mine = entry(got, key)
    for name, want in ref[key].items():
        have = mine.get(name) if isinstance(mine, dict) else None
        close = have == want if isinstance(want, str) else isinstance(have, float) and abs(have - want) < 1e-5
        assert_true(close, f"after one AdamW step (lr=0.5) with zero gradients, {name} should be "
                           f"{want if isinstance(want, str) else f'{want:.4f} times itself'}, but is {have}")


def collect_every_parameter_once_more(param_groups_for_weight_decay):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        shared = nn.Linear(4, 4)
        model = nn.Sequential(shared, nn.LayerNorm(4), shared, TinyWeightNormLinear(4, 2))
    model.register_parameter("temperature", nn.Parameter(torch.ones(1)))  # a model's own parameter: no decay
    model[3].weight_v.requires_grad_(False)
    return describe_groups(model, param_groups_for_weight_decay(model, 0.05))


def judge_every_parameter_once_more(got, ref, context):
    groups_agree(got, ref, hint="the docstring's rule: a module used twice holds its parameters once, frozen "
                                "parameters are listed too, and a parameter of any other module (even the model's "
                                "own) gets no decay.")


def collect_errors(param_groups_for_weight_decay):
    """A negative weight_decay is a ValueError, and the function is your own code."""
    model = nn.Linear(2, 2)
    return {"param_groups_for_weight_decay(model, weight_decay=-0.1)": raises(param_groups_for_weight_decay, model, -0.1)}


def judge_errors(got, ref, context):
    call = "param_groups_for_weight_decay(model, weight_decay=-0.1)"
    expect_raised(entry(got, call), "ValueError", call)
    context.no_delegation("param_groups_for_weight_decay", [])


def collect_more_errors_and_edge_cases(param_groups_for_weight_decay):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(4)
        norm_only = nn.Sequential(nn.BatchNorm1d(3))
    data = {"param_groups_for_weight_decay(model, weight_decay=nan)": raises(
        param_groups_for_weight_decay, norm_only, float("nan")),
        "param_groups_for_weight_decay(model, weight_decay=0.0)": raises(param_groups_for_weight_decay, norm_only, 0.0)}
    data["the groups of a model with nothing to decay"] = describe_groups(
        norm_only, param_groups_for_weight_decay(norm_only, 0.2))
    return data


def judge_more_errors_and_edge_cases(got, ref, context):
    call = "param_groups_for_weight_decay(model, weight_decay=nan)"
    expect_raised(entry(got, call), "ValueError", call, hint="NaN fails every comparison: `not weight_decay >= 0` catches it.")
    call = "param_groups_for_weight_decay(model, weight_decay=0.0)"
    expect_raised(entry(got, call), None, call, hint="weight_decay = 0 is allowed.")
    key = "the groups of a model with nothing to decay"
    groups_agree(entry(got, key), ref[key], hint="return both groups, always: the decay group may be empty.")


CELLS = [
    Cell("test_param_groups_decay_rule", points=2, checks=[
        Check(collect_decay_rule, judge_decay_rule),
        Check(collect_decay_rule_more_layers, judge_decay_rule_more_layers, hidden=True),
    ]),
    Cell("test_param_groups_every_parameter_once", points=1, checks=[
        Check(collect_every_parameter_once, judge_every_parameter_once),
        Check(collect_every_parameter_once_more, judge_every_parameter_once_more, hidden=True),
    ]),
    Cell("test_param_groups_errors", points=1, checks=[
        Check(collect_errors, judge_errors),
        Check(collect_more_errors_and_edge_cases, judge_more_errors_and_edge_cases, hidden=True),
    ]),
]

# One template, one mistake each.
TEMPLATE = '''\
def param_groups_for_weight_decay(model, weight_decay):
    if not weight_decay >= 0:
        raise ValueError(f"bad weight_decay {weight_decay}")
    layers = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
    decay, no_decay, seen = [], [], set()
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            if id(p) in seen:
                continue
            seen.add(id(p))
            if name == "weight_v" or (name == "weight" and isinstance(module, layers)):
                decay.append(p)
            else:
                no_decay.append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
'''
RULE = 'name == "weight_v" or (name == "weight" and isinstance(module, layers))'
MISTAKES = {
    "decay iff p.ndim >= 2 (weight_g and embeddings decay)": (RULE, "p.ndim >= 2"),
    "every parameter named weight decays (normalization layers' γ too)": (RULE, 'name in ("weight", "weight_v")'),
    "biases decay too": (RULE, 'name == "weight_v" or isinstance(module, layers)'),
    "no decay only for biases and normalization layers (Embedding, PReLU decay)": (
        RULE, 'name != "weight_g" and name != "bias" and not isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, '
              'nn.BatchNorm3d, nn.LayerNorm, nn.GroupNorm, nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d))'),
    "weight_v not recognized": (RULE, 'name == "weight" and isinstance(module, layers)'),
    "the no-decay group first (timm's order)": (
        'return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]',
        'return [{"params": no_decay, "weight_decay": 0.0}, {"params": decay, "weight_decay": weight_decay}]'),
    "the same weight_decay on both groups": ('{"params": no_decay, "weight_decay": 0.0}',
                                             '{"params": no_decay, "weight_decay": weight_decay}'),
    "frozen parameters left out": ("            if id(p) in seen:\n",
                                   "            if id(p) in seen or not p.requires_grad:\n"),
    "a shared parameter listed twice": ("            if id(p) in seen:\n                continue\n", ""),
    "no check of weight_decay": ('    if not weight_decay >= 0:\n        raise ValueError(f"bad weight_decay {weight_decay}")\n',
                                 ""),
    "NaN accepted (weight_decay < 0 only)": ("if not weight_decay >= 0:", "if weight_decay < 0:"),
}
assert all(TEMPLATE.count(old) == 1 for old, _ in MISTAKES.values())
WRONG = {label: TEMPLATE.replace(old, new) for label, (old, new) in MISTAKES.items()}
WRONG["only the top-level modules (nested layers missed)"] = '''\
def param_groups_for_weight_decay(model, weight_decay):
    if not weight_decay >= 0:
        raise ValueError(f"bad weight_decay {weight_decay}")
    layers = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
    decay = []
    for module in model.children():
        for name, p in module.named_parameters(recurse=False):
            if name == "weight_v" or (name == "weight" and isinstance(module, layers)):
                decay.append(p)
    no_decay = [p for p in model.parameters() if all(p is not q for q in decay)]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
'''
WRONG["imports the traintech reference"] = (
    "from traintech.reference.regularization import param_groups_for_weight_decay\n")

# Right answers written differently (the blind ones from the released notebook alone): every one
# must keep every point.
RIGHT = {
    "named_parameters and get_submodule, decay group last built": '''\
def param_groups_for_weight_decay(model, weight_decay):
    if weight_decay != weight_decay or weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    kinds = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
    decay, no_decay = [], []
    for full_name, p in model.named_parameters():  # each parameter once, at its first owner
        owner_name, _, name = full_name.rpartition(".")
        owner = model.get_submodule(owner_name)
        if name == "weight_v" or (name == "weight" and isinstance(owner, kinds)):
            decay.append(p)
        else:
            no_decay.append(p)
    return [dict(params=decay, weight_decay=weight_decay), dict(params=no_decay, weight_decay=0.0)]
''',
    "recursive walk over _parameters, groups filled in place": '''\
def param_groups_for_weight_decay(model, weight_decay):
    if not (weight_decay >= 0):
        raise ValueError("weight_decay has to be >= 0")
    groups = [{"params": [], "weight_decay": weight_decay}, {"params": [], "weight_decay": 0.0}]
    placed = set()

    def visit(module):
        for name, p in module._parameters.items():
            if p is None or id(p) in placed:
                continue
            placed.add(id(p))
            weighty = name == "weight" and isinstance(module, (nn.Linear, nn.modules.conv._ConvNd))
            groups[0 if weighty or name == "weight_v" else 1]["params"].append(p)
        for child in module.children():
            visit(child)

    visit(model)
    return groups
''',
}

# Blind answers written from issue 19's release by helpers given only the released notebook: they keep every point.
RIGHT["blind: isinstance module walk (issue 19's release)"] = r'''\
def param_groups_for_weight_decay(model, weight_decay):
    if not (weight_decay >= 0):  # also False for NaN
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
    decaying_types = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d,
                      nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
    decay, no_decay = [], []
    seen = set()
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False, remove_duplicate=False):
            if param is None or id(param) in seen:
                continue  # a shared parameter follows the first module that holds it
            seen.add(id(param))
            if name == "weight_v" or (name == "weight" and isinstance(module, decaying_types)):
                decay.append(param)
            else:
                no_decay.append(param)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]
'''
RIGHT["blind: name rules dict (issue 19's release)"] = r'''\
import math


def param_groups_for_weight_decay(model, weight_decay):
    if math.isnan(weight_decay) or weight_decay < 0:
        raise ValueError("weight_decay should be a number >= 0, got {!r}".format(weight_decay))
    kernel_types = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d,
                    nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
    by_group = {"decay": {}, "no_decay": {}}
    for qualified_name, param in model.named_parameters():  # remove_duplicate=True: a tied weight once
        owner_path, _, leaf = qualified_name.rpartition(".")
        is_kernel = leaf == "weight" and isinstance(model.get_submodule(owner_path), kernel_types)
        key = "decay" if leaf == "weight_v" or is_kernel else "no_decay"
        by_group[key][id(param)] = param
    return [dict(params=list(by_group["decay"].values()), weight_decay=weight_decay),
            dict(params=list(by_group["no_decay"].values()), weight_decay=0.0)]
'''
