"""Chapter 2: the test cells of the normalization exercises, checked outside the notebook.

Each verifier runs the calls of its test cell (visible and hidden) on fresh seeded inputs and
compares the learner's data with the reference solution's, entry by entry, checking what the
cell checks and no more. Entries named ``raises: ...`` hold the exception ``raises`` recorded:
like ``assert_raises``, any subclass of the expected exception passes. ``gradient check: ...``
entries are a cell's ``check_gradients``, judged as gradcheck judges (the learner's autograd
against finite differences of the learner's own function); gradients a cell compares with
PyTorch's are compared with the reference's. The "implemented from primitives" checks are made
statically on the learner's code (``Context.no_delegation``), with the cells' forbidden lists.
"""
import math

import torch

from autograder.verify import Context, Verifier, expect_entries, expect_raised, expect_tensor, gradients_consistent, same
from traintech.testing import assert_close, assert_true

_NORMS = ["torch.nn.functional.batch_norm", "torch.nn.functional.instance_norm",
          "torch.nn.functional.group_norm", "torch.nn.functional.layer_norm"]
BATCH_NORM = ["torch.batch_norm", "torch.native_batch_norm", "torch.nn.BatchNorm1d", "torch.nn.BatchNorm2d",
              "torch.nn.modules.batchnorm._BatchNorm"] + _NORMS
# The cells also check ``not issubclass(BatchNorm, nn.modules.batchnorm._NormBase)``.
BATCH_NORM_MODULE = BATCH_NORM + ["torch.nn.modules.batchnorm._NormBase"]
BACKWARD = ["torch.autograd.grad", "torch.autograd.backward", "torch.func.vjp", "torch.func.grad",
            "torch.nn.functional.batch_norm", "torch.batch_norm", "torch.native_batch_norm", "torch.nn.BatchNorm1d"]
LAYER_NORM = ["torch.layer_norm", "torch.native_layer_norm", "torch.nn.LayerNorm",
              "torch.nn.functional.rms_norm"] + _NORMS
INSTANCE_NORM = ["torch.instance_norm", "torch.nn.InstanceNorm1d", "torch.nn.InstanceNorm2d", "torch.batch_norm"] + _NORMS
GROUP_NORM = ["torch.group_norm", "torch.native_group_norm", "torch.nn.GroupNorm", "torch.batch_norm"] + _NORMS
WEIGHT_NORM = ["torch.nn.utils.parametrizations.weight_norm", "torch.nn.utils.weight_norm", "torch._weight_norm",
               "torch._weight_norm_interface", "torch.norm_except_dim"]

# Defined before every collect: ``check_gradients(fn, *inputs)`` of a cell, as data.
_HELPERS = '''
def probe(fn, *inputs, seed):
    """``gradient_probe`` of fn over all its (float64) inputs at once, packed in one vector, as
    gradcheck checks them together (an input the output ignores has zero gradients both ways)."""
    sizes = [t.numel() for t in inputs]

    def packed(z):
        return fn(*(part.view(t.shape) for part, t in zip(torch.split(z, sizes), inputs)))

    return gradient_probe(packed, torch.cat([t.reshape(-1) for t in inputs]), seed=seed)
'''


# ----------------------------------------------------------------------------- static checks

# ----------------------------------------------------------------------------- judging helpers


def _compare(got, ref, tolerances: dict | None = None) -> None:
    """Every entry as the reference's: ``same`` (with the entry's (rtol, atol) if given), or
    ``_raised`` for ``raises: ...`` entries, ``gradients_consistent`` for ``gradient check: ...``."""
    expect_entries(got, ref)
    for key, expected in ref.items():
        if key.startswith("raises"):
            expect_raised(got[key], expected[0], key)
        elif key.startswith("gradient check"):
            gradients_consistent(got[key], expected, key)
        else:
            rtol, atol = (tolerances or {}).get(key, (None, None))
            same(got[key], expected, key, rtol=rtol, atol=atol)


def _judge(name: str, forbidden: list[str], tolerances: dict | None = None):
    """The usual judge: ``name`` written from primitives, and every entry as the reference's."""
    def judge(got, ref, context: Context) -> None:
        context.no_delegation(name, forbidden)
        _compare(got, ref, tolerances)
    return judge


