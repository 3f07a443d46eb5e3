"""The nbgrader exchange route, as on a shared JupyterHub, end to end and for real, in temporary
folders: the instructor releases chapter 0 into an exchange, two students fetch it in their own
homes, put their work in the fetched notebook and submit it, the instructor collects the class and
grades what was collected with the course's own grader (`python -m autograder grade`). The
students run the student edition's nbgrader (its own fresh virtual environment, tests/edition.py),
as on a hub whose image installs the edition; the instructor runs the repository's.

Alice hands in the example class's complete notebook and Bob its partly wrong one
(autograder/examples/): both must get exactly the scores autograder/README.md documents for those
notebooks, in grades.csv and in the gradebook that formgrader reads.

What nbgrader needs here (nbgrader/exchange/default/ and nbgrader/utils.py, nbgrader 0.9):
- the hub's configuration, loaded from a folder on JUPYTER_CONFIG_PATH (on a hub: /etc/jupyter/):
  ``Exchange.root`` (created world-writable by release_assignment when missing) and the course id;
  the course's own configuration keeps its course id, which the students' must match;
- a student's id is the *OS account* (``get_username``: ``pwd.getpwuid(os.getuid())``, or
  ``JUPYTERHUB_USER`` when that account is ``jovyan``), not ``USER``/``LOGNAME``. This test runs
  every "user" under one account, so each student submits with ``--student <id>`` (what the
  exchange records: ``inbound/<id>+<chapter>+<timestamp>+<random>``), and collect's cross-check
  of that id against the files' owner (``ExchangeCollect.check_owner``) is turned off: here
  every file has the same owner.
"""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.utils import parse_utc

from documented import documented_scores
from autograder.course import copy_course, tool_env
from conftest import ROOT
from edition import environment

CHAPTER = "00_getting_started"
# the example class's notebooks (autograder/examples/) that the two students hand in
HANDED_IN = {"alice": "example-ada", "bob": "example-ben"}  # complete; partly wrong


def course_id() -> str:
    """The course id of the course's nbgrader configuration (the exchange files the chapter under it)."""
    text = (ROOT / "autograder" / "nbgrader_config.py").read_text()
    return re.search(r'^c\.CourseDirectory\.course_id\s*=\s*"([^"]+)"', text, re.M).group(1)


