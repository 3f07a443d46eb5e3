"""The two commands' foundations: one dependency list, and `make lab` serving the course."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request

import yaml

from conftest import ROOT, tool_env


def _requirements_pyproject() -> set[str]:
    return set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])


def _requirements_environment() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert "-e ." in pip, "environment.yml must pip-install the project itself"
    return {r for r in pip if not r.startswith("-")}


def test_environment_yml_matches_pyproject():
    assert _requirements_environment() == _requirements_pyproject()
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"] and "pip" in env["dependencies"]


def test_dependencies_are_pinned_and_torch_exactly():
    for requirement in _requirements_pyproject():
        assert "==" in requirement, f"{requirement} is not pinned"
    assert "torch==2.13.0" in _requirements_pyproject()  # a range would pull a CUDA build


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_serves_the_chapters():
    port, token = _free_port(), "traintech-test"
    args = f"--no-browser --port {port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token={token}"
    lab = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"], cwd=ROOT, env=tool_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        listing, deadline = None, time.monotonic() + 90
        while time.monotonic() < deadline and lab.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/api/contents/chapters?token={token}"
                with urllib.request.urlopen(url, timeout=5) as response:
                    listing = json.load(response)
                break
            except OSError:
                time.sleep(0.5)
        assert listing is not None, "JupyterLab did not answer"
        chapters = {item["name"] for item in listing["content"]}
        assert chapters == {p.name for p in (ROOT / "chapters").iterdir() if p.is_dir()}
        first = sorted(chapters)[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/chapters/{first}?token={token}") as r:
            notebooks = {item["name"] for item in json.load(r)["content"]}
        assert f"{first}.ipynb" in notebooks
        # JupyterLab 4 with nbgrader's server extension loaded
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}") as r:
            assert r.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}") as r:
            assert r.status == 200
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        try:
            output, _ = lab.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(lab.pid, signal.SIGKILL)
            output, _ = lab.communicate()
    assert "nbgrader" in output, output[-3000:]


def _jupyter(*args: str) -> str:
    result = subprocess.run(["jupyter", *args], env=tool_env(), capture_output=True, text=True)
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # without colour codes


def test_nbgrader_extensions_are_enabled_in_jupyterlab_4():
    assert _jupyter("lab", "--version").strip().startswith("4.")
    assert re.search(r"@jupyter/nbgrader v0\.9\.\d+ enabled OK", _jupyter("labextension", "list"))
    servers = _jupyter("server", "extension", "list")
    for extension in ("formgrader", "validate_assignment", "assignment_list"):
        assert f"nbgrader.server_extensions.{extension} enabled" in servers, servers


def test_simulated_cpu_takes_effect_and_says_when_it_does_not():
    """make test-portable's simulated processor (tests/simulated_cpu.py) runs other kernels, and
    refuses to run a suite under a setting that did not take effect."""
    import pytest

    from simulated_cpu import check, environment

    assert check("lowered", environment("lowered", tool_env())).startswith("simulated CPU 'lowered': aten DEFAULT")
    half = {**environment("lowered", tool_env()), "ATEN_CPU_CAPABILITY": "avx2"}
    with pytest.raises(RuntimeError, match="aten uses 'AVX2', not DEFAULT"):
        check("lowered", half)
    with pytest.raises(ValueError, match="unknown CPU setting"):
        environment("pentium")


def test_the_instructor_command_answers_help_without_importing_the_grading_stack():
    """`python -m autograder --help` answers at once: nbgrader (2 s to import), torch and nbformat
    are imported only by the commands that need them."""
    code = ("import sys\nfrom autograder.__main__ import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n"
            "    pass\nprint(sorted({m.split('.')[0] for m in sys.modules} & {'nbgrader', 'torch', 'nbformat', 'traintech'}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=tool_env(),
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "grade" in result.stdout and result.stdout.strip().splitlines()[-1] == "[]", result.stdout[-300:]
