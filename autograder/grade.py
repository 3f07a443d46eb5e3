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
from .experiments import MODES, NOT_RUN_NOTE, worth_running
from .preprocessors import KERNEL_DIED, NOT_RUN, OUTSIDE_FAILED
from .intake import Submission

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# nbgrader's gradebook API makes SQLAlchemy warn about its own autoflush ("Object of type
# <SubmittedAssignment> not in session ..."), from several grading threads: harmless, and not
# the instructor's business. (A process-wide filter: catch_warnings is not thread-safe.)
warnings.filterwarnings("ignore", message=r"Object of type <Submitted\w+> not in session", module=r"nbgrader")
MESSAGE_LIMIT = 600
RECORD = "grading.json"
REFERENCES = "references.json"  # in each grading's course: the verifiers' reference data
TIME_LIMIT = 900  # seconds per notebook, whatever its cells do (each cell has its own limit)
MEMORY_LIMIT = 8 * 2**30  # bytes of address space for each grading process and its kernel  # the class's detailed results, kept in the output folder for `export`


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
    # the checks outside the kernel compare with the reference solution: computed once, here
    from .verify import save_references

    save_references(chapter, master / "solutions" / chapter / f"{chapter}.ipynb", master / "autograder" / REFERENCES)
    return master


def _messages(autograded: Path) -> dict[str, str]:
    """grade_id -> why the cell failed (error name and message only), from the autograded notebook."""
    found = {}
    nb = _read(autograded)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if not grade_id or cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        if any(o.get("ename") == "CellTimeoutError" for o in outputs):  # after the interrupt's KeyboardInterrupt
            found[grade_id] = "timed out: the cell ran longer than its time limit and was interrupted"
            continue
        for output in outputs:
            if output.get("output_type") == "error":
                if output.get("ename") == NOT_RUN:
                    found[grade_id] = output.get("evalue", "")
                else:
                    found[grade_id] = ANSI.sub("", f"{output.get('ename')}: {output.get('evalue')}")
                break
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found[grade_id] = "wrote to stderr: " + ANSI.sub("", output.get("text", ""))
                break
    return {k: v[:MESSAGE_LIMIT] + ("…" if len(v) > MESSAGE_LIMIT else "") for k, v in found.items()}