def _BatchNorm_structure(got, ref, context: Context) -> None:
    context.no_delegation("BatchNorm", BATCH_NORM_MODULE)
    expect_entries(got, ref)
    same(got["parameters"], ref["parameters"], "the parameter names of BatchNorm(5)")
    for key in ("buffers", "state_dict"):
        names = got[key]
        assert_true(isinstance(names, list) and set(ref[key]) <= {n for n in names if isinstance(n, str)},
                    f"the {key} names of BatchNorm(5) should include {ref[key]}, got {names!r:.200}",
                    hint="self.register_buffer('running_mean', torch.zeros(num_features)); buffers are not parameters.")
    for key in ("initial weight", "initial bias", "initial running_mean", "initial running_var",
                "is an nn.Module", "momentum of BatchNorm(3, eps=0.1, momentum=0.3)"):
        same(got[key], ref[key], key)


def _backward_by_hand(got, ref, context: Context) -> None:
    context.no_delegation("batch_norm_backward", BACKWARD)
    expect_entries(got, ref)
    dx = expect_tensor(got["dx"], "dx")
    assert_close(dx.sum(dim=0), torch.zeros(ref["dx"].shape[1], dtype=ref["dx"].dtype), atol=1e-5,
                 name="the column sums of dx", hint="the gradient cannot move the batch mean: each column of dx sums to zero.")
    for key in ref:
        if key.startswith("raises"):
            expect_raised(got[key], ref[key][0], key)


_BIG = "WeightNormLinear(400, 300)"


def _WeightNormLinear_structure(got, ref, context: Context) -> None:
    context.no_delegation("WeightNormLinear", WEIGHT_NORM)
    expect_entries(got, ref)
    same(got["parameters"], ref["parameters"], "the parameter names of WeightNormLinear(7, 3)")
    v = expect_tensor(got["weight_v"], "weight_v", ref["weight_v"].shape)
    g = expect_tensor(got["weight_g"], "weight_g", ref["weight_g"].shape)
    assert_close(g, torch.linalg.vector_norm(v, dim=1, keepdim=True), name="the initial weight_g",
                 hint="initialize g to the norm of each row of v (over the input dimension).")
    same(got["bias shape"], ref["bias shape"], "the shape of bias")
    same(got["bias=False: bias is None, parameter names"], ref["bias=False: bias is None, parameter names"],
         "WeightNormLinear(5, 2, bias=False): [bias is None, parameter names]")
    big_v, big_b = (expect_tensor(got[key], key, ref[key].shape).double() for key in (_BIG + ".weight_v", _BIG + ".bias"))
    bound = 1 / math.sqrt(ref[_BIG + ".weight_v"].shape[1])
    assert_true(0.9 * bound < big_v.abs().max().item() <= bound + 1e-6,
                f"weight_v should be initialized as nn.Linear's weight, uniform in (-{bound:.3f}, {bound:.3f})")
    assert_true(big_b.abs().max().item() <= bound + 1e-6 and big_b.std().item() > 0.3 * bound,
                "bias should be initialized as nn.Linear's bias")


# ----------------------------------------------------------------------------- collect code

_BN_TRAINING = '''
g = torch.Generator().manual_seed(200)
x = torch.randn(16, 4, generator=g) * 3 + 2
weight, bias = torch.randn(4, generator=g), torch.randn(4, generator=g)
x3 = torch.randn(5, 3, 7, generator=g) - 1
x64 = torch.randn(6, 5, generator=g, dtype=torch.float64) * 0.1
w64, b64 = torch.rand(5, generator=g, dtype=torch.float64), torch.randn(5, generator=g, dtype=torch.float64)
t = torch.randn(4, 3, 2, generator=g, dtype=torch.float64)
tw, tb = torch.rand(3, generator=g, dtype=torch.float64) + 0.5, torch.randn(3, generator=g, dtype=torch.float64)
result = {
    "(16, 4), training, weight and bias": batch_norm(x, torch.zeros(4), torch.ones(4), weight, bias, training=True),
    "(16, 4), training, no weight and bias": batch_norm(x, torch.zeros(4), torch.ones(4), training=True),
    "(5, 3, 7), training": batch_norm(x3, torch.zeros(3), torch.ones(3), training=True),
    "float64, eps=0.1, no running statistics": batch_norm(x64, None, None, w64, b64, training=True, eps=0.1),
    "(16, 4), training, bias only": batch_norm(x, torch.zeros(4), torch.ones(4), None, bias, training=True),
    "gradient check: batch_norm (training)": probe(
        lambda t, w, b: batch_norm(t, torch.zeros(3, dtype=t.dtype), torch.ones(3, dtype=t.dtype), w, b, training=True),
        t, tw, tb, seed=1),
}
'''

