"""traintech.reference.initialization against torch.nn.init: fans and gains exactly, samplers statistically.

Random initializers are judged by their defining properties (bounds, std, a
Kolmogorov-Smirnov test, orthogonality, Haar symmetry) with fixed seeds, never by the
exact numbers drawn. Each statistical check is also shown to reject a wrong sample.
"""

import math
import warnings

import pytest
import torch
from scipy import stats
from torch import nn

from traintech.reference import initialization as init

RANDOM_INITS = {
    "xavier_uniform_": init.xavier_uniform_,
    "xavier_normal_": init.xavier_normal_,
    "kaiming_uniform_": init.kaiming_uniform_,
    "kaiming_normal_": init.kaiming_normal_,
    "orthogonal_": init.orthogonal_,
}


def seeded(seed):
    return torch.Generator().manual_seed(seed)


# --- statistical checks ---------------------------------------------------------------


def assert_uniform(w, bound, name):
    """w looks like i.i.d. draws from U(-bound, bound)."""
    values = w.detach().flatten().double()
    assert values.abs().max() <= bound * (1 + 1e-6), (
        f"{name}: a value {values.abs().max():.4g} lies outside the bound {bound:.4g}"
    )
    assert values.abs().max() >= 0.99 * bound, (
        f"{name}: the largest value {values.abs().max():.4g} is far inside the bound "
        f"{bound:.4g}: is the bound too small?"
    )
    expected_std = bound / math.sqrt(3)
    assert values.std() == pytest.approx(expected_std, rel=0.02), (
        f"{name}: std {values.std():.4g}, expected bound / sqrt(3) = {expected_std:.4g}"
    )
    p = stats.kstest(values.numpy(), stats.uniform(loc=-bound, scale=2 * bound).cdf).pvalue
    assert p > 1e-3, f"{name}: a KS test rejects U(-{bound:.4g}, {bound:.4g}) (p = {p:.2g})"


def assert_normal(w, std, name):
    """w looks like i.i.d. draws from N(0, std^2)."""
    values = w.detach().flatten().double()
    assert abs(values.mean()) < 5 * std / math.sqrt(values.numel()), (
        f"{name}: mean {values.mean():.3g} is not 0"
    )
    assert values.std() == pytest.approx(std, rel=0.02), (
        f"{name}: std {values.std():.4g}, expected {std:.4g}"
    )
    p = stats.kstest(values.numpy(), stats.norm(loc=0.0, scale=std).cdf).pvalue
    assert p > 1e-3, f"{name}: a KS test rejects N(0, {std:.4g}^2) (p = {p:.2g})"


def test_the_statistical_checks_reject_wrong_samples():
    g = seeded(0)
    bound = 0.1
    assert_uniform(torch.empty(20_000).uniform_(-bound, bound, generator=g), bound, "right")
    with pytest.raises(AssertionError, match="far inside the bound"):
        assert_uniform(torch.empty(20_000).uniform_(-0.9 * bound, 0.9 * bound, generator=g), bound, "narrow")
    with pytest.raises(AssertionError, match="KS test"):  # right bound and std, wrong shape
        assert_uniform(bound * torch.tensor([1.0, -1.0, 0.0, 0.0, 0.0, 0.0]).repeat(3_000), bound, "discrete")
    assert_normal(torch.empty(20_000).normal_(0, 0.1, generator=g), 0.1, "right")
    with pytest.raises(AssertionError, match="std"):
        assert_normal(torch.empty(20_000).normal_(0, 0.105, generator=g), 0.1, "wide")
    with pytest.raises(AssertionError, match="KS test"):  # right std, wrong shape
        assert_normal(torch.empty(20_000).uniform_(-math.sqrt(3) * 0.1, math.sqrt(3) * 0.1, generator=g), 0.1, "uniform")


# --- fans and gains -------------------------------------------------------------------

SHAPES = [(5, 3), (3, 5), (1, 1), (16, 3, 5), (16, 3, 5, 5), (8, 4, 3, 3, 3), (3, 16, 5, 5), (4, 2, 1, 1)]


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_match_torch(shape):
    w = torch.empty(shape)
    assert init.calculate_fan_in_and_fan_out(w) == nn.init._calculate_fan_in_and_fan_out(w)


