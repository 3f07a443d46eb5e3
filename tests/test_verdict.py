"""The verdicts made outside the learner's kernel (autograder/verdict.py, traintech/checking.py): the
data they accept, the static "implemented from primitives" reading, the gradient judge, and the
judges' shared helpers. The kernel side runs here in-process (the same functions a test cell
runs); grading through real kernels is in test_hostile.py and test_examples.py."""
from __future__ import annotations

import json
import sys

import pytest
import torch

from autograder import verdict
from traintech import checking
from traintech.checking import BadData, gradient_probe, roundtrip as _roundtrip


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
    with pytest.raises(BadData, match=message):
        checking.decode(bad)


def test_data_files_are_read_with_limits(tmp_path, monkeypatch):
    path = tmp_path / "data.json"
    with pytest.raises(BadData, match="returned no data"):
        verdict.read_data(path, 1)
    path.write_text("not json")
    with pytest.raises(BadData, match="not JSON"):
        verdict.read_data(path, 1)
    path.write_text(json.dumps([{"error": "NameError: name 'standardize' is not defined"}]))
    error, = verdict.read_data(path, 1)
    assert isinstance(error, BadData) and "raised NameError: name 'standardize'" in str(error)
    for bad in ({"result": 1}, [{"result": 1, "extra": 2}, {"result": 1}], [{"result": 1}, 7]):
        path.write_text(json.dumps(bad))
        with pytest.raises(BadData, match="unexpected form"):
            verdict.read_data(path, 2)
    path.write_text(json.dumps([{"result": 1}]))
    with pytest.raises(BadData, match="no data for some of this cell's checks"):
        verdict.read_data(path, 2)
    path.write_text(json.dumps([{"result": "an earlier cell's"}, {"result": [1, 2]}]))
    assert verdict.read_data(path, 1) == [[1, 2]]  # the cell's own checks are the last ones
    monkeypatch.setattr(verdict, "MAX_BYTES", 4)
    with pytest.raises(BadData, match="more than 4 bytes"):
        verdict.read_data(path, 1)


def test_a_tensor_of_another_dtype_cannot_be_recorded():
    with pytest.raises(TypeError, match="complex64"):
        checking.encode(torch.zeros(2, dtype=torch.complex64))
    with pytest.raises(TypeError, match="cannot record a object"):
        checking.encode(object())


BASE = "import torch\nimport torch.nn.functional as F\nfrom traintech.reference.regularization import dropout as ref\n"
FORBIDDEN = ["torch.nn.functional.dropout", "torch.dropout"]


@pytest.mark.parametrize("name, code, found", [
    ("dropout", "def dropout(x):\n    return x * 2", []),
    ("dropout", "def dropout(x):\n    return F.dropout(x)", ["torch.nn.functional.dropout"]),
    ("dropout", "def h(x):\n    return torch.dropout(x, 0.5, True)\ndef dropout(x):\n    return h(x)", ["torch.dropout"]),
    ("dropout", "rows = ref\ndef dropout(x):\n    rows = x * 2\n    return rows", []),  # a local, not the global
    ("dropout", "rows = ref\ndef dropout(x):\n    return rows(x)", ["traintech"]),
    ("dropout", "def dropout(x, G=F.dropout):\n    return G(x)", ["torch.nn.functional.dropout"]),
    ("dropout", "dropout = lambda x: ref(x)", ["traintech"]),
    ("dropout", "def dropout(x):\n    return x\nfrom traintech.reference.regularization import dropout", None),
    ("dropout", "%matplotlib inline\ndef dropout(x):\n    return F.dropout(x)", ["torch.nn.functional.dropout"]),
    ("dropout", "!ls\ndef dropout(x):\n    return (x\n            % 2)", []),  # a continued line's % is no magic
    ("Dropout", "class Dropout(torch.nn.Module):\n    def forward(self, x):\n        return F.dropout(x)",
     ["torch.nn.functional.dropout"]),
    ("Dropout", "class Dropout(torch.nn.Dropout):\n    pass", ["torch.nn.Dropout"]),
    ("dropout", "x = 1", None),
])
def test_delegation_is_read_from_the_submitted_code(name, code, found):
    assert verdict.delegations([BASE, code], name, FORBIDDEN + ["torch.nn.Dropout"]) == found


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
    outside = bool(verdict.delegations([SCOPE_BASE, code], "answer", ["torch.nn.functional.dropout"]))
    assert (inside, outside) == (delegates, delegates)


