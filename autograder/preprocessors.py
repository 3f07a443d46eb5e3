"""nbgrader preprocessors the course adds to ``nbgrader autograde`` (see nbgrader_config.py).

- ``StderrToStdout``: nbgrader scores a test cell 0 when anything appears on stderr. A
  correct answer may chatter there (a library's progress bar, a C++ warning, a debugging
  ``print(..., file=sys.stderr)``); a wrong one fails by raising. So after execution,
  stderr streams become stdout streams: still visible in the autograded notebook, never
  fatal. Runs after the notebook executed, so nothing the submission does can undo it.
- ``LimitOutputBytes``: nbgrader's ``LimitOutput`` counts lines; one line of 100 MB is one
  line. This caps the bytes of every cell's outputs (text, images, everything), so a flood
  cannot bloat the autograded notebook, the feedback or the gradebook's machine.
- ``SurviveKernelDeath``: nbgrader's ``Execute``, except that a kernel that dies fails
  only the cell that killed it and the cells after it, not the whole notebook; and the
  chapter's experiment cells are not run (``autograder/experiments.py``; ``Experiments.mode``).
- ``RestoreHiddenTests``: puts back the hidden tests of the test cells a submission left as
  released, so that nbgrader's checksum warnings are about real changes only.
- ``KeepExperimentOutputs``: nbgrader's ``ClearOutput``, except that the learner's outputs of
  the experiment cells that will not run are kept (valid ones), so formgrader shows their plots.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import ClearOutput, Execute, NbGraderPreprocessor
from traitlets import Enum, Integer, Unicode
from traitlets.config import Configurable

from .course import is_test_cell
from .results import HIDDEN_FAILED, KERNEL_DIED, NOT_RUN, OUTSIDE_FAILED
from .experiments import MODES, NOT_RUN_NOTE, RUN_NOTE, experiment_ids, is_experiment, needed

TRUNCATED = "\n... output truncated: {} more bytes were not kept (limit {} bytes per cell) ...\n"


def source_notebook(resources) -> Path:
    """The source (``solutions/``) notebook of the notebook being graded: nbgrader grades in the
    course folder, which holds the source folder."""
    info = (resources or {}).get("nbgrader", {})
    chapter = info.get("assignment", "")
    return Path.cwd() / "solutions" / chapter / f"{info.get('notebook', chapter)}.ipynb"


class Experiments(Configurable):
    """Whether grading runs the chapter's experiment cells (``autograder/experiments.py``)."""

    mode = Enum(MODES, default_value="skip", help="skip: experiment cells are not run when grading (they earn "
                "no points; one a later cell reads from runs after all); run: every cell runs").tag(config=True)

    def skipped(self, resources) -> set[str]:
        """The ids of the cells not to run: the source's experiment cells, unless mode is run."""
        import nbformat

        source = source_notebook(resources)
        if self.mode == "run" or not source.is_file():
            return set()
        return set(experiment_ids(nbformat.read(source, as_version=4)))


class KeepExperimentOutputs(ClearOutput):
    """nbgrader's ``ClearOutput``, except for the experiment cells grading will not run: they keep
    the learner's outputs (those that are valid nbformat outputs), after a line that says so."""

    def preprocess(self, nb, resources):
        self._keep = Experiments(parent=self).skipped(resources)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if not is_experiment(cell, self._keep):
            return super().preprocess_cell(cell, resources, index)
        from nbformat.validator import isvalid

        cell.outputs = [o for o in cell.get("outputs", []) if isvalid(o, ref="output", version=4, version_minor=5)]
        return cell, resources


