"""Grade a class's submissions of one chapter with nbgrader, several at a time.

How it works, and why it is safe to run in parallel:

1. The chapter is (re)generated from ``solutions/`` into the *class gradebook*
   (``autograder/gradebook.db``, the one JupyterLab's formgrader shows) with
   ``nbgrader generate_assignment``; its test cells, hidden tests included, and their
   checksums are recorded there. A *master* course folder holds a snapshot of it.
2. Every submission gets its own copy of the master folder and gradebook, and its own
   ``nbgrader autograde`` process (hence its own kernel). nbgrader restores the test cells
   from the gradebook (``OverwriteCells``), so an edited or deleted test cannot earn
   points. SQLite never sees two writers: each process writes only its own copy.
3. As each submission finishes, the grading thread's results are merged into the class
   gradebook, one at a time, with nbgrader's own API (``update_or_create_submission``,
   then the automatic scores and comments), exactly as ``nbgrader autograde`` would have
   written them: a manual grade given earlier in formgrader is kept. The submitted and the
   autograded notebook are copied into the class course, so formgrader can show them.
4. The messages for the feedback come from the autograded notebook: the error name and
   message of a failing test cell, never its source or a traceback into it.

The submitted files themselves are only ever read (copied into the work folder).
"""
from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from .course import ROOT, tool_env
from .intake import Submission

ANSI = re.compile(r"\x1b\[[0-9;]*m")
MESSAGE_LIMIT = 600
RECORD = "grading.json"  # the class's detailed results, kept in the output folder for `export`


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


@dataclass
class StudentResult:
    student: str
    origin: str
    cells: list[CellResult] = field(default_factory=list)
    problem: str = ""
    seconds: float = 0.0
    autograded: Path | None = None

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


def class_gradebook(root: Path = ROOT) -> Path:
    return Path(root) / "autograder" / "gradebook.db"


def _nbgrader(args: list[str], cwd: Path, what: str, env: dict | None = None) -> None:
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env or tool_env(),
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {what} failed:\n{result.stderr[-3000:]}")


