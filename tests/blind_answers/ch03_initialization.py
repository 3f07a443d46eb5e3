BLIND = {}

BLIND["activation_stds"] = {
    "closure hooks + handle list, dedupe by id": r'''def activation_stds(model, x):
    """The standard deviation of each child's output of an nn.Sequential, via forward hooks.

    Args:
        model: an nn.Sequential.
        x: a batch of inputs for model.

    Returns:
        A list of len(model) floats, in the order the children run.
    """
    stds = []

    def hook(module, inputs, output):
        # compute now: a later in-place op could overwrite `output`
        stds.append(output.std().item())

    handles = []
    seen = set()
    try:
        for child in model:
            if id(child) in seen:  # a shared child: one hook fires once per call
                continue
            seen.add(id(child))
            handles.append(child.register_forward_hook(hook))
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return stds
''',
    "hook factory + dict of handles over children()": r'''def activation_stds(model, x):
    """The standard deviation of each child's output of an nn.Sequential, via forward hooks.

    Args:
        model: an nn.Sequential.
        x: a batch of inputs for model.

    Returns:
        A list of len(model) floats, in the order the children run.
    """
    records = []

    def make_hook(store):
        def _record(module, inputs, output):
            store.append(float(output.detach().std()))
        return _record

    handles = {}
    try:
        for child in model.children():  # children() yields each module once
            handles[id(child)] = child.register_forward_hook(make_hook(records))
        with torch.no_grad():
            _ = model(x)
    finally:
        while handles:
            _, h = handles.popitem()
            h.remove()
    return list(records)
''',
}

BLIND["calculate_fan_in_and_fan_out"] = {
    "math.prod of kernel dims": r'''def calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight tensor (out, in, *kernel_size), as torch.nn.init computes them.

    Args:
        tensor: a tensor with at least 2 dimensions.

    Returns:
        A tuple of two ints: in * prod(kernel_size), out * prod(kernel_size).
    """
    if tensor.dim() < 2:
        raise ValueError(
            f"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (got {tensor.dim()})"
        )
    receptive_field = math.prod(tensor.shape[2:])
    return int(tensor.shape[1] * receptive_field), int(tensor.shape[0] * receptive_field)
''',
    "explicit loop over shape": r'''def calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight tensor (out, in, *kernel_size), as torch.nn.init computes them.

    Args:
        tensor: a tensor with at least 2 dimensions.

    Returns:
        A tuple of two ints: in * prod(kernel_size), out * prod(kernel_size).
    """
    shape = list(tensor.size())
    if len(shape) < 2:
        raise ValueError("calculate_fan_in_and_fan_out needs a tensor with at least 2 dimensions, got shape "
                         + str(tuple(shape)))
    out_features, in_features, *kernel = shape
    r = 1
    for k in kernel:
        r *= int(k)
    fan_in = int(in_features) * r
    fan_out = int(out_features) * r
    return (fan_in, fan_out)
''',
}

BLIND["calculate_gain"] = {
    "dict lookup": r'''def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain.

    Args:
        nonlinearity: "linear", "conv1d", ..., "conv_transpose3d", "sigmoid", "tanh", "relu",
            "leaky_relu" or "selu".
        param: the negative slope of "leaky_relu". Default: None (0.01)

    Returns:
        A float.
    """
    fixed = {
        "linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0,
        "conv_transpose1d": 1.0, "conv_transpose2d": 1.0, "conv_transpose3d": 1.0,
        "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0), "selu": 3.0 / 4,
    }
    if isinstance(nonlinearity, str) and nonlinearity in fixed:
        return float(fixed[nonlinearity])
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}")
''',
    "if/elif chain with numbers.Real": r'''import numbers


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain.

    Args:
        nonlinearity: "linear", "conv1d", ..., "conv_transpose3d", "sigmoid", "tanh", "relu",
            "leaky_relu" or "selu".
        param: the negative slope of "leaky_relu". Default: None (0.01)

    Returns:
        A float.
    """
    linear_like = ("linear", "conv1d", "conv2d", "conv3d",
                   "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid")
    if nonlinearity in linear_like:
        return 1.0
    elif nonlinearity == "tanh":
        return 5.0 / 3.0
    elif nonlinearity == "relu":
        return math.sqrt(2.0)
    elif nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, numbers.Real):
            raise ValueError("negative_slope " + repr(param) + " not a valid number")
        else:
            negative_slope = param
        return math.sqrt(2.0 / (1.0 + negative_slope * negative_slope))
    elif nonlinearity == "selu":
        return 0.75
    else:
        raise ValueError("Unsupported nonlinearity " + repr(nonlinearity))
''',
}

