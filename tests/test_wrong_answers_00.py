"""Chapter 0: plausible wrong answers lose points; differently written right answers keep them.

As for the other chapters (tests/notebook_session.py): each wrong implementation is swapped in
for the solution, the exercise's test cells (visible and hidden) are re-run as nbgrader runs
them, and at least one must fail; each right one, and each blind one (tests/blind_answers/),
must pass every cell, in the kernel and outside it.
"""
from __future__ import annotations

import textwrap

from blind_answers.ch00_getting_started import BLIND
from conftest import ROOT
from notebook_session import wrong_answer_tests

NOTEBOOK = ROOT / "solutions" / "00_getting_started" / "00_getting_started.ipynb"
HEAD = "def standardize(x, dim=0, eps=1e-8):\n"


def _body(text: str) -> str:
    return HEAD + textwrap.indent(textwrap.dedent(text).strip("\n"), "    ")


WRONG = {
    "standardize": {
        "sample standard deviation (N - 1)": _body("""
            return (x - x.mean(dim=dim, keepdim=True)) / (x.std(dim=dim, keepdim=True) + eps)
        """),
        "always along dimension 0": _body("""
            mean = x.mean(dim=0, keepdim=True)
            return (x - mean) / (((x - mean) ** 2).mean(dim=0, keepdim=True).sqrt() + eps)
        """),
        "eps inside the square root": _body("""
            mean = x.mean(dim=dim, keepdim=True)
            return (x - mean) / (((x - mean) ** 2).mean(dim=dim, keepdim=True) + eps).sqrt()
        """),
        "modifies x in place": _body("""
            mean = x.mean(dim=dim, keepdim=True)
            std = ((x - mean) ** 2).mean(dim=dim, keepdim=True).sqrt()
            return x.sub_(mean).div_(std + eps)
        """),
        "calls StandardScaler": _body("""
            from sklearn.preprocessing import StandardScaler
            return torch.tensor(StandardScaler().fit_transform(x.movedim(dim, -1).reshape(-1, x.shape[dim]).numpy()))
        """),
    },
}

RIGHT = {
    "standardize": _body("""
        n = x.shape[dim]
        centred = x - x.sum(dim=dim, keepdim=True) / n
        return centred / (torch.sqrt((centred * centred).sum(dim=dim, keepdim=True) / n) + eps)
    """),
}

(session, test_reference_solution_passes_every_test_cell, test_wrong_answer_loses_points,
 test_another_right_answer_keeps_every_point, test_blind_answer_keeps_every_point) = wrong_answer_tests(
    NOTEBOOK, WRONG, RIGHT, BLIND)
