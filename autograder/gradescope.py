"""Gradescope: an autograder bundle for one chapter, and what it runs there.

    python -m autograder gradescope --chapter ID    dist/gradescope/autograder-<chapter>.zip (and its folder)

The zip holds what Gradescope asks for (its "autograder specification"): ``setup.sh`` (run
once, as root, while Gradescope builds the image: Python 3.11, a virtual environment with the
course's pinned dependencies, the course itself, an unprivileged user ``student``, then
``python -m autograder.gradescope prepare``) and ``run_autograder`` (run for every submission:
it writes a provisional ``results.json`` first, then ``python -m autograder.gradescope run``);
``gradescope.json``, this module's settings; and ``course/``, the grader: the course's package
(``autograder``, ``traintech`` with its references), its configuration and the chapter's
``solutions/`` notebook (hidden tests included). It is the instructor's: never a student's.

``run`` grades ``/autograder/submission/*.ipynb`` with the course's grader (``grade.grade_one``:
hidden tests, verdicts outside the kernel, tamper repair, experiments skipped), within limits
inside Gradescope's, with the learner's kernel in a bubblewrap sandbox where the container
allows one and as the unprivileged user ``student`` where it does not (Docker, as on
Gradescope, forbids the namespaces bubblewrap needs), and writes Gradescope's ``results.json``.

``Layout`` runs a bundle as Gradescope would, on this machine: a bubblewrap box in which a
temporary folder is ``/autograder`` (``tests/test_gradescope.py``, ``benchmarks/gradescope.py``).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .course import ROOT, chapter_ids

LAYOUT = Path("/autograder")  # Gradescope's
SETTINGS = "gradescope.json"
TEMPLATES = Path(__file__).resolve().parent / "bundle"  # setup.sh and run_autograder
VISIBILITY = ("hidden", "after_due_date", "after_published", "visible")  # Gradescope's values
DEFAULTS = {
    # seconds the notebook may run, graded once (or twice: once more with its experiment cells run,
    # when a test failed on a name one of them defines): inside Gradescope's default 10 minutes
    "time_limit": 240,
    "cell_timeout": None,  # each cell's limit (default: the course configuration's, 120 s)
    # when students see the message of a test that failed in one of its hidden tests
    "hidden_messages": "after_published",
    "isolation": "auto",  # auto: a bubblewrap sandbox where possible, else the user; or "user"
    # MiB the grading may use, its whole process tree (None: the container's limit, read from its
    # cgroup); past it, the kernel is stopped and the results say why, before the container kills all
    "memory_limit_mb": None,
    "user": "student",
}
STUDENT = "student"  # the submission's id in the grader's own gradebook
# Not grader-readable for the learner's kernel when it runs as the unprivileged user.
PRIVATE = ["source", "results", "submission", "submission_metadata.json", "prepared", "work"]


def settings(source: Path) -> dict:
    """The bundle's settings (``gradescope.json``), checked."""
    return checked(json.loads((source / SETTINGS).read_text()))


def checked(given: dict) -> dict:
    """``given`` settings with the defaults filled in; ValueError if one is unknown or out of range."""
    unknown = set(given) - set(DEFAULTS) - {"chapter"}
    if unknown:
        raise ValueError(f"{SETTINGS}: unknown settings {sorted(unknown)}; known: chapter, {', '.join(DEFAULTS)}")
    merged = {**DEFAULTS, **given}
    if merged["hidden_messages"] not in VISIBILITY:
        raise ValueError(f"hidden_messages must be one of {', '.join(VISIBILITY)}, got {merged['hidden_messages']!r}")
    if merged["isolation"] not in ("auto", "user"):
        raise ValueError(f"isolation must be auto or user, got {merged['isolation']!r}")
    for name in ("cell_timeout", "memory_limit_mb"):
        if not (merged[name] is None or merged[name] > 0):
            raise ValueError(f"{name} must be positive or null, got {merged[name]!r}")
    if not merged["time_limit"] > 0:
        raise ValueError(f"time_limit must be positive, got {merged['time_limit']!r}")
    return merged


# ----------------------------------------------------------------------------- the bundle


def _course_files(directory: str, names: list[str]) -> set[str]:
    """What the bundle leaves out of the ``autograder`` package: runtime state, the example class,
    the student edition's files, build leftovers."""
    skip = {"examples", "submitted", "autograded", "graded", "feedback", "source_with_tests", "solution",
            "exchange", "edition", "bundle", "__pycache__", ".ipynb_checkpoints"}
    return {n for n in names if n in skip or n.endswith((".pyc", ".db", ".log", ".egg-info"))}


