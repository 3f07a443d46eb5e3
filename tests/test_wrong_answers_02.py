"""Chapter 2: plausible wrong answers lose points; a differently written right answer keeps them.

Each wrong implementation below is a mistake learners really make with normalization
layers (the wrong variance, the wrong axes, the wrong momentum convention, eps in the wrong
place, ...). It is swapped in for the solution, the exercise's test cells (visible and
hidden) are re-run as nbgrader runs them, and at least one of them must fail. Each
alternative right implementation is written differently from the reference (other
primitives, other reshapes, other update formulas) and must pass every cell.
"""
from __future__ import annotations

import textwrap

from blind_answers.ch02_normalization import BLIND
from conftest import ROOT
from notebook_session import wrong_answer_tests

NOTEBOOK = ROOT / "solutions" / "02_normalization" / "02_normalization.ipynb"


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _raw(text: str) -> str:
    """A template as written below (indented), so that the mistakes can be spelled with its indentation."""
    return text.strip("\n")


def _variants(template: str, mistakes: dict[str, tuple[str, str]]) -> dict[str, str]:
    """One wrong answer per mistake: ``template`` with one (old, new) replacement each, then dedented."""
    out = {}
    for label, (old, new) in mistakes.items():
        assert template.count(old) == 1, f"{label}: {old!r} is not in the template exactly once"
        out[label] = textwrap.dedent(template.replace(old, new))
    return out


# ----------------------------------------------------------------------------- batch_norm
_BN = _raw('''
    def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
        if x.dim() not in (2, 3, 4):
            raise ValueError(f"bad shape {tuple(x.shape)}")
        C = x.shape[1]
        shape = (1, C) + (1,) * (x.dim() - 2)
        if training:
            dims = [0] + list(range(2, x.dim()))
            n = x.numel() // C
            if n <= 1:
                raise ValueError("one value per channel")
            mean = x.mean(dim=dims)
            var = ((x - mean.view(shape)) ** 2).mean(dim=dims)
            if running_mean is not None:
                with torch.no_grad():
                    running_mean.mul_(1 - momentum).add_(momentum * mean)
                    running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))
        else:
            mean, var = running_mean, running_var
        y = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + eps)
        if weight is not None:
            y = y * weight.view(shape)
        if bias is not None:
            y = y + bias.view(shape)
        return y
''')
_BN_UPDATE = '''                with torch.no_grad():
                    running_mean.mul_(1 - momentum).add_(momentum * mean)
                    running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))'''
_BN_TRAIN_HEAD = '''        if training:
            dims = [0] + list(range(2, x.dim()))'''

WRONG = {
    "batch_norm": _variants(_BN, {
        "unbiased variance to normalize": ("var = ((x - mean.view(shape)) ** 2).mean(dim=dims)",
                                           "var = ((x - mean.view(shape)) ** 2).sum(dim=dims) / (n - 1)"),
        "biased variance in running_var": ("momentum * var * n / (n - 1)", "momentum * var"),
        "Keras momentum convention": (_BN_UPDATE, '''                with torch.no_grad():
                    running_mean.mul_(momentum).add_((1 - momentum) * mean)
                    running_var.mul_(momentum).add_((1 - momentum) * var * n / (n - 1))'''),
        "eps outside the square root": ("torch.sqrt(var.view(shape) + eps)", "(torch.sqrt(var.view(shape)) + eps)"),
        "statistics per position (reduces dim 0 only)": ("dims = [0] + list(range(2, x.dim()))", "dims = [0]"),
        "batch statistics in eval mode": (_BN_TRAIN_HEAD, '''        if True:
            dims = [0] + list(range(2, x.dim()))'''),
        "no error for one value per channel": ('''            if n <= 1:
                raise ValueError("one value per channel")
''', ""),
        "running statistics rebound instead of updated in place": (_BN_UPDATE, '''                running_mean = (1 - momentum) * running_mean + momentum * mean
                running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)'''),
        "running statistics left in the autograd graph": (_BN_UPDATE, '''                running_mean.copy_((1 - momentum) * running_mean + momentum * mean)
                running_var.copy_((1 - momentum) * running_var + momentum * var * n / (n - 1))'''),
    }),
    "BatchNorm": {},
    "batch_norm_backward": {},
    "layer_norm": {},
    "instance_norm": {},
    "group_norm": {},
    "WeightNormLinear": {},
}
WRONG["batch_norm"]["calls F.batch_norm"] = _src('''
    def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
        return F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)
''')

