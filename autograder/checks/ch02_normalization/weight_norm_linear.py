"""class WeightNormLinear(nn.Module), WeightNormLinear(in_features, out_features, bias=True): the test
cells, wrong answers and right answers."""
import math

import torch

from autograder.checks import Cell, Check
from traintech.checking import agree, entry, equal, expect_tensor, gradients_consistent
from traintech.testing import assert_close, assert_true

from ._shared import gradient_probe_of, source, variants

EXERCISE = "WeightNormLinear"
# PyTorch's is a function of a module (torch.nn.utils.parametrizations.weight_norm(nn.Linear(...)),
# with the parameters original0 and original1), not a layer of this signature; the reference layer
# computes the same (tests/test_normalization.py)
REFERENCE = "traintech.reference.normalization.WeightNormLinear"
WEIGHT_NORM_FORBIDDEN = [
    "torch.nn.utils.parametrizations.weight_norm", "torch.nn.utils.weight_norm", "torch._weight_norm",
    "torch._weight_norm_interface", "torch.norm_except_dim"]


def set_weight_norm_parameters(layer, v, g, bias=None):
    """``layer`` with ``weight_v``, ``weight_g`` (and ``bias``) set to the given values."""
    with torch.no_grad():
        layer.weight_v.copy_(v)
        layer.weight_g.copy_(g)
        if bias is not None:
            layer.bias.copy_(bias)
    return layer


# ----------------------------------------------------------------------------- test_WeightNormLinear_structure


def collect_WeightNormLinear_structure(WeightNormLinear):
    """Parameters weight_v (out, in), weight_g (out, 1) and bias (out,); initially g = ||v|| row by row."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        layer = WeightNormLinear(7, 3)
    params = dict(layer.named_parameters())
    return {"parameters": sorted(params), "weight_v": params.get("weight_v"), "weight_g": params.get("weight_g")}


def judge_WeightNormLinear_structure(got, ref, context):
    context.no_delegation("WeightNormLinear", WEIGHT_NORM_FORBIDDEN)
    params = entry(got, "parameters")
    assert_true(equal(params, ref["parameters"]),
                f"WeightNormLinear should have the parameters weight_v, weight_g and bias, got {params!r:.200}")
    v = expect_tensor(entry(got, "weight_v"), "weight_v", shape=ref["weight_v"].shape)
    g = expect_tensor(entry(got, "weight_g"), "weight_g", shape=ref["weight_g"].shape)
    assert_close(g, torch.linalg.vector_norm(v, dim=1, keepdim=True), name="the initial weight_g",
                 hint="initialize g to the norm of each row of v (over the input dimension).")


def collect_WeightNormLinear_structure_more(WeightNormLinear):
    with torch.random.fork_rng():
        torch.manual_seed(0)
        layer = WeightNormLinear(7, 3)
        no_bias = WeightNormLinear(5, 2, bias=False)
        big = WeightNormLinear(400, 300)
    return {"the shape of bias": list(getattr(layer.bias, "shape", [])),
            "WeightNormLinear(5, 2, bias=False).bias is None": no_bias.bias is None,
            "the parameters of WeightNormLinear(5, 2, bias=False)": sorted(dict(no_bias.named_parameters())),
            "WeightNormLinear(400, 300).weight_v": big.weight_v, "WeightNormLinear(400, 300).bias": big.bias}


def judge_WeightNormLinear_structure_more(got, ref, context):
    agree(got, ref, "the shape of bias")
    agree(got, ref, "WeightNormLinear(5, 2, bias=False).bias is None", "the parameters of WeightNormLinear(5, 2, bias=False)",
          hint="with bias=False the layer should have no bias: self.register_parameter('bias', None).")
    v = expect_tensor(entry(got, "WeightNormLinear(400, 300).weight_v"), "WeightNormLinear(400, 300).weight_v",
                      shape=ref["WeightNormLinear(400, 300).weight_v"].shape).double()
    b = expect_tensor(entry(got, "WeightNormLinear(400, 300).bias"), "WeightNormLinear(400, 300).bias",
                      shape=ref["WeightNormLinear(400, 300).bias"].shape).double()
    bound = 1 / math.sqrt(ref["WeightNormLinear(400, 300).weight_v"].shape[1])
    assert_true(0.9 * bound < v.abs().max().item() <= bound + 1e-6,
                f"weight_v should be initialized as nn.Linear's weight, uniform in (-{bound:.3f}, {bound:.3f})")
    assert_true(b.abs().max().item() <= bound + 1e-6 and b.std().item() > 0.3 * bound,
                "bias should be initialized as nn.Linear's bias")


# ----------------------------------------------------------------------------- test_WeightNormLinear_forward


def collect_WeightNormLinear_forward(WeightNormLinear):
    """For given g, v and bias, the output is torch.nn.utils.parametrizations.weight_norm(nn.Linear(...))'s."""
    g = torch.Generator().manual_seed(40)
    with torch.random.fork_rng():
        torch.manual_seed(1)
        layer = WeightNormLinear(6, 4)
    # g away from ||v||, so that the reparameterization matters
    set_weight_norm_parameters(layer, v=torch.randn(4, 6, generator=g), g=torch.rand(4, 1, generator=g) * 2 + 0.5,
                               bias=torch.randn(4, generator=g))
    return {"WeightNormLinear(6, 4) output": layer(torch.randn(5, 6, generator=g))}