def test_the_gradient_judge_is_gradcheck_outside_the_kernel():
    probe = gradient_probe
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    reference = _roundtrip(probe(torch.tanh, x))

    class WrongBackward(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * t

        @staticmethod
        def backward(ctx, grad):
            return grad  # should be 2 t grad

    checking.gradients_consistent(_roundtrip(probe(lambda t: t * t, x)), reference, "square")
    from traintech.testing import CheckFailed

    with pytest.raises(CheckFailed, match="disagrees with finite differences"):
        checking.gradients_consistent(_roundtrip(probe(WrongBackward.apply, x)), reference, "square")
    with pytest.raises(CheckFailed, match="has no gradient"):
        checking.gradients_consistent(_roundtrip(probe(lambda t: (t * t).detach(), x)), reference, "square")
    with pytest.raises(CheckFailed, match="turned float64 input into torch.float32"):
        checking.gradients_consistent(_roundtrip(probe(lambda t: t.float() * 2, x)), reference, "square")
    with pytest.raises(CheckFailed, match="has no gradient"):
        checking.gradients_consistent("forged", reference, "square")


def test_the_judges_shared_checks_fail_on_odd_data_instead_of_crashing():
    from traintech.testing import CheckFailed

    checking.expect_raised(["ValueError", "Exception"], "ValueError", "f(-1)")
    checking.expect_raised(None, None, "f(1)")
    for got, exception, message in [(None, "ValueError", "f\\(-1\\) should raise ValueError but returned normally"),
                                    (["TypeError"], "ValueError", "should raise ValueError but raised 'TypeError'"),
                                    ("forged", "ValueError", "but raised 'forged'"),
                                    (["KeyError"], None, "should return normally, but raised 'KeyError'")]:
        with pytest.raises(CheckFailed, match=message):
            checking.expect_raised(got, exception, "f(-1)")
    assert checking.expect_entries({"a": 1}, {"a": 0}) == {"a": 1}
    with pytest.raises(CheckFailed, match=r"should have the entries \['a'\], got list"):
        checking.expect_entries([1], {"a": 0})
    x = torch.zeros(2, 3)
    assert checking.expect_tensor(x, "x", (2, 3), torch.float32) is x
    with pytest.raises(CheckFailed, match="should have shape \\(3, 2\\)"):
        checking.expect_tensor(x, "x", (3, 2))
    with pytest.raises(CheckFailed, match="should have dtype torch.float64"):
        checking.expect_tensor(x, "x", dtype=torch.float64)
    with pytest.raises(CheckFailed, match="should be a tensor, but is a str"):
        checking.expect_tensor("x", "x")
    checking.raised_like({"f(-1)": ["ValueError", "Exception"]}, {"f(-1)": ["ValueError", "Exception"]})
    with pytest.raises(CheckFailed, match="f\\(-1\\) should raise ValueError but raised '\\(no data\\)'"):
        checking.raised_like("forged", {"f(-1)": ["ValueError", "Exception"]})
    with pytest.raises(CheckFailed, match="has no entry 'a'"):
        checking.entry([1], "a")
    assert checking.equal(torch.ones(2), 1.0) and not checking.equal(torch.ones(2), torch.ones(3))


@pytest.mark.parametrize("got, message", [
    ({"a": torch.ones(2)}, None), ({"a": [1.0]}, "should be a tensor"), ([1.0], "does not have the expected"),
    ({"a": torch.ones(2, dtype=torch.float64)}, "dtype"), ({"a": torch.zeros(2)}, "not close"),
    ({"a": torch.ones(2), "b": 1}, "does not have the expected"),
])
def test_same_compares_structures_and_tensors(got, message):
    from traintech.testing import CheckFailed

    ref = {"a": torch.ones(2)}
    if message is None:
        checking.same(got, ref)
    else:
        with pytest.raises(CheckFailed, match=message):
            checking.same(got, ref)
    checking.same([1, 2.0, "x", None], [1, 2.0000000001, "x", None])
    with pytest.raises(CheckFailed, match="should have 2 items"):
        checking.same([1], [1, 2])
    with pytest.raises(CheckFailed, match="is 'y' but should be 'x'"):
        checking.same(["y"], ["x"])


def test_run_judges_in_the_notebook_as_the_grader_judges_outside(tmp_path):
    from traintech.testing import CheckFailed

    def collect(double):
        return {"double(x)": double(torch.arange(3.0)), "raises": checking.raises(double, None)}

    def judge(got, ref, context):
        checking.agree(got, ref, "double(x)")
        context.no_delegation("double", ["torch.mul"])

    def right(x):
        return x + x

    def wrong(x):
        return torch.mul(x, 3)

    checking.run(collect, judge, right, reference=[lambda t: 2 * t])
    with pytest.raises(CheckFailed, match="double\\(x\\)"):
        checking.run(collect, judge, wrong, reference=[lambda t: 2 * t])
    with pytest.raises(ZeroDivisionError):  # the learner's own error reaches the learner
        checking.run(collect, judge, lambda x: 1 / 0, reference=[right])
    path = tmp_path / "data.json"
    checking.record(str(path))
    right_data, wrong_data, error = verdict.read_data(path, 3)
    assert checking.equal(right_data["double(x)"], torch.tensor([0.0, 2.0, 4.0]))
    assert isinstance(error, BadData) and "ZeroDivisionError" in str(error)
    assert json.loads(path.read_text())[0]["result"]["$dict"][1][1] == ["TypeError", "Exception",
                                                                        "BaseException", "object"]
    checking.record(str(path))  # record forgets what it wrote
    assert json.loads(path.read_text()) == []
