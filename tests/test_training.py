"""traintech.training: fit learns, is deterministic under a seed, and honours its hooks."""
import pytest
import torch
from torch import nn

from traintech.data import load_digits
from traintech.training import evaluate, fit


def _setup(seed=0, n_train=300):
    data = load_digits(n_train=n_train)
    train_loader, val_loader, _ = data.loaders(batch_size=32, seed=seed)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    return model, train_loader, val_loader


def test_fit_reduces_loss_on_digits():
    model, train_loader, val_loader = _setup()
    before, _ = evaluate(model, val_loader)
    history = fit(model, train_loader, val_loader, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=8,
                  seed=0, progress=False)
    assert set(history) == {"train_loss", "train_acc", "val_loss", "val_acc"}
    assert all(len(v) == 8 for v in history.values())
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["val_loss"][-1] < 0.5 * before
    assert history["val_acc"][-1] > 0.85


def test_fit_is_deterministic_under_a_seed():
    runs = []
    for _ in range(2):
        model, train_loader, val_loader = _setup()
        runs.append(fit(model, train_loader, val_loader, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
                        epochs=3, seed=7, progress=False))
    assert runs[0] == runs[1]
    # the same loader reused with the same seed also repeats the run
    model, train_loader, val_loader = _setup()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    h1 = fit(model, train_loader, val_loader, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=2, seed=1,
             progress=False)
    model.load_state_dict(state)
    h2 = fit(model, train_loader, val_loader, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=2, seed=1,
             progress=False)
    assert h1 == h2


class StopAfter:
    """A step()-style callback, like EarlyStopping."""

    def __init__(self, calls):
        self.calls, self.seen = calls, []

    def step(self, metric, model=None):
        self.seen.append(metric)
        return len(self.seen) >= self.calls


def test_callbacks_stop_training():
    model, train_loader, val_loader = _setup()
    stopper = StopAfter(2)
    history = fit(model, train_loader, val_loader, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=10,
                  callbacks=[stopper], progress=False)
    assert len(history["val_loss"]) == 2 and stopper.seen == history["val_loss"]

    accs = StopAfter(3)
    history = fit(model, train_loader, val_loader, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=10,
                  callbacks=[accs], monitor="val_acc", progress=False)
    assert accs.seen == history["val_acc"] and len(history["val_acc"]) == 3

    calls = []
    history = fit(model, train_loader, None, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=10,
                  callbacks=[lambda epoch, h, m: calls.append(epoch) or epoch == 1], progress=False)
    assert calls == [0, 1] and len(history["train_loss"]) == 2 and history["val_loss"] == []


def test_callback_errors():
    model, train_loader, _ = _setup()
    with pytest.raises(ValueError, match="val_loss"):
        fit(model, train_loader, None, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=2,
            callbacks=[StopAfter(5)], progress=False)
    with pytest.raises(ValueError, match="callback"):
        fit(model, train_loader, None, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=1,
            callbacks=[42], progress=False)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, train_loader, None, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=-1)


def test_transform_and_penalty_hooks():
    model, train_loader, val_loader = _setup()
    seen = []

    def transform(x):
        seen.append(x.shape)
        return torch.zeros_like(x)  # destroys the input: training accuracy falls to chance

    history = fit(model, train_loader, None, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=2,
                  transform=transform, progress=False)
    assert len(seen) == 2 * len(train_loader) and history["train_acc"][-1] < 0.3

    model, train_loader, _ = _setup()
    norm = lambda m: sum(p.pow(2).sum() for p in m.parameters())  # noqa: E731
    start = norm(model).item()
    fit(model, train_loader, None, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=3,
        penalty=lambda m: 0.5 * norm(m), progress=False)
    assert norm(model).item() < 0.5 * start  # a strong L2 penalty shrinks the weights


def test_evaluate_restores_mode_and_eval_train():
    model, train_loader, val_loader = _setup()
    model.train()
    loss, acc = evaluate(model, val_loader)
    assert model.training and loss > 0 and 0 <= acc <= 1
    model.eval()
    evaluate(model, val_loader)
    assert not model.training
    history = fit(model, train_loader, val_loader, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=1,
                  eval_train=True, progress=False)
    assert history["train_loss"][0] == pytest.approx(evaluate(model, train_loader)[0])
    with pytest.raises(ValueError):
        evaluate(model, [])