_BN_RUNNING_STATS = '''
g = torch.Generator().manual_seed(201)
xs = [torch.randn(8, 3, generator=g) * 2 + step for step in range(3)]
x4 = torch.randn(4, 3, 5, 5, generator=g).requires_grad_()
x64 = torch.randn(3, 2, 4, generator=g, dtype=torch.float64)
mean, var = torch.zeros(3), torch.ones(3)
for x in xs:
    batch_norm(x, mean, var, training=True, momentum=0.1)
mean4, var4 = torch.zeros(3), torch.ones(3)
batch_norm(x4, mean4, var4, training=True, momentum=0.5)
m64, v64 = torch.full((2,), 0.5, dtype=torch.float64), torch.full((2,), 2.0, dtype=torch.float64)
batch_norm(x64, m64, v64, training=True, momentum=1.0)
result = {
    "[running_mean, running_var] after 3 steps, momentum=0.1": [mean, var],
    "[running_mean, running_var] for (4, 3, 5, 5) input, momentum=0.5": [mean4, var4],
    "[requires_grad, grad_fn is None] of running_mean and running_var": [
        [t.requires_grad, t.grad_fn is None] for t in (mean4, var4)],
    "[running_mean, running_var] float64, momentum=1.0": [m64, v64],
}
'''

_BN_EVAL = '''
g = torch.Generator().manual_seed(202)
x = torch.randn(10, 3, generator=g)
running_mean, running_var = torch.randn(3, generator=g), torch.rand(3, generator=g) * 3 + 0.2
weight, bias = torch.randn(3, generator=g), torch.randn(3, generator=g)
x4 = torch.randn(1, 3, 4, 4, generator=g)
x1 = torch.randn(1, 3, generator=g, dtype=torch.float64)
m1, v1, m2, v2 = running_mean.clone(), running_var.clone(), running_mean.clone(), running_var.clone()
m64, v64 = running_mean.double(), running_var.double()
out = batch_norm(x, m1, v1, weight, bias, training=False)
result = {
    "(10, 3), training=False": out,
    "[running_mean, running_var] after an evaluation call": [m1, v1],
    "one (1, 3, 4, 4) image, default mode, eps=0.5": batch_norm(x4, m2, v2, weight, bias, eps=0.5),
    "one (1, 3) float64 sample, default mode": batch_norm(x1, m64, v64),
}
'''

_BN_SHAPES = '''
g = torch.Generator().manual_seed(203)
x = torch.randn(4, 3, 5, 6, generator=g) * 2 - 1
weight, bias = torch.randn(3, generator=g), torch.randn(3, generator=g)
x1 = torch.randn(1, 3, 5, generator=g)
x64 = torch.randn(2, 2, 3, 3, generator=g, dtype=torch.float64)
one, one4 = torch.randn(1, 3, generator=g), torch.randn(1, 3, 1, 1, generator=g)
flat, five = torch.randn(5, generator=g), torch.randn(2, 3, 2, 2, 2, generator=g)
result = {
    "(4, 3, 5, 6), training": batch_norm(x, torch.zeros(3), torch.ones(3), weight, bias, training=True),
    "raises: (1, 3) in training": raises(batch_norm, one, torch.zeros(3), torch.ones(3), training=True),
    "raises: (1, 3, 1, 1) in training": raises(batch_norm, one4, torch.zeros(3), torch.ones(3), training=True),
    "raises: 1-D input": raises(batch_norm, flat, torch.zeros(5), torch.ones(5), training=True),
    "raises: 5-D input": raises(batch_norm, five, torch.zeros(3), torch.ones(3), training=True),
    "(1, 3, 5), training": batch_norm(x1, torch.zeros(3), torch.ones(3), training=True),
    "float64 (2, 2, 3, 3), no running statistics, eps=1e-3": batch_norm(x64, None, None, training=True, eps=1e-3),
}
'''