BLIND["xavier_uniform_"] = {
    "bound formula, no_grad block": r'''def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Fill tensor in place from U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

    Args:
        tensor: the weight to fill, at least 2-D.
        gain: scaling factor. Default: 1.0
        generator: a torch.Generator to draw from. Default: None

    Returns:
        tensor itself.
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    with torch.no_grad():
        tensor.uniform_(-a, a, generator=generator)
    return tensor
''',
    "std then sqrt(3)*std": r'''def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Fill tensor in place from U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

    Args:
        tensor: the weight to fill, at least 2-D.
        gain: scaling factor. Default: 1.0
        generator: a torch.Generator to draw from. Default: None

    Returns:
        tensor itself.
    """
    fans = calculate_fan_in_and_fan_out(tensor)
    std = gain * (2.0 / sum(fans)) ** 0.5
    bound = 3.0 ** 0.5 * std  # U(-b, b) has variance b^2 / 3
    with torch.no_grad():
        return tensor.uniform_(-bound, bound, generator=generator)
''',
}

BLIND["xavier_normal_"] = {
    "std formula, no_grad block": r'''def xavier_normal_(tensor, gain=1.0, generator=None):
    """Fill tensor in place from N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

    Args:
        tensor: the weight to fill, at least 2-D.
        gain: scaling factor. Default: 1.0
        generator: a torch.Generator to draw from. Default: None

    Returns:
        tensor itself.
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    with torch.no_grad():
        tensor.normal_(0.0, std, generator=generator)
    return tensor
''',
    "@torch.no_grad() decorator, variance first": r'''@torch.no_grad()
def xavier_normal_(tensor, gain=1.0, generator=None):
    """Fill tensor in place from N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

    Args:
        tensor: the weight to fill, at least 2-D.
        gain: scaling factor. Default: 1.0
        generator: a torch.Generator to draw from. Default: None

    Returns:
        tensor itself.
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    variance = gain ** 2 * 2.0 / (fan_in + fan_out)
    tensor.normal_(mean=0.0, std=math.sqrt(variance), generator=generator)
    return tensor
''',
}

BLIND["kaiming_uniform_"] = {
    "dict of fans": r'''def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fill tensor in place from U(-b, b), b = sqrt(3) * gain / sqrt(fan_mode) (He et al., 2015).

    Args:
        tensor: the weight to fill, at least 2-D.
        a: negative slope of the leaky ReLU after this layer. Default: 0
        mode: "fan_in" (forward pass) or "fan_out" (backward pass). Default: "fan_in"
        nonlinearity: passed to calculate_gain. Default: "leaky_relu"
        generator: a torch.Generator to draw from. Default: None

    Returns:
        tensor itself.
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    fans = {"fan_in": fan_in, "fan_out": fan_out}
    if mode not in fans:
        raise ValueError(f"mode {mode!r} not supported, please use one of {list(fans)}")
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fans[mode])
    with torch.no_grad():
        tensor.uniform_(-bound, bound, generator=generator)
    return tensor
''',
    "validate mode first, if/else": r'''def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fill tensor in place from U(-b, b), b = sqrt(3) * gain / sqrt(fan_mode) (He et al., 2015).

    Args:
        tensor: the weight to fill, at least 2-D.
        a: negative slope of the leaky ReLU after this layer. Default: 0
        mode: "fan_in" (forward pass) or "fan_out" (backward pass). Default: "fan_in"
        nonlinearity: passed to calculate_gain. Default: "leaky_relu"
        generator: a torch.Generator to draw from. Default: None

    Returns:
        tensor itself.
    """
    if mode != "fan_in" and mode != "fan_out":
        raise ValueError("mode must be 'fan_in' or 'fan_out', got " + repr(mode))
    fans = calculate_fan_in_and_fan_out(tensor)
    fan = fans[0] if mode == "fan_in" else fans[1]
    std = calculate_gain(nonlinearity, a) / fan ** 0.5
    bound = std * 3 ** 0.5
    with torch.no_grad():
        out = tensor.uniform_(-bound, bound, generator=generator)
    return out
''',
}

