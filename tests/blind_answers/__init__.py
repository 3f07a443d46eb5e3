"""Blind answers: correct implementations of every exercise written from the released notebook
alone, to prove that correct work written another way keeps every point (issue 13).

Each ``chNN_*.py`` holds ``BLIND = {grade_id: {style: the whole answer cell}}``, two styles per
exercise, and is graded by ``tests/notebook_session.wrong_answer_tests`` (visible and hidden tests,
in the kernel and outside it). They were written by helpers who were given only a copy of the
released notebook (``chapters/``), told not to read ``solutions/``, ``traintech/``'s source,
``tests/`` or ``autograder/``, and given this brief:

    For EVERY exercise cell, write TWO correct implementations, written only from what the
    notebook states, each in a style that a reasonable student might choose and that differs
    from the most obvious one (PyTorch-style argument checks such as ``p < 0 or p > 1``,
    explicit loops instead of vectorization, ``torch.bernoulli`` instead of ``rand``,
    ``torch.var(correction=0)`` instead of a manual formula, lists or tuples for shapes, a dict
    lookup instead of if/elif, ...). Each must be complete and correct per the docstring and the
    text, including every error they say must be raised, keep the exact name and signature, use
    the given generator, not call the library function it re-implements, and not import
    traintech. Check both against the visible tests; if a visible test demands something the
    notebook never states, keep the version that is correct by the text and report it.

When one loses points, the fix goes into the notebook's text or its tests, never into the answer.
"""
