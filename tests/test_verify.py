"""The checks made outside the learner's kernel (autograder/verify.py): the data they accept,
the static "implemented from primitives" reading, the gradient judge, and chapter 0's
verifiers on a right and a wrong answer. The kernel side runs here in-process (the same code
the grader sends to the kernel); grading through real kernels is in test_hostile.py and the
wrong-answer tests."""
from __future__ import annotations

import json
import sys

import nbformat
import pytest
import torch

from autograder import verify
from conftest import ROOT

SOLUTION = ROOT / "solutions" / "00_getting_started" / "00_getting_started.ipynb"


def _roundtrip(value):
    namespace: dict = {}
    exec(verify.PRELUDE, namespace)
    return verify.decode(json.loads(json.dumps(namespace["_tt_encode"](value))))


def test_data_survives_the_trip_from_the_kernel():
    value = {"x": torch.arange(6, dtype=torch.float64).reshape(2, 3), "mask": torch.tensor([True, False]),
             "n": 3, "nan": float("nan"), "dtype": torch.float16, "shape": torch.Size([2, 3]), "none": None,
             "errors": [["ValueError", "Exception"], None], 7: "int key"}
    back = _roundtrip(value)
    assert torch.equal(back["x"], value["x"]) and back["x"].dtype == torch.float64
    assert torch.equal(back["mask"], value["mask"])
    assert back["n"] == 3 and back["nan"] != back["nan"] and back["dtype"] is torch.float16
    assert back["shape"] == [2, 3] and back["none"] is None and back[7] == "int key"
    assert back["errors"] == [["ValueError", "Exception"], None]


@pytest.mark.parametrize("bad, message", [
    ({"$tensor": ["torch.complex64", [1], "AAAAAAAAAAA="]}, "malformed tensor"),
    ({"$tensor": ["torch.float32", [3], "AAAAAA=="]}, "does not match its shape"),
    ({"$tensor": ["torch.float32", [-1], ""]}, "malformed tensor"),
    ({"$pickle": "gASV"}, "unexpected '\\$pickle'"),
    ({"$dict": [[["a list"], 1]]}, "dict key"),
    ({"a": 1, "b": 2}, "unexpected dict"),
    ({"$dtype": "os.system"}, "unexpected '\\$dtype'"),
])
def test_untrusted_data_of_any_other_form_is_refused(bad, message):
    with pytest.raises(verify.BadData, match=message):
        verify.decode(bad)


def test_data_files_are_read_with_limits(tmp_path, monkeypatch):
    path = tmp_path / "data.json"
    with pytest.raises(verify.BadData, match="returned no data"):
        verify.read_data(path)
    path.write_text("not json")
    with pytest.raises(verify.BadData, match="not JSON"):
        verify.read_data(path)
    path.write_text(json.dumps({"error": "NameError: name 'standardize' is not defined"}))
    with pytest.raises(verify.BadData, match="raised NameError: name 'standardize'"):
        verify.read_data(path)
    path.write_text(json.dumps({"result": 1, "extra": 2}))
    with pytest.raises(verify.BadData, match="unexpected form"):
        verify.read_data(path)
    path.write_text(json.dumps({"result": [1, 2]}))
    assert verify.read_data(path) == [1, 2]
    monkeypatch.setattr(verify, "MAX_BYTES", 4)
    with pytest.raises(verify.BadData, match="more than 4 bytes"):
        verify.read_data(path)


BASE = "import torch\nimport torch.nn.functional as F\nfrom traintech.regularization import dropout as ref\n"
FORBIDDEN = ["torch.nn.functional.dropout", "torch.dropout"]


