"""random_deletion(tokens, p, rng): the test cells, wrong answers and right answers."""
import random

from autograder.checks import Cell, Check
from traintech.checking import entry, equal, expect_raised, raises
from traintech.testing import assert_proportion, assert_true

EXERCISE = "random_deletion"
REFERENCE = "traintech.reference.augmentation.random_deletion"  # EDA (Wei & Zou, 2019): no PyTorch counterpart


def is_subsequence(out, tokens):
    """``out`` is a non-empty list of tokens taken from ``tokens``, in their order."""
    if not isinstance(out, list) or not out:
        return False
    remaining = iter(tokens)
    return all(any(equal(t, u) for u in remaining) for t in out)


def collect_deletion(random_deletion):
    """p = 0 keeps everything, p = 1 keeps exactly one token, survivors keep their order."""
    tokens = "the quick brown fox jumps over the lazy dog".split()
    out = random_deletion(tokens, 0.0, random.Random(0))
    return {"tokens": list(tokens),
            "random_deletion(tokens, 0.0)": out, "it is a new list": isinstance(out, list) and out is not tokens,
            "random_deletion(tokens, 1.0) for 20 seeds": [random_deletion(tokens, 1.0, random.Random(s)) for s in range(20)],
            "random_deletion(tokens, 0.5) for 50 seeds": [random_deletion(tokens, 0.5, random.Random(s)) for s in range(50)]}


def judge_deletion(got, ref, context):
    tokens = ref["tokens"]
    assert_true(equal(entry(got, "random_deletion(tokens, 0.0)"), tokens) and entry(got, "it is a new list") is True,
                "random_deletion(tokens, p=0) should return a new, equal list")
    ones = entry(got, "random_deletion(tokens, 1.0) for 20 seeds")
    assert_true(isinstance(ones, list) and len(ones) == 20, "random_deletion(tokens, 1.0) should return a list")
    for one in ones:
        assert_true(isinstance(one, list) and len(one) == 1 and any(equal(one[0], t) for t in tokens),
                    f"with p=1 exactly one of the original tokens should remain, got {one!r:.200}")
    halves = entry(got, "random_deletion(tokens, 0.5) for 50 seeds")
    assert_true(isinstance(halves, list) and len(halves) == 50, "random_deletion(tokens, 0.5) should return a list")
    for out in halves:
        assert_true(is_subsequence(out, tokens),
                    f"the result should be a non-empty subsequence of the tokens, in order; got {out!r:.200}")


def collect_deletion_more(random_deletion):
    words = [f"w{i}" for i in range(5000)]
    kept = random_deletion(words, 0.3, random.Random(7))
    tokens = "the quick brown fox jumps over the lazy dog".split()
    return {"words": [f"w{i}" for i in range(5000)], "words after random_deletion(words, 0.3)": words,
            "the number of words random_deletion(words, 0.3) kept": len(kept),
            "random_deletion([], 0.5)": random_deletion([], 0.5, random.Random(0)),
            "random_deletion(['solo'], 1.0)": random_deletion(["solo"], 1.0, random.Random(0)),
            "random_deletion(tokens, 1.0) for 40 seeds": [random_deletion(tokens, 1.0, random.Random(s)) for s in range(40)]}


def judge_deletion_more(got, ref, context):
    words = ref["words"]
    assert_true(equal(entry(got, "words after random_deletion(words, 0.3)"), words),
                "random_deletion must not modify its input list")
    kept = entry(got, "the number of words random_deletion(words, 0.3) kept")
    assert_true(isinstance(kept, int), "random_deletion(words, 0.3) should return a list")
    assert_proportion(len(words) - kept, len(words), 0.3, name="the fraction of deleted tokens (p=0.3)")
    assert_true(equal(entry(got, "random_deletion([], 0.5)"), []), "random_deletion([]) should be []")
    assert_true(equal(entry(got, "random_deletion(['solo'], 1.0)"), ["solo"]), "a single token always survives p=1")
    runs = entry(got, "random_deletion(tokens, 1.0) for 40 seeds")
    assert_true(isinstance(runs, list) and len({repr(run) for run in runs}) > 1,
                "with p=1 the token that survives should be chosen at random")


def collect_errors(random_deletion):
    """A bad probability is a ValueError, and the code is your own."""
    return {"random_deletion(['a', 'b'], 1.5, rng)": raises(random_deletion, ["a", "b"], 1.5, random.Random(0)),
            "random_deletion(['a', 'b'], -0.5, rng)": raises(random_deletion, ["a", "b"], -0.5, random.Random(0))}


def judge_errors(got, ref, context):
    for call in ref:
        expect_raised(entry(got, call), "ValueError", call)
    context.no_delegation("random_deletion", [])


def collect_errors_more(random_deletion):
    return {"random_deletion([], 2.0, rng)": raises(random_deletion, [], 2.0, random.Random(0))}


