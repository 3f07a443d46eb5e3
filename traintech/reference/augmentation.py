r"""The graded augmentations of chapter 1 (``01_regularization``): reference implementations.

Written from tensor primitives; each returns a new tensor or list and never modifies its
input, and draws only from the ``generator`` (a ``torch.Generator``) or ``rng`` (a
``random.Random``) it is given. The augmentations the chapter only explains and uses (EDA's
swap, synonym replacement and insertion; time shift, stretch and pitch shift) are in
:mod:`traintech.augmentation`.

- images, ``(N, C, H, W)``: :func:`random_horizontal_flip`, :func:`random_crop`,
  :func:`random_rotation`, :func:`color_jitter` (RGB)
- text, a list of tokens: :func:`random_deletion`
- audio, ``(..., time)``: :func:`add_noise`
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import torch
import torch.nn.functional as F

__all__ = ["random_horizontal_flip", "random_crop", "random_rotation", "color_jitter", "random_deletion", "add_noise"]


def random_horizontal_flip(
    images: torch.Tensor, p: float = 0.5, generator: torch.Generator | None = None
) -> torch.Tensor:
    r"""Mirror each image left–right, independently, with probability ``p``.

    A label-preserving transformation for most natural images (not for digits or text):
    the classifier learns that left–right orientation does not matter (Krizhevsky et al.,
    2012).

    .. math:: y_{n,c,h,w} = \begin{cases} x_{n,c,h,W-1-w} & \text{if } u_n < p \\
        x_{n,c,h,w} & \text{otherwise} \end{cases}, \qquad u_n \sim U[0, 1)

    Args:
        images: a batch of images.
        p: probability of flipping each image. Default: 0.5
        generator: source of the per-image decisions. Default: None

    Returns:
        A new tensor; ``images`` is not modified.

    Shape:
        - images: :math:`(N, C, H, W)`
        - output: :math:`(N, C, H, W)`

    Example::

        >>> x = torch.arange(4.0).view(1, 1, 1, 4)
        >>> random_horizontal_flip(x, p=1.0)
        tensor([[[[3., 2., 1., 0.]]]])
    """
    if images.dim() != 4:
        raise ValueError(f"images have to be 4-D (N, C, H, W), but got shape {tuple(images.shape)}")
    if not 0.0 <= p <= 1.0:  # also rejects NaN
        raise ValueError(f"flip probability p has to be between 0 and 1, but got {p}")
    n, _, _, width = images.shape
    flip = torch.rand(n, generator=generator, device=images.device) < p  # (N,)
    reversed_columns = torch.arange(width - 1, -1, -1, device=images.device)  # W-1, ..., 0
    mirrored = images[..., reversed_columns]  # (N, C, H, W), every image mirrored
    return torch.where(flip.view(n, 1, 1, 1), mirrored, images)  # (N, C, H, W)


def random_crop(
    images: torch.Tensor,
    size: int,
    padding: int = 0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Zero-pad every side by ``padding``, then take a random ``size × size`` window
    of each image, independently.

    With ``padding=4`` and ``size`` equal to the image size this is the classic
    CIFAR-10 augmentation (He et al., 2016): random translations by up to 4 pixels.
    With padding :math:`P`, the top-left corner :math:`(t_n, l_n)` is uniform over

    .. math:: t_n \in \{0, \dots, H + 2P - \text{size}\}, \qquad
        l_n \in \{0, \dots, W + 2P - \text{size}\}

    Args:
        images: a batch of images.
        size: side of the square window; at most ``H + 2 * padding`` and
            ``W + 2 * padding``.
        padding: zeros added on each of the four sides. Default: 0
        generator: source of the window positions. Default: None

    Returns:
        A new tensor; ``images`` is not modified.

    Shape:
        - images: :math:`(N, C, H, W)`
        - output: :math:`(N, C, \text{size}, \text{size})`

    Example::

        >>> x = torch.randn(8, 3, 32, 32)
        >>> random_crop(x, size=32, padding=4).shape
        torch.Size([8, 3, 32, 32])
    """
    if images.dim() != 4:
        raise ValueError(f"images have to be 4-D (N, C, H, W), but got shape {tuple(images.shape)}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size has to be a positive int, but got {size!r}")
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(f"padding has to be a non-negative int, but got {padding!r}")
    n, c, height, width = images.shape
    padded_height, padded_width = height + 2 * padding, width + 2 * padding
    if size > padded_height or size > padded_width:
        raise ValueError(
            f"crop size {size} is larger than the padded image "
            f"({padded_height} x {padded_width})"
        )
    padded = images.new_zeros(n, c, padded_height, padded_width)  # (N, C, H+2P, W+2P)
    padded[:, :, padding : padding + height, padding : padding + width] = images

    # One random top-left corner per image, uniform over all valid positions.
    device = images.device
    tops = torch.randint(0, padded_height - size + 1, (n,), generator=generator, device=device)
    lefts = torch.randint(0, padded_width - size + 1, (n,), generator=generator, device=device)
    windows = [
        padded[i, :, top : top + size, left : left + size]  # (C, size, size)
        for i, (top, left) in enumerate(zip(tops.tolist(), lefts.tolist()))
    ]
    if not windows:  # an empty batch
        return images.new_zeros(0, c, size, size)
    return torch.stack(windows)  # (N, C, size, size)