# ----------------------------------------------------------------------------- BatchNorm
_BNM = _raw('''
    class BatchNorm(nn.Module):
        def __init__(self, num_features, eps=1e-5, momentum=0.1):
            super().__init__()
            self.num_features, self.eps, self.momentum = num_features, eps, momentum
            self.weight = nn.Parameter(torch.ones(num_features))
            self.bias = nn.Parameter(torch.zeros(num_features))
            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))
        def forward(self, x):
            return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              training=self.training, momentum=self.momentum, eps=self.eps)
''')
WRONG["BatchNorm"] = _variants(_BNM, {
    "running statistics as plain attributes": (
        '''            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))''',
        '''            self.running_mean = torch.zeros(num_features)
            self.running_var = torch.ones(num_features)'''),
    "running statistics as parameters": (
        '''            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))''',
        '''            self.running_mean = nn.Parameter(torch.zeros(num_features), requires_grad=False)
            self.running_var = nn.Parameter(torch.ones(num_features), requires_grad=False)'''),
    "always in training mode": ("training=self.training", "training=True"),
    "momentum ignored": ("momentum=self.momentum", "momentum=0.1"),
    "eps ignored": ("eps=self.eps)", "eps=1e-5)"),
    "random initial weight": ("self.weight = nn.Parameter(torch.ones(num_features))",
                              "self.weight = nn.Parameter(torch.rand(num_features))"),
})
WRONG["BatchNorm"]["wraps nn.BatchNorm1d"] = _src('''
    class BatchNorm(nn.BatchNorm1d):
        def _check_input_dim(self, x):
            pass
''')

# ----------------------------------------------------------------------------- batch_norm_backward
_BWD = _raw('''
    def batch_norm_backward(dout, x, weight, eps=1e-5):
        if x.dim() != 2 or x.shape[0] < 2:
            raise ValueError(f"bad shape {tuple(x.shape)}")
        if dout.shape != x.shape:
            raise ValueError("dout and x differ in shape")
        N = x.shape[0]
        mean = x.mean(dim=0)
        var = ((x - mean) ** 2).mean(dim=0)
        s = torch.sqrt(var + eps)
        x_hat = (x - mean) / s
        dbias = dout.sum(dim=0)
        dweight = (dout * x_hat).sum(dim=0)
        gamma = weight if weight is not None else torch.ones_like(s)
        dx = gamma / (N * s) * (N * dout - dbias - x_hat * dweight)
        return dx, dweight, dbias
''')
WRONG["batch_norm_backward"] = _variants(_BWD, {
    "ignores the paths through the mean and variance": (
        "dx = gamma / (N * s) * (N * dout - dbias - x_hat * dweight)", "dx = gamma / s * dout"),
    "only the path through the mean": (
        "dx = gamma / (N * s) * (N * dout - dbias - x_hat * dweight)", "dx = gamma / (N * s) * (N * dout - dbias)"),
    "forgets gamma in dx": ("dx = gamma / (N * s)", "dx = 1 / (N * s)"),
    "dweight from x instead of x_hat": ("dweight = (dout * x_hat).sum(dim=0)", "dweight = (dout * x).sum(dim=0)"),
    "unbiased variance": ("var = ((x - mean) ** 2).mean(dim=0)", "var = ((x - mean) ** 2).sum(dim=0) / (N - 1)"),
    "no error for N = 1": ("if x.dim() != 2 or x.shape[0] < 2:", "if x.dim() != 2:"),
})
WRONG["batch_norm_backward"]["uses autograd"] = _src('''
    def batch_norm_backward(dout, x, weight, eps=1e-5):
        if x.dim() != 2 or x.shape[0] < 2 or dout.shape != x.shape:
            raise ValueError("bad input")
        with torch.enable_grad():
            xg = x.detach().clone().requires_grad_()
            w = (weight if weight is not None else torch.ones(x.shape[1], dtype=x.dtype)).detach().clone().requires_grad_()
            b = torch.zeros(x.shape[1], dtype=x.dtype, requires_grad=True)
            mean = xg.mean(dim=0)
            var = ((xg - mean) ** 2).mean(dim=0)
            y = (xg - mean) / torch.sqrt(var + eps) * w + b
            y.backward(dout)
        return xg.grad, w.grad, b.grad
''')

