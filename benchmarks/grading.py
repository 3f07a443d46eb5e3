"""Time the class grader against plain nbgrader, on the same N submissions of one chapter.

    python benchmarks/grading.py [--n 20] [--chapter ID] [--repeat 3]

The N submissions are copies of the example class's complete notebook (the release with
the solution filled in: autograder/examples/ID/example-ada_ID.ipynb):
all identical, all expected to earn full marks. This is a throughput benchmark. What is
measured, in one run, in this order (wall time):

1. execute: the notebook on its own: nbclient (kernel python3, timeout 600, errors
   allowed, a fresh kernel each time) runs one submission in a temporary folder, --repeat
   times; the median is reported. The floor that any grader pays per submission.
2. plain nbgrader, serially: in a fresh throwaway copy of the course, after
   ``nbgrader generate_assignment ID --force`` (not timed), the N submissions are placed in
   autograder/submitted/<student>/ID/ and ONE ``python -m nbgrader autograde ID --force``
   grades them all, one after another, as an instructor would.
3. grade --jobs 1 and grade --jobs 2 (sandboxed: bubblewrap is required), then grade
   --jobs 1 --sandbox off: ``autograder.grade.grade_all`` on the submissions
   found by ``autograder.intake.collect`` in a flat folder (student01_ID.ipynb, ...), each
   run in its own fresh copy of the course. The time includes everything ``python -m
   autograder grade`` does: generating the chapter into the class gradebook, one nbgrader
   process per submission, merging each result into the class gradebook.

Every grading must succeed (nbgrader exits 0 and writes every autograded notebook; every
``grade_all`` result has no problem), else the benchmark stops with an error. The table
is printed on stdout as markdown, with two derived figures and their targets: the speed-up
of ``grade --jobs 2`` over plain serial nbgrader (target >= 1.7x), and the per-submission
overhead of ``grade --jobs 1`` above executing the notebook itself (target < 2 s).
Progress goes to stderr. Everything is done in temporary folders, removed at the end; the
repository is only read.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograder.course import copy_course, tool_env
from autograder.grade import grade_all
from autograder.intake import collect

ROOT = Path(__file__).resolve().parent.parent
SPEEDUP_TARGET = 1.7  # grade --jobs 2 over plain serial nbgrader, at least
OVERHEAD_TARGET = 2.0  # seconds per submission of grade --jobs 1 above executing the notebook, below


class BenchmarkError(RuntimeError):
    """A measurement whose grading or execution failed: its time would mean nothing."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def students(n: int) -> list[str]:
    width = max(2, len(str(n)))
    return [f"student{i:0{width}d}" for i in range(1, n + 1)]


def nbgrader(args: list[str], course: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=tool_env(),
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchmarkError(f"nbgrader {' '.join(args)} failed:\n{result.stderr[-3000:]}")


def time_execute(solution: Path, repeat: int, tmp: Path) -> list[float]:
    """Wall time of nbclient running one submission in a temporary copy of its folder."""
    times = []
    for i in range(repeat):
        folder = tmp / f"execute-{i}"
        folder.mkdir()
        notebook = folder / solution.name
        shutil.copyfile(solution, notebook)
        nb = nbformat.read(notebook, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(folder)}}).execute()
        times.append(time.perf_counter() - start)
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        if errors:
            raise BenchmarkError(f"executing {solution.name} raised {errors[0].get('ename')}: "
                                 f"{errors[0].get('evalue')}")
        log(f"  execute, run {i + 1}/{repeat}: {times[-1]:.1f} s")
        shutil.rmtree(folder)
    return times


def time_nbgrader_serial(solution: Path, chapter: str, names: list[str], tmp: Path) -> float:
    """Wall time of one plain ``nbgrader autograde`` of every submission, in a fresh course copy."""
    course = copy_course(tmp / "nbgrader-course")
    nbgrader(["generate_assignment", chapter, "--force"], course)
    for student in names:
        target = course / "autograder" / "submitted" / student / chapter / f"{chapter}.ipynb"
        target.parent.mkdir(parents=True)
        shutil.copyfile(solution, target)
    start = time.perf_counter()
    nbgrader(["autograde", chapter, "--force"], course)
    seconds = time.perf_counter() - start
    missing = [s for s in names
               if not (course / "autograder" / "autograded" / s / chapter / f"{chapter}.ipynb").exists()]
    if missing:
        raise BenchmarkError(f"plain nbgrader autograded no notebook for {', '.join(missing)}")
    shutil.rmtree(course)
    return seconds


