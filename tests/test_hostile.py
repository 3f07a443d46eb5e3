"""Broken and hostile submissions (issue 7), each a fixture graded by the real grader: the
exact score, the message in the report, and the batch always goes on. Built on the
getting-started chapter, whose `standardize` is worth 4 automatic points (2 test cells)."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import pytest

from autograder.grade import grade_all
from autograder.results import write_outputs
from autograder.intake import collect
from conftest import ROOT, copy_course

CHAPTER = "00_getting_started"
# a learner's notebook: the release with the solution filled in (the example class's "complete")
SOLUTION = ROOT / "autograder" / "examples" / CHAPTER / f"example-ada_{CHAPTER}.ipynb"
TESTS = ["test_standardize_values", "test_standardize_edge_cases"]
BODY = "    mean = x.mean(dim=dim, keepdim=True)\n"


def _answer(folder, student, before_body="", top_level="", last_cell=""):
    """The solution with code inserted at the top of standardize's body and/or after it, or in
    a code cell of the learner's own at the end of the notebook."""
    nb = nbformat.read(SOLUTION, as_version=4)
    if last_cell:
        nb.cells.append(nbformat.v4.new_code_cell(last_cell))
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "standardize"]
    assert len(cells) == 1 and BODY in cells[0].source
    cells[0].source = cells[0].source.replace(BODY, before_body + BODY) + ("\n" + top_level if top_level else "")
    path = folder / f"{student}_{CHAPTER}.ipynb"
    nbformat.write(nb, path)
    return path


SAMPLE_STD = (".mean(dim=dim, keepdim=True).sqrt()", ".sum(dim=dim, keepdim=True).div(x.shape[dim] - 1).sqrt()")


def _tampered(folder, student, tamper, honest_mistake=True):
    """A submission with the sample standard deviation (honestly worth 2 of 4: it fails
    test_standardize_values), whose failing test cell is then tampered with."""
    nb = nbformat.read(SOLUTION, as_version=4)
    for cell in nb.cells:
        if honest_mistake:
            cell.source = cell.source.replace(*SAMPLE_STD)
    index = next(i for i, c in enumerate(nb.cells)
                 if c.metadata.get("nbgrader", {}).get("grade_id") == TESTS[0])
    tamper(nb, index)
    nbformat.write(nb, folder / f"{student}_{CHAPTER}.ipynb")


def _set(index, **changes):
    def tamper(nb, i=index):
        cell = nb.cells[i]
        for key, value in changes.items():
            if key == "source":
                cell.source = value
            elif key == "cell_type":
                nb.cells[i] = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata)
            elif key == "metadata":
                cell.metadata.pop("nbgrader")
            else:
                cell.metadata["nbgrader"][key] = value
    return tamper


# 4. tampering with the test cell the honest code fails; expected note fragment
TAMPERING = {
    "t-deleted": (lambda nb, i: nb.cells.pop(i), "test cell test_standardize_values: deleted"),
    "t-edited": (lambda nb, i: _set(i, source="pass")(nb), "its code was edited"),
    "t-markdown": (lambda nb, i: _set(i, cell_type="markdown")(nb), "turned into markdown"),
    "t-stripped": (lambda nb, i: _set(i, metadata=None)(nb), "its nbgrader metadata was removed"),
    "t-points": (lambda nb, i: _set(i, points=100, source="pass")(nb), "its metadata (points) was changed"),
    "t-ungraded": (lambda nb, i: _set(i, grade=False, source="pass")(nb), "its metadata (grade) was changed"),
    "t-duplicated": (lambda nb, i: (_set(i, source="pass")(nb),
                                    nb.cells.insert(i, nbformat.from_dict({**nb.cells[i], "id": "copy"}))),
                     "cell test_standardize_values: 2 copies"),
}


