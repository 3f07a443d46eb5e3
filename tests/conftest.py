"""Shared fixtures: the repository, its notebooks, and throwaway copies of the course."""
from __future__ import annotations

import os

# The suite runs on two xdist workers over two cores, and every notebook runs in a kernel
# that inherits this environment: one math thread each. (Oversubscribed OpenMP threads spin
# while they wait, which made two parallel notebook kernels several times slower.)
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import subprocess
from pathlib import Path

import matplotlib
import pytest

from autograder.course import copy_course, tool_env  # noqa: F401 - copy_course: for the tests
from executed import close_all, executed

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
CHAPTERS = sorted((ROOT / "chapters").glob("*/*.ipynb"))


def run(cmd: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=tool_env(), capture_output=True, text=True, timeout=timeout)


def pytest_report_header(config):
    """Which instruction sets PyTorch's CPU layers were told to use (tests/simulated_cpu.py)."""
    import torch

    told = [f"{v}={os.environ[v]}" for v in ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS")
            if v in os.environ]
    return f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}" + (
        f" ({', '.join(told)})" if told else "")


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true",
                     help="also run the slow proofs (marked slow; `make test-slow` runs only them)")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a slow proof, run only with --slow (make test-slow)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="a slow proof: run it with `make test-slow`")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def _executed_notebooks():
    yield
    close_all()


@pytest.fixture(scope="module")
def chapter(request, _executed_notebooks):
    """The solution notebook named by the test module's CHAPTER, executed once (tests/executed.py)."""
    return executed(request.module.CHAPTER)


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return copy_course(tmp_path / "course")
