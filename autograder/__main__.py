"""``python -m autograder``: the course's instructor commands.

    python -m autograder release [CHAPTER ...]   regenerate chapters/ from solutions/
"""
from __future__ import annotations

import argparse
import sys

from .course import chapter_ids
from .release import release


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    rel = commands.add_parser("release", help="regenerate chapters/ from solutions/ with nbgrader")
    rel.add_argument("chapters", nargs="*", metavar="CHAPTER", help=f"default: all ({', '.join(chapter_ids())})")
    args = parser.parse_args(argv)

    if args.command == "release":
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