def judge_WeightNormLinear_forward(got, ref, context):
    context.no_delegation("WeightNormLinear", WEIGHT_NORM_FORBIDDEN)
    agree(got, ref, "WeightNormLinear(6, 4) output",
          hint="effective weight g * v / ||v||, with ||v|| the norm of each row (dim=1, keepdim=True); "
               "then x @ W.T + bias.")


def collect_WeightNormLinear_forward_more(WeightNormLinear):
    g = torch.Generator().manual_seed(140)
    with torch.random.fork_rng():
        torch.manual_seed(2)
        layer = WeightNormLinear(3, 5, bias=False).double()
    set_weight_norm_parameters(layer, v=torch.randn(5, 3, generator=g, dtype=torch.float64) * 3,
                               g=torch.rand(5, 1, generator=g, dtype=torch.float64) + 0.5)
    x = torch.randn(2, 7, 3, generator=g, dtype=torch.float64)
    return {"WeightNormLinear(3, 5, bias=False) on (2, 7, 3) float64 input": layer(x)}


def judge_WeightNormLinear_forward_more(got, ref, context):
    agree(got, ref, "WeightNormLinear(3, 5, bias=False) on (2, 7, 3) float64 input")


# ----------------------------------------------------------------------------- test_WeightNormLinear_gradients


def collect_WeightNormLinear_gradients(WeightNormLinear):
    """Gradients with respect to g, v, bias and x match PyTorch's weight_norm."""
    g = torch.Generator().manual_seed(41)
    with torch.random.fork_rng():
        torch.manual_seed(3)
        layer = WeightNormLinear(4, 3)
    v = torch.randn(3, 4, generator=g)
    set_weight_norm_parameters(layer, v=v, g=torch.linalg.vector_norm(v, dim=1, keepdim=True) * 1.5,
                               bias=torch.randn(3, generator=g))
    x = torch.randn(6, 4, generator=g).requires_grad_()
    ((layer(x) - torch.randn(6, 3, generator=g)) ** 2).sum().backward()
    return {"weight_v": v, "the gradient of weight_g": layer.weight_g.grad, "the gradient of weight_v": layer.weight_v.grad,
            "the gradient of bias": layer.bias.grad, "the gradient of the input": x.grad}


def judge_WeightNormLinear_gradients(got, ref, context):
    context.no_delegation("WeightNormLinear", WEIGHT_NORM_FORBIDDEN)
    assert_true(entry(got, "the gradient of weight_g") is not None and entry(got, "the gradient of weight_v") is not None,
                "weight_g and weight_v received no gradient: compute the effective weight from them in forward().")
    agree(got, ref, "the gradient of weight_g")
    agree(got, ref, "the gradient of weight_v",
          hint="the effective weight must be computed from weight_v in every forward pass (no detach).")
    agree(got, ref, "the gradient of bias", "the gradient of the input")