def prepare_master(chapter: str, work: Path, root: Path = ROOT) -> Path:
    """Record ``chapter`` in the class gradebook, and make ``work/_master``: a minimal nbgrader
    course (the chapter's source, the configuration, a snapshot of the class gradebook)."""
    root = Path(root)
    master = work / "_master"
    if master.exists():
        shutil.rmtree(master)
    # In the class course: the release goes to the work folder (chapters/ is left alone).
    _nbgrader(["generate_assignment", chapter, "--force",
               f"--CourseDirectory.release_directory={work / '_release'}"], root, f"generate_assignment {chapter}")
    shutil.copytree(root / "solutions" / chapter, master / "solutions" / chapter,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    (master / "autograder").mkdir()
    shutil.copy(root / "autograder" / "nbgrader_config.py", master / "autograder" / "nbgrader_config.py")
    shutil.copy(root / "nbgrader_config.py", master / "nbgrader_config.py")
    shutil.copy(class_gradebook(root), master / "autograder" / "gradebook.db")
    return master


def _messages(autograded: Path) -> dict[str, str]:
    """grade_id -> why the cell failed (error name and message only), from the autograded notebook."""
    found = {}
    nb = nbformat.read(autograded, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if not grade_id or cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                if output.get("ename") == "CellTimeoutError":
                    found[grade_id] = "timed out"
                else:
                    found[grade_id] = ANSI.sub("", f"{output.get('ename')}: {output.get('evalue')}")
                break
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found[grade_id] = "wrote to stderr: " + ANSI.sub("", output.get("text", ""))
                break
    return {k: v[:MESSAGE_LIMIT] + ("…" if len(v) > MESSAGE_LIMIT else "") for k, v in found.items()}


def _reason(stderr: str) -> str:
    """The most telling line of nbgrader's error output: the exception, else its last error."""
    lines = [ANSI.sub("", line).strip() for line in stderr.splitlines()]
    exceptions = [line for line in lines if re.match(r"^[\w.]*(Error|Exception)\b.*:", line)]
    if exceptions:
        return exceptions[-1][:MESSAGE_LIMIT]
    errors = [line for line in lines if "| ERROR]" in line and "Please see" not in line]
    return errors[-1][:MESSAGE_LIMIT] if errors else "unknown error"


def _scores_from(gradebook: Path, chapter: str, student: str, cells: list[GradedCell],
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


# nbgrader takes ~2 s to import (it loads Jupyter's server stack). Paying that once per
# submission was most of the grader's overhead, so on POSIX every submission's
# ``nbgrader autograde`` runs in a fresh process forked from a single-threaded fork server
# that has imported nbgrader once: one process per submission, without the start-up cost.
_PRELOAD = ["nbgrader.apps.nbgraderapp", "nbgrader.converters.autograde", "nbclient", "jupyter_client"]
_CONTEXT = None


def _context():
    global _CONTEXT
    if _CONTEXT is None:
        import multiprocessing

        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(_PRELOAD)
    return _CONTEXT


def _autograde_here(course: str, args: list[str], env: dict[str, str], log: str) -> None:
    """The body of a grading process: ``nbgrader <args>`` in ``course``, its output to ``log``."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(course)
    from nbgrader.apps.nbgraderapp import NbGraderApp

    NbGraderApp.launch_instance(args)


def _run_nbgrader(course: Path, args: list[str], env: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """Run ``nbgrader <args>`` in ``course`` in a process of its own: (exit code or None if it
    was killed after ``timeout`` seconds, its output)."""
    if os.name != "posix":
        try:
            run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                                 capture_output=True, text=True, timeout=timeout)
            return run.returncode, run.stdout + run.stderr
        except subprocess.TimeoutExpired as err:
            return None, str(err.stderr or "")
    log = course / "nbgrader.log"
    process = _context().Process(target=_autograde_here, args=(str(course), args, env, str(log)))
    process.start()
    process.join(timeout)
    code = process.exitcode
    if process.is_alive():
        process.kill()
        process.join()
        code = None
    return code, log.read_text(errors="replace") if log.exists() else ""


def grade_one(submission: Submission, chapter: str, master: Path, work: Path, cells: list[GradedCell],
              threads: int = 1, timeout: float = 1800) -> StudentResult:
    """Autograde one submission in its own copy of the master course; never raises."""
    result = StudentResult(submission.student, submission.origin)
    start = time.monotonic()
    course = work / submission.student
    sockets = None
    try:
        if course.exists():
            shutil.rmtree(course)
        shutil.copytree(master, course)
        target = course / "autograder" / "submitted" / submission.student / chapter / f"{chapter}.ipynb"
        target.parent.mkdir(parents=True)
        shutil.copyfile(submission.path, target)  # read only: the given file is never touched
        stamp = submission.path.parent / "timestamp.txt"  # from `nbgrader collect`: late penalties
        if stamp.is_file():
            shutil.copyfile(stamp, target.parent / "timestamp.txt")
        env = tool_env()
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
        args = ["autograde", chapter, "--student", submission.student, "--force"]
        if os.name == "posix":
            # The kernel talks over unix sockets, not TCP ports: two graders picking a free port at
            # the same moment can pick the same one. The socket path must be absolute (the kernel
            # runs in the notebook's folder, nbgrader in the course's) and short (unix limit ~100).
            sockets = Path(tempfile.mkdtemp(prefix="tt-kernel-"))
            args += ["--KernelManager.transport=ipc", f"--KernelManager.ip={sockets / 'k'}"]
        code, output = _run_nbgrader(course, args, env, timeout)
        autograded = course / "autograder" / "autograded" / submission.student / chapter / f"{chapter}.ipynb"
        if code is None:
            result.problem = f"grading took longer than {timeout:g} s and was stopped"
        elif code != 0 or not autograded.exists():
            result.problem = "nbgrader could not grade this submission: " + _reason(output)
        else:
            result.autograded = autograded
        messages = _messages(autograded) if result.autograded else {}
        result.cells = _scores_from(course / "autograder" / "gradebook.db", chapter, submission.student, cells,
                                    messages, result.problem)
        if result.problem:  # nothing was graded: no written answer waits for a grader either
            result.cells = [CellResult(c.cell, 0.0, "failed", result.problem) if c.score is None else c
                            for c in result.cells]
    except Exception as err:  # noqa: BLE001 - one bad submission must never stop the class
        result.problem = result.problem or f"grading failed: {type(err).__name__}: {err}"
        result.cells = [CellResult(c, 0.0, "failed", result.problem) for c in cells]
    finally:
        if sockets is not None:
            shutil.rmtree(sockets, ignore_errors=True)
    result.seconds = time.monotonic() - start
    return result


def merge_into_class(result: StudentResult, chapter: str, work: Path, root: Path = ROOT) -> None:
    """Record one graded submission in the class gradebook and course folders, as
    ``nbgrader autograde`` run in the class course would have (manual grades are kept)."""
    from nbgrader.api import Gradebook, MissingEntry
    from sqlalchemy.exc import SAWarning

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
        with Gradebook("sqlite:///" + str(course / "autograder" / "gradebook.db")) as src, \
                warnings.catch_warnings():
            # nbgrader's add_submission makes SQLAlchemy warn about its own autoflush; harmless.
            warnings.simplefilter("ignore", category=SAWarning)
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
        r.cells = _scores_from(gradebook, chapter, r.student, [c.cell for c in r.cells], messages, r.problem)


def grade_all(submissions: list[Submission], chapter: str, work: Path, jobs: int = 1, root: Path = ROOT,
              progress: bool = True) -> list[StudentResult]:
    """Grade every submission, ``jobs`` at a time, recording each in the class gradebook of the
    course at ``root``; results in the order of the student ids."""
    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    root = Path(root)
    source = root / "solutions" / chapter / f"{chapter}.ipynb"
    if not source.exists():
        raise ValueError(f"unknown chapter {chapter!r}: {source} does not exist")
    cells = graded_cells(source)
    work.mkdir(parents=True, exist_ok=True)
    master = prepare_master(chapter, work, root)
    # Several kernels at once: one math thread each (oversubscribed OpenMP threads spin and
    # made two kernels several times slower on two cores). One kernel: the cores, unless
    # OMP_NUM_THREADS says otherwise.
    threads = 1 if jobs > 1 else int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1)
    results = []
    from tqdm.auto import tqdm

    with ThreadPoolExecutor(max_workers=jobs) as pool, tqdm(total=len(submissions), desc=f"grading {chapter}",
                                                             disable=not progress, unit="notebook") as bar:
        futures = [pool.submit(grade_one, s, chapter, master, work, cells, threads) for s in submissions]
        for future in as_completed(futures):
            result = future.result()
            try:  # one writer: the class gradebook is written from this thread only
                merge_into_class(result, chapter, work, root)
            except Exception as err:  # noqa: BLE001
                result.problem = result.problem or f"could not record the grade in the class gradebook: {err}"
            results.append(result)
            bar.update(1)
    results.sort(key=lambda r: r.student)
    refresh(results, chapter, root)  # manual grades given before a re-grade are kept
    return results


# ----------------------------------------------------------------------------- outputs


def results_json(result: StudentResult) -> dict:
    """Gradescope's autograder results format for one student: the automatic tests, and the
    written answers once they are graded."""
    output = f"Automatic score {result.score:g} / {result.max_score:g}."
    if result.manual_max:
        output += (f" Written answers: {result.manual_score:g} / {result.manual_max:g}"
                   + (f" ({result.pending} still to be graded by hand)." if result.pending else "."))
    if result.problem:
        output += f" Problem: {result.problem}"
    tests = []
    for c in result.cells:
        if c.score is None:
            continue
        message = "\n".join(m for m in (c.message, c.comment) if m)
        tests.append({"name": c.cell.name, "score": c.score, "max_score": c.cell.points,
                      "status": "passed" if c.score >= c.cell.points else "failed", "output": message,
                      "visibility": "visible"})
    return {"score": result.total, "execution_time": round(result.seconds, 1), "output": output, "tests": tests}


def feedback_html(result: StudentResult, chapter: str) -> str:
    """A self-contained feedback page: each test's name, points and message; no test source."""
    rows = []
    for c in result.cells:
        points = "—" if c.score is None else f"{c.score:g}"
        colour = {"passed": "#e6f4ea", "failed": "#fce8e6"}.get(c.status, "#fef7e0")
        message = "\n".join(m for m in (c.message, f"Grader's comment: {c.comment}" if c.comment else "") if m)
        rows.append(f"<tr style='background:{colour}'><td>{html.escape(c.cell.exercise)}</td>"
                    f"<td><code>{html.escape(c.cell.name)}</code></td><td>{points} / {c.cell.points:g}</td>"
                    f"<td>{html.escape(c.status)}</td><td><pre>{html.escape(message)}</pre></td></tr>")
    problem = f"<p><strong>Problem:</strong> {html.escape(result.problem)}</p>" if result.problem else ""
    written = ""
    if result.manual_max:
        written = (f" Written answers: <strong>{result.manual_score:g} / {result.manual_max:g}</strong>"
                   + (f" ({result.pending} still to be graded by hand)." if result.pending else "."))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(chapter)} — "
            f"{html.escape(result.student)}</title><style>body{{font-family:sans-serif;margin:2em}}"
            f"td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}}table{{border-collapse:collapse}}"
            f"pre{{white-space:pre-wrap;margin:0}}</style></head><body>"
            f"<h1>{html.escape(chapter)}: feedback for {html.escape(result.student)}</h1>"
            f"<p>Automatic score: <strong>{result.score:g} / {result.max_score:g}</strong>.{written}</p>"
            f"{problem}<table><tr><th>exercise</th><th>test</th><th>points</th><th>status</th>"
            f"<th>message</th></tr>{''.join(rows)}</table></body></html>")


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
                             r.manual_max, r.pending] + per_exercise + per_cell + [r.problem])
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
                     f"{r.seconds:5.1f}s  {r.problem}")
    if any(r.pending for r in results):
        lines.append("* written answers still to grade by hand (formgrader in `make lab`), then "
                     "`python -m autograder export`")
    return "\n".join(lines)
