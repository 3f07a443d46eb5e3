"""Chapter 1: plausible wrong answers lose points; a differently written right answer keeps them.

Each wrong implementation below is a mistake learners really make. It is swapped in for
the solution, the exercise's test cells (visible and hidden) are re-run as nbgrader runs
them, and at least one of them must fail. Each alternative right implementation draws its
random numbers differently from the reference, and must pass every cell: the tests judge
behaviour, not the order of random draws.
"""
from __future__ import annotations

import textwrap

from blind_answers.ch01_regularization import BLIND
from conftest import ROOT
from notebook_session import wrong_answer_tests

NOTEBOOK = ROOT / "solutions" / "01_regularization" / "01_regularization.ipynb"


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _body(text: str) -> str:
    """A function body: dedented, then indented one level."""
    return textwrap.indent(_src(text), "    ")


DROPOUT_HEAD = "def dropout(x, p=0.5, training=True, generator=None):\n"
CHECK_P = '    if not 0.0 <= p <= 1.0:\n        raise ValueError(f"bad p {p}")\n'

WRONG = {
    "dropout": {
        "no rescaling": DROPOUT_HEAD + CHECK_P + _body("""
            if not training or p == 0: return x
            keep = torch.rand(x.shape, generator=generator) >= p
            return x * keep
        """),
        "rescaled by (1 - p)": DROPOUT_HEAD + CHECK_P + _body("""
                if not training or p == 0: return x
                keep = torch.rand(x.shape, generator=generator) >= p
                return x * keep * (1 - p)
        """),
        "one mask for the whole tensor": DROPOUT_HEAD + CHECK_P + _body("""
                if not training or p == 0: return x
                if p == 1: return x * 0
                keep = torch.rand(1, generator=generator) >= p
                return x * keep / (1 - p)
        """),
        "NaN at p = 1": DROPOUT_HEAD + CHECK_P + _body("""
                if not training or p == 0: return x
                keep = torch.rand(x.shape, generator=generator) >= p
                return x * keep / (1 - p)
        """),
        "ignores training": DROPOUT_HEAD + CHECK_P + _body("""
                if p == 0: return x
                if p == 1: return x * 0
                keep = torch.rand(x.shape, generator=generator) >= p
                return x * keep / (1 - p)
        """),
        "calls F.dropout": DROPOUT_HEAD + "    return F.dropout(x, p, training)",
        "no ValueError": DROPOUT_HEAD + _body("""
                if not training or p == 0: return x
                if p >= 1: return x * 0
                keep = torch.rand(x.shape, generator=generator) >= p
                return x * keep / (1 - p)
        """),
    },
    "Dropout": {
        "dropout also in eval mode": _src("""
            class Dropout(nn.Module):
                def __init__(self, p=0.5):
                    super().__init__()
                    if not 0 <= p <= 1: raise ValueError(p)
                    self.p = p
                def forward(self, x):
                    return dropout(x, self.p)
        """),
        "wraps nn.Dropout": _src("""
            class Dropout(nn.Module):
                def __init__(self, p=0.5):
                    super().__init__()
                    self.p = p
                    self.inner = nn.Dropout(p)
                def forward(self, x):
                    return self.inner(x)
        """),
        "mode inverted": _src("""
            class Dropout(nn.Module):
                def __init__(self, p=0.5):
                    super().__init__()
                    if not 0 <= p <= 1: raise ValueError(p)
                    self.p = p
                def forward(self, x):
                    return dropout(x, self.p, training=not self.training)
        """),
        "no check of p": _src("""
            class Dropout(nn.Module):
                def __init__(self, p=0.5):
                    super().__init__()
                    self.p = p
                def forward(self, x):
                    return dropout(x, min(max(self.p, 0.0), 1.0), training=self.training)
        """),
    },
    "l2_penalty": {
        "missing the 1/2": _src("""
            def l2_penalty(parameters, weight_decay):
                return weight_decay * sum(w.pow(2).sum() for w in parameters)
        """),
        "norms instead of squared norms": _src("""
            def l2_penalty(parameters, weight_decay):
                return weight_decay / 2 * sum(w.pow(2).sum().sqrt() for w in parameters)
        """),
        "not differentiable": _src("""
            def l2_penalty(parameters, weight_decay):
                return torch.tensor(weight_decay / 2 * sum(float(w.pow(2).sum()) for w in parameters))
        """),
        "only the first tensor": _src("""
            def l2_penalty(parameters, weight_decay):
                w = next(iter(parameters))
                return weight_decay / 2 * w.pow(2).sum()
        """),
    },
    "sgd_step": {
        "decay after the gradient step": _src("""
            def sgd_step(parameters, lr, weight_decay=0.0):
                with torch.no_grad():
                    for w in parameters:
                        if w.grad is None: continue
                        w.sub_(lr * w.grad)
                        w.mul_(1 - lr * weight_decay)
        """),
        "decay by weight_decay instead of lr * weight_decay": _src("""
            def sgd_step(parameters, lr, weight_decay=0.0):
                with torch.no_grad():
                    for w in parameters:
                        if w.grad is None: continue
                        w.mul_(1 - weight_decay)
                        w.sub_(lr * w.grad)
        """),
        "rebinds instead of updating in place": _src("""
            def sgd_step(parameters, lr, weight_decay=0.0):
                for w in parameters:
                    if w.grad is None: continue
                    w = (1 - lr * weight_decay) * w - lr * w.grad
        """),
        "does not skip missing gradients": _src("""
            def sgd_step(parameters, lr, weight_decay=0.0):
                with torch.no_grad():
                    for w in parameters:
                        w.mul_(1 - lr * weight_decay)
                        w.sub_(lr * w.grad)
        """),
        "ignores weight_decay": _src("""
            def sgd_step(parameters, lr, weight_decay=0.0):
                with torch.no_grad():
                    for w in parameters:
                        if w.grad is not None:
                            w.sub_(lr * w.grad)
        """),
    },
    "EarlyStopping": {
        "keeps the live state_dict": "live",
        "shallow copy of the state_dict": "shallow",
        "patience off by one": "off_by_one",
        "ignores mode": "ignores_mode",
        "ignores min_delta": "ignores_min_delta",
        "1-based best_epoch": "one_based",
    },
    "random_horizontal_flip": {
        "flips vertically": _src("""
            def random_horizontal_flip(images, p=0.5, generator=None):
                if images.dim() != 4 or not 0 <= p <= 1: raise ValueError("bad input")
                flip = torch.rand(images.shape[0], generator=generator) < p
                return torch.where(flip.view(-1, 1, 1, 1), images.flip(dims=[2]), images)
        """),
        "one draw for the whole batch": _src("""
            def random_horizontal_flip(images, p=0.5, generator=None):
                if images.dim() != 4 or not 0 <= p <= 1: raise ValueError("bad input")
                if torch.rand(1, generator=generator).item() < p:
                    return images.flip(dims=[3])
                return images.clone()
        """),
        "modifies the input": _src("""
            def random_horizontal_flip(images, p=0.5, generator=None):
                if images.dim() != 4 or not 0 <= p <= 1: raise ValueError("bad input")
                flip = torch.rand(images.shape[0], generator=generator) < p
                images[flip] = images[flip].flip(dims=[3])
                return images
        """),
        "flips with probability 1 - p": _src("""
            def random_horizontal_flip(images, p=0.5, generator=None):
                if images.dim() != 4 or not 0 <= p <= 1: raise ValueError("bad input")
                flip = torch.rand(images.shape[0], generator=generator) >= p
                return torch.where(flip.view(-1, 1, 1, 1), images.flip(dims=[3]), images)
        """),
    },
    "random_crop": {
        "one window for the whole batch": "same_window",
        "last position never drawn": "off_by_one",
        "padding ignored": "no_padding",
        "edge padding instead of zeros": "replicate",
        "a different window per channel": "per_channel",
    },
    "random_deletion": {
        "can return an empty list": _src("""
            def random_deletion(tokens, p, rng):
                if not 0 <= p <= 1: raise ValueError(p)
                return [t for t in tokens if rng.random() >= p]
        """),
        "deletes with probability 1 - p": _src("""
            def random_deletion(tokens, p, rng):
                if not 0 <= p <= 1: raise ValueError(p)
                kept = [t for t in tokens if rng.random() < p]
                return kept or ([rng.choice(tokens)] if tokens else [])
        """),
        "modifies the input list": _src("""
            def random_deletion(tokens, p, rng):
                if not 0 <= p <= 1: raise ValueError(p)
                for t in list(tokens):
                    if rng.random() < p and len(tokens) > 1:
                        tokens.remove(t)
                return tokens
        """),
        "always keeps the first token": _src("""
            def random_deletion(tokens, p, rng):
                if not 0 <= p <= 1: raise ValueError(p)
                kept = [t for t in tokens if rng.random() >= p]
                return kept or tokens[:1]
        """),
    },
    "add_noise": {
        "amplitude ratio instead of power ratio": _src("""
            def add_noise(waveform, snr_db, generator=None):
                noise = torch.randn(waveform.shape, generator=generator, dtype=waveform.dtype)
                ps = waveform.pow(2).mean(dim=-1, keepdim=True)
                pn = noise.pow(2).mean(dim=-1, keepdim=True)
                return waveform + noise * (ps / pn).sqrt() * 10 ** (-snr_db / 10)
        """),
        "one power for the whole batch": _src("""
            def add_noise(waveform, snr_db, generator=None):
                noise = torch.randn(waveform.shape, generator=generator, dtype=waveform.dtype)
                scale = (waveform.pow(2).mean() * 10 ** (-snr_db / 10) / noise.pow(2).mean()).sqrt()
                return waveform + scale * noise
        """),
        "ignores the generator": _src("""
            def add_noise(waveform, snr_db, generator=None):
                noise = torch.randn(waveform.shape, dtype=waveform.dtype)
                ps = waveform.pow(2).mean(dim=-1, keepdim=True)
                pn = noise.pow(2).mean(dim=-1, keepdim=True)
                return waveform + noise * (ps * 10 ** (-snr_db / 10) / pn).sqrt()
        """),
        "assumes unit noise power (SNR only on average)": _src("""
            def add_noise(waveform, snr_db, generator=None):
                noise = torch.randn(waveform.shape, generator=generator, dtype=waveform.dtype)
                ps = waveform.pow(2).mean(dim=-1, keepdim=True)
                return waveform + noise * (ps * 10 ** (-snr_db / 10)).sqrt()
        """),
        "uniform noise": _src("""
            def add_noise(waveform, snr_db, generator=None):
                noise = torch.rand(waveform.shape, generator=generator, dtype=waveform.dtype) - 0.5
                ps = waveform.pow(2).mean(dim=-1, keepdim=True)
                pn = noise.pow(2).mean(dim=-1, keepdim=True)
                return waveform + noise * (ps * 10 ** (-snr_db / 10) / pn).sqrt()
        """),
    },
}

