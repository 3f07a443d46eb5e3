"""The student edition as a graded class gets it: built by ``python -m autograder student``,
installed by its own ``make venv`` into a fresh virtual environment, and its chapters with the
solution cells pasted in, as a student who got everything right would hand them in.

Built once per test run, whichever test process asks first (a file lock; the other waits), in
pytest's temporary folder shared by the xdist workers.
"""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Edition:
    folder: Path  # dist/training-techniques-student/
    zip: Path
    python: Path  # the edition's .venv/bin/python
    pasted: Path  # <chapter>/<chapter>.ipynb: the released chapters with the solution cells pasted in
    kernels: Path  # a kernel spec "edition" that runs the edition's Python

    def chapter(self, chapter: str) -> Path:
        return self.pasted / chapter / f"{chapter}.ipynb"


def environment() -> dict[str, str]:
    """What the edition's make and kernels run with: this environment without this repository's
    Python (its virtual environment and anything on PYTHONPATH)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    venv_bin = str(ROOT / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return env


def build(base: Path) -> Edition:
    """The edition in ``base`` (built, installed and pasted the first time; afterwards found)."""
    from filelock import FileLock

    from autograder.course import chapter_ids
    from autograder.examples import answered
    from autograder.student import NAME, build as build_edition

    folder = base / "dist" / NAME
    edition = Edition(folder, base / "dist" / f"{NAME}.zip", folder / ".venv" / "bin" / "python",
                      base / "pasted", base / "kernels")
    with FileLock(str(base / "edition.lock")):
        if (base / "edition.ready").exists():
            return edition
        build_edition(base / "dist")
        # the edition's own `make venv`: a fresh virtual environment, `pip install -e .`
        made = subprocess.run(["make", "-C", str(folder), "venv", "PIP_ARGS=--no-compile"], env=environment(),
                              capture_output=True, text=True, timeout=1200)  # (no .pyc up front: half the time)
        if made.returncode != 0:
            raise RuntimeError(f"make venv failed in the student edition:\n{made.stdout[-3000:]}\n{made.stderr[-3000:]}")
        for chapter in chapter_ids():
            (edition.pasted / chapter).mkdir(parents=True, exist_ok=True)
            # what a student who got everything right hands in (the example class's complete notebook)
            nbformat.write(answered(nbformat.read(folder / "chapters" / chapter / f"{chapter}.ipynb", as_version=4),
                                    nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)),
                           edition.chapter(chapter))
        spec = edition.kernels / "edition"
        spec.mkdir(parents=True, exist_ok=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [str(edition.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Training Techniques (student edition)", "language": "python"}))
        (base / "edition.ready").touch()
    return edition
