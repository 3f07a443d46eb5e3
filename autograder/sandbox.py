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
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

KERNEL_NAME = "tt-sandbox"
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


def _base_arguments() -> list[str]:
    args = ["--die-with-parent", "--unshare-all", "--cap-drop", "ALL", "--dev", "/dev", "--proc", "/proc",
            "--tmpfs", "/tmp", "--setenv", "HOME", "/tmp", "--unsetenv", "JUPYTER_PATH",
            # ipykernel exits when its parent is not the process that started it: in the sandbox it never is
            "--unsetenv", "JPY_PARENT_PID"]
    for path in _readable():
        args += ["--ro-bind", path, path]
    return args


def arguments(writable: list[Path], cwd: Path) -> list[str]:
    """bwrap's command line (without the command) for a kernel that may write to ``writable``."""
    args = [shutil.which("bwrap") or "bwrap", *_base_arguments()]
    for path in writable:
        args += ["--bind", str(path), str(path)]
    return args + ["--chdir", str(cwd)]


def install_kernel(runtime: Path, notebook_dir: Path) -> Path:
    """Write a kernel spec, ``tt-sandbox``, that starts the usual Python kernel in the
    sandbox, with ``notebook_dir`` and ``runtime`` writable. Returns the folder to put on
    ``JUPYTER_PATH`` (inside ``runtime``)."""
    jupyter = runtime / "jupyter"
    spec = jupyter / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    config = runtime / "config"
    config.mkdir(exist_ok=True)
    cache = _matplotlib_cache()
    if cache:  # the font list, so each kernel does not rebuild it (copied: the kernel may write it)
        for item in cache.glob("fontlist-*.json"):
            shutil.copy(item, config / item.name)
    argv = [*arguments([notebook_dir, runtime], notebook_dir), "--setenv", "MPLCONFIGDIR", str(config),
            "--", sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({
        "argv": argv, "display_name": "Python 3 (sandboxed)", "language": "python",
        "interrupt_mode": "message"}, indent=1))
    return jupyter


def _matplotlib_cache() -> Path | None:
    try:
        import matplotlib

        path = Path(matplotlib.get_cachedir())
    except Exception:  # noqa: BLE001 - only a speed-up
        return None
    return path if path.is_dir() else None
