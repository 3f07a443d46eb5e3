r"""Transfer learning helpers: freezing, discriminative learning rates, gradual unfreezing.

Fine-tuning a pre-trained network is safer when the layers that hold general features
(the early ones) change little and late: Howard & Ruder (2018), "Universal Language
Model Fine-tuning for Text Classification" (ULMFiT), give earlier layers smaller
learning rates (*discriminative fine-tuning*) and unfreeze the layers one group at a
time, from the last one backwards (*gradual unfreezing*).

A *layer group* is an ``nn.Module`` (all its parameters), a single parameter tensor, or
an iterable of parameter tensors (a list, or ``module.parameters()``). Groups are given
earliest first: ``[model.body, model.neck, model.head]``.
"""

import numbers

import torch
from torch import nn

__all__ = [
    "freeze",
    "unfreeze",
    "count_trainable_parameters",
    "discriminative_param_groups",
    "progressive_unfreeze",
]


def freeze(module):
    r"""Stop training every parameter of ``module``: ``requires_grad = False``, in place.

    Frozen parameters get no ``.grad`` in ``backward()``, so an optimizer leaves them
    unchanged. Buffers (e.g. BatchNorm running statistics) are not parameters: they still
    update in train mode; call ``module.eval()`` to keep them fixed too.

    Args:
        module: the ``nn.Module`` to freeze, with all its submodules.

    Returns:
        ``module`` itself.

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> count_trainable_parameters(freeze(model[0]))
        0
    """
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    return module


def unfreeze(module):
    r"""Train every parameter of ``module`` again: ``requires_grad = True``, in place.

    Args:
        module: the ``nn.Module`` to unfreeze, with all its submodules.

    Returns:
        ``module`` itself.

    Example:
        >>> count_trainable_parameters(unfreeze(nn.Linear(4, 8)))
        40
    """
    for parameter in module.parameters():
        parameter.requires_grad_(True)
    return module


def count_trainable_parameters(model):
    r"""Return the number of trainable scalars of ``model``.

    .. math:: \sum_{p \,:\, p.\text{requires\_grad}} \text{numel}(p)

    A parameter shared by several layers is counted once (``model.parameters()``
    yields each tensor once); buffers are not counted.

    Args:
        model: an ``nn.Module``.

    Returns:
        an int.

    Example:
        >>> count_trainable_parameters(nn.Linear(10, 5))  # 10 * 5 weights + 5 biases
        55
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _group_parameters(layer_groups):
    """Return one list of parameters per layer group, checking that each group is usable.

    Every group must hold at least one parameter (an exhausted generator such as a
    ``model.parameters()`` that was already iterated holds none), and no parameter may
    be in two groups.
    """
    groups = list(layer_groups)
    if not groups:
        raise ValueError("layer_groups is empty: expected at least one layer group")
    parameters_per_group = []
    seen = set()
    for index, group in enumerate(groups):
        if isinstance(group, nn.Module):
            parameters = list(group.parameters())
        elif isinstance(group, torch.Tensor):
            parameters = [group]
        else:
            parameters = list(group)
        if not parameters:
            raise ValueError(
                f"layer group {index} ({group!r}) has no parameters; note that a "
                "generator such as module.parameters() can be iterated only once"
            )
        for parameter in parameters:
            if not isinstance(parameter, torch.Tensor):
                raise ValueError(
                    f"layer group {index} holds {parameter!r}, which is not a parameter tensor"
                )
            if id(parameter) in seen:
                raise ValueError(
                    f"a parameter of shape {tuple(parameter.shape)} appears in layer "
                    f"group {index} and in an earlier group; each parameter must be in one group"
                )
            seen.add(id(parameter))
        parameters_per_group.append(parameters)
    return parameters_per_group


def discriminative_param_groups(layer_groups, lr, decay=2.6):
    r"""Return optimizer parameter groups whose learning rate shrinks towards the input.

    Discriminative fine-tuning (Howard & Ruder, 2018): with :math:`L` groups, earliest
    first, group :math:`l \in \{0, \dots, L-1\}` gets

    .. math:: \eta_l = \frac{\eta}{\text{decay}^{\,L - 1 - l}}

    so the last group (the head) trains at ``lr`` and each earlier group at the rate of
    the next one divided by ``decay`` (ULMFiT uses 2.6). Every parameter of every group
    is included, frozen ones too: an optimizer skips a parameter whose ``.grad`` is
    None, so one optimizer built once serves all the stages of
    :func:`progressive_unfreeze`.

    Args:
        layer_groups: layer groups, earliest first: modules, parameter tensors or
            iterables of parameters.
        lr: the learning rate of the last group, ``>= 0``.
        decay: the factor between the rates of consecutive groups, ``> 0``. Default: 2.6

    Returns:
        a list of dicts ``{"params": [...], "lr": ...}``, one per group in the same
        order, to pass to any ``torch.optim`` optimizer.

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> groups = discriminative_param_groups([model[0], model[2]], lr=1e-2)
        >>> [g["lr"] for g in groups]  # [0.01 / 2.6, 0.01]
        [0.003846153846153846, 0.01]
        >>> optimizer = torch.optim.SGD(groups, lr=1e-2)
    """
    if not decay > 0:
        raise ValueError(f"decay has to be positive, but got {decay}")
    if not lr >= 0:
        raise ValueError(f"learning rate has to be non-negative, but got {lr}")
    parameters_per_group = _group_parameters(layer_groups)
    last = len(parameters_per_group) - 1
    return [
        {"params": parameters, "lr": lr / decay ** (last - index)}
        for index, parameters in enumerate(parameters_per_group)
    ]


def progressive_unfreeze(layer_groups, stage):
    r"""Freeze every layer group, then unfreeze the last ``stage`` of them.

    Gradual unfreezing (Howard & Ruder, 2018): train the head alone first (``stage=1``),
    then the head and the group before it (``stage=2``), and so on until every group
    trains (``stage=len(layer_groups)``). ``stage=0`` freezes everything. Parameters
    outside ``layer_groups`` are left as they are, so list every part of the model.

    Args:
        layer_groups: layer groups, earliest first: modules, parameter tensors or
            iterables of parameters.
        stage: how many groups, counted from the last, are trainable;
            an int in ``[0, len(layer_groups)]``.

    Returns:
        the list of the groups that are now trainable (the last ``stage`` elements of
        ``layer_groups``, earliest first, as given; ``[]`` for ``stage=0``).

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> groups = [model[0], model[2], model[4]]
        >>> trainable = progressive_unfreeze(groups, stage=1)  # only the head trains
        >>> trainable == [model[4]]
        True
    """
    groups = list(layer_groups)  # a generator of groups can be read once only
    parameters_per_group = _group_parameters(groups)
    if isinstance(stage, bool) or not isinstance(stage, numbers.Integral) or not 0 <= stage <= len(groups):
        raise ValueError(
            f"stage has to be an int between 0 and the number of layer groups "
            f"({len(groups)}), but got {stage!r}"
        )
    first_unfrozen = len(groups) - stage
    for index, parameters in enumerate(parameters_per_group):
        for parameter in parameters:
            parameter.requires_grad_(index >= first_unfrozen)
    return groups[first_unfrozen:]
