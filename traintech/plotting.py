"""Plot helpers: training curves and histograms, always titled, labelled and with a legend.

Each helper draws on the given Matplotlib ``ax`` (or a new figure's) and returns it, so a
notebook can add to the plot or place several in one figure.

Example:
    >>> h0 = {"train_acc": [0.6, 0.9, 0.99], "val_acc": [0.55, 0.6, 0.58]}
    >>> h1 = {"train_acc": [0.5, 0.7, 0.8], "val_acc": [0.5, 0.6, 0.62]}
    >>> ax = plot_history({"no dropout": h0, "dropout 0.5": h1}, metric="acc")
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import torch

__all__ = ["plot_history", "plot_histograms", "mark_epoch"]

_METRIC_LABELS = {"loss": "cross-entropy loss", "acc": "accuracy"}


def _new_ax(ax, figsize=(6, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_history(
    histories: Mapping[str, Mapping[str, Sequence[float]]] | Mapping[str, Sequence[float]],
    metric: str = "loss",
    splits: Sequence[str] = ("train", "val"),
    ax=None,
    title: str | None = None,
):
    """Per-epoch curves of ``metric`` for one or several runs of :func:`traintech.training.fit`.

    Each run gets one colour; the training split is dashed and the validation split solid,
    so the generalization gap is the space between a run's two lines.

    Args:
        histories: one history, or ``{label: history}`` for several runs.
        metric: ``"loss"`` or ``"acc"``. Default: ``"loss"``
        splits: which of ``"train"`` and ``"val"`` to draw. Default: both
        ax: the Axes to draw on. Default: a new figure
        title: the plot title. Default: derived from ``metric``
    """
    if metric not in _METRIC_LABELS:
        raise ValueError(f"metric must be one of {sorted(_METRIC_LABELS)}, got {metric!r}")
    for split in splits:
        if split not in ("train", "val"):
            raise ValueError(f"splits may contain 'train' and 'val', got {split!r}")
    if "train_loss" in histories:  # a single history
        histories = {"": histories}
    ax = _new_ax(ax)
    styles = {"train": "--", "val": "-"}
    for i, (label, history) in enumerate(histories.items()):
        colour = f"C{i % 10}"
        for split in splits:
            values = history.get(f"{split}_{metric}", [])
            if not values:
                continue
            epochs = range(1, len(values) + 1)
            name = "training" if split == "train" else "validation"
            ax.plot(epochs, values, styles[split], color=colour, label=f"{label} ({name})" if label else name)
    ax.set_xlabel("epoch")
    ax.set_ylabel(_METRIC_LABELS[metric])
    ax.set_title(title or f"{_METRIC_LABELS[metric].capitalize()} per epoch")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def plot_histograms(
    values: Mapping[str, torch.Tensor],
    bins: int = 50,
    ax=None,
    title: str = "Distribution of values",
    xlabel: str = "value",
    density: bool = True,
):
    """Overlaid histograms of several tensors (all elements), one labelled series each."""
    if not values:
        raise ValueError("plot_histograms needs at least one tensor")
    ax = _new_ax(ax)
    for label, tensor in values.items():
        data = torch.as_tensor(tensor).detach().reshape(-1).float().numpy()
        ax.hist(data, bins=bins, alpha=0.5, density=density, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density" if density else "count")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


def mark_epoch(ax, epoch: int, label: str, color: str = "k", linestyle: str = ":"):
    """A labelled vertical line at a 0-based ``epoch`` index (drawn at epoch ``epoch + 1``,
    matching :func:`plot_history`'s 1-based x axis)."""
    ax.axvline(epoch + 1, color=color, linestyle=linestyle, label=label)
    ax.legend(fontsize="small")
    return ax
