"""The example class: four realistic submissions of every chapter, for a new instructor to
grade (``make grade``) and for the tests. They live in ``autograder/examples/<chapter>/`` as
an LMS would hand them over (``<student>_<chapter>.ipynb``) and are generated from the
chapter's release and solution, so they follow every change of the chapter:

    python -m autograder examples      # regenerate them (after `make release`)

- ``example-ada``: complete; every exercise and written answer done (the model solution).
- ``example-ben``: partly wrong; complete but for one plausible mistake (``MISTAKES``).
- ``example-cleo``: blank; the chapter as released, handed in untouched.
- ``example-dev``: crashes; complete but for a syntax error (a missing colon) in one
  solution cell (``CRASHES``): that cell defines nothing, so every test of it fails with a
  NameError, and the rest of the notebook is still graded.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from .course import ROOT, chapter_ids

STUDENTS = {
    "example-ada": "complete",
    "example-ben": "partly wrong",
    "example-cleo": "blank",
    "example-dev": "crashes",
}

# chapter -> (exercise, the solution's text, the mistaken text, the mistake)
MISTAKES = {
    "00_getting_started": ("standardize", ".mean(dim=dim, keepdim=True).sqrt()",
                           ".sum(dim=dim, keepdim=True).div(x.shape[dim] - 1).sqrt()",
                           "the sample standard deviation (N - 1) instead of the population one"),
    "01_regularization": ("dropout", "    scale = 1.0 / (1.0 - p) if p < 1.0 else 0.0",
                          "    scale = 1.0", "dropout without the 1 / (1 - p) rescaling"),
    "02_normalization": ("layer_norm", "var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)",
                         "var = x.var(dim=dims, keepdim=True)", "layer norm with the unbiased variance"),
    "03_initialization": ("kaiming_normal_", 'fan = fan_in if mode == "fan_in" else fan_out',
                          'fan = fan_out if mode == "fan_in" else fan_in', "Kaiming init with the two modes swapped"),
}
# chapter -> the exercise whose solution cell has the syntax error
CRASHES = {
    "00_getting_started": "standardize",
    "01_regularization": "sgd_step",
    "02_normalization": "group_norm",
    "03_initialization": "orthogonal_",
}
MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)


def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def answered(release: nbformat.NotebookNode, solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The release with every solution cell filled in with the solution (markers removed)."""
    sources = {_grade_id(c): c.source for c in solution.cells if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = MARKERS.sub("", sources[_grade_id(cell)]).rstrip("\n")
    nb.metadata.pop("traintech", None)  # a learner's copy: not the generated release itself
    return nb


def _cell(nb: nbformat.NotebookNode, grade_id: str):
    cells = [c for c in nb.cells if _grade_id(c) == grade_id]
    if len(cells) != 1:
        raise ValueError(f"expected one cell {grade_id!r}, found {len(cells)}")
    return cells[0]


def build(chapter: str, root: Path = ROOT) -> dict[str, nbformat.NotebookNode]:
    """The example class of ``chapter``: student id -> notebook."""
    root = Path(root)
    release = nbformat.read(root / "chapters" / chapter / f"{chapter}.ipynb", as_version=4)
    solution = nbformat.read(root / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
    complete = answered(release, solution)

    partly_wrong = nbformat.from_dict(complete)
    exercise, right, wrong, _ = MISTAKES[chapter]
    cell = _cell(partly_wrong, exercise)
    if cell.source.count(right) != 1:
        raise ValueError(f"{chapter}: the solution of {exercise!r} no longer contains {right!r}; update MISTAKES")
    cell.source = cell.source.replace(right, wrong)

    crashes = nbformat.from_dict(complete)
    cell = _cell(crashes, CRASHES[chapter])
    first, _, rest = cell.source.partition("\n")
    if not (first.startswith(("def ", "class ")) and first.endswith(":")):
        raise ValueError(f"{chapter}: the cell of {CRASHES[chapter]!r} does not start with a definition")
    cell.source = first[:-1] + "\n" + rest  # the missing colon

    blank = nbformat.from_dict(release)
    blank.metadata.pop("traintech", None)
    return {"example-ada": complete, "example-ben": partly_wrong, "example-cleo": blank, "example-dev": crashes}


def path(chapter: str, student: str, root: Path = ROOT) -> Path:
    return Path(root) / "autograder" / "examples" / chapter / f"{student}_{chapter}.ipynb"


def write(chapters: list[str] | None = None, root: Path = ROOT) -> list[Path]:
    written = []
    for chapter in chapters or chapter_ids(root):
        for student, nb in build(chapter, root).items():
            target = path(chapter, student, root)
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target)
            written.append(target)
    return written
