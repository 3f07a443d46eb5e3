"""Every example in traintech's docstrings runs and shows what it says (doctest)."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import matplotlib.pyplot as plt
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import traintech

MODULES = sorted(m.name for m in pkgutil.walk_packages(traintech.__path__, "traintech."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    torch.manual_seed(0)
    try:
        result = doctest.testmod(module, extraglobs={"torch": torch, "nn": nn, "F": F}, report=True,
                                 optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    finally:
        plt.close("all")
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples of {name} failed (printed above)"
