"""Chapter 3: plausible wrong answers lose points; a differently written right answer keeps them.

Each wrong implementation below is a mistake learners really make (a missing sqrt(3), a
swapped fan, no sign correction in the QR, a group order reversed, ...). It is swapped in
for the solution, the exercise's test cells (visible and hidden) are re-run as nbgrader
runs them, and at least one of them must fail. Each alternative right implementation is
written differently from the reference — the initializers draw their random numbers
another way (``torch.rand``/``torch.randn`` and ``copy_``, an SVD instead of a QR) — and
must pass every cell: the tests judge distributions, not the order of random draws.
"""
from __future__ import annotations

import textwrap

from blind_answers.ch03_initialization import BLIND
from conftest import ROOT
from notebook_session import wrong_answer_tests

NOTEBOOK = ROOT / "solutions" / "03_initialization" / "03_initialization.ipynb"


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


# ----------------------------------------------------------------------------- templates
# A correct answer written plainly; each wrong variant replaces one snippet of it.

_STDS = _src('''
    def activation_stds(model, x):
        stds = []
        def hook(module, inputs, output):
            stds.append(output.std().item())
        handles = [child.register_forward_hook(hook) for child in model.children()]
        try:
            with torch.no_grad():
                model(x)
        finally:
            for h in handles:
                h.remove()
        return stds
''')
_STDS_MISTAKES = {
    "hooks never removed": ("        for h in handles:\n            h.remove()", "        pass"),
    "std of the input instead of the output": ("stds.append(output.std().item())", "stds.append(inputs[0].std().item())"),
    "forward pass with autograd": ("        with torch.no_grad():\n            model(x)", "        model(x)"),
    "population std (correction=0)": ("output.std().item()", "output.std(correction=0).item()"),
    "hooks on Linear layers only": ("for child in model.children()]", "for child in model.children() if isinstance(child, nn.Linear)]"),
    "switches the model to eval mode": ("    try:\n", "    model.eval()\n    try:\n"),
}

_FANS = _src('''
    def calculate_fan_in_and_fan_out(tensor):
        if tensor.dim() < 2:
            raise ValueError(f"need 2 dims, got {tensor.dim()}")
        receptive = 1
        for s in tensor.shape[2:]:
            receptive *= s
        return tensor.shape[1] * receptive, tensor.shape[0] * receptive
''')
_FANS_MISTAKES = {
    "fans swapped (weight read as (in, out))": ("return tensor.shape[1] * receptive, tensor.shape[0] * receptive",
                                                 "return tensor.shape[0] * receptive, tensor.shape[1] * receptive"),
    "no receptive field": ("return tensor.shape[1] * receptive, tensor.shape[0] * receptive",
                           "return tensor.shape[1], tensor.shape[0]"),
    "receptive field only in fan_in": ("return tensor.shape[1] * receptive, tensor.shape[0] * receptive",
                                       "return tensor.shape[1] * receptive, tensor.shape[0]"),
    "no ValueError for a 1-D tensor": ('        raise ValueError(f"need 2 dims, got {tensor.dim()}")', "        pass"),
    "returns floats": ("return tensor.shape[1] * receptive, tensor.shape[0] * receptive",
                       "return float(tensor.shape[1] * receptive), float(tensor.shape[0] * receptive)"),
}

_GAIN = _src('''
    def calculate_gain(nonlinearity, param=None):
        if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                            "conv_transpose3d", "sigmoid"):
            return 1.0
        if nonlinearity == "tanh":
            return 5 / 3
        if nonlinearity == "relu":
            return math.sqrt(2)
        if nonlinearity == "leaky_relu":
            if param is None:
                slope = 0.01
            elif isinstance(param, (int, float)) and not isinstance(param, bool):
                slope = param
            else:
                raise ValueError(f"bad slope {param!r}")
            return math.sqrt(2 / (1 + slope ** 2))
        if nonlinearity == "selu":
            return 0.75
        raise ValueError(f"unknown nonlinearity {nonlinearity!r}")
''')
_GAIN_MISTAKES = {
    "relu gain 2 (the variance factor)": ("return math.sqrt(2)\n", "return 2.0\n"),
    "leaky_relu default slope 0": ("slope = 0.01", "slope = 0.0"),
    "leaky_relu without the square": ("math.sqrt(2 / (1 + slope ** 2))", "math.sqrt(2 / (1 + slope))"),
    "tanh gain 1": ("return 5 / 3", "return 1.0"),
    "unknown nonlinearity returns 1": ('raise ValueError(f"unknown nonlinearity {nonlinearity!r}")', "return 1.0"),
    "accepts True as a slope": ("isinstance(param, (int, float)) and not isinstance(param, bool)",
                                "isinstance(param, (int, float))"),
    "calls torch.nn.init.calculate_gain": ("    if nonlinearity == \"tanh\":",
                                           "    return torch.nn.init.calculate_gain(nonlinearity, param)\n"
                                           "    if nonlinearity == \"tanh\":"),
}