# ----------------------------------------------------------------------------- layer_norm
_LN = _raw('''
    def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        normalized_shape = tuple(normalized_shape)
        k = len(normalized_shape)
        if k == 0 or x.dim() < k or tuple(x.shape[x.dim() - k:]) != normalized_shape:
            raise ValueError(f"bad normalized_shape {normalized_shape}")
        dims = list(range(x.dim() - k, x.dim()))
        mean = x.mean(dim=dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
        y = (x - mean) / torch.sqrt(var + eps)
        if weight is not None:
            y = y * weight
        if bias is not None:
            y = y + bias
        return y
''')
WRONG["layer_norm"] = _variants(_LN, {
    "always the last dimension only": ("dims = list(range(x.dim() - k, x.dim()))", "dims = [-1]"),
    "over the batch dimension": ("dims = list(range(x.dim() - k, x.dim()))", "dims = [0]"),
    "unbiased variance": ("var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)",
                          "var = x.var(dim=dims, keepdim=True)"),
    "eps outside the square root": ("torch.sqrt(var + eps)", "(torch.sqrt(var) + eps)"),
    "no check of normalized_shape": (
        '''        if k == 0 or x.dim() < k or tuple(x.shape[x.dim() - k:]) != normalized_shape:
            raise ValueError(f"bad normalized_shape {normalized_shape}")
''', ""),
})
WRONG["layer_norm"]["calls F.layer_norm"] = _src('''
    def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        return F.layer_norm(x, tuple(normalized_shape), weight, bias, eps)
''')

# ----------------------------------------------------------------------------- instance_norm
_IN = _raw('''
    def instance_norm(x, weight=None, bias=None, eps=1e-5):
        if x.dim() not in (3, 4):
            raise ValueError(f"bad shape {tuple(x.shape)}")
        if x[0, 0].numel() <= 1:
            raise ValueError("one spatial element")
        C = x.shape[1]
        shape = (1, C) + (1,) * (x.dim() - 2)
        dims = list(range(2, x.dim()))
        mean = x.mean(dim=dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
        y = (x - mean) / torch.sqrt(var + eps)
        if weight is not None:
            y = y * weight.view(shape)
        if bias is not None:
            y = y + bias.view(shape)
        return y
''')
WRONG["instance_norm"] = _variants(_IN, {
    "layer norm (channels reduced too)": ("dims = list(range(2, x.dim()))", "dims = list(range(1, x.dim()))"),
    "batch statistics (batch reduced too)": ("dims = list(range(2, x.dim()))", "dims = [0] + list(range(2, x.dim()))"),
    "unbiased variance": ("var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)", "var = x.var(dim=dims, keepdim=True)"),
    "eps outside the square root": ("torch.sqrt(var + eps)", "(torch.sqrt(var) + eps)"),
    "weight and bias ignored": ('''        if weight is not None:
            y = y * weight.view(shape)
        if bias is not None:
            y = y + bias.view(shape)
''', ""),
    "no error for 2-D input": ('''        if x.dim() not in (3, 4):
            raise ValueError(f"bad shape {tuple(x.shape)}")
        if x[0, 0].numel() <= 1:''', '''        if x.dim() > 2 and x[0, 0].numel() <= 1:'''),
})
WRONG["instance_norm"]["calls F.instance_norm"] = _src('''
    def instance_norm(x, weight=None, bias=None, eps=1e-5):
        return F.instance_norm(x, weight=weight, bias=bias, eps=eps)
''')

# ----------------------------------------------------------------------------- group_norm
_GN = _raw('''
    def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
        N, C = x.shape[:2]
        if num_groups <= 0 or C % num_groups != 0:
            raise ValueError(f"num_groups={num_groups} does not divide C={C}")
        xg = x.reshape(N, num_groups, -1)
        mean = xg.mean(dim=-1, keepdim=True)
        var = ((xg - mean) ** 2).mean(dim=-1, keepdim=True)
        y = ((xg - mean) / torch.sqrt(var + eps)).reshape(x.shape)
        shape = (1, C) + (1,) * (x.dim() - 2)
        if weight is not None:
            y = y * weight.view(shape)
        if bias is not None:
            y = y + bias.view(shape)
        return y
''')
WRONG["group_norm"] = _variants(_GN, {
    "num_groups read as channels per group": ("xg = x.reshape(N, num_groups, -1)", "xg = x.reshape(N, C // num_groups, -1)"),
    "interleaved groups (channel c in group c % G)": (
        '''        xg = x.reshape(N, num_groups, -1)
        mean = xg.mean(dim=-1, keepdim=True)
        var = ((xg - mean) ** 2).mean(dim=-1, keepdim=True)
        y = ((xg - mean) / torch.sqrt(var + eps)).reshape(x.shape)''',
        '''        xg = x.reshape(N, C // num_groups, num_groups, -1)
        mean = xg.mean(dim=(1, 3), keepdim=True)
        var = ((xg - mean) ** 2).mean(dim=(1, 3), keepdim=True)
        y = ((xg - mean) / torch.sqrt(var + eps)).reshape(x.shape)'''),
    "no check that num_groups divides C": ("if num_groups <= 0 or C % num_groups != 0:", "if num_groups <= 0:"),
    "unbiased variance": ("var = ((xg - mean) ** 2).mean(dim=-1, keepdim=True)", "var = xg.var(dim=-1, keepdim=True)"),
    "eps outside the square root": ("torch.sqrt(var + eps)", "(torch.sqrt(var) + eps)"),
    "weight applied before the reshape, per group": (
        '''        y = ((xg - mean) / torch.sqrt(var + eps)).reshape(x.shape)
        shape = (1, C) + (1,) * (x.dim() - 2)
        if weight is not None:
            y = y * weight.view(shape)''',
        '''        y = (xg - mean) / torch.sqrt(var + eps)
        if weight is not None:
            y = y * weight[:num_groups].view(1, num_groups, 1)
        y = y.reshape(x.shape)
        shape = (1, C) + (1,) * (x.dim() - 2)'''),
})
WRONG["group_norm"]["calls F.group_norm"] = _src('''
    def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
        return F.group_norm(x, num_groups, weight, bias, eps)
''')

