r"""Weight initialization from primitives, with the signatures of ``torch.nn.init``.

Every initializer fills a tensor **in place** under ``torch.no_grad()`` (so it works on an
``nn.Parameter``), draws its random numbers from ``generator`` when one is given and
returns the tensor, exactly like its namesake in ``torch.nn.init``. None of them calls
``torch.nn.init``: they are built from ``Tensor.uniform_``, ``Tensor.normal_``,
``torch.randn`` and ``torch.linalg.qr``.

The common idea: pick the variance of the weights so that the variance of the
activations (forward pass) or of the gradients (backward pass) stays the same from
layer to layer. For a layer :math:`y = W x` with ``fan_in`` inputs,
:math:`\mathrm{Var}[y] = \text{fan\_in} \cdot \mathrm{Var}[W] \cdot \mathrm{E}[x^2]`.

A tensor with no elements is returned unchanged (``torch.nn.init`` does the same, but
also warns; here nothing is printed).
"""

import math

import torch

__all__ = [
    "calculate_fan_in_and_fan_out",
    "calculate_gain",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
]

_LINEAR_FNS = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)


def calculate_fan_in_and_fan_out(tensor):
    r"""Return ``(fan_in, fan_out)`` of a weight tensor, as ``torch.nn.init`` computes them.

    A ``Linear`` weight has shape ``(out_features, in_features)``; a convolution kernel
    has shape ``(out_channels, in_channels, *kernel_size)``, and each input channel is
    seen through a receptive field of ``prod(kernel_size)`` positions:

    .. math::
        \text{fan\_in} = \text{size}(1) \cdot r, \qquad
        \text{fan\_out} = \text{size}(0) \cdot r, \qquad
        r = \prod_{d \ge 2} \text{size}(d)

    (For a transposed convolution, whose weight is ``(in, out, *k)``, PyTorch applies the
    same rule to dims 0 and 1 as they are; so does this function.)

    Args:
        tensor: a weight tensor with at least 2 dimensions.

    Shape:
        - tensor: :math:`(\text{out}, \text{in})` or :math:`(\text{out}, \text{in}, *k)`

    Example:
        >>> calculate_fan_in_and_fan_out(torch.empty(16, 3, 5, 5))
        (75, 400)
    """
    if tensor.dim() < 2:
        raise ValueError(
            "fan in and fan out can not be computed for a tensor with fewer than "
            f"2 dimensions, but got shape {tuple(tensor.shape)}"
        )
    receptive_field_size = math.prod(tensor.shape[2:])  # 1 for a Linear weight
    fan_in = tensor.size(1) * receptive_field_size
    fan_out = tensor.size(0) * receptive_field_size
    return fan_in, fan_out


def calculate_gain(nonlinearity, param=None):
    r"""Return the recommended gain for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    The gain rescales the standard deviation of an initializer to undo how much the
    nonlinearity shrinks the signal: ReLU zeroes half of a symmetric input, halving its
    second moment, hence :math:`\sqrt{2}` (He et al., 2015).

    ==================  ======================================================
    nonlinearity        gain
    ==================  ======================================================
    linear, conv*       :math:`1`
    sigmoid             :math:`1`
    tanh                :math:`5/3`
    relu                :math:`\sqrt{2}`
    leaky_relu          :math:`\sqrt{2 / (1 + \text{negative\_slope}^2)}`
    selu                :math:`3/4`
    ==================  ======================================================

    Args:
        nonlinearity: the name of the function in ``torch.nn.functional``
            (``"linear"``, ``"conv1d"``, ..., ``"conv_transpose3d"``, ``"sigmoid"``,
            ``"tanh"``, ``"relu"``, ``"leaky_relu"``, ``"selu"``).
        param: the negative slope of ``"leaky_relu"``; ignored by every other
            nonlinearity. Default: None (meaning 0.01, ``F.leaky_relu``'s default)

    Returns:
        the gain, a float.

    Example:
        >>> calculate_gain("leaky_relu", 0.2)  # sqrt(2 / 1.04)
        1.3867504905630728
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            negative_slope = param
        else:  # True/False are ints in Python: reject them explicitly
            raise ValueError(f"negative_slope {param!r} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4  # found empirically (pytorch/pytorch#50664)
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}")


def xavier_uniform_(tensor, gain=1.0, generator=None):
    r"""Fill ``tensor`` in place from a Glorot (Xavier) uniform distribution.

    Glorot & Bengio (2010), "Understanding the difficulty of training deep feedforward
    neural networks": a compromise between keeping the forward variance
    (:math:`\text{fan\_in} \cdot \mathrm{Var}[W] = 1`) and the backward variance
    (:math:`\text{fan\_out} \cdot \mathrm{Var}[W] = 1`) gives
    :math:`\mathrm{Var}[W] = 2 / (\text{fan\_in} + \text{fan\_out})`. A uniform
    :math:`\mathcal{U}(-a, a)` has variance :math:`a^2 / 3`, hence

    .. math::
        a = \text{gain} \cdot \sqrt{\frac{6}{\text{fan\_in} + \text{fan\_out}}}

    Args:
        tensor: the weight to fill, at least 2-D.
        gain: scaling factor, e.g. ``calculate_gain("tanh")``. Default: 1.0
        generator: a ``torch.Generator`` to draw from. Default: None (the global one)

    Returns:
        ``tensor`` itself.

    Shape:
        - tensor: :math:`(\text{out}, \text{in}, *)`

    Example:
        >>> w = torch.empty(3, 5)
        >>> xavier_uniform_(w, gain=calculate_gain("tanh")) is w  # filled in place and returned
        True
        >>> bool(w.abs().max() <= 5 / 3 * (6 / (5 + 3)) ** 0.5)  # the bound gain * sqrt(6 / (fan_in + fan_out))
        True
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    if tensor.numel() == 0:
        return tensor
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std  # U(-a, a) has std a / sqrt(3)
    with torch.no_grad():
        tensor.uniform_(-bound, bound, generator=generator)
    return tensor


