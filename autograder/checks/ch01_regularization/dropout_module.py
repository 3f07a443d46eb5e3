"""class Dropout(nn.Module), Dropout(p=0.5): the test cells, wrong answers and right answers."""
import torch
from torch import nn

from autograder.checks import Cell, Check
from traintech.checking import agree, entry, equal, expect_raised, expect_tensor, raises
from traintech.testing import assert_close, assert_proportion, assert_true

EXERCISE = "Dropout"
REFERENCE = "torch.nn.Dropout"
DROPOUT_MODULE_FORBIDDEN = ["torch.nn.Dropout", "torch.nn.functional.dropout", "torch.dropout"]


def collect_train_and_eval(Dropout):
    """Train mode drops and rescales; eval mode is the identity."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        layer = Dropout(p=0.5)
        x = torch.ones(10_000)
        layer.train()
        data = {"Dropout(0.5)(ones) in train mode": layer(x)}
        layer.eval()
        data["Dropout(0.5) in eval mode"] = layer(x)
    return data


def judge_train_and_eval(got, ref, context):
    out = expect_tensor(entry(got, "Dropout(0.5)(ones) in train mode"), "Dropout(0.5)(ones) in train mode")
    assert_proportion((out == 0).sum(), 10_000, 0.5, name="the fraction zeroed by Dropout(0.5) in train mode")
    assert_close(out[out != 0], torch.full_like(out[out != 0], 2.0), name="the kept values of Dropout(0.5)(ones)")
    agree(got, ref, "Dropout(0.5) in eval mode", hint="check self.training in forward().")


def collect_inside_a_model(Dropout):
    x = torch.randn(50, 40, generator=torch.Generator().manual_seed(2))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        model = nn.Sequential(nn.Identity(), Dropout(p=0.25))
        model.eval()
        data = {"Dropout inside nn.Sequential after model.eval()": model(x)}
        model.train()
        data["Dropout(0.25) after model.train()"] = model(torch.ones(20_000))
    data["Dropout(0.25).p"] = getattr(model[1], "p", None)
    return data


def judge_inside_a_model(got, ref, context):
    agree(got, ref, "Dropout inside nn.Sequential after model.eval()")
    out = expect_tensor(entry(got, "Dropout(0.25) after model.train()"), "Dropout(0.25) after model.train()")
    assert_proportion((out == 0).sum(), 20_000, 0.25, name="the fraction zeroed by Dropout(0.25) after model.train()")
    assert_true(equal(entry(got, "Dropout(0.25).p"), ref["Dropout(0.25).p"]), "Dropout(p) should keep p in self.p")


def collect_module(Dropout):
    """A real module without parameters, built on your dropout, rejecting a bad p."""
    return {"isinstance(Dropout(0.1), nn.Module)": isinstance(Dropout(0.1), nn.Module),
            "the number of parameters of Dropout(0.1)": len(list(Dropout(0.1).parameters())),
            "Dropout(1.5)": raises(Dropout, 1.5)}


def judge_module(got, ref, context):
    assert_true(entry(got, "isinstance(Dropout(0.1), nn.Module)") is True, "Dropout should subclass nn.Module")
    assert_true(equal(entry(got, "the number of parameters of Dropout(0.1)"), 0), "Dropout has no learnable parameters")
    expect_raised(entry(got, "Dropout(1.5)"), "ValueError", "Dropout(1.5)",
                  hint="check p in __init__, when the layer is created.")
    context.no_delegation("Dropout", DROPOUT_MODULE_FORBIDDEN)


def collect_module_more(Dropout):
    return {"Dropout(-0.5)": raises(Dropout, -0.5), "Dropout().p": Dropout().p}


def judge_module_more(got, ref, context):
    expect_raised(entry(got, "Dropout(-0.5)"), "ValueError", "Dropout(-0.5)")
    assert_true(equal(entry(got, "Dropout().p"), 0.5), "Dropout()'s default p should be 0.5")


CELLS = [
    Cell("test_Dropout_train_and_eval", points=2, checks=[
        Check(collect_train_and_eval, judge_train_and_eval),
        Check(collect_inside_a_model, judge_inside_a_model, hidden=True),
    ]),
    Cell("test_Dropout_module", points=1, checks=[
        Check(collect_module, judge_module),
        Check(collect_module_more, judge_module_more, hidden=True),
    ]),
]

WRONG = {
    "dropout also in eval mode": """\
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p <= 1: raise ValueError(p)
        self.p = p
    def forward(self, x):
        return dropout(x, self.p)