_BATCHNORM_STRUCTURE = '''
layer = BatchNorm(5)
result = {
    "parameters": sorted(name for name, _ in layer.named_parameters()),
    "buffers": sorted(name for name, _ in layer.named_buffers()),
    "state_dict": sorted(layer.state_dict()),
    "initial weight": layer.weight, "initial bias": layer.bias,
    "initial running_mean": layer.running_mean, "initial running_var": layer.running_var,
    "is an nn.Module": isinstance(layer, nn.Module),
    "momentum of BatchNorm(3, eps=0.1, momentum=0.3)": getattr(BatchNorm(3, eps=0.1, momentum=0.3), "momentum", None),
}
'''

_BATCHNORM_SEQUENCES = '''
def inputs(calls, seed, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    C = calls[0][0][1]
    affine = [torch.randn(C, generator=g, dtype=dtype) for _ in range(2)]
    return affine, [torch.randn(shape, generator=g, dtype=dtype) * 2 + 1 for shape, _ in calls]


def run(layer, calls, data):
    """[output, running_mean, running_var] after each (input shape, train mode) call."""
    (weight, bias), xs = data
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    record = []
    for (_, train), x in zip(calls, xs):
        layer.train(train)
        out = layer(x)
        record.append([out, layer.running_mean.clone(), layer.running_var.clone()])
    return record


calls = [((8, 4), True), ((8, 4), True), ((3, 4), False), ((16, 4), True), ((1, 4), False)]
calls2d = [((2, 3, 5, 5), True), ((4, 3, 5, 5), True), ((1, 3, 5, 5), False), ((2, 3, 4, 4), True)]
calls1d = [((4, 2, 7), True), ((6, 2, 7), True), ((2, 2, 7), False), ((5, 2, 3), True), ((1, 2, 3), False)]
data = [inputs(calls, 210), inputs(calls2d, 211), inputs(calls1d, 212), inputs(calls2d, 213, torch.float64)]
result = {
    "BatchNorm(4) on (N, 4)": run(BatchNorm(4), calls, data[0]),
    "BatchNorm(3) on (N, 3, H, W)": run(BatchNorm(3), calls2d, data[1]),
    "BatchNorm(2, eps=0.01, momentum=0.3) on (N, 2, L)": run(BatchNorm(2, eps=1e-2, momentum=0.3), calls1d, data[2]),
    "BatchNorm(3, momentum=0.05).double() on (N, 3, H, W)": run(BatchNorm(3, momentum=0.05).double(), calls2d, data[3]),
}
'''

_BATCHNORM_GRADIENTS = '''
g = torch.Generator().manual_seed(214)
x = torch.randn(4, 3, 2, 2, generator=g).requires_grad_()
target = torch.randn(4, 3, 2, 2, generator=g)
steps = [torch.randn(6, 4, generator=g).requires_grad_() for _ in range(3)]
mixes = [torch.randn(6, 4, generator=g) for _ in range(3)]
layer = BatchNorm(3)
((layer(x) - target) ** 2).sum().backward()
chained = BatchNorm(4)
for step, mix in zip(steps, mixes):  # several steps: the running statistics must not chain the graphs together
    (chained(step * 2 + 1) * mix).sum().backward()
result = {
    "[weight, bias, input] gradients": [layer.weight.grad, layer.bias.grad, x.grad],
    "running_mean.grad_fn is None after 3 steps": chained.running_mean.grad_fn is None,
}
'''

