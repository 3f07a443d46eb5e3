BLIND = {
"dropout": {
"rand mask + where": r'''def dropout(x, p=0.5, training=True, generator=None):
    """Inverted dropout built from torch.rand, a comparison and torch.where."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= p
    return torch.where(keep, x / (1.0 - p), torch.zeros_like(x))
''',
"bernoulli mask + multiply": r'''def dropout(x, p=0.5, training=True, generator=None):
    """Inverted dropout with a Bernoulli(1 - p) keep-mask."""
    if p < 0 or p > 1:
        raise ValueError("p must be in [0, 1], got {}".format(p))
    if not training or p == 0:
        return x.clone()
    if p == 1:
        return torch.zeros_like(x) * x
    probs = torch.full(x.shape, 1.0 - p, dtype=x.dtype if x.is_floating_point() else torch.float32,
                       device=x.device)
    mask = torch.bernoulli(probs, generator=generator)
    scale = 1.0 / (1.0 - p)
    return x * mask * scale
''',
},
"Dropout": {
"delegate with self.training": r'''class Dropout(nn.Module):
    """Inverted dropout as a layer: dropout(x, p) in train mode, identity in eval mode."""

    def __init__(self, p=0.5):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, x):
        return dropout(x, p=self.p, training=self.training)

    def extra_repr(self):
        return f"p={self.p}"
''',
"explicit eval branch, float p": r'''class Dropout(nn.Module):
    """Inverted dropout as a layer: dropout(x, p) in train mode, identity in eval mode."""

    def __init__(self, p=0.5):
        super().__init__()
        p = float(p)
        if not (0.0 <= p <= 1.0):
            raise ValueError("p must lie in [0, 1]")
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        return dropout(x, self.p, True)

    def extra_repr(self):
        return f"p={self.p}"
''',
},
"l2_penalty": {
"generator sum of pow": r'''def l2_penalty(parameters, weight_decay):
    """weight_decay / 2 * sum of squared entries of every tensor."""
    total = sum((w.pow(2).sum() for w in parameters), torch.tensor(0.0))
    return 0.5 * weight_decay * total
''',
"loop with norm squared": r'''def l2_penalty(parameters, weight_decay):
    """weight_decay / 2 * sum of squared entries of every tensor (accumulated in a loop)."""
    total = None
    for w in parameters:
        sq = torch.linalg.vector_norm(w) ** 2
        total = sq if total is None else total + sq
    if total is None:
        total = torch.zeros(())
    return total * (weight_decay / 2)
''',
},
"sgd_step": {
"mul_ then add_ alpha": r'''def sgd_step(parameters, lr, weight_decay=0.0):
    """One in-place SGD step with weight decay: w <- (1 - lr * wd) * w - lr * grad."""
    with torch.no_grad():
        for w in parameters:
            if w.grad is None:
                continue
            w.mul_(1 - lr * weight_decay)
            w.add_(w.grad, alpha=-lr)
''',
"decorator + copy_ of new value": r'''@torch.no_grad()
def sgd_step(parameters, lr, weight_decay=0.0):
    """One in-place SGD step with weight decay, torch-style: d = grad + wd * w; w <- w - lr * d."""
    params = [w for w in parameters if w.grad is not None]
    for w in params:
        d = w.grad + weight_decay * w if weight_decay != 0 else w.grad
        w.copy_(w - lr * d)
''',
},
"EarlyStopping": {
"None-initialised best + deepcopy": r'''class EarlyStopping:
    """Stop training when a validation metric has stopped improving; keep the best weights."""

    def __init__(self, patience=5, min_delta=0.0, mode="min"):
        if not isinstance(patience, int) or isinstance(patience, bool) or patience < 1:
            raise ValueError(f"patience must be a positive int, got {patience!r}")
        if min_delta < 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.patience = patience
        self.min_delta = min_delta
        self.mode = mode
        self.best = None
        self.best_epoch = None
        self.num_bad_epochs = 0
        self.best_state = None
        self.epoch = -1

    def _improved(self, metric):
        if self.best is None:
            return True
        if self.mode == "min":
            return metric < self.best - self.min_delta
        return metric > self.best + self.min_delta

    def step(self, metric, model=None):
        """Record one epoch's metric; return True when training should stop."""
        if isinstance(metric, torch.Tensor):
            metric = metric.item()
        self.epoch += 1
        if self._improved(metric):
            self.best = metric
            self.best_epoch = self.epoch
            self.num_bad_epochs = 0
            self.best_state = copy.deepcopy(model.state_dict()) if model is not None else None
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience

    def restore(self, model):
        """Load the best weights into model and return it."""
        if self.best_state is not None:
            model.load_state_dict(self.best_state)
        return model
''',
"signed infinity + clone dict": r'''class EarlyStopping:
    """Stop training when a validation metric has stopped improving; keep the best weights."""

    def __init__(self, patience=5, min_delta=0.0, mode="min"):
        if type(patience) is not int or patience <= 0:
            raise ValueError("patience must be a positive integer")
        if not (min_delta >= 0):
            raise ValueError("min_delta must be non-negative")
        if mode == "min":
            self._sign = 1.0
        elif mode == "max":
            self._sign = -1.0
        else:
            raise ValueError("mode must be 'min' or 'max'")
        self.patience, self.min_delta, self.mode = patience, min_delta, mode
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = -1
        self.num_bad_epochs = 0
        self.best_state = None
        self._calls = 0

    def step(self, metric, model=None):
        """Record one epoch's metric; return True when training should stop."""
        metric = float(metric)
        epoch = self._calls
        self._calls += 1
        # work with "lower is better" scores: sign * metric
        if self._sign * metric < self._sign * self.best - self.min_delta:
            self.best = metric
            self.best_epoch = epoch
            self.num_bad_epochs = 0
            if model is None:
                self.best_state = None
            else:
                self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience

    def restore(self, model):
        """Load the best weights into model and return it."""
        if self.best_state is None:
            return model
        model.load_state_dict(self.best_state)
        return model
''',
},
"random_horizontal_flip": {
"rand < p + torch.where over flip": r'''def random_horizontal_flip(images, p=0.5, generator=None):
    """Mirror each image of a (N, C, H, W) batch left-right, independently, with probability p."""
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        raise ValueError("images must be a 4-D (N, C, H, W) tensor")
    if p < 0 or p > 1:
        raise ValueError(f"p must be in [0, 1], got {p}")
    n = images.shape[0]
    flip = torch.rand(n, generator=generator) < p
    mirrored = torch.flip(images, dims=[3])
    return torch.where(flip.to(images.device).view(n, 1, 1, 1), mirrored, images)
''',
"bernoulli draws + per-image loop with index": r'''def random_horizontal_flip(images, p=0.5, generator=None):
    """Mirror each image of a (N, C, H, W) batch left-right, independently, with probability p."""
    if images.ndim != 4:
        raise ValueError(f"expected a (N, C, H, W) tensor, got shape {tuple(images.shape)}")
    if not 0.0 <= p <= 1.0:
        raise ValueError("p must lie in [0, 1]")
    n, _, _, w = images.shape
    draws = torch.bernoulli(torch.full((n,), float(p)), generator=generator)
    reverse = torch.arange(w - 1, -1, -1, device=images.device)
    out = images.clone()
    for i in range(n):
        if draws[i] == 1:
            out[i] = images[i][..., reverse]
    return out
''',
},
"random_crop": {
"F.pad + per-image slicing loop": r'''def random_crop(images, size, padding=0, generator=None):
    """Zero-pad each side by `padding`, then take a random size x size window of each image."""
    if images.dim() != 4:
        raise ValueError("images must be a (N, C, H, W) tensor")
    if padding < 0:
        raise ValueError(f"padding must be non-negative, got {padding}")
    n, c, h, w = images.shape
    hp, wp = h + 2 * padding, w + 2 * padding
    if size < 1 or size > hp or size > wp:
        raise ValueError(f"size {size} does not fit in the padded {hp}x{wp} image")
    padded = F.pad(images, (padding, padding, padding, padding)) if padding > 0 else images
    tops = torch.randint(0, hp - size + 1, (n,), generator=generator)
    lefts = torch.randint(0, wp - size + 1, (n,), generator=generator)
    crops = []
    for k in range(n):
        t, l = int(tops[k]), int(lefts[k])
        crops.append(padded[k, :, t:t + size, l:l + size])
    return torch.stack(crops).clone()
''',
"manual zero canvas + gather index tensors": r'''def random_crop(images, size, padding=0, generator=None):
    """Zero-pad each side by `padding`, then take a random size x size window of each image."""
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        raise ValueError("expected a 4-D (N, C, H, W) tensor")
    if padding < 0:
        raise ValueError("padding must be >= 0")
    n, c, h, w = images.shape
    H, W = h + 2 * padding, w + 2 * padding
    if size > H or size > W or size <= 0:
        raise ValueError("size must be between 1 and the padded image size")
    canvas = images.new_zeros((n, c, H, W))
    canvas[:, :, padding:padding + h, padding:padding + w] = images
    top = (torch.rand(n, generator=generator) * (H - size + 1)).long().clamp_(max=H - size)
    left = (torch.rand(n, generator=generator) * (W - size + 1)).long().clamp_(max=W - size)
    offs = torch.arange(size)
    rows = (top[:, None] + offs[None, :]).to(images.device)   # (n, size)
    cols = (left[:, None] + offs[None, :]).to(images.device)  # (n, size)
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    chan = torch.arange(c, device=images.device)[None, :, None, None]
    return canvas[batch, chan, rows[:, None, :, None], cols[:, None, None, :]]
''',
},
"random_deletion": {
"list comprehension + rng.choice": r'''def random_deletion(tokens, p, rng):
    """Delete each token with probability p; never return an empty list for a non-empty input."""
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1], got {p}")
    tokens = list(tokens)
    if not tokens:
        return []
    kept = [t for t in tokens if rng.random() >= p]
    if not kept:
        kept = [rng.choice(tokens)]
    return kept
''',
"explicit loop + randrange fallback": r'''def random_deletion(tokens, p, rng):
    """Delete each token with probability p; never return an empty list for a non-empty input."""
    if p < 0 or p > 1:
        raise ValueError("deletion probability must lie in [0, 1]")
    if len(tokens) == 0:
        return []
    survivors = []
    for token in tokens:
        delete = rng.random() < p
        if not delete:
            survivors.append(token)
    if len(survivors) == 0:
        survivors.append(tokens[rng.randrange(len(tokens))])
    return survivors
''',
},
"add_noise": {
"vectorized power ratio": r'''def add_noise(waveform, snr_db, generator=None):
    """Add Gaussian noise at exactly snr_db decibels (a power ratio) per signal along the last dim."""
    noise = torch.randn(waveform.shape, generator=generator, dtype=waveform.dtype, device=waveform.device)
    p_signal = waveform.pow(2).mean(dim=-1, keepdim=True)
    p_noise = noise.pow(2).mean(dim=-1, keepdim=True)
    scale = torch.sqrt(p_signal * 10 ** (-snr_db / 10) / p_noise)
    return waveform + scale * noise
''',
"per-signal loop with rms and math": r'''def add_noise(waveform, snr_db, generator=None):
    """Add Gaussian noise at exactly snr_db decibels, signal by signal (rows of a (-1, T) view)."""
    if not waveform.is_floating_point():
        raise ValueError("waveform must be a floating-point tensor")
    T = waveform.shape[-1]
    flat = waveform.reshape(-1, T)
    noise = torch.randn(flat.shape, generator=generator, dtype=flat.dtype, device=flat.device)
    amp = 10.0 ** (-snr_db / 20.0)  # amplitude ratio = sqrt of the power ratio
    rows = []
    for i in range(flat.shape[0]):
        rms_x = math.sqrt(flat[i].pow(2).mean().item())
        rms_z = math.sqrt(noise[i].pow(2).mean().item())
        rows.append(flat[i] + noise[i] * (amp * rms_x / rms_z))
    return torch.stack(rows).reshape(waveform.shape)
''',
},
}