@pytest.mark.parametrize("name, code, found", [
    ("dropout", "def dropout(x):\n    return x * 2", []),
    ("dropout", "def dropout(x):\n    return F.dropout(x)", ["torch.nn.functional.dropout"]),
    ("dropout", "def h(x):\n    return torch.dropout(x, 0.5, True)\ndef dropout(x):\n    return h(x)", ["torch.dropout"]),
    ("dropout", "rows = ref\ndef dropout(x):\n    rows = x * 2\n    return rows", []),  # a local, not the global
    ("dropout", "rows = ref\ndef dropout(x):\n    return rows(x)", ["traintech"]),
    ("dropout", "def dropout(x, G=F.dropout):\n    return G(x)", ["torch.nn.functional.dropout"]),
    ("dropout", "dropout = lambda x: ref(x)", ["traintech"]),
    ("dropout", "def dropout(x):\n    return x\nfrom traintech.regularization import dropout", None),
    ("dropout", "%matplotlib inline\ndef dropout(x):\n    return F.dropout(x)", ["torch.nn.functional.dropout"]),
    ("dropout", "!ls\ndef dropout(x):\n    return (x\n            % 2)", []),  # a continued line's % is no magic
    ("Dropout", "class Dropout(torch.nn.Module):\n    def forward(self, x):\n        return F.dropout(x)",
     ["torch.nn.functional.dropout"]),
    ("Dropout", "class Dropout(torch.nn.Dropout):\n    pass", ["torch.nn.Dropout"]),
    ("dropout", "x = 1", None),
])
def test_delegation_is_read_from_the_submitted_code(name, code, found):
    assert verify.delegations([BASE, code], name, FORBIDDEN + ["torch.nn.Dropout"]) == found


SCOPE_BASE = ("import torch\nimport torch.nn.functional as F\nfrom traintech.data import load_digits as digits\n"
              "evaluate = F.dropout\n")


