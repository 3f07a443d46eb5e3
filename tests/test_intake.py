"""autograder.intake: every accepted form, the student id rule, and nothing given is modified."""
from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from autograder.intake import DEFAULT_STUDENT_PATTERN, collect, compile_pattern, student_from_name


def _nb(path: Path, text: str = "{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _found(intake) -> dict[str, str]:
    return {s.student: s.path.name for s in intake.submissions}


def test_student_id_rule():
    pattern = compile_pattern(DEFAULT_STUDENT_PATTERN)
    assert student_from_name("alice", pattern) == "alice"
    assert student_from_name("alice_01_regularization", pattern) == "alice"
    assert student_from_name("bob.smith-2_attempt_1", pattern) == "bob.smith-2"
    assert student_from_name("../evil", pattern) is None  # not a safe folder name
    custom = compile_pattern(r"^\w+?_(\d+)_")  # an LMS that puts a numeric id second
    assert student_from_name("Smith, Ann_12345_submission", compile_pattern(r"_(?P<student>\d+)_")) == "12345"
    assert student_from_name("ann_12345_x", custom) == "12345"
    with pytest.raises(ValueError, match="not a valid regular expression"):
        compile_pattern("(")
    with pytest.raises(ValueError, match="group"):
        compile_pattern("^[a-z]+")


def test_single_files_flat_folder_and_student_folders(tmp_path):
    single = _nb(tmp_path / "given" / "carol.ipynb")
    flat = tmp_path / "lms"
    _nb(flat / "alice_01_regularization.ipynb")
    _nb(flat / "bob_final.ipynb")
    (flat / "readme.txt").write_text("not a notebook")
    nested = tmp_path / "exchange"
    _nb(nested / "dave" / "anything.ipynb")
    _nb(nested / "erin" / "01_regularization.ipynb")
    _nb(nested / "erin" / "scratch.ipynb")  # the chapter's notebook is chosen
    (nested / "frank").mkdir()
    before = _digest(tmp_path)
    with collect([single, flat, nested], chapter="01_regularization") as intake:
        assert _found(intake) == {"alice": "alice_01_regularization.ipynb", "bob": "bob_final.ipynb",
                                  "carol": "carol.ipynb", "dave": "anything.ipynb", "erin": "01_regularization.ipynb"}
        assert any("readme.txt" in p for p in intake.problems)
        assert any("frank" in p and "without a notebook" in p for p in intake.problems)
    assert _digest(tmp_path) == before  # nothing given was modified


def test_zip_of_either_layout(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("submissions/alice/work.ipynb", "{}")
        zf.writestr("submissions/bob/work.ipynb", "{}")
        zf.writestr("__MACOSX/submissions/._alice", "junk")
    flat = tmp_path / "flat.zip"
    with zipfile.ZipFile(flat, "w") as zf:
        zf.writestr("carol_ch1.ipynb", "{}")
        zf.writestr("dave_ch1.ipynb", "{}")
    before = archive.read_bytes()
    with collect([archive, flat]) as intake:
        assert _found(intake) == {"alice": "work.ipynb", "bob": "work.ipynb", "carol": "carol_ch1.ipynb",
                                  "dave": "dave_ch1.ipynb"}
        assert not intake.problems
        extracted = [s.path for s in intake.submissions]
        assert all(p.exists() for p in extracted)
    assert not any(p.exists() for p in extracted)  # temporary extraction removed
    assert archive.read_bytes() == before


def test_unsafe_zip_and_bad_input_are_reported_not_fatal(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../escaped.ipynb", "{}")
        zf.writestr("alice_ok.ipynb", "{}")
    broken = _nb(tmp_path / "broken.zip", "this is not a zip")
    with collect([evil, broken, tmp_path / "missing", _nb(tmp_path / "x" / "_nameless.ipynb")]) as intake:
        assert _found(intake) == {"alice": "alice_ok.ipynb"}
        problems = "\n".join(intake.problems)
        assert "refused entry" in problems and "not a readable zip" in problems
        assert "does not exist" in problems and "no student id" in problems
    assert not (tmp_path / "escaped.ipynb").exists()


def test_two_notebooks_for_one_student_are_held_back(tmp_path):
    flat = tmp_path / "lms"
    _nb(flat / "alice_attempt1.ipynb")
    _nb(flat / "alice_attempt2.ipynb")
    _nb(flat / "bob_x.ipynb")
    with collect([flat]) as intake:
        assert _found(intake) == {"bob": "bob_x.ipynb"}
        assert any(p.startswith("alice: 2 notebooks") for p in intake.problems)


def test_nbgrader_submitted_layout(tmp_path):
    """`nbgrader collect` leaves submitted/<student>/<chapter>/<chapter>.ipynb (+ timestamp.txt)."""
    submitted = tmp_path / "autograder" / "submitted"
    _nb(submitted / "alice" / "01_regularization" / "01_regularization.ipynb")
    (submitted / "alice" / "01_regularization" / "timestamp.txt").write_text("2026-11-29 10:00:00 UTC")
    _nb(submitted / "bob" / "02_normalization" / "02_normalization.ipynb")  # another chapter only
    with collect([submitted], chapter="01_regularization") as intake:
        assert _found(intake) == {"alice": "01_regularization.ipynb"}
        assert intake.submissions[0].origin.endswith("alice/01_regularization/01_regularization.ipynb")
        assert any("bob" in p and "without a notebook" in p for p in intake.problems)