def build(chapter: str, out: Path = ROOT / "dist" / "gradescope", root: Path = ROOT, **options) -> Path:
    """Write the bundle of ``chapter`` to ``out/autograder-<chapter>/`` and ``out/autograder-<chapter>.zip``
    (the files at the zip's root, as Gradescope wants them); ``options``: settings (``DEFAULTS``).
    Returns the zip."""
    root = Path(root)
    if chapter not in chapter_ids(root):
        raise ValueError(f"unknown chapter {chapter!r}; the chapters are {', '.join(chapter_ids(root))}")
    chosen = checked({"chapter": chapter, **options})
    folder = Path(out) / f"autograder-{chapter}"
    if folder.exists():
        shutil.rmtree(folder)
    course = folder / "course"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    shutil.copytree(root / "autograder", course / "autograder", ignore=_course_files)
    shutil.copytree(root / "traintech", course / "traintech", ignore=ignore)
    shutil.copytree(root / "solutions" / chapter, course / "solutions" / chapter, ignore=ignore)
    for name in ("pyproject.toml", "nbgrader_config.py"):
        shutil.copy2(root / name, course / name)
    (course / "README.md").write_text(f"Training Techniques: the grader of {chapter}, bundled for Gradescope.\n")
    for name in ("setup.sh", "run_autograder"):
        shutil.copy2(TEMPLATES / name, folder / name)
        (folder / name).chmod(0o755)
    (folder / SETTINGS).write_text(json.dumps(chosen, indent=1) + "\n")
    archive = shutil.make_archive(str(folder), "zip", root_dir=folder)
    return Path(archive)


# ----------------------------------------------------------------------------- in the container


def prepare(layout: Path = LAYOUT) -> None:
    """``setup.sh``'s last step: record the chapter in the grader's gradebook and compute its
    references once (``layout/prepared/``), and build matplotlib's font cache."""
    from .grade import prepare_master

    source = layout / "source"
    chapter = settings(source)["chapter"]
    prepare_master(chapter, layout / "prepared", root=source / "course")
    import importlib

    importlib.import_module("matplotlib.pyplot")  # builds the font cache once, in the image

    print(f"prepared {chapter}")


def cpu_budget() -> int:
    """The cores this container may use (its cgroup's CPU quota, at least 1), for the math threads:
    ``os.cpu_count()`` counts the host's."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    for quota_file, period_file in (("/sys/fs/cgroup/cpu.max", None),
                                    ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us")):
        try:
            if period_file is None:
                quota, period = Path(quota_file).read_text().split()
            else:
                quota, period = Path(quota_file).read_text().strip(), Path(period_file).read_text().strip()
            if quota not in ("max", "-1"):
                count = min(count, int(int(quota) / int(period)))
                break
        except (OSError, ValueError):
            continue
    return max(1, count)


def _submission(folder: Path, chapter: str) -> tuple[Path | None, str]:
    """The notebook to grade among the student's files, and a note (or why there is none)."""
    notebooks = sorted(p for p in folder.rglob("*.ipynb")  # not checkpoints, nor macOS's ._ and __MACOSX copies
                       if not any(part.startswith((".", "__MACOSX")) for part in p.relative_to(folder).parts))
    if not notebooks:
        files = ", ".join(sorted(p.name for p in folder.rglob("*") if p.is_file())[:10]) or "none"
        return None, f"no notebook (.ipynb) was submitted (files: {files}): upload your {chapter}.ipynb"
    if len(notebooks) == 1:
        return notebooks[0], ""
    named = [p for p in notebooks if p.name == f"{chapter}.ipynb"]
    chosen = named[0] if named else max(notebooks, key=lambda p: p.stat().st_size)
    return chosen, (f"{len(notebooks)} notebooks were submitted; graded {chosen.relative_to(folder)} "
                    f"({'its name is the chapter' if named else 'the largest'})")