# 5. gaming the checks from a cell of the learner's own, inserted before the test cell the honest
#    code fails: each makes that test pass inside the kernel (nbgrader alone gives 4 of 4).
GAMING = {
    "g-helpers": ("import traintech.testing as T\n"
                  "T.assert_close = T.assert_true = T.check_no_delegation = T.check_gradients = lambda *a, **k: None",
                  "redefined traintech.testing's checks"),
    "g-modules": ("import sys, types\nfake = types.ModuleType('traintech.testing')\n"
                  "fake.__getattr__ = lambda name: (lambda *a, **k: None)\nsys.modules['traintech.testing'] = fake",
                  "a fake traintech.testing in sys.modules"),
    "g-torch": ("torch.Tensor.any = lambda self, *a, **k: False\ntorch.allclose = lambda *a, **k: True\n"
                "torch.testing.assert_close = lambda *a, **k: None",
                "patched torch's comparisons"),
    "g-reference": ("import sklearn.preprocessing as P, numpy as np\n"
                    "P.StandardScaler.fit_transform = lambda self, a: (a - a.mean(0)) / a.std(0, ddof=1)\n"
                    "_std = torch.Tensor.std\n"
                    "torch.Tensor.std = lambda self, *a, correction=None, **k: _std(self, *a, **k)",
                    "patched the functions the expected values come from"),
    "g-runner": ("import traintech.checking as C\nC.run = lambda *args, **kwargs: None",
                 "replaced the function every test cell runs its checks with"),
    "g-swallow": ("get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)",
                  "swallowed the tests' errors"),
    "g-fake": ("import json, os\nprint('All tests passed. Score: 4/4')\n"
               "for folder in ('.', '..', '../..', '../../..', os.environ.get('JUPYTER_RUNTIME_DIR', '.')):\n"
               "    for name in ('results.json', 'grading.json'):\n"
               "        try:\n"
               "            open(os.path.join(folder, name), 'w').write(json.dumps({'score': 100, 'tests': []}))\n"
               "        except OSError:\n"
               "            pass",
               "printed fake success and wrote fake results"),
}


# session, not module: xdist may run another module's tests on this worker in between,
# which would tear a module fixture down and grade the whole class again.
def _reach(course: Path, work: Path, folder: Path, port: int) -> str:
    """A learner's cell that tries to reach outside its submission, and prints what it could do."""
    notebook = f"solutions/{CHAPTER}/{CHAPTER}.ipynb"
    reads = {"solutions": str(course / notebook), "gradebook": str(course / "autograder" / "gradebook.db"),
             "the grading's solutions": str(work / "_master" / notebook),
             "the grading's gradebook": "../../../gradebook.db",  # from autograded/<student>/<chapter>/
             "another student's notebook": str(folder / f"good_{CHAPTER}.ipynb"),
             "the hidden checks": str(ROOT / "autograder" / "checks" / f"ch{CHAPTER}" / "standardize.py")}
    writes = {"write the gradebook": reads["gradebook"], "write the grading's gradebook": "../../../gradebook.db",
              "write the solutions": reads["solutions"]}
    return f"""import json, os, socket, subprocess
seen = {{}}
for label, path in {reads!r}.items():
    try:
        with open(path, 'rb') as f:
            seen[label] = 'read ' + repr(f.read(20))
    except OSError as err:
        seen[label] = type(err).__name__
for label, path in {writes!r}.items():
    try:
        with open(path, 'r+b') as f:  # the existing file, not a new one
            f.write(b'tampered')
        seen[label] = 'wrote'
    except OSError as err:
        seen[label] = type(err).__name__
s = socket.socket()
s.settimeout(3)
seen['network'] = s.connect_ex(('127.0.0.1', {port}))
subprocess.Popen(['sleep', '987.654'], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    os.execvp('sleep', ['sleep', '987.655'])
seen['processes'] = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
print('REACH ' + json.dumps(seen))"""