def _read(path: Path) -> nbformat.NotebookNode:
    """A notebook, read quietly: nbformat warns about (and fixes) duplicate cell ids, which a
    tampered submission may have; the grader reports tampering itself."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbformat.read(path, as_version=4)


def tampering(submitted: Path, release: Path) -> list[str]:
    """What a submission changed in the cells it may not change, compared with the release:
    test cells deleted, duplicated, edited, turned into markdown, their metadata changed or
    stripped; solution cells whose id changed. (nbgrader restores all of it for grading.)"""
    def by_id(nb):
        found: dict[str, list] = {}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id:
                found.setdefault(grade_id, []).append(cell)
        return found

    given, original = _read(submitted), _read(release)
    mine, theirs = by_id(original), by_id(given)
    sources = {cell.source.strip() for cell in given.cells if cell.source.strip()}
    found = []
    for grade_id, (cell,) in mine.items():
        meta = cell.metadata["nbgrader"]
        locked_test = meta.get("grade") and not meta.get("solution")
        copies = theirs.get(grade_id, [])
        if not copies:
            if not locked_test and not meta.get("solution"):
                continue  # read-only text cells: nbgrader keeps them locked, their loss costs nothing
            stripped = cell.source.strip() in sources
            what = "test cell" if locked_test else "answer cell"
            found.append(f"{what} {grade_id}: " + ("its nbgrader metadata was removed" if stripped else
                                                   "deleted, or its id changed"))
            continue
        if len(copies) > 1:
            found.append(f"cell {grade_id}: {len(copies)} copies")
        if not locked_test:
            continue
        copy = copies[-1]
        if copy.cell_type != cell.cell_type:
            found.append(f"test cell {grade_id}: turned into {copy.cell_type}")
        if copy.source.strip() != cell.source.strip():
            found.append(f"test cell {grade_id}: its code was edited")
        theirs_meta = copy.metadata.get("nbgrader", {})
        changed = sorted(k for k in ("grade", "solution", "locked", "points") if theirs_meta.get(k) != meta.get(k))
        if changed:
            found.append(f"test cell {grade_id}: its metadata ({', '.join(changed)}) was changed")
    return found


def repair(path: Path, release: Path) -> None:
    """Put back, in the copy at ``path``, what nbgrader needs intact before it can restore the
    tests itself: nbgrader aborts the whole notebook on a duplicated grade id, an id it does
    not know, or a test cell whose flags were changed. So: earlier copies of a duplicated cell
    and cells with unknown ids become plain cells (their code still runs); locked cells (the
    tests, the read-only text) become the release's again; answer cells keep the learner's
    content with the release's cell type and flags. Deleted tests are re-added by nbgrader."""
    import copy

    nb, original = _read(path), _read(release)
    reference = {c.metadata["nbgrader"]["grade_id"]: c for c in original.cells
                 if c.metadata.get("nbgrader", {}).get("grade_id")}
    last = {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(nb.cells)}
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if grade_id not in reference or last.get(grade_id) != i:
            del cell.metadata["nbgrader"]
            continue
        source = reference[grade_id]
        flags = source.metadata["nbgrader"]
        if flags.get("locked") or (flags.get("grade") and not flags.get("solution")):
            fresh = copy.deepcopy(source)
            if "id" in cell:
                fresh["id"] = cell["id"]
            nb.cells[i] = fresh
        else:
            cell.metadata["nbgrader"] = copy.deepcopy(flags)
            if cell.cell_type != source.cell_type:
                fresh = copy.deepcopy(source)
                fresh.source = cell.source
                nb.cells[i] = fresh
    nbformat.write(nb, path)


def _kernel_death(autograded: Path) -> str:
    """Where the kernel died while the notebook was graded, or ""."""
    nb = _read(autograded)
    for index, cell in enumerate(nb.cells):
        outputs = cell.get("outputs", [])
        if outputs and outputs[0].get("text") == NOT_RUN_NOTE:
            continue  # an experiment not run: the outputs are the learner's, not the grader's
        if cell.cell_type == "code" and any(o.get("ename") == KERNEL_DIED for o in outputs):
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            where = f"code cell {index + 1}" + (f" ({grade_id})" if grade_id else "")
            return f"the kernel died in {where}; what ran before it counts, the cells after it were not run"
    return ""


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
_PRELOAD = ["nbgrader.apps.nbgraderapp", "nbgrader.converters.autograde", "nbclient", "jupyter_client",
            # the checks made outside the kernel judge with torch in the grading process
            "torch", "autograder.preprocessors", "autograder.verify", "traintech.testing"]
_CONTEXT = None


def _context():
    global _CONTEXT
    if _CONTEXT is None:
        import multiprocessing

        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(_PRELOAD)
    return _CONTEXT


def _autograde_here(course: str, args: list[str], env: dict[str, str], log: str, memory: int | None = None) -> None:
    """The body of a grading process: ``nbgrader <args>`` in ``course``, its output to ``log``;
    this process and the kernel it starts may each map at most ``memory`` bytes."""
    if memory:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
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


def _run_nbgrader(course: Path, args: list[str], env: dict[str, str], timeout: float,
                  memory: int | None = None, marker: str | None = None) -> tuple[int | None, str]:
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
    process = _context().Process(target=_autograde_here, args=(str(course), args, env, str(log), memory))
    process.start()
    process.join(timeout)
    code = process.exitcode
    if process.is_alive():
        if marker:  # the kernel first: it must not outlive its grader
            _kill_leftovers(marker)
        process.kill()
        process.join()
        code = None
    return code, log.read_text(errors="replace") if log.exists() else ""