_XU = _src('''
    def xavier_uniform_(tensor, gain=1.0, generator=None):
        fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
        bound = gain * math.sqrt(6 / (fan_in + fan_out))
        with torch.no_grad():
            tensor.uniform_(-bound, bound, generator=generator)
        return tensor
''')
_XU_MISTAKES = {
    "the std used as the bound (no sqrt(3))": ("math.sqrt(6 / (fan_in + fan_out))", "math.sqrt(2 / (fan_in + fan_out))"),
    "fan_in only": ("math.sqrt(6 / (fan_in + fan_out))", "math.sqrt(3 / fan_in)"),
    "gain ignored": ("bound = gain * math.sqrt", "bound = math.sqrt"),
    "generator ignored": ("tensor.uniform_(-bound, bound, generator=generator)", "tensor.uniform_(-bound, bound)"),
    "returns a new tensor": ("        tensor.uniform_(-bound, bound, generator=generator)\n    return tensor",
                             "        return torch.empty_like(tensor).uniform_(-bound, bound, generator=generator)"),
    "normal instead of uniform": ("tensor.uniform_(-bound, bound, generator=generator)",
                                  "tensor.normal_(0.0, bound / math.sqrt(3), generator=generator)"),
    "calls torch.nn.init.xavier_uniform_": ("        tensor.uniform_(-bound, bound, generator=generator)",
                                            "        nn.init.xavier_uniform_(tensor, gain=gain, generator=generator)"),
}

_XN = _src('''
    def xavier_normal_(tensor, gain=1.0, generator=None):
        fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
        std = gain * math.sqrt(2 / (fan_in + fan_out))
        with torch.no_grad():
            tensor.normal_(0.0, std, generator=generator)
        return tensor
''')
_XN_MISTAKES = {
    "the uniform bound used as std": ("math.sqrt(2 / (fan_in + fan_out))", "math.sqrt(6 / (fan_in + fan_out))"),
    "variance used as std": ("std = gain * math.sqrt(2 / (fan_in + fan_out))", "std = gain * 2 / (fan_in + fan_out)"),
    "gain ignored": ("std = gain * math.sqrt", "std = math.sqrt"),
    "generator ignored": ("tensor.normal_(0.0, std, generator=generator)", "tensor.normal_(0.0, std)"),
    "uniform with the right std": ("tensor.normal_(0.0, std, generator=generator)",
                                   "tensor.uniform_(-std * math.sqrt(3), std * math.sqrt(3), generator=generator)"),
    "calls torch.nn.init.normal_": ("tensor.normal_(0.0, std, generator=generator)",
                                    "nn.init.normal_(tensor, 0.0, std, generator=generator)"),
}

_KU = _src('''
    def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
        if mode not in ("fan_in", "fan_out"):
            raise ValueError(f"bad mode {mode!r}")
        fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
        fan = fan_in if mode == "fan_in" else fan_out
        bound = math.sqrt(3) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
        with torch.no_grad():
            tensor.uniform_(-bound, bound, generator=generator)
        return tensor
''')
_KU_MISTAKES = {
    "gain ignored": ("math.sqrt(3) * calculate_gain(nonlinearity, a) / math.sqrt(fan)", "math.sqrt(3) / math.sqrt(fan)"),
    "mode ignored": ("fan = fan_in if mode == \"fan_in\" else fan_out", "fan = fan_in"),
    "fans swapped": ("fan = fan_in if mode == \"fan_in\" else fan_out", "fan = fan_out if mode == \"fan_in\" else fan_in"),
    "a not passed to the gain": ("calculate_gain(nonlinearity, a)", "calculate_gain(nonlinearity)"),
    "the std used as the bound": ("bound = math.sqrt(3) * calculate_gain", "bound = calculate_gain"),
    "no ValueError for a bad mode": ('        raise ValueError(f"bad mode {mode!r}")', "        mode = \"fan_out\""),
    "calls torch.nn.init.kaiming_uniform_": ("        tensor.uniform_(-bound, bound, generator=generator)",
                                             "        nn.init.kaiming_uniform_(tensor, a, mode, nonlinearity, generator)"),
}