def test_fans_include_the_receptive_field():
    assert init.calculate_fan_in_and_fan_out(torch.empty(20, 10)) == (10, 20)
    assert init.calculate_fan_in_and_fan_out(torch.empty(16, 3, 5, 5)) == (3 * 25, 16 * 25)


@pytest.mark.parametrize("shape", [(), (5,)])
def test_fans_need_two_dimensions(shape):
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions.*" + repr(shape).replace("(", r"\(").replace(")", r"\)")):
        init.calculate_fan_in_and_fan_out(torch.empty(shape))


NONLINEARITIES = [
    ("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
    ("conv_transpose1d", None), ("conv_transpose2d", None), ("conv_transpose3d", None),
    ("sigmoid", None), ("tanh", None), ("relu", None), ("selu", None),
    ("relu", 0.3),  # param is ignored except by leaky_relu
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 0), ("leaky_relu", 1), ("leaky_relu", -0.5),
]


@pytest.mark.parametrize("nonlinearity, param", NONLINEARITIES)
def test_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(nn.init.calculate_gain(nonlinearity, param))


@pytest.mark.parametrize("nonlinearity, param, message", [
    ("gelu", None, "gelu"),
    ("ReLU", None, "ReLU"),  # names are those of torch.nn.functional
    ("leaky_relu", True, "True"),
    ("leaky_relu", "0.2", "0.2"),
])
def test_gain_rejects_bad_arguments(nonlinearity, param, message):
    with pytest.raises(ValueError, match=message):
        init.calculate_gain(nonlinearity, param)


# --- Xavier and Kaiming ---------------------------------------------------------------

GAINS = [1.0, 5.0 / 3]
SAMPLE_SHAPES = [(256, 512), (64, 32, 3, 3)]


@pytest.mark.parametrize("shape", SAMPLE_SHAPES)
@pytest.mark.parametrize("gain", GAINS)
def test_xavier_uniform(shape, gain):
    w = init.xavier_uniform_(torch.empty(shape), gain=gain, generator=seeded(1))
    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(w)
    assert_uniform(w, gain * math.sqrt(6 / (fan_in + fan_out)), "xavier_uniform_")


@pytest.mark.parametrize("shape", SAMPLE_SHAPES)
@pytest.mark.parametrize("gain", GAINS)
def test_xavier_normal(shape, gain):
    w = init.xavier_normal_(torch.empty(shape), gain=gain, generator=seeded(2))
    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(w)
    assert_normal(w, gain * math.sqrt(2 / (fan_in + fan_out)), "xavier_normal_")


# A non-square weight, so that fan_in (512) and fan_out (128) differ.
KAIMING_CASES = [
    dict(),  # a=0, fan_in, leaky_relu: ReLU's sqrt(2)
    dict(mode="fan_out"),
    dict(nonlinearity="relu", mode="fan_out"),
    dict(a=0.2),  # leaky slope
    dict(a=0.2, mode="fan_out"),
    dict(a=3, nonlinearity="leaky_relu"),
    dict(nonlinearity="tanh"),
    dict(nonlinearity="linear", mode="fan_out"),
]


def kaiming_std(w, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(w)
    return nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan_in if mode == "fan_in" else fan_out)


@pytest.mark.parametrize("kwargs", KAIMING_CASES, ids=str)
def test_kaiming_uniform(kwargs):
    w = init.kaiming_uniform_(torch.empty(128, 512), generator=seeded(3), **kwargs)
    assert_uniform(w, math.sqrt(3) * kaiming_std(w, **kwargs), f"kaiming_uniform_({kwargs})")


@pytest.mark.parametrize("kwargs", KAIMING_CASES, ids=str)
def test_kaiming_normal(kwargs):
    w = init.kaiming_normal_(torch.empty(128, 512), generator=seeded(4), **kwargs)
    assert_normal(w, kaiming_std(w, **kwargs), f"kaiming_normal_({kwargs})")


