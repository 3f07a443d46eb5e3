"""traintech.reference.preprocessing against scikit-learn's StandardScaler."""
import pytest
import torch
from sklearn.preprocessing import StandardScaler

from traintech.reference.preprocessing import standardize
from traintech.testing import assert_close, check_gradients


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_standardize_matches_scikit_learns_standard_scaler(dim):
    x = torch.randn(40, 30, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3 + 5
    columns = x if dim == 0 else x.T
    expected = torch.from_numpy(StandardScaler().fit_transform(columns.numpy()))
    assert_close(standardize(x, dim=dim), expected if dim == 0 else expected.T)


def test_standardize_edge_cases():
    x = torch.tensor([[1.0, 2.0], [1.0, 4.0]])
    out = standardize(x)
    assert_close(out[:, 0], torch.zeros(2))  # a constant column: zeros, not NaN
    assert_close(x, torch.tensor([[1.0, 2.0], [1.0, 4.0]]))  # the input is not modified
    assert_close(standardize(x, eps=1.0)[:, 1], torch.tensor([-0.5, 0.5]))
    check_gradients(standardize, torch.randn(5, 3, generator=torch.Generator().manual_seed(1)))