# EarlyStopping variants: one template, one mistake each.
_ES = _src('''
    class EarlyStopping:
        def __init__(self, patience=5, min_delta=0.0, mode="min"):
            if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1: raise ValueError(patience)
            if not min_delta >= 0: raise ValueError(min_delta)
            if mode not in ("min", "max"): raise ValueError(mode)
            self.patience, self.min_delta, self.mode = patience, min_delta, mode
            self.best = math.inf if mode == "min" else -math.inf
            self.best_epoch, self.num_bad_epochs, self.best_state, self.calls = None, 0, None, 0
        def step(self, metric, model=None):
            metric = float(metric)
            improved = (metric < self.best - self.min_delta) if self.mode == "min" else (metric > self.best + self.min_delta)
            if improved:
                self.best, self.best_epoch, self.num_bad_epochs = metric, self.calls, 0
                self.best_state = copy.deepcopy(model.state_dict()) if model is not None else None
            else:
                self.num_bad_epochs += 1
            self.calls += 1
            return self.num_bad_epochs >= self.patience
        def restore(self, model):
            model.load_state_dict(self.best_state)
            return model
''')
_ES_MISTAKES = {
    "live": ("copy.deepcopy(model.state_dict())", "model.state_dict()"),
    "shallow": ("copy.deepcopy(model.state_dict())", "dict(model.state_dict())"),
    "off_by_one": ("return self.num_bad_epochs >= self.patience", "return self.num_bad_epochs > self.patience"),
    "ignores_mode": ('if self.mode == "min" else (metric > self.best + self.min_delta)', ""),
    "ignores_min_delta": ("metric < self.best - self.min_delta", "metric < self.best"),
    "one_based": ("self.best_epoch, self.num_bad_epochs = metric, self.calls, 0",
                  "self.best_epoch, self.num_bad_epochs = metric, self.calls + 1, 0"),
}
for label, key in list(WRONG["EarlyStopping"].items()):
    old, new = _ES_MISTAKES[key]
    assert old in _ES, key
    WRONG["EarlyStopping"][label] = _ES.replace(old, new)

