"""Grade a class's submissions of one chapter with nbgrader, several at a time.

How it works, and why it is safe to run in parallel:

1. The chapter is (re)generated from ``solutions/`` into the *class gradebook*
   (``autograder/gradebook.db``, the one JupyterLab's formgrader shows) with
   ``nbgrader generate_assignment``; its test cells, hidden tests included, and their
   checksums are recorded there. A *master* course folder holds a snapshot of it.
2. Every submission gets its own copy of the master folder and gradebook, and its own
   ``nbgrader autograde`` process (hence its own kernel: ``processes.py``). nbgrader restores
   the test cells from the gradebook (``OverwriteCells``), so an edited or deleted test cannot
   earn points. SQLite never sees two writers: each process writes only its own copy.
3. As each submission finishes, its results are merged into the class gradebook, one at a
   time (``gradebook.py``), exactly as ``nbgrader autograde`` would have written them: a
   manual grade given earlier in formgrader is kept.
4. The messages for the feedback come from the autograded notebook (``notebooks.py``): the
   error name and message of a failing test cell, never its source or a traceback into it.
   ``results.py`` renders them.

The submitted files themselves are only ever read (copied into the work folder).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .course import ROOT, tool_env
from .experiments import MODES, worth_running
from .gradebook import class_gradebook, merge_into_class, refresh, scores_from
from .intake import Submission
from .notebooks import hidden_failures, kernel_death, read, test_messages, repair, tampering, unreadable
from .processes import MEMORY_LIMIT, TIME_LIMIT, kill_leftovers, reason, run_nbgrader
from .results import OUTSIDE_FAILED, CellResult, GradedCell, StudentResult, graded_cells

# nbgrader's gradebook API makes SQLAlchemy warn about its own autoflush ("Object of type
# <SubmittedAssignment> not in session ..."), from several grading threads: harmless, and not
# the instructor's business. (A process-wide filter: catch_warnings is not thread-safe.)
warnings.filterwarnings("ignore", message=r"Object of type <Submitted\w+> not in session", module=r"nbgrader")
REFERENCES = "references.json"  # in each grading's course: the checks' reference data
KERNEL_DATA = "kernel-references.json"  # the same, as an isolated kernel reads it (verdict.kernel_table)


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
    from .verdict import save_references

    save_references(chapter, master / "autograder" / REFERENCES, kernel=master / "autograder" / KERNEL_DATA)
    return master

class _NotGradable(Exception):
    """The submission cannot be graded at all; the message says why."""

def grade_one(submission: Submission, chapter: str, master: Path, work: Path, cells: list[GradedCell],
              threads: int = 1, timeout: float = TIME_LIMIT, cell_timeout: float | None = None,
              memory_limit: int | None = MEMORY_LIMIT, isolation: str = "none",
              experiments: str = "skip") -> StudentResult:
    """Autograde one submission in its own copy of the master course; never raises.

    ``timeout``: the whole notebook's limit, in seconds (then nothing is graded);
    ``cell_timeout``: each cell's (then that cell fails, the rest is graded; default: the
    course configuration's ``Execute.timeout``); ``memory_limit``: the bytes the grading
    process and the kernel may each map (POSIX), beyond which allocations fail; ``isolation``:
    "sandbox" runs the kernel in a bubblewrap sandbox, "user:NAME" as the unprivileged user NAME
    (``autograder/sandbox.py``), "none" as the grader; ``experiments``: "skip"
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
                       cell_timeout=cell_timeout, memory_limit=memory_limit, isolation=isolation)
        # The kernel's connection file, hence its command line, is in a folder of this grading's
        # own: afterwards, whatever still runs from there is killed.
        sockets = Path(tempfile.mkdtemp(prefix="tt-kernel-"))
        result.problem, autograded = _autograde(course, sockets, experiments=experiments, **attempt)
        result.autograded = None if result.problem else autograded
        messages = test_messages(autograded) if result.autograded else {}
        missing = worth_running(read(autograded), messages) if result.autograded and experiments == "skip" else []
        if missing:  # what the reading of names could not see: grade again, running every cell
            result.note = _grade_again(course, work / f"{submission.student}.experiments-run", master, target, cells,
                                       missing, attempt)
            messages = test_messages(autograded)
        notes = [result.note, kernel_death(autograded)] if result.autograded else []
        outside = sorted(k for k, v in messages.items() if v.startswith(OUTSIDE_FAILED))
        if outside:
            notes.append("tests that passed inside the notebook failed the same check made outside it, where the "
                         "notebook cannot change the verdict (did it redefine the checks?): " + ", ".join(outside))
        if changes:
            notes.append("cells the submission may not change were changed, and restored for grading: "
                         + "; ".join(changes))
        result.note = ". ".join(n for n in notes if n)
        result.cells = scores_from(course / "autograder" / "gradebook.db", chapter, submission.student, cells,
                                    messages, result.problem)
        hidden = hidden_failures(autograded) if result.autograded else set()
        for cell in result.cells:
            cell.hidden = cell.cell.name in hidden and bool(cell.message)
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
            kill_leftovers(str(sockets))
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
        kill_leftovers(str(sockets))
        shutil.rmtree(sockets, ignore_errors=True)
    first, second = (sum(c.score or 0.0 for c in scores_from(folder / "autograder" / "gradebook.db", chapter,
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
               cell_timeout: float | None, memory_limit: int | None, isolation: str,
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
    if isolation != "none":  # the kernel sees its own folders and what it needs to run, nothing else
        from .sandbox import KERNEL_NAME, install_kernel, kill_user, user_kernel

        table = sockets / KERNEL_DATA  # the references' data: the kernel cannot import them
        shutil.copyfile(course / "autograder" / KERNEL_DATA, table)
        user = isolation.partition("user:")[2]
        env["JUPYTER_PATH"] = str(user_kernel(sockets, user, table) if user else
                                  install_kernel(sockets, autograded.parent, table))
        args.append(f"--Execute.kernel_name={KERNEL_NAME}")
    try:
        code, output = run_nbgrader(course, args, env, timeout, memory_limit, marker=str(sockets))
    finally:
        if isolation.startswith("user:"):  # whatever the kernel left running, however it hid
            kill_user(isolation.partition("user:")[2])
    if code is None:
        return f"timed out: the notebook ran longer than the limit of {timeout:g} s and was stopped", autograded
    if code != 0 or not autograded.exists():
        return "nbgrader could not grade this submission: " + reason(output), autograded
    return "", autograded

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
    isolation = "sandbox" if sandbox != "off" and not sandbox_problem(sandbox) else "none"
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
                               memory_limit, isolation, experiments) for s in submissions]
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
