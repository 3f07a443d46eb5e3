"""traintech.reference.normalization against PyTorch's own normalization functions and modules."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from traintech.reference.normalization import (BatchNorm, WeightNormLinear, batch_norm,
                                     batch_norm_backward, group_norm, instance_norm,
                                     layer_norm)

DTYPES = [torch.float32, torch.float64]
TOL = {torch.float32: dict(rtol=1e-4, atol=1e-5), torch.float64: dict(rtol=1e-10, atol=1e-10)}
BN_SHAPES = [(8, 3), (4, 3, 5), (2, 3, 4, 5), (5, 1, 2, 3), (2, 4)]


def rand(*shape, dtype=torch.float64, seed=0, scale=1.0, shift=0.0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=dtype) * scale + shift


def close(actual, expected, what, hint=""):
    """assert_close with a message saying *what* differs (and maybe why)."""
    assert actual.shape == expected.shape, f"{what}: shape {tuple(actual.shape)} != {tuple(expected.shape)}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    torch.testing.assert_close(actual, expected, **TOL[expected.dtype],
                               msg=lambda m: f"{what} differs. {hint}\n{m}")


def affine(C, affine_, dtype, seed=1):
    if not affine_:
        return None, None
    return rand(C, dtype=dtype, seed=seed) + 1.0, rand(C, dtype=dtype, seed=seed + 1)


# ----------------------------------------------------------------------------- batch_norm

@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("eps,momentum,affine_", [(1e-5, 0.1, True), (1e-3, 0.5, False), (0.1, 1.0, True)])
def test_batch_norm_matches_torch(shape, dtype, affine_, training, eps, momentum):
    C = shape[1]
    x = rand(*shape, dtype=dtype, scale=3.0, shift=2.0)
    w, b = affine(C, affine_, dtype)
    rm, rv = rand(C, dtype=dtype, seed=5), rand(C, dtype=dtype, seed=6).abs() + 0.5
    rm_t, rv_t = rm.clone(), rv.clone()
    y = batch_norm(x, rm, rv, w, b, training=training, momentum=momentum, eps=eps)
    y_t = F.batch_norm(x, rm_t, rv_t, w, b, training=training, momentum=momentum, eps=eps)
    close(y, y_t, "output")
    close(rm, rm_t, "running_mean")
    close(rv, rv_t, "running_var", "Did you use the unbiased batch variance?")


@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 5), (2, 3, 2, 3)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum", [0.1, 0.3])
def test_batch_norm_running_stats_after_several_steps(shape, dtype, momentum):
    C = shape[1]
    rm, rv = torch.zeros(C, dtype=dtype), torch.ones(C, dtype=dtype)
    rm_t, rv_t = rm.clone(), rv.clone()
    for step in range(5):
        x = rand(*shape, dtype=dtype, seed=step, scale=2.0 + step, shift=step)
        batch_norm(x, rm, rv, training=True, momentum=momentum)
        F.batch_norm(x, rm_t, rv_t, training=True, momentum=momentum)
        close(rm, rm_t, f"running_mean after step {step + 1}")
        close(rv, rv_t, f"running_var after step {step + 1}",
              "Did you use the unbiased variance (divide by n - 1) for running_var?")


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2), (2, 3, 1, 2)])
def test_batch_norm_running_var_is_unbiased(shape):
    # momentum=1 replaces the running statistics by the batch's: no reference needed.
    x = rand(*shape, scale=2.0)
    C = shape[1]
    rm, rv = torch.zeros(C, dtype=x.dtype), torch.ones(C, dtype=x.dtype)
    y = batch_norm(x, rm, rv, training=True, momentum=1.0, eps=0.0)
    per_channel = x.transpose(0, 1).reshape(C, -1)  # (C, n)
    close(rm, per_channel.mean(dim=1), "running_mean")
    close(rv, per_channel.var(dim=1, correction=1), "running_var", "It must be the unbiased variance.")
    # ... while the output is normalized with the biased one: variance exactly 1.
    y_c = y.transpose(0, 1).reshape(C, -1)
    close(y_c.var(dim=1, correction=0), torch.ones(C, dtype=x.dtype), "biased variance of the output")


def test_batch_norm_eval_uses_running_stats_and_leaves_them_alone():
    x = rand(6, 3, 4, scale=5.0)
    rm, rv = torch.tensor([1.0, -2.0, 0.5], dtype=x.dtype), torch.tensor([4.0, 0.25, 9.0], dtype=x.dtype)
    w, b = affine(3, True, x.dtype)
    y = batch_norm(x, rm, rv, w, b, training=False, eps=0.0)
    expected = (x - rm.view(1, 3, 1)) / rv.sqrt().view(1, 3, 1) * w.view(1, 3, 1) + b.view(1, 3, 1)
    close(y, expected, "eval output", "Eval mode must use the running statistics.")
    close(rm, torch.tensor([1.0, -2.0, 0.5], dtype=x.dtype), "running_mean (changed in eval)")
    close(rv, torch.tensor([4.0, 0.25, 9.0], dtype=x.dtype), "running_var (changed in eval)")
    # eval works with a single value per channel
    close(batch_norm(x[:1, :, :1], rm, rv, w, b, eps=0.0), expected[:1, :, :1], "eval output for one value")


@pytest.mark.parametrize("shape", BN_SHAPES)
def test_batch_norm_training_without_running_stats(shape):
    x = rand(*shape)
    w, b = affine(shape[1], True, x.dtype)
    close(batch_norm(x, None, None, w, b, training=True),
          F.batch_norm(x, None, None, w, b, training=True), "output")


def test_batch_norm_running_stats_not_in_graph():
    x = rand(4, 3).requires_grad_()
    rm, rv = torch.zeros(3, dtype=x.dtype), torch.ones(3, dtype=x.dtype)
    batch_norm(x, rm, rv, training=True).sum().backward()
    assert rm.grad_fn is None and rv.grad_fn is None and not rm.requires_grad


@pytest.mark.parametrize("shape", [(3,), (2, 3, 2, 2, 2), ()])
def test_batch_norm_bad_ndim(shape):
    with pytest.raises(ValueError, match=f"{len(shape)}-D"):
        batch_norm(torch.randn(shape), torch.zeros(3), torch.ones(3), training=True)


@pytest.mark.parametrize("shape", [(1, 3), (1, 3, 1), (1, 3, 1, 1)])
def test_batch_norm_one_value_per_channel_in_training(shape):
    x = torch.randn(shape)
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*" + r"\(1, 3"):
        batch_norm(x, torch.zeros(3), torch.ones(3), training=True)
    with pytest.raises(ValueError, match=r"\(1, 3"):
        batch_norm(x, None, None, training=True)
    batch_norm(x, torch.zeros(3), torch.ones(3), training=False)  # fine in eval


def test_batch_norm_running_stats_errors():
    x = torch.randn(4, 3)
    with pytest.raises(ValueError, match="only running_mean"):
        batch_norm(x, torch.zeros(3), None, training=True)
    with pytest.raises(ValueError, match="only running_var"):
        batch_norm(x, None, torch.ones(3), training=True)
    with pytest.raises(ValueError, match="training=False"):
        batch_norm(x, None, None, training=False)
    for name in ["running_mean", "running_var", "weight", "bias"]:
        kwargs = dict(running_mean=torch.zeros(3), running_var=torch.ones(3),
                      weight=torch.ones(3), bias=torch.zeros(3))
        kwargs[name] = torch.ones(4)
        with pytest.raises(ValueError, match=rf"{name} should contain 3 .*\(4,\)"):
            batch_norm(x, **kwargs)


# ----------------------------------------------------------------------------- layer_norm

@pytest.mark.parametrize("shape,normalized_shape", [
    ((4, 5), 5), ((4, 5), (5,)), ((2, 3, 6), [6]), ((2, 3, 6), (3, 6)),
    ((2, 3, 4, 5), torch.Size([3, 4, 5])), ((2, 3, 4, 5), (5,)), ((7,), 7),
])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("affine_,eps", [(False, 1e-5), (True, 0.1)])
def test_layer_norm_matches_torch(shape, normalized_shape, dtype, affine_, eps):
    x = rand(*shape, dtype=dtype, scale=3.0, shift=-1.0)
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    w = rand(*ns, dtype=dtype, seed=1) if affine_ else None
    b = rand(*ns, dtype=dtype, seed=2) if affine_ else None
    close(layer_norm(x, normalized_shape, w, b, eps=eps),
          F.layer_norm(x, ns, w, b, eps=eps), "output")


def test_layer_norm_only_weight_or_only_bias():
    x = rand(3, 4)
    w, b = rand(4, seed=1), rand(4, seed=2)
    close(layer_norm(x, 4, weight=w), F.layer_norm(x, (4,), weight=w), "output (weight only)")
    close(layer_norm(x, 4, bias=b), F.layer_norm(x, (4,), bias=b), "output (bias only)")


@pytest.mark.parametrize("shape,normalized_shape,match", [
    ((2, 3), 4, r"\(4,\).*\(2, 3\)"),
    ((2, 3), (2,), r"\(2,\).*\(2, 3\)"),
    ((3,), (2, 3), r"\(2, 3\).*\(3,\)"),
    ((2, 3), (), r"\(\)"),
])
def test_layer_norm_bad_normalized_shape(shape, normalized_shape, match):
    with pytest.raises(ValueError, match=match):
        layer_norm(torch.randn(shape), normalized_shape)


def test_layer_norm_bad_weight_shape():
    with pytest.raises(ValueError, match=r"weight.*\(3, 1\)"):
        layer_norm(torch.randn(2, 3), 3, weight=torch.ones(3, 1))
    with pytest.raises(ValueError, match=r"bias.*\(4,\)"):
        layer_norm(torch.randn(2, 3), 3, bias=torch.ones(4))


# -------------------------------------------------------------------------- instance_norm

@pytest.mark.parametrize("shape", [(2, 3, 5), (1, 2, 7), (2, 3, 4, 5), (3, 1, 1, 2)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("affine_,eps", [(False, 1e-5), (True, 0.1)])
def test_instance_norm_matches_torch(shape, dtype, affine_, eps):
    x = rand(*shape, dtype=dtype, scale=2.0, shift=3.0)
    w, b = affine(shape[1], affine_, dtype)
    close(instance_norm(x, w, b, eps=eps),
          F.instance_norm(x, weight=w, bias=b, use_input_stats=True, eps=eps), "output")


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 2, 2, 2), (4,)])
def test_instance_norm_bad_ndim(shape):
    with pytest.raises(ValueError, match=f"{len(shape)}-D"):
        instance_norm(torch.randn(shape))


@pytest.mark.parametrize("shape", [(2, 3, 1), (2, 3, 1, 1)])
def test_instance_norm_one_spatial_element(shape):
    with pytest.raises(ValueError, match=r"more than 1 spatial element.*\(2, 3, 1"):
        instance_norm(torch.randn(shape))


def test_instance_norm_bad_weight():
    with pytest.raises(ValueError, match=r"weight should contain 3.*\(2,\)"):
        instance_norm(torch.randn(2, 3, 4), weight=torch.ones(2))


# ----------------------------------------------------------------------------- group_norm

@pytest.mark.parametrize("shape,num_groups", [
    ((2, 6), 3), ((2, 6), 2), ((2, 6, 5), 1), ((2, 6, 5), 2), ((3, 4, 3, 5), 2),
    ((3, 4, 3, 5), 4), ((1, 8, 2, 2), 8), ((2, 6, 2, 2, 2), 3),
])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("affine_,eps", [(False, 1e-5), (True, 0.1)])
def test_group_norm_matches_torch(shape, num_groups, dtype, affine_, eps):
    x = rand(*shape, dtype=dtype, scale=2.0, shift=-3.0)
    w, b = affine(shape[1], affine_, dtype)
    close(group_norm(x, num_groups, w, b, eps=eps),
          F.group_norm(x, num_groups, w, b, eps=eps), "output")


def test_group_norm_groups_are_consecutive_channels():
    # channels 0-1 and 2-3 on very different scales: the wrong grouping mixes them
    x = torch.cat([rand(2, 2, 3, seed=0), rand(2, 2, 3, seed=1, scale=100.0)], dim=1)
    close(group_norm(x, 2), F.group_norm(x, 2), "output",
          "Group g holds channels g*C//G ... (g+1)*C//G - 1.")


def test_group_norm_one_value_per_group_gives_bias():
    # (N, C) with G = C: every group is one value, normalized to exactly 0
    # (PyTorch's float32 kernel leaves rounding noise here, so compare with the math)
    x, b = rand(2, 6, dtype=torch.float32), rand(6, dtype=torch.float32, seed=1)
    close(group_norm(x, 6, torch.ones(6), b), b.expand(2, 6), "output")


def test_group_norm_non_contiguous_input():
    x = rand(4, 3, 6).transpose(0, 2)  # (6, 3, 4), not contiguous
    assert not x.is_contiguous()
    close(group_norm(x, 3), F.group_norm(x, 3), "output")


@pytest.mark.parametrize("C,num_groups", [(6, 4), (6, 0), (6, -3), (5, 10)])
def test_group_norm_bad_num_groups(C, num_groups):
    with pytest.raises(ValueError, match=rf"C={C}.*num_groups={num_groups}"):
        group_norm(torch.randn(2, C, 3), num_groups)


def test_group_norm_bad_input():
    with pytest.raises(ValueError, match=r"1-D.*\(6,\)"):
        group_norm(torch.randn(6), 3)
    with pytest.raises(ValueError, match=r"bias should contain 6.*\(3,\)"):
        group_norm(torch.randn(2, 6), 3, bias=torch.ones(3))


# -------------------------------------------------------------------------------- gradcheck

def _gradcheck(fn, *inputs):
    inputs = [t.detach().clone().requires_grad_() for t in inputs]
    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("shape", [(5, 3), (3, 2, 4), (2, 2, 3, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(shape, training):
    C = shape[1]
    rm, rv = rand(C, seed=3), rand(C, seed=4).abs() + 0.5
    _gradcheck(lambda x, w, b: batch_norm(x, rm.clone(), rv.clone(), w, b, training=training),
               rand(*shape), rand(C, seed=1), rand(C, seed=2))


@pytest.mark.parametrize("shape,ns", [((3, 4), (4,)), ((2, 3, 4), (3, 4))])
def test_layer_norm_gradcheck(shape, ns):
    _gradcheck(lambda x, w, b: layer_norm(x, ns, w, b), rand(*shape), rand(*ns, seed=1),
               rand(*ns, seed=2))


@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 2, 3, 2)])
def test_instance_norm_gradcheck(shape):
    _gradcheck(lambda x, w, b: instance_norm(x, w, b), rand(*shape), rand(shape[1], seed=1),
               rand(shape[1], seed=2))


@pytest.mark.parametrize("shape,G", [((2, 4, 3), 2), ((2, 6, 2, 2), 3)])
def test_group_norm_gradcheck(shape, G):
    _gradcheck(lambda x, w, b: group_norm(x, G, w, b), rand(*shape), rand(shape[1], seed=1),
               rand(shape[1], seed=2))


# ---------------------------------------------------------------------- batch_norm_backward

@pytest.mark.parametrize("N,D", [(2, 1), (4, 3), (16, 5), (64, 2)])
@pytest.mark.parametrize("eps", [1e-5, 0.5])
@pytest.mark.parametrize("with_weight", [True, False])
def test_batch_norm_backward_matches_autograd(N, D, eps, with_weight):
    x = rand(N, D, scale=3.0, shift=1.0).requires_grad_()
    w = (rand(D, seed=1) + 1.0).requires_grad_()
    b = rand(D, seed=2).requires_grad_()
    dout = rand(N, D, seed=3)
    y = F.batch_norm(x, None, None, w if with_weight else None, b, training=True, eps=eps)
    dx_t, db_t = torch.autograd.grad(y, (x, b), dout)
    # the gradient w.r.t. weight is the same whatever its value: take it from a weighted pass
    y_w = F.batch_norm(x, None, None, w, b, training=True, eps=eps)
    dw_t, = torch.autograd.grad(y_w, (w,), dout)
    dx, dw, db = batch_norm_backward(dout, x.detach(), w.detach() if with_weight else None, eps=eps)
    close(db, db_t, "dbias")
    close(dw, dw_t, "dweight")
    close(dx, dx_t, "dx", "Remember that x also moves the batch mean and variance.")


def test_batch_norm_backward_is_not_autograd():
    x, dout, w = rand(5, 3), rand(5, 3, seed=1), rand(3, seed=2)
    with torch.no_grad():  # would break an autograd-based answer
        dx, dw, db = batch_norm_backward(dout, x, w)
    assert not dx.requires_grad and dx.shape == (5, 3) and dw.shape == (3,) and db.shape == (3,)


def test_batch_norm_backward_errors():
    with pytest.raises(ValueError, match=r"3-D.*\(2, 3, 4\)"):
        batch_norm_backward(torch.randn(2, 3, 4), torch.randn(2, 3, 4), torch.ones(3))
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 2\)"):
        batch_norm_backward(torch.randn(4, 2), torch.randn(4, 3), torch.ones(3))
    with pytest.raises(ValueError, match=r"more than 1 value.*\(1, 3\)"):
        batch_norm_backward(torch.randn(1, 3), torch.randn(1, 3), torch.ones(3))
    with pytest.raises(ValueError, match=r"weight should contain 3.*\(2,\)"):
        batch_norm_backward(torch.randn(4, 3), torch.randn(4, 3), torch.ones(2))


# ------------------------------------------------------------------------------- BatchNorm

def test_batch_norm_module_structure():
    bn = BatchNorm(4)
    ref = nn.BatchNorm1d(4)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    for (n, t), (n_ref, t_ref) in zip(bn.state_dict().items(), ref.state_dict().items()):
        assert n == n_ref and t.dtype == t_ref.dtype
        close(t.double(), t_ref.double(), f"initial {n}")
    assert isinstance(bn.weight, nn.Parameter) and isinstance(bn.bias, nn.Parameter)
    assert repr(bn) == "BatchNorm(4, eps=1e-05, momentum=0.1)"
    assert repr(BatchNorm(2, eps=1e-3, momentum=None)) == "BatchNorm(2, eps=0.001, momentum=None)"


SCHEDULE = ["train", "train", "eval", "train", "eval", "eval", "train", "train", "eval"]


@pytest.mark.parametrize("ref_cls,shape", [(nn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, (4, 3, 5)),
                                           (nn.BatchNorm2d, (3, 3, 4, 2))])
@pytest.mark.parametrize("eps,momentum", [(1e-5, 0.1), (1e-3, 0.7), (1e-5, None)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_module_matches_torch_over_train_eval_sequence(ref_cls, shape, eps, momentum, dtype):
    C = shape[1]
    ref = ref_cls(C, eps=eps, momentum=momentum).to(dtype)
    with torch.no_grad():
        ref.weight.copy_(rand(C, seed=1) + 1.0)
        ref.bias.copy_(rand(C, seed=2))
    bn = BatchNorm(C, eps=eps, momentum=momentum).to(dtype)
    bn.load_state_dict(ref.state_dict())  # state-dict compatible
    for step, mode in enumerate(SCHEDULE):
        bn.train(mode == "train")
        ref.train(mode == "train")
        x = rand(*shape, dtype=dtype, seed=10 + step, scale=1.0 + step, shift=step - 3.0)
        x_ref = x.clone().requires_grad_()
        x = x.requires_grad_()
        y, y_ref = bn(x), ref(x_ref)
        close(y, y_ref, f"output at step {step} ({mode})")
        g = rand(*shape, dtype=dtype, seed=100 + step)
        y.backward(g)
        y_ref.backward(g)
        close(x.grad, x_ref.grad, f"input gradient at step {step} ({mode})")
        for name, t in bn.state_dict().items():
            t_ref = ref.state_dict()[name]
            if t.is_floating_point():
                close(t, t_ref, f"{name} after step {step} ({mode})",
                      "running_var must use the unbiased variance." if name == "running_var" else "")
            else:
                assert t.item() == t_ref.item(), f"{name} after step {step}: {t.item()} != {t_ref.item()}"
    close(bn.weight.grad, ref.weight.grad, "weight gradient")
    close(bn.bias.grad, ref.bias.grad, "bias gradient")
    ref.load_state_dict(bn.state_dict())  # and back


def test_batch_norm_module_one_value_per_channel():
    bn = BatchNorm(3)
    with pytest.raises(ValueError, match=r"\(1, 3\)"):
        bn(torch.randn(1, 3))
    bn.eval()(torch.randn(1, 3))


# ------------------------------------------------------------------------ WeightNormLinear

def test_weight_norm_linear_structure_and_init():
    layer = WeightNormLinear(5, 4)
    assert layer.weight_v.shape == (4, 5) and layer.weight_g.shape == (4, 1) and layer.bias.shape == (4,)
    assert {n for n, _ in layer.named_parameters()} == {"weight_v", "weight_g", "bias"}
    close(layer.weight_g.detach(), layer.weight_v.detach().norm(dim=1, keepdim=True), "initial weight_g",
          "g starts at the row norms of v.")
    close(layer.weight.detach(), layer.weight_v.detach(), "initial effective weight")
    assert repr(layer) == "WeightNormLinear(in_features=5, out_features=4, bias=True)"
    no_bias = WeightNormLinear(3, 2, bias=False)
    assert no_bias.bias is None and "bias" not in dict(no_bias.named_parameters())
    assert "bias=False" in repr(no_bias)


def test_weight_norm_linear_init_like_linear():
    torch.manual_seed(0)
    lin = nn.Linear(50, 40)
    torch.manual_seed(0)
    layer = WeightNormLinear(50, 40)
    close(layer.weight_v.detach(), lin.weight.detach(), "weight_v", "Initialize v like nn.Linear's weight.")
    close(layer.bias.detach(), lin.bias.detach(), "bias", "Initialize the bias like nn.Linear's.")
    # the bounds, whatever the draw order: kaiming_uniform(a=sqrt(5)) and bias are U(±1/sqrt(in))
    big = WeightNormLinear(400, 300)
    bound = 1 / 400 ** 0.5
    for t in [big.weight_v, big.bias]:
        assert t.abs().max() <= bound and t.abs().max() > 0.95 * bound


@pytest.mark.parametrize("in_f,out_f,bias", [(5, 4, True), (3, 7, False), (1, 2, True)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_weight_norm_linear_matches_torch(in_f, out_f, bias, dtype):
    layer = WeightNormLinear(in_f, out_f, bias=bias).to(dtype)
    ref = weight_norm(nn.Linear(in_f, out_f, bias=bias).to(dtype))
    with torch.no_grad():  # a g different from ||v||, so that g matters
        layer.weight_g.copy_(rand(out_f, 1, dtype=dtype, seed=1) + 2.0)
        layer.weight_v.copy_(rand(out_f, in_f, dtype=dtype, seed=2))
        ref.parametrizations.weight.original0.copy_(layer.weight_g)
        ref.parametrizations.weight.original1.copy_(layer.weight_v)
        if bias:
            layer.bias.copy_(rand(out_f, dtype=dtype, seed=3))
            ref.bias.copy_(layer.bias)
    close(layer.weight.detach(), ref.weight.detach(), "effective weight")
    close(layer.weight.detach().norm(dim=1, keepdim=True), layer.weight_g.detach(), "row norms of weight")
    x = rand(2, 3, in_f, dtype=dtype, seed=4)
    y, y_ref = layer(x), ref(x)
    close(y, y_ref, "output")
    g_out = rand(*y.shape, dtype=dtype, seed=5)
    y.backward(g_out)
    y_ref.backward(g_out)
    close(layer.weight_g.grad, ref.parametrizations.weight.original0.grad, "gradient w.r.t. weight_g")
    close(layer.weight_v.grad, ref.parametrizations.weight.original1.grad, "gradient w.r.t. weight_v")
    if bias:
        close(layer.bias.grad, ref.bias.grad, "gradient w.r.t. bias")


def test_weight_norm_linear_gradcheck():
    layer = WeightNormLinear(3, 2).double()
    x = rand(4, 3)
    _gradcheck(lambda g, v, b: torch.func.functional_call(
        layer, {"weight_g": g, "weight_v": v, "bias": b}, (x,)),
        layer.weight_g, layer.weight_v, layer.bias)


# ---------------------------------------------------------------- x untouched, primitives only

FUNCTIONS = {
    "batch_norm train": lambda x: batch_norm(x, torch.zeros(3, dtype=x.dtype), torch.ones(3, dtype=x.dtype),
                                             torch.ones(3, dtype=x.dtype), torch.zeros(3, dtype=x.dtype),
                                             training=True),
    "batch_norm eval": lambda x: batch_norm(x, torch.zeros(3, dtype=x.dtype), torch.ones(3, dtype=x.dtype)),
    "layer_norm": lambda x: layer_norm(x, (3, 4, 5), torch.ones(3, 4, 5, dtype=x.dtype)),
    "instance_norm": lambda x: instance_norm(x, torch.ones(3, dtype=x.dtype), torch.zeros(3, dtype=x.dtype)),
    "group_norm": lambda x: group_norm(x, 3, torch.ones(3, dtype=x.dtype), torch.zeros(3, dtype=x.dtype)),
    "BatchNorm": lambda x: BatchNorm(3).double()(x),
    "BatchNorm eval": lambda x: BatchNorm(3).double().eval()(x),
}


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_input_not_modified(name):
    x = rand(2, 3, 4, 5, scale=2.0, shift=1.0)
    x_copy, version = x.clone(), x._version
    y = FUNCTIONS[name](x)
    assert x._version == version, f"{name} modified x in place"
    assert torch.equal(x, x_copy), f"{name} modified x"
    assert y.data_ptr() != x.data_ptr(), f"{name} returned x itself"


def test_batch_norm_backward_does_not_modify_inputs():
    x, dout, w = rand(5, 3), rand(5, 3, seed=1), rand(3, seed=2)
    copies = [t.clone() for t in (x, dout, w)]
    batch_norm_backward(dout, x, w)
    for t, c in zip((x, dout, w), copies):
        assert torch.equal(t, c)


def test_weight_norm_linear_does_not_modify_input():
    x = rand(4, 3)
    x_copy = x.clone()
    WeightNormLinear(3, 2).double()(x)
    assert torch.equal(x, x_copy)


def test_implemented_from_primitives(monkeypatch):
    """Each reference still works when the PyTorch function it re-implements is gone."""
    def forbidden(*args, **kwargs):
        raise AssertionError("called the PyTorch function it re-implements")

    for module, names in [(F, ["batch_norm", "layer_norm", "instance_norm", "group_norm"]),
                          (torch, ["batch_norm", "layer_norm", "instance_norm", "group_norm",
                                   "native_batch_norm", "native_layer_norm", "native_group_norm",
                                   "_weight_norm", "norm_except_dim"])]:
        for name in names:
            monkeypatch.setattr(module, name, forbidden)
    for name, fn in FUNCTIONS.items():
        fn(rand(2, 3, 4, 5))
    batch_norm_backward(rand(5, 3), rand(5, 3), rand(3))
    WeightNormLinear(3, 2)(torch.randn(4, 3))
    # ... and that the patch bites
    with pytest.raises(AssertionError):
        F.batch_norm(torch.randn(4, 3), None, None, training=True)
