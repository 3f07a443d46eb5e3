"""``python -m autograder``: the course's instructor commands.

    python -m autograder release [CHAPTER ...]   regenerate chapters/ from solutions/
    python -m autograder grade [SUBMISSION ...] --chapter ID [--out DIR] [--jobs N] [--experiments run]
                                                 grade a class's notebooks with nbgrader
    python -m autograder export --chapter ID [--out DIR]
                                                 add the grades given in formgrader to grades.csv
    python -m autograder examples [CHAPTER ...]  regenerate the example class (autograder/examples/)
    python -m autograder grade-me --chapter ID [NOTEBOOK] [--open]
                                                 self-study: grade your own notebook as an instructor would
    python -m autograder student [--out DIR]     build the student edition for a graded class (dist/)
    python -m autograder gradescope --chapter ID [--out DIR] [--hidden-messages WHEN] [--time-limit S]
                                                 build a chapter's Gradescope autograder (dist/gradescope/)
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from .course import ROOT, chapter_ids
from .processes import MEMORY_LIMIT, TIME_LIMIT
from .gradescope import DEFAULTS, VISIBILITY
from .intake import DEFAULT_STUDENT_PATTERN, collect


def grade_command(args) -> int:
    from .grade import grade_all
    from .results import summary, write_outputs

    root = args.course.resolve()
    if not (root / "solutions").is_dir():
        print(f"error: {root} is not a course folder (it has no solutions/)", file=sys.stderr)
        return 2
    if args.chapter not in chapter_ids(root):
        print(f"error: unknown chapter {args.chapter!r}; the chapters are {', '.join(chapter_ids(root))}",
              file=sys.stderr)
        return 2
    submissions = args.submissions or [root / "autograder" / "examples" / args.chapter]
    out = (args.out or root / "autograder" / "graded" / args.chapter).resolve()
    try:
        intake = collect(submissions, args.student_pattern, chapter=args.chapter)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    with intake:
        for problem in intake.problems:
            print(f"warning: {problem}", file=sys.stderr)
        if not intake.submissions:
            print("error: no submissions to grade", file=sys.stderr)
            return 2
        work = out / ".work"
        try:
            results = grade_all(intake.submissions, args.chapter, work, jobs=args.jobs, root=root,
                                time_limit=args.time_limit, cell_timeout=args.cell_timeout,
                                memory_limit=int(args.memory_limit * 2**30) if args.memory_limit > 0 else None,
                                sandbox=args.sandbox, experiments=args.experiments)
            grades = write_outputs(results, args.chapter, out)
        except (ValueError, RuntimeError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print(summary(results))
    print(f"\nper student: {out}/<student>/ (autograded notebook, feedback.html, results.json)")
    if args.sandbox == "auto":
        from .grade import NO_SANDBOX
        from .sandbox import unavailable

        if unavailable():  # said before grading too; said again where it cannot scroll away
            print(NO_SANDBOX.format(why=unavailable()), file=sys.stderr)
    print(f"class: {grades}")
    return 0


def grade_me_command(args) -> int:
    """Grade one learner's own notebook (default: their copy in chapters/) with the hidden tests, as
    ``grade`` grades a class, and show its feedback page. The notebook is copied, never changed."""
    import tempfile

    root = args.course.resolve()
    notebook = (args.notebook or root / "chapters" / args.chapter / f"{args.chapter}.ipynb").resolve()
    if not notebook.is_file():
        print(f"error: no notebook {notebook}", file=sys.stderr)
        return 2
    out = (args.out or root / "autograder" / "graded" / "self-study" / args.chapter).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / SELF).mkdir()
        shutil.copy2(notebook, Path(tmp) / SELF / notebook.name)
        status = main(["grade", tmp, "--chapter", args.chapter, "--course", str(root), "--out", str(out),
                       "--jobs", "1"])  # `grade` exactly, with its own defaults
    feedback = out / SELF / "feedback.html"
    if status == 0:
        print(f"\nyour feedback page: {feedback}")
        if args.open:
            import webbrowser

            webbrowser.open(feedback.as_uri())
    return status


SELF = "me"  # the student id of a self-study learner's own notebook


def export_command(args) -> int:
    from .gradebook import refresh
    from .results import load_record, summary, write_outputs

    root = args.course.resolve()
    out = (args.out or root / "autograder" / "graded" / args.chapter).resolve()
    try:
        chapter, results = load_record(out)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if chapter != args.chapter:
        print(f"error: {out} holds grades of {chapter}, not {args.chapter}", file=sys.stderr)
        return 2
    refresh(results, chapter, root)
    grades = write_outputs(results, chapter, out)
    print(summary(results))
    print(f"\nupdated with the class gradebook: {grades} and each student's feedback.html and results.json")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    rel = commands.add_parser("release", help="regenerate chapters/ from solutions/ with nbgrader")
    rel.add_argument("chapters", nargs="*", metavar="CHAPTER", help=f"default: all ({', '.join(chapter_ids())})")
    gr = commands.add_parser("grade", help="grade submissions of one chapter with nbgrader")
    gr.add_argument("submissions", nargs="*", metavar="SUBMISSION",
                    help="notebooks, folders of <student>/<any>.ipynb or <student>_<any>.ipynb, or .zip files "
                         "(default: the example class in autograder/examples/<chapter>/)")
    gr.add_argument("--chapter", required=True, help=f"one of {', '.join(chapter_ids())}")
    gr.add_argument("--out", type=Path, help="output folder (default: autograder/graded/<chapter>/)")
    gr.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="submissions graded at once (default: cores)")
    gr.add_argument("--time-limit", type=float, default=TIME_LIMIT,
                    help=f"seconds a whole notebook may run before it is stopped (default {TIME_LIMIT})")
    gr.add_argument("--cell-timeout", type=float,
                    help="seconds each cell may run (default: Execute.timeout in autograder/nbgrader_config.py, 120)")
    gr.add_argument("--memory-limit", type=float, default=MEMORY_LIMIT / 2**30,
                    help=f"GiB of memory the grading process and the kernel may each map (default "
                         f"{MEMORY_LIMIT / 2**30:g}; 0: no limit)")
    gr.add_argument("--sandbox", choices=["auto", "require", "off"], default="auto",
                    help="run each kernel in a bubblewrap sandbox: where possible, warning loudly where not "
                         "(auto, the default), or refuse to grade without one (require), or never (off)")
    gr.add_argument("--experiments", choices=["skip", "run"], default="skip",
                    help="the chapter's experiment cells earn no points: do not run them, keeping the learner's "
                         "own outputs (skip, the default), or run every cell (run)")
    gr.add_argument("--student-pattern", default=DEFAULT_STUDENT_PATTERN,
                    help="regex taking the student id from a notebook's file name (group 'student'); "
                         f"default {DEFAULT_STUDENT_PATTERN!r}: everything before the first underscore")
    exa = commands.add_parser("examples", help="regenerate the example class in autograder/examples/")
    exa.add_argument("chapters", nargs="*", metavar="CHAPTER", help=f"default: all ({', '.join(chapter_ids())})")
    ex = commands.add_parser("export", help="refresh grades.csv and feedback with the grades given in formgrader")
    ex.add_argument("--chapter", required=True, help=f"one of {', '.join(chapter_ids())}")
    ex.add_argument("--out", type=Path, help="the folder `grade` wrote (default: autograder/graded/<chapter>/)")
    me = commands.add_parser("grade-me", help="self-study: grade your own notebook with the hidden tests")
    me.add_argument("notebook", nargs="?", type=Path, metavar="NOTEBOOK",
                    help="default: chapters/<chapter>/<chapter>.ipynb, the copy you work in")
    me.add_argument("--chapter", required=True, help=f"one of {', '.join(chapter_ids())}")
    me.add_argument("--out", type=Path, help="output folder (default: autograder/graded/self-study/<chapter>/)")
    me.add_argument("--open", action="store_true", help="open the feedback page in a browser")
    st = commands.add_parser("student", help="build the student edition for a graded class (dist/)")
    st.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    gs = commands.add_parser("gradescope", help="build a chapter's Gradescope autograder bundle (dist/gradescope/)")
    gs.add_argument("--chapter", required=True, help=f"one of {', '.join(chapter_ids())}")
    gs.add_argument("--out", type=Path, default=ROOT / "dist" / "gradescope", help="output folder (default: dist/gradescope/)")
    gs.add_argument("--hidden-messages", choices=VISIBILITY, default=DEFAULTS["hidden_messages"],
                    help="when students see the message of a test that failed one of its hidden tests "
                         f"(default {DEFAULTS['hidden_messages']}: once you publish the grades)")
    gs.add_argument("--time-limit", type=float, default=DEFAULTS["time_limit"],
                    help=f"seconds the notebook may run, graded once or twice (default {DEFAULTS['time_limit']}, "
                         f"inside Gradescope's default limit of 10 minutes: raise both together)")
    for command in (gr, ex, me):
        command.add_argument("--course", type=Path, default=ROOT,
                             help="the nbgrader course folder whose gradebook records the grades (default: this repository)")
    args = parser.parse_args(argv)

    if args.command == "grade":
        return grade_command(args)
    if args.command == "export":
        return export_command(args)
    if args.command == "grade-me" and args.chapter not in chapter_ids():
        print(f"error: unknown chapter {args.chapter!r}; the chapters are {', '.join(chapter_ids())}", file=sys.stderr)
        return 2
    if args.command == "grade-me":
        return grade_me_command(args)
    if args.command == "gradescope":
        from .gradescope import build

        try:
            bundle = build(args.chapter, args.out.resolve(), hidden_messages=args.hidden_messages,
                           time_limit=args.time_limit)
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"Gradescope autograder of {args.chapter}: {bundle} ({bundle.stat().st_size / 1e6:.1f} MB)\n"
              f"upload it in the assignment's Configure Autograder page (see autograder/README.md, Gradescope)")
        return 0
    if args.command == "student":
        from .student import build

        build(args.out.resolve())
        return 0
    if args.command == "examples":
        from .examples import write

        unknown = [c for c in args.chapters if c not in chapter_ids()]
        if unknown:
            print(f"error: unknown chapter {unknown[0]!r}; the chapters are {', '.join(chapter_ids())}", file=sys.stderr)
            return 2
        for notebook in write(args.chapters):
            print(notebook.relative_to(ROOT))
        return 0

    if args.command == "release":
        from .release import release

        try:
            notebooks = release(args.chapters)
        except (ValueError, RuntimeError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        for notebook in notebooks:
            print(f"released {notebook.relative_to(notebook.parents[2])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
