"""class EarlyStopping(patience=5, min_delta=0.0, mode="min"): the test cells, wrong answers and right answers."""
import torch
from torch import nn

from autograder.checks import Cell, Check
from traintech.checking import entry, equal, expect_raised, raises, same
from traintech.testing import assert_true

EXERCISE = "EarlyStopping"
REFERENCE = "traintech.reference.regularization.EarlyStopping"  # PyTorch has no early stopping


def stopper_run(stopper, metrics):
    """What ``stopper`` says and keeps after ``step(m)`` for each metric ``m``."""
    decisions = [stopper.step(m) for m in metrics]
    return {"the values step() returned": decisions, "best": getattr(stopper, "best", "(missing)"),
            "best_epoch (0-based)": getattr(stopper, "best_epoch", "(missing)"),
            "num_bad_epochs": getattr(stopper, "num_bad_epochs", "(missing)")}


def expect_run(got, ref, scenario, hint=None):
    """The learner's run of ``scenario`` says and keeps what the reference's does."""
    mine = entry(got, scenario)
    for what, want in ref[scenario].items():
        value = entry(mine, what)
        assert_true(equal(value, want), f"{scenario}: {what} should be {want!r}, got {value!r:.200}", hint)


def collect_patience(EarlyStopping):
    """Counting bad epochs, the best value and its epoch (0-based)."""
    return {"EarlyStopping(patience=3), losses [1.0, 0.9, 0.95, 0.97, 0.96]":
            stopper_run(EarlyStopping(patience=3), [1.0, 0.9, 0.95, 0.97, 0.96])}


def judge_patience(got, ref, context):
    expect_run(got, ref, "EarlyStopping(patience=3), losses [1.0, 0.9, 0.95, 0.97, 0.96]")


def collect_patience_more(EarlyStopping):
    stopper = EarlyStopping(patience=3)
    stopper_run(stopper, [1.0, 0.9, 0.95, 0.97, 0.96])
    patience_2 = EarlyStopping(patience=2)
    stopper_run(patience_2, [2.0, 1.5, 1.6, 1.5, 1.7])
    tensor_metric = EarlyStopping(patience=1)
    tensor_metric.step(torch.tensor(0.3))
    return {
        "EarlyStopping(patience=3), losses [1.0, 0.9, 0.95, 0.97, 0.96], then 0.5": stopper_run(stopper, [0.5]),
        "EarlyStopping(patience=2), losses [2.0, 1.5, 1.6, 1.5, 1.7], then 0.2": stopper_run(patience_2, [0.2]),
        "EarlyStopping(patience=4), losses [5.0, 4.0, 4.5, 4.2, 4.1, 3.9, 4.0, 4.0, 4.0, 4.0]":
            stopper_run(EarlyStopping(patience=4), [5.0, 4.0, 4.5, 4.2, 4.1, 3.9, 4.0, 4.0, 4.0, 4.0]),
        "EarlyStopping(patience=2, mode='max'), accuracies [0.5, 0.6, 0.55, 0.6]":
            stopper_run(EarlyStopping(patience=2, mode="max"), [0.5, 0.6, 0.55, 0.6]),
        "EarlyStopping(patience=3, mode='max'), accuracies [0.1, 0.3, 0.2, 0.3, 0.25, 0.4, 0.35]":
            stopper_run(EarlyStopping(patience=3, mode="max"), [0.1, 0.3, 0.2, 0.3, 0.25, 0.4, 0.35]),
        "EarlyStopping(patience=2, min_delta=0.1), losses [1.0, 0.95, 0.92, 0.7]":
            stopper_run(EarlyStopping(patience=2, min_delta=0.1), [1.0, 0.95, 0.92, 0.7]),
        "EarlyStopping(patience=2, min_delta=0.05), losses [1.0, 0.97, 0.9, 0.88, 0.86, 0.7]":
            stopper_run(EarlyStopping(patience=2, min_delta=0.05), [1.0, 0.97, 0.9, 0.88, 0.86, 0.7]),
        "EarlyStopping(patience=1, min_delta=0.1, mode='max'), accuracies [0.5, 0.55, 0.65, 0.62]":
            stopper_run(EarlyStopping(patience=1, min_delta=0.1, mode="max"), [0.5, 0.55, 0.65, 0.62]),
        "EarlyStopping(patience=1).step(torch.tensor(0.3)): best": getattr(tensor_metric, "best", "(missing)"),
    }