@pytest.fixture(scope="session")
def listener():
    """A service on the host's loopback, for the sandboxed kernel to fail to reach."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    with socket.create_connection(server.getsockname(), timeout=3):  # reachable from outside the sandbox
        pass
    yield server.getsockname()[1]
    server.close()


@pytest.fixture(scope="session")
def batch(tmp_path_factory, listener):
    folder = tmp_path_factory.mktemp("class")
    course = copy_course(tmp_path_factory.mktemp("course") / "course")
    work = tmp_path_factory.mktemp("work")
    (folder / f"good_{CHAPTER}.ipynb").write_bytes(SOLUTION.read_bytes())
    # 1. an infinite loop inside the answer: every cell that calls it times out
    _answer(folder, "loop", before_body="    while True:\n        pass\n")
    # 7. a flood: 5 MB on one line per call (nbgrader's line limit sees one line), then a right answer
    _answer(folder, "flood", before_body="    print('x' * 5_000_000)\n")
    # 8. chatter on stderr from a right answer: Python, C level (fd 2) and a warning
    _answer(folder, "chatter", before_body="    import os, sys, warnings\n"
                                           "    print('debug: standardizing', file=sys.stderr)\n"
                                           "    os.write(2, b'C-level chatter\\n')\n"
                                           "    warnings.warn('harmless', RuntimeWarning)\n")
    # 2. the kernel dies: at the end (the tests ran before), or in the answer's cell (segfault);
    #    and an allocation beyond the memory cap, which fails instead of taking the machine down
    _answer(folder, "exits", last_cell="import os\nos._exit(3)")
    _answer(folder, "segfault", top_level="import ctypes\nctypes.string_at(0)")
    _answer(folder, "memory", last_cell="hog = bytearray(16 * 2**30)")
    for student, (tamper, _) in TAMPERING.items():
        _tampered(folder, student, tamper)
    for student, (code, _) in GAMING.items():
        _tampered(folder, student, lambda nb, i, code=code: nb.cells.insert(i, nbformat.v4.new_code_cell(code)))
    _tampered(folder, "t-solutionid", lambda nb, i: nb.cells[i - 1].metadata["nbgrader"].update(grade_id="mine"),
              honest_mistake=False)  # the right answer, in a cell whose id was changed
    # 6. reaching outside the submission, from a right answer's notebook
    _answer(folder, "reach", last_cell=_reach(course, work, folder, listener))
    # 3. files that are not notebooks
    (folder / f"empty_{CHAPTER}.ipynb").write_bytes(b"")
    (folder / f"badjson_{CHAPTER}.ipynb").write_text('{"cells": [}')
    (folder / f"binary_{CHAPTER}.ipynb").write_bytes(b"%PDF-1.7\n\xff\xfe\x00binary")
    (folder / f"nocells_{CHAPTER}.ipynb").write_text(json.dumps({"hello": "world"}))
    future = json.loads(SOLUTION.read_text())
    future["nbformat"] = 5
    (folder / f"nbformat5_{CHAPTER}.ipynb").write_text(json.dumps(future))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    solutions = (course / "solutions" / CHAPTER / f"{CHAPTER}.ipynb").read_bytes()

    with collect([folder]) as intake:
        assert not intake.problems
        results = grade_all(intake.submissions, CHAPTER, work, jobs=2, root=course, progress=False, cell_timeout=10,
                            sandbox="require")
    assert (course / "solutions" / CHAPTER / f"{CHAPTER}.ipynb").read_bytes() == solutions
    out = tmp_path_factory.mktemp("out")
    write_outputs(results, CHAPTER, out)
    assert before == {p.name: p.read_bytes() for p in folder.iterdir()}, "a submitted file was modified"
    return {r.student: r for r in results}, out


def _scores(result):
    return {c.cell.name: c.score for c in result.cells if not c.cell.manual}


def test_the_batch_grades_everyone(batch):
    results, _ = batch
    assert set(results) == {"good", "loop", "flood", "chatter", "empty", "badjson", "binary", "nocells", "nbformat5",
                            "exits", "segfault", "memory", "t-solutionid", "reach", *TAMPERING, *GAMING}
    assert results["good"].score == 4.0 and not results["good"].problem


def test_infinite_loop_times_out_that_exercise_only(batch):
    results, out = batch
    loop = results["loop"]
    assert _scores(loop) == {t: 0.0 for t in TESTS} and not loop.problem
    assert all(c.message.startswith("timed out") for c in loop.cells if not c.cell.manual)
    assert loop.pending == 1  # the written answer still waits for a grader
    assert "timed out" in (out / "loop" / "feedback.html").read_text()


def test_kernel_death_keeps_what_ran_before(batch):
    results, out = batch
    exits = results["exits"]
    assert exits.score == 4.0 and not exits.problem and exits.pending == 1
    assert "the kernel died in code cell" in exits.note and "kernel died" in (out / "exits" / "feedback.html").read_text()
    segfault = results["segfault"]
    assert _scores(segfault) == {t: 0.0 for t in TESTS} and not segfault.problem
    assert "the kernel died in code cell" in segfault.note and "(standardize)" in segfault.note
    assert all("not run: the kernel died earlier, in code cell" in c.message for c in segfault.cells if not c.cell.manual)


def test_memory_cap_fails_the_allocation_not_the_notebook(batch):
    results, out = batch
    memory = results["memory"]
    assert memory.score == 4.0 and not memory.problem and not memory.note
    nb = nbformat.read(out / "memory" / f"{CHAPTER}.ipynb", as_version=4)
    assert nb.cells[-1].outputs[-1]["ename"] == "MemoryError"


def test_output_flood_is_capped_in_bytes(batch):
    results, out = batch
    assert results["flood"].score == 4.0
    assert (out / "flood" / f"{CHAPTER}.ipynb").stat().st_size < 2_000_000  # 5 MB per call, several calls
    nb = nbformat.read(out / "flood" / f"{CHAPTER}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert len(json.dumps(cell.get("outputs", [])).encode()) < 210_000
    assert any("output truncated" in o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert (out / "flood" / "feedback.html").stat().st_size < 50_000


def test_stderr_chatter_and_warnings_cost_nothing(batch):
    results, out = batch
    assert results["chatter"].score == 4.0, _scores(results["chatter"])
    nb = nbformat.read(out / "chatter" / f"{CHAPTER}.ipynb", as_version=4)
    texts = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "debug: standardizing" in texts  # still visible to the grader


@pytest.mark.parametrize("student, message", [
    ("empty", "the file is empty"),
    ("badjson", "not a notebook: the file is not valid JSON (Expecting value at line 1, column 12)"),
    ("binary", "not a notebook: the file is not text"),
    ("nocells", "not a notebook: a JSON file without notebook cells"),
    ("nbformat5", "nbformat 5 (expected 4)"),
])
def test_files_that_are_not_notebooks_are_reported(batch, student, message):
    results, out = batch
    result = results[student]
    assert result.score == 0.0 and message in result.problem
    assert all(c.score == 0.0 for c in result.cells)
    assert message in json.loads((out / student / "results.json").read_text())["output"]


def _named(marker: str) -> list[int]:
    """The host's processes whose name (``/proc/<pid>/comm``) is ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == marker:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _zombie(pid: int) -> bool:
    try:
        return "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True  # gone


