"""What grading found, and its renderings: the results model, the feedback page, Gradescope's
results.json, the class's grades.csv, the terminal summary and the record ``export`` reads back."""
from __future__ import annotations

import csv
import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path


MESSAGE_LIMIT = 600
# The errors the grader writes into a graded notebook (autograder/preprocessors.py), by name
KERNEL_DIED = "KernelDied"  # the kernel died in this cell
NOT_RUN = "NotRun"  # a cell after the kernel died
OUTSIDE_FAILED = "OutsideCheckFailed"  # the check made outside the kernel failed (autograder/verdict.py)
HIDDEN_FAILED = "HiddenTestFailed"  # a hidden check, which only the grader judges, failed
RECORD = "grading.json"  # the class's detailed results, kept in the output folder for `export`
_TEMPLATE = Path(__file__).with_name("feedback.html.j2")


@dataclass(frozen=True)
class GradedCell:
    """A graded cell of the chapter: an autograded test, or a written answer graded by hand."""

    name: str
    exercise: str
    points: float
    manual: bool

@dataclass
class CellResult:
    cell: GradedCell
    score: float | None  # None: waits for manual grading
    status: str  # "passed", "failed", "needs manual grading" or "graded" (by hand)
    message: str = ""  # why an automatic test failed
    comment: str = ""  # the grader's comment, from formgrader
    hidden: bool = False  # the message is a hidden test's (Gradescope shows it when told to)

@dataclass
class StudentResult:
    student: str
    origin: str
    cells: list[CellResult] = field(default_factory=list)
    problem: str = ""  # why the submission could not be graded at all
    seconds: float = 0.0
    autograded: Path | None = None
    note: str = ""  # what went wrong while grading it, e.g. the kernel died in a cell

    def _sum(self, manual: bool, graded: bool = True) -> float:
        return sum((c.score or 0.0) if graded else c.cell.points for c in self.cells if c.cell.manual == manual)

    @property
    def score(self) -> float:
        """The automatic score (test cells; a score a grader set by hand in formgrader wins)."""
        return self._sum(manual=False)

    @property
    def max_score(self) -> float:
        return self._sum(manual=False, graded=False)

    @property
    def manual_score(self) -> float:
        """The points of the written answers graded so far."""
        return self._sum(manual=True)

    @property
    def manual_max(self) -> float:
        return self._sum(manual=True, graded=False)

    @property
    def pending(self) -> int:
        """How many written answers still wait for a grader."""
        return sum(c.score is None for c in self.cells)

    @property
    def total(self) -> float:
        return self.score + self.manual_score

    def to_dict(self) -> dict:
        data = asdict(self)
        data["autograded"] = str(self.autograded) if self.autograded else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> StudentResult:
        cells = [CellResult(GradedCell(**c.pop("cell")), **c) for c in data.pop("cells")]
        autograded = data.pop("autograded")
        return cls(cells=cells, autograded=Path(autograded) if autograded else None, **data)

def graded_cells(source: Path) -> list[GradedCell]:
    """The chapter's graded cells in order, each with the exercise it belongs to."""
    import nbformat

    nb = nbformat.read(source, as_version=4)
    cells, exercise = [], ""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and not meta.get("grade"):
            exercise = meta["grade_id"]
        elif meta.get("grade"):
            manual = cell.cell_type == "markdown" or bool(meta.get("solution"))
            cells.append(GradedCell(meta["grade_id"], meta["grade_id"] if manual else exercise,
                                    float(meta.get("points", 0)), manual))
    return cells

def results_json(result: StudentResult, hidden_messages: str | None = None, isolation: str = "") -> dict:
    """Gradescope's autograder results format for one student: the automatic tests, and the
    written answers once they are graded.

    ``hidden_messages``: for Gradescope itself, when students see the message of a test cell that
    failed in one of its hidden tests ("after_published", ...): the cell's test shows its name and
    points at once, and a test without points, of that visibility, the message. Written answers,
    which Gradescope cannot grade, are left out then (a line says so) and the score is the
    automatic one. ``isolation``: a sentence on how the notebook ran, added to the output."""
    gradescope = hidden_messages is not None
    output = f"Automatic score {result.score:g} / {result.max_score:g}."
    written = [c for c in result.cells if c.cell.manual]
    if written and gradescope:
        points = f"{result.manual_max:g} point" + ("" if result.manual_max == 1 else "s")
        output += (f" Written answers ({', '.join(c.cell.name for c in written)}; {points}) are "
                   f"not graded here: your instructor grades them by hand.")
    elif result.manual_max:
        output += (f" Written answers: {result.manual_score:g} / {result.manual_max:g}"
                   + (f" ({result.pending} still to be graded by hand)." if result.pending else "."))
    if result.problem:
        output += f" Problem: {result.problem}" + ("" if result.problem.endswith(".") else ".")
    if result.note:
        output += f" Note: {result.note}" + ("" if result.note.endswith(".") else ".")
    if isolation:
        output += f" {isolation}"
    tests = []
    for c in result.cells:
        if c.score is None or (gradescope and c.cell.manual):
            continue
        message = "\n".join(m for m in (c.message, c.comment) if m)
        later = gradescope and c.hidden and hidden_messages != "visible"
        tests.append({"name": c.cell.name, "score": c.score, "max_score": c.cell.points,
                      "status": "passed" if c.score >= c.cell.points else "failed",
                      "output": HIDDEN_LATER[hidden_messages] if later else message,
                      "visibility": "visible"})
        if later:
            tests.append({"name": f"{c.cell.name}: the hidden test's message", "status": "failed",
                          "output": message, "visibility": hidden_messages})
    score = result.score if gradescope else result.total
    return {"score": score, "execution_time": round(result.seconds, 1), "output": output, "tests": tests}


