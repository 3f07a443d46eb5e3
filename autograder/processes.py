"""The processes of one grading: ``nbgrader autograde`` in a process of its own (forked from a
server that imported nbgrader once), with its time and memory limits, and the kernel's leftovers
killed afterwards."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from .results import MESSAGE_LIMIT

ANSI = re.compile(r"\x1b\[[0-9;]*m")
TIME_LIMIT = 900  # seconds per notebook, whatever its cells do (each cell has its own limit)
MEMORY_LIMIT = 8 * 2**30  # bytes of address space for each grading process and its kernel

# nbgrader takes ~2 s to import (it loads Jupyter's server stack). Paying that once per
# submission was most of the grader's overhead, so on POSIX every submission's
# ``nbgrader autograde`` runs in a fresh process forked from a single-threaded fork server
# that has imported nbgrader once: one process per submission, without the start-up cost.
_PRELOAD = ["nbgrader.apps.nbgraderapp", "nbgrader.converters.autograde", "nbclient", "jupyter_client",
            # the checks made outside the kernel judge with torch in the grading process
            "torch", "autograder.preprocessors", "autograder.verdict", "traintech.checking"]

_CONTEXT = None
_FORK_SERVER = True


def fresh_processes() -> None:
    """From now on, each grading process is a fresh interpreter (spawned) instead of a fork of the
    server: one process fewer, and no server holding nbgrader and torch in memory, for a
    container that grades one notebook (Gradescope)."""
    global _CONTEXT, _FORK_SERVER
    _FORK_SERVER, _CONTEXT = False, None


def _context():
    global _CONTEXT
    if _CONTEXT is None:
        import multiprocessing

        if _FORK_SERVER:
            _CONTEXT = multiprocessing.get_context("forkserver")
            _CONTEXT.set_forkserver_preload(_PRELOAD)
        else:
            _CONTEXT = multiprocessing.get_context("spawn")
    return _CONTEXT

def _autograde_here(course: str, args: list[str], env: dict[str, str], log: str, memory: int | None = None) -> None:
    """The body of a grading process: ``nbgrader <args>`` in ``course``, its output to ``log``;
    this process and the kernel it starts may each map at most ``memory`` bytes."""
    if memory:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(course)
    from nbgrader.apps.nbgraderapp import NbGraderApp

    NbGraderApp.launch_instance(args)


def run_nbgrader(course: Path, args: list[str], env: dict[str, str], timeout: float,
                  memory: int | None = None, marker: str | None = None) -> tuple[int | None, str]:
    """Run ``nbgrader <args>`` in ``course`` in a process of its own: (exit code or None if it
    was killed after ``timeout`` seconds, its output)."""
    if os.name != "posix":
        try:
            run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                                 capture_output=True, text=True, timeout=timeout)
            return run.returncode, run.stdout + run.stderr
        except subprocess.TimeoutExpired as err:
            return None, str(err.stderr or "")
    log = course / "nbgrader.log"
    process = _context().Process(target=_autograde_here, args=(str(course), args, env, str(log), memory))
    process.start()
    process.join(timeout)
    code = process.exitcode
    if process.is_alive():
        if marker:  # the kernel first: it must not outlive its grader
            kill_leftovers(marker)
        process.kill()
        process.join()
        code = None
    return code, log.read_text(errors="replace") if log.exists() else ""


def kill_leftovers(marker: str) -> int:
    """Kill every process whose command line or environment mentions ``marker``: the kernel of
    one grading (its connection file is in the grading's own folder, which its environment
    names too) and whatever it started. Returns how many."""
    import psutil

    killed = 0
    for process in psutil.process_iter():
        if process.pid == os.getpid():
            continue
        try:
            found = marker in "\0".join(process.cmdline()) or any(marker in v for v in process.environ().values())
            if found:
                process.kill()
                killed += 1
        except (psutil.Error, OSError):  # gone, or not ours to read
            continue
    return killed


def reason(stderr: str) -> str:
    """The most telling line of nbgrader's error output: the exception, else its last error."""
    lines = [ANSI.sub("", line).strip() for line in stderr.splitlines()]
    exceptions = [line for line in lines if re.match(r"^[\w.]*(Error|Exception)\b.*:", line)]
    if exceptions:
        return exceptions[-1][:MESSAGE_LIMIT]
    errors = [line for line in lines if "| ERROR]" in line and "Please see" not in line]
    return errors[-1][:MESSAGE_LIMIT] if errors else "unknown error"
