"""orthogonal_(tensor, gain=1.0, generator=None): the test cells, wrong answers and right answers."""
import torch
from torch import nn

from autograder.checks import Cell, Check
from autograder.checks.ch03_initialization._shared import INIT_FORBIDDEN, filled
from traintech.checking import entry, expect_raised, raises
from traintech.testing import assert_close, assert_ks, assert_proportion, assert_true

EXERCISE = "orthogonal_"
REFERENCE = "torch.nn.init.orthogonal_"
ORTHOGONAL_FORBIDDEN = INIT_FORBIDDEN + ["torch.nn.utils.parametrizations.orthogonal"]


def collect_shapes(orthogonal_):
    """(Semi-)orthogonal for square, wide and tall matrices, times gain."""
    w = torch.empty(64, 64)
    out = orthogonal_(w, generator=torch.Generator().manual_seed(0))
    return {"returned the tensor it filled": out is w, "orthogonal_(torch.empty(64, 64))": w,
            "orthogonal_(torch.empty(3, 5))": orthogonal_(torch.empty(3, 5), generator=torch.Generator().manual_seed(1)),
            "orthogonal_(torch.empty(5, 3), gain=2.0)": orthogonal_(torch.empty(5, 3), gain=2.0,
                                                                   generator=torch.Generator().manual_seed(2))}


def judge_shapes(got, ref, context):
    assert_true(entry(got, "returned the tensor it filled") is True,
                "orthogonal_ should fill the tensor in place and return it")
    w = filled(got, ref, "orthogonal_(torch.empty(64, 64))")
    assert_close(w @ w.T, torch.eye(64), atol=1e-5, name="W W^T of orthogonal_((64, 64))")
    wide = filled(got, ref, "orthogonal_(torch.empty(3, 5))")
    assert_close(wide @ wide.T, torch.eye(3), atol=1e-5, name="W W^T of orthogonal_((3, 5)) (orthonormal rows)",
                 hint="for rows < cols, draw a (cols, rows) Gaussian matrix, take its Q, and transpose it.")
    tall = filled(got, ref, "orthogonal_(torch.empty(5, 3), gain=2.0)")
    assert_close(tall.T @ tall, 4 * torch.eye(3), atol=1e-5, name="W^T W of orthogonal_((5, 3), gain=2)")


def collect_more_shapes(orthogonal_):
    with torch.random.fork_rng():
        torch.manual_seed(6)
        p = nn.Linear(6, 6).weight
        orthogonal_(p)  # the global generator
    return {"orthogonal_(torch.empty(8, 4, 3, 3), gain=0.5)": orthogonal_(
                torch.empty(8, 4, 3, 3), gain=0.5, generator=torch.Generator().manual_seed(3)),
            "orthogonal_(torch.empty(40, 2, 3))": orthogonal_(torch.empty(40, 2, 3), generator=torch.Generator().manual_seed(4)),
            "orthogonal_(torch.empty(30, 30, dtype=torch.float64))": orthogonal_(
                torch.empty(30, 30, dtype=torch.float64), generator=torch.Generator().manual_seed(5)),
            "an nn.Parameter still requires grad": p.requires_grad}


def judge_more_shapes(got, ref, context):
    k = filled(got, ref, "orthogonal_(torch.empty(8, 4, 3, 3), gain=0.5)").reshape(8, -1)
    assert_close(k @ k.T, 0.25 * torch.eye(8), atol=1e-5, name="orthogonal_ on a (8, 4, 3, 3) kernel with gain 0.5",
                 hint="view the tensor as (size(0), numel // size(0)).")
    t = filled(got, ref, "orthogonal_(torch.empty(40, 2, 3))").reshape(40, 6)
    assert_close(t.T @ t, torch.eye(6), atol=1e-5, name="orthogonal_ on a (40, 2, 3) tensor (tall after flattening)")
    d = filled(got, ref, "orthogonal_(torch.empty(30, 30, dtype=torch.float64))")
    assert_close(d @ d.T, torch.eye(30, dtype=torch.float64), atol=1e-10, name="orthogonal_ in float64")
    assert_true(entry(got, "an nn.Parameter still requires grad") is True,
                "orthogonal_ should work on an nn.Parameter (fill it under torch.no_grad())")


