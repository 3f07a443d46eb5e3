"""Run each submission's kernel in a bubblewrap sandbox (Linux; ``apt-get install bubblewrap``).

Inside, the kernel sees only what running a chapter needs, read-only: the system's
libraries (``/usr``, ``/lib``, ``/etc``), Python and the course's virtual environment, and
the ``traintech`` package. It can write to its own notebook's folder and to its runtime
folder (the kernel's sockets, and the files the checks hand their data over through), nothing
else; ``/tmp`` is a fresh, private tmpfs. Not visible: ``solutions/``, the gradebooks, the
other students' work, the instructor's home, the rest of the machine. It has no network
(a network namespace of its own, without interfaces: even the host's loopback services
are out of reach), its own process namespace (it cannot see or signal any other process;
when its first process ends, the kernel dies and everything it started with it), and no
capabilities, even when the grader runs as root.

Where bubblewrap is missing or cannot create namespaces, the grader warns loudly and
grades without a sandbox (``--sandbox require`` refuses instead).

Either way an isolated kernel cannot see the graded exercises' references
(``traintech/reference/``) nor the grader's package (``autograder/``, the hidden tests): the
grader hands it the chapter's reference data instead (``$TRAINTECH_EXPECTED``, a file in its
runtime folder), which its test cells judge with.

Where namespaces are not allowed (a Docker container such as Gradescope's) but the grader runs
as root, the kernel can run as an unprivileged user instead (``user_kernel``): ordinary file
permissions keep it out of the course, the references and the results (the caller makes them
unreadable for others: ``protect``); it works in a folder of its own, and every process of that
user is killed after each grading.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from traintech.kernel import KERNEL_TABLE

KERNEL_NAME = "tt-sandbox"
LEFT_OUT = "reference"  # traintech's subpackage of the graded exercises' references
SYSTEM = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/sys/devices/system/cpu"]


@lru_cache(maxsize=1)
def unavailable() -> str | None:
    """Why kernels cannot be sandboxed on this machine, or None if they can."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux (this is {sys.platform})"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    try:
        probe = subprocess.run([bwrap, *_base_arguments(), "--", sys.executable, "-c", "print('ok')"],
                               capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"bubblewrap does not run: {err}"
    if probe.returncode != 0 or probe.stdout.strip() != "ok":
        return "bubblewrap cannot create a sandbox here (are user namespaces disabled?): " + probe.stderr.strip()[-300:]
    return None


def _readable() -> list[str]:
    """What a kernel must read: the system, Python, the virtual environment, traintech."""
    import traintech

    paths = [p for p in SYSTEM if os.path.exists(p)]
    paths += [sys.base_prefix, sys.prefix, str(Path(traintech.__file__).resolve().parent)]
    executable = Path(sys.executable)
    paths += [str(executable.parent), str(executable.resolve().parent)]
    # not contained in one another, in order (a bind inside a bind must come after it)
    unique = sorted({str(Path(p)) for p in paths}, key=lambda p: (p.count("/"), p))
    return [p for p in unique if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in unique)]


def hidden_from_kernels() -> list[str]:
    """What no isolated kernel may read: the graded exercises' references and the grader's package
    (its checks are the hidden tests), wherever this Python imports them from."""
    import traintech

    return [str(Path(traintech.__file__).resolve().parent / LEFT_OUT), str(Path(__file__).resolve().parent)]


def _base_arguments() -> list[str]:
    args = ["--die-with-parent", "--unshare-all", "--cap-drop", "ALL", "--dev", "/dev", "--proc", "/proc",
            "--tmpfs", "/tmp", "--setenv", "HOME", "/tmp", "--unsetenv", "JUPYTER_PATH",
            # ipykernel exits when its parent is not the process that started it: in the sandbox it never is
            "--unsetenv", "JPY_PARENT_PID"]
    readable = _readable()
    for path in readable:
        args += ["--ro-bind", path, path]
    for path in hidden_from_kernels():  # an empty folder over each, where a readable one holds it
        if any(path.startswith(r.rstrip("/") + "/") for r in readable) and os.path.isdir(path):
            args += ["--tmpfs", path]
    return args


def arguments(writable: list[Path], cwd: Path) -> list[str]:
    """bwrap's command line (without the command) for a kernel that may write to ``writable``."""
    args = [shutil.which("bwrap") or "bwrap", *_base_arguments()]
    for path in writable:
        args += ["--bind", str(path), str(path)]
    return args + ["--chdir", str(cwd)]


def _kernel_spec(runtime: Path, argv: list[str], env: dict[str, str], display: str) -> Path:
    """Write the kernel spec ``KERNEL_NAME`` into ``runtime``; return the folder to put on ``JUPYTER_PATH``."""
    jupyter = runtime / "jupyter"
    spec = jupyter / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": argv, "env": env, "display_name": display, "language": "python", "interrupt_mode": "message"},
        indent=1))
    return jupyter


def _config_folder(runtime: Path) -> Path:
    """The kernel's matplotlib folder, with this machine's font list (so each kernel does not
    rebuild it; copied: the kernel may write it)."""
    config = runtime / "config"
    config.mkdir(exist_ok=True)
    cache = _matplotlib_cache()
    if cache:
        for item in cache.glob("fontlist-*.json"):
            shutil.copy(item, config / item.name)
    return config