# ----------------------------------------------------------------------------- WeightNormLinear
_WN = _raw('''
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
''')
WRONG["WeightNormLinear"] = _variants(_WN, {
    "one norm for the whole matrix": ("weight = self.weight_g * v / torch.sqrt((v ** 2).sum(dim=1, keepdim=True))",
                                      "weight = self.weight_g * v / torch.sqrt((v ** 2).sum())"),
    "norm over the output dimension": ("weight = self.weight_g * v / torch.sqrt((v ** 2).sum(dim=1, keepdim=True))",
                                       "weight = self.weight_g * v / torch.sqrt((v ** 2).sum(dim=0, keepdim=True))"),
    "g initialized to ones": ("self.weight_g = nn.Parameter(torch.sqrt((v ** 2).sum(dim=1, keepdim=True)))",
                              "self.weight_g = nn.Parameter(torch.ones(out_features, 1))"),
    "g of shape (out,)": (
        '''            self.weight_g = nn.Parameter(torch.sqrt((v ** 2).sum(dim=1, keepdim=True)))''',
        '''            self.weight_g = nn.Parameter(torch.sqrt((v ** 2).sum(dim=1)))'''),
    "v detached in forward": ("            v = self.weight_v\n", "            v = self.weight_v.detach()\n"),
    "bias always zero": ("self.bias = nn.Parameter(linear.bias.detach().clone())",
                         "self.bias = nn.Parameter(torch.zeros(out_features))"),
})
WRONG["WeightNormLinear"]["g of shape (out,)"] = WRONG["WeightNormLinear"]["g of shape (out,)"].replace(
    "weight = self.weight_g * v", "weight = self.weight_g.unsqueeze(1) * v")
