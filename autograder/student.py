"""``python -m autograder student``: the student edition, what a graded class gets (``make student``).

A folder and a zip in ``dist/`` holding what a student of a graded class may see:

- ``chapters/``: the chapters released afresh from ``solutions/`` (nbgrader's release: no
  solution, no hidden test), never the working tree's ``chapters/``, where a self-study learner
  works: the same files ``make release`` commits and nbgrader's exchange hands out;
- ``traintech/``: the course's package without its subpackage ``traintech.reference``, the graded
  exercises' reference implementations. The layout decides: every graded answer lives in that
  subpackage (or in ``solutions/``), every helper the chapters use lives outside it;
- ``traintech/expected.json``: what the *visible* checks need from those references, as data
  (each visible check's ``collect`` run on the reference here, see ``traintech.checking.run``);
- the pinned dependencies (``pyproject.toml`` with the repository's dependency list,
  ``environment.yml``), ``course.mk`` (``make lab``, the virtual environment), the student's
  ``Makefile`` and ``README.md`` from ``autograder/edition/``, and an ``nbgrader_config.py`` that
  runs a chapter as grading does (the course configuration's cell timeout and kernel extension).

``tests/test_student.py`` checks that it installs, runs, and holds no answer.
"""
from __future__ import annotations

import functools
import json
import shutil
import tempfile
from pathlib import Path

from .course import ROOT, chapter_ids
from .verdict import LEFT_OUT

NAME = "training-techniques-student"
EDITION_FILES = Path(__file__).resolve().parent / "edition"  # the student's Makefile and README.md

# The edition's packaging: the repository's [project] table (same pins), then these.
_PACKAGING = """[tool.setuptools.packages.find]
include = ["traintech*"]

[tool.setuptools.package-data]
traintech = ["assets/*", "expected.json"]
"""


def expected(chapter: str) -> dict:
    """The reference data of the chapter's visible checks whose reference is left out of the
    edition (as the grader computes it), filed as ``traintech.checking.run`` looks for it."""
    from .checks import cells
    from .verdict import kernel_table, reference_encoded

    visible = {grade_id: [None if check.hidden else reference_encoded(chapter, check) for check in cell.checks]
               for grade_id, cell in cells(chapter).items()}
    return kernel_table(chapter, visible)


def _package_files(package: Path, directory: str, names: list[str]) -> set[str]:
    """What ``shutil.copytree`` leaves out of the ``package`` folder: the graded answers and build leftovers."""
    left_out = {name for name in names if name == "__pycache__" or name.endswith((".pyc", ".egg-info"))}
    if Path(directory).resolve() == package.resolve() and LEFT_OUT in names:
        left_out.add(LEFT_OUT)
    return left_out


def nbgrader_config(root: Path = ROOT) -> str:
    """The edition's ``nbgrader_config.py``: the course configuration's settings for running a
    chapter's kernel (``make test``, the Validate button), so a chapter validates as it is graded."""
    from traitlets.config.loader import PyFileConfigLoader

    execute = PyFileConfigLoader("nbgrader_config.py", path=str(root / "autograder")).load_config().Execute
    return ("# How nbgrader runs a chapter here (make test, the Validate button): as the course's grading runs it.\n"
            "c = get_config()  # noqa: F821\n"
            f"c.Execute.timeout = {execute.timeout!r}\n"
            f"c.Execute.extra_arguments = {list(execute.extra_arguments)!r}\n")


def pyproject(root: Path = ROOT) -> str:
    """The repository's ``pyproject.toml`` up to its packaging, then the edition's packaging."""
    text = (root / "pyproject.toml").read_text()
    head, found, _ = text.partition("[tool.setuptools.packages.find]")
    if not found:
        raise RuntimeError("pyproject.toml has no [tool.setuptools.packages.find]: cannot package the edition")
    return head + _PACKAGING


def build(out: Path = ROOT / "dist", root: Path = ROOT) -> Path:
    """Write the edition to ``out/NAME/`` and ``out/NAME.zip``; return the folder."""
    folder = out / NAME
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    from .course import copy_course
    from .release import release

    with tempfile.TemporaryDirectory() as tmp:  # a fresh release of solutions/, not the working tree's chapters/
        course = copy_course(Path(tmp) / "course", root)
        shutil.rmtree(course / "chapters")
        release(root=course, quiet=True)
        shutil.copytree(course / "chapters", folder / "chapters")
    expected_data = {}
    for chapter in chapter_ids(root):
        expected_data.update(expected(chapter))
    shutil.copytree(root / "traintech", folder / "traintech",
                    ignore=functools.partial(_package_files, root / "traintech"))
    from traintech.checking import EXPECTED

    (folder / "traintech" / EXPECTED).write_text(json.dumps(expected_data, sort_keys=True))
    (folder / "pyproject.toml").write_text(pyproject(root))
    (folder / "nbgrader_config.py").write_text(nbgrader_config(root))
    for name in ("environment.yml", "course.mk"):
        shutil.copy2(root / name, folder / name)
    for path in sorted(EDITION_FILES.iterdir()):
        shutil.copy2(path, folder / path.name)
    archive = shutil.make_archive(str(out / NAME), "zip", root_dir=out, base_dir=NAME)
    print(f"student edition: {folder}\n                 {archive}")
    return folder