def collect_WeightNormLinear_gradients_more(WeightNormLinear):
    g = torch.Generator().manual_seed(141)
    with torch.random.fork_rng():
        torch.manual_seed(4)
        layer64 = WeightNormLinear(3, 2).double()
    set_weight_norm_parameters(layer64, v=torch.randn(2, 3, generator=g, dtype=torch.float64),
                               g=torch.rand(2, 1, generator=g, dtype=torch.float64) + 0.5,
                               bias=torch.randn(2, generator=g, dtype=torch.float64))
    found = collect_WeightNormLinear_gradients(WeightNormLinear)  # the visible check's layer and gradients
    return {"gradient": gradient_probe_of(lambda t: layer64(t), torch.randn(4, 3, generator=g), seed=1),
            "weight_v": found["weight_v"], "the gradient of weight_v": found["the gradient of weight_v"]}


def judge_WeightNormLinear_gradients_more(got, ref, context):
    gradients_consistent(entry(got, "gradient"), ref["gradient"], "WeightNormLinear.forward")
    v = ref["weight_v"].double()
    v_grad = expect_tensor(entry(got, "the gradient of weight_v"), "the gradient of weight_v", shape=v.shape).double()
    # mathematically 0; in float32, rounding leaves about 1e-7 of the vectors' lengths, on any CPU
    cosine = (v_grad * v).sum(dim=1) / (torch.linalg.vector_norm(v_grad, dim=1) * torch.linalg.vector_norm(v, dim=1))
    assert_close(cosine, torch.zeros(v.shape[0], dtype=torch.float64), atol=1e-4,
                 name="the cosine between each row of v's gradient and of v",
                 hint="the gradient of v must be orthogonal to v: normalize by the norm of each row of v.")


CELLS = [
    Cell("test_WeightNormLinear_structure", points=1, checks=[
        Check(collect_WeightNormLinear_structure, judge_WeightNormLinear_structure),
        Check(collect_WeightNormLinear_structure_more, judge_WeightNormLinear_structure_more, hidden=True),
    ]),
    Cell("test_WeightNormLinear_forward", points=2, checks=[
        Check(collect_WeightNormLinear_forward, judge_WeightNormLinear_forward),
        Check(collect_WeightNormLinear_forward_more, judge_WeightNormLinear_forward_more, hidden=True),
    ]),
    Cell("test_WeightNormLinear_gradients", points=1, checks=[
        Check(collect_WeightNormLinear_gradients, judge_WeightNormLinear_gradients),
        Check(collect_WeightNormLinear_gradients_more, judge_WeightNormLinear_gradients_more, hidden=True),
    ]),
]

# ----------------------------------------------------------------------------- answers