def _isolation(config: dict, layout: Path) -> tuple[str, str]:
    """How the learner's kernel runs here, and the sentence that says so."""
    from .sandbox import hidden_from_kernels, protect, unavailable, user_problem

    why = unavailable() if config["isolation"] == "auto" else "the settings ask for the unprivileged user"
    if not why:
        return "sandbox", ("The notebook ran in a bubblewrap sandbox (no network, no access to the grader's "
                           "files).")
    user = config["user"]
    problem = user_problem(user)
    if problem:  # never run a learner's code as root, next to the hidden tests
        raise RuntimeError(f"the notebook cannot be isolated here: bubblewrap cannot make a sandbox ({why}) and "
                           f"{problem}")
    protect([layout / name for name in PRIVATE] + hidden_from_kernels())
    for folder in Path(sys.prefix).parents:  # the kernel's Python must be reachable
        if folder != Path("/"):
            os.chmod(folder, os.stat(folder).st_mode | 0o001)
    return f"user:{user}", (f"The notebook ran as the unprivileged user {user!r}, who cannot read the grader's files "
                            f"(bubblewrap cannot make a sandbox here: {why}).")


def run(layout: Path = LAYOUT) -> dict:
    """Grade the submission in ``layout/submission`` and write ``layout/results/results.json``
    (also returned). Never raises: a failure of the grader itself is reported in the results."""
    results_file = layout / "results" / "results.json"
    start = time.monotonic()
    try:
        data = _run(layout)
    except Exception as err:  # noqa: BLE001 - the student must get results, whatever happened
        import traceback

        traceback.print_exc()
        data = {"score": 0, "output": f"The autograder failed ({type(err).__name__}: {err}); nothing was graded. "
                                      f"Ask your instructor.", "tests": [], "stdout_visibility": "hidden"}
    data["execution_time"] = round(time.monotonic() - start, 1)
    data.setdefault("stdout_visibility", "hidden")  # the grader's log is the instructor's
    results_file.parent.mkdir(parents=True, exist_ok=True)
    partial = results_file.with_name(".results.json.partial")  # a kill mid-write leaves the provisional one
    partial.write_text(json.dumps(data, indent=1))
    os.replace(partial, results_file)
    print(f"results: {data.get('score')} points; {data.get('output')}")
    return data


def _run(layout: Path) -> dict:
    from . import processes
    from .grade import grade_one
    from .intake import Submission

    processes.fresh_processes()  # one notebook: no fork server kept in memory beside it
    from .results import graded_cells, results_json

    source = layout / "source"
    config = settings(source)
    chapter = config["chapter"]
    master = layout / "prepared" / "_master"
    if not master.is_dir():
        raise RuntimeError(f"{master} is missing: setup.sh did not finish (python -m autograder.gradescope prepare)")
    notebook, note = _submission(layout / "submission", chapter)
    cells = graded_cells(master / "solutions" / chapter / f"{chapter}.ipynb")
    if notebook is None:
        from .results import CellResult, StudentResult

        result = StudentResult(STUDENT, str(layout / "submission"), problem=note)
        result.cells = [CellResult(c, 0.0, "failed", note) for c in cells]
        return results_json(result, hidden_messages=config["hidden_messages"])
    isolation, isolated = _isolation(config, layout)
    work = layout / "work"
    work.mkdir(mode=0o700, exist_ok=True)
    print(isolated)
    limit = config["memory_limit_mb"] * MiB if config["memory_limit_mb"] else container_memory()
    with MemoryGuard(limit) as guard:
        result = grade_one(Submission(STUDENT, notebook, str(notebook.relative_to(layout))), chapter, master, work,
                           cells, threads=cpu_budget(), timeout=config["time_limit"],
                           cell_timeout=config["cell_timeout"], isolation=isolation)
    print(f"peak memory of the grading: {guard.peak / MiB:.0f} MiB anonymous, {guard.peak_pss / MiB:.0f} MiB "
          f"proportional set size" + (f" (limit {limit / MiB:.0f} MiB)" if limit else ""))
    if guard.tripped:
        note = ". ".join(n for n in (note, (
            f"the grading reached the autograder's memory limit ({limit / MiB:.0f} MiB), so the notebook's kernel "
            f"was stopped and the cells after that point were not graded: not your answers' fault. Tell your "
            f"instructor: the autograder needs a container with more memory")) if n)
    result.note = ". ".join(n for n in (note, result.note) if n)
    print(f"graded {chapter} in {result.seconds:.1f} s: {result.score:g} / {result.max_score:g}"
          + (f"; problem: {result.problem}" if result.problem else "") + (f"; note: {result.note}" if result.note else ""))
    return results_json(result, hidden_messages=config["hidden_messages"], isolation=isolated)