def test_kaiming_conv_kernel_uses_the_receptive_field():
    w = init.kaiming_normal_(torch.empty(64, 32, 3, 3), mode="fan_out", nonlinearity="relu", generator=seeded(5))
    assert_normal(w, math.sqrt(2) / math.sqrt(64 * 9), "kaiming_normal_ conv fan_out")


def test_kaiming_modes_differ():
    w_in = init.kaiming_normal_(torch.empty(128, 512), mode="fan_in", generator=seeded(6))
    w_out = init.kaiming_normal_(torch.empty(128, 512), mode="fan_out", generator=seeded(6))
    assert w_out.std() / w_in.std() == pytest.approx(2.0, rel=0.02)  # sqrt(512 / 128)


PAIRS = [
    ("xavier_uniform_", dict(gain=1.3)),
    ("xavier_normal_", dict(gain=0.7)),
    ("kaiming_uniform_", dict(a=0.1, mode="fan_out")),
    ("kaiming_normal_", dict(nonlinearity="relu")),
]


@pytest.mark.parametrize("name, kwargs", PAIRS, ids=[p[0] for p in PAIRS])
def test_same_distribution_as_torch(name, kwargs):
    ours = RANDOM_INITS[name](torch.empty(64, 32, 3, 3), generator=seeded(7), **kwargs)
    theirs = getattr(nn.init, name)(torch.empty(64, 32, 3, 3), generator=seeded(8), **kwargs)
    p = stats.ks_2samp(ours.flatten().numpy(), theirs.flatten().numpy()).pvalue
    assert p > 1e-3, f"{name}({kwargs}) and torch.nn.init.{name} differ (two-sample KS p = {p:.2g})"


# --- orthogonal -----------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (7, 3), (1, 10), (10, 1), (16, 8, 3, 3), (128, 3, 3, 3), (4, 2, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_is_orthogonal(shape, gain):
    w = init.orthogonal_(torch.empty(shape), gain=gain, generator=seeded(9))
    assert w.shape == shape
    m = w.reshape(shape[0], -1).double()  # (rows, cols)
    rows, cols = m.shape
    if rows <= cols:
        torch.testing.assert_close(m @ m.T, gain**2 * torch.eye(rows, dtype=m.dtype), atol=1e-5 * gain**2, rtol=0)
    if rows >= cols:
        torch.testing.assert_close(m.T @ m, gain**2 * torch.eye(cols, dtype=m.dtype), atol=1e-5 * gain**2, rtol=0)


def orthogonal_without_sign_correction(tensor, gain=1.0, generator=None):
    """A plausible wrong answer: plain QR, not Haar distributed."""
    rows, cols = tensor.size(0), tensor.numel() // tensor.size(0)
    q, _ = torch.linalg.qr(torch.randn(max(rows, cols), min(rows, cols), generator=generator))
    q = q.T if rows < cols else q
    with torch.no_grad():
        return tensor.copy_(gain * q.reshape(tensor.shape))


def assert_haar_3x3(orthogonal, draws=1000):
    """Each entry of a Haar-distributed 3x3 orthogonal matrix is uniform on [-1, 1]."""
    g = seeded(10)
    q = torch.stack([orthogonal(torch.empty(3, 3), generator=g) for _ in range(draws)])
    for i in range(3):
        for j in range(3):
            p = stats.kstest(q[:, i, j].double().numpy(), stats.uniform(loc=-1, scale=2).cdf).pvalue
            assert p > 1e-3, f"entry ({i}, {j}) is not uniform on [-1, 1] (KS p = {p:.2g}): not Haar"


def assert_sign_symmetric_diagonal(orthogonal, shape, draws=1000):
    """Haar measure is invariant under flipping the sign of a row or column."""
    g = seeded(11)
    q = torch.stack([orthogonal(torch.empty(shape), generator=g) for _ in range(draws)])
    for k in range(min(shape)):
        positive = (q[:, k, k] > 0).double().mean().item()
        assert 0.4 < positive < 0.6, (
            f"entry ({k}, {k}) of a {shape} draw is positive in {positive:.0%} of draws, "
            "expected about half: did you correct Q with the signs of diag(R)?"
        )