def unreadable(path: Path) -> str | None:
    """Why the file at ``path`` is not a notebook that can be graded, or None."""
    data = Path(path).read_bytes()
    if not data.strip():
        return "the file is empty"
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return "not a notebook: the file is not text (is it an .ipynb file renamed?)"
    except json.JSONDecodeError as err:
        return f"not a notebook: the file is not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})"
    if not isinstance(raw, dict) or not ("cells" in raw or "worksheets" in raw):
        return "not a notebook: a JSON file without notebook cells"
    major = raw.get("nbformat")
    if major not in (3, 4):
        return f"not a notebook this course can read: nbformat {major!r} (expected 4)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nbformat.reads(data.decode("utf-8-sig"), as_version=4)
    except Exception as err:  # noqa: BLE001 - nbformat raises several kinds
        return f"not a valid notebook: {type(err).__name__}: {str(err)[:300]}"
    return None


class _NotGradable(Exception):
    """The submission cannot be graded at all; the message says why."""


def _kill_leftovers(marker: str) -> int:
    """Kill every process whose command line or environment mentions ``marker``: the kernel of
    one grading (its connection file is in the grading's own folder, which its environment
    names too) and whatever it started. Linux only; returns how many."""
    killed = 0
    proc = Path("/proc")
    if not proc.is_dir():
        return 0
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes():
                os.kill(int(entry.name), 9)
                killed += 1
        except (OSError, ValueError):
            continue
    return killed


def grade_one(submission: Submission, chapter: str, master: Path, work: Path, cells: list[GradedCell],
              threads: int = 1, timeout: float = TIME_LIMIT, cell_timeout: float | None = None,
              memory_limit: int | None = MEMORY_LIMIT, sandboxed: bool = False,
              experiments: str = "skip") -> StudentResult:
    """Autograde one submission in its own copy of the master course; never raises.

    ``timeout``: the whole notebook's limit, in seconds (then nothing is graded);
    ``cell_timeout``: each cell's (then that cell fails, the rest is graded; default: the
    course configuration's ``Execute.timeout``); ``memory_limit``: the bytes the grading
    process and the kernel may each map (POSIX), beyond which allocations fail; ``sandboxed``:
    run the kernel in a bubblewrap sandbox (``autograder/sandbox.py``); ``experiments``: "skip"
    the chapter's experiment cells, or "run" them (``autograder/experiments.py``)."""
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
        why = unreadable(submission.path)
        if why:
            raise _NotGradable(why)
        shutil.copyfile(submission.path, target)  # read only: the given file is never touched
        release = master.parent / "_release" / chapter / f"{chapter}.ipynb"
        changes = tampering(target, release) if release.exists() else []
        if changes:
            repair(target, release)  # the copy; the submitted file is never touched
        stamp = submission.path.parent / "timestamp.txt"  # from `nbgrader collect`: late penalties
        if stamp.is_file():
            shutil.copyfile(stamp, target.parent / "timestamp.txt")
        attempt = dict(submission=submission, chapter=chapter, threads=threads, timeout=timeout,
                       cell_timeout=cell_timeout, memory_limit=memory_limit, sandboxed=sandboxed)
        # The kernel's connection file, hence its command line, is in a folder of this grading's
        # own: afterwards, whatever still runs from there is killed.
        sockets = Path(tempfile.mkdtemp(prefix="tt-kernel-"))
        result.problem, autograded = _autograde(course, sockets, experiments=experiments, **attempt)
        result.autograded = None if result.problem else autograded
        messages = _messages(autograded) if result.autograded else {}
        missing = worth_running(_read(autograded), messages) if result.autograded and experiments == "skip" else []
        if missing:  # what the reading of names could not see: grade again, running every cell
            result.note = _grade_again(course, work / f"{submission.student}.experiments-run", master, target, cells,
                                       missing, attempt)
            messages = _messages(autograded)
        notes = [result.note, _kernel_death(autograded)] if result.autograded else []
        outside = sorted(k for k, v in messages.items() if v.startswith(OUTSIDE_FAILED))
        if outside:
            notes.append("tests that passed inside the notebook failed the same check made outside it, where the "
                         "notebook cannot change the verdict (did it redefine the checks?): " + ", ".join(outside))
        if changes:
            notes.append("cells the submission may not change were changed, and restored for grading: "
                         + "; ".join(changes))
        result.note = ". ".join(n for n in notes if n)
        result.cells = _scores_from(course / "autograder" / "gradebook.db", chapter, submission.student, cells,
                                    messages, result.problem)
        if result.problem:  # nothing was graded: no written answer waits for a grader either
            result.cells = [CellResult(c.cell, 0.0, "failed", result.problem) if c.score is None else c
                            for c in result.cells]
    except _NotGradable as err:
        result.problem = str(err)
        result.cells = [CellResult(c, 0.0, "failed", result.problem) for c in cells]
    except Exception as err:  # noqa: BLE001 - one bad submission must never stop the class
        result.problem = result.problem or f"grading failed: {type(err).__name__}: {err}"
        result.cells = [CellResult(c, 0.0, "failed", result.problem) for c in cells]
    finally:
        if sockets is not None:
            _kill_leftovers(str(sockets))
            shutil.rmtree(sockets, ignore_errors=True)
    result.seconds = time.monotonic() - start
    return result