_BWD_PARAMETERS = '''
g = torch.Generator().manual_seed(220)
x, dout = torch.randn(8, 5, generator=g, dtype=torch.float64), torch.randn(8, 5, generator=g, dtype=torch.float64)
weight = torch.randn(5, generator=g, dtype=torch.float64)
x32, d32 = torch.randn(16, 3, generator=g) * 3 + 1, torch.randn(16, 3, generator=g)
with torch.inference_mode():  # derived by hand: no autograd in here
    out = batch_norm_backward(dout, x, weight)
    _, dw32, db32 = batch_norm_backward(d32, x32, None, eps=0.1)
result = {
    "returns a tuple of 3": isinstance(out, tuple) and len(out) == 3,
    "dbias": out[2], "dweight": out[1],
    "float32, weight=None, eps=0.1: [dweight, dbias]": [dw32, db32],
}
'''

_BWD_DX = '''
g = torch.Generator().manual_seed(221)
x, dout = torch.randn(8, 5, generator=g, dtype=torch.float64), torch.randn(8, 5, generator=g, dtype=torch.float64)
weight = torch.randn(5, generator=g, dtype=torch.float64)
cases = [((2, 4), 1e-5), ((32, 3), 0.5), ((5, 1), 1e-3)]
more = [(torch.randn(shape, generator=g, dtype=torch.float64) * 2 - 1, torch.randn(shape, generator=g, dtype=torch.float64),
         torch.rand(shape[1], generator=g, dtype=torch.float64) + 0.5, eps) for shape, eps in cases]
x32, d32 = torch.randn(16, 3, generator=g), torch.randn(16, 3, generator=g)
with torch.inference_mode():  # derived by hand: no autograd in here
    result = {"dx": batch_norm_backward(dout, x, weight)[0]}
    for xs, ds, ws, eps in more:
        result[f"dx for input {tuple(xs.shape)}, eps={eps}"] = batch_norm_backward(ds, xs, ws, eps=eps)[0]
    result["dx with weight=None (float32)"] = batch_norm_backward(d32, x32, None)[0]
'''

_BWD_BY_HAND = '''
g = torch.Generator().manual_seed(222)
x, dout, weight = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g), torch.rand(4, generator=g) + 0.5
one, three_d = torch.randn(1, 4, generator=g), torch.randn(2, 3, 4, generator=g)
d5, x6 = torch.randn(5, 3, generator=g), torch.randn(6, 3, generator=g)
with torch.inference_mode():  # no autograd graph can be built in here
    dx = batch_norm_backward(dout, x, weight)[0]
result = {
    "dx": dx,
    "raises: N = 1": raises(batch_norm_backward, one, one.clone(), None),
    "raises: 3-D input": raises(batch_norm_backward, three_d, three_d.clone(), None),
    "raises: dout and x of different shapes": raises(batch_norm_backward, d5, x6, None),
}
'''

_LN_VALUES = '''
g = torch.Generator().manual_seed(230)
x = torch.randn(4, 6, generator=g) * 3 + 1
tokens = torch.randn(2, 5, 8, generator=g)
images = torch.randn(3, 2, 4, 4, generator=g) * 2 - 1
x64 = torch.randn(3, 7, generator=g, dtype=torch.float64) * 0.1
v = torch.randn(9, generator=g)
result = {
    "(4, 6) over 6": layer_norm(x, 6),
    "(2, 5, 8) over (8,)": layer_norm(tokens, (8,)),
    "(3, 2, 4, 4) over (2, 4, 4)": layer_norm(images, (2, 4, 4)),
    "over [4, 4] (a list)": layer_norm(images, [4, 4]),
    "over torch.Size([2, 4, 4])": layer_norm(images, torch.Size([2, 4, 4])),
    "float64, eps=0.01": layer_norm(x64, 7, eps=0.01),
    "a 1-D vector": layer_norm(v, 9),
}
'''

_LN_AFFINE = '''
g = torch.Generator().manual_seed(231)
x = torch.randn(2, 3, 4, generator=g)
weight, bias = torch.randn(3, 4, generator=g), torch.randn(3, 4, generator=g)
w1 = torch.randn(4, generator=g, dtype=torch.float64)
x64 = x.double()
result = {
    "(2, 3, 4) over (3, 4) with weight and bias": layer_norm(x, (3, 4), weight, bias),
    "float64, weight only": layer_norm(x64, 4, weight=w1),
    "float64, bias only": layer_norm(x64, 4, bias=w1),
}
'''

