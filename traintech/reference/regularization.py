r"""Regularization: dropout, L2 penalty / weight decay (and its parameter groups), and early stopping.

Reference implementations for chapter 1 (``01_regularization``). Each function is
written from tensor primitives, so that it reads as the model answer of its exercise;
the tests in ``tests/test_regularization.py`` compare every one with PyTorch.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable

import torch
from torch import nn

__all__ = [
    "dropout",
    "Dropout",
    "l2_penalty",
    "sgd_step",
    "decoupled_weight_decay_",
    "param_groups_for_weight_decay",
    "EarlyStopping",
]


def dropout(
    x: torch.Tensor,
    p: float = 0.5,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Inverted dropout (Srivastava et al., 2014, "Dropout: A Simple Way to Prevent
    Neural Networks from Overfitting").

    During training every element is zeroed independently with probability :math:`p`
    and the survivors are scaled by :math:`1/(1-p)`, so that the expected value of
    every element is unchanged and inference needs no rescaling:

    .. math::
        m_i \sim \mathrm{Bernoulli}(1 - p), \qquad y_i = \frac{m_i \, x_i}{1 - p},
        \qquad \mathrm{E}[y_i] = x_i

    (The original paper scales the *weights* by :math:`1 - p` at inference instead;
    both formulations give the same expected activations.)

    Args:
        x: input of any shape.
        p: probability of an element to be zeroed. Default: 0.5
        training: apply dropout if True; otherwise return ``x`` itself, as
            :func:`torch.nn.functional.dropout` does. Default: True
        generator: a ``torch.Generator`` (on ``x``'s device) for the mask, so that the
            mask is reproducible. Default: None (the global generator)

    Returns:
        In training with ``p > 0``, a new tensor (``x`` is never modified); with
        ``p == 1`` all zeros, with no NaN from :math:`1/(1-p)`. The output stays
        differentiable: its gradient with respect to ``x`` is the scaled mask
        :math:`m / (1 - p)`.

    Shape:
        - x: :math:`(*)`, any shape
        - output: :math:`(*)`, same shape as ``x``

    Example::

        >>> g = torch.Generator().manual_seed(0)
        >>> y = dropout(torch.ones(2, 4), p=0.5, generator=g)
        >>> sorted(set(y.flatten().tolist())) in ([0.0, 2.0], [0.0], [2.0])
        True
    """
    if not 0.0 <= p <= 1.0:  # also rejects NaN
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return x
    # U ~ Uniform[0, 1): P(U >= p) = 1 - p, so `keep` is a Bernoulli(1 - p) mask.
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= p  # same shape as x
    # With p == 1 nothing survives: use scale 0 rather than 1 / 0 (0 * inf would be NaN).
    scale = 1.0 / (1.0 - p) if p < 1.0 else 0.0
    return x * keep * scale