_KN = _src('''
    def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
        if mode not in ("fan_in", "fan_out"):
            raise ValueError(f"bad mode {mode!r}")
        fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
        fan = fan_in if mode == "fan_in" else fan_out
        std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
        with torch.no_grad():
            tensor.normal_(0.0, std, generator=generator)
        return tensor
''')
_KN_MISTAKES = {
    "no square root of the fan": ("std = calculate_gain(nonlinearity, a) / math.sqrt(fan)",
                                  "std = calculate_gain(nonlinearity, a) / fan"),
    "average of the fans (Xavier)": ("fan = fan_in if mode == \"fan_in\" else fan_out", "fan = (fan_in + fan_out) / 2"),
    "mode ignored": ("fan = fan_in if mode == \"fan_in\" else fan_out", "fan = fan_in"),
    "always the ReLU gain": ("std = calculate_gain(nonlinearity, a) / math.sqrt(fan)", "std = math.sqrt(2 / fan)"),
    "no ValueError for a bad mode": ('        raise ValueError(f"bad mode {mode!r}")', "        mode = \"fan_out\""),
    "calls torch.nn.init.kaiming_normal_": ("        tensor.normal_(0.0, std, generator=generator)",
                                            "        nn.init.kaiming_normal_(tensor, a, mode, nonlinearity, generator)"),
}

_ORTH = _src('''
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
''')
_ORTH_MISTAKES = {
    "no sign correction": ("    q = q * torch.sign(torch.diagonal(r))\n", ""),
    "sign correction from Q's diagonal": ("torch.sign(torch.diagonal(r))", "torch.sign(torch.diagonal(q))"),
    "QR of the wide matrix itself": (
        "    a = torch.randn(max(rows, cols), min(rows, cols), generator=generator, dtype=tensor.dtype)\n"
        "    q, r = torch.linalg.qr(a)\n"
        "    q = q * torch.sign(torch.diagonal(r))\n"
        "    if rows < cols:\n"
        "        q = q.T\n",
        "    a = torch.randn(rows, cols, generator=generator, dtype=tensor.dtype)\n"
        "    q, r = torch.linalg.qr(a)\n"
        "    q = q * torch.sign(torch.diagonal(r))\n"),
    "Gaussian matrix, not orthogonal": ("    q, r = torch.linalg.qr(a)\n    q = q * torch.sign(torch.diagonal(r))\n",
                                        "    q = a / math.sqrt(max(rows, cols))\n"),
    "gain ignored": ("tensor.copy_(gain * q.reshape", "tensor.copy_(q.reshape"),
    "generator ignored": ("a = torch.randn(max(rows, cols), min(rows, cols), generator=generator, dtype=tensor.dtype)",
                          "a = torch.randn(max(rows, cols), min(rows, cols), dtype=tensor.dtype)"),
    "calls torch.nn.init.orthogonal_": ("    rows = tensor.shape[0]\n",
                                        "    return nn.init.orthogonal_(tensor, gain=gain, generator=generator)\n"
                                        "    rows = tensor.shape[0]\n"),
}

_FREEZE = _src('''
    def freeze(module):
        for p in module.parameters():
            p.requires_grad_(False)
        return module


    def unfreeze(module):
        for p in module.parameters():
            p.requires_grad_(True)
        return module
''')
_FREEZE_MISTAKES = {
    "direct parameters only (recurse=False)": ("    for p in module.parameters():\n        p.requires_grad_(False)",
                                               "    for p in module.parameters(recurse=False):\n        p.requires_grad_(False)"),
    "sets an attribute on the module": ("    for p in module.parameters():\n        p.requires_grad_(False)",
                                        "    module.requires_grad = False"),
    "returns nothing": ("        p.requires_grad_(False)\n    return module", "        p.requires_grad_(False)"),
    "unfreeze does not unfreeze": ("p.requires_grad_(True)", "p.requires_grad_(False)"),
    "freezes only the first layer": ("    for p in module.parameters():\n        p.requires_grad_(False)",
                                     "    for p in list(module.parameters())[:2]:\n        p.requires_grad_(False)"),
}

