r"""Offline datasets for the course: nothing here ever downloads.

- :func:`load_digits` — scikit-learn's bundled 8×8 handwritten digits (1,797 images);
- :func:`load_mnist1d` — MNIST-1D (Greydanus & Kobak, 2024), *generated* locally by the
  ``mnist1d`` package (its ``get_dataset`` download path is never used);
- :func:`synthetic_sentences` and :func:`synthetic_audio` — small made-up text and sound
  for the augmentation examples.

Both image-like loaders return a :class:`Splits` of ready tensors (train / validation /
test, stratified, channel-first float32 inputs and int64 labels), deterministic for a
given ``seed``; :meth:`Splits.loaders` wraps them in DataLoaders whose shuffling is seeded.

Example:
    >>> data = load_digits(n_train=200, seed=0)
    >>> data.x_train.shape, data.num_classes
    (torch.Size([200, 1, 8, 8]), 10)
    >>> train_loader, val_loader, test_loader = data.loaders(batch_size=64)
"""
from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

__all__ = ["Splits", "load_digits", "load_mnist1d", "synthetic_sentences", "synthetic_audio"]


@dataclass(frozen=True)
class Splits:
    """Train / validation / test tensors of one dataset.

    Shape:
        - x_*: ``(N, C, *)`` float32 (digits: ``(N, 1, 8, 8)``; MNIST-1D: ``(N, 1, 40)``)
        - y_*: ``(N,)`` int64 class labels in ``[0, num_classes)``
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int
    name: str

    def loaders(self, batch_size: int = 64, seed: int = 0, eval_batch_size: int = 512):
        """``(train_loader, val_loader, test_loader)``; only training batches are shuffled.

        The training loader shuffles with its own ``torch.Generator`` seeded by ``seed``,
        so two loaders made with the same seed give the same batches, whatever the global
        random state.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        generator = torch.Generator().manual_seed(seed)
        train = DataLoader(
            TensorDataset(self.x_train, self.y_train), batch_size=batch_size, shuffle=True, generator=generator
        )
        val = DataLoader(TensorDataset(self.x_val, self.y_val), batch_size=eval_batch_size)
        test = DataLoader(TensorDataset(self.x_test, self.y_test), batch_size=eval_batch_size)
        return train, val, test

    def __repr__(self) -> str:
        return (
            f"Splits({self.name}: train {tuple(self.x_train.shape)}, val {tuple(self.x_val.shape)}, "
            f"test {tuple(self.x_test.shape)}, {self.num_classes} classes)"
        )


def _stratified_split(y: np.ndarray, fractions: tuple[float, ...], seed: int) -> list[np.ndarray]:
    """Indices of ``len(fractions)`` disjoint parts, each with every class in proportion."""
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[] for _ in fractions]
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        bounds = np.round(np.cumsum((0.0,) + fractions) * len(idx)).astype(int)
        for k in range(len(fractions)):
            parts[k].append(idx[bounds[k] : bounds[k + 1]])
    return [rng.permutation(np.concatenate(p)) for p in parts]