class Dropout(nn.Module):
    r"""Inverted dropout as a module: :func:`dropout` in train mode, identity in eval mode.

    Srivastava et al., 2014. Put it after the activation of a hidden layer; the paper
    uses :math:`p = 0.5` for hidden units and about :math:`p = 0.2` for the inputs.

    .. math::
        y = \frac{m \odot x}{1 - p}, \quad m_i \sim \mathrm{Bernoulli}(1 - p)
        \quad \text{(train)}, \qquad y = x \quad \text{(eval)}

    Args:
        p: probability of an element to be zeroed. Default: 0.5

    Shape:
        - Input: :math:`(*)`, any shape
        - Output: :math:`(*)`, same shape as the input

    Example::

        >>> layer = Dropout(p=0.2)
        >>> layer
        Dropout(p=0.2)
        >>> x = torch.randn(8, 16)
        >>> torch.equal(layer.eval()(x), x)
        True
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:  # also rejects NaN
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x, self.p, training=self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def l2_penalty(
    parameters: torch.Tensor | Iterable[torch.Tensor], weight_decay: float
) -> torch.Tensor:
    r"""The L2 regularization term to add to a loss (Krogh & Hertz, 1991).

    .. math:: \Omega(w) = \frac{\lambda}{2} \sum_j \lVert w_j \rVert_2^2,
        \qquad \nabla_{w_j} \Omega = \lambda \, w_j

    so that gradient descent on ``loss + l2_penalty(...)`` takes the step
    :math:`w \leftarrow (1 - \eta\lambda)\, w - \eta \nabla L` (see :func:`sgd_step`).
    Usually only weights are penalized, not biases or normalization parameters.

    Args:
        parameters: the tensors to penalize (e.g. ``model.parameters()``, or a single
            tensor).
        weight_decay: :math:`\lambda \ge 0`.

    Returns:
        A differentiable 0-dim tensor; ``tensor(0.)`` for no parameters.

    Shape:
        - parameters: any shapes
        - output: :math:`()`

    Example::

        >>> w = torch.tensor([3.0, 4.0], requires_grad=True)
        >>> l2_penalty([w], weight_decay=0.1)
        tensor(1.2500, grad_fn=<MulBackward0>)
    """
    if not weight_decay >= 0.0:  # also rejects NaN
        raise ValueError(f"weight_decay has to be non-negative, but got {weight_decay}")
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    squared_norms = [w.pow(2).sum() for w in parameters]  # one () tensor per parameter
    if not squared_norms:
        return torch.tensor(0.0)
    return weight_decay / 2 * sum(squared_norms)


def _tensors_with_grad(parameters, lr: float, weight_decay: float) -> list[torch.Tensor]:
    """Check ``lr`` and ``weight_decay``; the given tensors that have a ``.grad``."""
    if not lr >= 0.0:  # also rejects NaN
        raise ValueError(f"learning rate has to be non-negative, but got {lr}")
    if not weight_decay >= 0.0:
        raise ValueError(f"weight_decay has to be non-negative, but got {weight_decay}")
    if isinstance(parameters, torch.Tensor):
        # A single tensor; iterating over it would yield its rows, which have no .grad.
        parameters = [parameters]
    return [w for w in parameters if w.grad is not None]


@torch.no_grad()
def sgd_step(
    parameters: torch.Tensor | Iterable[torch.Tensor],
    lr: float,
    weight_decay: float = 0.0,
) -> None:
    r"""One in-place step of gradient descent with (L2) weight decay.

    .. math:: w \leftarrow (1 - \eta\lambda)\, w - \eta \nabla_w L

    the same as :class:`torch.optim.SGD` ``(lr=η, weight_decay=λ)`` without momentum,
    which adds :math:`\lambda w` to the gradient. For plain SGD this *is* the gradient of
    :func:`l2_penalty`; for adaptive optimizers it is not (see
    :func:`decoupled_weight_decay_`). Runs without autograd and skips tensors whose
    ``.grad`` is None, as PyTorch's optimizers do.

    Args:
        parameters: the tensors to update (e.g. ``model.parameters()``).
        lr: learning rate :math:`\eta \ge 0`.
        weight_decay: :math:`\lambda \ge 0`. Default: 0.0

    Shape:
        - parameters: any shapes; each ``.grad`` has the shape of its tensor

    Example::

        >>> w = torch.tensor([1.0, 2.0], requires_grad=True)
        >>> (w ** 2).sum().backward()          # grad = 2 w = [2, 4]
        >>> sgd_step([w], lr=0.1, weight_decay=0.5)
        >>> w                                  # 0.95 * w - 0.1 * grad
        tensor([0.7500, 1.5000], requires_grad=True)
    """
    for w in _tensors_with_grad(parameters, lr, weight_decay):
        w.mul_(1.0 - lr * weight_decay)  # shrink ("decay") the weights ...
        w.add_(w.grad, alpha=-lr)  # ... then step against the gradient of the loss


@torch.no_grad()
def decoupled_weight_decay_(
    parameters: torch.Tensor | Iterable[torch.Tensor],
    lr: float,
    weight_decay: float,
) -> None:
    r"""Decoupled weight decay, in place (Loshchilov & Hutter, 2019, "Decoupled Weight
    Decay Regularization", the "W" of AdamW).

    .. math:: w \leftarrow w - \eta \lambda w = (1 - \eta\lambda)\, w

    applied *outside* the optimizer, so the adaptive optimizer never sees the decay
    term: every weight shrinks by the same factor, whatever its gradient history. (With
    Adam, an L2 term in the loss is divided by :math:`\sqrt{\hat v}` like the rest of the
    gradient, so weights with large gradients are barely regularized.)

    Order that reproduces :class:`torch.optim.AdamW` ``(lr=η, weight_decay=λ)``
    exactly: after ``loss.backward()``, decay first, then step Adam with
    ``weight_decay=0``::

        loss.backward()
        decoupled_weight_decay_(model.parameters(), lr, weight_decay)
        adam.step()      # torch.optim.Adam(model.parameters(), lr, weight_decay=0)

    AdamW computes :math:`w \leftarrow (1-\eta\lambda)\,w - \eta\,\hat m/(\sqrt{\hat v}+\epsilon)`;
    decaying *after* ``adam.step()`` would also shrink the Adam update, an
    :math:`O(\eta^2\lambda)` difference. Like AdamW, tensors whose ``.grad`` is None are
    skipped, and ``lr`` must be the optimizer's current learning rate (so a scheduler
    also scales the decay).

    Args:
        parameters: the tensors to decay (e.g. ``model.parameters()``).
        lr: the learning rate :math:`\eta \ge 0` of the step.
        weight_decay: :math:`\lambda \ge 0`.

    Shape:
        - parameters: any shapes

    Example::

        >>> w = torch.ones(3, requires_grad=True)
        >>> w.grad = torch.zeros(3)
        >>> decoupled_weight_decay_([w], lr=0.1, weight_decay=0.01)
        >>> w
        tensor([0.9990, 0.9990, 0.9990], requires_grad=True)
    """
    for w in _tensors_with_grad(parameters, lr, weight_decay):
        w.mul_(1.0 - lr * weight_decay)


# The layers whose ``weight`` decays: a linear map or a convolution kernel, the weights that
# set a network's capacity. (Subclasses count: ``isinstance``.)
_DECAYING_WEIGHT_OWNERS = (
    nn.Linear,
    nn.Conv1d, nn.Conv2d, nn.Conv3d,
    nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d,
)


def param_groups_for_weight_decay(model: nn.Module, weight_decay: float) -> list[dict]:
    r"""Two optimizer parameter groups: weight decay on the weights, none on biases and gains.

    Decoupled weight decay (Loshchilov & Hutter, 2019) shrinks every parameter of a group by
    :math:`(1 - \eta\lambda)` per step. That is meant for the weights of linear maps and
    convolution kernels, which set what the network can fit. Biases and the affine
    parameters of normalization layers (:math:`\gamma`, :math:`\beta` of BatchNorm,
    LayerNorm, GroupNorm, InstanceNorm) set a scale and an offset, not capacity: decaying
    :math:`\gamma` pulls the normalized activations towards 0 and fights the normalization.
    The same holds for the length :math:`g` of weight normalization (``weight_g``), while its
    direction ``weight_v`` is a weight.

    The rule, by the parameter's attribute name in the module that holds it:

    - **decay**: ``weight`` of an ``nn.Linear``, ``nn.Conv1d/2d/3d`` or
      ``nn.ConvTranspose1d/2d/3d`` (or of a subclass), and every parameter named ``weight_v``
      (``WeightNormLinear``, or a layer after ``torch.nn.utils.weight_norm``);
    - **no decay**: everything else: biases, the parameters of normalization layers,
      ``weight_g``, and the parameters of any other module (``nn.Embedding``, ``nn.PReLU``,
      a custom module's own ``nn.Parameter``).

    The shortcut "decay iff ``p.ndim >= 2``" is *not* this rule: ``weight_g`` has shape
    ``(out, 1)`` and an embedding table is 2-D.

    Args:
        model: the network; its parameters are those of ``model.parameters()``: each one
            once, a shared (tied) parameter too, frozen ones (``requires_grad=False``)
            included. A parameter that modules of different kinds share is decided by its
            first owner, as ``model.named_parameters()`` names it.
        weight_decay: :math:`\lambda \ge 0` of the first group.

    Returns:
        ``[{"params": decay, "weight_decay": weight_decay}, {"params": no_decay,
        "weight_decay": 0.0}]``: both groups always, in this order; each ``"params"`` a list
        (possibly empty) in ``model.parameters()`` order. Pass it to
        ``torch.optim.AdamW(groups, lr=...)``.

    Raises:
        ValueError: if ``weight_decay`` is negative or NaN.

    Example::

        >>> model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
        >>> decay, no_decay = param_groups_for_weight_decay(model, weight_decay=0.1)
        >>> [tuple(p.shape) for p in decay["params"]], decay["weight_decay"]
        ([(8, 4), (2, 8)], 0.1)
        >>> [tuple(p.shape) for p in no_decay["params"]], no_decay["weight_decay"]
        ([(8,), (8,), (8,), (2,)], 0.0)
        >>> optimizer = torch.optim.AdamW([decay, no_decay], lr=1e-3)
    """
    if not weight_decay >= 0.0:  # also rejects NaN
        raise ValueError(f"weight_decay has to be non-negative, but got {weight_decay}")
    decay: list[nn.Parameter] = []
    no_decay: list[nn.Parameter] = []
    seen: set[int] = set()  # ids of the parameters placed so far (a tied one comes again)
    for module in model.modules():  # the order of model.parameters()
        for name, p in module.named_parameters(recurse=False):
            if id(p) in seen:
                continue
            seen.add(id(p))
            decays = name == "weight_v" or (name == "weight" and isinstance(module, _DECAYING_WEIGHT_OWNERS))
            (decay if decays else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


class EarlyStopping:
    r"""Stop training once a validation metric has stopped improving (Prechelt, 1998,
    "Early Stopping — But When?").

    Call :meth:`step` once per epoch with the validation metric. A call *improves* when

    .. math::
        \text{min mode: } m < m_{best} - \delta, \qquad
        \text{max mode: } m > m_{best} + \delta

    and :meth:`step` returns True once ``patience`` consecutive calls have not improved.
    A NaN metric never improves. Pass the model to keep a copy of its weights at the best
    call, and :meth:`restore` them after training.

    Args:
        patience: number of consecutive calls without improvement before stopping;
            a positive int. Default: 5
        min_delta: :math:`\delta \ge 0`, an improvement has to be larger than this.
            Default: 0.0
        mode: ``"min"`` for a loss, ``"max"`` for an accuracy. Default: ``"min"``

    Attributes:
        best: best metric so far (``inf`` in min mode, ``-inf`` in max mode before any
            improvement).
        best_epoch: 0-based index of the call that gave ``best`` (None before).
        num_bad_epochs: consecutive calls without improvement.
        best_state: an independent copy of ``model.state_dict()`` taken at the best call
            (tensors deep-copied), or None if no model was passed at that call.

    Example::

        >>> stopper = EarlyStopping(patience=2)
        >>> [stopper.step(loss) for loss in [1.0, 0.5, 0.6, 0.7, 0.4]]
        [False, False, False, True, False]
        >>> stopper.best, stopper.best_epoch
        (0.4, 4)
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0, mode: str = "min") -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"patience has to be a positive int, but got {patience!r}")
        if isinstance(min_delta, bool) or not min_delta >= 0.0 or math.isinf(min_delta):
            raise ValueError(
                f"min_delta has to be a non-negative finite number, but got {min_delta!r}"
            )
        if mode not in ("min", "max"):
            raise ValueError(f"mode has to be 'min' or 'max', but got {mode!r}")
        self.patience = patience
        self.min_delta = float(min_delta)
        self.mode = mode
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far (keep the settings)."""
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.num_bad_epochs = 0
        self.best_state: dict | None = None
        self._num_calls = 0

    def is_improvement(self, metric: float) -> bool:
        """Whether ``metric`` improves on :attr:`best` by more than ``min_delta``."""
        if self.mode == "min":
            return metric < self.best - self.min_delta
        return metric > self.best + self.min_delta  # NaN compares False: no improvement

    def step(self, metric: float | torch.Tensor, model: nn.Module | None = None) -> bool:
        """Record one epoch's metric; return True when training should stop.

        Args:
            metric: the validation metric (a number or a 1-element tensor).
            model: if given and ``metric`` improves, a copy of its ``state_dict()`` is
                kept in :attr:`best_state`. Default: None
        """
        metric = float(metric)
        epoch = self._num_calls
        self._num_calls += 1
        if self.is_improvement(metric):
            self.best = metric
            self.best_epoch = epoch
            self.num_bad_epochs = 0
            # `state_dict()` returns tensors that share storage with the live parameters:
            # deep-copy them (new storage), or the "best" weights would change with training.
            # Without a model, an older copy would no longer match `best`: drop it.
            self.best_state = None if model is None else copy.deepcopy(model.state_dict())
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience

    def restore(self, model: nn.Module) -> nn.Module:
        """Load :attr:`best_state` into ``model`` and return the model.

        Raises:
            RuntimeError: if no state was recorded (``step`` was never given a model at
                an improving call).
        """
        if self.best_state is None:
            raise RuntimeError(
                "EarlyStopping has no best_state to restore: pass `model=` to step()"
            )
        # load_state_dict copies the values into the model's own tensors, so training
        # the model afterwards does not change best_state.
        model.load_state_dict(self.best_state)
        return model

    def extra_repr(self) -> str:
        return (
            f"patience={self.patience}, min_delta={self.min_delta}, mode={self.mode!r}, "
            f"best={self.best}, best_epoch={self.best_epoch}, "
            f"num_bad_epochs={self.num_bad_epochs}"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