def judge_patience_more(got, ref, context):
    for scenario in ("EarlyStopping(patience=3), losses [1.0, 0.9, 0.95, 0.97, 0.96], then 0.5",
                     "EarlyStopping(patience=2), losses [2.0, 1.5, 1.6, 1.5, 1.7], then 0.2"):
        expect_run(got, ref, scenario, hint="an improvement resets num_bad_epochs.")
    expect_run(got, ref, "EarlyStopping(patience=4), losses [5.0, 4.0, 4.5, 4.2, 4.1, 3.9, 4.0, 4.0, 4.0, 4.0]")
    for scenario in ("EarlyStopping(patience=2, mode='max'), accuracies [0.5, 0.6, 0.55, 0.6]",
                     "EarlyStopping(patience=3, mode='max'), accuracies [0.1, 0.3, 0.2, 0.3, 0.25, 0.4, 0.35]"):
        expect_run(got, ref, scenario, hint="mode='max': an accuracy that does not rise above its best is no improvement.")
    for scenario in ("EarlyStopping(patience=2, min_delta=0.1), losses [1.0, 0.95, 0.92, 0.7]",
                     "EarlyStopping(patience=2, min_delta=0.05), losses [1.0, 0.97, 0.9, 0.88, 0.86, 0.7]",
                     "EarlyStopping(patience=1, min_delta=0.1, mode='max'), accuracies [0.5, 0.55, 0.65, 0.62]"):
        expect_run(got, ref, scenario, hint="an improvement must beat the best by more than min_delta.")
    best = entry(got, "EarlyStopping(patience=1).step(torch.tensor(0.3)): best")
    assert_true(isinstance(best, (int, float, torch.Tensor)) and not isinstance(best, bool)
                and equal(abs(best - ref["EarlyStopping(patience=1).step(torch.tensor(0.3)): best"]) < 1e-6, True),
                f"step() should accept a 1-element tensor as the metric: after step(torch.tensor(0.3)) best should be "
                f"0.3, got {best!r:.200}")