def _balanced_subset(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` indices into ``y`` with the classes as balanced as possible."""
    if n > len(y):
        raise ValueError(f"n_train={n} is larger than the {len(y)} training examples available")
    rng = np.random.default_rng(seed + 1)
    per_class = {label: list(rng.permutation(np.flatnonzero(y == label))) for label in np.unique(y)}
    chosen: list[int] = []
    while len(chosen) < n:  # round-robin over classes
        for label in sorted(per_class):
            if per_class[label] and len(chosen) < n:
                chosen.append(per_class[label].pop())
    return rng.permutation(np.array(chosen))


def _make_splits(x: np.ndarray, y: np.ndarray, name: str, n_train: int | None, seed: int,
                 val_fraction: float, test_fraction: float) -> Splits:
    if not (0 < val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError(
            f"val_fraction and test_fraction must be in (0, 1) with a sum below 1, "
            f"got {val_fraction} and {test_fraction}"
        )
    train_fraction = 1.0 - val_fraction - test_fraction
    train_idx, val_idx, test_idx = _stratified_split(y, (train_fraction, val_fraction, test_fraction), seed)
    if n_train is not None:
        if not isinstance(n_train, int) or n_train < 1:
            raise ValueError(f"n_train must be a positive integer, got {n_train!r}")
        train_idx = train_idx[_balanced_subset(y[train_idx], n_train, seed)]

    def tensors(idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.tensor(x[idx], dtype=torch.float32), torch.tensor(y[idx], dtype=torch.int64)

    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = tensors(train_idx), tensors(val_idx), tensors(test_idx)
    return Splits(x_tr, y_tr, x_va, y_va, x_te, y_te, num_classes=int(y.max()) + 1, name=name)


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()  # ships inside scikit-learn: no download
    x = (bunch.images / 16.0).astype(np.float32)[:, None, :, :]  # (1797, 1, 8, 8) in [0, 1]
    return x, bunch.target.astype(np.int64)


def load_digits(n_train: int | None = None, seed: int = 0, val_fraction: float = 0.2,
                test_fraction: float = 0.2) -> Splits:
    """scikit-learn's 8×8 handwritten digits as train / validation / test tensors.

    Pixels are scaled to ``[0, 1]``. The split is stratified and fixed by ``seed``; the
    test split never depends on ``n_train``, so runs with different training-set sizes
    are compared on the same held-out data.

    Args:
        n_train: keep only this many training examples, classes balanced (for overfitting
            experiments). Default: all (1,077)
        seed: fixes the split and the subset. Default: 0
        val_fraction, test_fraction: sizes of the held-out splits. Default: 0.2 each

    Shape:
        - x: ``(N, 1, 8, 8)`` float32; y: ``(N,)`` int64 in ``[0, 10)``
    """
    x, y = _digits_arrays()
    return _make_splits(x, y, "digits", n_train, seed, val_fraction, test_fraction)


@functools.lru_cache(maxsize=4)
def _mnist1d_arrays(num_samples: int, data_seed: int) -> tuple[np.ndarray, np.ndarray]:
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples = num_samples
    args.seed = data_seed
    # make_dataset reseeds the global `random` and NumPy generators: keep the caller's state.
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        raw = make_dataset(args)  # generated here; get_dataset() would try to download
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    x = np.concatenate([raw["x"], raw["x_test"]]).astype(np.float32)[:, None, :]  # (N, 1, 40)
    y = np.concatenate([raw["y"], raw["y_test"]]).astype(np.int64)
    return x, y


def load_mnist1d(n_train: int | None = None, seed: int = 0, num_samples: int = 4000,
                 val_fraction: float = 0.2, test_fraction: float = 0.2) -> Splits:
    """MNIST-1D, generated locally: 10 classes of 40-sample 1-D signals.

    A harder small benchmark than the digits, where model choices visibly matter
    (Greydanus & Kobak, "Scaling down deep learning with MNIST-1D", 2024).

    Args:
        n_train: keep only this many training examples, classes balanced. Default: all
        seed: fixes the split and the subset (the signals themselves use the package's
            default generator seed, 42). Default: 0
        num_samples: how many signals to generate. Default: 4000
        val_fraction, test_fraction: sizes of the held-out splits. Default: 0.2 each

    Shape:
        - x: ``(N, 1, 40)`` float32; y: ``(N,)`` int64 in ``[0, 10)``
    """
    if num_samples < 100:
        raise ValueError(f"num_samples must be at least 100, got {num_samples}")
    x, y = _mnist1d_arrays(num_samples, 42)
    return _make_splits(x, y, "mnist1d", n_train, seed, val_fraction, test_fraction)


_SUBJECTS = ["the movie", "this film", "the story", "the plot", "the music", "the actor", "the ending",
             "this book"]
_VERBS = ["is", "was", "felt", "seemed"]
_ADVERBS = ["really", "very", "almost", "always", "quite"]
_ADJECTIVES = ["good", "bad", "boring", "funny", "strange", "wonderful", "terrible", "interesting", "slow",
               "beautiful"]
_TAILS = ["and i want to see it again", "but the end was weak", "and the music was loud",
          "so i think it was a mistake", "and my friend was happy", "for the whole show"]


def synthetic_sentences(n: int = 8, seed: int = 0) -> list[str]:
    """``n`` short made-up movie-review sentences (for the text augmentations).

    Built from a small vocabulary that the course's synonym table covers, so that every
    EDA operation has words to work on.
    """
    if n < 1:
        raise ValueError(f"n must be a positive integer, got {n}")
    rng = random.Random(seed)
    return [
        f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_ADVERBS)} {rng.choice(_ADJECTIVES)} "
        f"{rng.choice(_TAILS)}"
        for _ in range(n)
    ]


def synthetic_audio(duration: float = 1.0, sample_rate: int = 8000, frequencies=(440.0, 660.0),
                    seed: int = 0) -> torch.Tensor:
    r"""A short synthetic sound: a sum of decaying tones plus a little noise.

    .. math:: s(t) = \sum_k \tfrac{1}{k} \sin(2\pi f_k t)\, e^{-2t} + 0.01\,\varepsilon(t)

    Args:
        duration: seconds. Default: 1.0
        sample_rate: samples per second. Default: 8000
        frequencies: tone frequencies in Hz (each below ``sample_rate / 2``). Default: (440, 660)
        seed: seeds the noise. Default: 0

    Shape:
        - output: ``(round(duration * sample_rate),)`` float32
    """
    if duration <= 0 or sample_rate <= 0:
        raise ValueError(f"duration and sample_rate must be positive, got {duration} and {sample_rate}")
    for f in frequencies:
        if not 0 < f < sample_rate / 2:
            raise ValueError(f"frequency {f} Hz must lie in (0, sample_rate / 2 = {sample_rate / 2})")
    n = int(round(duration * sample_rate))
    t = torch.arange(n, dtype=torch.float64) / sample_rate
    signal = sum(torch.sin(2 * math.pi * f * t) / (k + 1) for k, f in enumerate(frequencies))
    signal = signal * torch.exp(-2.0 * t)
    noise = torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return (signal + 0.01 * noise).to(torch.float32)
