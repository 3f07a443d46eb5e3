"""What the instructor's guide documents, read from it (so tests check the guide, not a copy of it)."""
from __future__ import annotations

import re

from autograder.course import ROOT


def documented_scores(chapter: str) -> dict[str, tuple[float, float]]:
    """example student -> (automatic score, maximum) of ``chapter``, from the table in
    autograder/README.md (tests/test_examples.py checks that the example class grades so)."""
    lines = (ROOT / "autograder" / "README.md").read_text().splitlines()
    header = next(line for line in lines if line.startswith("| student |"))
    column = [c.strip() for c in header.strip().strip("|").split("|")].index(chapter[:2])
    scores = {}
    for line in lines:
        row = re.match(r"\| `(example-[\w-]+)` \|", line)
        if row:
            cell = [c.strip() for c in line.strip().strip("|").split("|")][column]
            got, top = (float(x) for x in cell.split("/"))
            scores[row.group(1)] = (got, top)
    return scores