def collect_best_state(EarlyStopping):
    """best_state is a copy taken at the best epoch, and restore() brings it back."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = nn.Linear(3, 2)
    stopper = EarlyStopping(patience=2)
    stopper.step(0.5, model)
    data = {"the weight at the best epoch": model.weight.detach().clone()}
    with torch.no_grad():
        model.weight.add_(1.0)  # training goes on...
    stopper.step(0.7, model)  # ...without improvement
    best_state = getattr(stopper, "best_state", None)
    data["best_state['weight'] after the model changed"] = None if best_state is None else best_state["weight"].clone()
    stopper.restore(model)
    data["the weight after restore()"] = model.weight.detach().clone()
    return data


def judge_best_state(got, ref, context):
    best = ref["the weight at the best epoch"]
    kept = entry(got, "best_state['weight'] after the model changed")
    assert_true(kept is not None, "step(metric, model) should keep model.state_dict() at the best epoch")
    same(kept, best, "best_state['weight'] after the model changed",
         hint="state_dict() shares memory with the live parameters: store copy.deepcopy(model.state_dict()).")
    same(entry(got, "the weight after restore()"), best, "the weight after restore()")


def collect_best_state_more(EarlyStopping):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = nn.Linear(3, 2)
    stopper = EarlyStopping(patience=2)
    stopper.step(0.5, model)
    data = {"the weight at the best epoch": model.weight.detach().clone()}
    with torch.no_grad():
        model.weight.add_(1.0)
    stopper.step(0.7, model)
    data["restore(model) is model"] = stopper.restore(model) is model
    no_model = EarlyStopping(patience=2)
    no_model.step(1.0)
    data["best_state is None after step() without a model"] = no_model.best_state is None
    with torch.no_grad():
        model.weight.mul_(3.0)
    data["best_state['weight'] after restore() and more training"] = stopper.best_state["weight"].clone()
    return data


def judge_best_state_more(got, ref, context):
    assert_true(entry(got, "restore(model) is model") is True, "restore(model) should return the model")
    assert_true(entry(got, "best_state is None after step() without a model") is True,
                "best_state should be None when step() is called without a model")
    same(entry(got, "best_state['weight'] after restore() and more training"), ref["the weight at the best epoch"],
         "best_state after restore() and more training",
         hint="restore() should load a copy, so that later training does not change best_state.")


def collect_bad_arguments(EarlyStopping):
    """Bad settings are a ValueError, and the class is your own."""
    return {"EarlyStopping(patience=0)": raises(EarlyStopping, patience=0),
            "EarlyStopping(min_delta=-0.1)": raises(EarlyStopping, min_delta=-0.1),
            "EarlyStopping(mode='median')": raises(EarlyStopping, mode="median")}


def judge_bad_arguments(got, ref, context):
    context.no_delegation("EarlyStopping", [])
    for call in ref:
        expect_raised(entry(got, call), "ValueError", call)


def collect_bad_arguments_more(EarlyStopping):
    return {"EarlyStopping(patience=-3)": raises(EarlyStopping, patience=-3),
            "EarlyStopping(patience=2.5)": raises(EarlyStopping, patience=2.5),
            "EarlyStopping(mode='MIN')": raises(EarlyStopping, mode="MIN")}


def judge_bad_arguments_more(got, ref, context):
    for call in ref:
        expect_raised(entry(got, call), "ValueError", call)


CELLS = [
    Cell("test_early_stopping_patience", points=2, checks=[
        Check(collect_patience, judge_patience),
        Check(collect_patience_more, judge_patience_more, hidden=True),
    ]),
    Cell("test_early_stopping_best_state", points=1, checks=[
        Check(collect_best_state, judge_best_state),
        Check(collect_best_state_more, judge_best_state_more, hidden=True),
    ]),
    Cell("test_early_stopping_bad_arguments", points=1, checks=[
        Check(collect_bad_arguments, judge_bad_arguments),
        Check(collect_bad_arguments_more, judge_bad_arguments_more, hidden=True),
    ]),
]

# One template, one mistake each.
TEMPLATE = '''\
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0, mode="min"):
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1: raise ValueError(patience)
        if not min_delta >= 0: raise ValueError(min_delta)
        if mode not in ("min", "max"): raise ValueError(mode)
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch, self.num_bad_epochs, self.best_state, self.calls = None, 0, None, 0
    def step(self, metric, model=None):
        metric = float(metric)
        improved = (metric < self.best - self.min_delta) if self.mode == "min" else (metric > self.best + self.min_delta)
        if improved:
            self.best, self.best_epoch, self.num_bad_epochs = metric, self.calls, 0
            self.best_state = copy.deepcopy(model.state_dict()) if model is not None else None
        else:
            self.num_bad_epochs += 1
        self.calls += 1
        return self.num_bad_epochs >= self.patience
    def restore(self, model):
        model.load_state_dict(self.best_state)
        return model
'''
MISTAKES = {
    "keeps the live state_dict": ("copy.deepcopy(model.state_dict())", "model.state_dict()"),
    "shallow copy of the state_dict": ("copy.deepcopy(model.state_dict())", "dict(model.state_dict())"),
    "patience off by one": ("return self.num_bad_epochs >= self.patience", "return self.num_bad_epochs > self.patience"),
    "ignores mode": ('if self.mode == "min" else (metric > self.best + self.min_delta)', ""),
    "ignores min_delta": ("metric < self.best - self.min_delta", "metric < self.best"),
    "1-based best_epoch": ("self.best_epoch, self.num_bad_epochs = metric, self.calls, 0",
                           "self.best_epoch, self.num_bad_epochs = metric, self.calls + 1, 0"),
}
assert all(old in TEMPLATE for old, _ in MISTAKES.values())
WRONG = {label: TEMPLATE.replace(old, new) for label, (old, new) in MISTAKES.items()}
WRONG["imports the traintech reference"] = "from traintech.reference.regularization import EarlyStopping\n"

# Right answers written differently (the blind ones from the released notebook alone): every one
# must keep every point.
RIGHT = {
    "history list, sign trick": '''\
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0, mode="min"):
        if type(patience) is not int or patience <= 0:
            raise ValueError(f"patience: {patience}")
        if min_delta < 0:
            raise ValueError(f"min_delta: {min_delta}")
        if mode not in {"min", "max"}:
            raise ValueError(f"mode: {mode}")
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.history, self.best, self.best_epoch, self.best_state = [], None, None, None
        self.num_bad_epochs = 0
    def _better(self, value):
        if self.best is None:
            return True
        sign = 1 if self.mode == "min" else -1
        return sign * (self.best - value) > self.min_delta
    def step(self, metric, model=None):
        value = float(metric)
        self.history.append(value)
        if self._better(value):
            self.best, self.best_epoch, self.num_bad_epochs = value, len(self.history) - 1, 0
            self.best_state = None if model is None else {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience
    def restore(self, model):
        model.load_state_dict(self.best_state)
        return model
''',
    "blind: None-initialised best + deepcopy": '''\
class EarlyStopping:
    """Stop training when a validation metric has stopped improving; keep the best weights."""

    def __init__(self, patience=5, min_delta=0.0, mode="min"):
        if not isinstance(patience, int) or isinstance(patience, bool) or patience < 1:
            raise ValueError(f"patience must be a positive int, got {patience!r}")
        if min_delta < 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.patience = patience
        self.min_delta = min_delta
        self.mode = mode
        self.best = None
        self.best_epoch = None
        self.num_bad_epochs = 0
        self.best_state = None
        self.epoch = -1

    def _improved(self, metric):
        if self.best is None:
            return True
        if self.mode == "min":
            return metric < self.best - self.min_delta
        return metric > self.best + self.min_delta

    def step(self, metric, model=None):
        """Record one epoch's metric; return True when training should stop."""
        if isinstance(metric, torch.Tensor):
            metric = metric.item()
        self.epoch += 1
        if self._improved(metric):
            self.best = metric
            self.best_epoch = self.epoch
            self.num_bad_epochs = 0
            self.best_state = copy.deepcopy(model.state_dict()) if model is not None else None
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience

    def restore(self, model):
        """Load the best weights into model and return it."""
        if self.best_state is not None:
            model.load_state_dict(self.best_state)
        return model