@pytest.mark.parametrize("code, delegates", [
    ("def answer(x):\n    digits = x.clone()\n    return digits * 2", False),  # a local shadows a global
    ("def answer(digits):\n    return digits * 2", False),  # a parameter
    ("def answer(xs):\n    return [digits * 2 for digits in xs]", False),  # a comprehension variable
    ("def answer(x):\n    def evaluate(t):\n        return t * 2\n    return evaluate(x)", False),  # nested def
    ("class answer:\n    def forward(self, evaluate):\n        return evaluate", False),  # a method's parameter
    ("def answer(x):\n    return evaluate(x)", True),  # the global: F.dropout
    ("def answer(xs):\n    return [F.dropout(t) for t in xs]", True),
    ("def answer(x):\n    import torch.nn.functional as G\n    return G.dropout(x)", True),  # a local import
    ("def answer(x):\n    from torch.nn.functional import dropout as d\n    return d(x)", True),
    ("def answer(x):\n    return digits()", True),  # traintech
])
def test_both_purity_checks_read_scopes_alike(code, delegates, tmp_path, monkeypatch):
    """The kernel's check_no_delegation (live objects) and the grader's delegations (source) share
    one reading of scopes (traintech.testing.free_names) and reach the same verdict."""
    import importlib

    from traintech.testing import CheckFailed, check_no_delegation

    (tmp_path / "scoped_answer.py").write_text(SCOPE_BASE + code + "\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("scoped_answer")
    try:
        check_no_delegation(module.answer, forbidden=["torch.nn.functional.dropout"])
        inside = False
    except CheckFailed:
        inside = True
    finally:
        del sys.modules["scoped_answer"]
    outside = bool(verify.delegations([SCOPE_BASE, code], "answer", ["torch.nn.functional.dropout"]))
    assert (inside, outside) == (delegates, delegates)


def test_the_gradient_judge_is_gradcheck_outside_the_kernel():
    namespace: dict = {}
    exec(verify.PRELUDE, namespace)
    probe = namespace["gradient_probe"]
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    reference = _roundtrip(probe(torch.tanh, x))

    class WrongBackward(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * t

        @staticmethod
        def backward(ctx, grad):
            return grad  # should be 2 t grad

    verify.gradients_consistent(_roundtrip(probe(lambda t: t * t, x)), reference, "square")
    from traintech.testing import CheckFailed

    with pytest.raises(CheckFailed, match="disagrees with finite differences"):
        verify.gradients_consistent(_roundtrip(probe(WrongBackward.apply, x)), reference, "square")
    with pytest.raises(CheckFailed, match="has no gradient"):
        verify.gradients_consistent(_roundtrip(probe(lambda t: (t * t).detach(), x)), reference, "square")
    with pytest.raises(CheckFailed, match="turned float64 input into torch.float32"):
        verify.gradients_consistent(_roundtrip(probe(lambda t: t.float() * 2, x)), reference, "square")
    with pytest.raises(CheckFailed, match="has no gradient"):
        verify.gradients_consistent("forged", reference, "square")


def _judge_in_process(grade_id: str, standardize, tmp_path) -> str | None:
    """Chapter 0's verifier of ``grade_id``, the kernel side run here on ``standardize``."""
    verifier = verify.verifiers("00_getting_started")[grade_id]
    namespace = {**verify.reference_namespace(SOLUTION), "standardize": standardize}
    out = tmp_path / f"{grade_id}.json"

    class Shell:
        user_ns = namespace

    exec(verify.kernel_code(verifier.collect, out), {"get_ipython": lambda: Shell})
    sources = verify.learner_sources(nbformat.read(SOLUTION, as_version=4))
    return verify.judge(verifier, SOLUTION, grade_id, out, sources)


def test_chapter_0_verifiers_judge_as_its_tests_do(tmp_path):
    def sample_std(x, dim=0, eps=1e-8):  # the usual mistake: fails the values test, passes the edge cases
        return (x - x.mean(dim=dim, keepdim=True)) / (x.std(dim=dim, keepdim=True) + eps)

    right = verify.reference_namespace(SOLUTION)["standardize"]
    nb = nbformat.read(SOLUTION, as_version=4)
    tests = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.cell_type == "code"
             and c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")}
    assert set(verify.verifiers("00_getting_started")) == tests
    for grade_id in tests:
        assert _judge_in_process(grade_id, right, tmp_path) is None
    why = _judge_in_process("test_standardize_values", sample_std, tmp_path)
    assert why.startswith("result['dim 0'] is not close to the expected value")
    assert _judge_in_process("test_standardize_edge_cases", sample_std, tmp_path) is None
    detached = _judge_in_process("test_standardize_edge_cases", lambda x, dim=0, eps=1e-8: right(x, dim, eps).detach(),
                                 tmp_path)
    assert detached.startswith("standardize has no gradient")


def test_the_judges_shared_checks_fail_on_odd_data_instead_of_crashing():
    from traintech.testing import CheckFailed

    verify.expect_raised(["ValueError", "Exception"], "ValueError", "f(-1)")
    verify.expect_raised(None, None, "f(1)")
    for got, exception, message in [(None, "ValueError", "f\\(-1\\) should raise ValueError but returned normally"),
                                    (["TypeError"], "ValueError", "should raise ValueError but raised 'TypeError'"),
                                    ("forged", "ValueError", "but raised 'forged'"),
                                    (["KeyError"], None, "should return normally, but raised 'KeyError'")]:
        with pytest.raises(CheckFailed, match=message):
            verify.expect_raised(got, exception, "f(-1)")
    assert verify.expect_entries({"a": 1}, {"a": 0}) == {"a": 1}
    with pytest.raises(CheckFailed, match=r"should have the entries \['a'\], got list"):
        verify.expect_entries([1], {"a": 0})
    x = torch.zeros(2, 3)
    assert verify.expect_tensor(x, "x", (2, 3), torch.float32) is x
    with pytest.raises(CheckFailed, match="should have shape \\(3, 2\\)"):
        verify.expect_tensor(x, "x", (3, 2))
    with pytest.raises(CheckFailed, match="should have dtype torch.float64"):
        verify.expect_tensor(x, "x", dtype=torch.float64)
    with pytest.raises(CheckFailed, match="should be a tensor, but is a str"):
        verify.expect_tensor("x", "x")
