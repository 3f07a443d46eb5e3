r"""The graded diagnostic of chapter 3 (``03_initialization``): reference implementation.

:func:`activation_stds` records each layer's output std with *forward hooks* during one
forward pass. The helpers the chapter uses next to it are in :mod:`traintech.diagnostics`.
"""

import torch

from traintech.diagnostics import _check_sequential

__all__ = ["activation_stds"]


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