BLIND["kaiming_normal_"] = {
    "if/elif fan, no_grad": r'''def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fill tensor in place from N(0, std^2), std = gain / sqrt(fan_mode) (He et al., 2015).

    Args:
        tensor: the weight to fill, at least 2-D.
        a: negative slope of the leaky ReLU after this layer. Default: 0
        mode: "fan_in" (forward pass) or "fan_out" (backward pass). Default: "fan_in"
        nonlinearity: passed to calculate_gain. Default: "leaky_relu"
        generator: a torch.Generator to draw from. Default: None

    Returns:
        tensor itself.
    """
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    if mode == "fan_in":
        fan = fan_in
    elif mode == "fan_out":
        fan = fan_out
    else:
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    with torch.no_grad():
        tensor.normal_(0, std, generator=generator)
    return tensor
''',
    "tuple index + .data fill": r'''def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """Fill tensor in place from N(0, std^2), std = gain / sqrt(fan_mode) (He et al., 2015).

    Args:
        tensor: the weight to fill, at least 2-D.
        a: negative slope of the leaky ReLU after this layer. Default: 0
        mode: "fan_in" (forward pass) or "fan_out" (backward pass). Default: "fan_in"
        nonlinearity: passed to calculate_gain. Default: "leaky_relu"
        generator: a torch.Generator to draw from. Default: None

    Returns:
        tensor itself.
    """
    modes = ("fan_in", "fan_out")
    if mode not in modes:
        raise ValueError(f"unknown mode {mode!r}; expected 'fan_in' or 'fan_out'")
    fan = calculate_fan_in_and_fan_out(tensor)[modes.index(mode)]
    gain = calculate_gain(nonlinearity, param=a)
    variance = gain * gain / fan
    tensor.data.normal_(0.0, math.sqrt(variance), generator=generator)  # .data: no autograd tracking
    return tensor
''',
}