def diagonals(orthogonal_, shape, n, generator):
    """The diagonals of ``n`` draws of ``orthogonal_(torch.empty(shape))``, one row per draw."""
    draws = torch.stack([orthogonal_(torch.empty(shape), generator=generator) for _ in range(n)])
    return draws.diagonal(dim1=1, dim2=2)


def collect_haar(orthogonal_):
    """Uniformly distributed (Haar): for 3x3, every entry is uniform on [-1, 1] and W[0, 0] has a random sign."""
    g = torch.Generator().manual_seed(0)
    return {"W[0, 0] of 1500 draws": diagonals(orthogonal_, (3, 3), 1500, g)[:, 0]}


def judge_haar(got, ref, context):
    first = filled(got, ref, "W[0, 0] of 1500 draws")
    assert_proportion((first > 0).sum(), 1500, 0.5, name="the fraction of draws with W[0, 0] > 0",
                      hint="without the sign correction Q = Q * sign(diag(R)), QR's own sign convention decides the "
                           "signs and the matrix is not uniformly distributed.")
    assert_ks(first, "uniform", args=(-1.0, 2.0), name="W[0, 0] of 1500 orthogonal 3x3 matrices")


def collect_haar_diagonals(orthogonal_):
    g = torch.Generator().manual_seed(0)
    return {"(3, 3)": diagonals(orthogonal_, (3, 3), 1500, g), "(3, 5)": diagonals(orthogonal_, (3, 5), 1000, g),
            "(5, 3)": diagonals(orthogonal_, (5, 3), 1000, g)}


def judge_haar_diagonals(got, ref, context):
    square = filled(got, ref, "(3, 3)")
    for i in range(3):
        assert_ks(square[:, i], "uniform", args=(-1.0, 2.0), name=f"W[{i}, {i}] of 1500 orthogonal 3x3 matrices")
        assert_proportion((square[:, i] > 0).sum(), 1500, 0.5, name=f"the fraction of draws with W[{i}, {i}] > 0")
    for shape in ["(3, 5)", "(5, 3)"]:
        many = filled(got, ref, shape)
        for i in range(3):
            assert_proportion((many[:, i] > 0).sum(), 1000, 0.5, name=f"the fraction of {shape} draws with W[{i}, {i}] > 0")


def collect_errors_and_purity(orthogonal_):
    """Fewer than 2 dimensions is a ValueError; the generator is used; no torch.nn.init inside."""
    return {"orthogonal_(torch.empty(5))": raises(orthogonal_, torch.empty(5)),
            "a": orthogonal_(torch.empty(6, 4), generator=torch.Generator().manual_seed(7)),
            "b": orthogonal_(torch.empty(6, 4), generator=torch.Generator().manual_seed(7))}


def judge_errors_and_purity(got, ref, context):
    expect_raised(entry(got, "orthogonal_(torch.empty(5))"), "ValueError", "orthogonal_(torch.empty(5))")
    assert_close(filled(got, ref, "a"), filled(got, ref, "b"), name="two orthogonal_ fills with the same seeded generator",
                 hint="draw the Gaussian matrix with torch.randn(..., generator=generator).")
    context.no_delegation("orthogonal_", ORTHOGONAL_FORBIDDEN)


CELLS = [
    Cell("test_orthogonal_shapes", points=2, checks=[
        Check(collect_shapes, judge_shapes),
        Check(collect_more_shapes, judge_more_shapes, hidden=True),
    ]),
    Cell("test_orthogonal_haar", points=2, checks=[
        Check(collect_haar, judge_haar),
        Check(collect_haar_diagonals, judge_haar_diagonals, hidden=True),
    ]),
    Cell("test_orthogonal_errors_and_purity", points=1, checks=[
        Check(collect_errors_and_purity, judge_errors_and_purity),
    ]),
]

PLAIN = '''\
def orthogonal_(tensor, gain=1.0, generator=None):
    if tensor.dim() < 2:
        raise ValueError(f"need 2 dims, got {tensor.dim()}")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    a = torch.randn(max(rows, cols), min(rows, cols), generator=generator, dtype=tensor.dtype)
    q, r = torch.linalg.qr(a)
    q = q * torch.sign(torch.diagonal(r))
    if rows < cols:
        q = q.T
    with torch.no_grad():
        tensor.copy_(gain * q.reshape(tensor.shape))
    return tensor
'''