def _grade_again(course: Path, again: Path, master: Path, target: Path, cells: list[GradedCell],
                 missing: list[str], attempt: dict) -> str:
    """Grade the submission placed in ``course`` again in ``again``, with every cell run; keep
    that grading in ``course`` if it scores higher. Returns the note that says what happened."""
    student, chapter = attempt["submission"].student, attempt["chapter"]
    shutil.rmtree(again, ignore_errors=True)
    shutil.copytree(master, again)
    shutil.copytree(target.parent, again / target.parent.relative_to(course))
    sockets = Path(tempfile.mkdtemp(prefix="tt-kernel-"))
    try:
        problem, _ = _autograde(again, sockets, experiments="run", **attempt)
    finally:
        _kill_leftovers(str(sockets))
        shutil.rmtree(sockets, ignore_errors=True)
    first, second = (sum(c.score or 0.0 for c in _scores_from(folder / "autograder" / "gradebook.db", chapter,
                                                                student, cells, {}, "") if not c.cell.manual)
                     for folder in (course, again))
    why = (f"graded again with the experiment cells run, because tests failed on names that an experiment "
           f"cell not run may define ({', '.join(missing)})")
    if not problem and second > first:
        shutil.rmtree(course)
        again.rename(course)
        return f"{why}: that grading scored higher ({second:g} / {first:g}) and counts"
    shutil.rmtree(again, ignore_errors=True)
    return f"{why}: it scored no higher, so the grading without them counts"


def _autograde(course: Path, sockets: Path, submission: Submission, chapter: str, threads: int, timeout: float,
               cell_timeout: float | None, memory_limit: int | None, sandboxed: bool,
               experiments: str) -> tuple[str, Path]:
    """Run ``nbgrader autograde`` on the submission placed in ``course``, its kernel's files in
    ``sockets``: (why nothing was graded, or ""; the autograded notebook)."""
    env = tool_env()
    env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    args = ["autograde", chapter, "--student", submission.student, "--force", f"--Experiments.mode={experiments}"]
    if cell_timeout is not None:
        args.append(f"--Execute.timeout={cell_timeout:g}")
    if (course / "autograder" / REFERENCES).is_file():
        args.append(f"--VerifiedExecute.references={course / 'autograder' / REFERENCES}")
    env["JUPYTER_RUNTIME_DIR"] = str(sockets)
    args.append(f"--KernelManager.connection_file={sockets / 'kernel.json'}")
    if os.name == "posix":
        # The kernel talks over unix sockets, not TCP ports: two graders picking a free port at
        # the same moment can pick the same one. The socket path must be absolute (the kernel
        # runs in the notebook's folder, nbgrader in the course's) and short (unix limit ~100).
        args += ["--KernelManager.transport=ipc", f"--KernelManager.ip={sockets / 'k'}"]
    autograded = course / "autograder" / "autograded" / submission.student / chapter / f"{chapter}.ipynb"
    if sandboxed:  # the kernel sees its own folder and what it needs to run, nothing else
        from .sandbox import KERNEL_NAME, install_kernel

        env["JUPYTER_PATH"] = str(install_kernel(sockets, autograded.parent))
        args.append(f"--Execute.kernel_name={KERNEL_NAME}")
    code, output = _run_nbgrader(course, args, env, timeout, memory_limit, marker=str(sockets))
    if code is None:
        return f"timed out: the notebook ran longer than the limit of {timeout:g} s and was stopped", autograded
    if code != 0 or not autograded.exists():
        return "nbgrader could not grade this submission: " + _reason(output), autograded
    return "", autograded


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
        r.cells = _scores_from(gradebook, chapter, r.student, [c.cell for c in r.cells], messages, r.problem)