""",
    "wraps nn.Dropout": """\
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p
        self.inner = nn.Dropout(p)
    def forward(self, x):
        return self.inner(x)
""",
    "mode inverted": """\
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p <= 1: raise ValueError(p)
        self.p = p
    def forward(self, x):
        return dropout(x, self.p, training=not self.training)
""",
    "no check of p": """\
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        self.p = p
    def forward(self, x):
        return dropout(x, min(max(self.p, 0.0), 1.0), training=self.training)
""",
    "imports the traintech reference": "from traintech.reference.regularization import Dropout\n",
}

# Right answers written differently (the blind ones from the released notebook alone): every one
# must keep every point.
RIGHT = {
    "explicit eval branch": """\
class Dropout(nn.Module):
    def __init__(self, p=0.5):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = p
    def forward(self, x):
        if not self.training:
            return x
        return dropout(x, p=self.p)
""",
    "blind: delegate with self.training": '''\
class Dropout(nn.Module):
    """Inverted dropout as a layer: dropout(x, p) in train mode, identity in eval mode."""

    def __init__(self, p=0.5):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, x):
        return dropout(x, p=self.p, training=self.training)

    def extra_repr(self):
        return f"p={self.p}"
''',
    "blind: explicit eval branch, float p": '''\
class Dropout(nn.Module):
    """Inverted dropout as a layer: dropout(x, p) in train mode, identity in eval mode."""

    def __init__(self, p=0.5):
        super().__init__()
        p = float(p)
        if not (0.0 <= p <= 1.0):
            raise ValueError("p must lie in [0, 1]")
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return dropout(x, self.p, True)

    def extra_repr(self):
        return f"p={self.p}"
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: explicit_mode_branch (issue 16's release)"] = r'''\
class Dropout(nn.Module):
    """Inverted dropout as a layer: dropout(x, p) in train mode, identity in eval mode.

    The mode is ``self.training`` (switched by ``.train()`` and ``.eval()``). Keeps ``p`` in
    ``self.p``; has no learnable parameters.

    Args:
        p: probability of zeroing each element, in [0, 1]. Default: 0.5

    Raises:
        ValueError: if ``p`` is not in [0, 1] (when the layer is created).
    """

    def __init__(self, p=0.5):
        super().__init__()
        if p < 0 or p > 1 or math.isnan(p):
            raise ValueError(f"p must be in [0, 1], got {p}")
        self.p = float(p)

    def forward(self, x):
        if not self.training:
            return x  # eval mode: inverted dropout is the identity
        return dropout(x, self.p)

    def extra_repr(self):
        return f"p={self.p}"
'''
RIGHT["blind: functional_call (issue 16's release)"] = r'''\
class Dropout(nn.Module):
    """Inverted dropout as a layer: dropout(x, p) in train mode, identity in eval mode.

    The mode is ``self.training`` (switched by ``.train()`` and ``.eval()``). Keeps ``p`` in
    ``self.p``; has no learnable parameters.

    Args:
        p: probability of zeroing each element, in [0, 1]. Default: 0.5

    Raises:
        ValueError: if ``p`` is not in [0, 1] (when the layer is created).
    """

    def __init__(self, p=0.5):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, x):
        return dropout(x, p=self.p, training=self.training)

    def extra_repr(self):
        return f"p={self.p}"
'''