def _variant(old: str, new: str) -> str:
    assert PLAIN.count(old) == 1, old
    return PLAIN.replace(old, new)


WRONG = {
    "no sign correction": _variant("    q = q * torch.sign(torch.diagonal(r))\n", ""),
    "sign correction from Q's diagonal": _variant("torch.sign(torch.diagonal(r))", "torch.sign(torch.diagonal(q))"),
    "QR of the wide matrix itself": _variant(
        "    a = torch.randn(max(rows, cols), min(rows, cols), generator=generator, dtype=tensor.dtype)\n"
        "    q, r = torch.linalg.qr(a)\n"
        "    q = q * torch.sign(torch.diagonal(r))\n"
        "    if rows < cols:\n"
        "        q = q.T\n",
        "    a = torch.randn(rows, cols, generator=generator, dtype=tensor.dtype)\n"
        "    q, r = torch.linalg.qr(a)\n"
        "    q = q * torch.sign(torch.diagonal(r))\n"),
    "Gaussian matrix, not orthogonal": _variant("    q, r = torch.linalg.qr(a)\n    q = q * torch.sign(torch.diagonal(r))\n",
                                                "    q = a / math.sqrt(max(rows, cols))\n"),
    "gain ignored": _variant("tensor.copy_(gain * q.reshape", "tensor.copy_(q.reshape"),
    "generator ignored": _variant(
        "a = torch.randn(max(rows, cols), min(rows, cols), generator=generator, dtype=tensor.dtype)",
        "a = torch.randn(max(rows, cols), min(rows, cols), dtype=tensor.dtype)"),
    "calls torch.nn.init.orthogonal_": _variant("    rows = tensor.shape[0]\n",
                                                "    return nn.init.orthogonal_(tensor, gain=gain, generator=generator)\n"
                                                "    rows = tensor.shape[0]\n"),
    "imports the traintech reference": "from traintech.reference.initialization import orthogonal_\n",
}