def test_a_hanging_notebook_is_stopped_and_its_kernel_killed(tmp_path):
    """The kernel names itself (prctl, seen from the host in /proc/<pid>/comm: its pid inside
    the sandbox means nothing outside), then hangs; once the grading stops, no such process is left."""
    import threading

    marker = f"tt-hang-{os.getpid() % 100000}"
    folder = tmp_path / "class"
    folder.mkdir()
    _answer(folder, "hang", top_level=f"import ctypes\nctypes.CDLL(None).prctl(15, {marker.encode()!r}, 0, 0, 0)\n"
                                      "while True:\n    pass\n")
    course = copy_course(tmp_path / "course")
    seen, done = [], threading.Event()

    def watch():
        while not done.is_set() and not seen:
            seen.extend(_named(marker))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with collect([folder]) as intake:
            [result] = grade_all(intake.submissions, CHAPTER, tmp_path / "work", root=course, progress=False,
                                 time_limit=20, cell_timeout=600)
    finally:
        done.set()
        watcher.join()
    assert result.score == 0.0 and "timed out" in result.problem and "20 s" in result.problem
    assert seen, "the hanging kernel was never seen running"
    for _ in range(50):  # SIGKILL is asynchronous: gone, or dead and not yet reaped, within moments
        alive = [pid for pid in _named(marker) if not _zombie(pid)]
        if not alive:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the kernel outlived its grading: {alive} still run")