_CROP = _src('''
    def random_crop(images, size, padding=0, generator=None):
        if images.dim() != 4 or padding < 0: raise ValueError("bad input")
        n, c, h, w = images.shape
        if size > h + 2 * padding or size > w + 2 * padding: raise ValueError(size)
        padded = F.pad(images, (padding,) * 4)
        tops = torch.randint(0, h + 2 * padding - size + 1, (n,), generator=generator)
        lefts = torch.randint(0, w + 2 * padding - size + 1, (n,), generator=generator)
        return torch.stack([padded[i, :, tops[i]:tops[i] + size, lefts[i]:lefts[i] + size] for i in range(n)])
''')
_CROP_MISTAKES = {
    "same_window": ("(n,), generator=generator)", "(1,), generator=generator).repeat(n)"),
    "off_by_one": ("- size + 1,", "- size,"),
    "no_padding": ("padded = F.pad(images, (padding,) * 4)", "padded = images; padding = 0"),
    "replicate": ("F.pad(images, (padding,) * 4)", "F.pad(images, (padding,) * 4, mode='replicate')"),
    "per_channel": ("return torch.stack([padded[i, :, tops[i]:tops[i] + size, lefts[i]:lefts[i] + size] for i in range(n)])",
                    "return torch.stack([torch.stack([padded[i, k, (tops[i] + k) % (h + 2 * padding - size + 1):]"
                    "[:size, lefts[i]:lefts[i] + size] for k in range(c)]) for i in range(n)])"),
}
for label, key in list(WRONG["random_crop"].items()):
    old, new = _CROP_MISTAKES[key]
    assert old in _CROP, key
    WRONG["random_crop"][label] = _CROP.replace(old, new)