_LN_ERRORS = '''
g = torch.Generator().manual_seed(232)
t, w, b = (torch.randn(3, 5, generator=g, dtype=torch.float64), torch.randn(5, generator=g, dtype=torch.float64),
           torch.randn(5, generator=g, dtype=torch.float64))
t2 = torch.randn(2, 2, 3, generator=g, dtype=torch.float64)
x, v = torch.randn(2, 3, 4, generator=g), torch.randn(4, generator=g)
result = {
    "raises: (2, 3, 4) over (3,)": raises(layer_norm, x, (3,)),
    "raises: (2, 3, 4) over (2, 4)": raises(layer_norm, x, (2, 4)),
    "raises: (4,) over (2, 4)": raises(layer_norm, v, (2, 4)),
    "gradient check: layer_norm": probe(lambda t, w, b: layer_norm(t, 5, w, b), t, w, b, seed=1),
    "gradient check: layer_norm over (2, 3)": probe(lambda t: layer_norm(t, (2, 3)), t2, seed=2),
}
'''

_IN_VALUES = '''
g = torch.Generator().manual_seed(240)
x = torch.randn(3, 2, 5, 5, generator=g) * 3 + torch.arange(6.0).view(3, 2, 1, 1)
x64 = torch.randn(2, 3, 4, 6, generator=g, dtype=torch.float64) * 0.1
x1 = torch.randn(1, 4, 3, 3, generator=g)
result = {
    "(3, 2, 5, 5)": instance_norm(x),
    "float64, eps=0.01": instance_norm(x64, eps=0.01),
    "a single image": instance_norm(x1),
}
'''

_IN_AFFINE = '''
g = torch.Generator().manual_seed(241)
x = torch.randn(4, 3, 10, generator=g) * 2 + 1
weight, bias = torch.randn(3, generator=g), torch.randn(3, generator=g)
x4 = torch.randn(2, 3, 4, 4, generator=g, dtype=torch.float64)
w64, b64 = weight.double(), bias.double()
result = {
    "(4, 3, 10) with weight and bias": instance_norm(x, weight, bias),
    "float64 (2, 3, 4, 4) with weight and bias": instance_norm(x4, w64, b64),
    "float64 (2, 3, 4, 4), bias only": instance_norm(x4, bias=b64),
}
'''

_IN_ERRORS = '''
g = torch.Generator().manual_seed(242)
t, w, b = (torch.randn(2, 2, 3, 3, generator=g, dtype=torch.float64), torch.randn(2, generator=g, dtype=torch.float64),
           torch.randn(2, generator=g, dtype=torch.float64))
bad = [torch.randn(4, 3, generator=g), torch.randn(2, 3, 1, 1, generator=g), torch.randn(2, 3, 1, generator=g),
       torch.randn(2, 2, 2, 2, 2, generator=g)]
result = {
    "raises: (4, 3)": raises(instance_norm, bad[0]),
    "raises: (2, 3, 1, 1)": raises(instance_norm, bad[1]),
    "raises: (2, 3, 1)": raises(instance_norm, bad[2]),
    "raises: (2, 2, 2, 2, 2)": raises(instance_norm, bad[3]),
    "gradient check: instance_norm": probe(lambda t, w, b: instance_norm(t, w, b), t, w, b, seed=1),
}
'''

_GN_VALUES = '''
g = torch.Generator().manual_seed(250)
x = torch.randn(2, 6, 4, 4, generator=g) * 2 + torch.arange(6.0).view(1, 6, 1, 1)
x8 = torch.randn(3, 8, 5, generator=g) * 3 - 1
x2 = torch.randn(4, 6, generator=g)
x64 = torch.randn(2, 4, 3, 3, generator=g, dtype=torch.float64) * 0.1
result = {"(2, 6, 4, 4), num_groups=3": group_norm(x, 3)}
for G in (1, 2, 4, 8):
    result[f"(3, 8, 5), num_groups={G}"] = group_norm(x8, G)
result["(4, 6), num_groups=2"] = group_norm(x2, 2)
result["float64, num_groups=2, eps=0.01"] = group_norm(x64, 2, eps=0.01)
'''