''',
    "blind: signed infinity + clone dict": '''\
class EarlyStopping:
    """Stop training when a validation metric has stopped improving; keep the best weights."""

    def __init__(self, patience=5, min_delta=0.0, mode="min"):
        if type(patience) is not int or patience <= 0:
            raise ValueError("patience must be a positive integer")
        if not (min_delta >= 0):
            raise ValueError("min_delta must be non-negative")
        if mode == "min":
            self._sign = 1.0
        elif mode == "max":
            self._sign = -1.0
        else:
            raise ValueError("mode must be 'min' or 'max'")
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = -1
        self.num_bad_epochs = 0
        self.best_state = None
        self._calls = 0

    def step(self, metric, model=None):
        """Record one epoch's metric; return True when training should stop."""
        metric = float(metric)
        epoch = self._calls
        self._calls += 1
        # work with "lower is better" scores: sign * metric
        if self._sign * metric < self._sign * self.best - self.min_delta:
            self.best = metric
            self.best_epoch = epoch
            self.num_bad_epochs = 0
            if model is None:
                self.best_state = None
            else:
                self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience

    def restore(self, model):
        """Load the best weights into model and return it."""
        if self.best_state is None:
            return model
        model.load_state_dict(self.best_state)
        return model
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: none_sentinel (issue 16's release)"] = r'''\
class EarlyStopping:
    """Stop training when a validation metric has stopped improving; keep the best weights.

    A call of ``step`` is an improvement when ``metric < best - min_delta`` (mode "min") or
    ``metric > best + min_delta`` (mode "max"); the first call always is.

    Args:
        patience: consecutive calls without improvement before stopping (a positive int). Default: 5
        min_delta: an improvement must be larger than this (>= 0). Default: 0.0
        mode: "min" for a loss, "max" for an accuracy (lowercase, exactly). Default: "min"

    Attributes:
        best: the best metric so far.
        best_epoch: the 0-based index of the ``step`` call that gave ``best``.
        num_bad_epochs: consecutive calls without improvement (0 after an improvement).
        best_state: an independent copy (``copy.deepcopy``) of ``model.state_dict()`` at the
            best call, or None when no model was passed.

    Raises:
        ValueError: if ``patience`` is not a positive int (e.g. 0, -3 or 2.5), ``min_delta`` is
            negative, or ``mode`` is not "min" or "max" (case-sensitive: "MIN" is rejected).
    """

    def __init__(self, patience=5, min_delta=0.0, mode="min"):
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"patience must be a positive int, got {patience!r}")
        if not min_delta >= 0:  # also rejects NaN
            raise ValueError(f"min_delta must be non-negative, got {min_delta!r}")
        if not isinstance(mode, str) or mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.patience = patience
        self.min_delta = min_delta
        self.mode = mode
        self.best = None
        self.best_epoch = None
        self.num_bad_epochs = 0
        self.best_state = None
        self.epoch = -1  # index of the last step() call

    def _improves(self, metric):
        if self.best is None:
            return True
        if self.mode == "min":
            return metric < self.best - self.min_delta
        return metric > self.best + self.min_delta

    def step(self, metric, model=None):
        """Record one epoch's metric; return True when training should stop.

        Args:
            metric: the validation metric, a float or a 1-element tensor.
            model: the model whose ``state_dict()`` is copied into ``best_state`` when this
                call improves. Default: None

        Returns:
            ``num_bad_epochs >= patience``: True from the ``patience``-th consecutive call
            without improvement on.
        """
        metric = float(metric)
        self.epoch += 1
        if self._improves(metric):
            self.best = metric
            self.best_epoch = self.epoch
            self.num_bad_epochs = 0
            self.best_state = None if model is None else copy.deepcopy(model.state_dict())
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience

    def restore(self, model):
        """Load ``best_state`` into model and return model (later training of model leaves
        ``best_state`` unchanged)."""
        if self.best_state is None:
            raise RuntimeError("no best state to restore: pass the model to step(metric, model)")
        model.load_state_dict(self.best_state)
        return model
