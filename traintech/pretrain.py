r"""A small pre-trained network for the transfer-learning section, made here, never downloaded.

``python -m traintech.pretrain`` trains :func:`build_digits_net` on the handwritten digits
**0–4** of the training split of :func:`traintech.data.load_digits` (``seed=0``) and writes
its ``state_dict`` to ``traintech/assets/pretrained_digits04.pt`` (about 60 kB). Chapter 3
then transfers it to the digits **5–9**, which the network has never seen, with few labels.

The run is deterministic: full-batch Adam from a fixed seed, on the same tensors every
time, so running the script again reproduces the committed weights.

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

from traintech.data import load_digits

__all__ = [
    "PRETRAIN_CLASSES",
    "TRANSFER_CLASSES",
    "WEIGHTS_PATH",
    "build_digits_net",
    "pretrain_split",
    "pretrain",
    "load_pretrained",
]

PRETRAIN_CLASSES = (0, 1, 2, 3, 4)
TRANSFER_CLASSES = (5, 6, 7, 8, 9)
WEIGHTS_PATH = Path(__file__).resolve().parent / "assets" / "pretrained_digits04.pt"


def build_digits_net(num_classes: int = 5, hidden: tuple[int, int] = (128, 64)) -> nn.Sequential:
    """The network: ``Flatten → Linear(64, 128) → ReLU → Linear(128, 64) → ReLU → Linear(64, num_classes)``.

    Index 1 and 3 are the body (general features), index 5 the head (task-specific).

    Shape:
        - input: ``(N, 1, 8, 8)``; output: ``(N, num_classes)`` logits
    """
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(64, hidden[0]), nn.ReLU(),
        nn.Linear(hidden[0], hidden[1]), nn.ReLU(),
        nn.Linear(hidden[1], num_classes),
    )


def pretrain_split(classes=PRETRAIN_CLASSES, split: str = "train", seed: int = 0):
    """``(x, y)`` of one split of the digits restricted to ``classes``, labels renumbered ``0..k-1``.

    Args:
        classes: the digits to keep, in the order of their new labels.
        split: ``"train"``, ``"val"`` or ``"test"``.
        seed: the seed of :func:`traintech.data.load_digits`. Default: 0
    """
    if split not in ("train", "val", "test"):
        raise ValueError(f"split has to be 'train', 'val' or 'test', but got {split!r}")
    data = load_digits(seed=seed)
    x, y = getattr(data, f"x_{split}"), getattr(data, f"y_{split}")
    keep = torch.isin(y, torch.tensor(list(classes)))
    relabel = {c: i for i, c in enumerate(classes)}
    return x[keep], torch.tensor([relabel[int(label)] for label in y[keep]], dtype=torch.int64)


def pretrain(epochs: int = 150, lr: float = 3e-3, seed: int = 0) -> nn.Sequential:
    """Train :func:`build_digits_net` on digits 0–4, full batch, deterministically.

    Args:
        epochs: full-batch Adam steps. Default: 150
        lr: Adam's learning rate. Default: 3e-3
        seed: initializes the weights. Default: 0

    Returns:
        the trained network, in eval mode.
    """
    x, y = pretrain_split(PRETRAIN_CLASSES, "train")
    torch.manual_seed(seed)
    model = build_digits_net(len(PRETRAIN_CLASSES))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return model.eval()


def accuracy(model: nn.Module, split: str = "test") -> float:
    """Accuracy of ``model`` on digits 0–4 of ``split``."""
    x, y = pretrain_split(PRETRAIN_CLASSES, split)
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def load_pretrained(path: str | Path | None = None) -> nn.Sequential:
    """The network pre-trained on digits 0–4, weights loaded from the package (no download).

    Args:
        path: another weights file. Default: the committed ``assets/pretrained_digits04.pt``

    Returns:
        a fresh :func:`build_digits_net` with the weights loaded, in eval mode.
    """
    path = WEIGHTS_PATH if path is None else Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no pre-trained weights at {path}: run `python -m traintech.pretrain`")
    model = build_digits_net(len(PRETRAIN_CLASSES))
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Pre-train the digits 0-4 network for chapter 3.")
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH, help="where to write the state_dict")
    parser.add_argument("--epochs", type=int, default=150)
    args = parser.parse_args(argv)
    model = pretrain(epochs=args.epochs)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.1f} kB); "
          f"accuracy on digits 0-4: validation {accuracy(model, 'val'):.3f}, test {accuracy(model, 'test'):.3f}")


if __name__ == "__main__":
    main()