WRONG["WeightNormLinear"]["wraps parametrizations.weight_norm"] = _src('''
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

# Every exercise also loses points when it hands the work to the course's reference.
for _name in WRONG:
    WRONG[_name]["imports the traintech reference"] = f"from traintech.normalization import {_name}"

RIGHT = {
    "batch_norm": _src('''
        def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
            if not 2 <= x.ndim <= 4:
                raise ValueError(f"expected (N, C), (N, C, L) or (N, C, H, W), got {x.ndim}-D input")
            C = x.size(1)
            flat = x.transpose(0, 1).reshape(C, -1)          # (C, n): one row per channel
            if training:
                n = flat.size(1)
                if n < 2:
                    raise ValueError(f"need more than one value per channel in training, got {tuple(x.shape)}")
                var, mean = torch.var_mean(flat, dim=1, unbiased=False)
                if running_mean is not None:
                    with torch.no_grad():
                        running_mean.lerp_(mean.to(running_mean.dtype), momentum)
                        running_var.lerp_((var * (n / (n - 1))).to(running_var.dtype), momentum)
            else:
                if running_mean is None:
                    raise ValueError("running statistics are required in eval mode")
                mean, var = running_mean, running_var
            scale = torch.rsqrt(var + eps)
            shift = -mean * scale
            if weight is not None:
                scale, shift = scale * weight, shift * weight
            if bias is not None:
                shift = shift + bias
            expand = [1, C] + [1] * (x.ndim - 2)
            return x * scale.reshape(expand) + shift.reshape(expand)
    '''),
    "BatchNorm": _src('''
        class BatchNorm(nn.Module):
            def __init__(self, num_features, eps=1e-5, momentum=0.1):
                super().__init__()
                self.num_features = num_features
                self.eps = eps
                self.momentum = momentum
                self.weight = nn.Parameter(torch.empty(num_features))
                self.bias = nn.Parameter(torch.empty(num_features))
                self.register_buffer("running_mean", torch.empty(num_features))
                self.register_buffer("running_var", torch.empty(num_features))
                self.register_buffer("num_batches_tracked", torch.tensor(0))
                self.reset_parameters()
            def reset_parameters(self):
                with torch.no_grad():
                    self.weight.fill_(1.0)
                    self.bias.zero_()
                    self.running_mean.zero_()
                    self.running_var.fill_(1.0)
            def forward(self, x):
                if self.training:
                    self.num_batches_tracked += 1
                return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                  self.training, self.momentum, self.eps)
    '''),
    "batch_norm_backward": _src('''
        def batch_norm_backward(dout, x, weight, eps=1e-5):
            # staged backpropagation through the computational graph, node by node
            if x.ndim != 2:
                raise ValueError(f"x must be (N, D), got {tuple(x.shape)}")
            if tuple(dout.shape) != tuple(x.shape):
                raise ValueError("dout must match x")
            N, D = x.shape
            if N == 1:
                raise ValueError("N must be at least 2")
            gamma = torch.ones(D, dtype=x.dtype) if weight is None else weight
            mu = x.sum(0) / N
            xc = x - mu
            var = (xc * xc).sum(0) / N
            std = (var + eps).sqrt()
            inv = 1.0 / std
            xhat = xc * inv
            dbeta = dout.sum(0)
            dgamma = (dout * xhat).sum(0)
            dxhat = dout * gamma
            dinv = (dxhat * xc).sum(0)
            dxc = dxhat * inv
            dstd = -dinv / std ** 2
            dvar = dstd / (2 * std)
            dxc = dxc + 2 * xc * dvar / N
            dmu = -dxc.sum(0)
            dx = dxc + dmu / N
            return dx, dgamma, dbeta
    '''),
    "layer_norm": _src('''
        def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
            shape = [normalized_shape] if isinstance(normalized_shape, int) else list(normalized_shape)
            if not shape or list(x.shape[len(x.shape) - len(shape):]) != shape or x.ndim < len(shape):
                raise ValueError(f"normalized_shape {shape} does not match the end of {list(x.shape)}")
            lead = x.shape[:x.ndim - len(shape)]
            rows = x.reshape(-1, math.prod(shape))                 # one row per sample
            var, mean = torch.var_mean(rows, dim=1, keepdim=True, correction=0)
            out = ((rows - mean) * torch.rsqrt(var + eps)).reshape(*lead, *shape)
            if weight is not None:
                out = out * weight
            if bias is not None:
                out = out + bias
            return out
    '''),
    "instance_norm": _src('''
        def instance_norm(x, weight=None, bias=None, eps=1e-5):
            if x.ndim < 3 or x.ndim > 4:
                raise ValueError(f"expected 3-D or 4-D input, got {tuple(x.shape)}")
            N, C = x.shape[0], x.shape[1]
            flat = x.flatten(2)                                     # (N, C, L)
            if flat.shape[2] < 2:
                raise ValueError("need more than one spatial element per channel")
            centred = flat - flat.mean(dim=2, keepdim=True)
            out = centred / (centred.pow(2).mean(dim=2, keepdim=True) + eps).sqrt()
            if weight is not None:
                out = out * weight[None, :, None]
            if bias is not None:
                out = out + bias[None, :, None]
            return out.reshape(x.shape)
    '''),
    "group_norm": _src('''
        def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
            C = x.shape[1]
            if num_groups < 1 or C % num_groups:
                raise ValueError(f"{C} channels cannot be split into {num_groups} groups")
            pieces = []
            for chunk in torch.chunk(x, num_groups, dim=1):         # consecutive channels
                dims = tuple(range(1, x.ndim))
                mean = chunk.mean(dim=dims, keepdim=True)
                var = chunk.var(dim=dims, keepdim=True, unbiased=False)
                pieces.append((chunk - mean) / torch.sqrt(var + eps))
            out = torch.cat(pieces, dim=1)
            view = (1, C) + (1,) * (x.ndim - 2)
            if weight is not None:
                out = out * weight.reshape(view)
            if bias is not None:
                out = out + bias.reshape(view)
            return out
    '''),
    "WeightNormLinear": _src('''
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
}


(session, test_reference_solution_passes_every_test_cell, test_wrong_answer_loses_points,
 test_another_right_answer_keeps_every_point, test_blind_answer_keeps_every_point) = wrong_answer_tests(
    NOTEBOOK, WRONG, RIGHT, BLIND)