'''
RIGHT["blind: sign_flip_inf (issue 16's release)"] = r'''\
class EarlyStopping:
    """Stop training when a validation metric has stopped improving; keep the best weights.

    A call of ``step`` is an improvement when ``metric < best - min_delta`` (mode "min") or
    ``metric > best + min_delta`` (mode "max"); the first call always is.

    Args:
        patience: consecutive calls without improvement before stopping (a positive int). Default: 5
        min_delta: an improvement must be larger than this (>= 0). Default: 0.0
        mode: "min" for a loss, "max" for an accuracy (lowercase, exactly). Default: "min"

    Attributes:
        best: the best metric so far.
        best_epoch: the 0-based index of the ``step`` call that gave ``best``.
        num_bad_epochs: consecutive calls without improvement (0 after an improvement).
        best_state: an independent copy (``copy.deepcopy``) of ``model.state_dict()`` at the
            best call, or None when no model was passed.

    Raises:
        ValueError: if ``patience`` is not a positive int (e.g. 0, -3 or 2.5), ``min_delta`` is
            negative, or ``mode`` is not "min" or "max" (case-sensitive: "MIN" is rejected).
    """

    _SIGNS = {"min": 1.0, "max": -1.0}  # minimize sign * metric

    def __init__(self, patience=5, min_delta=0.0, mode="min"):
        if type(patience) is not int or patience <= 0:
            raise ValueError(f"patience should be a positive integer, got {patience!r}")
        if min_delta < 0 or math.isnan(min_delta):
            raise ValueError(f"min_delta should be >= 0, got {min_delta!r}")
        if not isinstance(mode, str) or mode not in self._SIGNS:
            raise ValueError(f"mode should be 'min' or 'max', got {mode!r}")
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self._sign = self._SIGNS[mode]
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = -1
        self.num_bad_epochs = 0
        self.best_state = None
        self._calls = 0

    def step(self, metric, model=None):
        """Record one epoch's metric; return True when training should stop.

        Args:
            metric: the validation metric, a float or a 1-element tensor.
            model: the model whose ``state_dict()`` is copied into ``best_state`` when this
                call improves. Default: None

        Returns:
            ``num_bad_epochs >= patience``: True from the ``patience``-th consecutive call
            without improvement on.
        """
        value = metric.item() if isinstance(metric, torch.Tensor) else float(metric)
        first = self._calls == 0
        # "min": value < best - delta;  "max": value > best + delta  <=>  -value < -best - delta
        if first or self._sign * value < self._sign * self.best - self.min_delta:
            self.best = value
            self.best_epoch = self._calls
            self.num_bad_epochs = 0
            if model is not None:
                self.best_state = copy.deepcopy(model.state_dict())
            else:
                self.best_state = None
        else:
            self.num_bad_epochs += 1
        self._calls += 1
        return self.num_bad_epochs >= self.patience

    def restore(self, model):
        """Load ``best_state`` into model and return model (later training of model leaves
        ``best_state`` unchanged)."""
        if self.best_state is None:
            raise RuntimeError("EarlyStopping.restore: no best_state (step() was never given a model "
                               "at the best epoch)")
        # load a copy, so that nothing of the model can ever alias best_state
        model.load_state_dict(copy.deepcopy(self.best_state))
        return model
'''
