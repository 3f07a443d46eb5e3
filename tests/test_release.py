"""chapters/ is exactly what nbgrader makes from solutions/, and leaks nothing."""
from __future__ import annotations

import re

import nbformat
import pytest

from autograder.release import STAMP_KEY, release
from conftest import CHAPTERS, ROOT, SOLUTIONS

REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)(.*?)### END \1", re.S)


def test_chapters_match_a_fresh_release(edition):
    """The student edition's chapters are a fresh release of solutions/ (autograder/student.py builds
    them in a throwaway copy of the course): the committed chapters/ must be the same files."""
    fresh = sorted((edition.folder / "chapters").glob("*/*.ipynb"))
    assert [p.relative_to(edition.folder) for p in fresh] == [p.relative_to(ROOT) for p in CHAPTERS]
    for path in CHAPTERS:
        assert (edition.folder / path.relative_to(ROOT)).read_text() == path.read_text(), (
            f"{path.relative_to(ROOT)} differs from a fresh release of solutions/: run `make release` "
            "(and never edit chapters/ by hand)"
        )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.parent.name)
def test_chapter_is_stamped_and_locked(path):
    nb = nbformat.read(path, as_version=4)
    assert "make release" in nb.metadata[STAMP_KEY]["note"]
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    assert tests and all(c.metadata.nbgrader.get("locked") for c in tests)
    assert all("checksum" in c.metadata.nbgrader for c in tests)


def _lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if len(line.strip()) >= 12 and not line.strip().startswith("#")}


@pytest.mark.parametrize("source", SOLUTIONS, ids=lambda p: p.parent.name)
def test_release_leaks_no_solution_or_hidden_test(source):
    released = ROOT / "chapters" / source.relative_to(ROOT / "solutions")
    text = released.read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text, f"{released.relative_to(ROOT)} contains {marker!r}"

    nb = nbformat.read(source, as_version=4)
    secret, public = set(), set()
    for cell in nb.cells:
        secret |= {line for m in REGION.finditer(cell.source) for line in _lines(m.group(2))}
        public |= _lines(REGION.sub("", cell.source))
    assert secret, f"{source.relative_to(ROOT)} has no solution or hidden-test regions"
    released_lines = set().union(*(_lines(c.source) for c in nbformat.read(released, as_version=4).cells))
    leaked = sorted((secret - public) & released_lines)
    assert not leaked, f"{released.relative_to(ROOT)} leaks solution or hidden-test lines: {leaked[:5]}"


def test_release_rejects_unknown_chapter():
    with pytest.raises(ValueError, match="unknown chapter"):
        release(["99_nothing"], quiet=True)
