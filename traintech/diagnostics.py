r"""Look inside a network at initialization: per-layer activation and gradient statistics.

A good initialization keeps the scale of the signal roughly constant through depth
(Glorot & Bengio, 2010; He et al., 2015). These helpers measure it:

- :func:`unit_stats` counts the dead ReLU and saturated tanh units of each nonlinearity
  (each layer's std is chapter 3's exercise ``activation_stds``: not a helper);
- :func:`gradient_norms` measures each layer's parameter gradient after one backward
  pass;
- :func:`plot_layer_stats` and :func:`plot_activation_histograms` draw them.

matplotlib is imported only by the plotting functions.
"""

import math
import numbers
from dataclasses import dataclass

import torch
from torch import nn

__all__ = [
    "UnitStats",
    "unit_stats",
    "gradient_norms",
    "plot_layer_stats",
    "plot_activation_histograms",
]


def _check_sequential(model):
    if not isinstance(model, nn.Sequential):
        raise ValueError(
            f"expected an nn.Sequential, whose children run one after the other, "
            f"but got {type(model).__name__}"
        )


@dataclass(frozen=True)
class UnitStats:
    """How many units of one nonlinearity pass (almost) no gradient (see :func:`unit_stats`)."""

    index: int  # position in the nn.Sequential
    layer: str  # class name: "ReLU" or "Tanh"
    dead_fraction: float | None = None  # nn.ReLU only
    saturated_fraction: float | None = None  # nn.Tanh only


def unit_stats(model, x, saturation=0.97):
    r"""Return the dead (ReLU) and saturated (tanh) fractions of every nonlinearity's output.

    One forward pass under ``torch.no_grad()``; for each ``nn.ReLU`` and ``nn.Tanh`` child of
    an ``nn.Sequential``, with output :math:`y` of shape :math:`(N, *)`:

    - ``dead_fraction`` (``nn.ReLU``): the fraction of units, i.e. positions in :math:`*`,
      that are 0 for *every* example of the batch. Such a unit passes no gradient to its
      weights: on this batch it is dead;
    - ``saturated_fraction`` (``nn.Tanh``): the fraction of elements with
      :math:`|y| > \text{saturation}`, where :math:`\tanh' = 1 - y^2` is small
      (below 0.06 for the default 0.97), so little gradient flows back.

    Other children get no entry: the result says nothing about the scale of the signal
    (chapter 3's ``activation_stds`` measures that).

    Args:
        model: an ``nn.Sequential``.
        x: a batch of inputs for ``model``; use a large batch for the dead fraction.
        saturation: the :math:`|y|` above which a tanh output counts as saturated,
            in (0, 1). Default: 0.97

    Returns:
        a list of :class:`UnitStats`, one per ``nn.ReLU`` or ``nn.Tanh`` child, in order.

    Example:
        >>> model = nn.Sequential(nn.Linear(10, 20), nn.ReLU())
        >>> stats = unit_stats(model, torch.randn(256, 10))
        >>> stats[0].index, stats[0].layer, 0 <= stats[0].dead_fraction <= 1
        (1, 'ReLU', True)
    """
    _check_sequential(model)
    if not 0 < saturation < 1:
        raise ValueError(f"saturation has to be between 0 and 1, but got {saturation}")
    stats = []
    with torch.no_grad():
        for index, module in enumerate(model):
            x = module(x)
            if isinstance(module, nn.ReLU):
                units = x.reshape(x.shape[0], -1)  # (N, number of units)
                stats.append(UnitStats(index, "ReLU", dead_fraction=(units == 0).all(dim=0).float().mean().item()))
            elif isinstance(module, nn.Tanh):
                stats.append(UnitStats(index, "Tanh", saturated_fraction=(x.abs() > saturation).float().mean().item()))
    return stats


