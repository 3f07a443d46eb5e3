"""standardize(x, dim=0, eps=1e-8): the test cells, wrong answers and right answers."""
import torch

from autograder.checks import Cell, Check
from traintech.checking import agree, entry, gradient_probe, gradients_consistent

EXERCISE = "standardize"
REFERENCE = "traintech.reference.preprocessing.standardize"  # tested against scikit-learn's StandardScaler
STANDARDIZE_FORBIDDEN = ["sklearn.preprocessing.StandardScaler", "sklearn.preprocessing.scale",
             "torch.nn.functional.layer_norm", "torch.nn.functional.batch_norm"]


def collect_values(standardize):
    """Values: standardize each column of a 50 × 4 batch, as scikit-learn's StandardScaler does."""
    x = torch.randn(50, 4, generator=torch.Generator().manual_seed(1)) * 3 + 5
    return {"standardize(x)": standardize(x)}


def judge_values(got, ref, context):
    agree(got, ref, "standardize(x)", atol=1e-5, hint="use the population standard deviation (divide by N, not N - 1).")


def collect_values_along_dim(standardize):
    g = torch.Generator().manual_seed(2)
    x = torch.randn(7, 30, generator=g) * 0.1 - 2
    x3 = torch.randn(6, 5, 4, generator=g, dtype=torch.float64)
    return {"standardize(x, dim=1)": standardize(x, dim=1), "standardize(x, dim=-1)": standardize(x, dim=-1),
            "standardize(3-D float64 x, dim=1)": standardize(x3, dim=1),
            "standardize(x, dim=1, eps=0.5)": standardize(x3, dim=1, eps=0.5)}


def judge_values_along_dim(got, ref, context):
    agree(got, ref, "standardize(x, dim=1)", "standardize(x, dim=-1)", atol=1e-5,
          hint="take the statistics along `dim`, not always along dimension 0.")
    agree(got, ref, "standardize(3-D float64 x, dim=1)")
    agree(got, ref, "standardize(x, dim=1, eps=0.5)", hint="add eps to the standard deviation.")


def collect_edge_cases(standardize):
    """Edge cases: a constant feature gives zeros (not NaN), the input is left unchanged, and the
    answer is built from tensor operations."""
    x = torch.tensor([[1.0, 2.0], [1.0, 4.0], [1.0, 6.0]])
    out = standardize(x)
    return {"a constant column after standardize": out[:, 0], "x after calling standardize(x)": x}


def judge_edge_cases(got, ref, context):
    agree(got, ref, "a constant column after standardize",
          hint="with std = 0, (x - mean) / (0 + eps) is 0: make sure eps is added.")
    agree(got, ref, "x after calling standardize(x)", hint="do not modify the input in place.")
    context.no_delegation("standardize", STANDARDIZE_FORBIDDEN)


def collect_gradient_and_dtype(standardize):
    g = torch.Generator().manual_seed(3)
    return {"gradient": gradient_probe(lambda t: standardize(t, dim=0), torch.randn(6, 3, generator=g), seed=13),
            "the dtype of standardize(float64 x)": standardize(torch.randn(5, 2, generator=g, dtype=torch.float64)).dtype}


def judge_gradient_and_dtype(got, ref, context):
    gradients_consistent(entry(got, "gradient"), ref["gradient"], "standardize")
    agree(got, ref, "the dtype of standardize(float64 x)", hint="keep the input's dtype.")


CELLS = [
    Cell("test_standardize_values", points=2, checks=[
        Check(collect_values, judge_values),
        Check(collect_values_along_dim, judge_values_along_dim, hidden=True),
    ]),
    Cell("test_standardize_edge_cases", points=2, checks=[
        Check(collect_edge_cases, judge_edge_cases),
        Check(collect_gradient_and_dtype, judge_gradient_and_dtype, hidden=True),
    ]),
]

HEAD = "def standardize(x, dim=0, eps=1e-8):\n"

WRONG = {
    "sample standard deviation (N - 1)": HEAD + """\
    return (x - x.mean(dim=dim, keepdim=True)) / (x.std(dim=dim, keepdim=True) + eps)
""",
    "always along dimension 0": HEAD + """\
    mean = x.mean(dim=0, keepdim=True)
    return (x - mean) / (((x - mean) ** 2).mean(dim=0, keepdim=True).sqrt() + eps)
""",
    "eps inside the square root": HEAD + """\
    mean = x.mean(dim=dim, keepdim=True)
    return (x - mean) / (((x - mean) ** 2).mean(dim=dim, keepdim=True) + eps).sqrt()
""",
    "modifies x in place": HEAD + """\
    mean = x.mean(dim=dim, keepdim=True)
    std = ((x - mean) ** 2).mean(dim=dim, keepdim=True).sqrt()
    return x.sub_(mean).div_(std + eps)
""",
    "calls StandardScaler": HEAD + """\
    from sklearn.preprocessing import StandardScaler
    return torch.tensor(StandardScaler().fit_transform(x.movedim(dim, -1).reshape(-1, x.shape[dim]).numpy()))
""",
    "detaches the result": HEAD + """\
    mean = x.mean(dim=dim, keepdim=True)
    return ((x - mean) / (x.std(dim=dim, keepdim=True, correction=0) + eps)).detach()
""",
}

# Right answers written differently: the blind ones were written from the released notebook alone
# (autograder/checks/README.md says how); every one must keep every point.
RIGHT = {
    "sums divided by n": HEAD + """\
    n = x.shape[dim]
    centred = x - x.sum(dim=dim, keepdim=True) / n
    return centred / (torch.sqrt((centred * centred).sum(dim=dim, keepdim=True) / n) + eps)
""",
    "blind: torch.var(correction=0) + mean": HEAD + '''\
    """Standardize ``x`` along ``dim`` with the population standard deviation (returns a new tensor)."""
    mu = x.mean(dim=dim, keepdim=True)
    sigma = torch.var(x, dim=dim, keepdim=True, correction=0).sqrt()
    return (x - mu) / (sigma + eps)
''',
    "blind: manual sum / n, sqrt": HEAD + '''\
    """Standardize ``x`` along ``dim``: (x - mean) / (std + eps), std with divisor N."""
    if not torch.is_floating_point(x):
        raise TypeError("standardize expects a floating-point tensor")
    n = x.shape[dim]
    mu = torch.sum(x, dim=dim, keepdim=True) / n
    centered = x - mu
    sigma = torch.sqrt(torch.sum(centered * centered, dim=dim, keepdim=True) / n)
    return centered / (sigma + eps)
''',
}