_TEMPLATE = '''
    class WeightNormLinear(nn.Module):
        def __init__(self, in_features, out_features, bias=True):
            super().__init__()
            self.in_features, self.out_features = in_features, out_features
            linear = nn.Linear(in_features, out_features, bias=bias)
            v = linear.weight.detach().clone()
            self.weight_v = nn.Parameter(v)
            self.weight_g = nn.Parameter(torch.sqrt((v ** 2).sum(dim=1, keepdim=True)))
            if bias:
                self.bias = nn.Parameter(linear.bias.detach().clone())
            else:
                self.register_parameter("bias", None)
        def forward(self, x):
            v = self.weight_v
            weight = self.weight_g * v / torch.sqrt((v ** 2).sum(dim=1, keepdim=True))
            y = x @ weight.t()
            if self.bias is not None:
                y = y + self.bias
            return y
'''
WRONG = variants(_TEMPLATE, {
    "one norm for the whole matrix": ("weight = self.weight_g * v / torch.sqrt((v ** 2).sum(dim=1, keepdim=True))",
                                      "weight = self.weight_g * v / torch.sqrt((v ** 2).sum())"),
    "norm over the output dimension": ("weight = self.weight_g * v / torch.sqrt((v ** 2).sum(dim=1, keepdim=True))",
                                       "weight = self.weight_g * v / torch.sqrt((v ** 2).sum(dim=0, keepdim=True))"),
    "g initialized to ones": ("self.weight_g = nn.Parameter(torch.sqrt((v ** 2).sum(dim=1, keepdim=True)))",
                              "self.weight_g = nn.Parameter(torch.ones(out_features, 1))"),
    "g of shape (out,)": ('''            self.weight_g = nn.Parameter(torch.sqrt((v ** 2).sum(dim=1, keepdim=True)))''',
                          '''            self.weight_g = nn.Parameter(torch.sqrt((v ** 2).sum(dim=1)))'''),
    "v detached in forward": ("            v = self.weight_v\n", "            v = self.weight_v.detach()\n"),
    "bias always zero": ("self.bias = nn.Parameter(linear.bias.detach().clone())",
                         "self.bias = nn.Parameter(torch.zeros(out_features))"),
})
WRONG["g of shape (out,)"] = WRONG["g of shape (out,)"].replace("weight = self.weight_g * v",
                                                                "weight = self.weight_g.unsqueeze(1) * v")
WRONG["wraps parametrizations.weight_norm"] = source('''
    class WeightNormLinear(nn.Module):
        def __init__(self, in_features, out_features, bias=True):
            super().__init__()
            self.inner = torch.nn.utils.parametrizations.weight_norm(nn.Linear(in_features, out_features, bias=bias))
            self.weight_g = self.inner.parametrizations.weight.original0
            self.weight_v = self.inner.parametrizations.weight.original1
            self.bias = self.inner.bias
        def forward(self, x):
            return self.inner(x)
''')
WRONG["imports the traintech reference"] = "from traintech.reference.normalization import WeightNormLinear\n"

