"""Preprocessing: standardizing features.

Reference implementation for chapter 0 (``00_getting_started``); ``tests/test_preprocessing.py``
compares it with scikit-learn's ``StandardScaler``.
"""
from __future__ import annotations

import torch

__all__ = ["standardize"]


def standardize(x: torch.Tensor, dim: int = 0, eps: float = 1e-8) -> torch.Tensor:
    """Standardize ``x`` to zero mean and unit (population) standard deviation along ``dim``.

    Args:
        x: a floating-point tensor.
        dim: the dimension the statistics are taken over. Default: 0 (the examples)
        eps: added to the standard deviation. Default: 1e-8

    Returns:
        A new tensor of ``x``'s shape and dtype: ``(x - mean) / (std + eps)``.

    Example:
        >>> standardize(torch.tensor([[1.0], [3.0]]))
        tensor([[-1.],
                [ 1.]])
    """
    mean = x.mean(dim=dim, keepdim=True)
    std = x.std(dim=dim, keepdim=True, correction=0)
    return (x - mean) / (std + eps)