class Hub:
    """Users of one machine that share an nbgrader exchange: each has a home folder, and every
    command runs as on a hub, with the hub's nbgrader configuration and the user's own HOME."""

    def __init__(self, base: Path, course: str):
        self.base = base
        self.exchange = base / "exchange"  # not created: release_assignment makes it, with its permissions
        self.config = base / "etc-jupyter"  # on a hub: /etc/jupyter/nbgrader_config.py
        self.config.mkdir()
        (self.config / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            f"c.Exchange.root = {str(self.exchange)!r}\n"
            f"c.CourseDirectory.course_id = {course!r}\n")
        self.timings: dict[str, float] = {}

    def home(self, user: str) -> Path:
        home = self.base / "home" / user
        home.mkdir(parents=True, exist_ok=True)
        return home

    def env(self, user: str) -> dict[str, str]:
        env = tool_env() if user == "instructor" else environment()
        for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_PATH"):
            env.pop(name, None)  # everything Jupyter keeps per user goes into the user's own home
        env.update(HOME=str(self.home(user)), USER=user, LOGNAME=user, JUPYTERHUB_USER=user,
                   JUPYTER_CONFIG_PATH=str(self.config))
        return env

    def run(self, step: str, user: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
        start = time.monotonic()
        result = subprocess.run(args, cwd=cwd, env=self.env(user), capture_output=True, text=True, timeout=600)
        self.timings[step] = time.monotonic() - start
        assert result.returncode == 0, f"{step} failed:\n{result.stdout}\n{result.stderr}"
        return result

    def nbgrader(self, step: str, user: str, args: list[str], cwd: Path, python=sys.executable):
        return self.run(step, user, [str(python), "-m", "nbgrader", *args], cwd)


def test_release_fetch_submit_collect_grade(tmp_path, edition):
    course = copy_course(tmp_path / "course")  # no gradebook, no submissions: grading makes them
    hub = Hub(tmp_path, course_id())
    expected = documented_scores(CHAPTER)
    assert expected["example-ada"][0] == expected["example-ada"][1] > expected["example-ben"][0] > 0

    # 1. the instructor releases the chapter into the exchange
    hub.nbgrader("release_assignment", "instructor", ["release_assignment", CHAPTER], cwd=course)
    released = hub.exchange / course_id() / "outbound" / CHAPTER / f"{CHAPTER}.ipynb"
    assert released.read_bytes() == (course / "chapters" / CHAPTER / f"{CHAPTER}.ipynb").read_bytes()

    # 2. each student fetches it into their home, does the work in the fetched notebook, submits
    for student, example in HANDED_IN.items():
        home = hub.home(student)
        hub.nbgrader(f"fetch_assignment ({student})", student, ["fetch_assignment", CHAPTER], cwd=home,
                     python=edition.python)
        fetched = home / CHAPTER / f"{CHAPTER}.ipynb"
        assert fetched.read_bytes() == released.read_bytes()
        shutil.copyfile(ROOT / "autograder" / "examples" / CHAPTER / f"{example}_{CHAPTER}.ipynb", fetched)
        hub.nbgrader(f"submit ({student})", student, ["submit", CHAPTER, "--student", student], cwd=home,
                     python=edition.python)
    inbound = sorted(p.name.split("+")[0] for p in (hub.exchange / course_id() / "inbound").iterdir())
    assert inbound == sorted(HANDED_IN)

    # 3. the instructor collects the class into the course's submitted folder
    hub.nbgrader("collect", "instructor", ["collect", CHAPTER, "--ExchangeCollect.check_owner=False"], cwd=course)
    submitted = course / "autograder" / "submitted"
    for student, example in HANDED_IN.items():
        collected = submitted / student / CHAPTER
        assert (collected / f"{CHAPTER}.ipynb").read_bytes() == \
            (ROOT / "autograder" / "examples" / CHAPTER / f"{example}_{CHAPTER}.ipynb").read_bytes()
        assert (collected / "timestamp.txt").is_file()

    # 4. ... and grades it with the course's grader, into the course's gradebook
    out = tmp_path / "graded"
    result = hub.run("python -m autograder grade", "instructor",
                     [sys.executable, "-m", "autograder", "grade", "--chapter", CHAPTER, "--course", str(course),
                      "--out", str(out), "--jobs", "1", str(submitted)], cwd=tmp_path)
    assert "warning:" not in result.stderr, result.stderr  # every collected notebook found its student

    print("\n" + "\n".join(f"{seconds:6.1f} s  {step}" for step, seconds in hub.timings.items()))
    print(f"{sum(hub.timings.values()):6.1f} s  in all")

    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert sorted(rows) == sorted(HANDED_IN)
    with Gradebook(f"sqlite:///{course / 'autograder' / 'gradebook.db'}") as gb:
        for student, example in HANDED_IN.items():
            score, maximum = expected[example]
            row = rows[student]
            assert (float(row["automatic score"]), float(row["automatic max"])) == (score, maximum), row
            assert (out / student / "feedback.html").is_file() and (out / student / "results.json").is_file()
            # formgrader's view: the collected submission, autograded, with the same score
            submission = gb.find_submission(CHAPTER, student)
            assert (submission.code_score, submission.max_code_score) == (score, maximum)
            # ... handed in when the exchange says (the time nbgrader's late penalties go by)
            stamp = (submitted / student / CHAPTER / "timestamp.txt").read_text()
            assert submission.timestamp == parse_utc(stamp)
            assert (course / "autograder" / "autograded" / student / CHAPTER / f"{CHAPTER}.ipynb").is_file()
        assert sorted(s.student.id for s in gb.find_assignment(CHAPTER).submissions) == sorted(HANDED_IN)
