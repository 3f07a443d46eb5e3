"""Time the class grader against plain nbgrader on complete submissions, with and without experiments.

    python benchmarks/grading.py [--chapters 00_getting_started 01_regularization] [--n 10]
                                 [--plain-n 5] [--repeat 3]

For each chapter the submissions are copies of the example class's complete notebook (the
release with the solution filled in: autograder/examples/ID/example-ada_ID.ipynb), all expected
to earn full marks. Measured, in this order, wall time, everything in temporary folders:

1. plain nbgrader, serially, once: in a fresh copy of the course whose configuration is
   nbgrader's own (its default sanitize and autograde preprocessors: every cell runs, nothing
   is checked outside the kernel), after ``nbgrader generate_assignment ID --force`` (not
   timed), --plain-n submissions are placed in autograder/submitted/<student>/ID/ and ONE
   ``python -m nbgrader autograde ID --force`` grades them one after another.
2. ``grade --experiments run`` and ``grade`` (experiments skipped, the default), each with
   ``--jobs 1`` and ``--jobs 2``: ``autograder.grade.grade_all`` on --n submissions found by
   ``autograder.intake.collect`` in a flat folder, sandboxed (bubblewrap is required), each run
   in its own fresh copy of the course; the median of --repeat runs. The time includes all that
   ``python -m autograder grade`` does (the chapter generated into the class gradebook, the
   checks' reference data, one nbgrader process per submission, the merge into the class
   gradebook).

Every grading must succeed with full marks for every submission (nbgrader writes every
autograded notebook; every ``grade_all`` result has no problem and the maximum score), and the
automatic scores, cell by cell, must be identical with and without experiments: else the
benchmark stops with an error. The table (seconds per submission, and the ratios to plain
serial nbgrader) is printed on stdout as markdown, with the target of issue 14: ``grade --jobs
2`` at least 5x faster per submission than plain serial nbgrader on chapter 1. Progress goes to
stderr. Run it from a clone that nobody edits meanwhile: the grading processes re-import it.
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

from autograder.course import copy_course, tool_env
from autograder.grade import grade_all
from autograder.intake import collect

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ["00_getting_started", "01_regularization"]
SPEEDUP_TARGET = 5.0  # grade --jobs 2 over plain serial nbgrader, per submission, at least: for chapter 1
TARGET_CHAPTER = "01_regularization"  # (chapter 0's one experiment is small: less to skip)
# nbgrader's own configuration: the course's preprocessors (experiments skipped, checks outside
# the kernel, output caps, stderr as stdout) are taken away again.
PLAIN = """
c.Autograde.pop("sanitize_preprocessors", None)
c.Autograde.pop("autograde_preprocessors", None)
"""


class BenchmarkError(RuntimeError):
    """A measurement whose grading failed: its time would mean nothing."""


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


def time_plain(complete: Path, chapter: str, names: list[str], tmp: Path) -> float:
    """Wall time of one plain ``nbgrader autograde`` of every submission, in a fresh course copy."""
    course = copy_course(tmp / "plain-course")
    with (course / "autograder" / "nbgrader_config.py").open("a") as config:
        config.write(PLAIN)
    nbgrader(["generate_assignment", chapter, "--force"], course)
    for student in names:
        target = course / "autograder" / "submitted" / student / chapter / f"{chapter}.ipynb"
        target.parent.mkdir(parents=True)
        shutil.copyfile(complete, target)
    start = time.perf_counter()
    nbgrader(["autograde", chapter, "--force"], course)
    seconds = time.perf_counter() - start
    missing = [s for s in names
               if not (course / "autograder" / "autograded" / s / chapter / f"{chapter}.ipynb").exists()]
    if missing:
        raise BenchmarkError(f"plain nbgrader autograded no notebook for {', '.join(missing)}")
    shutil.rmtree(course)
    return seconds


def time_grade(folder: Path, chapter: str, jobs: int, experiments: str, n: int, tmp: Path) -> tuple[float, dict]:
    """Wall time of ``grade_all``, in a fresh course copy, and the scores it gave, cell by cell."""
    course = copy_course(tmp / "grade-course")
    work = tmp / "grade-work"
    with collect([folder]) as intake:
        if intake.problems or len(intake.submissions) != n:
            raise BenchmarkError(f"intake found {len(intake.submissions)} of {n} submissions: {intake.problems}")
        start = time.perf_counter()
        results = grade_all(intake.submissions, chapter, work, jobs=jobs, root=course, progress=False,
                            sandbox="require", experiments=experiments)
        seconds = time.perf_counter() - start
    failed = [f"{r.student}: {r.problem or f'{r.score:g} / {r.max_score:g}'}" for r in results
              if r.problem or r.score != r.max_score]
    if failed or len(results) != n:
        raise BenchmarkError(f"grade --jobs {jobs} --experiments {experiments}: {len(results)} results, "
                             "not full marks:\n" + "\n".join(failed))
    shutil.rmtree(course)
    shutil.rmtree(work)
    return seconds, {r.student: [(c.cell.name, c.score) for c in r.cells if not c.cell.manual] for r in results}


def bench_chapter(chapter: str, args, tmp: Path) -> dict:
    complete = ROOT / "autograder" / "examples" / chapter / f"example-ada_{chapter}.ipynb"
    if not complete.exists():
        raise BenchmarkError(f"unknown chapter {chapter!r}: {complete} does not exist")
    log(f"{chapter}: plain nbgrader autograde, {args.plain_n} submission(s), serially")
    plain = time_plain(complete, chapter, students(args.plain_n), tmp) / args.plain_n
    log(f"  {plain:.1f} s per submission")
    folder = tmp / f"submissions-{chapter}"
    folder.mkdir()
    for student in students(args.n):
        shutil.copyfile(complete, folder / f"{student}_{chapter}.ipynb")
    per_submission, scores = {}, {}
    for experiments in ("run", "skip"):
        for jobs in (1, 2):
            times = []
            for i in range(args.repeat):
                seconds, scores[experiments] = time_grade(folder, chapter, jobs, experiments, args.n, tmp)
                times.append(seconds / args.n)
                log(f"  grade --jobs {jobs} --experiments {experiments}, run {i + 1}/{args.repeat}: "
                    f"{seconds:.1f} s ({times[-1]:.2f} s per submission)")
            per_submission[experiments, jobs] = statistics.median(times)
    if scores["run"] != scores["skip"]:
        raise BenchmarkError(f"{chapter}: the scores differ with and without experiments:\n"
                             f"run: {scores['run']}\nskip: {scores['skip']}")
    return {"plain": plain, **per_submission}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chapters", nargs="+", default=CHAPTERS, help=f"chapter ids (default: {' '.join(CHAPTERS)})")
    parser.add_argument("--n", type=int, default=10, help="submissions per `grade` run (default: 10)")
    parser.add_argument("--plain-n", type=int, default=5, help="submissions for plain nbgrader (default: 5)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each `grade` setting (default: 3)")
    args = parser.parse_args()
    for name in ("n", "plain_n", "repeat"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    # The kernels (nbgrader's) must be this environment's python.
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    rows = {}
    try:
        for chapter in args.chapters:
            with tempfile.TemporaryDirectory(prefix="tt-bench-grading-") as name:
                rows[chapter] = bench_chapter(chapter, args, Path(name))
    except BenchmarkError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1

    print(f"\nSeconds per complete submission, wall time, {os.cpu_count()} CPU cores; plain nbgrader: "
          f"{args.plain_n} submissions once; `grade`: {args.n} submissions, median of {args.repeat} runs; "
          f"(×N: N times faster than plain serial nbgrader)\n")
    settings = [("run", 1), ("run", 2), ("skip", 1), ("skip", 2)]
    print("| chapter | plain `nbgrader autograde` | " + " | ".join(
        f"`grade --jobs {j}{' --experiments run' if e == 'run' else ''}`" for e, j in settings) + " |")
    print("|---|---:|" + "---:|" * len(settings))
    for chapter, row in rows.items():
        print(f"| {chapter} | {row['plain']:.1f} | " + " | ".join(
            f"{row[s]:.1f} (×{row['plain'] / row[s]:.1f})" for s in settings) + " |")
    print()
    met = {True: "met", False: "NOT met"}
    for chapter, row in rows.items():
        speedup = row["plain"] / row["skip", 2]
        target = (f" (target >= {SPEEDUP_TARGET:g}x: {met[speedup >= SPEEDUP_TARGET]})"
                  if chapter == TARGET_CHAPTER else "")
        print(f"- {chapter}: `grade --jobs 2` is {speedup:.1f}x faster per submission than plain serial nbgrader"
              f"{target}; 100 submissions would take {100 * row['skip', 2] / 60:.1f} min; the automatic scores "
              f"are identical with and without experiments")
    return 0


if __name__ == "__main__":
    sys.exit(main())
