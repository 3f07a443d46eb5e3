r"""Normalization layers, implemented from primitives (Chapter 2).

Every function here re-implements a PyTorch one from ``mean``, ``sqrt`` and
friends, never by calling it: each is also the model solution a learner
compares their answer with. Statistics are reduced over:

- ``batch_norm`` (``F.batch_norm``): the batch and spatial dims, per channel;
- ``layer_norm`` (``F.layer_norm``): the trailing ``normalized_shape`` dims, per sample;
- ``instance_norm`` (``F.instance_norm``): the spatial dims, per sample and channel;
- ``group_norm`` (``F.group_norm``): each group of channels and the spatial dims, per sample.

``BatchNorm`` is ``nn.BatchNorm1d`` / ``nn.BatchNorm2d`` built on ``batch_norm``;
``WeightNormLinear`` is ``nn.utils.parametrizations.weight_norm(nn.Linear(...))``.
``batch_norm_backward`` derives the gradients of training-mode batch norm by hand.
"""
import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "batch_norm",
    "layer_norm",
    "instance_norm",
    "group_norm",
    "batch_norm_backward",
    "BatchNorm",
    "WeightNormLinear",
]


def _per_channel(t: Tensor, C: int, ndim: int) -> Tensor:
    """View a per-channel tensor ``(C,)`` as ``(1, C, 1, ...)`` to broadcast over ``ndim`` dims."""
    return t.view(1, C, *([1] * (ndim - 2)))


def _check_numel(name: str, t: Tensor | None, C: int) -> None:
    if t is not None and t.numel() != C:
        raise ValueError(f"{name} should contain {C} elements (one per channel), "
                         f"but got shape {tuple(t.shape)}")


