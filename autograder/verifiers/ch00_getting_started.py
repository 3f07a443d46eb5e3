"""Chapter 0: the test cells of ``standardize``, checked outside the notebook."""
from autograder.verify import Context, Verifier, gradients_consistent, same


def _edge_cases(got, ref, context: Context) -> None:
    context.no_delegation("standardize", ["sklearn.preprocessing", "torch.nn.functional.layer_norm",
                                          "torch.nn.functional.batch_norm"])
    gradients_consistent(got.pop("gradient", None) if isinstance(got, dict) else None, ref["gradient"], "standardize")
    same(got, {k: v for k, v in ref.items() if k != "gradient"}, atol=1e-5)


VERIFIERS = {
    "test_standardize_values": Verifier('''
g = torch.Generator().manual_seed(11)
x = torch.randn(50, 4, generator=g) * 3 + 5
x1 = torch.randn(7, 30, generator=g) * 0.1 - 2
x3 = torch.randn(6, 5, 4, generator=g, dtype=torch.float64)
result = {"dim 0": standardize(x), "dim 1": standardize(x1, dim=1), "dim -1": standardize(x1, dim=-1),
          "float64, dim 1": standardize(x3, dim=1), "eps 0.5": standardize(x3, dim=1, eps=0.5)}
''', atol=1e-5),
    "test_standardize_edge_cases": Verifier('''
x = torch.tensor([[1.0, 2.0], [1.0, 4.0], [1.0, 6.0]])
out = standardize(x)
g = torch.Generator().manual_seed(12)
t = torch.randn(6, 3, generator=g, dtype=torch.float64)
x64 = torch.randn(5, 2, generator=g, dtype=torch.float64)
result = {"constant column": out[:, 0], "x after the call": x, "float64": standardize(x64).dtype,
          "gradient": gradient_probe(lambda t: standardize(t, dim=0), t, seed=13)}
''', judge=_edge_cases),
}