@pytest.mark.parametrize("student", sorted(TAMPERING))
def test_tampered_tests_are_restored_and_reported(batch, student):
    """Never more than the honest code earns (2 of 4: the sample standard deviation)."""
    results, out = batch
    result = results[student]
    assert _scores(result) == {TESTS[0]: 0.0, TESTS[1]: 2.0}, result.note
    assert result.max_score == 4.0 and not result.problem
    assert TAMPERING[student][1] in result.note and "restored for grading" in result.note
    assert TAMPERING[student][1] in (out / student / "feedback.html").read_text()


def test_a_changed_solution_cell_id_costs_nothing(batch):
    results, _ = batch
    result = results["t-solutionid"]
    assert result.score == 4.0 and "answer cell standardize: deleted, or its id changed" in result.note


@pytest.mark.parametrize("student", sorted(GAMING))
def test_gaming_the_checks_earns_nothing(batch, student):
    """Whatever the notebook does to the checks in its kernel, the sample standard deviation
    earns 2 of 4, as without the trick: each cell's verdict is also decided outside the kernel."""
    results, out = batch
    result = results[student]
    # (a notebook that replaces the runner hands over no data at all: even its right cell earns nothing)
    assert _scores(result) == {TESTS[0]: 0.0, TESTS[1]: 0.0 if student == "g-runner" else 2.0}, \
        (GAMING[student][1], result.cells)
    assert not result.problem
    [failed] = [c for c in result.cells if c.cell.name == TESTS[0]]
    report = json.loads((out / student / "results.json").read_text())
    assert report["score"] == sum(_scores(result).values())  # the grader's own report, not the one the notebook wrote
    # These do not fool the test itself; nor does patching what the reference is computed with, since
    # a sandboxed kernel judges with the reference's data (handed over by the grader), not its code.
    if GAMING[student][0].startswith(("get_ipython", "import json")) or student == "g-reference":
        assert failed.message.startswith("CheckFailed: standardize(x) is not close"), failed.message
    else:  # the test passed in the kernel; the check outside it did not
        why = ("the notebook returned no data for some of this cell's checks" if student == "g-runner" else
               "standardize(x) is not close to the expected value")
        assert failed.message.startswith(f"OutsideCheckFailed: checked outside the notebook: {why}"), failed.message
        assert "failed the same check made outside it, where the notebook cannot change the verdict (did it " \
               "redefine the checks?): " in result.note and TESTS[0] in result.note.split("checks?): ")[1]
        assert "checked outside the notebook" in (out / student / "feedback.html").read_text()


def test_the_kernel_reaches_nothing_outside_its_submission(batch):
    """Sandboxed (bubblewrap): solutions, the hidden checks, gradebooks and other students' work do
    not exist for the kernel, it writes none of them, the host's loopback is out of reach, it sees only its
    own processes, and what it starts does not outlive its grading."""
    results, out = batch
    result = results["reach"]
    assert result.score == 4.0 and not result.problem, result.cells
    nb = nbformat.read(out / "reach" / f"{CHAPTER}.ipynb", as_version=4)
    [line] = [line for o in nb.cells[-1].outputs for line in o.get("text", "").splitlines() if line.startswith("REACH")]
    seen = json.loads(line[len("REACH "):])
    network, processes = seen.pop("network"), seen.pop("processes")
    assert seen == {label: "FileNotFoundError" for label in seen}, seen  # not even there
    assert len(seen) == 9
    assert network != 0, "the kernel connected to a service on the host's loopback"
    assert len(processes) < 10, processes  # its own pid namespace: bwrap, the kernel, what it started
    for entry in Path("/proc").iterdir():  # nothing it started is left, however detached
        try:
            assert b"987.65" not in (entry / "cmdline").read_bytes(), "a process the kernel started is still running"
        except OSError:
            continue


def test_without_bubblewrap_the_grader_warns_loudly_or_refuses(monkeypatch, capsys):
    from autograder import sandbox
    from autograder.grade import sandbox_problem

    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    sandbox.unavailable.cache_clear()
    try:
        assert "bubblewrap is not installed" in sandbox_problem("auto")
        assert "WITHOUT A SANDBOX" in capsys.readouterr().err
        with pytest.raises(ValueError, match="--sandbox require: no sandbox is possible"):
            sandbox_problem("require")
        assert sandbox_problem("off") == "--sandbox off" and not capsys.readouterr().err
    finally:
        sandbox.unavailable.cache_clear()
