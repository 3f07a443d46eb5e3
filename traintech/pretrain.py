r"""A small pre-trained network for the transfer-learning section, made here, never downloaded.

``python -m traintech.pretrain`` trains :func:`build_mnist1d_cnn`, a small 1-D convolutional
network, on the classes **0–4** of the training split of MNIST-1D
(:func:`traintech.data.load_mnist1d` with ``seed=0``, generated locally) and writes its
``state_dict`` to ``traintech/assets/pretrained_mnist1d04.pt`` (about 100 kB). Chapter 3
then transfers it to the classes **5–9**, which the network has never seen, with few labels.
The committed weights reach 92.8 % validation and 94.7 % test accuracy on classes 0–4
(``tests/test_pretrain.py`` requires at least 90 %).

The run is deterministic on one machine: Adam from a fixed seed, mini-batches shuffled by a
seeded generator, one thread, so running the script again on the same machine gives the same
weights bit for bit. It does not reproduce the committed file's bits elsewhere: PyTorch's CPU
kernels, oneDNN's convolutions and MKL's matrix products use the instruction sets of the
processor, sum in another order, and training amplifies those last-bit differences (by up to
0.05 in a weight, measured). What a re-run reproduces on any machine is the network's behaviour:
its accuracy on classes 0–4 within 2 points of the committed network's, and the same
predictions on at least 96 % of the held-out signals (:func:`agreement`; measured: 99.5–100 %
on five simulated processors, while another seed gives a network that agrees on about 92 %).
``tests/test_pretrain.py`` checks both, on this processor and on a simulated one without AVX.

Example:
    >>> model = load_pretrained()             # the network with its 5-way head for 0–4
    >>> model[-1]                              # replace the head for a new task
    Linear(in_features=64, out_features=5, bias=True)
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from traintech.data import load_mnist1d

__all__ = [
    "PRETRAIN_CLASSES",
    "TRANSFER_CLASSES",
    "WEIGHTS_PATH",
    "build_mnist1d_cnn",
    "pretrain_split",
    "pretrain",
    "load_pretrained",
    "accuracy",
    "agreement",
]

PRETRAIN_CLASSES = (0, 1, 2, 3, 4)
TRANSFER_CLASSES = (5, 6, 7, 8, 9)
WEIGHTS_PATH = Path(__file__).resolve().parent / "assets" / "pretrained_mnist1d04.pt"


def build_mnist1d_cnn(num_classes: int = 5) -> nn.Sequential:
    """The network, a 1-D CNN for MNIST-1D's 40-sample signals (23,557 parameters with the 5-way head).

    ``Conv1d(1, 16, 5) → ReLU → MaxPool → Conv1d(16, 32, 5) → ReLU → MaxPool → Flatten →
    Linear(320, 64) → ReLU → Linear(64, num_classes)``. Indices 0, 3 and 7 are the body
    (general features, earliest first), index 9 the head (task-specific).

    Shape:
        - input: ``(N, 1, 40)``; output: ``(N, num_classes)`` logits
    """
    return nn.Sequential(
        nn.Conv1d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),   # (N, 16, 20)
        nn.Conv1d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),  # (N, 32, 10)
        nn.Flatten(),                                                 # (N, 320)
        nn.Linear(320, 64), nn.ReLU(),
        nn.Linear(64, num_classes),
    )


def pretrain_split(classes=PRETRAIN_CLASSES, split: str = "train", seed: int = 0):
    """``(x, y)`` of one split of MNIST-1D restricted to ``classes``, labels renumbered ``0..k-1``.

    Args:
        classes: the classes to keep, in the order of their new labels.
        split: ``"train"``, ``"val"`` or ``"test"``.
        seed: the seed of :func:`traintech.data.load_mnist1d`. Default: 0
    """
    if split not in ("train", "val", "test"):
        raise ValueError(f"split has to be 'train', 'val' or 'test', but got {split!r}")
    data = load_mnist1d(seed=seed)
    x, y = getattr(data, f"x_{split}"), getattr(data, f"y_{split}")
    keep = torch.isin(y, torch.tensor(list(classes)))
    relabel = {c: i for i, c in enumerate(classes)}
    return x[keep], torch.tensor([relabel[int(label)] for label in y[keep]], dtype=torch.int64)


def pretrain(epochs: int = 30, lr: float = 3e-3, batch_size: int = 100, seed: int = 0) -> nn.Sequential:
    """Train :func:`build_mnist1d_cnn` on MNIST-1D classes 0–4, deterministically.

    Args:
        epochs: passes over the 1,200 training signals of classes 0–4. Default: 30
        lr: Adam's learning rate. Default: 3e-3
        batch_size: mini-batch size. Default: 100
        seed: initializes the weights and shuffles the batches. Default: 0

    Returns:
        the trained network, in eval mode.
    """
    x, y = pretrain_split(PRETRAIN_CLASSES, "train")
    torch.manual_seed(seed)
    model = build_mnist1d_cnn(len(PRETRAIN_CLASSES))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    model.train()
    for _ in range(epochs):
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return model.eval()


def accuracy(model: nn.Module, split: str = "test") -> float:
    """Accuracy of ``model`` on classes 0–4 of ``split``."""
    x, y = pretrain_split(PRETRAIN_CLASSES, split)
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def agreement(model: nn.Module, other: nn.Module, splits=("val", "test")) -> float:
    """The fraction of the held-out signals of classes 0–4 (``splits``) on which the two networks
    predict the same class."""
    x = torch.cat([pretrain_split(PRETRAIN_CLASSES, split)[0] for split in splits])
    with torch.no_grad():
        return (model(x).argmax(dim=1) == other(x).argmax(dim=1)).float().mean().item()


def load_pretrained(path: str | Path | None = None) -> nn.Sequential:
    """The network pre-trained on MNIST-1D classes 0–4, weights loaded from the package (no download).

    Args:
        path: another weights file. Default: the committed ``assets/pretrained_mnist1d04.pt``

    Returns:
        a fresh :func:`build_mnist1d_cnn` with the weights loaded, in eval mode.
    """
    path = WEIGHTS_PATH if path is None else Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no pre-trained weights at {path}: run `python -m traintech.pretrain`")
    model = build_mnist1d_cnn(len(PRETRAIN_CLASSES))
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Pre-train the MNIST-1D classes 0-4 network for chapter 3.")
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH, help="where to write the state_dict")
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # one summation order from run to run (on this machine's kernels)
    model = pretrain(epochs=args.epochs)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.1f} kB); "
          f"accuracy on classes 0-4: validation {accuracy(model, 'val'):.3f}, test {accuracy(model, 'test'):.3f}")
    if args.out.resolve() != WEIGHTS_PATH and WEIGHTS_PATH.exists():
        print(f"agrees with the committed network on {agreement(model, load_pretrained()):.1%} "
              "of the held-out signals")


if __name__ == "__main__":
    main()
