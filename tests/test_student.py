"""The student edition (`make student`): what a graded class gets installs, runs, and gives no answer away.

The edition is built and installed once (tests/edition.py); its chapters, with the solutions
pasted in, run top to bottom in its own Python in tests/test_claims_0N.py (one execution serves
the claims and the clean-run test). Here: its files, its Python, and its visible checks on
another processor than the one that computed their reference data.
"""
from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest

import simulated_cpu
from autograder.checks import references
from autograder.course import chapter_ids
from edition import ROOT, environment

INSTALLED = {".venv", "traintech.egg-info", "__pycache__"}  # what `make venv` adds to the folder
# Anything smaller is not an answer (e.g. `return self.weight`); the smallest graded answer, freeze, has 18.
MIN_NODES = 15


def edition_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not INSTALLED & set(p.relative_to(folder).parts))


# ----------------------------------------------------------------------------- normalized bodies


class _Normalize(ast.NodeTransformer):
    """Names renamed by order of first appearance, docstrings and annotations dropped: what is
    left is the computation, however it is spelled."""

    def __init__(self):
        self.names: dict[str, str] = {}

    def _name(self, name: str) -> str:
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node):
        return ast.copy_location(ast.Name(id=self._name(node.id), ctx=node.ctx), node)

    def visit_arg(self, node):
        return ast.copy_location(ast.arg(arg=self._name(node.arg)), node)

    def visit_AnnAssign(self, node):
        if node.value is None:
            return None
        return self.visit(ast.copy_location(ast.Assign(targets=[node.target], value=node.value), node))

    def generic_visit(self, node):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body and isinstance(
                body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) and isinstance(
                body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.returns = None
        return super().generic_visit(node)


def normalized_body(node: ast.FunctionDef | ast.ClassDef) -> str | None:
    """The definition's body, normalized (``None`` when it is too small to be an answer)."""
    statements = node.body
    if statements and isinstance(statements[0], ast.Expr) and isinstance(statements[0].value, ast.Constant):
        statements = statements[1:]  # the docstring
    body = _Normalize().visit(ast.Module(body=[ast.parse(ast.unparse(s)).body[0] for s in statements],
                                         type_ignores=[]))
    if sum(1 for _ in ast.walk(body)) < MIN_NODES:
        return None
    return ast.dump(body, annotate_fields=False, include_attributes=False)


def definitions(source: str) -> list[ast.FunctionDef | ast.ClassDef]:
    """Every function and class defined anywhere in ``source`` (a notebook cell's IPython magics dropped)."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def sources_in(path: Path) -> list[str]:
    """The Python in a file of the edition: a module, or a notebook's code cells."""
    if path.suffix == ".py":
        return [path.read_text()]
    if path.suffix == ".ipynb":
        return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    return []


def scaffolding() -> set[str]:
    """What a solution cell hands out with its exercise, outside nbgrader's solution markers
    (e.g. ``extra_repr``): the solution cells of ``solutions/`` with every solution cut out."""
    given = set()
    for path in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
                stub = re.sub(r"(?ms)^([ \t]*)### BEGIN SOLUTION$.*?^[ \t]*### END SOLUTION$", r"\1raise NotImplementedError()",
                              cell.source)
                given |= {normalized_body(node) for node in definitions(stub)}
    return given


def graded_answers() -> dict[str, list[str]]:
    """Where each graded answer lives in the repository, normalized body -> ``"what (where)"``: every
    definition in ``traintech/reference/`` (the references and their helpers) and in the solution
    cells of ``solutions/`` (but what the released chapter gives with the exercise)."""
    found = {}
    given = scaffolding()
    for path in sorted((ROOT / "traintech" / "reference").glob("*.py")):
        for node in definitions(path.read_text()):
            if (body := normalized_body(node)) is not None and body not in given:
                found.setdefault(body, []).append(f"{node.name} ({path.relative_to(ROOT)})")
    for chapter in chapter_ids():
        path = ROOT / "solutions" / chapter / f"{chapter}.ipynb"
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
                for node in definitions(cell.source):
                    if (body := normalized_body(node)) is not None and body not in given:
                        found.setdefault(body, []).append(
                            f"{node.name} ({path.relative_to(ROOT)}, cell {cell.metadata.nbgrader.grade_id})")
    return found


def answers_in(files: list[Path], answers: dict[str, list[str]]) -> list[str]:
    """Each definition in ``files`` whose normalized body is a graded answer's."""
    return [f"{path.name}: {node.name} is {' = '.join(answers[body])}" for path in files for source in sources_in(path)
            for node in definitions(source) if (body := normalized_body(node)) in answers]


# ----------------------------------------------------------------------------- the tests


def test_the_edition_holds_the_chapters_the_helpers_and_the_project(edition):
    names = {str(p.relative_to(edition.folder)) for p in edition_files(edition.folder)}
    for chapter in chapter_ids():
        assert f"chapters/{chapter}/{chapter}.ipynb" in names
    for required in ("README.md", "Makefile", "course.mk", "pyproject.toml", "environment.yml",
                     "traintech/__init__.py", "traintech/expected.json", "traintech/checking.py",
                     "traintech/data.py", "traintech/training.py", "traintech/plotting.py", "traintech/testing.py",
                     "traintech/diagnostics.py", "traintech/augmentation.py", "traintech/pretrain.py"):
        assert required in names
    assert any(n.startswith("traintech/assets/") for n in names), "the pre-trained network is missing"
    tops = {n.split("/")[0] for n in names}
    assert tops == {"chapters", "traintech", "README.md", "Makefile", "course.mk", "pyproject.toml", "environment.yml",
                    "nbgrader_config.py"}
    assert not any(n.startswith("traintech/reference") for n in names)


def test_the_zip_holds_the_folder(edition):
    with zipfile.ZipFile(edition.zip) as archive:
        zipped = {n for n in archive.namelist() if not n.endswith("/")}
    assert zipped == {f"{edition.folder.name}/{p.relative_to(edition.folder)}" for p in edition_files(edition.folder)}


def test_the_pins_are_the_repository_s(edition):
    import tomllib

    ours = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    theirs = tomllib.loads((edition.folder / "pyproject.toml").read_text())
    assert theirs["project"] == ours
    assert theirs["tool"]["setuptools"]["packages"]["find"]["include"] == ["traintech*"]
    assert (edition.folder / "environment.yml").read_text() == (ROOT / "environment.yml").read_text()


def test_the_edition_s_python_imports_its_own_traintech_without_references(edition):
    probe = ("import importlib.util, traintech, traintech.checking, traintech.diagnostics, traintech.augmentation\n"
             "print(traintech.__file__)\n"
             "print(importlib.util.find_spec('traintech.reference'))\n")
    result = subprocess.run([str(edition.python), "-c", probe], cwd=edition.folder.parent, env=environment(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    where, spec = result.stdout.split()
    assert Path(where).is_relative_to(edition.folder)
    assert spec == "None"


def test_the_graded_answers_are_all_found_in_the_repository():
    """The AST comparison below knows every one of the 33 graded answers, in both places."""
    answers = {place for places in graded_answers().values() for place in places}
    graded = {name: dotted for chapter in chapter_ids() for name, dotted in references(chapter).items()}
    assert len(graded) == 33
    for name, dotted in graded.items():
        assert any(a.startswith(f"{name} (solutions/") for a in answers), f"{name}: no solution cell defines it"
        if dotted.startswith("traintech.reference."):
            assert any(a.startswith(f"{dotted.rsplit('.', 1)[1]} (traintech/reference/") for a in answers), name


def test_no_file_of_the_edition_holds_a_graded_answer(edition):
    found = answers_in(edition_files(edition.folder), graded_answers())
    assert not found, "the student edition gives answers away:\n" + "\n".join(found)


def test_a_graded_answer_is_found_however_it_is_spelled(tmp_path):
    """The comparison can fail: dropout's reference with other names, another docstring, other
    formatting and comments, hidden inside a helper module, is found."""
    source = (ROOT / "traintech" / "reference" / "regularization.py").read_text()
    (node,) = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == "dropout"]
    renamed = {"x": "inputs", "p": "rate", "generator": "gen", "torch": "th"}

    class Disguise(ast.NodeTransformer):
        def visit_Name(self, node):
            node.id = renamed.get(node.id, node.id)
            return node

        def visit_arg(self, node):
            node.arg = renamed.get(node.arg, node.arg)
            return node

    node = Disguise().visit(node)
    node.name = "_mask_things"
    node.body[0] = ast.Expr(ast.Constant("Just a helper."))
    helper = tmp_path / "helpers.py"
    helper.write_text("import torch as th\n\n\nclass Tools:\n    # a comment\n    "
                      + ast.unparse(node).replace("\n", "\n    ") + "  # ok\n")
    (found,) = answers_in([helper], graded_answers())
    assert found.startswith("helpers.py: _mask_things is dropout (traintech/reference/regularization.py)")


FORBIDDEN = {
    "a hidden test": re.compile(r"(BEGIN|END) HIDDEN TESTS"),
    "a solution marker": re.compile(r"(BEGIN|END) (SOLUTION|MARK SCHEME)"),
    "a pointer to solutions/": re.compile(r"solutions/"),
    "an example submission": re.compile(r"autograder/examples|example-[a-z]+_\d\d_"),
    "a pointer to the instructor's tools": re.compile(r"autograder/|autograder\.checks"),
    "a promise of solutions": re.compile(r"\bsolutions?\b|\bmodel answers?\b", re.IGNORECASE),
}


def text_of(path: Path) -> str:
    """What a reader sees in a file: a notebook's cells (not nbgrader's metadata, which has a
    ``"solution"`` flag on every answer cell), any other file whole."""
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        return "\n".join([c.source for c in nb.cells] + [json.dumps(nb.metadata)])
    return path.read_text(errors="replace")


def test_no_file_holds_a_hidden_test_a_marker_an_example_or_a_pointer_to_solutions(edition):
    found = [f"{path.relative_to(edition.folder)}: {what} ({match.group(0)!r})"
             for path in edition_files(edition.folder)
             if path.suffix in (".py", ".ipynb", ".md", ".toml", ".yml", ".mk", "") or path.name == "expected.json"
             for what, pattern in FORBIDDEN.items() if (match := pattern.search(text_of(path)))]
    assert not found, "\n".join(found)
    assert not [p for p in edition_files(edition.folder) if "example" in p.name]


def test_the_text_checks_catch_what_they_look_for(tmp_path):
    """The patterns above find each thing in the form the repository has it."""
    solution = ROOT / "solutions" / "00_getting_started" / "00_getting_started.ipynb"
    text = text_of(solution) + "\n" + text_of(ROOT / "README.md") + "\n" + (ROOT / "autograder" / "README.md").read_text()
    for what in ("a hidden test", "a solution marker", "a pointer to solutions/", "a promise of solutions",
                 "a pointer to the instructor's tools"):
        assert FORBIDDEN[what].search(text), what
    assert FORBIDDEN["an example submission"].search(
        " ".join(p.name for p in (ROOT / "autograder" / "examples" / "01_regularization").iterdir()))


def test_visible_checks_pass_on_another_processor(edition):
    """The edition's reference data were computed on this machine; a student's runs elsewhere.
    Every visible test cell of every chapter, solutions pasted in, passes in the edition's Python
    with PyTorch's three CPU layers lowered below this machine's (tests/visible_checks.py)."""
    if simulated_cpu.in_effect(environment())["aten"] == "DEFAULT":
        pytest.skip("this processor already runs PyTorch's lowest setting: no other processor to simulate")
    env = simulated_cpu.environment("lowered", environment())
    assert simulated_cpu.in_effect(env)["aten"] == "DEFAULT"
    chapters = [str(edition.chapter(chapter)) for chapter in chapter_ids()]
    result = subprocess.run([str(edition.python), str(ROOT / "tests" / "visible_checks.py"), *chapters], env=env,
                            cwd=edition.pasted, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every visible test cell passes" in result.stdout


def test_the_visible_checks_runner_finds_a_failing_cell(edition, tmp_path):
    """tests/visible_checks.py can fail: the untouched chapter 0 fails its test cells."""
    untouched = edition.folder / "chapters" / "00_getting_started" / "00_getting_started.ipynb"
    result = subprocess.run([str(edition.python), str(ROOT / "tests" / "visible_checks.py"), str(untouched)],
                            env=environment(), cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1 and "test_standardize_values: NotImplementedError" in result.stdout, result.stdout


def test_a_plain_install_carries_the_data_and_no_reference(edition, tmp_path):
    """A JupyterHub image installs the edition with ``pip install <folder>``: its wheel holds the
    visible checks' data and the pre-trained network, and nothing of ``traintech.reference``."""
    source = tmp_path / "edition"
    shutil.copytree(edition.folder, source, ignore=shutil.ignore_patterns(*INSTALLED))
    built = subprocess.run([str(edition.python), "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path),
                            str(source)], env=environment(), capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("traintech-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "traintech/expected.json" in names and "traintech/checking.py" in names
    assert any(n.startswith("traintech/assets/") for n in names)
    assert not [n for n in names if n.startswith(("traintech/reference", "autograder", "chapters"))]


def test_make_test_validates_the_student_s_chapters(edition, tmp_path):
    """The edition's `make test`: fails and says why on a chapter handed out untouched, passes once
    its exercises are done, and changes no notebook."""
    untouched = edition.folder / "chapters" / "00_getting_started" / "00_getting_started.ipynb"
    before = untouched.read_bytes()
    result = subprocess.run(["make", "-C", str(edition.folder), "test", "CHAPTERS=00_getting_started"],
                            env=environment(), capture_output=True, text=True, timeout=600)
    assert result.returncode != 0 and "VALIDATION FAILED" in result.stdout and "NotImplementedError" in result.stdout
    assert untouched.read_bytes() == before

    done = tmp_path / "edition"  # the same edition, chapter 0 done (its .venv shared, not installed again)
    shutil.copytree(edition.folder, done, ignore=shutil.ignore_patterns(".venv"))
    (done / ".venv").symlink_to(edition.folder / ".venv")
    shutil.copyfile(edition.chapter("00_getting_started"), done / "chapters" / "00_getting_started" / untouched.name)
    result = subprocess.run(["make", "-C", str(done), "test", "CHAPTERS=00_getting_started"],
                            env=environment(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every chapter passes its visible tests" in result.stdout


def test_the_expected_data_are_those_of_the_released_visible_checks_only(edition):
    """traintech/expected.json holds the reference data of exactly the visible checks the released
    chapters run against a left-out reference: none of a hidden check."""
    keys = {key.rsplit(" ", 1)[0] for key in json.loads((edition.folder / "traintech" / "expected.json").read_text())}
    calls = set()
    for path in sorted((edition.folder / "chapters").glob("*/*.ipynb")):
        for source in sources_in(path):
            for name, refs in re.findall(r"^run\((collect_\w+),.*reference=\[([^\]]*)\]\)$", source, re.M):
                refs = [r.strip().strip("'\"") for r in refs.split(",")]
                if any(r.startswith("traintech.reference.") for r in refs):
                    calls.add(f"{name}({', '.join(refs)})")
    assert len(calls) > 40 and keys == calls


def test_validating_runs_a_chapter_as_grading_does(edition):
    """The edition's nbgrader_config.py (make test, the Validate button) has the course's cell
    timeout and kernel extension: a chapter that grading accepts validates."""
    from traitlets.config.loader import PyFileConfigLoader

    course = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT / "autograder")).load_config().Execute
    theirs = PyFileConfigLoader("nbgrader_config.py", path=str(edition.folder)).load_config().Execute
    assert theirs.timeout == course.timeout > 30  # nbgrader's default, 30 s, interrupts chapter 1's experiments
    assert list(theirs.extra_arguments) == list(course.extra_arguments)



# ----------------------------------------------------------------------------- helpers that would be answers


def _helpers() -> dict[str, object]:
    """Every public function and class of the edition's traintech (the package without its
    ``reference`` subpackage), by dotted name, but those with side effects outside their result:
    a CLI entry point and ``checking.record`` write files (``record(1)`` closes stdout),
    ``kernel.load_ipython_extension`` reroutes this process's warnings."""
    import importlib
    import inspect
    import pkgutil

    import traintech

    found = {}
    for info in pkgutil.walk_packages(traintech.__path__, "traintech."):
        if info.name.startswith("traintech.reference"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (not name.startswith("_") and name not in ("main", "record", "load_ipython_extension")
                    and (inspect.isfunction(obj) or inspect.isclass(obj))
                    and getattr(obj, "__module__", None) == info.name):
                found[f"{info.name}.{name}"] = obj
    return found


class _DataOnly:
    """A judge's context that asks nothing about the code: what the helper computes is all that counts."""

    def no_delegation(self, name, forbidden):
        pass


def _earns_full_marks(chapter: str, exercise, helper) -> bool:
    """Whether ``helper``, in place of the exercise, passes every check of every cell (hidden ones
    too), judged on its data alone (the purity check left out: it fails any helper by its name)."""
    import signal
    import warnings

    from autograder.verdict import reference_data
    from traintech.checking import _reference, roundtrip

    names = references(chapter)

    def timeout(signum, frame):
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, timeout)
    try:
        for cell in exercise.cells:
            for check, ref in zip(cell.checks, reference_data(chapter, cell.grade_id)):
                args = [helper if n == exercise.name else _reference(names[n]) for n in check.uses]
                signal.alarm(10)
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        check.judge(roundtrip(check.collect(*args)), ref, _DataOnly())
                except BaseException:  # noqa: BLE001 - any failure, crash or exit: not an answer
                    return False
                finally:
                    signal.alarm(0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    return True


def test_no_helper_of_the_edition_computes_a_graded_answer():
    """A helper that computes a graded answer counts as the answer: no public function or class of
    the edition's traintech, put in place of any exercise, earns that exercise's full marks on
    what it computes. (Before the split, the reference itself would have: the last assertion.)"""
    import matplotlib.pyplot as plt

    from autograder.checks import exercises

    helpers = _helpers()
    assert "traintech.diagnostics.unit_stats" in helpers and len(helpers) > 30
    found = []
    for chapter in chapter_ids():
        for exercise in exercises(chapter).values():
            found += [f"{dotted} earns {exercise.name}'s full marks" for dotted, helper in helpers.items()
                      if _earns_full_marks(chapter, exercise, helper)]
            plt.close("all")
    assert not found, "\n".join(found)
    from traintech.reference.diagnostics import activation_stds

    assert _earns_full_marks("03_initialization", exercises("03_initialization")["activation_stds"], activation_stds)
