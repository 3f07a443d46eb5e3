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


def _needs_edition(item) -> bool:
    """Whether the test uses the fixtures below (a parameter named ``chapter`` is not the fixture)."""
    fixtures = set(getattr(item, "fixturenames", ())) - set(getattr(getattr(item, "callspec", None), "params", {}))
    return bool({"edition", "chapter"} & fixtures)


def pytest_collection_modifyitems(config, items):
    # The student edition's tests last: its fresh virtual environment is installed meanwhile
    # (pytest_xdist_node_collection_finished), instead of keeping a worker waiting.
    # The Gradescope bundle's (two minutes on one worker) first, so that the rest runs beside it.
    items.sort(key=lambda item: (item.path.name in EDITION_MODULES, item.path.name != "test_gradescope.py"))
    stray = {item.path.name for item in items if _needs_edition(item)} - set(EDITION_MODULES)
    if stray:
        raise pytest.UsageError(f"{sorted(stray)} use the student edition: add them to EDITION_MODULES")
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


_building = []


def pytest_xdist_node_collection_finished(node, ids):
    """In the xdist controller, once a worker has collected: when the run needs the student edition,
    build and install it in the background now (tests/edition.py), for all workers."""
    if _building or not any(i.split("::")[0].endswith(EDITION_MODULES) for i in ids):
        return
    import threading

    from edition import build

    base = node.config._tmp_path_factory.getbasetemp()  # the workers' temporary folders are inside it
    _building.append(threading.Thread(target=build, args=(base,), daemon=True))
    _building[0].start()


EDITION_MODULES = ("test_student.py", "test_claims_00.py", "test_claims_01.py", "test_claims_02.py",
                   "test_claims_03.py", "test_exchange.py", "test_release.py")


@pytest.fixture(scope="session")
def edition(tmp_path_factory, worker_id):
    """The student edition, built and installed once for all test processes (tests/edition.py)."""
    from edition import build

    shared = tmp_path_factory.getbasetemp()
    return build(shared if worker_id == "master" else shared.parent)


@pytest.fixture(scope="module")
def chapter(request, edition, _executed_notebooks):
    """The chapter named by the test module's CHAPTER, with its solutions pasted in, executed once
    in the student edition (tests/executed.py)."""
    return executed(request.module.CHAPTER, edition)


@pytest.fixture
def course(tmp_path: Path) -> Path:
    return copy_course(tmp_path / "course")
