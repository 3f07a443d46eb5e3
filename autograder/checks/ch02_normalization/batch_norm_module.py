"""class BatchNorm(nn.Module), BatchNorm(num_features, eps=1e-5, momentum=0.1): the test cells, wrong
answers and right answers."""
import torch
from torch import nn

from autograder.checks import Cell, Check
from traintech.checking import agree, entry, equal, same
from traintech.testing import assert_true

from ._shared import source, variants

EXERCISE = "BatchNorm"
# PyTorch has two layers (nn.BatchNorm1d refuses 4-D input, nn.BatchNorm2d refuses 2-D and 3-D input):
# the reference is the one layer the exercise asks for, which behaves like each on its inputs
REFERENCE = "traintech.reference.normalization.BatchNorm"
BATCHNORM_FORBIDDEN = [
    "torch.nn.functional.batch_norm", "torch.batch_norm", "torch.native_batch_norm", "torch.nn.BatchNorm1d",
    "torch.nn.BatchNorm2d", "torch.nn.functional.instance_norm", "torch.nn.functional.group_norm",
    "torch.nn.functional.layer_norm", "torch.nn.modules.batchnorm._BatchNorm",
    "torch.nn.modules.batchnorm._NormBase"]  # (a subclass of PyTorch's batch norm is not yours either)


# ----------------------------------------------------------------------------- test_BatchNorm_structure


def collect_BatchNorm_structure(BatchNorm):
    """Parameters weight and bias, buffers running_mean and running_var, initialized like nn.BatchNorm1d."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        layer = BatchNorm(5)
    params, buffers = dict(layer.named_parameters()), dict(layer.named_buffers())
    return {"parameters": sorted(params), "buffers": sorted(buffers),
            "the initial weight": params.get("weight"), "the initial bias": params.get("bias"),
            "the initial running_mean": buffers.get("running_mean"),
            "the initial running_var": buffers.get("running_var")}


def judge_BatchNorm_structure(got, ref, context):
    context.no_delegation("BatchNorm", BATCHNORM_FORBIDDEN)
    params, buffers = entry(got, "parameters"), entry(got, "buffers")
    assert_true(equal(params, ref["parameters"]),
                f"BatchNorm should have the parameters weight and bias, got {params!r:.200}")
    assert_true(isinstance(buffers, list) and "running_mean" in buffers and "running_var" in buffers,
                f"BatchNorm should register the buffers running_mean and running_var, got {buffers!r:.200}",
                hint="self.register_buffer('running_mean', torch.zeros(num_features)); buffers are not parameters.")
    agree(got, ref, "the initial weight", "the initial bias", "the initial running_mean", "the initial running_var")


def collect_BatchNorm_structure_more(BatchNorm):
    with torch.random.fork_rng():
        torch.manual_seed(0)
        layer = BatchNorm(5)
        other = BatchNorm(3, eps=0.1, momentum=0.3)
    return {"the state_dict's entries": sorted(layer.state_dict()), "BatchNorm is an nn.Module": isinstance(layer, nn.Module),
            "BatchNorm(3, eps=0.1, momentum=0.3).momentum": getattr(other, "momentum", None)}


def judge_BatchNorm_structure_more(got, ref, context):
    state = entry(got, "the state_dict's entries")
    assert_true(isinstance(state, list) and all(name in state for name in ("weight", "bias", "running_mean", "running_var")),
                f"the state_dict should hold weight, bias, running_mean and running_var, got {state!r:.200}")
    agree(got, ref, "BatchNorm is an nn.Module")
    agree(got, ref, "BatchNorm(3, eps=0.1, momentum=0.3).momentum", hint="keep momentum in self.momentum.")


# ----------------------------------------------------------------------------- test_BatchNorm_matches_torch


def batchnorm_calls(layer, calls, seed):
    """``layer``'s output and running statistics after each call of ``calls`` ((input shape, train mode)
    pairs), with a random weight and bias and random inputs of the layer's dtype."""
    g = torch.Generator().manual_seed(seed)
    dtype = layer.weight.dtype
    with torch.no_grad():
        layer.weight.copy_(torch.randn(layer.weight.shape, generator=g, dtype=dtype))
        layer.bias.copy_(torch.randn(layer.bias.shape, generator=g, dtype=dtype))
    record = {}
    for step, (shape, train) in enumerate(calls):
        x = torch.randn(shape, generator=g, dtype=dtype) * 2 + 1
        layer.train(train)
        out = layer(x)
        record[f"call {step + 1} ({'train' if train else 'eval'} mode, input {shape})"] = {
            "output": out, "running_mean": layer.running_mean.clone(), "running_var": layer.running_var.clone()}
    return record


def judge_batchnorm_calls(got, ref, what):
    """Each call's output and running statistics, in order, as the reference layer's."""
    for call, expected in ref.items():
        mine = entry(got, call)
        same(entry(mine, "output"), expected["output"], f"{what}: the output of {call}",
             hint="train mode: batch statistics; eval mode: running statistics (check self.training).")
        same(entry(mine, "running_mean"), expected["running_mean"], f"{what}: running_mean after {call}")
        same(entry(mine, "running_var"), expected["running_var"], f"{what}: running_var after {call}",
             hint="running_var differs: did you use the unbiased variance?")


