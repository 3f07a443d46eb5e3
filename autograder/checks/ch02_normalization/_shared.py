"""What the checks of chapter 2 share: a gradient probe over several inputs at once, and the
way the wrong answers are written (one mistake each in a right answer)."""
import textwrap

import torch

from traintech.checking import gradient_probe


def gradient_probe_of(fn, *inputs, seed=0):
    """``gradient_probe`` of ``fn`` over all its inputs at once (x, weight, bias, ...), packed in one
    float64 vector, as ``check_gradients(fn, *inputs)`` checks them together."""
    sizes = [t.numel() for t in inputs]

    def packed(z):
        return fn(*(part.view(t.shape) for part, t in zip(torch.split(z, sizes), inputs)))

    return gradient_probe(packed, torch.cat([t.detach().reshape(-1).double() for t in inputs]), seed=seed)


def source(text: str) -> str:
    """An answer cell's source, written indented in a module."""
    return textwrap.dedent(text).strip("\n") + "\n"


def variants(template: str, mistakes: dict[str, tuple[str, str]]) -> dict[str, str]:
    """One wrong answer per mistake: ``template`` (a right answer, indented as written in the module)
    with one ``(old, new)`` replacement each (spelled with the template's indentation), then dedented."""
    out = {}
    for label, (old, new) in mistakes.items():
        assert template.count(old) == 1, f"{label}: {old!r} is not in the template exactly once"
        out[label] = source(template.replace(old, new))
    return out
