BLIND = {
    "batch_norm": {
        "view + reduce dims, manual biased var": r'''def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalization over channel dim 1, for (N, C), (N, C, L), (N, C, H, W)."""
    if x.dim() not in (2, 3, 4):
        raise ValueError(f"expected 2D, 3D or 4D input, got {x.dim()}D input")
    C = x.shape[1]
    shape = (1, C) + (1,) * (x.dim() - 2)
    dims = [0] + list(range(2, x.dim()))
    if training:
        n = x.numel() // C
        if n <= 1:
            raise ValueError(f"expected more than 1 value per channel when training, got input of shape {tuple(x.shape)}")
        mean = x.mean(dim=dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
        with torch.no_grad():
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(momentum * mean.view(C).to(running_mean.dtype))
            if running_var is not None:
                running_var.mul_(1 - momentum).add_(momentum * (var.view(C) * n / (n - 1)).to(running_var.dtype))
    else:
        if running_mean is None or running_var is None:
            raise ValueError("running_mean and running_var are required when training=False")
        mean = running_mean.view(shape)
        var = running_var.view(shape)
    out = (x - mean) / torch.sqrt(var + eps)
    if weight is not None:
        out = out * weight.view(shape)
    if bias is not None:
        out = out + bias.view(shape)
    return out
''',
        "channels-first reshape + torch.var_mean(correction=0)": r'''def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch norm: statistics per channel (dim 1) over all other dims."""
    ndim = x.dim()
    if ndim < 2 or ndim > 4:
        raise ValueError("batch_norm: input must be (N, C), (N, C, L) or (N, C, H, W), got shape %s" % (tuple(x.shape),))
    num_channels = x.size(1)
    bshape = [1] * ndim
    bshape[1] = num_channels
    if training:
        flat = x.transpose(0, 1).reshape(num_channels, -1)   # (C, n)
        count = flat.shape[1]
        if count == 1:
            raise ValueError("Expected more than 1 value per channel when training, got input size %s" % (tuple(x.shape),))
        batch_var, batch_mean = torch.var_mean(flat, dim=1, correction=0)
        if running_mean is not None or running_var is not None:
            with torch.no_grad():
                if running_mean is not None:
                    running_mean.copy_((1.0 - momentum) * running_mean + momentum * batch_mean)
                if running_var is not None:
                    unbiased = batch_var * (count / (count - 1.0))
                    running_var.copy_((1.0 - momentum) * running_var + momentum * unbiased)
        use_mean, use_var = batch_mean, batch_var
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm in evaluation mode needs running_mean and running_var")
        use_mean, use_var = running_mean, running_var
    inv_std = torch.rsqrt(use_var.reshape(bshape) + eps)
    y = (x - use_mean.reshape(bshape)) * inv_std
    if weight is not None:
        y = y * weight.reshape(bshape)
    if bias is not None:
        y = y + bias.reshape(bshape)
    return y
''',
    },
    "BatchNorm": {
        "direct Parameter/register_buffer": r'''class BatchNorm(nn.Module):
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
        "reset_parameters + num_batches_tracked + channel check": r'''class BatchNorm(nn.Module):
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
    },
    "batch_norm_backward": {
        "vectorized closed form": r'''def batch_norm_backward(dout, x, weight, eps=1e-5):
    """(dx, dweight, dbias) of training-mode batch norm on (N, D) input, no autograd."""
    if x.dim() != 2:
        raise ValueError(f"x must be 2-D (N, D), got shape {tuple(x.shape)}")
    if dout.shape != x.shape:
        raise ValueError(f"dout has shape {tuple(dout.shape)}, expected {tuple(x.shape)}")
    N, D = x.shape
    if N == 1:
        raise ValueError("batch norm needs more than one sample per feature (N > 1)")
    gamma = torch.ones(D, dtype=x.dtype, device=x.device) if weight is None else weight
    mu = x.mean(dim=0)
    s = torch.sqrt(((x - mu) ** 2).mean(dim=0) + eps)
    x_hat = (x - mu) / s
    dbias = dout.sum(dim=0)
    dweight = (dout * x_hat).sum(dim=0)
    dx = gamma / (N * s) * (N * dout - dbias - x_hat * dweight)
    return dx, dweight, dbias
''',
        "per-feature loop, mean-based form": r'''def batch_norm_backward(dout, x, weight, eps=1e-5):
    """Hand-derived batch-norm gradients, one feature (column) at a time."""
    if x.ndim != 2:
        raise ValueError("batch_norm_backward expects (N, D) input")
    if tuple(dout.shape) != tuple(x.shape):
        raise ValueError("dout must have the same shape as x")
    n, d = x.shape
    if n < 2:
        raise ValueError("need at least 2 rows (N > 1) for training-mode batch norm")
    dx = torch.empty_like(x)
    dweight = torch.empty(d, dtype=x.dtype, device=x.device)
    dbias = torch.empty(d, dtype=x.dtype, device=x.device)
    for j in range(d):
        col, g = x[:, j], dout[:, j]
        gamma = 1.0 if weight is None else weight[j]
        mu = col.sum() / n
        var = torch.var(col, correction=0)
        s = torch.sqrt(var + eps)
        xh = (col - mu) / s
        dbias[j] = g.sum()
        dweight[j] = torch.dot(g, xh)
        # dx_i = gamma / s * (g_i - mean(g) - xh_i * mean(g * xh))
        dx[:, j] = gamma / s * (g - g.mean() - xh * (g * xh).mean())
    return dx, dweight, dbias
''',
        # Derived from the released chapter's graph and Jacobian steps alone (issue 15), which no
        # longer state dx: proof that the challenge can be finished from its text.
        "derived from the Jacobian steps": r'''def batch_norm_backward(dout, x, weight, eps=1e-5):
    """Hand-derived gradients (dx, dweight, dbias) of training-mode batch norm on (N, D) input.

    Per column, with x_hat = (x - mu) / s, s = sqrt(var + eps) (biased var), g = dout:
        dbias   = sum_i g_i
        dweight = sum_i g_i * x_hat_i
        dx_i    = gamma / s * (g_i - dbias / N - x_hat_i * dweight / N)
    No autograd is used; works under torch.inference_mode().
    """
    if not isinstance(x, torch.Tensor) or not isinstance(dout, torch.Tensor):
        raise ValueError("x and dout must be tensors")
    if x.dim() != 2:
        raise ValueError(f"x must be 2-D (N, D), got shape {tuple(x.shape)}")
    n, d = x.shape
    if n < 2:
        raise ValueError(f"batch norm needs more than one row per batch, got N={n}")
    if dout.shape != x.shape:
        raise ValueError(f"dout has shape {tuple(dout.shape)}, expected {tuple(x.shape)}")
    if weight is not None and tuple(weight.shape) != (d,):
        raise ValueError(f"weight must have shape ({d},), got {tuple(weight.shape)}")

    mean = x.mean(dim=0)
    centred = x - mean
    var = (centred * centred).mean(dim=0)          # biased variance, as in the forward pass
    inv_std = 1.0 / torch.sqrt(var + eps)          # 1 / s
    x_hat = centred * inv_std

    dbias = dout.sum(dim=0)
    dweight = (dout * x_hat).sum(dim=0)

    scale = inv_std if weight is None else weight * inv_std   # gamma / s
    dx = scale * (dout - dbias / n - x_hat * (dweight / n))
    return dx, dweight, dbias
''',
    },
    "layer_norm": {
        "reduce trailing dims, keepdim": r'''def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalization over the trailing normalized_shape dims."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if k > x.dim() or tuple(x.shape[x.dim() - k:]) != normalized_shape:
        raise ValueError(f"normalized_shape {normalized_shape} is not the trailing shape of input {tuple(x.shape)}")
    if k == 0:
        out = torch.zeros_like(x)
    else:
        dims = tuple(range(x.dim() - k, x.dim()))
        mean = x.mean(dim=dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
        out = (x - mean) / torch.sqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out
''',
        "flatten to (B, D) + torch.var(unbiased=False)": r'''def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """LayerNorm: flatten leading dims and normalized dims to (B, D), normalize rows."""
    if isinstance(normalized_shape, int):
        shape = [normalized_shape]
    elif isinstance(normalized_shape, (list, tuple, torch.Size)):
        shape = [int(s) for s in normalized_shape]
    else:
        raise ValueError(f"normalized_shape must be an int or a sequence of ints, got {normalized_shape!r}")
    k = len(shape)
    if k > x.dim() or list(x.shape)[x.dim() - k:] != shape:
        raise ValueError("Given normalized_shape=%s, expected input with shape [*, %s], but got input of size %s"
                         % (shape, ", ".join(map(str, shape)), list(x.shape)))
    D = math.prod(shape)
    lead = x.shape[:x.dim() - k]
    rows = x.reshape(-1, D)
    mu = rows.mean(dim=1, keepdim=True)
    var = torch.var(rows, dim=1, keepdim=True, unbiased=False)
    normed = ((rows - mu) / torch.sqrt(var + eps)).reshape(x.shape)
    if weight is not None:
        normed = normed * weight.reshape(shape)
    if bias is not None:
        normed = normed + bias.reshape(shape)
    return normed
''',
    },
    "instance_norm": {
        "reduce spatial dims with keepdim": r'''def instance_norm(x, weight=None, bias=None, eps=1e-5):
    """Instance norm: one mean/biased var per (sample, channel) over spatial dims."""
    if x.dim() not in (3, 4):
        raise ValueError(f"expected 3D (N, C, L) or 4D (N, C, H, W) input, got {x.dim()}D")
    spatial = tuple(range(2, x.dim()))
    if math.prod(x.shape[2:]) <= 1:
        raise ValueError(f"expected more than 1 spatial element per channel, got input of shape {tuple(x.shape)}")
    mean = x.mean(dim=spatial, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=spatial, keepdim=True)
    out = (x - mean) / torch.sqrt(var + eps)
    shape = (1, x.shape[1]) + (1,) * (x.dim() - 2)
    if weight is not None:
        out = out * weight.view(shape)
    if bias is not None:
        out = out + bias.view(shape)
    return out
''',
        "reshape (N, C, -1) + torch.var_mean": r'''def instance_norm(x, weight=None, bias=None, eps=1e-5):
    """Instance normalization with input statistics, via a (N, C, HW) view."""
    if x.ndim != 3 and x.ndim != 4:
        raise ValueError("instance_norm: input must be (N, C, L) or (N, C, H, W), got %d-D" % x.ndim)
    N, C = x.shape[0], x.shape[1]
    flat = x.reshape(N, C, -1)
    if flat.shape[-1] < 2:
        raise ValueError("Expected more than 1 spatial element when training, got input size %s" % (tuple(x.shape),))
    var, mean = torch.var_mean(flat, dim=-1, keepdim=True, unbiased=False)
    y = (flat - mean) * torch.rsqrt(var + eps)
    if weight is not None:
        y = y * weight.reshape(1, C, 1)
    if bias is not None:
        y = y + bias.reshape(1, C, 1)
    return y.reshape(x.shape)
''',
    },
    "group_norm": {
        "reshape (N, G, -1)": r'''def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalization of (N, C, *) input with num_groups groups of consecutive channels."""
    if x.dim() < 2:
        raise ValueError(f"expected input of shape (N, C, *), got {tuple(x.shape)}")
    N, C = x.shape[0], x.shape[1]
    if num_groups <= 0 or C % num_groups != 0:
        raise ValueError(f"num_groups={num_groups} must divide the number of channels C={C}")
    grouped = x.reshape(N, num_groups, -1)
    mean = grouped.mean(dim=-1, keepdim=True)
    var = ((grouped - mean) ** 2).mean(dim=-1, keepdim=True)
    out = ((grouped - mean) / torch.sqrt(var + eps)).reshape(x.shape)
    shape = (1, C) + (1,) * (x.dim() - 2)
    if weight is not None:
        out = out * weight.view(shape)
    if bias is not None:
        out = out + bias.view(shape)
    return out
''',
        "loop over groups, slice channels, torch.cat": r'''def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Group norm computed group by group (channels [g*C/G, (g+1)*C/G))."""
    if x.ndim < 2:
        raise ValueError("group_norm expects input of shape (N, C, *)")
    C = x.size(1)
    if not isinstance(num_groups, int) or num_groups < 1:
        raise ValueError(f"num_groups must be a positive int, got {num_groups!r}")
    if C % num_groups:
        raise ValueError(f"Expected number of channels in input to be divisible by num_groups, "
                         f"but got input of shape {tuple(x.shape)} and num_groups={num_groups}")
    per_group = C // num_groups
    red = tuple(range(1, x.ndim))
    pieces = []
    for g in range(num_groups):
        block = x[:, g * per_group:(g + 1) * per_group]
        mu = block.mean(dim=red, keepdim=True)
        var = torch.var(block, dim=red, keepdim=True, correction=0)
        pieces.append((block - mu) / torch.sqrt(var + eps))
    y = torch.cat(pieces, dim=1)
    bshape = [1] * x.ndim
    bshape[1] = C
    if weight is not None:
        y = y * weight.reshape(bshape)
    if bias is not None:
        y = y + bias.reshape(bshape)
    return y
''',
    },
    "WeightNormLinear": {
        "copy from nn.Linear, F.linear": r'''class WeightNormLinear(nn.Module):
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
        "manual uniform init (math), x @ W.T": r'''class WeightNormLinear(nn.Module):
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
    },
}