def xavier_normal_(tensor, gain=1.0, generator=None):
    r"""Fill ``tensor`` in place from a Glorot (Xavier) normal distribution.

    Glorot & Bengio (2010): the same variance as :func:`xavier_uniform_`, from a
    Gaussian :math:`\mathcal{N}(0, \text{std}^2)` with

    .. math::
        \text{std} = \text{gain} \cdot \sqrt{\frac{2}{\text{fan\_in} + \text{fan\_out}}}

    Args:
        tensor: the weight to fill, at least 2-D.
        gain: scaling factor. Default: 1.0
        generator: a ``torch.Generator`` to draw from. Default: None (the global one)

    Returns:
        ``tensor`` itself.

    Shape:
        - tensor: :math:`(\text{out}, \text{in}, *)`

    Example:
        >>> w = torch.empty(300, 500)
        >>> xavier_normal_(w) is w
        True
        >>> abs(w.std().item() - (2 / (500 + 300)) ** 0.5) < 0.002
        True
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    if tensor.numel() == 0:
        return tensor
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    with torch.no_grad():
        tensor.normal_(0.0, std, generator=generator)
    return tensor


def _calculate_correct_fan(tensor, mode):
    """``fan_in`` or ``fan_out`` of ``tensor``, whichever ``mode`` names."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode has to be 'fan_in' or 'fan_out', but got {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    r"""Fill ``tensor`` in place from a Kaiming (He) uniform distribution.

    He et al. (2015), "Delving deep into rectifiers": a ReLU keeps half of the second
    moment, so the forward variance is preserved when
    :math:`\tfrac{1}{2}\,\text{fan\_in} \cdot \mathrm{Var}[W] = 1` (``mode="fan_in"``);
    the backward variance when the same holds with ``fan_out`` (``mode="fan_out"``).
    In general :math:`\text{std} = \text{gain} / \sqrt{\text{fan\_mode}}` and

    .. math::
        \text{bound} = \sqrt{3} \cdot \frac{\text{gain}}{\sqrt{\text{fan\_mode}}}

    Args:
        tensor: the weight to fill, at least 2-D.
        a: the negative slope of the leaky ReLU that follows this layer (used only
            with ``nonlinearity="leaky_relu"``; ``a=0`` is a ReLU). Default: 0
        mode: ``"fan_in"`` keeps the activations' variance in the forward pass,
            ``"fan_out"`` the gradients' variance in the backward pass. Default: "fan_in"
        nonlinearity: passed to :func:`calculate_gain`. Default: "leaky_relu"
        generator: a ``torch.Generator`` to draw from. Default: None (the global one)

    Returns:
        ``tensor`` itself.

    Shape:
        - tensor: :math:`(\text{out}, \text{in}, *)` (``x @ w.T`` convention, as ``nn.Linear``)

    Example:
        >>> w = torch.empty(3, 5)
        >>> kaiming_uniform_(w, mode="fan_in", nonlinearity="relu") is w
        True
        >>> bool(w.abs().max() <= 3 ** 0.5 * 2 ** 0.5 / 5 ** 0.5)  # sqrt(3) * gain / sqrt(fan_in)
        True
    """
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    if tensor.numel() == 0:
        return tensor
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std  # U(-b, b) has std b / sqrt(3)
    with torch.no_grad():
        tensor.uniform_(-bound, bound, generator=generator)
    return tensor


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    r"""Fill ``tensor`` in place from a Kaiming (He) normal distribution.

    He et al. (2015): :math:`\mathcal{N}(0, \text{std}^2)` with

    .. math::
        \text{std} = \frac{\text{gain}}{\sqrt{\text{fan\_mode}}}

    Args:
        tensor: the weight to fill, at least 2-D.
        a: the negative slope of the leaky ReLU that follows this layer (used only
            with ``nonlinearity="leaky_relu"``). Default: 0
        mode: ``"fan_in"`` (forward pass) or ``"fan_out"`` (backward pass). Default: "fan_in"
        nonlinearity: passed to :func:`calculate_gain`. Default: "leaky_relu"
        generator: a ``torch.Generator`` to draw from. Default: None (the global one)

    Returns:
        ``tensor`` itself.

    Shape:
        - tensor: :math:`(\text{out}, \text{in}, *)`

    Example:
        >>> w = torch.empty(16, 3, 5, 5)  # fan_out = 16 * 5 * 5 = 400
        >>> kaiming_normal_(w, mode="fan_out", nonlinearity="relu") is w
        True
        >>> abs(w.std().item() - (2 / 400) ** 0.5) < 0.01
        True
    """
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    if tensor.numel() == 0:
        return tensor
    std = gain / math.sqrt(fan)
    with torch.no_grad():
        tensor.normal_(0.0, std, generator=generator)
    return tensor


def orthogonal_(tensor, gain=1.0, generator=None):
    r"""Fill ``tensor`` in place with a random (semi-)orthogonal matrix, uniformly (Haar).

    Saxe et al. (2014), "Exact solutions to the nonlinear dynamics of learning in deep
    linear neural networks": with orthogonal weights every singular value is 1, so a
    deep linear network neither shrinks nor amplifies any direction of its input.

    The tensor is viewed as a matrix of ``rows = size(0)`` by ``cols = numel / rows``
    (trailing dimensions flattened, as for a convolution kernel). Draw a Gaussian matrix
    :math:`A` of shape ``(max, min)`` of the two, factor :math:`A = QR` and correct the
    signs (Mezzadri, 2007, "How to generate random matrices from the classical compact
    groups"):

    .. math::
        Q \leftarrow Q \, \mathrm{diag}(\mathrm{sign}(\mathrm{diag}(R))), \qquad
        W = \text{gain} \cdot Q \ \text{(transposed when rows < cols)}

    Why the sign correction: :math:`A = QR` is unique only up to the signs of
    :math:`R`'s diagonal, and the QR routine picks them by its own rule, not at
    random. LAPACK's Householder QR, for instance, always makes :math:`R_{11}` have
    the opposite sign of :math:`A_{11}`, so :math:`Q_{11} = A_{11} / R_{11}` is
    never positive: that :math:`Q` is orthogonal but not uniformly distributed. Making
    :math:`R`'s diagonal positive makes the factorization unique, :math:`A \mapsto Q`
    then commutes with rotations (:math:`HA = (HQ)R`), and because the Gaussian
    :math:`A` is rotation invariant so is :math:`Q`: it is Haar distributed.

    The result satisfies :math:`W W^\top = \text{gain}^2 I` when rows <= cols and
    :math:`W^\top W = \text{gain}^2 I` when rows >= cols (``W`` the flattened matrix).

    Args:
        tensor: the weight to fill, at least 2-D.
        gain: scaling factor. Default: 1.0
        generator: a ``torch.Generator`` to draw from. Default: None (the global one)

    Returns:
        ``tensor`` itself.

    Shape:
        - tensor: :math:`(\text{rows}, *)`, flattened to :math:`(\text{rows}, \text{cols})`

    Example:
        >>> w = torch.empty(3, 5)
        >>> orthogonal_(w) is w
        True
        >>> torch.allclose(w @ w.T, torch.eye(3), atol=1e-6)
        True
    """
    if tensor.dim() < 2:
        raise ValueError(
            "orthogonal_ needs a tensor with at least 2 dimensions, "
            f"but got shape {tuple(tensor.shape)}"
        )
    if tensor.numel() == 0:
        return tensor
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    with torch.no_grad():
        # QR needs a tall matrix: draw (max, min) and transpose back at the end.
        a = torch.randn(
            max(rows, cols), min(rows, cols),
            generator=generator, dtype=tensor.dtype, device=tensor.device,
        )
        q, r = torch.linalg.qr(a)  # q: (max, min) with orthonormal columns
        q = q * torch.sign(torch.diagonal(r))  # flip column j when R[j, j] < 0
        if rows < cols:
            q = q.T  # (rows, cols) with orthonormal rows
        tensor.copy_((gain * q).reshape(tensor.shape))
    return tensor