def time_grade(folder: Path, chapter: str, jobs: int, n: int, tmp: Path, sandbox: str = "require") -> float:
    """Wall time of ``grade_all`` with ``jobs`` at a time, in a fresh course copy."""
    course = copy_course(tmp / f"grade-jobs{jobs}-{sandbox}-course")
    work = tmp / f"grade-jobs{jobs}-{sandbox}-work"
    with collect([folder]) as intake:
        if intake.problems or len(intake.submissions) != n:
            raise BenchmarkError(f"intake found {len(intake.submissions)} of {n} submissions: {intake.problems}")
        start = time.perf_counter()
        results = grade_all(intake.submissions, chapter, work, jobs=jobs, root=course, progress=False,
                            sandbox=sandbox)
        seconds = time.perf_counter() - start
    failed = [f"{r.student}: {r.problem}" for r in results if r.problem]
    if failed or len(results) != n:
        raise BenchmarkError(f"grade --jobs {jobs}: {len(results)} results, problems:\n" + "\n".join(failed))
    shutil.rmtree(course)
    shutil.rmtree(work)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="submissions to grade (default: 20)")
    parser.add_argument("--chapter", default="00_getting_started", help="chapter id (default: 00_getting_started)")
    parser.add_argument("--repeat", type=int, default=3, help="executions of the notebook alone (default: 3)")
    args = parser.parse_args()
    if args.n < 1:
        parser.error(f"--n must be at least 1, got {args.n}")
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    chapter, n = args.chapter, args.n
    solution = ROOT / "autograder" / "examples" / chapter / f"example-ada_{chapter}.ipynb"
    if not solution.exists():
        parser.error(f"unknown chapter {chapter!r}: {solution} does not exist")
    # The kernels (nbclient's and nbgrader's) must be this environment's python.
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    names = students(n)

    try:
        with tempfile.TemporaryDirectory(prefix="tt-bench-grading-") as name:
            tmp = Path(name)
            log(f"execute one notebook ({args.repeat} run(s))")
            execute = statistics.median(time_execute(solution, args.repeat, tmp))
            log(f"plain nbgrader autograde, {n} submission(s), serially")
            serial = time_nbgrader_serial(solution, chapter, names, tmp)
            log(f"  {serial:.1f} s")
            folder = tmp / "submissions"
            folder.mkdir()
            for student in names:
                shutil.copyfile(solution, folder / f"{student}_{chapter}.ipynb")
            grade = {}
            for jobs in (1, 2):
                log(f"grade --jobs {jobs}, {n} submission(s)")
                grade[jobs] = time_grade(folder, chapter, jobs, n, tmp)
                log(f"  {grade[jobs]:.1f} s")
            log(f"grade --jobs 1 --sandbox off, {n} submission(s)")
            unsandboxed = time_grade(folder, chapter, 1, n, tmp, sandbox="off")
            log(f"  {unsandboxed:.1f} s")
    except BenchmarkError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1

    speedup = serial / grade[2]
    overhead = grade[1] / n - execute
    print(f"\n{chapter}: {n} submission(s) (copies of a complete learner's notebook), {os.cpu_count()} CPU cores, wall time\n")
    print("| measurement | total (s) | per submission (s) |")
    print("|---|---:|---:|")
    print(f"| execute one notebook with nbclient (median of {args.repeat}) | | {execute:.1f} |")
    print(f"| plain `nbgrader autograde`, serial | {serial:.1f} | {serial / n:.1f} |")
    print(f"| `grade --jobs 1` | {grade[1]:.1f} | {grade[1] / n:.1f} |")
    print(f"| `grade --jobs 2` | {grade[2]:.1f} | {grade[2] / n:.1f} |")
    print(f"| `grade --jobs 1 --sandbox off` | {unsandboxed:.1f} | {unsandboxed / n:.1f} |")
    print()
    met = {True: "met", False: "NOT met"}
    print(f"- speed-up of `grade --jobs 2` over plain serial nbgrader: {speedup:.2f}x "
          f"(target >= {SPEEDUP_TARGET}x: {met[speedup >= SPEEDUP_TARGET]})")
    print(f"- overhead of `grade --jobs 1` per submission above executing the notebook: {overhead:.2f} s "
          f"(target < {OVERHEAD_TARGET:g} s: {met[overhead < OVERHEAD_TARGET]})")
    print(f"- cost of the sandbox per submission (`--jobs 1`, with and without): {(grade[1] - unsandboxed) / n:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