_COUNT = _src('''
    def count_trainable_parameters(model):
        return sum(p.numel() for p in model.parameters() if p.requires_grad)
''')
_COUNT_MISTAKES = {
    "frozen parameters counted": ("for p in model.parameters() if p.requires_grad)", "for p in model.parameters())"),
    "counts tensors, not scalars": ("sum(p.numel() for p", "sum(1 for p"),
    "buffers counted": ("return sum(p.numel() for p in model.parameters() if p.requires_grad)",
                        "return sum(p.numel() for p in model.parameters() if p.requires_grad) + "
                        "sum(b.numel() for b in model.buffers())"),
    "shared parameters counted twice": ("model.parameters() if p.requires_grad",
                                        "(p for _, p in model.named_parameters(remove_duplicate=False)) if p.requires_grad"),
    "returns a tensor": ("return sum(p.numel() for p in model.parameters() if p.requires_grad)",
                         "return torch.tensor(sum(p.numel() for p in model.parameters() if p.requires_grad))"),
}

_DISC = _src('''
    def discriminative_param_groups(layer_groups, lr, decay=2.6):
        if decay <= 0:
            raise ValueError(f"bad decay {decay}")
        if lr < 0:
            raise ValueError(f"bad lr {lr}")
        groups = list(layer_groups)
        if not groups:
            raise ValueError("no layer groups")
        out = []
        for i, g in enumerate(groups):
            params = list(g.parameters()) if isinstance(g, nn.Module) else [g] if isinstance(g, torch.Tensor) else list(g)
            out.append({"params": params, "lr": lr / decay ** (len(groups) - 1 - i)})
        return out
''')
_DISC_MISTAKES = {
    "first group at lr (order reversed)": ('"lr": lr / decay ** (len(groups) - 1 - i)', '"lr": lr / decay ** i'),
    "rates multiplied by decay": ('"lr": lr / decay ** (len(groups) - 1 - i)', '"lr": lr * decay ** (len(groups) - 1 - i)'),
    "off by one: the last group at lr / decay": ('"lr": lr / decay ** (len(groups) - 1 - i)',
                                                 '"lr": lr / decay ** (len(groups) - i)'),
    "a tensor group iterated row by row": (
        "list(g.parameters()) if isinstance(g, nn.Module) else [g] if isinstance(g, torch.Tensor) else list(g)",
        "list(g.parameters()) if isinstance(g, nn.Module) else list(g)"),
    "no argument checks": ('    if decay <= 0:\n        raise ValueError(f"bad decay {decay}")\n'
                           '    if lr < 0:\n        raise ValueError(f"bad lr {lr}")\n', ""),
    "frozen parameters left out": (
        "list(g.parameters()) if isinstance(g, nn.Module)",
        "[p for p in g.parameters() if p.requires_grad] if isinstance(g, nn.Module)"),
}

_PROG = _src('''
    def progressive_unfreeze(layer_groups, stage):
        groups = list(layer_groups)
        if isinstance(stage, bool) or not isinstance(stage, int) or not 0 <= stage <= len(groups):
            raise ValueError(f"bad stage {stage!r}")
        params = [list(g.parameters()) if isinstance(g, nn.Module) else [g] if isinstance(g, torch.Tensor) else list(g)
                  for g in groups]
        for i, ps in enumerate(params):
            for p in ps:
                p.requires_grad_(i >= len(groups) - stage)
        return groups[len(groups) - stage:]
''')
_PROG_MISTAKES = {
    "unfreezes the first groups": ("p.requires_grad_(i >= len(groups) - stage)", "p.requires_grad_(i < stage)"),
    "never freezes again": ("p.requires_grad_(i >= len(groups) - stage)",
                            "p.requires_grad_(True) if i >= len(groups) - stage else None"),
    "off by one": ("p.requires_grad_(i >= len(groups) - stage)", "p.requires_grad_(i >= len(groups) - stage - 1)"),
    "only the group at index -stage": ("p.requires_grad_(i >= len(groups) - stage)",
                                       "p.requires_grad_(i == len(groups) - stage)"),
    "no ValueError": ('        raise ValueError(f"bad stage {stage!r}")', "        stage = max(0, min(int(stage), len(groups)))"),
}