NO_SANDBOX = """
================================ WARNING ================================
The submissions' code runs WITHOUT A SANDBOX: {why}.
A submission can read solutions/, the gradebook and the other students'
work, write to them, and use the network while it is graded. Install
bubblewrap to grade safely, or pass --sandbox off to silence this warning
for submissions you trust.
==========================================================================
"""


def sandbox_problem(sandbox: str = "auto") -> str | None:
    """Why kernels will not be sandboxed (warned about loudly, on stderr), or None.
    Raises ValueError if ``sandbox`` is "require" and no sandbox is possible."""
    if sandbox == "off":
        return "--sandbox off"
    from .sandbox import unavailable

    why = unavailable()
    if why and sandbox == "require":
        raise ValueError(f"--sandbox require: no sandbox is possible on this machine: {why}")
    if why:
        print(NO_SANDBOX.format(why=why), file=sys.stderr, flush=True)
    return why


def grade_all(submissions: list[Submission], chapter: str, work: Path, jobs: int = 1, root: Path = ROOT,
              progress: bool = True, time_limit: float = TIME_LIMIT, cell_timeout: float | None = None,
              memory_limit: int | None = MEMORY_LIMIT, sandbox: str = "auto",
              experiments: str = "skip") -> list[StudentResult]:
    """Grade every submission, ``jobs`` at a time, recording each in the class gradebook of the
    course at ``root``; results in the order of the student ids.

    ``sandbox``: "auto" runs each kernel in a bubblewrap sandbox where possible, and warns
    loudly where not; "require" refuses to grade without one; "off" never uses one.
    ``experiments``: "skip" (the default) does not run the chapter's experiment cells, which
    earn no points; "run" runs every cell (``autograder/experiments.py``)."""
    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    if not time_limit > 0 or (cell_timeout is not None and not cell_timeout > 0):
        raise ValueError(f"time limits must be positive, got {time_limit} and {cell_timeout}")
    if sandbox not in ("auto", "require", "off"):
        raise ValueError(f"sandbox must be auto, require or off, got {sandbox!r}")
    if experiments not in MODES:
        raise ValueError(f"experiments must be {' or '.join(MODES)}, got {experiments!r}")
    root = Path(root)
    source = root / "solutions" / chapter / f"{chapter}.ipynb"
    if not source.exists():
        raise ValueError(f"unknown chapter {chapter!r}: {source} does not exist")
    sandboxed = sandbox != "off" and not sandbox_problem(sandbox)
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
        futures = [pool.submit(grade_one, s, chapter, master, work, cells, threads, time_limit, cell_timeout,
                               memory_limit, sandboxed, experiments) for s in submissions]
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
    if result.note:
        output += f" Note: {result.note}"
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
    problem = "".join(f"<p><strong>{label}:</strong> {html.escape(text)}</p>"
                      for label, text in (("Problem", result.problem), ("Note", result.note)) if text)
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