RIGHT = {
    "kaiming_uniform_ by hand, vector_norm, F.linear": source('''
        class WeightNormLinear(nn.Module):
            def __init__(self, in_features, out_features, bias=True):
                super().__init__()
                self.weight_v = nn.Parameter(torch.empty(out_features, in_features))
                nn.init.kaiming_uniform_(self.weight_v, a=math.sqrt(5))
                self.weight_g = nn.Parameter(torch.linalg.vector_norm(self.weight_v.detach(), dim=1).unsqueeze(1))
                if bias:
                    bound = 1 / math.sqrt(in_features)
                    self.bias = nn.Parameter(torch.empty(out_features).uniform_(-bound, bound))
                else:
                    self.bias = None
            def forward(self, x):
                direction = self.weight_v / torch.linalg.vector_norm(self.weight_v, dim=1, keepdim=True)
                return F.linear(x, self.weight_g * direction, self.bias)
    '''),
    "blind: copy from nn.Linear, F.linear": r'''class WeightNormLinear(nn.Module):
    """A linear layer whose weight rows are reparameterized as g * v / ||v||."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        base = nn.Linear(in_features, out_features, bias=bias)
        self.weight_v = nn.Parameter(base.weight.detach().clone())
        self.weight_g = nn.Parameter(torch.linalg.vector_norm(self.weight_v.detach(), dim=1, keepdim=True))
        if bias:
            self.bias = nn.Parameter(base.bias.detach().clone())
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        w = self.weight_g * self.weight_v / torch.linalg.vector_norm(self.weight_v, dim=1, keepdim=True)
        return F.linear(x, w, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
''',
    "blind: manual uniform init (math), x @ W.T": r'''class WeightNormLinear(nn.Module):
    """Weight-normalized linear layer: W = g * v / ||v|| row by row."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight_v = nn.Parameter(torch.empty(out_features, in_features))
        self.weight_g = nn.Parameter(torch.empty(out_features, 1))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        # nn.Linear's default: kaiming_uniform_(a=sqrt(5)) == U(-1/sqrt(fan_in), 1/sqrt(fan_in)), same for the bias
        bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        with torch.no_grad():
            self.weight_v.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)
            self.weight_g.copy_(self.weight_v.pow(2).sum(dim=1, keepdim=True).sqrt())

    def effective_weight(self):
        v = self.weight_v
        return v * (self.weight_g / torch.sqrt((v * v).sum(dim=1, keepdim=True)))

    def forward(self, x):
        out = x @ self.effective_weight().T
        if self.bias is not None:
            out = out + self.bias
        return out

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: manual_linear_init_matmul (issue 16's release)"] = r'''\
class WeightNormLinear(nn.Module):
    """A linear layer whose weight rows are reparameterized as g * v / ||v|| (Salimans & Kingma, 2016).

    ``forward(x)`` returns ``x @ W.T + bias`` with the effective weight
    ``W = weight_g * weight_v / ||weight_v||`` (the norm of each row), recomputed from
    ``weight_g`` and ``weight_v`` at every call so that both receive gradients.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: if False, the layer has no bias. Default: True

    Shape:
        - Input: (*, in_features).
        - Output: (*, out_features).

    Attributes:
        weight_v: parameter (out_features, in_features), initialized as ``nn.Linear``'s weight.
        weight_g: parameter (out_features, 1), initialized to the row norms of ``weight_v``.
        bias: parameter (out_features,), initialized as ``nn.Linear``'s bias; None if ``bias=False``.
    """

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        # nn.Linear's initialization, done by hand (the same random draws, in the same order)
        v = torch.empty(out_features, in_features)
        nn.init.kaiming_uniform_(v, a=5 ** 0.5)
        self.weight_v = nn.Parameter(v)
        self.weight_g = nn.Parameter(torch.sqrt((v ** 2).sum(dim=1, keepdim=True)))
        if bias:
            bound = in_features ** -0.5 if in_features > 0 else 0
            self.bias = nn.Parameter(torch.empty(out_features).uniform_(-bound, bound))
        else:
            self.register_parameter("bias", None)

    def forward(self, x):
        row_norms = torch.sqrt((self.weight_v ** 2).sum(dim=1, keepdim=True))
        w = self.weight_g * self.weight_v / row_norms
        y = torch.matmul(x, w.t())
        if self.bias is not None:
            y = y + self.bias
        return y

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
'''
RIGHT["blind: copy_linear_F_linear (issue 16's release)"] = r'''\
class WeightNormLinear(nn.Module):
    """A linear layer whose weight rows are reparameterized as g * v / ||v|| (Salimans & Kingma, 2016).

    ``forward(x)`` returns ``x @ W.T + bias`` with the effective weight
    ``W = weight_g * weight_v / ||weight_v||`` (the norm of each row), recomputed from
    ``weight_g`` and ``weight_v`` at every call so that both receive gradients.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: if False, the layer has no bias. Default: True

    Shape:
        - Input: (*, in_features).
        - Output: (*, out_features).

    Attributes:
        weight_v: parameter (out_features, in_features), initialized as ``nn.Linear``'s weight.
        weight_g: parameter (out_features, 1), initialized to the row norms of ``weight_v``.
        bias: parameter (out_features,), initialized as ``nn.Linear``'s bias; None if ``bias=False``.
    """

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        reference = nn.Linear(in_features, out_features, bias=bias)
        self.weight_v = nn.Parameter(reference.weight.detach().clone())
        self.weight_g = nn.Parameter(torch.linalg.vector_norm(self.weight_v.detach(), ord=2, dim=1, keepdim=True))
        self.register_parameter("bias", nn.Parameter(reference.bias.detach().clone()) if bias else None)

    def effective_weight(self):
        """g * v / ||v||, one norm per output row (over the input dimension)."""
        return self.weight_g * (self.weight_v / self.weight_v.norm(p=2, dim=1, keepdim=True))

    def forward(self, x):
        return F.linear(x, self.effective_weight(), self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
'''