TEMPLATES = {
    "activation_stds": (_STDS, _STDS_MISTAKES),
    "calculate_fan_in_and_fan_out": (_FANS, _FANS_MISTAKES),
    "calculate_gain": (_GAIN, _GAIN_MISTAKES),
    "xavier_uniform_": (_XU, _XU_MISTAKES),
    "xavier_normal_": (_XN, _XN_MISTAKES),
    "kaiming_uniform_": (_KU, _KU_MISTAKES),
    "kaiming_normal_": (_KN, _KN_MISTAKES),
    "orthogonal_": (_ORTH, _ORTH_MISTAKES),
    "freeze": (_FREEZE, _FREEZE_MISTAKES),
    "count_trainable_parameters": (_COUNT, _COUNT_MISTAKES),
    "discriminative_param_groups": (_DISC, _DISC_MISTAKES),
    "progressive_unfreeze": (_PROG, _PROG_MISTAKES),
}

WRONG: dict[str, dict[str, str]] = {}
for _exercise, (_template, _mistakes) in TEMPLATES.items():
    WRONG[_exercise] = {}
    for _label, (_old, _new) in _mistakes.items():
        assert _template.count(_old) == 1, (_exercise, _label)
        WRONG[_exercise][_label] = _template.replace(_old, _new)

# A few mistakes that are not one-snippet edits.
WRONG["activation_stds"]["outputs kept, std taken after the pass"] = _src('''
    def activation_stds(model, x):
        outputs = []
        handles = [child.register_forward_hook(lambda m, i, o: outputs.append(o)) for child in model.children()]
        try:
            with torch.no_grad():
                model(x)
        finally:
            for h in handles:
                h.remove()
        return [o.std().item() for o in outputs]
''')

# Every exercise also loses points when it hands the work to the course's reference.
REFERENCE = {
    "activation_stds": "from traintech.diagnostics import activation_stds",
    "calculate_fan_in_and_fan_out": "from traintech.initialization import calculate_fan_in_and_fan_out",
    "calculate_gain": "from traintech.initialization import calculate_gain",
    "xavier_uniform_": "from traintech.initialization import xavier_uniform_",
    "xavier_normal_": "from traintech.initialization import xavier_normal_",
    "kaiming_uniform_": "from traintech.initialization import kaiming_uniform_",
    "kaiming_normal_": "from traintech.initialization import kaiming_normal_",
    "orthogonal_": "from traintech.initialization import orthogonal_",
    "freeze": "from traintech.transfer import freeze, unfreeze",
    "count_trainable_parameters": "from traintech.transfer import count_trainable_parameters",
    "discriminative_param_groups": "from traintech.transfer import discriminative_param_groups",
    "progressive_unfreeze": "from traintech.transfer import progressive_unfreeze",
}
for _exercise, _line in REFERENCE.items():
    WRONG[_exercise]["imports the traintech reference"] = _line

