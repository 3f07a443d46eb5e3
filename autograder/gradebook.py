"""The class gradebook (``autograder/gradebook.db``, what formgrader shows): reading a grading's
scores from nbgrader's bookkeeping, and merging each graded submission into the class's, one
writer at a time, as ``nbgrader autograde`` run in the class course would have written it."""
from __future__ import annotations

import shutil
from pathlib import Path

from .course import ROOT
from .results import CellResult, GradedCell, StudentResult


def class_gradebook(root: Path = ROOT) -> Path:
    return Path(root) / "autograder" / "gradebook.db"


def scores_from(gradebook: Path, chapter: str, student: str, cells: list[GradedCell],
                 messages: dict[str, str], problem: str) -> list[CellResult]:
    """Each graded cell's result as recorded in ``gradebook`` (nbgrader's own bookkeeping)."""
    from nbgrader.api import Gradebook, MissingEntry

    results = []
    with Gradebook("sqlite:///" + str(gradebook)) as gb:
        for cell in cells:
            try:
                grade = gb.find_grade(cell.name, chapter, chapter, student)
            except MissingEntry:
                grade = None
            comment = ""
            if cell.manual:
                try:
                    comment = gb.find_comment(cell.name, chapter, chapter, student).manual_comment or ""
                except MissingEntry:
                    pass
                if grade is None or grade.needs_manual_grade:
                    results.append(CellResult(cell, None, "needs manual grading", comment=comment))
                else:  # graded in formgrader, or left unanswered (nbgrader scores that 0 at once)
                    message = "" if grade.manual_score is not None else "No response."
                    results.append(CellResult(cell, grade.score, "graded", message, comment))
                continue
            if grade is not None and grade.manual_score is not None:
                score, message = grade.manual_score, "score set by a grader"
            else:
                score = grade.auto_score if grade is not None and grade.auto_score is not None else 0.0
                message = messages.get(cell.name, "")
            status = "passed" if score >= cell.points else "failed"
            if status == "failed" and not message:
                message = problem or "not run"
            results.append(CellResult(cell, score, status, message))
    return results


def merge_into_class(result: StudentResult, chapter: str, work: Path, root: Path = ROOT) -> None:
    """Record one graded submission in the class gradebook and course folders, as
    ``nbgrader autograde`` run in the class course would have (manual grades are kept)."""
    from nbgrader.api import Gradebook, MissingEntry

    root = Path(root)
    student, course = result.student, work / result.student
    folders = {name: root / "autograder" / name / student / chapter for name in ("submitted", "autograded")}
    with Gradebook("sqlite:///" + str(class_gradebook(root))) as dst:
        if result.autograded is None:  # nothing graded: no stale grade of an earlier submission remains
            try:
                dst.remove_submission(chapter, student)
            except MissingEntry:
                pass
            shutil.rmtree(folders["autograded"], ignore_errors=True)
            return
        with Gradebook("sqlite:///" + str(course / "autograder" / "gradebook.db")) as src:
            submitted = src.find_submission(chapter, student)
            dst.update_or_create_student(student)
            dst.update_or_create_submission(chapter, student, timestamp=submitted.timestamp)
            for notebook in submitted.notebooks:
                for grade in notebook.grades:
                    mine = dst.find_grade(grade.name, notebook.name, chapter, student)
                    mine.auto_score = grade.auto_score
                    mine.needs_manual_grade = mine.manual_score is not None or grade.auto_score is None
                for comment in notebook.comments:
                    dst.find_comment(comment.name, notebook.name, chapter, student).auto_comment = comment.auto_comment
            dst.db.commit()
    # The autograded folder is replaced. The submitted one only gains files: it may be where
    # the submission came from (`nbgrader collect` puts it there), and nothing is deleted there.
    autograded = folders["autograded"]
    if autograded.exists():
        shutil.rmtree(autograded)
    shutil.copytree(course / "autograder" / "autograded" / student / chapter, autograded)
    for source in (course / "autograder" / "submitted" / student / chapter).iterdir():
        target = folders["submitted"] / source.name
        if not (target.exists() and target.read_bytes() == source.read_bytes()):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)

def refresh(results: list[StudentResult], chapter: str, root: Path = ROOT) -> None:
    """Update ``results`` with the class gradebook: written answers graded in formgrader, scores
    a grader overrode, and the graders' comments."""
    gradebook = class_gradebook(root)
    if not gradebook.exists():
        return
    for r in results:
        if r.problem:
            continue
        messages = {c.cell.name: c.message for c in r.cells if not c.cell.manual and c.status == "failed"}
        r.cells = scores_from(gradebook, chapter, r.student, [c.cell for c in r.cells], messages, r.problem)
