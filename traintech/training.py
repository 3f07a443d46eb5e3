r"""One small, readable training loop for every experiment in the course.

:func:`fit` trains a classifier for a number of epochs and returns its *history*: a dict
of per-epoch lists (``train_loss``, ``train_acc``, ``val_loss``, ``val_acc``). Two hooks
cover the regularization chapter without a second loop:

- ``transform`` — applied to every training batch's inputs (data augmentation);
- ``penalty`` — a function of the model whose value is added to the training loss (an
  explicit L2 term, for instance).

Callbacks run after each epoch and may stop training. A callback is either

- an object with ``step(metric, model) -> bool`` (such as ``EarlyStopping``), called with
  the history's latest value of ``monitor`` (default ``"val_loss"``), or
- a function ``callback(epoch, history, model) -> bool``.

A ``True`` return stops training after that epoch.

Example:
    >>> from traintech.data import load_digits
    >>> data = load_digits(n_train=300)
    >>> train_loader, val_loader, _ = data.loaders(batch_size=32)
    >>> model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    >>> history = fit(model, train_loader, val_loader, torch.optim.SGD(model.parameters(), lr=0.1),
    ...               epochs=5, seed=0, progress=False)
    >>> len(history["val_acc"])
    5
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

__all__ = ["fit", "evaluate"]

HISTORY_KEYS = ("train_loss", "train_acc", "val_loss", "val_acc")


def evaluate(model: nn.Module, loader: Iterable, loss_fn: Callable = F.cross_entropy) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` over ``loader``, in eval mode and without autograd.

    The model's train/eval mode is restored afterwards.

    Returns:
        ``(loss, accuracy)``: the loss averaged over examples, accuracy in ``[0, 1]``.
    """
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    try:
        with torch.no_grad():
            for x, y in loader:
                logits = model(x)
                total_loss += loss_fn(logits, y, reduction="sum").item()
                correct += (logits.argmax(dim=1) == y).sum().item()
                count += len(y)
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate() got an empty loader")
    return total_loss / count, correct / count


def _run_callbacks(callbacks, epoch: int, history: dict, model: nn.Module, monitor: str) -> bool:
    stop = False
    for callback in callbacks:
        if hasattr(callback, "step"):
            if not history.get(monitor):
                raise ValueError(
                    f"callback {type(callback).__name__} monitors {monitor!r}, which this run does not "
                    f"record (pass a val_loader, or monitor one of {sorted(k for k in history if history[k])})"
                )
            stop |= bool(callback.step(history[monitor][-1], model))
        elif callable(callback):
            stop |= bool(callback(epoch, history, model))
        else:
            raise ValueError(f"a callback must have a .step() method or be callable, got {callback!r}")
    return stop


def fit(
    model: nn.Module,
    train_loader: Iterable,
    val_loader: Iterable | None,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    loss_fn: Callable = F.cross_entropy,
    callbacks: Iterable[Any] = (),
    monitor: str = "val_loss",
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    penalty: Callable[[nn.Module], torch.Tensor] | None = None,
    eval_train: bool = False,
    seed: int | None = None,
    progress: bool = True,
    desc: str = "training",
) -> dict[str, list[float]]:
    """Train ``model`` for up to ``epochs`` epochs and return its per-epoch history.

    Args:
        model: the network; left in train mode.
        train_loader: yields ``(x, y)`` batches; shuffled batches make the run stochastic.
        val_loader: evaluated after each epoch (``None``: no validation metrics).
        optimizer: updates ``model``'s parameters.
        epochs: the maximum number of epochs.
        loss_fn: ``loss_fn(logits, y, reduction=...)``. Default: cross-entropy
        callbacks: run after each epoch; see the module docstring. Default: none
        monitor: the history key passed to ``step()``-style callbacks. Default: ``"val_loss"``
        transform: applied to each training batch's inputs (augmentation). Default: none
        penalty: ``penalty(model)`` is added to each training batch's loss. Default: none
        eval_train: measure the training metrics in eval mode over the whole training set
            after each epoch (e.g. to compare train and validation accuracy with dropout
            switched off), instead of averaging the training batches on the way. Default: False
        seed: seeds PyTorch's global generator and the loader's shuffling generator, so the
            same call gives the same history. Default: None (not reseeded)
        progress: show a progress bar over epochs. Default: True
        desc: the progress bar's label. Default: ``"training"``

    Returns:
        ``{"train_loss": [...], "train_acc": [...], "val_loss": [...], "val_acc": [...]}``,
        one value per completed epoch (the validation lists are empty without ``val_loader``).
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    callbacks = list(callbacks)
    if seed is not None:
        torch.manual_seed(seed)
        generator = getattr(train_loader, "generator", None)
        if isinstance(generator, torch.Generator):
            generator.manual_seed(seed)

    history: dict[str, list[float]] = {key: [] for key in HISTORY_KEYS}
    bar = tqdm(range(epochs), desc=desc, disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        total_loss, correct, count = 0.0, 0, 0
        for x, y in train_loader:
            if transform is not None:
                x = transform(x)
            logits = model(x)
            loss = loss_fn(logits, y)
            if penalty is not None:
                loss = loss + penalty(model)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += len(y)
        if count == 0:
            raise ValueError("fit() got an empty train_loader")

        if eval_train:
            train_loss, train_acc = evaluate(model, train_loader, loss_fn)
        else:
            train_loss, train_acc = total_loss / count, correct / count
        history["train_loss"].append(train_loss)
        history["train_acc"].append(train_acc)
        if val_loader is not None:
            val_loss, val_acc = evaluate(model, val_loader, loss_fn)
            history["val_loss"].append(val_loss)
            history["val_acc"].append(val_acc)
            bar.set_postfix(train_loss=f"{train_loss:.3f}", val_loss=f"{val_loss:.3f}", val_acc=f"{val_acc:.3f}")
        else:
            bar.set_postfix(train_loss=f"{train_loss:.3f}")

        if _run_callbacks(callbacks, epoch, history, model, monitor):
            break
    bar.close()
    model.train()
    return history