BLIND["orthogonal_"] = {
    "randn(max,min), qr, multiply by sign(diag R)": r'''def orthogonal_(tensor, gain=1.0, generator=None):
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
    "randn(rows,cols) transposed, where-based sign fix": r'''def orthogonal_(tensor, gain=1.0, generator=None):
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

BLIND["freeze"] = {
    "parameters() loop with requires_grad_": r'''def freeze(module):
    """Stop training every parameter of module (requires_grad = False), in place; returns module."""
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def unfreeze(module):
    """Train every parameter of module again (requires_grad = True), in place; returns module."""
    for p in module.parameters():
        p.requires_grad_(True)
    return module
''',
    "shared helper over modules(), attribute assignment": r'''def _set_trainable(module, flag):
    for submodule in module.modules():
        for _, param in submodule.named_parameters(recurse=False):
            param.requires_grad = flag
    return module


def freeze(module):
    """Stop training every parameter of module (requires_grad = False), in place; returns module."""
    return _set_trainable(module, False)


def unfreeze(module):
    """Train every parameter of module again (requires_grad = True), in place; returns module."""
    return _set_trainable(module, True)
''',
}

BLIND["count_trainable_parameters"] = {
    "generator sum of numel": r'''def count_trainable_parameters(model):
    """The number of trainable scalars of model (parameters with requires_grad), as an int."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))
''',
    "explicit loop, math.prod, id set": r'''def count_trainable_parameters(model):
    """The number of trainable scalars of model (parameters with requires_grad), as an int."""
    total = 0
    seen = set()
    for name, param in model.named_parameters():
        if id(param) in seen or not param.requires_grad:
            continue
        seen.add(id(param))
        total += math.prod(param.shape)
    return total
''',
}

BLIND["discriminative_param_groups"] = {
    "power formula, list of dicts": r'''def discriminative_param_groups(layer_groups, lr, decay=2.6):
    """Optimizer parameter groups, the last at lr and each earlier one decay times slower (Howard & Ruder, 2018).

    Args:
        layer_groups: earliest first; each an nn.Module, a parameter tensor or an iterable of parameters.
        lr: the learning rate of the last group, >= 0.
        decay: the factor between consecutive groups' rates, > 0. Default: 2.6

    Returns:
        A list of dicts {"params": [...], "lr": ...}, one per layer group, in order.
    """
    layer_groups = list(layer_groups)
    if not layer_groups:
        raise ValueError("layer_groups is empty")
    if decay <= 0:
        raise ValueError(f"decay must be > 0, got {decay}")
    if lr < 0:
        raise ValueError(f"lr must be >= 0, got {lr}")

    def params_of(group):
        if isinstance(group, nn.Module):
            return list(group.parameters())
        if isinstance(group, torch.Tensor):
            return [group]
        return list(group)

    L = len(layer_groups)
    return [{"params": params_of(g), "lr": lr / decay ** (L - 1 - l)} for l, g in enumerate(layer_groups)]
''',
    "walk backwards dividing, then reverse": r'''def discriminative_param_groups(layer_groups, lr, decay=2.6):
    """Optimizer parameter groups, the last at lr and each earlier one decay times slower (Howard & Ruder, 2018).

    Args:
        layer_groups: earliest first; each an nn.Module, a parameter tensor or an iterable of parameters.
        lr: the learning rate of the last group, >= 0.
        decay: the factor between consecutive groups' rates, > 0. Default: 2.6

    Returns:
        A list of dicts {"params": [...], "lr": ...}, one per layer group, in order.
    """
    if not decay > 0:
        raise ValueError("decay should be positive")
    if not lr >= 0:
        raise ValueError("lr should be non-negative")
    groups = [g for g in layer_groups]
    if len(groups) == 0:
        raise ValueError("need at least one layer group")
    result = []
    rate = lr
    for group in reversed(groups):
        if isinstance(group, nn.Module):
            params = [p for p in group.parameters()]
        elif torch.is_tensor(group):
            params = [group]
        else:
            params = [p for p in group]
        result.append(dict(params=params, lr=rate))
        rate = rate / decay
    result.reverse()
    return result
''',
}

BLIND["progressive_unfreeze"] = {
    "strict int type, slice from len-stage": r'''def progressive_unfreeze(layer_groups, stage):
    """Freeze every layer group, then unfreeze the last `stage` of them (Howard & Ruder, 2018).

    Args:
        layer_groups: earliest first; each an nn.Module, a parameter tensor or an iterable of parameters.
        stage: how many groups, counted from the last, are trainable: an int in [0, len(layer_groups)].

    Returns:
        The list of the groups that are now trainable.
    """
    layer_groups = list(layer_groups)
    n = len(layer_groups)
    if type(stage) is not int or not 0 <= stage <= n:
        raise ValueError(f"stage must be an int in [0, {n}], got {stage!r}")

    def params_of(group):
        if isinstance(group, nn.Module):
            return list(group.parameters())
        if isinstance(group, torch.Tensor):
            return [group]
        return list(group)

    params = [params_of(g) for g in layer_groups]
    for ps in params:
        for p in ps:
            p.requires_grad_(False)
    for ps in params[n - stage:]:
        for p in ps:
            p.requires_grad_(True)
    return layer_groups[n - stage:]
''',
    "numbers.Integral check, index loop": r'''import numbers


def progressive_unfreeze(layer_groups, stage):
    """Freeze every layer group, then unfreeze the last `stage` of them (Howard & Ruder, 2018).

    Args:
        layer_groups: earliest first; each an nn.Module, a parameter tensor or an iterable of parameters.
        stage: how many groups, counted from the last, are trainable: an int in [0, len(layer_groups)].

    Returns:
        The list of the groups that are now trainable.
    """
    groups = [g for g in layer_groups]
    if not isinstance(stage, numbers.Integral):
        raise ValueError("stage must be an integer, got " + repr(stage))
    if stage < 0 or stage > len(groups):
        raise ValueError(f"stage {stage} is outside [0, {len(groups)}]")

    def as_params(group):
        if isinstance(group, nn.Module):
            return [p for p in group.parameters()]
        if torch.is_tensor(group):
            return [group]
        return [p for p in group]

    param_lists = [as_params(g) for g in groups]
    first_trainable = len(groups) - int(stage)
    for i, plist in enumerate(param_lists):  # freeze all ...
        for p in plist:
            p.requires_grad = False
    trainable = []
    for i in range(first_trainable, len(groups)):  # ... then the last `stage`
        for p in param_lists[i]:
            p.requires_grad = True
        trainable.append(groups[i])
    return trainable
''',
}