MiB = 2**20


def container_memory() -> int | None:
    """The bytes this container's memory cgroup allows (v2 ``memory.max``, v1
    ``memory.limit_in_bytes``), or None when there is no limit below 64 GiB."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            value = Path(path).read_text().strip()
        except OSError:
            continue
        if value.isdigit() and int(value) < 64 * 2**30:
            return int(value)
    return None


def tree_memory(root) -> tuple[int, int]:
    """The memory of ``root`` (a ``psutil.Process``) and its descendants, in bytes: the sum of their
    proportional set sizes (shared pages counted once: what a memory cgroup charges, the mapped
    libraries' code included) and of their anonymous memory (what the cgroup cannot reclaim:
    code pages it can drop and read again)."""
    import psutil

    pss = anonymous = 0
    for member in [root, *root.children(recursive=True)]:
        try:
            info = member.memory_full_info()
            pss, anonymous = pss + info.pss, anonymous + info.rss - info.shared
        except (psutil.Error, OSError):
            continue
    return pss, anonymous


class MemoryGuard:
    """Watch the memory of this process's tree every 0.2 s while grading (``tree_memory``); when
    its anonymous memory passes ``limit`` bytes less a margin (room for the code pages), stop the
    notebook's kernel, so that the grader reports instead of the container killing everything."""

    MARGIN = 64 * MiB

    def __init__(self, limit: int | None):
        import threading

        self.limit, self.peak, self.peak_pss, self.tripped = limit, 0, 0, False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "MemoryGuard":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(0.2):
            pss, anonymous = tree_memory(me)
            self.peak, self.peak_pss = max(self.peak, anonymous), max(self.peak_pss, pss)
            if self.limit and anonymous > self.limit - self.MARGIN:
                for member in me.children(recursive=True):
                    try:
                        if "ipykernel_launcher" in " ".join(member.cmdline()):
                            member.kill()
                            self.tripped = True
                    except (psutil.Error, OSError):
                        continue


# ----------------------------------------------------------------------------- Gradescope's layout, here


@dataclass
class Run:
    """One run of a bundle's script in the layout: what it wrote and what it cost."""

    returncode: int
    output: str  # stdout and stderr
    results: dict | None  # results/results.json, if written
    seconds: float
    peak_memory: int  # bytes: the largest sum of the process tree's proportional set sizes (PSS)
    peak_anonymous: int  # bytes: the largest sum of its anonymous memory (``tree_memory``)
    cpu_seconds: float  # user + system time of every process of the tree