def collect_BatchNorm_sequences(BatchNorm):
    """Through a sequence of train and eval calls, BatchNorm behaves like nn.BatchNorm1d / nn.BatchNorm2d."""
    calls = [((8, 4), True), ((8, 4), True), ((3, 4), False), ((16, 4), True), ((1, 4), False)]
    calls2d = [((2, 3, 5, 5), True), ((4, 3, 5, 5), True), ((1, 3, 5, 5), False), ((2, 3, 4, 4), True)]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        layer, layer2d = BatchNorm(4), BatchNorm(3)
    return {"BatchNorm(4), like nn.BatchNorm1d(4)": batchnorm_calls(layer, calls, seed=0),
            "BatchNorm(3), like nn.BatchNorm2d(3)": batchnorm_calls(layer2d, calls2d, seed=1)}


def judge_BatchNorm_sequences(got, ref, context):
    context.no_delegation("BatchNorm", BATCHNORM_FORBIDDEN)
    for what in ref:
        judge_batchnorm_calls(entry(got, what), ref[what], what)


def collect_BatchNorm_sequences_more(BatchNorm):
    calls1d = [((4, 2, 7), True), ((6, 2, 7), True), ((2, 2, 7), False), ((5, 2, 3), True), ((1, 2, 3), False)]
    calls2d = [((2, 3, 5, 5), True), ((4, 3, 5, 5), True), ((1, 3, 5, 5), False), ((2, 3, 4, 4), True)]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        layer1d, layer2d = BatchNorm(2, eps=1e-2, momentum=0.3), BatchNorm(3, momentum=0.05).double()
    return {"BatchNorm(2, eps=0.01, momentum=0.3), like nn.BatchNorm1d on (N, 2, L)": batchnorm_calls(layer1d, calls1d, 2),
            "BatchNorm(3, momentum=0.05).double(), like nn.BatchNorm2d": batchnorm_calls(layer2d, calls2d, 3)}


def judge_BatchNorm_sequences_more(got, ref, context):
    for what in ref:
        judge_batchnorm_calls(entry(got, what), ref[what], what)


# ----------------------------------------------------------------------------- test_BatchNorm_gradients


def collect_BatchNorm_gradients(BatchNorm):
    """Gradients reach weight, bias and the input, as in nn.BatchNorm2d."""
    g = torch.Generator().manual_seed(4)
    x = torch.randn(4, 3, 2, 2, generator=g).requires_grad_()
    target = torch.randn(4, 3, 2, 2, generator=g)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        layer = BatchNorm(3)
    ((layer(x) - target) ** 2).sum().backward()
    return {"the gradient of weight": layer.weight.grad, "the gradient of bias": layer.bias.grad,
            "the gradient of the input": x.grad}


def judge_BatchNorm_gradients(got, ref, context):
    context.no_delegation("BatchNorm", BATCHNORM_FORBIDDEN)
    assert_true(entry(got, "the gradient of weight") is not None and entry(got, "the gradient of bias") is not None,
                "weight and bias received no gradient: make them nn.Parameter and use them in forward.")
    agree(got, ref, "the gradient of weight", "the gradient of bias", "the gradient of the input")


def collect_BatchNorm_gradients_more(BatchNorm):
    g = torch.Generator().manual_seed(104)
    with torch.random.fork_rng():
        torch.manual_seed(4)
        model = nn.Sequential(nn.Linear(5, 4), BatchNorm(4), nn.ReLU(), nn.Linear(4, 2))
    for _ in range(3):  # several steps: the running statistics must not chain the graphs together
        model(torch.randn(6, 5, generator=g)).sum().backward()
    return {"running_mean stays outside the autograd graph": model[1].running_mean.grad_fn is None}


def judge_BatchNorm_gradients_more(got, ref, context):
    agree(got, ref, "running_mean stays outside the autograd graph",
          hint="running_mean must not be part of the autograd graph: update it inside `with torch.no_grad():`.")


CELLS = [
    Cell("test_BatchNorm_structure", points=1, checks=[
        Check(collect_BatchNorm_structure, judge_BatchNorm_structure),
        Check(collect_BatchNorm_structure_more, judge_BatchNorm_structure_more, hidden=True),
    ]),
    Cell("test_BatchNorm_matches_torch", points=2, checks=[
        Check(collect_BatchNorm_sequences, judge_BatchNorm_sequences),
        Check(collect_BatchNorm_sequences_more, judge_BatchNorm_sequences_more, hidden=True),
    ]),
    Cell("test_BatchNorm_gradients", points=1, checks=[
        Check(collect_BatchNorm_gradients, judge_BatchNorm_gradients),
        Check(collect_BatchNorm_gradients_more, judge_BatchNorm_gradients_more, hidden=True),
    ]),
]