_GN_SPECIAL = '''
g = torch.Generator().manual_seed(251)
x = torch.randn(2, 4, 3, 3, generator=g) * 2 + 1
weight, bias = torch.randn(4, generator=g), torch.randn(4, generator=g)
x64 = torch.randn(3, 6, 2, 2, generator=g, dtype=torch.float64)
w64 = torch.randn(6, generator=g, dtype=torch.float64)
result = {
    "num_groups=1 (layer norm over (C, H, W))": group_norm(x, 1),
    "num_groups=C (instance norm)": group_norm(x, 4),
    "num_groups=2 with weight and bias": group_norm(x, 2, weight, bias),
    "float64, num_groups=3, weight only": group_norm(x64, 3, weight=w64),
    "float64, num_groups=3, bias only": group_norm(x64, 3, bias=w64),
}
'''

_GN_ERRORS = '''
g = torch.Generator().manual_seed(252)
t, w, b = (torch.randn(2, 4, 3, generator=g, dtype=torch.float64), torch.randn(4, generator=g, dtype=torch.float64),
           torch.randn(4, generator=g, dtype=torch.float64))
bad = [torch.randn(2, 6, 4, 4, generator=g), torch.randn(2, 6, 4, generator=g), torch.randn(2, 5, generator=g)]
result = {
    "raises: 6 channels in 4 groups": raises(group_norm, bad[0], 4),
    "raises: num_groups=0": raises(group_norm, bad[1], 0),
    "raises: 5 channels in 2 groups": raises(group_norm, bad[2], 2),
    "gradient check: group_norm, num_groups=2": probe(lambda t, w, b: group_norm(t, 2, w, b), t, w, b, seed=1),
}
'''

_WN_STRUCTURE = '''
with torch.random.fork_rng():
    torch.manual_seed(260)
    layer = WeightNormLinear(7, 3)
    no_bias = WeightNormLinear(5, 2, bias=False)
    big = WeightNormLinear(400, 300)
result = {
    "parameters": sorted(name for name, _ in layer.named_parameters()),
    "weight_v": layer.weight_v, "weight_g": layer.weight_g,
    "bias shape": list(layer.bias.shape),
    "bias=False: bias is None, parameter names": [no_bias.bias is None, sorted(n for n, _ in no_bias.named_parameters())],
    "WeightNormLinear(400, 300).weight_v": big.weight_v, "WeightNormLinear(400, 300).bias": big.bias,
}
'''

# Layers with g, v and bias set from the inputs: whatever the initialization, the outputs are the reference's.
_WN_SET = '''
def weight_normed(layer, v, g, bias=None):
    with torch.no_grad():
        layer.weight_v.copy_(v)
        layer.weight_g.copy_(g)
        if bias is not None:
            layer.bias.copy_(bias)
    return layer
'''

_WN_FORWARD = _WN_SET + '''
g = torch.Generator().manual_seed(261)
v, gain, bias = torch.randn(4, 6, generator=g), torch.rand(4, 1, generator=g) * 2 + 0.5, torch.randn(4, generator=g)
x = torch.randn(5, 6, generator=g)
v3, gain3 = torch.randn(5, 3, generator=g, dtype=torch.float64) * 3, torch.rand(5, 1, generator=g, dtype=torch.float64) + 0.5
x3 = torch.randn(2, 7, 3, generator=g, dtype=torch.float64)
layer = weight_normed(WeightNormLinear(6, 4), v, gain, bias)
layer3 = weight_normed(WeightNormLinear(3, 5, bias=False).double(), v3, gain3)
result = {"WeightNormLinear(6, 4) on (5, 6)": layer(x),
          "WeightNormLinear(3, 5, bias=False).double() on (2, 7, 3)": layer3(x3)}
'''