def random_rotation(
    images: torch.Tensor, degrees: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    r"""Rotate each image about its centre by its own random angle, uniform in
    :math:`[-\text{degrees}, \text{degrees}]`, with bilinear interpolation and zeros outside.

    As torchvision's ``RandomRotation(degrees, interpolation=BILINEAR)``, but with one angle
    per image instead of one per call. Pixel :math:`(i, j)` (row, column) sits at
    :math:`(x, y) = (j - \tfrac{W-1}{2},\; i - \tfrac{H-1}{2})` from the centre; the output
    reads the input at the rotated position

    .. math:: \begin{pmatrix} x' \\ y' \end{pmatrix} =
        \begin{pmatrix} \cos\theta & -\sin\theta \\ \sin\theta & \cos\theta \end{pmatrix}
        \begin{pmatrix} x \\ y \end{pmatrix}, \qquad \theta_n \sim U[-\text{degrees}, \text{degrees}]

    (with the image's :math:`y` axis pointing down, a positive :math:`\theta` turns the
    picture counter-clockwise, torchvision's convention), interpolated bilinearly from the
    four nearest pixels; a neighbour outside the image counts as 0. This is
    ``F.affine_grid`` + ``F.grid_sample`` with ``align_corners=False`` (normalized
    coordinates run from the left edge of the first pixel, −1, to the right edge of the
    last, +1), whose matrix for non-square images is the rotation rescaled by the aspect
    ratio: :math:`\begin{pmatrix} \cos\theta & -\sin\theta\,H/W \\ \sin\theta\,W/H & \cos\theta \end{pmatrix}`.

    Args:
        images: a batch of floating-point images.
        degrees: the largest rotation, in degrees (>= 0).
        generator: source of the angles. Default: None

    Returns:
        A new tensor of ``images``' dtype; ``images`` is not modified.

    Shape:
        - images: :math:`(N, C, H, W)`
        - output: :math:`(N, C, H, W)`

    Example::

        >>> x = torch.rand(4, 3, 8, 8)
        >>> torch.allclose(random_rotation(x, degrees=0.0), x, atol=1e-6)
        True
    """
    if images.dim() != 4:
        raise ValueError(f"images have to be 4-D (N, C, H, W), but got shape {tuple(images.shape)}")
    if not images.is_floating_point():
        raise ValueError(f"images have to be floating point for bilinear interpolation, but got {images.dtype}")
    if isinstance(degrees, bool) or not isinstance(degrees, (int, float)) or not degrees >= 0:  # also NaN
        raise ValueError(f"degrees has to be a non-negative number, but got {degrees!r}")
    n, _, height, width = images.shape
    angles = (2 * torch.rand(n, generator=generator, dtype=torch.float64) - 1) * math.radians(degrees)  # (N,)
    cos, sin = torch.cos(angles), torch.sin(angles)
    zero = torch.zeros_like(angles)
    theta = torch.stack([
        torch.stack([cos, -sin * height / width, zero], dim=1),
        torch.stack([sin * width / height, cos, zero], dim=1),
    ], dim=1).to(images.dtype).to(images.device)  # (N, 2, 3), in normalized coordinates
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)  # (N, H, W, 2): where to read
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