class Layout:
    """A bundle unpacked as Gradescope does (``source/``, ``run_autograder``, ``submission/``,
    ``results/``) in ``folder``, run in a bubblewrap box where ``folder`` is ``/autograder``:
    the rest of this machine's file system is the box's (so pip's configuration and cache
    serve), read-only but for root's home (pip's cache), ``/etc`` is a copy (``setup.sh`` adds a
    user) and ``/tmp`` is a fresh one per run. Needs bubblewrap, and root for ``setup.sh``."""

    def __init__(self, bundle: Path, folder: Path):
        import zipfile

        self.folder = Path(folder)
        self.root = self.folder / "autograder"
        self.etc = self.folder / "etc"
        for name in ("source", "submission", "results"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(bundle) as archive:
            archive.extractall(self.root / "source")
        shutil.copy2(self.root / "source" / "run_autograder", self.root / "run_autograder")
        (self.root / "run_autograder").chmod(0o755)
        (self.root / "submission_metadata.json").write_text("{}")
        subprocess.run(["cp", "-a", "/etc", str(self.etc)], check=True)

    def _box(self) -> list[str]:
        args = [shutil.which("bwrap") or "bwrap", "--die-with-parent"]
        for entry in sorted(Path("/").iterdir()):
            if entry.name in ("proc", "dev", "sys", "tmp", "etc", "autograder"):
                continue
            if entry.is_symlink():
                args += ["--symlink", os.readlink(entry), str(entry)]
            elif entry.is_dir():  # read-only (setup.sh cannot apt-get into this machine), but pip's cache
                args += ["--bind" if entry.name == "root" else "--ro-bind", str(entry), str(entry)]
        # /proc as it is (a fresh one would forbid the grader's own sandbox inside the box)
        return args + ["--dev-bind", "/dev", "/dev", "--dev-bind", "/proc", "/proc", "--bind", "/sys", "/sys",
                       "--tmpfs", "/tmp", "--bind", str(self.etc), "/etc", "--bind", str(self.root), "/autograder",
                       "--chdir", "/autograder"]

    def run(self, command: list[str], env: dict[str, str] | None = None, timeout: float = 1800,
            kill_after: float | None = None, cpus: int | None = None) -> Run:
        """``command`` in the box, as root, with a clean environment (this machine's pip settings
        kept) plus ``env``; measured. ``kill_after``: kill the box after so many seconds (what a
        container's limit does); ``cpus``: run on that many of this machine's cores only."""
        import psutil

        base = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
                "LANG": "C.UTF-8", **{k: v for k, v in os.environ.items() if k.startswith("PIP_")}}
        start = time.monotonic()
        log = self.folder / "output.log"
        with open(log, "w") as handle:
            pin = ["taskset", "-c", ",".join(str(c) for c in sorted(os.sched_getaffinity(0))[:cpus])] if cpus else []
            process = subprocess.Popen([*pin, *self._box(), *command], env={**base, **(env or {})}, stdout=handle,
                                       stderr=subprocess.STDOUT, start_new_session=True)
            peak, anonymous, cpu = 0, 0, {}
            root = psutil.Process(process.pid)
            limit = min(timeout, kill_after) if kill_after else timeout
            while process.poll() is None and time.monotonic() - start < limit:
                for member in [root, *root.children(recursive=True)]:
                    try:
                        times = member.cpu_times()
                        cpu[member.pid] = times.user + times.system
                    except (psutil.Error, OSError):
                        continue
                pss, anon = tree_memory(root)
                peak, anonymous = max(peak, pss), max(anonymous, anon)
                time.sleep(0.1)
            if process.poll() is None:  # the whole tree: the kernel has a session of its own
                members = root.children(recursive=True)
                os.killpg(process.pid, 9)
                for member in members:
                    try:
                        member.kill()
                    except psutil.Error:
                        continue
                process.wait()
                self._kill_box_users()
        results = self.root / "results" / "results.json"
        return Run(process.returncode, log.read_text(errors="replace"),
                   json.loads(results.read_text()) if results.is_file() else None,
                   time.monotonic() - start, peak, anonymous, sum(cpu.values()))

    def uid(self, user: str) -> int | None:
        """The uid of ``user`` in the box (its ``/etc/passwd``), or None."""
        for line in (self.etc / "passwd").read_text().splitlines():
            fields = line.split(":")
            if fields[0] == user:
                return int(fields[2])
        return None

    def _kill_box_users(self) -> None:
        """Kill what runs as a user the box added (a kernel started after its parents were listed,
        in a session of its own): what a container's end does."""
        import psutil

        ours = {int(line.split(":")[2]) for line in (self.etc / "passwd").read_text().splitlines()}
        ours -= {int(line.split(":")[2]) for line in Path("/etc/passwd").read_text().splitlines()}
        for _ in range(5):
            for process in psutil.process_iter(["uids"]):
                try:
                    if process.info["uids"] and set(process.info["uids"][:2]) & ours:
                        process.kill()
                except psutil.Error:
                    continue
            time.sleep(0.2)

    def setup(self, env: dict[str, str] | None = None) -> Run:
        return self.run(["bash", "/autograder/source/setup.sh"], env)

    def grade(self, files: list[Path], env: dict[str, str] | None = None, kill_after: float | None = None,
              cpus: int | None = None) -> Run:
        """Put ``files`` in ``submission/`` (emptied first, with ``results/``) and run ``run_autograder``."""
        for name in ("submission", "results"):
            shutil.rmtree(self.root / name, ignore_errors=True)
            (self.root / name).mkdir()
        for file in files:
            shutil.copy2(file, self.root / "submission" / Path(file).name)
        shutil.rmtree(self.root / "work", ignore_errors=True)
        return self.run(["/autograder/run_autograder"], env, kill_after=kill_after, cpus=cpus)


def main(argv: list[str] | None = None) -> int:
    """``python -m autograder.gradescope prepare|run``: the bundle's steps, in Gradescope's container."""
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["prepare"]:
        prepare()
        return 0
    if argv == ["run"]:
        run()
        return 0
    print("usage: python -m autograder.gradescope prepare|run (in Gradescope's container)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