class RestoreHiddenTests(NbGraderPreprocessor):
    """Give each test cell that is exactly as released its hidden tests back, before nbgrader's
    ``OverwriteCells`` compares it with the gradebook. The release removes the hidden tests, so
    ``OverwriteCells`` found every such cell "changed" and logged a warning for it on every
    submission; now it warns only about a cell the submission really changed."""

    def preprocess(self, nb, resources):
        from nbformat.v4 import new_code_cell
        from nbgrader.api import Gradebook, MissingEntry
        from nbgrader.preprocessors import ClearHiddenTests
        from nbgrader.utils import is_grade, is_locked

        info = resources["nbgrader"]
        strip = ClearHiddenTests(parent=self)
        with Gradebook(info["db_url"]) as gradebook:
            try:
                source = {c.name: c for c in gradebook.find_notebook(info["notebook"], info["assignment"]).source_cells}
            except MissingEntry:
                return nb, resources
            for cell in nb.cells:
                original = source.get(cell.metadata.get("nbgrader", {}).get("grade_id"))
                if original is None or not (is_grade(cell) and is_locked(cell)) or cell.cell_type != "code":
                    continue
                released = new_code_cell(original.source)
                if strip._remove_hidden_test_region(released) and cell.source == released.source:
                    cell.source = original.source
        return nb, resources


class StderrToStdout(NbGraderPreprocessor):
    """Turn every stderr stream of a code cell into a stdout stream."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream" and output.get("name") == "stderr":
                    output["name"] = "stdout"
        return cell, resources


def _size(output) -> int:
    return len(json.dumps(output, ensure_ascii=False).encode())


class LimitOutputBytes(NbGraderPreprocessor):
    """Keep at most ``max_bytes`` of each code cell's outputs; errors are always kept (short)."""

    max_bytes = Integer(200_000, help="most bytes of outputs kept per cell (-1: no limit)").tag(config=True)
    max_error_bytes = Integer(4_000, help="most bytes kept of an error's message and traceback").tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or self.max_bytes < 0:
            return cell, resources
        kept, used, dropped = [], 0, 0
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                self._shorten_error(output)
                kept.append(output)  # nbgrader needs it to score the cell
                continue
            size = _size(output)
            room = self.max_bytes - used
            if size <= room:
                kept.append(output)
                used += size
            elif output.get("output_type") == "stream" and room > 200:
                text = output.get("text", "")
                if isinstance(text, list):
                    text = "".join(text)
                cut = text.encode()[: room - 200].decode(errors="ignore")
                output["text"] = cut
                kept.append(output)
                used = self.max_bytes
                dropped += size - _size(output)
            else:
                dropped += size
        if dropped:
            kept.append(new_output("stream", name="stdout", text=TRUNCATED.format(dropped, self.max_bytes)))
        cell.outputs = kept
        return cell, resources

    def _shorten_error(self, output) -> None:
        limit = self.max_error_bytes
        if len(str(output.get("evalue", "")).encode()) > limit:
            output["evalue"] = str(output["evalue"]).encode()[:limit].decode(errors="ignore") + " ... (truncated)"
        traceback = output.get("traceback", [])
        total = sum(len(line.encode()) for line in traceback)
        if total > limit:
            short, used = [], 0
            for line in traceback:
                if used + len(line.encode()) > limit:
                    short.append("... (traceback truncated)")
                    break
                short.append(line)
                used += len(line.encode())
            output["traceback"] = short


def _where(cell, index: int, first_line: bool = True) -> str:
    """"code cell 5 (standardize)", or with the cell's first line when it has no grade id."""
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")[:60]
    return f"code cell {index + 1}" + (f" ({grade_id})" if grade_id else f" ({first!r})" if first_line else "")