RIGHT = {
    "activation_stds": _src('''
        def activation_stds(model, x):
            children = list(model.children())
            recorded = {}
            def make_hook(position):
                def hook(module, inputs, output):
                    recorded.setdefault(position, []).append(float(output.std()))
                return hook
            handles = []
            try:
                for position, child in enumerate(children):
                    handles.append(child.register_forward_hook(make_hook(position)))
                with torch.inference_mode():
                    model(x)
            finally:
                while handles:
                    handles.pop().remove()
            return [value for position in range(len(children)) for value in recorded.get(position, [])]
    '''),
    "calculate_fan_in_and_fan_out": _src('''
        def calculate_fan_in_and_fan_out(tensor):
            shape = tuple(tensor.size())
            if len(shape) < 2:
                raise ValueError(f"fans need at least 2 dimensions, got shape {shape}")
            field = math.prod(shape[2:])
            return int(shape[1] * field), int(shape[0] * field)
    '''),
    "calculate_gain": _src('''
        def calculate_gain(nonlinearity, param=None):
            fixed = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": 2 ** 0.5, "selu": 0.75}
            fixed.update({f"conv{d}d": 1.0 for d in (1, 2, 3)})
            fixed.update({f"conv_transpose{d}d": 1.0 for d in (1, 2, 3)})
            if nonlinearity == "leaky_relu":
                slope = 0.01 if param is None else param
                if type(slope) not in (int, float):
                    raise ValueError(f"negative slope must be a number, got {param!r}")
                return (2.0 / (1.0 + slope * slope)) ** 0.5
            if nonlinearity not in fixed:
                raise ValueError(f"no gain for {nonlinearity!r}")
            return fixed[nonlinearity]
    '''),
    "xavier_uniform_": _src('''
        @torch.no_grad()
        def xavier_uniform_(tensor, gain=1.0, generator=None):
            fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
            a = gain * (6.0 / (fan_in + fan_out)) ** 0.5
            u = torch.rand(tensor.shape, generator=generator, dtype=tensor.dtype)
            tensor.copy_((2 * u - 1) * a)
            return tensor
    '''),
    "xavier_normal_": _src('''
        @torch.no_grad()
        def xavier_normal_(tensor, gain=1.0, generator=None):
            fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
            z = torch.randn(tensor.shape, generator=generator, dtype=tensor.dtype)
            tensor.copy_(z * gain * (2.0 / (fan_in + fan_out)) ** 0.5)
            return tensor
    '''),
    "kaiming_uniform_": _src('''
        @torch.no_grad()
        def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
            fans = dict(zip(("fan_in", "fan_out"), calculate_fan_in_and_fan_out(tensor)))
            if mode not in fans:
                raise ValueError(f"unknown mode {mode!r}")
            std = calculate_gain(nonlinearity, a) / fans[mode] ** 0.5
            u = torch.rand(tensor.shape, generator=generator, dtype=tensor.dtype)
            tensor.copy_((u - 0.5) * 2 * (3 ** 0.5) * std)
            return tensor
    '''),
    "kaiming_normal_": _src('''
        @torch.no_grad()
        def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
            fans = dict(zip(("fan_in", "fan_out"), calculate_fan_in_and_fan_out(tensor)))
            if mode not in fans:
                raise ValueError(f"unknown mode {mode!r}")
            z = torch.randn(tensor.shape, generator=generator, dtype=tensor.dtype)
            tensor.copy_(z * calculate_gain(nonlinearity, a) / math.sqrt(fans[mode]))
            return tensor
    '''),
    # The polar factor U V^T of a Gaussian matrix is Haar distributed: no sign correction needed.
    "orthogonal_": _src('''
        def orthogonal_(tensor, gain=1.0, generator=None):
            if tensor.ndim < 2:
                raise ValueError(f"orthogonal_ needs at least 2 dimensions, got {tensor.ndim}")
            rows = tensor.shape[0]
            a = torch.randn(rows, tensor.numel() // rows, generator=generator, dtype=tensor.dtype)
            u, _, vh = torch.linalg.svd(a, full_matrices=False)
            with torch.no_grad():
                tensor.copy_((gain * (u @ vh)).reshape(tensor.shape))
            return tensor
    '''),
    "freeze": _src('''
        def _set_trainable(module, flag):
            for _, parameter in module.named_parameters():
                parameter.requires_grad = flag
            return module


        def freeze(module):
            return _set_trainable(module, False)


        def unfreeze(module):
            return _set_trainable(module, True)
    '''),
    "count_trainable_parameters": _src('''
        def count_trainable_parameters(model):
            unique = {id(p): p for m in model.modules() for p in m.parameters(recurse=False)}
            total = 0
            for p in unique.values():
                if p.requires_grad:
                    total += math.prod(p.shape)
            return int(total)
    '''),
    "discriminative_param_groups": _src('''
        def discriminative_param_groups(layer_groups, lr, decay=2.6):
            if not (decay > 0 and lr >= 0):
                raise ValueError(f"need decay > 0 and lr >= 0, got decay={decay}, lr={lr}")
            groups = [list(g.parameters()) if isinstance(g, nn.Module)
                      else [g] if isinstance(g, torch.Tensor) else list(g) for g in layer_groups]
            if len(groups) == 0:
                raise ValueError("layer_groups must not be empty")
            result, rate = [], lr
            for params in reversed(groups):
                result.append({"params": params, "lr": rate})
                rate = rate / decay
            return result[::-1]
    '''),
    "progressive_unfreeze": _src('''
        def progressive_unfreeze(layer_groups, stage):
            groups = list(layer_groups)
            if type(stage) is not int or stage < 0 or stage > len(groups):
                raise ValueError(f"stage must be an int in [0, {len(groups)}], got {stage!r}")
            def params_of(g):
                if isinstance(g, nn.Module):
                    return list(g.parameters())
                if isinstance(g, torch.Tensor):
                    return [g]
                return list(g)
            all_params = [params_of(g) for g in groups]
            for ps in all_params:
                for p in ps:
                    p.requires_grad = False
            for ps in all_params[len(groups) - stage:]:
                for p in ps:
                    p.requires_grad = True
            return groups[len(groups) - stage:]
    '''),
}


(session, test_reference_solution_passes_every_test_cell, test_wrong_answer_loses_points,
 test_another_right_answer_keeps_every_point, test_blind_answer_keeps_every_point) = wrong_answer_tests(
    NOTEBOOK, WRONG, RIGHT, BLIND)
