"""Find the submissions to grade, and whose they are, in what an instructor has collected.

Accepted, in any mix:

- single notebooks: ``alice.ipynb``, ``alice_01_regularization.ipynb``;
- a folder of student folders: ``<student_id>/<any name>.ipynb`` (nbgrader's exchange and
  most "download all" buttons);
- a flat folder of LMS-style files: ``<student_id>_<anything>.ipynb``;
- a ``.zip`` of either kind of folder (a single top-level folder inside it is looked through).

**The student id rule.** A student folder's name is the id. For a notebook file, the id is
taken from its name (without ``.ipynb``) by ``--student-pattern``, a regular expression whose
named group ``student`` (or first group) is the id. The default,
``DEFAULT_STUDENT_PATTERN``, takes everything before the first underscore (the whole name
when there is none). An id must be letters, digits, ``.``, ``-`` or ``_``, starting with a
letter or digit, so that it is safe as a folder name.

Nothing given is ever modified: files are only read, and a zip is extracted into a
temporary folder (entries that would land outside it are refused). Anything that cannot be
attributed to exactly one student is reported as a problem, never guessed: two notebooks
for the same student are both held back, with the reason.
"""
from __future__ import annotations

import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_STUDENT_PATTERN = r"^(?P<student>[^_]+)"
VALID_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
IGNORED = {"__MACOSX", ".ipynb_checkpoints", ".DS_Store"}


@dataclass(frozen=True)
class Submission:
    """One student's notebook: ``path`` is where it can be read, ``origin`` what was given."""

    student: str
    path: Path
    origin: str


@dataclass
class Intake:
    submissions: list[Submission] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _temporary: list[tempfile.TemporaryDirectory] = field(default_factory=list, repr=False)

    def close(self) -> None:
        """Remove the folders that zips were extracted into."""
        for folder in self._temporary:
            folder.cleanup()
        self._temporary.clear()

    def __enter__(self) -> Intake:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def compile_pattern(pattern: str) -> re.Pattern:
    """Check a ``--student-pattern``: a valid regex with a ``student`` group or one group."""
    try:
        compiled = re.compile(pattern)
    except re.error as err:
        raise ValueError(f"--student-pattern {pattern!r} is not a valid regular expression: {err}") from err
    if "student" not in compiled.groupindex and compiled.groups < 1:
        raise ValueError(f"--student-pattern {pattern!r} needs a group for the id, e.g. (?P<student>[^_]+)")
    return compiled


def student_from_name(name: str, pattern: re.Pattern) -> str | None:
    """The student id in a notebook file's name (without ``.ipynb``), or None."""
    match = pattern.search(name)
    if not match:
        return None
    student = match.group("student") if "student" in pattern.groupindex else match.group(1)
    return student if student and VALID_ID.match(student) else None


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".ipynb" and p.name not in IGNORED)


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name not in IGNORED and not p.name.startswith("."))


def _extract(archive: Path, intake: Intake) -> Path | None:
    try:
        with zipfile.ZipFile(archive) as zf:
            target = tempfile.TemporaryDirectory(prefix="traintech-intake-")
            intake._temporary.append(target)
            root = Path(target.name).resolve()
            for info in zf.infolist():
                destination = (root / info.filename).resolve()
                if not destination.is_relative_to(root):
                    intake.problems.append(f"{archive}: refused entry {info.filename!r} (it points outside the archive)")
                    continue
                zf.extract(info, root)
    except (zipfile.BadZipFile, OSError) as err:
        intake.problems.append(f"{archive}: not a readable zip file ({err})")
        return None
    entries = _entries(root)
    if len(entries) == 1 and entries[0].is_dir():
        inner = entries[0]
        # One wrapping folder ("submissions/"): look inside it, unless it is a student's own
        # folder (a single notebook and nothing else).
        if any(p.is_dir() for p in _entries(inner)) or len(_notebooks(inner)) > 1:
            return inner
    return root


def _add_file(path: Path, origin: str, pattern: re.Pattern, found: dict, intake: Intake) -> None:
    student = student_from_name(path.stem, pattern)
    if student is None:
        intake.problems.append(f"{origin}: no student id in the file name {path.name!r} "
                               f"(pattern {pattern.pattern!r}); rename it or pass --student-pattern")
        return
    found.setdefault(student, []).append(Submission(student, path, origin))


def _add_folder(folder: Path, origin: str, pattern: re.Pattern, chapter: str | None, found: dict,
                intake: Intake) -> None:
    for entry in _entries(folder):
        where = f"{origin}/{entry.name}"
        if entry.is_dir():
            notebooks = _notebooks(entry)
            if not notebooks and chapter and (entry / chapter).is_dir():
                # nbgrader's own layout: submitted/<student>/<chapter>/<notebook>.ipynb
                notebooks = _notebooks(entry / chapter)
                where = f"{where}/{chapter}"
            if not notebooks:
                intake.problems.append(f"{where}: a folder without a notebook")
                continue
            if not VALID_ID.match(entry.name):
                intake.problems.append(f"{where}: {entry.name!r} is not a usable student id")
                continue
            if len(notebooks) > 1 and chapter:
                named = [nb for nb in notebooks if chapter in nb.stem]
                notebooks = named or notebooks
            for notebook in notebooks:
                found.setdefault(entry.name, []).append(Submission(entry.name, notebook, f"{where}/{notebook.name}"))
        elif entry.suffix == ".ipynb":
            _add_file(entry, where, pattern, found, intake)
        else:
            intake.problems.append(f"{where}: not a notebook, skipped")


def collect(paths: list[str | Path], pattern: str = DEFAULT_STUDENT_PATTERN, chapter: str | None = None) -> Intake:
    """Every submission in ``paths``, with its student id, and every problem found on the way.

    Use as a context manager (or call ``close()``) so that extracted zips are removed.
    Raises ``ValueError`` for a bad pattern; everything else is reported in ``problems``.
    """
    compiled = compile_pattern(pattern)
    intake = Intake()
    found: dict[str, list[Submission]] = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            intake.problems.append(f"{path}: does not exist")
        elif path.is_dir():
            _add_folder(path, str(path), compiled, chapter, found, intake)
        elif path.suffix == ".zip":
            root = _extract(path, intake)
            if root is not None:
                _add_folder(root, str(path), compiled, chapter, found, intake)
        elif path.suffix == ".ipynb":
            _add_file(path, str(path), compiled, found, intake)
        else:
            intake.problems.append(f"{path}: not a notebook, a folder or a .zip")
    for student, submissions in sorted(found.items()):
        if len(submissions) == 1:
            intake.submissions.append(submissions[0])
        else:
            origins = ", ".join(s.origin for s in submissions)
            intake.problems.append(f"{student}: {len(submissions)} notebooks ({origins}); none graded until "
                                   f"only one is given")
    return intake