def install_kernel(runtime: Path, notebook_dir: Path, table: Path) -> Path:
    """Write a kernel spec, ``tt-sandbox``, that starts the usual Python kernel in the sandbox,
    with ``notebook_dir`` and ``runtime`` writable and the chapter's reference data at ``table``
    (in ``runtime``). Returns the folder to put on ``JUPYTER_PATH`` (inside ``runtime``)."""
    config = _config_folder(runtime)
    argv = [*arguments([notebook_dir, runtime], notebook_dir), "--setenv", "MPLCONFIGDIR", str(config),
            "--setenv", KERNEL_TABLE, str(table),
            "--", sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    return _kernel_spec(runtime, argv, {}, "Python 3 (sandboxed)")


# ----------------------------------------------------------------------------- an unprivileged user


def user_problem(user: str) -> str | None:
    """Why kernels cannot run as ``user`` here, or None."""
    import pwd

    if not hasattr(os, "setuid") or os.geteuid() != 0:
        return "only a grader running as root can start a kernel as another user"
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return f"there is no user {user!r} (useradd --system --no-create-home {user})"
    if entry.pw_uid == 0:
        return f"{user!r} is root"
    return None


def protect(paths: list[Path | str]) -> None:
    """Make each of ``paths`` unreadable for other users (``chmod o=``): what a kernel running as
    an unprivileged user must not read. Missing paths are skipped."""
    for path in paths:
        if os.path.lexists(path):
            os.chmod(path, os.stat(path).st_mode & ~0o007)


def user_kernel(runtime: Path, user: str, table: Path) -> Path:
    """Write a kernel spec, ``tt-sandbox``, that starts the usual Python kernel as ``user``, in
    ``runtime/work`` (its own folder), with the chapter's reference data at ``table`` (in
    ``runtime``). Returns the folder to put on ``JUPYTER_PATH``. The grader stays root."""
    config = _config_folder(runtime)
    argv = [sys.executable, "-m", "autograder.sandbox", user, str(runtime), "--",
            sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    env = {"HOME": str(runtime / "work"), "MPLCONFIGDIR": str(config), KERNEL_TABLE: str(table)}
    return _kernel_spec(runtime, argv, env, f"Python 3 (as {user})")


KERNEL_ENV = ("PATH", "LANG", "TERM", "HOME", "MPLCONFIGDIR", KERNEL_TABLE, "JUPYTER_RUNTIME_DIR", "JPY_PARENT_PID",
              "PYTHONHASHSEED")
KERNEL_ENV_PREFIXES = ("LC_", "OMP_", "MKL_", "KMP_", "ATEN_", "ONEDNN_", "MALLOC_")  # locale, threads, CPU dispatch
MAX_PROCESSES = 1024  # processes and threads of the user at once: torch's threads fit, a fork bomb does not


def _become(user: str, runtime: Path, command: list[str]) -> None:
    """Run ``command`` as ``user`` in ``runtime/work``: hand ``runtime`` (the connection file, the
    sockets, the data the checks write) to that user, drop every privilege, exec with only the
    environment a kernel needs."""
    import ctypes
    import pwd
    import resource
    import signal

    entry = pwd.getpwnam(user)
    work = runtime / "work"
    work.mkdir(exist_ok=True)
    # Bottom up: ``runtime`` (root's, 0700) is handed over last, so the user can swap nothing for a
    # symlink while root still walks it.
    for folder, dirs, files in os.walk(runtime, topdown=False):
        for name in files + dirs:
            os.lchown(os.path.join(folder, name), entry.pw_uid, entry.pw_gid)
        os.lchown(folder, entry.pw_uid, entry.pw_gid)
    os.chdir(work)  # not the notebook's folder: the grader writes the graded notebook there
    env = {k: v for k, v in os.environ.items() if k in KERNEL_ENV or k.startswith(KERNEL_ENV_PREFIXES)}
    os.setgroups([])
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    if os.getuid() == 0 or os.geteuid() == 0:
        raise SystemExit("could not drop root")
    resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCESSES, MAX_PROCESSES))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG: die with the grader (after setuid, which clears it)
    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS: no setuid program can give root back
    os.execve(command[0], command, env)


def kill_user(user: str, rounds: int = 50) -> int:
    """Kill every process of ``user`` (what a kernel run as that user left behind, however it
    forks): a child becomes ``user`` and signals every process it may (``kill(-1, SIGKILL)``),
    again until none is left. Returns how many rounds it took (0: there was none)."""
    import pwd
    import signal
    import time

    import psutil

    entry = pwd.getpwnam(user)
    uid, gid = entry.pw_uid, entry.pw_gid  # looked up before forking: the child makes system calls only

    def left() -> bool:
        for process in psutil.process_iter(["uids", "status"]):
            try:
                if (process.info["uids"] and uid in process.info["uids"][:2]
                        and process.info["status"] != psutil.STATUS_ZOMBIE):
                    return True
            except (psutil.Error, OSError):
                continue
        return False

    for done in range(rounds):
        if not left():
            return done
        child = os.fork()
        if child == 0:  # the child: only system calls, then out
            try:
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(child, 0)
        time.sleep(0.05)
    return rounds


def _matplotlib_cache() -> Path | None:
    try:
        import matplotlib

        path = Path(matplotlib.get_cachedir())
    except Exception:  # noqa: BLE001 - only a speed-up
        return None
    return path if path.is_dir() else None


if __name__ == "__main__":  # the user kernel's first step, as root: python -m autograder.sandbox USER RUNTIME -- CMD
    user, runtime, separator, *command = sys.argv[1:]
    if separator != "--" or not command:
        raise SystemExit("usage: python -m autograder.sandbox USER RUNTIME -- COMMAND ...")
    _become(user, Path(runtime), command)
