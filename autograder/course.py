"""Where the course lives and what its chapters are."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"  # nbgrader's markers in a test cell


def chapter_ids(root: Path = ROOT) -> list[str]:
    """The chapters (nbgrader assignment ids): the folders of ``solutions/`` holding a notebook."""
    source = Path(root) / "solutions"
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def copy_course(dest: Path, root: Path = ROOT) -> Path:
    """A throwaway nbgrader course at ``dest``: the course's sources, release and configuration
    (no gradebook, no submissions). For tests and benchmarks that must not touch the course."""
    import shutil

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for folder in ("solutions", "chapters"):
        shutil.copytree(Path(root) / folder, dest / folder, ignore=ignore)
    (dest / "autograder").mkdir()
    shutil.copy(Path(root) / "autograder" / "nbgrader_config.py", dest / "autograder" / "nbgrader_config.py")
    shutil.copy(Path(root) / "nbgrader_config.py", dest / "nbgrader_config.py")
    return dest


def tool_env() -> dict[str, str]:
    """The environment for nbgrader subprocesses: nbgrader runs ``alembic`` (and the
    kernels' ``python``) by name, so this Python's ``bin/`` must come first on PATH even
    when the virtual environment is not activated."""
    import os
    import sys

    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def flags(cell) -> dict:
    """A cell's nbgrader metadata ({} for a plain cell); ``cell`` is a NotebookNode or a dict."""
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def is_test_cell(cell) -> bool:
    """An autograded test cell: nbgrader's ``utils.is_grade`` and not ``is_solution``, in code.
    (Written out: importing ``nbgrader.utils`` imports nbgrader's server stack, 2 s, into every command.)"""
    meta = flags(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")
