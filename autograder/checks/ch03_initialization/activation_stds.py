"""activation_stds(model, x): the test cells, wrong answers and right answers."""
import torch
from torch import nn

from autograder.checks import Cell, Check
from traintech.checking import entry
from traintech.testing import assert_close, assert_true

EXERCISE = "activation_stds"
REFERENCE = "traintech.reference.diagnostics.activation_stds"  # PyTorch has no such function


def stds_of(activation_stds, model, x):
    """``activation_stds(model, x)``, read after the model ran once more: a hook left behind
    would add values to the list it returned."""
    stds = activation_stds(model, x)
    with torch.no_grad():
        model(x)
    return stds


def judge_stds(got, ref, key, hint=None):
    stds = entry(got, key)
    n = len(ref[key])
    assert_true(isinstance(stds, list) and len(stds) == n,
                f"{key} should be a list of {n} values (one per child), got {stds!r:.200}")
    assert_true(all(isinstance(s, float) for s in stds), "each value should be a Python float (use .item())")
    assert_close(torch.tensor(stds), torch.tensor(ref[key]), name=key, hint=hint)


def collect_values(activation_stds):
    """One std per child, in order, equal to the std of each layer's output."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(20, 30), nn.Tanh(), nn.Linear(30, 10), nn.ReLU())
    x = torch.randn(64, 20, generator=torch.Generator().manual_seed(0))
    return {"activation_stds(model, x)": stds_of(activation_stds, model, x)}


def judge_values(got, ref, context):
    judge_stds(got, ref, "activation_stds(model, x)",
               hint="record output.std() of every child, in the order the children run.")


def collect_more_values(activation_stds):
    g = torch.Generator().manual_seed(1)
    with torch.random.fork_rng():
        torch.manual_seed(1)
        conv = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 5))
        inplace = nn.Sequential(nn.Linear(10, 50), nn.ReLU(inplace=True), nn.Linear(50, 3))
    return {"activation_stds of a small CNN": stds_of(activation_stds, conv, torch.randn(16, 1, 8, 8, generator=g)),
            "activation_stds with nn.ReLU(inplace=True)": stds_of(activation_stds, inplace,
                                                                   torch.randn(200, 10, generator=g))}


def judge_more_values(got, ref, context):
    judge_stds(got, ref, "activation_stds of a small CNN")
    # an in-place ReLU after a Linear overwrites the Linear's output tensor
    judge_stds(got, ref, "activation_stds with nn.ReLU(inplace=True)",
               hint="compute the std inside the hook: an in-place layer overwrites the stored output later.")


def collect_hooks_and_autograd(activation_stds):
    """The hooks are gone afterwards, the pass runs without autograd, and the mode is unchanged."""
    class GradProbe(nn.Module):
        def forward(self, x):
            self.grad_enabled = torch.is_grad_enabled()
            return x

    with torch.random.fork_rng():
        torch.manual_seed(2)
        model = nn.Sequential(nn.Linear(5, 5), GradProbe(), nn.ReLU())
    model.train()
    activation_stds(model, torch.randn(8, 5, generator=torch.Generator().manual_seed(2)))
    return {"hooks left on each module": [len(m._forward_hooks) for m in model.modules()],
            "grad enabled in the forward pass": getattr(model[1], "grad_enabled", None),
            "model.training afterwards": model.training}


def judge_hooks_and_autograd(got, ref, context):
    assert_true(entry(got, "hooks left on each module") == ref["hooks left on each module"],
                "every forward hook should be removed before activation_stds returns (handle.remove())")
    assert_true(entry(got, "grad enabled in the forward pass") is False, "run the forward pass inside torch.no_grad()")
    assert_true(entry(got, "model.training afterwards") is True,
                "activation_stds should not change the model's train/eval mode")
    context.no_delegation("activation_stds", [])


def collect_errors_and_eval_mode(activation_stds):
    class Boom(nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    with torch.random.fork_rng():
        torch.manual_seed(3)
        broken = nn.Sequential(nn.Linear(3, 3), Boom())
        model = nn.Sequential(nn.Linear(5, 5), nn.ReLU())
    g = torch.Generator().manual_seed(3)
    try:
        activation_stds(broken, torch.randn(2, 3, generator=g))
    except RuntimeError:  # the model's own error may come through
        pass
    model.eval()
    activation_stds(model, torch.randn(8, 5, generator=g))
    return {"hooks left after the error": [len(m._forward_hooks) for m in broken.modules()],
            "model.training afterwards, in eval mode": model.training}


def judge_errors_and_eval_mode(got, ref, context):
    assert_true(entry(got, "hooks left after the error") == ref["hooks left after the error"],
                "remove the hooks even when the forward pass raises (try/finally)")
    assert_true(entry(got, "model.training afterwards, in eval mode") is False,
                "activation_stds should leave a model in eval mode in eval mode")


CELLS = [
    Cell("test_activation_stds_values", points=2, checks=[
        Check(collect_values, judge_values),
        Check(collect_more_values, judge_more_values, hidden=True),
    ]),
    Cell("test_activation_stds_hooks_and_autograd", points=1, checks=[
        Check(collect_hooks_and_autograd, judge_hooks_and_autograd),
        Check(collect_errors_and_eval_mode, judge_errors_and_eval_mode, hidden=True),
    ]),
]

# A correct answer written plainly; each wrong one changes one thing in it.
PLAIN = '''\
def activation_stds(model, x):
    stds = []
    def hook(module, inputs, output):
        stds.append(output.std().item())
    handles = [child.register_forward_hook(hook) for child in model.children()]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return stds
'''


def _variant(old: str, new: str) -> str:
    assert PLAIN.count(old) == 1, old
    return PLAIN.replace(old, new)


WRONG = {
    "hooks never removed": _variant("        for h in handles:\n            h.remove()", "        pass"),
    "std of the input instead of the output": _variant("stds.append(output.std().item())",
                                                       "stds.append(inputs[0].std().item())"),
    "forward pass with autograd": _variant("        with torch.no_grad():\n            model(x)", "        model(x)"),
    "population std (correction=0)": _variant("output.std().item()", "output.std(correction=0).item()"),
    "hooks on Linear layers only": _variant("for child in model.children()]",
                                            "for child in model.children() if isinstance(child, nn.Linear)]"),
    "switches the model to eval mode": _variant("    try:\n", "    model.eval()\n    try:\n"),
    "outputs kept, std taken after the pass": '''\
def activation_stds(model, x):
    outputs = []
    handles = [child.register_forward_hook(lambda m, i, o: outputs.append(o)) for child in model.children()]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return [o.std().item() for o in outputs]
''',
    "imports the traintech reference": "from traintech.reference.diagnostics import activation_stds\n",
}

# Right answers written differently: the blind ones were written from the released notebook alone;
# every one must keep every point.
RIGHT = {
    "inference_mode, one hook per position": '''\
def activation_stds(model, x):
    children = list(model.children())
    recorded = {}
    def make_hook(position):
        def hook(module, inputs, output):
            recorded.setdefault(position, []).append(float(output.std()))
        return hook
    handles = []
    try:
        for position, child in enumerate(children):
            handles.append(child.register_forward_hook(make_hook(position)))
        with torch.inference_mode():
            model(x)
    finally:
        while handles:
            handles.pop().remove()
    return [value for position in range(len(children)) for value in recorded.get(position, [])]
''',
    "blind: closure hooks + handle list, dedupe by id": r'''def activation_stds(model, x):
    """The standard deviation of each child's output of an nn.Sequential, via forward hooks.

    Args:
        model: an nn.Sequential.
        x: a batch of inputs for model.

    Returns:
        A list of len(model) floats, in the order the children run.
    """
    stds = []

    def hook(module, inputs, output):
        # compute now: a later in-place op could overwrite `output`
        stds.append(output.std().item())

    handles = []
    seen = set()
    try:
        for child in model:
            if id(child) in seen:  # a shared child: one hook fires once per call
                continue
            seen.add(id(child))
            handles.append(child.register_forward_hook(hook))
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return stds
''',
    "blind: hook factory + dict of handles over children()": r'''def activation_stds(model, x):
    """The standard deviation of each child's output of an nn.Sequential, via forward hooks.

    Args:
        model: an nn.Sequential.
        x: a batch of inputs for model.

    Returns:
        A list of len(model) floats, in the order the children run.
    """
    records = []

    def make_hook(store):
        def _record(module, inputs, output):
            store.append(float(output.detach().std()))
        return _record

    handles = {}
    try:
        for child in model.children():  # children() yields each module once
            handles[id(child)] = child.register_forward_hook(make_hook(records))
        with torch.no_grad():
            _ = model(x)
    finally:
        while handles:
            _, h = handles.popitem()
            h.remove()
    return list(records)
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: dedup_hooks_list (issue 16's release)"] = r'''\
def activation_stds(model, x):
    """The standard deviation of each child's output of an nn.Sequential, via forward hooks.

    One forward pass of ``x`` under ``torch.no_grad()``. Each std is computed inside the hook,
    before a later in-place layer (e.g. ``nn.ReLU(inplace=True)``) can overwrite the output.
    Every hook is removed before returning, also when the forward pass raises, and the
    model's train/eval mode is left unchanged.

    Args:
        model: an nn.Sequential (any children, e.g. Conv2d, MaxPool2d, Flatten, Linear).
        x: a batch of inputs for model.

    Returns:
        A list of len(model) Python floats, in the order the children run.
    """
    stds = []

    def hook(module, inputs, output):
        # computed right away: a later in-place layer may overwrite ``output``
        stds.append(output.std().item())

    handles = []
    hooked = set()
    try:
        for child in model:
            # a module used twice in the Sequential gets ONE hook, which then fires twice
            if id(child) in hooked:
                continue
            hooked.add(id(child))
            handles.append(child.register_forward_hook(hook))
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return stds
'''
RIGHT["blind: indexed_closures_dict (issue 16's release)"] = r'''\
def activation_stds(model, x):
    """The standard deviation of each child's output of an nn.Sequential, via forward hooks.

    One forward pass of ``x`` under ``torch.no_grad()``. Each std is computed inside the hook,
    before a later in-place layer (e.g. ``nn.ReLU(inplace=True)``) can overwrite the output.
    Every hook is removed before returning, also when the forward pass raises, and the
    model's train/eval mode is left unchanged.

    Args:
        model: an nn.Sequential (any children, e.g. Conv2d, MaxPool2d, Flatten, Linear).
        x: a batch of inputs for model.

    Returns:
        A list of len(model) Python floats, in the order the children run.
    """
    records = []  # (call number, std), appended as the children run
    calls = {"n": 0}
    handles = {}  # id(module) -> handle: one hook per distinct module

    def make_hook():
        def record(module, inputs, output):
            calls["n"] += 1
            records.append((calls["n"], float(torch.std(output.detach()))))
        return record

    try:
        for index in range(len(model)):
            child = model[index]
            if id(child) not in handles:
                handles[id(child)] = child.register_forward_hook(make_hook())
        with torch.no_grad():
            model(x)
    finally:
        while handles:
            _, handle = handles.popitem()
            handle.remove()
    return [std for _, std in sorted(records)]
'''
