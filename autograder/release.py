"""Regenerate ``chapters/`` (the student release) from ``solutions/`` with nbgrader.

First the autograded test cells of ``solutions/`` are written from their checks
(``autograder/checks/``, ``autograder/cells.py``). Then ``nbgrader generate_assignment`` removes the solutions and hidden tests, clears outputs,
locks the test cells and records their checksums in the gradebook. Each released notebook
is then stamped in its metadata with where it came from, so nobody edits it by hand.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

from .course import ROOT, chapter_ids, tool_env

STAMP_KEY = "traintech"


def release(chapters: list[str] | None = None, root: Path = ROOT, quiet: bool = False) -> list[Path]:
    """Release ``chapters`` (default: all) from ``root/solutions`` to ``root/chapters``.

    Returns the released notebooks' paths. Raises ``ValueError`` for an unknown chapter and
    ``RuntimeError`` (with nbgrader's output) when nbgrader fails.
    """
    root = Path(root).resolve()
    known = chapter_ids(root)
    chapters = list(chapters) if chapters else known
    for chapter in chapters:
        if chapter not in known:
            raise ValueError(f"unknown chapter {chapter!r}; the chapters are {', '.join(known)}")
    released: list[Path] = []
    from .cells import sync

    for chapter in chapters:
        changed = sync(chapter, root)  # the test cells of solutions/, written from autograder/checks/
        if changed and not quiet:
            print(f"wrote test cells {', '.join(changed)} of solutions/{chapter}", flush=True)
        cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", chapter, "--force"]
        if not quiet:
            print(f"releasing {chapter} ...", flush=True)
        result = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=tool_env())
        if result.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {chapter} failed:\n{result.stdout}\n{result.stderr}")
        for notebook in sorted((root / "chapters" / chapter).glob("*.ipynb")):
            stamp(notebook)
            released.append(notebook)
    return released


def stamp(notebook: Path) -> None:
    """Record in the notebook's metadata that it is generated. Students get this notebook as it
    is (the student edition, nbgrader's exchange): it names no file of the repository."""
    nb = nbformat.read(notebook, as_version=4)
    nb.metadata[STAMP_KEY] = {
        "generated_by": "python -m autograder release (nbgrader generate_assignment)",
        "note": "Generated file: edit the course's source notebook of this chapter, then run `make release`.",
    }
    nbformat.write(nb, notebook)