def batch_norm(x: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    r"""Batch normalization over the channel dimension (Ioffe & Szegedy, 2015).

    "Batch Normalization: Accelerating Deep Network Training by Reducing Internal
    Covariate Shift", https://arxiv.org/abs/1502.03167

    .. math::
        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    The mean and variance are computed per channel, reducing over the batch and
    every spatial dimension: dim ``0`` for ``(N, C)``, dims ``(0, 2)`` for
    ``(N, C, L)``, dims ``(0, 2, 3)`` for ``(N, C, H, W)``.

    * ``training=True``: normalize with the statistics of this batch (the *biased*
      variance, dividing by :math:`n = N`, :math:`N \cdot L` or :math:`N \cdot H \cdot W`),
      and, if given, update the running statistics **in place**:

      .. math::
          \hat\mu \leftarrow (1 - m)\,\hat\mu + m\,\mathrm{E}[x], \qquad
          \hat\sigma^2 \leftarrow (1 - m)\,\hat\sigma^2 + m\,\tfrac{n}{n - 1}\mathrm{Var}[x]

      (the *unbiased* variance goes into ``running_var``, as in PyTorch).
    * ``training=False``: normalize with ``running_mean`` and ``running_var``;
      nothing is updated.

    Args:
        x: the input.
        running_mean: per-channel running mean, updated in place in training. May be
            ``None`` in training (together with ``running_var``): then nothing is tracked.
        running_var: per-channel running variance, updated in place in training.
        weight: per-channel scale :math:`\gamma`. Default: ``None`` (:math:`\gamma = 1`)
        bias: per-channel shift :math:`\beta`. Default: ``None`` (:math:`\beta = 0`)
        training: use batch statistics (and update the running ones). Default: ``False``
        momentum: weight :math:`m` of the new batch in the running statistics. Default: 0.1
        eps: added to the variance for numerical stability. Default: 1e-5

    Shape:
        - x: :math:`(N, C)`, :math:`(N, C, L)` or :math:`(N, C, H, W)`
        - running_mean, running_var, weight, bias: :math:`(C)`
        - output: same shape as ``x``

    Raises:
        ValueError: ``x`` is not 2-, 3- or 4-D; a per-channel tensor does not have
            ``C`` elements; only one of the running statistics is given; they are
            missing in evaluation mode; in training, only one value per channel.

    Example::

        >>> x = torch.randn(8, 3, 5, 5)
        >>> mean, var = torch.zeros(3), torch.ones(3)
        >>> y = batch_norm(x, mean, var, training=True)  # also updates mean, var
        >>> y = batch_norm(x, mean, var)                  # eval: uses mean, var
    """
    if x.dim() not in (2, 3, 4):
        raise ValueError(f"expected 2-D (N, C), 3-D (N, C, L) or 4-D (N, C, H, W) input, "
                         f"but got {x.dim()}-D input of shape {tuple(x.shape)}")
    C = x.shape[1]
    for name, t in [("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)]:
        _check_numel(name, t, C)
    if (running_mean is None) != (running_var is None):
        given = "running_mean" if running_var is None else "running_var"
        raise ValueError("running_mean and running_var must either both be None or neither "
                         f"be None, but got only {given}")

    if training:
        dims = [0] + list(range(2, x.dim()))     # every dim except the channel dim 1
        n = x.shape[0] * math.prod(x.shape[2:])  # values per channel: N, N * L or N * H * W
        if n == 1:
            raise ValueError("Expected more than 1 value per channel when training, "
                             f"got input size {tuple(x.shape)}")
        mean = x.mean(dim=dims, keepdim=True)                 # (1, C, 1, ...)
        var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)  # (1, C, 1, ...), biased
        if running_mean is not None:
            with torch.no_grad():  # running statistics are not part of the graph
                unbiased_var = var * n / (n - 1)  # Bessel's correction
                running_mean.copy_((1 - momentum) * running_mean + momentum * mean.view(C))
                running_var.copy_((1 - momentum) * running_var + momentum * unbiased_var.view(C))
    else:
        if running_mean is None:
            raise ValueError("running_mean and running_var are required when training=False, "
                             "but got None")
        mean = _per_channel(running_mean, C, x.dim())  # (1, C, 1, ...)
        var = _per_channel(running_var, C, x.dim())    # (1, C, 1, ...)

    y = (x - mean) / torch.sqrt(var + eps)
    if weight is not None:
        y = y * _per_channel(weight, C, x.dim())
    if bias is not None:
        y = y + _per_channel(bias, C, x.dim())
    return y


def layer_norm(x: Tensor, normalized_shape: int | list[int] | tuple[int, ...] | torch.Size,
               weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    r"""Layer normalization over the trailing dimensions (Ba et al., 2016).

    "Layer Normalization", https://arxiv.org/abs/1607.06450

    .. math::
        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    The mean and (biased) variance are computed for every sample over the last
    ``len(normalized_shape)`` dimensions, e.g. over ``(C, H, W)`` for
    ``normalized_shape=(C, H, W)``, or over the features ``D`` of every token of a
    ``(N, T, D)`` sequence for ``normalized_shape=D``. No batch statistics, so
    training and evaluation behave the same. :math:`\gamma` and :math:`\beta` are
    element-wise, of shape ``normalized_shape``.

    Args:
        x: the input.
        normalized_shape: the trailing shape to normalize over; an int means ``(int,)``.
        weight: element-wise scale :math:`\gamma`. Default: ``None`` (:math:`\gamma = 1`)
        bias: element-wise shift :math:`\beta`. Default: ``None`` (:math:`\beta = 0`)
        eps: added to the variance for numerical stability. Default: 1e-5

    Shape:
        - x: :math:`(*, \text{normalized\_shape}[0], \ldots, \text{normalized\_shape}[-1])`
        - weight, bias: ``normalized_shape``
        - output: same shape as ``x``

    Raises:
        ValueError: ``normalized_shape`` is empty or is not the trailing shape of ``x``;
            ``weight`` or ``bias`` is not of shape ``normalized_shape``.

    Example::

        >>> x = torch.randn(2, 10, 16)       # (N, T, D)
        >>> y = layer_norm(x, 16)             # each token normalized over its 16 features
        >>> y = layer_norm(x, (10, 16))       # each sample normalized over (T, D)
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k == 0:
        raise ValueError(f"normalized_shape must contain at least one dimension, "
                         f"but got {normalized_shape}")
    if x.dim() < k or tuple(x.shape[-k:]) != normalized_shape:
        raise ValueError(f"Given normalized_shape={normalized_shape}, expected input with "
                         f"shape (*, {', '.join(map(str, normalized_shape))}), "
                         f"but got input of shape {tuple(x.shape)}")
    for name, t in [("weight", weight), ("bias", bias)]:
        if t is not None and tuple(t.shape) != normalized_shape:
            raise ValueError(f"{name} must have shape normalized_shape={normalized_shape}, "
                             f"but got shape {tuple(t.shape)}")

    dims = list(range(x.dim() - k, x.dim()))              # the last k dims
    mean = x.mean(dim=dims, keepdim=True)                 # (*, 1, ..., 1)
    centered = x - mean
    var = centered.pow(2).mean(dim=dims, keepdim=True)    # (*, 1, ..., 1), biased
    y = centered * torch.rsqrt(var + eps)                 # (x - mean) / sqrt(var + eps)
    if weight is not None:
        y = y * weight  # broadcasts over the leading dims
    if bias is not None:
        y = y + bias
    return y


def instance_norm(x: Tensor, weight: Tensor | None = None, bias: Tensor | None = None,
                  eps: float = 1e-5) -> Tensor:
    r"""Instance normalization of every channel of every sample (Ulyanov et al., 2016).

    "Instance Normalization: The Missing Ingredient for Fast Stylization",
    https://arxiv.org/abs/1607.08022

    .. math::
        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    The mean and (biased) variance are computed for every ``(n, c)`` pair over the
    spatial dimensions only: ``L`` for ``(N, C, L)``, ``(H, W)`` for ``(N, C, H, W)``.
    This is ``torch.nn.functional.instance_norm`` with input statistics
    (``use_input_stats=True``, no running statistics); :math:`\gamma` and :math:`\beta`
    are per channel.

    Args:
        x: the input.
        weight: per-channel scale :math:`\gamma`. Default: ``None`` (:math:`\gamma = 1`)
        bias: per-channel shift :math:`\beta`. Default: ``None`` (:math:`\beta = 0`)
        eps: added to the variance for numerical stability. Default: 1e-5

    Shape:
        - x: :math:`(N, C, L)` or :math:`(N, C, H, W)`
        - weight, bias: :math:`(C)`
        - output: same shape as ``x``

    Raises:
        ValueError: ``x`` is not 3- or 4-D; only one spatial element per channel;
            ``weight`` or ``bias`` does not have ``C`` elements.

    Example::

        >>> x = torch.randn(4, 3, 32, 32)
        >>> y = instance_norm(x)  # each of the 4 * 3 feature maps: mean 0, variance ~1
    """
    if x.dim() not in (3, 4):
        raise ValueError(f"expected 3-D (N, C, L) or 4-D (N, C, H, W) input, "
                         f"but got {x.dim()}-D input of shape {tuple(x.shape)}")
    N, C = x.shape[:2]
    if math.prod(x.shape[2:]) == 1:
        raise ValueError("Expected more than 1 spatial element when training, "
                         f"got input size {tuple(x.shape)}")
    for name, t in [("weight", weight), ("bias", bias)]:
        _check_numel(name, t, C)

    dims = list(range(2, x.dim()))                        # the spatial dims
    mean = x.mean(dim=dims, keepdim=True)                 # (N, C, 1, ...)
    centered = x - mean
    var = centered.pow(2).mean(dim=dims, keepdim=True)    # (N, C, 1, ...), biased
    y = centered * torch.rsqrt(var + eps)                 # (x - mean) / sqrt(var + eps)
    if weight is not None:
        y = y * _per_channel(weight, C, x.dim())
    if bias is not None:
        y = y + _per_channel(bias, C, x.dim())
    return y


def group_norm(x: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    r"""Group normalization over groups of channels (Wu & He, 2018).

    "Group Normalization", https://arxiv.org/abs/1803.08494

    .. math::
        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    The ``C`` channels are split into ``num_groups`` groups of ``C / num_groups``
    consecutive channels; the mean and (biased) variance are computed for every
    sample and group over the group's channels and all spatial dimensions.
    ``num_groups=1`` is layer norm over ``(C, *)``; ``num_groups=C`` is instance
    norm. :math:`\gamma` and :math:`\beta` are per channel (not per group).

    Args:
        x: the input.
        num_groups: number of groups ``G``; must divide ``C``.
        weight: per-channel scale :math:`\gamma`. Default: ``None`` (:math:`\gamma = 1`)
        bias: per-channel shift :math:`\beta`. Default: ``None`` (:math:`\beta = 0`)
        eps: added to the variance for numerical stability. Default: 1e-5

    Shape:
        - x: :math:`(N, C, *)`
        - weight, bias: :math:`(C)`
        - output: same shape as ``x``

    Raises:
        ValueError: ``x`` has fewer than 2 dims; ``num_groups`` is not positive or
            does not divide ``C``; ``weight`` or ``bias`` does not have ``C`` elements.

    Example::

        >>> x = torch.randn(2, 32, 8, 8)
        >>> y = group_norm(x, 8)  # 8 groups of 4 channels
    """
    if x.dim() < 2:
        raise ValueError(f"expected input of shape (N, C, *), but got {x.dim()}-D input "
                         f"of shape {tuple(x.shape)}")
    N, C = x.shape[:2]
    if num_groups <= 0 or C % num_groups != 0:
        raise ValueError(f"the number of channels C={C} must be divisible by a positive "
                         f"num_groups, but got num_groups={num_groups}")
    for name, t in [("weight", weight), ("bias", bias)]:
        _check_numel(name, t, C)

    G = num_groups
    xg = x.reshape(N, G, -1)                             # (N, G, C//G * prod(*))
    mean = xg.mean(dim=-1, keepdim=True)                 # (N, G, 1)
    centered = xg - mean
    var = centered.pow(2).mean(dim=-1, keepdim=True)     # (N, G, 1), biased
    y = centered * torch.rsqrt(var + eps)                # (N, G, C//G * prod(*))
    y = y.reshape(x.shape)                               # (N, C, *)
    if weight is not None:
        y = y * _per_channel(weight, C, x.dim())
    if bias is not None:
        y = y + _per_channel(bias, C, x.dim())
    return y


def batch_norm_backward(dout: Tensor, x: Tensor, weight: Tensor | None,
                        eps: float = 1e-5) -> tuple[Tensor, Tensor, Tensor]:
    r"""Gradients of training-mode batch normalization on ``(N, D)`` input, by hand.

    The forward pass (Ioffe & Szegedy, 2015), per feature, over the batch of
    :math:`N` rows:

    .. math::
        \mu = \frac1N \sum_i x_i, \quad
        \sigma^2 = \frac1N \sum_i (x_i - \mu)^2, \quad
        \hat x_i = \frac{x_i - \mu}{\sqrt{\sigma^2 + \epsilon}}, \quad
        y_i = \gamma \hat x_i + \beta

    Given :math:`\partial L / \partial y` (``dout``), the parameter gradients sum
    over the batch:

    .. math::
        \frac{\partial L}{\partial \beta} = \sum_i \frac{\partial L}{\partial y_i}, \qquad
        \frac{\partial L}{\partial \gamma} = \sum_i \frac{\partial L}{\partial y_i} \hat x_i

    The input gradient is subtle because every :math:`x_i` also moves :math:`\mu` and
    :math:`\sigma^2`, hence every :math:`\hat x_j`. With
    :math:`s = \sqrt{\sigma^2 + \epsilon}`, differentiating
    :math:`\hat x_j = (x_j - \mu) / s` gives

    .. math::
        \frac{\partial \hat x_j}{\partial x_i}
        = \frac1s \Big(\delta_{ij} - \frac1N - \frac{\hat x_i \hat x_j}{N}\Big)

    (:math:`\partial\mu/\partial x_i = 1/N` and
    :math:`\partial s/\partial x_i = \hat x_i / N`). Summing
    :math:`\frac{\partial L}{\partial x_i} = \sum_j \gamma \frac{\partial L}{\partial y_j}
    \frac{\partial \hat x_j}{\partial x_i}` and recognising the two sums above gives
    the compact formula:

    .. math::
        \frac{\partial L}{\partial x_i} = \frac{\gamma}{N s}\Big(
            N \frac{\partial L}{\partial y_i}
            - \frac{\partial L}{\partial \beta}
            - \hat x_i \frac{\partial L}{\partial \gamma}\Big)

    i.e. the upstream gradient, minus its mean, minus its projection on
    :math:`\hat x`, rescaled: the normalization removes exactly the directions
    that would change the batch mean or variance. No autograd is used.

    Args:
        dout: upstream gradient :math:`\partial L / \partial y`.
        x: the input of the forward pass.
        weight: the scale :math:`\gamma`; ``None`` means :math:`\gamma = 1` (the
            returned ``dweight`` is then the gradient a weight of ones would get).
        eps: the forward pass's ``eps``. Default: 1e-5

    Returns:
        ``(dx, dweight, dbias)``, the gradients w.r.t. ``x``, :math:`\gamma`, :math:`\beta`.

    Shape:
        - dout, x, dx: :math:`(N, D)`
        - weight, dweight, dbias: :math:`(D)`

    Raises:
        ValueError: ``x`` is not 2-D with ``N > 1``; ``dout`` does not have the
            shape of ``x``; ``weight`` does not have ``D`` elements.

    Example::

        >>> x, dout, gamma = torch.randn(16, 4), torch.randn(16, 4), torch.ones(4)
        >>> dx, dgamma, dbeta = batch_norm_backward(dout, x, gamma)
    """
    if x.dim() != 2:
        raise ValueError(f"expected 2-D input (N, D), but got {x.dim()}-D input "
                         f"of shape {tuple(x.shape)}")
    if dout.shape != x.shape:
        raise ValueError(f"dout must have the shape of x {tuple(x.shape)}, "
                         f"but got shape {tuple(dout.shape)}")
    N, D = x.shape
    if N == 1:
        raise ValueError("Expected more than 1 value per channel when training, "
                         f"got input size {tuple(x.shape)}")
    _check_numel("weight", weight, D)

    mean = x.mean(dim=0)                          # (D,)
    var = ((x - mean) ** 2).mean(dim=0)           # (D,), biased
    inv_std = 1.0 / torch.sqrt(var + eps)         # (D,), 1 / s
    x_hat = (x - mean) * inv_std                  # (N, D)

    dbias = dout.sum(dim=0)                       # (D,)
    dweight = (dout * x_hat).sum(dim=0)           # (D,)
    gamma = weight if weight is not None else torch.ones_like(inv_std)
    dx = (gamma * inv_std / N) * (N * dout - dbias - x_hat * dweight)  # (N, D)
    return dx, dweight, dbias


class BatchNorm(nn.Module):
    r"""Batch normalization layer with running statistics (Ioffe & Szegedy, 2015).

    .. math::
        y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    In training mode (``model.train()``) it normalizes with the statistics of the
    batch, per channel over the batch and spatial dims, and updates ``running_mean``
    and ``running_var`` (the unbiased batch variance) with
    ``(1 - momentum) * running + momentum * batch``; in evaluation mode
    (``model.eval()``) it normalizes with the running statistics. One class for both
    ``nn.BatchNorm1d`` inputs ``(N, C)``, ``(N, C, L)`` and ``nn.BatchNorm2d``
    inputs ``(N, C, H, W)``, with the same parameters and buffers (their state
    dicts are interchangeable).

    Args:
        num_features: number of channels ``C``.
        eps: added to the variance for numerical stability. Default: 1e-5
        momentum: weight of the new batch in the running statistics; ``None`` for a
            cumulative average over all batches so far (as in PyTorch). Default: 0.1

    Attributes:
        weight: learnable per-channel scale :math:`\gamma`, initialized to ones.
        bias: learnable per-channel shift :math:`\beta`, initialized to zeros.
        running_mean: buffer, initialized to zeros.
        running_var: buffer, initialized to ones.
        num_batches_tracked: buffer, number of training batches seen.

    Shape:
        - Input: :math:`(N, C)`, :math:`(N, C, L)` or :math:`(N, C, H, W)`
        - Output: same shape as the input

    Example::

        >>> bn = BatchNorm(3)
        >>> y = bn(torch.randn(8, 3, 5, 5))   # training: batch statistics
        >>> y = bn.eval()(torch.randn(1, 3, 5, 5))  # eval: running statistics
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.empty(num_features))
        self.bias = nn.Parameter(torch.empty(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        self.running_mean.zero_()
        self.running_var.fill_(1)
        self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        with torch.no_grad():
            self.weight.fill_(1)
            self.bias.zero_()

    def forward(self, x: Tensor) -> Tensor:
        momentum = self.momentum
        if self.training:
            self.num_batches_tracked.add_(1)
            if momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked)
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          training=self.training, momentum=momentum, eps=self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class WeightNormLinear(nn.Module):
    r"""Linear layer with a weight-normalized weight (Salimans & Kingma, 2016).

    "Weight Normalization: A Simple Reparameterization to Accelerate Training of
    Deep Neural Networks", https://arxiv.org/abs/1602.07868

    Each output row of the weight is reparameterized by a direction
    :math:`\mathbf v` and a length :math:`g`:

    .. math::
        \mathbf w_j = g_j \frac{\mathbf v_j}{\lVert \mathbf v_j \rVert}, \qquad
        y = x W^\top + b

    so the norm of each row is learned directly (:math:`\lVert\mathbf w_j\rVert = g_j`)
    and separately from its direction. The norm is taken over the input dimension,
    once per output unit. Equivalent to
    ``torch.nn.utils.parametrizations.weight_norm(nn.Linear(...))``, whose
    ``original0`` is ``weight_g`` and ``original1`` is ``weight_v``.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: if ``False``, the layer has no additive bias. Default: ``True``

    Attributes:
        weight_v: direction :math:`V`, shape ``(out_features, in_features)``,
            initialized like ``nn.Linear``'s weight (Kaiming uniform, ``a=sqrt(5)``).
        weight_g: length :math:`g`, shape ``(out_features, 1)``, initialized to the
            row norms of ``weight_v`` so that the initial effective weight is ``weight_v``.
        bias: shape ``(out_features,)``, initialized like ``nn.Linear``'s bias,
            :math:`\mathcal U(-1/\sqrt{\text{in\_features}}, 1/\sqrt{\text{in\_features}})`.
        weight: (property) the effective weight :math:`W`, recomputed at each access.

    Shape:
        - Input: :math:`(*, \text{in\_features})`
        - Output: :math:`(*, \text{out\_features})`

    Example::

        >>> layer = WeightNormLinear(20, 30)
        >>> layer(torch.randn(128, 20)).shape
        torch.Size([128, 30])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight_v = nn.Parameter(torch.empty(out_features, in_features))
        self.weight_g = nn.Parameter(torch.empty(out_features, 1))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # Same draws, in the same order, as nn.Linear.reset_parameters.
        nn.init.kaiming_uniform_(self.weight_v, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            nn.init.uniform_(self.bias, -bound, bound)
        with torch.no_grad():
            self.weight_g.copy_(self._row_norms(self.weight_v))

    @staticmethod
    def _row_norms(v: Tensor) -> Tensor:
        return torch.sqrt((v ** 2).sum(dim=1, keepdim=True))  # (out, 1)

    @property
    def weight(self) -> Tensor:
        """The effective weight ``g * v / ||v||``, shape ``(out_features, in_features)``."""
        v = self.weight_v                                # (out, in)
        return self.weight_g * v / self._row_norms(v)    # (out, 1) * (out, in) / (out, 1)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)       # (*, in) -> (*, out)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