_WN_GRADIENTS = _WN_SET + '''
g = torch.Generator().manual_seed(262)
v, bias = torch.randn(3, 4, generator=g), torch.randn(3, generator=g)
gain = torch.linalg.vector_norm(v, dim=1, keepdim=True) * (torch.rand(3, 1, generator=g) + 0.5)
x, target = torch.randn(6, 4, generator=g).requires_grad_(), torch.randn(6, 3, generator=g)
v64, gain64, b64 = (torch.randn(2, 3, generator=g, dtype=torch.float64), torch.rand(2, 1, generator=g, dtype=torch.float64) + 0.5,
                    torch.randn(2, generator=g, dtype=torch.float64))
x64 = torch.randn(4, 3, generator=g, dtype=torch.float64)
layer = weight_normed(WeightNormLinear(4, 3), v, gain, bias)
((layer(x) - target) ** 2).sum().backward()
layer64 = weight_normed(WeightNormLinear(3, 2).double(), v64, gain64, b64)
result = {
    "[weight_g, weight_v, bias, input] gradients": [layer.weight_g.grad, layer.weight_v.grad, layer.bias.grad, x.grad],
    "gradient check: WeightNormLinear(3, 2).double().forward": probe(lambda t: layer64(t), x64, seed=1),
}
'''


def _v(collect: str, judge) -> Verifier:
    return Verifier(_HELPERS + collect, judge=judge)


_FLOAT32_VS_FLOAT64 = (1e-4, 1e-4)  # the cells' tolerance where float32 results meet a float64 autograd reference

VERIFIERS = {
    "test_batch_norm_training": _v(_BN_TRAINING, _judge("batch_norm", BATCH_NORM)),
    "test_batch_norm_running_stats": _v(_BN_RUNNING_STATS, _judge("batch_norm", BATCH_NORM)),
    "test_batch_norm_eval": _v(_BN_EVAL, _judge("batch_norm", BATCH_NORM)),
    "test_batch_norm_shapes_and_errors": _v(_BN_SHAPES, _judge("batch_norm", BATCH_NORM)),
    "test_BatchNorm_structure": _v(_BATCHNORM_STRUCTURE, _BatchNorm_structure),
    "test_BatchNorm_matches_torch": _v(_BATCHNORM_SEQUENCES, _judge("BatchNorm", BATCH_NORM_MODULE)),
    "test_BatchNorm_gradients": _v(_BATCHNORM_GRADIENTS, _judge("BatchNorm", BATCH_NORM_MODULE)),
    "test_batch_norm_backward_parameters": _v(_BWD_PARAMETERS, _judge(
        "batch_norm_backward", BACKWARD, {"float32, weight=None, eps=0.1: [dweight, dbias]": _FLOAT32_VS_FLOAT64})),
    "test_batch_norm_backward_dx": _v(_BWD_DX, _judge(
        "batch_norm_backward", BACKWARD, {"dx with weight=None (float32)": _FLOAT32_VS_FLOAT64})),
    "test_batch_norm_backward_by_hand": _v(_BWD_BY_HAND, _backward_by_hand),
    "test_layer_norm_values": _v(_LN_VALUES, _judge("layer_norm", LAYER_NORM)),
    "test_layer_norm_affine": _v(_LN_AFFINE, _judge("layer_norm", LAYER_NORM)),
    "test_layer_norm_errors_and_gradients": _v(_LN_ERRORS, _judge("layer_norm", LAYER_NORM)),
    "test_instance_norm_values": _v(_IN_VALUES, _judge("instance_norm", INSTANCE_NORM)),
    "test_instance_norm_affine_and_1d": _v(_IN_AFFINE, _judge("instance_norm", INSTANCE_NORM)),
    "test_instance_norm_errors_and_gradients": _v(_IN_ERRORS, _judge("instance_norm", INSTANCE_NORM)),
    "test_group_norm_values": _v(_GN_VALUES, _judge("group_norm", GROUP_NORM)),
    "test_group_norm_special_cases_and_affine": _v(_GN_SPECIAL, _judge("group_norm", GROUP_NORM)),
    "test_group_norm_errors_and_gradients": _v(_GN_ERRORS, _judge("group_norm", GROUP_NORM)),
    "test_WeightNormLinear_structure": _v(_WN_STRUCTURE, _WeightNormLinear_structure),
    "test_WeightNormLinear_forward": _v(_WN_FORWARD, _judge("WeightNormLinear", WEIGHT_NORM)),
    "test_WeightNormLinear_gradients": _v(_WN_GRADIENTS, _judge("WeightNormLinear", WEIGHT_NORM)),
}