GRAYSCALE_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601 luma, as torchvision's rgb_to_grayscale


def color_jitter(
    images: torch.Tensor,
    brightness: float = 0.0,
    contrast: float = 0.0,
    saturation: float = 0.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Randomly change the brightness, contrast and saturation of each RGB image.

    As torchvision's ``ColorJitter(brightness, contrast, saturation)``, but with factors drawn
    per image (torchvision draws one set per call), and always in the order brightness,
    contrast, saturation (torchvision shuffles the order). For a strength :math:`s > 0`, each
    image draws its factor :math:`f \sim U[\max(0, 1 - s), 1 + s]`; a strength of 0 leaves
    that step out. With the grayscale :math:`g = 0.299 R + 0.587 G + 0.114 B`, each step blends
    the image with a base image and clamps the result to :math:`[0, 1]`:

    .. math::
        \text{brightness: } x \leftarrow \mathrm{clamp}(f_b\, x), \qquad
        \text{contrast: } x \leftarrow \mathrm{clamp}(f_c\, x + (1 - f_c)\, \bar g), \qquad
        \text{saturation: } x \leftarrow \mathrm{clamp}(f_s\, x + (1 - f_s)\, g)

    where :math:`\bar g` is the mean of the image's grayscale over all its pixels (one number
    per image) and :math:`g` the grayscale of each pixel (the same for the three channels).

    Args:
        images: a batch of RGB images, values in [0, 1].
        brightness, contrast, saturation: strengths (>= 0). Default: 0.0
        generator: source of the factors. Default: None

    Returns:
        A new tensor; ``images`` is not modified.

    Shape:
        - images: :math:`(N, 3, H, W)`
        - output: :math:`(N, 3, H, W)`

    Example::

        >>> x = torch.rand(4, 3, 8, 8)
        >>> y = color_jitter(x, brightness=0.4, contrast=0.4, saturation=0.4)
        >>> y.shape, bool(((y >= 0) & (y <= 1)).all())
        (torch.Size([4, 3, 8, 8]), True)
    """
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"images have to be RGB (N, 3, H, W), but got shape {tuple(images.shape)}")
    if not images.is_floating_point():
        raise ValueError(f"images have to be floating point with values in [0, 1], but got {images.dtype}")
    strengths = {"brightness": brightness, "contrast": contrast, "saturation": saturation}
    for name, value in strengths.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
            raise ValueError(f"{name} has to be a non-negative number, but got {value!r}")
    n = images.shape[0]

    def factors(strength: float) -> torch.Tensor:  # (N, 1, 1, 1), uniform in [max(0, 1 - s), 1 + s]
        low, high = max(0.0, 1.0 - strength), 1.0 + strength
        u = torch.rand(n, generator=generator, dtype=torch.float64)
        return (low + (high - low) * u).to(images.dtype).to(images.device).view(n, 1, 1, 1)

    weights = torch.tensor(GRAYSCALE_WEIGHTS, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    out = images.clone()
    if brightness > 0:
        out = (factors(brightness) * out).clamp(0, 1)
    if contrast > 0:
        mean = (weights * out).sum(dim=1, keepdim=True).mean(dim=(2, 3), keepdim=True)  # (N, 1, 1, 1)
        f = factors(contrast)
        out = (f * out + (1 - f) * mean).clamp(0, 1)
    if saturation > 0:
        gray = (weights * out).sum(dim=1, keepdim=True)  # (N, 1, H, W)
        f = factors(saturation)
        out = (f * out + (1 - f) * gray).clamp(0, 1)
    return out


def random_deletion(tokens: Sequence[str], p: float, rng: random.Random) -> list[str]:
    r"""Delete each token independently with probability ``p`` (EDA, Wei & Zou, 2019,
    "EDA: Easy Data Augmentation Techniques for Boosting Performance on Text
    Classification Tasks").

    .. math:: \text{keep } t_i \iff u_i \ge p, \qquad u_i \sim U[0, 1)

    A non-empty input never becomes empty: if every token was deleted, one token chosen
    uniformly at random is kept.

    Args:
        tokens: a sentence as a list of tokens.
        p: deletion probability of each token, in [0, 1].
        rng: the ``random.Random`` to draw from.

    Returns:
        A new list (``tokens`` is not modified); ``[]`` for ``[]``.

    Example::

        >>> random_deletion("the movie was really good".split(), p=0.0, rng=random.Random(0))
        ['the', 'movie', 'was', 'really', 'good']
    """
    if not 0.0 <= p <= 1.0:  # also rejects NaN
        raise ValueError(f"deletion probability p has to be between 0 and 1, but got {p}")
    tokens = list(tokens)
    if not tokens:
        return []
    kept = [token for token in tokens if rng.random() >= p]
    if not kept:
        kept = [tokens[rng.randrange(len(tokens))]]
    return kept


def add_noise(
    waveform: torch.Tensor,
    snr_db: float | torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Add white Gaussian noise at an exact signal-to-noise ratio.

    The noise :math:`z \sim \mathcal{N}(0, I)` is drawn, then scaled so that, for every
    signal along the last dimension, the ratio of the mean powers is *exactly*
    ``snr_db`` decibels:

    .. math::
        P_x = \frac{1}{T}\sum_t x_t^2, \qquad
        y = x + z \sqrt{\frac{P_x \, 10^{-\text{SNR}/10}}{P_z}}
        \quad\Longrightarrow\quad
        10 \log_{10} \frac{P_x}{P_{y - x}} = \text{SNR}

    A silent signal (:math:`P_x = 0`) has no defined SNR; it is returned unchanged
    (zero noise), as ``torchaudio.functional.add_noise`` does, so that silent clips in
    a dataset do not stop training.

    Args:
        waveform: one or more signals, time along the last dimension; floating point.
        snr_db: the signal-to-noise ratio in dB; a number, or a tensor broadcastable to
            ``waveform.shape[:-1]`` (one SNR per signal). Must be finite.
        generator: source of the noise. Default: None

    Returns:
        A new tensor; ``waveform`` is not modified.

    Shape:
        - waveform: :math:`(..., T)`
        - output: :math:`(..., T)`

    Example::

        >>> x = torch.sin(torch.linspace(0, 100, 16000, dtype=torch.float64))
        >>> y = add_noise(x, snr_db=10.0, generator=torch.Generator().manual_seed(0))
        >>> round(10 * torch.log10(x.pow(2).mean() / (y - x).pow(2).mean()).item(), 6)
        10.0
    """
    if waveform.dim() == 0 or waveform.shape[-1] == 0 or not waveform.is_floating_point():
        raise ValueError(
            f"waveform has to be a floating-point tensor (..., time) with time >= 1, "
            f"but got shape {tuple(waveform.shape)} and dtype {waveform.dtype}"
        )
    snr = torch.as_tensor(snr_db, dtype=waveform.dtype, device=waveform.device)
    if not torch.isfinite(snr).all():
        raise ValueError(f"snr_db has to be finite, but got {snr_db}")
    snr = snr.unsqueeze(-1)  # (..., 1): one value per signal, broadcast over time

    noise = torch.randn(
        waveform.shape, generator=generator, dtype=waveform.dtype, device=waveform.device
    )  # (..., T)
    signal_power = waveform.pow(2).mean(dim=-1, keepdim=True)  # (..., 1)
    noise_power = noise.pow(2).mean(dim=-1, keepdim=True)  # (..., 1), > 0 almost surely
    target_noise_power = signal_power * 10.0 ** (-snr / 10.0)  # (..., 1); 0 for a silent signal
    scale = torch.sqrt(target_noise_power / noise_power)  # (..., 1)
    return waveform + scale * noise

