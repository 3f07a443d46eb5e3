"""traintech.plotting: every plot is titled, labelled and has a legend."""
import matplotlib.pyplot as plt
import pytest
import torch

from traintech.plotting import mark_epoch, plot_histograms, plot_history

H = {"train_loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.8], "train_acc": [0.5, 0.8, 0.9],
     "val_acc": [0.4, 0.7, 0.72]}


def _labels(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_history_single_and_many():
    ax = plot_history(H, metric="acc")
    assert ax.get_title() and ax.get_xlabel() == "epoch" and ax.get_ylabel() == "accuracy"
    assert _labels(ax) == ["training", "validation"]
    assert list(ax.lines[1].get_ydata()) == H["val_acc"]
    ax = plot_history({"a": H, "b": H}, metric="loss", splits=("val",), title="t")
    assert _labels(ax) == ["a (validation)", "b (validation)"] and ax.get_title() == "t"
    mark_epoch(ax, 1, "best epoch")
    assert "best epoch" in _labels(ax) and ax.lines[-1].get_xdata()[0] == 2
    with pytest.raises(ValueError):
        plot_history(H, metric="f1")
    with pytest.raises(ValueError):
        plot_history(H, splits=("test",))
    plt.close("all")


def test_plot_histograms():
    ax = plot_histograms({"before": torch.randn(100), "after": torch.randn(100) * 2}, title="h", xlabel="x")
    assert ax.get_title() == "h" and ax.get_xlabel() == "x" and _labels(ax) == ["before", "after"]
    with pytest.raises(ValueError):
        plot_histograms({})
    plt.close("all")