def judge_errors_more(got, ref, context):
    expect_raised(entry(got, "random_deletion([], 2.0, rng)"), "ValueError", "random_deletion([], 2.0, rng)",
                  hint="check p before returning early for an empty list.")


CELLS = [
    Cell("test_random_deletion", points=2, checks=[
        Check(collect_deletion, judge_deletion),
        Check(collect_deletion_more, judge_deletion_more, hidden=True),
    ]),
    Cell("test_random_deletion_errors", points=1, checks=[
        Check(collect_errors, judge_errors),
        Check(collect_errors_more, judge_errors_more, hidden=True),
    ]),
]

HEAD = "def random_deletion(tokens, p, rng):\n    if not 0 <= p <= 1: raise ValueError(p)\n"

WRONG = {
    "can return an empty list": HEAD + """\
    return [t for t in tokens if rng.random() >= p]
""",
    "deletes with probability 1 - p": HEAD + """\
    kept = [t for t in tokens if rng.random() < p]
    return kept or ([rng.choice(tokens)] if tokens else [])
""",
    "modifies the input list": HEAD + """\
    for t in list(tokens):
        if rng.random() < p and len(tokens) > 1:
            tokens.remove(t)
    return tokens
""",
    "always keeps the first token": HEAD + """\
    kept = [t for t in tokens if rng.random() >= p]
    return kept or tokens[:1]
""",
    "imports the traintech reference": "from traintech.reference.augmentation import random_deletion\n",
}

# Right answers written differently (the blind ones from the released notebook alone): every one
# must keep every point.
RIGHT = {
    "draws first, randrange fallback": '''\
def random_deletion(tokens, p, rng):
    if p < 0 or p > 1:
        raise ValueError(f"p must be in [0, 1], got {p}")
    drop = [rng.random() < p for _ in tokens]
    kept = [t for t, d in zip(tokens, drop) if not d]
    if tokens and not kept:
        kept = [tokens[rng.randrange(len(tokens))]]
    return kept
''',
    "blind: list comprehension + rng.choice": '''\
def random_deletion(tokens, p, rng):
    """Delete each token with probability p; never return an empty list for a non-empty input."""
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1], got {p}")
    tokens = list(tokens)
    if not tokens:
        return []
    kept = [t for t in tokens if rng.random() >= p]
    if not kept:
        kept = [rng.choice(tokens)]
    return kept
''',
    "blind: explicit loop + randrange fallback": '''\
def random_deletion(tokens, p, rng):
    """Delete each token with probability p; never return an empty list for a non-empty input."""
    if p < 0 or p > 1:
        raise ValueError("deletion probability must lie in [0, 1]")
    if len(tokens) == 0:
        return []
    survivors = []
    for token in tokens:
        delete = rng.random() < p
        if not delete:
            survivors.append(token)
    if len(survivors) == 0:
        survivors.append(tokens[rng.randrange(len(tokens))])
    return survivors
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: comprehension_choice (issue 16's release)"] = r'''\
def random_deletion(tokens, p, rng):
    """Delete each token with probability p; never return an empty list for a non-empty input.

    Args:
        tokens: a list of strings, possibly empty; it is not modified.
        p: deletion probability of each token, in [0, 1].
        rng: a random.Random to draw from (``rng.random()`` per token).

    Returns:
        A new list of the surviving tokens, in order; if every token was deleted, one token
        chosen at random with ``rng``; ``[]`` for ``[]``.

    Raises:
        ValueError: if ``p`` is not in [0, 1] (also when ``tokens`` is empty).
    """
    if p < 0 or p > 1 or math.isnan(p):
        raise ValueError(f"deletion probability should be in [0, 1], got {p}")
    survivors = [t for t in tokens if rng.random() >= p]  # kept with probability 1 - p
    if tokens and not survivors:
        return [rng.choice(tokens)]
    return survivors
'''
RIGHT["blind: explicit_loop (issue 16's release)"] = r'''\
def random_deletion(tokens, p, rng):
    """Delete each token with probability p; never return an empty list for a non-empty input.

    Args:
        tokens: a list of strings, possibly empty; it is not modified.
        p: deletion probability of each token, in [0, 1].
        rng: a random.Random to draw from (``rng.random()`` per token).

    Returns:
        A new list of the surviving tokens, in order; if every token was deleted, one token
        chosen at random with ``rng``; ``[]`` for ``[]``.

    Raises:
        ValueError: if ``p`` is not in [0, 1] (also when ``tokens`` is empty).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if len(tokens) == 0:
        return []
    kept = []
    for token in tokens:
        if rng.random() < p:  # deleted with probability p
            continue
        kept.append(token)
    if not kept:
        kept.append(tokens[rng.randrange(len(tokens))])
    return kept
'''