# Every exercise also loses points when it hands the work to the course's reference.
REFERENCE_MODULE = {"dropout": "regularization", "Dropout": "regularization", "l2_penalty": "regularization",
                    "sgd_step": "regularization", "EarlyStopping": "regularization",
                    "random_horizontal_flip": "augmentation", "random_crop": "augmentation",
                    "random_deletion": "augmentation", "add_noise": "augmentation"}
for name, module in REFERENCE_MODULE.items():
    WRONG[name]["imports the traintech reference"] = f"from traintech.{module} import {name}"

RIGHT = {
    "dropout": _src('''
        def dropout(x, p=0.5, training=True, generator=None):
            if p != p or p < 0 or p > 1:
                raise ValueError(f"p must be in [0, 1], got {p}")
            if not training or p == 0:
                return x
            if p == 1:
                return x * torch.zeros_like(x)
            keep_prob = 1 - p
            mask = torch.bernoulli(torch.full(x.shape, keep_prob, dtype=x.dtype), generator=generator)
            return x * mask / keep_prob
    '''),
    "Dropout": _src('''
        class Dropout(nn.Module):
            def __init__(self, p=0.5):
                super().__init__()
                if p < 0 or p > 1:
                    raise ValueError(f"p must be in [0, 1], got {p}")
                self.p = p
            def forward(self, x):
                if not self.training:
                    return x
                return dropout(x, p=self.p)
    '''),
    "l2_penalty": _src('''
        def l2_penalty(parameters, weight_decay):
            squares = [(w * w).sum() for w in parameters]
            return 0.5 * weight_decay * torch.stack(squares).sum()
    '''),
    "sgd_step": _src('''
        @torch.no_grad()
        def sgd_step(parameters, lr, weight_decay=0.0):
            for w in parameters:
                if w.grad is not None:
                    w.copy_(w * (1 - lr * weight_decay) - lr * w.grad)
    '''),
    "EarlyStopping": _src('''
        class EarlyStopping:
            def __init__(self, patience=5, min_delta=0.0, mode="min"):
                if type(patience) is not int or patience <= 0:
                    raise ValueError(f"patience: {patience}")
                if min_delta < 0:
                    raise ValueError(f"min_delta: {min_delta}")
                if mode not in {"min", "max"}:
                    raise ValueError(f"mode: {mode}")
                self.patience, self.min_delta, self.mode = patience, min_delta, mode
                self.history, self.best, self.best_epoch, self.best_state = [], None, None, None
                self.num_bad_epochs = 0
            def _better(self, value):
                if self.best is None:
                    return True
                sign = 1 if self.mode == "min" else -1
                return sign * (self.best - value) > self.min_delta
            def step(self, metric, model=None):
                value = float(metric)
                self.history.append(value)
                if self._better(value):
                    self.best, self.best_epoch, self.num_bad_epochs = value, len(self.history) - 1, 0
                    self.best_state = None if model is None else {k: v.detach().clone() for k, v in model.state_dict().items()}
                else:
                    self.num_bad_epochs += 1
                return self.num_bad_epochs >= self.patience
            def restore(self, model):
                model.load_state_dict(self.best_state)
                return model
    '''),
    "random_horizontal_flip": _src('''
        def random_horizontal_flip(images, p=0.5, generator=None):
            if images.ndim != 4:
                raise ValueError(f"expected (N, C, H, W), got {tuple(images.shape)}")
            if not (0 <= p <= 1):
                raise ValueError(f"p must be in [0, 1], got {p}")
            out = images.clone()
            columns = torch.arange(images.shape[3] - 1, -1, -1)
            for i in range(images.shape[0]):
                if torch.rand(1, generator=generator).item() < p:
                    out[i] = images[i][:, :, columns]
            return out
    '''),
    "random_crop": _src('''
        def random_crop(images, size, padding=0, generator=None):
            if images.ndim != 4:
                raise ValueError("images must be (N, C, H, W)")
            if padding < 0:
                raise ValueError(f"padding must be >= 0, got {padding}")
            n, c, h, w = images.shape
            if not 1 <= size <= min(h, w) + 2 * padding:
                raise ValueError(f"size {size} too large")
            padded = F.pad(images, (padding, padding, padding, padding))
            crops = []
            for i in range(n):
                top, left = torch.randint(0, padded.shape[2] - size + 1, (2,), generator=generator).tolist()
                crops.append(padded[i, :, top:top + size, left:left + size])
            return torch.stack(crops)
    '''),
    "random_deletion": _src('''
        def random_deletion(tokens, p, rng):
            if p < 0 or p > 1:
                raise ValueError(f"p must be in [0, 1], got {p}")
            drop = [rng.random() < p for _ in tokens]
            kept = [t for t, d in zip(tokens, drop) if not d]
            if tokens and not kept:
                kept = [tokens[rng.randrange(len(tokens))]]
            return kept
    '''),
    "add_noise": _src('''
        def add_noise(waveform, snr_db, generator=None):
            noise = torch.randn(waveform.shape, generator=generator, dtype=waveform.dtype)
            noise = noise / noise.pow(2).mean(dim=-1, keepdim=True).sqrt()       # unit power
            rms = waveform.pow(2).mean(dim=-1, keepdim=True).sqrt()
            return waveform + noise * rms * 10 ** (-snr_db / 20)
    '''),
}


(session, test_reference_solution_passes_every_test_cell, test_wrong_answer_loses_points,
 test_another_right_answer_keeps_every_point, test_blind_answer_keeps_every_point) = wrong_answer_tests(
    NOTEBOOK, WRONG, RIGHT, BLIND)