class SurviveKernelDeath(Execute):
    """nbgrader's ``Execute``, except that a kernel that dies (``os._exit``, a segfault, the
    memory cap) does not fail the whole notebook: the cell that killed it gets an error, every
    later code cell is marked as not run, and what ran before keeps its score."""

    def preprocess(self, nb, resources=None, km=None):
        self._died_in = None
        experiments = Experiments(parent=self).skipped(resources)
        self._needed = {}  # index -> why it runs after all
        for index, deps in (needed(nb, experiments) if experiments else {}).items():
            readers = ", ".join(_where(nb.cells[r], r, first_line=False) for r in sorted({d.reader for d in deps}))
            self._needed[index] = RUN_NOTE.format(reader=readers, names=", ".join(sorted({d.name for d in deps})))
        self._skip = {i for i, cell in enumerate(nb.cells) if is_experiment(cell, experiments) and i not in self._needed}
        if self._skip:
            self.log.info("Not running %d experiment cells (--Experiments.mode=run runs them)", len(self._skip))
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if index in self._skip:  # the learner's own outputs stay (KeepExperimentOutputs)
            cell.outputs.insert(0, new_output("stream", name="stdout", text=NOT_RUN_NOTE))
            return cell, resources
        if index in self._needed and self._died_in is None:
            self.log.info("Code cell %d: %s", index + 1, self._needed[index].strip())
            cell, resources = self._execute(cell, resources, index)
            cell.outputs.insert(0, new_output("stream", name="stdout", text=self._needed[index]))
            return cell, resources
        return self._execute(cell, resources, index)

    def _execute(self, cell, resources, index):
        if self._died_in is not None:
            cell.outputs = [new_output("error", ename=NOT_RUN, traceback=[],
                                       evalue=f"not run: the kernel died earlier, in {self._died_in}")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._died_in = _where(cell, index)
            self.log.warning("The kernel died in %s; the later cells are not run", self._died_in)
            cell.outputs.append(new_output("error", ename=KERNEL_DIED, traceback=[], evalue=(
                "the kernel died while running this cell: it crashed, exited (os._exit), or ran out of memory")))
            return cell, resources


class VerifiedExecute(SurviveKernelDeath):
    """``SurviveKernelDeath``, and every test cell that passed in the kernel is judged again
    outside it (``autograder/verdict.py``): the kernel hands over the data the cell's checks
    collected, and their judges run here, against the reference. A cell whose judge fails gets
    an error output, hence 0 points, whatever the notebook did to the tests inside the kernel:
    ``OutsideCheckFailed``, or ``HiddenTestFailed`` for a hidden check, which an isolated kernel
    (without the references, or their hidden checks' data) leaves to this judge alone."""

    references = Unicode("", help="the reference data of the chapter's checks, computed once for a class "
                                  "(verdict.save_references); default: computed here").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        from .checks import cells
        from .verdict import learner_sources, load_references

        self._chapter = (resources or {}).get("nbgrader", {}).get("assignment", "")
        self._cells = cells(self._chapter)
        if self._cells and self.references:
            load_references(self._chapter, Path(self.references))
        if not self._cells:
            self.log.warning("No checks for %s: test verdicts are decided inside the kernel only", self._chapter)
        self._sources = learner_sources(nb)
        self._checked, self._seconds = 0, 0.0
        nb, resources = super().preprocess(nb, resources, km)
        self.log.info("Checked %d test cells outside the kernel in %.2f s", self._checked, self._seconds)
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        meta = cell.metadata.get("nbgrader", {})
        if (not is_test_cell(cell) or self._died_in is not None
                or any(o.get("output_type") == "error" for o in cell.outputs)):
            return cell, resources
        if meta.get("grade_id") not in self._cells:
            if self._cells:
                self.log.warning("Test cell %s has no checks", meta.get("grade_id"))
            return cell, resources
        start = time.perf_counter()
        why, hidden = self._verify(meta["grade_id"], cell, index)
        self._checked, self._seconds = self._checked + 1, self._seconds + time.perf_counter() - start
        if why and hidden:  # an isolated kernel does not judge hidden checks: the grader does, here
            cell.outputs.append(new_output("error", ename=HIDDEN_FAILED, traceback=[], evalue=why))
        elif why:
            cell.outputs.append(new_output("error", ename=OUTSIDE_FAILED, traceback=[],
                                           evalue="checked outside the notebook: " + why))
        return cell, resources

    def _verify(self, grade_id: str, cell, index: int) -> tuple[str | None, bool]:
        import os
        import tempfile

        from nbformat.v4 import new_code_cell

        from .verdict import judge_cell, record_call

        folder = Path(os.environ.get("JUPYTER_RUNTIME_DIR") or tempfile.gettempdir())
        out = folder / f"tt-verify-{os.getpid()}-{index}.json"
        out.unlink(missing_ok=True)
        probe = new_code_cell(record_call(out))
        try:
            self.execute_cell(probe, index, store_history=False)
        except DeadKernelError:
            self._died_in = f"the check of code cell {index + 1} ({grade_id})"
            return "the kernel died while handing over the check's data", False
        finally:
            self.nb.cells[index] = cell  # nbclient put the probe in the notebook in its place
        try:
            return judge_cell(self._chapter, grade_id, out, self._sources)
        finally:
            out.unlink(missing_ok=True)