_LATER = "failed one of its hidden tests: its message is shown {}"
HIDDEN_LATER = {"after_published": _LATER.format("once the grades are published (a separate test, below)"),
                "after_due_date": _LATER.format("after the due date (a separate test, below)"),
                "hidden": _LATER.format("to your instructor only")}


def feedback_html(result: StudentResult, chapter: str) -> str:
    """A self-contained feedback page: each test's name, points and message; no test source."""
    from jinja2 import Environment, select_autoescape

    template = Environment(autoescape=select_autoescape(default=True)).from_string(_TEMPLATE.read_text())
    return template.render(result=result, chapter=chapter)


def write_outputs(results: list[StudentResult], chapter: str, out: Path) -> Path:
    """Per student: autograded notebook, feedback.html, results.json; for the class: grades.csv
    and the record ``export`` reads back."""
    out.mkdir(parents=True, exist_ok=True)
    for r in results:
        folder = out / r.student
        folder.mkdir(exist_ok=True)
        kept = folder / f"{chapter}.ipynb"
        if r.autograded is not None and r.autograded.exists() and r.autograded.resolve() != kept.resolve():
            shutil.copyfile(r.autograded, kept)
            r.autograded = kept
        elif r.autograded is None and kept.exists():  # from an earlier grading of this student
            kept.unlink()
        (folder / "feedback.html").write_text(feedback_html(r, chapter))
        (folder / "results.json").write_text(json.dumps(results_json(r), indent=2))
    (out / RECORD).write_text(json.dumps({"chapter": chapter, "results": [r.to_dict() for r in results]}, indent=1))
    cells = results[0].cells if results else []
    exercises = list(dict.fromkeys(c.cell.exercise for c in cells if not c.cell.manual))
    grades = out / "grades.csv"
    with grades.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "total", "max", "automatic score", "automatic max", "written answers",
                         "written max", "to grade by hand"] + [f"exercise:{e}" for e in exercises]
                        + [c.cell.name for c in cells] + ["problem"])
        for r in results:
            per_exercise = [sum(c.score or 0.0 for c in r.cells if c.cell.exercise == e and not c.cell.manual)
                            for e in exercises]
            per_cell = ["" if c.score is None else c.score for c in r.cells]
            writer.writerow([r.student, r.total, r.max_score + r.manual_max, r.score, r.max_score, r.manual_score,
                             r.manual_max, r.pending] + per_exercise + per_cell + [r.problem or r.note])
    return grades

def load_record(out: Path) -> tuple[str, list[StudentResult]]:
    """The results ``write_outputs`` recorded in ``out``."""
    record = Path(out) / RECORD
    if not record.exists():
        raise ValueError(f"{record} does not exist: grade the chapter first (python -m autograder grade)")
    data = json.loads(record.read_text())
    return data["chapter"], [StudentResult.from_dict(r) for r in data["results"]]

def summary(results: list[StudentResult]) -> str:
    width = max([len("student")] + [len(r.student) for r in results])
    lines = [f"{'student':<{width}}  {'automatic':>13}  {'written':>11}  {'time':>6}  problem",
             f"{'-' * width}  {'-' * 13}  {'-' * 11}  {'-' * 6}  -------"]
    for r in results:
        written = f"{r.manual_score:g} / {r.manual_max:g}" + ("*" if r.pending else " ")
        lines.append(f"{r.student:<{width}}  {r.score:>6g} / {r.max_score:<4g}  {written:>11}  "
                     f"{r.seconds:5.1f}s  {r.problem or r.note}")
    if any(r.pending for r in results):
        lines.append("* written answers still to grade by hand (formgrader in `make lab`), then "
                     "`python -m autograder export`")
    return "\n".join(lines)