# ----------------------------------------------------------------------------- answers

_TEMPLATE = '''
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
'''
_BUFFERS = '''            self.register_buffer("running_mean", torch.zeros(num_features))
            self.register_buffer("running_var", torch.ones(num_features))'''

WRONG = variants(_TEMPLATE, {
    "running statistics as plain attributes": (_BUFFERS, '''            self.running_mean = torch.zeros(num_features)
            self.running_var = torch.ones(num_features)'''),
    "running statistics as parameters": (_BUFFERS, '''            self.running_mean = nn.Parameter(torch.zeros(num_features), requires_grad=False)
            self.running_var = nn.Parameter(torch.ones(num_features), requires_grad=False)'''),
    "always in training mode": ("training=self.training", "training=True"),
    "momentum ignored": ("momentum=self.momentum", "momentum=0.1"),
    "eps ignored": ("eps=self.eps)", "eps=1e-5)"),
    "random initial weight": ("self.weight = nn.Parameter(torch.ones(num_features))",
                              "self.weight = nn.Parameter(torch.rand(num_features))"),
})
WRONG["wraps nn.BatchNorm1d"] = source('''
    class BatchNorm(nn.BatchNorm1d):
        def _check_input_dim(self, x):
            pass
''')
WRONG["imports the traintech reference"] = "from traintech.reference.normalization import BatchNorm\n"

RIGHT = {
    "empty tensors filled in reset_parameters, num_batches_tracked": source('''
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
    "blind: direct Parameter/register_buffer": r'''class BatchNorm(nn.Module):
    """Batch normalization layer with running statistics, built on batch_norm."""

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

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
''',
    "blind: reset_parameters + num_batches_tracked + channel check": r'''class BatchNorm(nn.Module):
    """Batch normalization layer (like nn.BatchNorm1d/2d), wrapping batch_norm."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = nn.Parameter(torch.empty(num_features))
        self.bias = nn.Parameter(torch.empty(num_features))
        self.register_buffer("running_mean", torch.empty(num_features))
        self.register_buffer("running_var", torch.empty(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        self.reset_parameters()

    def reset_running_stats(self):
        self.running_mean.zero_()
        self.running_var.fill_(1.0)
        self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        nn.init.ones_(self.weight)
        nn.init.zeros_(self.bias)

    def forward(self, x):
        if x.dim() < 2 or x.shape[1] != self.num_features:
            raise ValueError(f"expected input with {self.num_features} channels in dim 1, got shape {tuple(x.shape)}")
        if self.training:
            self.num_batches_tracked += 1
        return batch_norm(x, self.running_mean, self.running_var, weight=self.weight, bias=self.bias,
                          training=self.training, momentum=self.momentum, eps=self.eps)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: register_buffer_direct (issue 16's release)"] = r'''\
class BatchNorm(nn.Module):
    """Batch normalization layer with running statistics, for (N, C), (N, C, L) and (N, C, H, W) input.

    Built on ``batch_norm``: in train mode ``forward`` normalizes with the batch statistics and
    updates the running statistics; in eval mode it normalizes with the running statistics.

    Args:
        num_features: the number of channels C.
        eps: added to the variance inside the square root. Default: 1e-5
        momentum: weight of the new batch in the running statistics. Default: 0.1

    Attributes:
        weight, bias: learnable parameters (C,), initialized to ones and zeros.
        running_mean, running_var: buffers (C,), initialized to zeros and ones.
    """

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

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
'''
RIGHT["blind: dict_loop_register_full (issue 16's release)"] = r'''\
class BatchNorm(nn.Module):
    """Batch normalization layer with running statistics, for (N, C), (N, C, L) and (N, C, H, W) input.

    Built on ``batch_norm``: in train mode ``forward`` normalizes with the batch statistics and
    updates the running statistics; in eval mode it normalizes with the running statistics.

    Args:
        num_features: the number of channels C.
        eps: added to the variance inside the square root. Default: 1e-5
        momentum: weight of the new batch in the running statistics. Default: 0.1

    Attributes:
        weight, bias: learnable parameters (C,), initialized to ones and zeros.
        running_mean, running_var: buffers (C,), initialized to zeros and ones.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        shape = (num_features,)
        # learnable gamma and beta
        for name, fill in {"weight": 1.0, "bias": 0.0}.items():
            self.register_parameter(name, nn.Parameter(torch.full(shape, fill)))
        # state that is saved and moved with the module, but not learned
        for name, fill in {"running_mean": 0.0, "running_var": 1.0}.items():
            self.register_buffer(name, torch.full(shape, fill))

    def forward(self, x):
        if self.training:
            return batch_norm(x, self.running_mean, self.running_var, weight=self.weight, bias=self.bias,
                              training=True, momentum=self.momentum, eps=self.eps)
        return batch_norm(x, self.running_mean, self.running_var, weight=self.weight, bias=self.bias,
                          training=False, eps=self.eps)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
'''