def test_orthogonal_is_haar_distributed():
    assert_haar_3x3(init.orthogonal_)
    with pytest.raises(AssertionError, match="not Haar"):
        assert_haar_3x3(orthogonal_without_sign_correction)


@pytest.mark.parametrize("shape", [(3, 3), (5, 3), (3, 5)])
def test_orthogonal_diagonal_is_sign_symmetric(shape):
    assert_sign_symmetric_diagonal(init.orthogonal_, shape)
    with pytest.raises(AssertionError, match="signs of diag"):
        assert_sign_symmetric_diagonal(orthogonal_without_sign_correction, shape)


def test_orthogonal_needs_two_dimensions():
    with pytest.raises(ValueError, match=r"\(5,\)"):
        init.orthogonal_(torch.empty(5))


# --- common behaviour of every initializer --------------------------------------------


@pytest.mark.parametrize("name", RANDOM_INITS)
def test_in_place_on_a_parameter(name):
    layer = nn.Linear(6, 4)
    before = layer.weight.detach().clone()
    out = RANDOM_INITS[name](layer.weight, generator=seeded(12))  # needs torch.no_grad() inside
    assert out is layer.weight
    assert out.grad_fn is None and out.requires_grad
    assert not torch.equal(layer.weight.detach(), before)


@pytest.mark.parametrize("name", RANDOM_INITS)
def test_fills_a_non_contiguous_tensor(name):
    base = torch.zeros(8, 6)
    w = base.T  # (6, 8), a non-contiguous view
    out = RANDOM_INITS[name](w, generator=seeded(13))
    assert out is w
    assert (base != 0).all(), f"{name} did not fill the view's storage"


@pytest.mark.parametrize("name", RANDOM_INITS)
def test_generator_determinism(name):
    fill = RANDOM_INITS[name]
    torch.manual_seed(0)
    first = fill(torch.empty(6, 4), generator=seeded(14))
    torch.manual_seed(1)  # the global generator must not matter
    second = fill(torch.empty(6, 4), generator=seeded(14))
    other = fill(torch.empty(6, 4), generator=seeded(15))
    assert torch.equal(first, second)
    assert not torch.equal(first, other)


@pytest.mark.parametrize("name", RANDOM_INITS)
def test_global_generator_by_default(name):
    torch.manual_seed(16)
    first = RANDOM_INITS[name](torch.empty(6, 4))
    torch.manual_seed(16)
    assert torch.equal(first, RANDOM_INITS[name](torch.empty(6, 4)))


@pytest.mark.parametrize("name", RANDOM_INITS)
@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (0, 3, 3, 3)])
def test_empty_tensor_is_a_silent_no_op(name, shape):
    w = torch.empty(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert RANDOM_INITS[name](w) is w


@pytest.mark.parametrize("name", RANDOM_INITS)
def test_one_dimensional_tensor_is_rejected(name):
    with pytest.raises(ValueError):
        RANDOM_INITS[name](torch.empty(5))


@pytest.mark.parametrize("fill", [init.kaiming_uniform_, init.kaiming_normal_])
def test_kaiming_rejects_bad_arguments(fill):
    with pytest.raises(ValueError, match="fan_avg"):
        fill(torch.empty(4, 4), mode="fan_avg")
    with pytest.raises(ValueError, match="gelu"):
        fill(torch.empty(4, 4), nonlinearity="gelu")
    with pytest.raises(ValueError, match="True"):
        fill(torch.empty(4, 4), a=True)


def test_implemented_from_primitives(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("traintech.reference.initialization called torch.nn.init")

    for name in [*RANDOM_INITS, "calculate_gain", "_calculate_fan_in_and_fan_out", "uniform_", "normal_",
                 "trunc_normal_", "_calculate_correct_fan", "_no_grad_uniform_", "_no_grad_normal_"]:
        monkeypatch.setattr(nn.init, name, forbidden)
    w = torch.empty(8, 4, 3, 3)
    init.calculate_fan_in_and_fan_out(w)
    init.calculate_gain("leaky_relu", 0.1)
    for fill in RANDOM_INITS.values():
        fill(w)
