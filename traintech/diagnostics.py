r"""Look inside a network at initialization: per-layer activation and gradient statistics.

A good initialization keeps the scale of the signal roughly constant through depth
(Glorot & Bengio, 2010; He et al., 2015). These helpers measure it:

- :func:`activation_stds` (the chapter's exercise) and :func:`activation_stats` record
  each layer's output with *forward hooks* during one forward pass;
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
    "activation_stds",
    "layer_outputs",
    "LayerStats",
    "activation_stats",
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


def activation_stds(model, x):
    r"""Return the standard deviation of every child's output of an ``nn.Sequential``.

    One forward pass under ``torch.no_grad()``; a forward hook on each child module
    records :math:`\mathrm{std}(y_l)` of its output :math:`y_l` (over all its elements,
    Bessel-corrected as ``Tensor.std``), in the order the children run. The hooks are
    removed before returning, even when the forward pass raises. The model's mode
    (train / eval) is left as it is.

    A module that appears twice in the ``nn.Sequential`` (e.g. one shared ``nn.ReLU``)
    gets one hook that fires twice, so the result always has one value per position.
    The std is computed inside the hook, before a later in-place layer (``inplace=True``)
    could overwrite the output.

    Args:
        model: an ``nn.Sequential``.
        x: a batch of inputs for ``model``.

    Returns:
        a list of ``len(model)`` floats.

    Shape:
        - x: :math:`(N, *)`, whatever ``model`` accepts

    Example:
        >>> model = nn.Sequential(nn.Linear(100, 100), nn.Tanh(), nn.Linear(100, 100), nn.Tanh())
        >>> stds = activation_stds(model, torch.randn(512, 100))
        >>> len(stds)
        4
    """
    _check_sequential(model)
    stds = []

    def record_std(module, inputs, output):
        if not isinstance(output, torch.Tensor):
            raise ValueError(
                f"{type(module).__name__} returned a {type(output).__name__}, not a tensor"
            )
        stds.append(output.std().item())

    hooks = []
    try:
        for child in model.children():  # each module once, even if it appears twice
            hooks.append(child.register_forward_hook(record_std))
        with torch.no_grad():
            model(x)
    finally:
        for hook in hooks:
            hook.remove()
    return stds


def layer_outputs(model, x):
    r"""Return a copy of every child's output of an ``nn.Sequential``, in order.

    Like :func:`activation_stds` (one forward pass under ``torch.no_grad()``, forward
    hooks removed afterwards), but keeps the outputs themselves, e.g. for histograms.
    Each output is cloned, so a later in-place layer cannot change it.

    Args:
        model: an ``nn.Sequential``.
        x: a batch of inputs for ``model``.

    Returns:
        a list of ``len(model)`` tensors.

    Example:
        >>> model = nn.Sequential(nn.Linear(10, 20), nn.ReLU())
        >>> [tuple(y.shape) for y in layer_outputs(model, torch.randn(32, 10))]
        [(32, 20), (32, 20)]
    """
    _check_sequential(model)
    outputs = []

    def record_output(module, inputs, output):
        if not isinstance(output, torch.Tensor):
            raise ValueError(
                f"{type(module).__name__} returned a {type(output).__name__}, not a tensor"
            )
        outputs.append(output.clone())

    hooks = []
    try:
        for child in model.children():
            hooks.append(child.register_forward_hook(record_output))
        with torch.no_grad():
            model(x)
    finally:
        for hook in hooks:
            hook.remove()
    return outputs


@dataclass(frozen=True)
class LayerStats:
    """Statistics of one layer's output over a batch (see :func:`activation_stats`)."""

    index: int  # position in the nn.Sequential
    layer: str  # class name, e.g. "Tanh"
    mean: float
    std: float
    dead_fraction: float | None = None  # nn.ReLU only
    saturated_fraction: float | None = None  # nn.Tanh only


def activation_stats(model, x, saturation=0.97):
    r"""Return the mean, std and dead / saturated fractions of every child's output.

    For each child of an ``nn.Sequential`` (one forward pass, see :func:`layer_outputs`):

    - ``mean``, ``std``: over all elements of the output :math:`y` of shape
      :math:`(N, *)`;
    - ``dead_fraction`` (``nn.ReLU`` only): the fraction of units, i.e. positions in
      :math:`*`, that are 0 for *every* example of the batch. Such a unit passes no
      gradient to its weights: on this batch it is dead;
    - ``saturated_fraction`` (``nn.Tanh`` only): the fraction of elements with
      :math:`|y| > \text{saturation}`, where :math:`\tanh' = 1 - y^2` is small
      (below 0.06 for the default 0.97), so little gradient flows back.

    Args:
        model: an ``nn.Sequential``.
        x: a batch of inputs for ``model``; use a large batch for the dead fraction.
        saturation: the :math:`|y|` above which a tanh output counts as saturated,
            in (0, 1). Default: 0.97

    Returns:
        a list of ``len(model)`` :class:`LayerStats`.

    Example:
        >>> model = nn.Sequential(nn.Linear(10, 20), nn.ReLU())
        >>> stats = activation_stats(model, torch.randn(256, 10))
        >>> stats[1].layer, 0 <= stats[1].dead_fraction <= 1
        ('ReLU', True)
    """
    if not 0 < saturation < 1:
        raise ValueError(f"saturation has to be between 0 and 1, but got {saturation}")
    stats = []
    for index, (module, y) in enumerate(zip(model, layer_outputs(model, x))):
        dead = saturated = None
        if isinstance(module, nn.ReLU):
            units = y.reshape(y.shape[0], -1)  # (N, number of units)
            dead = (units == 0).all(dim=0).float().mean().item()
        if isinstance(module, nn.Tanh):
            saturated = (y.abs() > saturation).float().mean().item()
        stats.append(
            LayerStats(index, type(module).__name__, y.mean().item(), y.std().item(), dead, saturated)
        )
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
        outputs: a dict from label (e.g. ``"layer 3 (Tanh)"``) to a tensor, e.g. built
            from :func:`layer_outputs`.
        ax: the matplotlib Axes to draw on. Default: None (a new figure)
        bins: the number of histogram bins. Default: 60
        title, xlabel, ylabel: the texts of the plot.

    Returns:
        the matplotlib ``Axes`` (``plt.show()`` is not called).

    Example:
        >>> model = nn.Sequential(nn.Linear(10, 10), nn.Tanh(), nn.Linear(10, 10), nn.Tanh(), nn.Linear(10, 10), nn.Tanh())
        >>> outs = layer_outputs(model, torch.randn(256, 10))
        >>> ax = plot_activation_histograms({f"layer {i}": outs[i] for i in (1, 3, 5)})
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
