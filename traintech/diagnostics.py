r"""Look inside a network: per-layer statistics at initialization and during training.

A good initialization keeps the scale of the signal roughly constant through depth
(Glorot & Bengio, 2010; He et al., 2015). These helpers measure it:

- :func:`unit_stats` counts the dead ReLU and saturated tanh units of each nonlinearity
  (each layer's std is chapter 3's exercise ``activation_stds``: not a helper);
- :func:`gradient_norms` measures each layer's parameter gradient after one backward
  pass;
- :func:`plot_layer_stats` and :func:`plot_activation_histograms` draw them.

And the checks practitioners run on a training run (Karpathy, "A Recipe for Training Neural
Networks", 2019; CS231n, "Babysitting the learning process"):

- :func:`expected_initial_loss`: the loss a classifier should start at, :math:`\ln C`;
- :class:`UpdateRatios` records each weight tensor's update-to-weight ratio at every optimizer
  step, and :func:`plot_update_ratios` draws them;
- :func:`plot_parameter_histograms` draws the values (or gradients) of each layer's weights,
  one panel per layer.

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
    "expected_initial_loss",
    "UpdateRatios",
    "plot_update_ratios",
    "plot_parameter_histograms",
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
    ax.grid(True, which="major", alpha=0.3)
    _finish(ax, title, xlabel, ylabel)
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
    _check_bins(bins)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for label, y in outputs.items():
        _histogram(ax, y, bins, label)
    _finish(ax, title, xlabel, ylabel)
    return ax


def _check_bins(bins):
    if not (isinstance(bins, numbers.Integral) and bins > 0):
        raise ValueError(f"bins has to be a positive int, but got {bins!r}")


def _histogram(ax, values, bins, label):
    """One histogram, a labelled step line: the density of every element of ``values``."""
    values = torch.as_tensor(values).detach().flatten().float().cpu().numpy()
    ax.hist(values, bins=bins, density=True, histtype="step", label=str(label))


def _finish(ax, title, xlabel, ylabel, legend=True, fontsize=None):
    """The texts of a plot, and its legend (font size ``fontsize``, None: matplotlib's default)."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if legend:
        ax.legend(fontsize=fontsize)


# --- checks of a training run -----------------------------------------------------------


def expected_initial_loss(num_classes):
    r"""Return the cross-entropy of a classifier that predicts uniform probabilities: :math:`\ln C`.

    .. math:: -\log \frac{1}{C} = \ln C

    on every example, whatever its label. A freshly initialized classifier whose logits are
    small and alike predicts nearly uniform probabilities, so its first loss should be close
    to this: 2.30 for 10 classes. A first loss far *above* it means large logits that are
    confidently wrong (typically a last layer initialized too large: scale its weights down,
    e.g. by 0.01, or set them to zero); a loss that stays there means the network learns
    nothing from its input.

    Args:
        num_classes: the number of classes :math:`C`, a positive int.

    Returns:
        :math:`\ln C` as a float.

    Raises:
        ValueError: ``num_classes`` is not a positive int.

    Example:
        >>> round(expected_initial_loss(10), 4)
        2.3026
    """
    if not (isinstance(num_classes, numbers.Integral) and not isinstance(num_classes, bool) and num_classes > 0):
        raise ValueError(f"num_classes has to be a positive int, but got {num_classes!r}")
    return math.log(num_classes)


def _weights(model):
    """``(name, parameter)`` of every weight tensor (2 dimensions or more) of ``model``."""
    return [(name, p) for name, p in model.named_parameters() if p.dim() >= 2]


class UpdateRatios:
    r"""Record each weight tensor's update-to-weight ratio at every optimizer step.

    .. math:: r_t = \frac{\|w_{t+1} - w_t\|_2}{\|w_t\|_2}

    the size of one step's change relative to the size of the weights. A rule of thumb
    (CS231n, "Babysitting the learning process") puts a healthy ratio around :math:`10^{-3}`:
    far below, the layer hardly moves (its gradient vanishes, or the learning rate is too
    low); far above (:math:`10^{-1}`), the steps are too large.

    Works with any training loop that calls ``optimizer.step()``, e.g.
    :func:`traintech.training.fit`: an optimizer step pre-hook copies the weights, a post-hook
    measures the change. Only tensors with 2 dimensions or more are recorded (the weights of
    linear and convolution layers, but also e.g. embedding tables and a weight norm's
    ``weight_g``): biases and normalization parameters, which may start at 0, are not.
    Use it as a context manager, or call :meth:`remove` when done.

    Args:
        model: the ``nn.Module`` whose weights ``optimizer`` updates; names as in
            ``model.named_parameters()``.
        optimizer: a ``torch.optim.Optimizer``.

    Attributes:
        ratios: a dict from weight name (e.g. ``"0.weight"``) to a list with one float per
            optimizer step, in the order of ``model.named_parameters()``; ``nan`` at a step
            whose :math:`w_t` is all zeros (the ratio is undefined).

    Raises:
        ValueError: ``optimizer`` updates none of ``model``'s weight tensors.

    Example:
        >>> model = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 2))
        >>> optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        >>> with UpdateRatios(model, optimizer) as tracker:
        ...     for _ in range(3):
        ...         optimizer.zero_grad()
        ...         model(torch.randn(8, 10)).pow(2).mean().backward()
        ...         optimizer.step()
        >>> {name: len(r) for name, r in tracker.ratios.items()}
        {'0.weight': 3, '2.weight': 3}
    """

    def __init__(self, model, optimizer):
        updated = {id(p) for group in optimizer.param_groups for p in group["params"]}
        self._weights = [(name, p) for name, p in _weights(model) if id(p) in updated]
        if not self._weights:
            raise ValueError(
                f"the optimizer updates none of the weight tensors (2 dimensions or more) of "
                f"{type(model).__name__}: got weights {[name for name, _ in _weights(model)]}"
            )
        self.ratios = {name: [] for name, _ in self._weights}
        self._before = None
        self._handles = [optimizer.register_step_pre_hook(self._snapshot),
                         optimizer.register_step_post_hook(self._measure)]

    def _snapshot(self, optimizer, args, kwargs):
        self._before = [p.detach().clone() for _, p in self._weights]

    def _measure(self, optimizer, args, kwargs):
        with torch.no_grad():
            for (name, p), before in zip(self._weights, self._before):
                norm = before.norm().item()
                self.ratios[name].append((p - before).norm().item() / norm if norm > 0 else math.nan)
        self._before = None

    def remove(self):
        """Stop recording (remove the optimizer hooks); :attr:`ratios` is kept."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()

    def __repr__(self):
        steps = max((len(r) for r in self.ratios.values()), default=0)
        return f"{type(self).__name__}({len(self.ratios)} weight tensors, {steps} steps)"


def plot_update_ratios(
    ratios,
    ax=None,
    reference=1e-3,
    title="Update-to-weight ratio of each layer",
    xlabel="optimizer step",
    ylabel=r"$\|\Delta w\| \,/\, \|w\|$ (log scale)",
):
    r"""Plot each weight tensor's update-to-weight ratio over the optimizer steps, log scale.

    One line per tensor (e.g. :attr:`UpdateRatios.ratios`) and a dashed line at the rule of
    thumb :math:`10^{-3}`. Zero and ``nan`` values are not drawn (log scale).

    Args:
        ratios: a dict from label (e.g. ``"0.weight"``) to a sequence of per-step ratios;
            value ``t`` is drawn at x = ``t + 1``.
        ax: the matplotlib Axes to draw on. Default: None (a new figure)
        reference: the height of the dashed reference line, or None for none. Default: 1e-3
        title, xlabel, ylabel: the texts of the plot.

    Returns:
        the matplotlib ``Axes`` (``plt.show()`` is not called).

    Example:
        >>> ax = plot_update_ratios({"0.weight": [2e-3, 1e-3, 8e-4], "2.weight": [1e-5, 1e-5, 2e-5]})
    """
    import matplotlib.pyplot as plt

    if not ratios:
        raise ValueError(f"ratios is empty: expected a dict from label to values, but got {ratios!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for label, values in ratios.items():
        values = [float(v) if v > 0 else math.nan for v in values]  # log scale: draw only positive values
        ax.plot(range(1, len(values) + 1), values, label=str(label))
    if reference is not None:
        ax.axhline(reference, color="k", linestyle="--", label=f"rule of thumb, {reference:g}")
    ax.set_yscale("log")
    ax.grid(True, which="major", alpha=0.3)
    _finish(ax, title, xlabel, ylabel, legend=False)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))  # outside: lines fill the plot
    return ax


def plot_parameter_histograms(model, what="weight", bins=40, ncols=5, title=None):
    r"""Draw the histogram of each weight tensor of ``model``, or of its gradient: one panel each.

    Shows what one number per layer hides, and the scale of every layer at a glance: each
    panel's legend gives the tensor's std, its x axis the range of its values. Weights of
    the same scale in every layer are expected after an initialization like Xavier's or He's;
    gradients many orders of magnitude smaller in some layers than in others mean those
    layers (hardly) learn. Tensors with 2 dimensions or more (the weights of linear and
    convolution layers, but also e.g. embedding tables) get a panel, in the order of
    ``model.named_parameters()``; biases do not (their gradient norms: :func:`gradient_norms` with ``per_parameter=True``).

    Args:
        model: an ``nn.Module``.
        what: ``"weight"`` (the values) or ``"grad"`` (their ``.grad``, after a
            ``loss.backward()``; a tensor without a gradient gets an empty panel that
            says so). Default: ``"weight"``
        bins: the number of histogram bins. Default: 40
        ncols: panels per row. Default: 5
        title: the figure's title. Default: one derived from ``what``

    Returns:
        a list of matplotlib ``Axes``, one per weight tensor (``axes[0].figure`` is the
        figure; ``plt.show()`` is not called).

    Raises:
        ValueError: ``what`` is neither ``"weight"`` nor ``"grad"``; ``model`` has no
            weight tensor; ``what="grad"`` and no weight tensor has a gradient.

    Example:
        >>> model = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 2))
        >>> model(torch.randn(64, 10)).pow(2).mean().backward()
        >>> [ax.get_title() for ax in plot_parameter_histograms(model, what="grad")]
        ['0.weight (20, 10)', '2.weight (2, 20)']
    """
    import matplotlib.pyplot as plt

    if what not in ("weight", "grad"):
        raise ValueError(f'what has to be "weight" or "grad", but got {what!r}')
    _check_bins(bins)
    if not (isinstance(ncols, numbers.Integral) and ncols > 0):
        raise ValueError(f"ncols has to be a positive int, but got {ncols!r}")
    weights = _weights(model)
    if not weights:
        raise ValueError(f"{type(model).__name__} has no weight tensor (a parameter with 2 dimensions or more)")
    if what == "grad" and all(p.grad is None for _, p in weights):
        raise ValueError("no weight tensor has a gradient: call loss.backward() first")
    ncols = min(ncols, len(weights))
    nrows = math.ceil(len(weights) / ncols)
    fig, grid = plt.subplots(nrows, ncols, figsize=(3 * ncols, 2.6 * nrows), squeeze=False)
    axes = list(grid.flat)
    for ax in axes[len(weights):]:
        ax.set_visible(False)
    noun = "weight" if what == "weight" else "gradient"
    for ax, (name, p) in zip(axes, weights):
        values = p if what == "weight" else p.grad
        panel = f"{name} {tuple(p.shape)}"
        if values is None:
            ax.text(0.5, 0.5, "no gradient", ha="center", va="center", transform=ax.transAxes)
            _finish(ax, panel, f"{noun} value", "density", legend=False)
            continue
        values = values.detach()
        _histogram(ax, values, bins, f"std {values.float().std().item():.1e}")
        _finish(ax, panel, f"{noun} value", "density", fontsize="small")
    if title is None:
        title = "Weights of each layer" if what == "weight" else "Gradients of each layer's weights"
    fig.suptitle(title)
    fig.tight_layout()
    return axes[:len(weights)]