def gradient_norms(model, loss, retain_graph=False, per_parameter=False):
    r"""Return the gradient norm of each layer's parameters for one backward pass.

    For every module that owns trainable parameters (an ``nn.Linear``, a convolution,
    a normalization layer, ...):

    .. math:: \Big(\sum_{p \in \text{layer}} \|\nabla_p \, \text{loss}\|_2^2\Big)^{1/2}

    The gradients are computed with ``torch.autograd.grad`` instead of
    ``loss.backward()``: ``.grad`` of the model is neither read nor written, so
    gradients accumulated earlier cannot leak into the result and an optimizer sees
    nothing. A parameter the loss does not depend on has gradient 0.

    Args:
        model: an ``nn.Module``.
        loss: a scalar tensor computed from ``model``'s output, with a graph.
        retain_graph: keep the graph, e.g. to call ``loss.backward()`` afterwards.
            Default: False
        per_parameter: one norm per parameter tensor instead of per layer, keyed by
            ``"<module name>.<parameter name>"`` (e.g. ``"0.weight"``, ``"0.bias"``).
            A layer's weights and bias can have gradients of very different sizes (the
            bias gradient is the backward signal alone, the weight gradient the backward
            signal times the layer's input), and the per-layer norm shows only the larger
            one. Default: False

    Returns:
        a dict from module name (as in ``model.named_modules()``, e.g. ``"0"``, ``"2"``;
        the class name for the model itself) to a float, in the modules' order; with
        ``per_parameter=True``, from parameter name to a float.

    Example:
        >>> model = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 1))
        >>> loss = model(torch.randn(64, 10)).pow(2).mean()
        >>> list(gradient_norms(model, loss))
        ['0', '2']
        >>> loss = model(torch.randn(64, 10)).pow(2).mean()
        >>> list(gradient_norms(model, loss, per_parameter=True))
        ['0.weight', '0.bias', '2.weight', '2.bias']
    """
    if not (isinstance(loss, torch.Tensor) and loss.dim() == 0 and loss.requires_grad):
        got = loss
        if isinstance(loss, torch.Tensor):
            got = f"a tensor of shape {tuple(loss.shape)} with requires_grad={loss.requires_grad}"
        raise ValueError(f"loss has to be a scalar tensor that requires grad, but got {got}")
    layers = {}  # name -> its own trainable parameters
    for name, module in model.named_modules():
        name = name or type(model).__name__
        own = [(f"{name}.{p_name}", p) for p_name, p in module.named_parameters(recurse=False) if p.requires_grad]
        if per_parameter:
            layers.update((p_name, [p]) for p_name, p in own)
        elif own:
            layers[name] = [p for _, p in own]
    if not layers:
        return {}
    parameters = [p for own in layers.values() for p in own]
    grads = torch.autograd.grad(loss, parameters, retain_graph=retain_graph, allow_unused=True)
    grad_of = {id(p): g for p, g in zip(parameters, grads)}  # g is None: unused by the loss
    norms = {}
    for name, own in layers.items():
        squared = sum(grad_of[id(p)].pow(2).sum().item() for p in own if grad_of[id(p)] is not None)
        norms[name] = math.sqrt(squared)
    return norms


def plot_layer_stats(
    stats,
    ax=None,
    title="Standard deviation of each layer's output",
    xlabel="layer (index in the nn.Sequential)",
    ylabel="standard deviation (log scale)",
):
    r"""Plot one per-layer statistic for several networks, as labelled lines, log scale.

    Typically the output of :func:`activation_stds` for one model per initialization:
    a flat line means the signal keeps its scale through depth; a line going down
    (up) means it vanishes (explodes). Zero values are not drawn (log scale).

    Args:
        stats: a dict from label (e.g. ``"xavier"``) to a sequence of per-layer values;
            value ``i`` is drawn at x = ``i``.
        ax: the matplotlib Axes to draw on. Default: None (a new figure)
        title, xlabel, ylabel: the texts of the plot; defaults describe
            :func:`activation_stds`.

    Returns:
        the matplotlib ``Axes`` (``plt.show()`` is not called).

    Example:
        >>> ax = plot_layer_stats({"N(0, 1)": [3.1, 9.8, 31.0], "xavier": [1.0, 0.9, 0.9]})
    """
    import matplotlib.pyplot as plt

    if not stats:
        raise ValueError(f"stats is empty: expected a dict from label to values, but got {stats!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for label, values in stats.items():
        values = [float(v) for v in values]
        ax.plot(range(len(values)), values, marker="o", label=str(label))
    ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    return ax


def plot_activation_histograms(
    outputs,
    ax=None,
    bins=60,
    title="Distribution of each layer's output",
    xlabel="activation value",
    ylabel="density",
):
    r"""Overlay the histograms of several layers' outputs, one labelled line each.

    Shows what a std hides: a tanh layer whose values pile up at -1 and +1 is
    saturated; a ReLU layer whose values pile up at 0 is (partly) dead.

    Args:
        outputs: a dict from label (e.g. ``"layer 3 (Tanh)"``) to a tensor, e.g. the
            output of the first layers of an ``nn.Sequential``: ``model[:4](x)``.
        ax: the matplotlib Axes to draw on. Default: None (a new figure)
        bins: the number of histogram bins. Default: 60
        title, xlabel, ylabel: the texts of the plot.

    Returns:
        the matplotlib ``Axes`` (``plt.show()`` is not called).

    Example:
        >>> model = nn.Sequential(nn.Linear(10, 10), nn.Tanh(), nn.Linear(10, 10), nn.Tanh(), nn.Linear(10, 10), nn.Tanh())
        >>> x = torch.randn(256, 10)
        >>> ax = plot_activation_histograms({f"layer {i}": model[:i + 1](x).detach() for i in (1, 3, 5)})
    """
    import matplotlib.pyplot as plt

    if not outputs:
        raise ValueError(f"outputs is empty: expected a dict from label to tensor, but got {outputs!r}")
    if not (isinstance(bins, numbers.Integral) and bins > 0):
        raise ValueError(f"bins has to be a positive int, but got {bins!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for label, y in outputs.items():
        values = torch.as_tensor(y).detach().flatten().float().cpu().numpy()
        ax.hist(values, bins=bins, density=True, histtype="step", label=str(label))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    return ax