RIGHT = {
    # The polar factor U V^T of a Gaussian matrix is Haar distributed: no sign correction needed.
    "the polar factor of an SVD": '''\
def orthogonal_(tensor, gain=1.0, generator=None):
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_ needs at least 2 dimensions, got {tensor.ndim}")
    rows = tensor.shape[0]
    a = torch.randn(rows, tensor.numel() // rows, generator=generator, dtype=tensor.dtype)
    u, _, vh = torch.linalg.svd(a, full_matrices=False)
    with torch.no_grad():
        tensor.copy_((gain * (u @ vh)).reshape(tensor.shape))
    return tensor
''',
    "blind: randn(max,min), qr, multiply by sign(diag R)": r'''def orthogonal_(tensor, gain=1.0, generator=None):
    """Fill tensor in place with gain times a uniformly random (semi-)orthogonal matrix (Saxe et al., 2014).

    Args:
        tensor: the weight to fill, at least 2-D; viewed as (size(0), numel // size(0)).
        gain: scaling factor. Default: 1.0
        generator: a torch.Generator to draw from. Default: None

    Returns:
        tensor itself.
    """
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    A = torch.randn(max(rows, cols), min(rows, cols), generator=generator, dtype=tensor.dtype)
    Q, R = torch.linalg.qr(A)  # reduced: Q is (max, min) with orthonormal columns
    Q = Q * torch.sign(torch.diagonal(R)).unsqueeze(0)  # Mezzadri's sign correction
    if rows < cols:
        Q = Q.T
    with torch.no_grad():
        tensor.copy_(Q.reshape(tensor.shape))
        tensor.mul_(gain)
    return tensor
''',
    "blind: randn(rows,cols) transposed, where-based sign fix": r'''def orthogonal_(tensor, gain=1.0, generator=None):
    """Fill tensor in place with gain times a uniformly random (semi-)orthogonal matrix (Saxe et al., 2014).

    Args:
        tensor: the weight to fill, at least 2-D; viewed as (size(0), numel // size(0)).
        gain: scaling factor. Default: 1.0
        generator: a torch.Generator to draw from. Default: None

    Returns:
        tensor itself.
    """
    ndim = len(tensor.shape)
    if ndim < 2:
        raise ValueError(f"orthogonal_ needs at least 2 dimensions, got {ndim}")
    n = tensor.numel()
    if n == 0:
        return tensor
    r = tensor.shape[0]
    c = n // r
    wide = r < c
    gauss = torch.randn(r, c, generator=generator, dtype=tensor.dtype, device=tensor.device)
    if wide:
        gauss = gauss.t()  # factor the tall (c, r) matrix
    q, upper = torch.linalg.qr(gauss, mode="reduced")
    diag = upper.diagonal()
    flips = torch.where(diag < 0, -torch.ones_like(diag), torch.ones_like(diag))
    q = q @ torch.diag(flips)  # make R's diagonal positive: Q, R unique -> Haar
    if wide:
        q = q.t()
    with torch.no_grad():
        tensor.copy_((q * gain).reshape(tensor.shape))
    return tensor
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: qr_sign_broadcast (issue 16's release)"] = r'''\
def orthogonal_(tensor, gain=1.0, generator=None):
    """Fill tensor in place with gain times a uniformly random (semi-)orthogonal matrix (Saxe et al., 2014).

    Args:
        tensor: the weight to fill, at least 2-D; viewed as (size(0), numel // size(0)), with
            orthonormal rows if size(0) <= numel // size(0), else orthonormal columns. A plain
            tensor or an ``nn.Parameter`` (it keeps ``requires_grad``), of any floating dtype (kept).
        gain: scaling factor. Default: 1.0
        generator: a torch.Generator to draw from (the same seed gives the same values). Default: None

    Returns:
        tensor itself.

    Raises:
        ValueError: if ``tensor`` has fewer than 2 dimensions.
    """
    if tensor.ndimension() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:  # nothing to fill
        return tensor
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    # a tall Gaussian matrix: QR of it gives orthonormal columns
    a = torch.randn(max(rows, cols), min(rows, cols), generator=generator, dtype=tensor.dtype, device=tensor.device)
    if a.dtype not in (torch.float32, torch.float64):  # e.g. float16: torch.linalg.qr needs float32/64
        a = a.to(torch.float32)
    q, r = torch.linalg.qr(a)
    # sign correction (Mezzadri, 2007): make R's diagonal positive -> Haar-distributed Q
    signs = torch.where(torch.diagonal(r) < 0, -1.0, 1.0).to(q.dtype)
    q = q * signs  # multiplies column j by sign(R_jj)
    if rows < cols:
        q = q.T  # orthonormal rows
    with torch.no_grad():
        tensor.copy_(q.reshape(tensor.shape)).mul_(gain)
    return tensor
'''
RIGHT["blind: qr_loop_columns (issue 16's release)"] = r'''\
def orthogonal_(tensor, gain=1.0, generator=None):
    """Fill tensor in place with gain times a uniformly random (semi-)orthogonal matrix (Saxe et al., 2014).

    Args:
        tensor: the weight to fill, at least 2-D; viewed as (size(0), numel // size(0)), with
            orthonormal rows if size(0) <= numel // size(0), else orthonormal columns. A plain
            tensor or an ``nn.Parameter`` (it keeps ``requires_grad``), of any floating dtype (kept).
        gain: scaling factor. Default: 1.0
        generator: a torch.Generator to draw from (the same seed gives the same values). Default: None

    Returns:
        tensor itself.

    Raises:
        ValueError: if ``tensor`` has fewer than 2 dimensions.
    """
    shape = list(tensor.shape)
    if len(shape) < 2:
        raise ValueError(f"orthogonal_ needs at least 2 dimensions, got shape {tuple(shape)}")
    rows = shape[0]
    if rows == 0 or tensor.numel() == 0:
        return tensor
    cols = tensor.numel() // rows
    wide = rows < cols
    flat = torch.randn(rows, cols, generator=generator, dtype=tensor.dtype, device=tensor.device)
    if wide:
        flat = flat.t()  # factor the tall (cols, rows) matrix instead
    compute_dtype = flat.dtype if flat.dtype in (torch.float32, torch.float64) else torch.float32
    q, r = torch.linalg.qr(flat.to(compute_dtype), mode="reduced")
    q = q.clone()
    for j in range(q.shape[1]):  # Q <- Q diag(sign(R_jj)), one column at a time
        if r[j, j] < 0:
            q[:, j] = -q[:, j]
    if wide:
        q = q.t()
    with torch.no_grad():
        tensor.copy_((gain * q).reshape(shape))
    return tensor
'''
