"""Reading submitted and autograded notebooks: whether a file can be graded at all, what a
submission changed in the cells it may not change (and putting it back in the grader's copy),
and each test cell's message and where the kernel died, from the autograded notebook."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import nbformat

from .course import HIDDEN_BEGIN, is_test_cell
from .experiments import NOT_RUN_NOTE
from .processes import ANSI
from .results import HIDDEN_FAILED, KERNEL_DIED, MESSAGE_LIMIT, NOT_RUN, OUTSIDE_FAILED




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


def read(path: Path) -> nbformat.NotebookNode:
    """A notebook, read quietly: nbformat warns about (and fixes) duplicate cell ids, which a
    tampered submission may have; the grader reports tampering itself."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbformat.read(path, as_version=4)


def test_messages(autograded: Path) -> dict[str, str]:
    """grade_id -> why the cell failed (error name and message only), from the autograded notebook."""
    found = {}
    nb = read(autograded)
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


def hidden_failures(autograded: Path) -> set[str]:
    """The test cells whose message is a hidden test's, from the autograded notebook: a hidden
    check the grader judged failed (``HiddenTestFailed``), or the cell's code raised and nothing
    proves it was before the cell's ``### BEGIN HIDDEN TESTS`` (the first ``Cell In[..], line N``
    of the traceback, which the notebook could suppress: then the message counts as hidden)."""
    import re

    found = set()
    for cell in read(autograded).cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if not grade_id or not is_test_cell(cell):
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if any(o.get("ename") == HIDDEN_FAILED for o in errors):
            found.add(grade_id)
            continue
        lines = [line.strip() for line in cell.source.splitlines()]
        if not errors or HIDDEN_BEGIN not in lines or errors[0].get("ename") in (OUTSIDE_FAILED, NOT_RUN, KERNEL_DIED):
            continue
        frames = (re.search(r"Cell In\[\d+\], line (\d+)", ANSI.sub("", line)) for line in errors[0].get("traceback", []))
        top = next((int(m.group(1)) for m in frames if m), None)
        if top is None or top > 1 + lines.index(HIDDEN_BEGIN):
            found.add(grade_id)
    return found


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

    given, original = read(submitted), read(release)
    mine, theirs = by_id(original), by_id(given)
    sources = {cell.source.strip() for cell in given.cells if cell.source.strip()}
    found = []
    for grade_id, (cell,) in mine.items():
        meta = cell.metadata["nbgrader"]
        locked_test = is_test_cell(cell)
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

    nb, original = read(path), read(release)
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
        if flags.get("locked") or is_test_cell(source):
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


def kernel_death(autograded: Path) -> str:
    """Where the kernel died while the notebook was graded, or ""."""
    nb = read(autograded)
    for index, cell in enumerate(nb.cells):
        outputs = cell.get("outputs", [])
        if outputs and outputs[0].get("text") == NOT_RUN_NOTE:
            continue  # an experiment not run: the outputs are the learner's, not the grader's
        if cell.cell_type == "code" and any(o.get("ename") == KERNEL_DIED for o in outputs):
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            where = f"code cell {index + 1}" + (f" ({grade_id})" if grade_id else "")
            return f"the kernel died in {where}; what ran before it counts, the cells after it were not run"
    return ""
