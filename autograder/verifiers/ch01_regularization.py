"""Chapter 1: the test cells of the regularization and augmentation exercises, checked outside the notebook.

Each ``collect`` builds fresh seeded inputs (separate generators for separate draws; modules
are built under ``torch.random.fork_rng``, so the kernel's global RNG is left as it was) and
checks what its test cell checks, no more. Deterministic contracts (eval mode, l2_penalty,
sgd_step, EarlyStopping, bad arguments) are compared with the reference's data; random ones
(dropout, flips, crops, deletion, noise) by the properties the cells check: proportions,
scaling, windows of the padded image, measured SNR, determinism for a seed, normality.
Gradient checks are ``gradient_probe`` data judged by ``gradients_consistent``. Inputs the
judges need come from the reference's data (entries named ``inputs``), never the learner's.
"""
from __future__ import annotations


import torch
import torch.nn.functional as F

from autograder.verify import Context, Verifier, expect_raised, expect_tensor, gradients_consistent, same
from traintech.testing import _fail, assert_close, assert_ks, assert_mean_std, assert_proportion, assert_true

DROPOUT_FORBIDDEN = ["torch.nn.functional.dropout", "torch.dropout", "torch.nn.Dropout",
                     "torch.nn.functional.dropout1d", "torch.nn.functional.dropout2d",
                     "torch.nn.functional.alpha_dropout"]


# ----------------------------------------------------------------------------- helpers


def _get(data, key):
    """``data[key]``, failing (not crashing) when the learner's data has another form."""
    if not isinstance(data, dict) or key not in data:
        _fail(f"the data your code returned has no entry {key!r}")
    return data[key]


def _eq(got, want) -> bool:
    """``got == want`` as a test cell's ``assert_true`` sees it (a tensor: all its elements)."""
    try:
        result = got == want
        return bool(result.all()) if isinstance(result, torch.Tensor) else bool(result)
    except Exception:  # noqa: BLE001 - odd data: not equal
        return False


def _agree(got, ref, *keys) -> None:
    """The learner's entries ``keys`` equal the reference's."""
    for key in keys:
        same(_get(got, key), ref[key], key)


def _raised(got, ref) -> None:
    """Each call of ``ref["raises"]`` raised (a subclass of) what the reference raised, or
    returned normally where the reference did."""
    calls = _get(got, "raises")
    for call, expected in ref["raises"].items():
        names = calls.get(call, ["(no data)"]) if isinstance(calls, dict) else ["(no data)"]
        expect_raised(names, None if expected is None else expected[0], call)


def _own_code_and(name: str, forbidden: list[str] = (), check=same):
    """A judge: ``name`` is the learner's own implementation, and ``check(got, ref)`` passes."""
    def judge(got, ref, context: Context) -> None:
        context.no_delegation(name, list(forbidden))
        check(got, ref)
    return judge


# ----------------------------------------------------------------------------- dropout


def _dropout_scaling(got, ref, context: Context) -> None:
    x = ref["inputs"]["x"]
    out = expect_tensor(_get(got, "dropout(x, p=0.3)"), "dropout(x, p=0.3)", x.shape)
    assert_proportion((out == 0).sum(), x.numel(), 0.3, name="the fraction of zeroed elements (p=0.3)")
    kept = out[out != 0]
    assert_close(kept, torch.full_like(kept, float(x[0]) / 0.7), name=f"the kept values of {float(x[0])} with p=0.3",
                 hint="kept values should be x / (1 - p): did you forget the rescaling, or divide by p?")
    x = ref["inputs"]["x64"]
    out = expect_tensor(_get(got, "dropout(x64, p=0.8)"), "dropout(x64, p=0.8)", x.shape)
    assert_true(out.dtype == torch.float64, f"dropout should keep x's dtype (float64), got {out.dtype}")
    zeroed = out == 0
    assert_proportion(zeroed.sum(), x.numel(), 0.8, name="the fraction of zeroed elements (p=0.8)")
    assert_close(out[~zeroed], x[~zeroed] / 0.2, name="the kept values with p=0.8")
    assert_true(zeroed.double().mean(dim=1).std() > 0.01,
                "each element needs its own random draw, not one mask per row or per tensor")
    assert_true(zeroed.double().mean(dim=0).std() > 0.01, "each element needs its own random draw, not one per column")
    assert_mean_std(out - x, mean=0.0, name="dropout(x) - x (inverted dropout keeps the expected value of every element)")


def _dropout_extremes(got, ref, context: Context) -> None:
    _raised(got, ref)
    _agree(got, ref, "dropout(x, p=1.0)", "the gradient of dropout(w, p=1.0).sum()")


def _dropout_gradient(got, ref, context: Context) -> None:
    context.no_delegation("dropout", DROPOUT_FORBIDDEN)
    _agree(got, ref, "x after dropout(x)")
    out = expect_tensor(_get(got, "dropout(x, p=0.5)"), "dropout(x, p=0.5)")
    assert_close(_get(got, "the gradient of dropout(x).sum()"), out,
                 name="the gradient of dropout(x).sum() with respect to x",
                 hint="the gradient should be mask / (1 - p): keep x in the autograd graph.")
    assert_close(_get(got, "dropout(x, p=0.5) again"), out, name="dropout with a generator seeded the same way",
                 hint="draw the mask with torch.rand(..., generator=generator).")
    gradients_consistent(_get(got, "gradient check"), ref["gradient check"], "dropout")


def _Dropout_train_and_eval(got, ref, context: Context) -> None:
    out = expect_tensor(_get(got, "Dropout(0.5)(ones) in train mode"), "Dropout(0.5)(ones) in train mode")
    assert_proportion((out == 0).sum(), 10_000, 0.5, name="the fraction zeroed by Dropout(0.5) in train mode")
    assert_close(out[out != 0], torch.full_like(out[out != 0], 2.0), name="the kept values of Dropout(0.5)(ones)")
    _agree(got, ref, "Dropout(0.5) in eval mode", "Dropout inside nn.Sequential after model.eval()")
    out = expect_tensor(_get(got, "Dropout(0.25) after model.train()"), "Dropout(0.25) after model.train()")
    assert_proportion((out == 0).sum(), 20_000, 0.25, name="the fraction zeroed by Dropout(0.25) after model.train()")
    assert_true(_eq(_get(got, "Dropout(0.25).p"), 0.25), "Dropout(p) should keep p in self.p")


def _Dropout_module(got, ref, context: Context) -> None:
    context.no_delegation("Dropout", ["torch.nn.Dropout", "torch.nn.functional.dropout", "torch.dropout"])
    _raised(got, ref)
    assert_true(_get(got, "isinstance(Dropout(0.2), nn.Module)") is True, "Dropout should subclass nn.Module")
    assert_true(_eq(_get(got, "the number of parameters of Dropout(0.2)"), 0), "Dropout has no learnable parameters")
    assert_true(_eq(_get(got, "Dropout().p"), 0.5), "Dropout()'s default p should be 0.5")


# ----------------------------------------------------------------------------- EarlyStopping


def _early_stopping_patience(got, ref, context: Context) -> None:
    for scenario, wanted in ref.items():
        mine = _get(got, scenario)
        for key, want in wanted.items():
            value = _get(mine, key)
            if key == "best (within 1e-6)":
                ok = _eq(abs(value - want) < 1e-6, True) if isinstance(value, (int, float, torch.Tensor)) else False
            else:
                ok = _eq(value, want)
            assert_true(ok, f"EarlyStopping, {scenario}: {key} should be {want!r}, got {value!r:.200}")


# ----------------------------------------------------------------------------- augmentation


def _flip_per_image(got, ref, context: Context) -> None:
    _agree(got, ref, "random_horizontal_flip(images, p=1.0)", "random_horizontal_flip(images, p=0.0)")
    after = expect_tensor(_get(got, "images after writing into the output"), "images after writing into the output")
    assert_true(after.abs().sum() > 0, "return a new tensor: changing the output changed the input")
    many = ref["inputs"]["many"]
    out = expect_tensor(_get(got, "random_horizontal_flip(many, p=0.3)"), "random_horizontal_flip(many, p=0.3)", many.shape)
    unchanged = (out == many).flatten(1).all(dim=1)
    mirrored = (out == many.flip(dims=[3])).flatten(1).all(dim=1)
    assert_true((unchanged | mirrored).all(), "every output image should be either the input image or its mirror image")
    assert_proportion(mirrored.sum(), many.shape[0], 0.3, name="the fraction of mirrored images (p=0.3)",
                      hint="draw one random number per image and flip when it is below p.")


def _window_positions(out, images: torch.Tensor, size: int, padding: int, name: str) -> list[int]:
    """For each output image, the index of the first size x size window of its zero-padded
    input image it equals (the same window in every channel); fails if there is none."""
    n, c, _, _ = images.shape
    out = expect_tensor(out, name, (n, c, size, size))
    windows = F.pad(images, (padding,) * 4).unfold(2, size, 1).unfold(3, size, 1)  # (N, C, nh, nw, size, size)
    match = (windows == out[:, :, None, None]).flatten(4).all(dim=4).all(dim=1).flatten(1)  # (N, nh * nw)
    found = match.any(dim=1)
    if not found.all():
        k = int((~found).nonzero()[0])
        _fail(f"output image {k} of {name} is not a window of the zero-padded input image {k} "
              f"(the same window for every channel)")
    return match.int().argmax(dim=1).tolist()


def _crop_windows(got, ref, context: Context) -> None:
    inputs = ref["inputs"]
    for key, (size, padding) in {"random_crop(images, 4)": (4, 0), "random_crop(images, 7, padding=2)": (7, 2)}.items():
        _window_positions(_get(got, key), inputs["images"], size, padding, key)
    key = "random_crop(many, 3, padding=1)"
    seen = len(set(_window_positions(_get(got, key), inputs["many"], 3, 1, key)))
    assert_true(seen == 16, f"with padding=1 and size=3 on 4x4 images all 16 window positions should occur, only "
                f"{seen} did: draw the top and left offsets uniformly and independently")
    out = expect_tensor(_get(got, "random_crop(batch, 5, padding=2)"), "random_crop(batch, 5, padding=2)", (400, 1, 5, 5))
    assert_true(out.dtype == torch.float64, "random_crop should keep the dtype")
    assert_true((out[1:] != out[:1]).flatten(1).any(dim=1).any(), "each image needs its own window")


def _is_subsequence(out, tokens: list) -> bool:
    """``out`` is a non-empty list of tokens taken from ``tokens`` in their order."""
    if not isinstance(out, list) or not out:
        return False
    remaining = iter(tokens)
    return all(any(_eq(t, u) for u in remaining) for t in out)


def _random_deletion(got, ref, context: Context) -> None:
    tokens, words = ref["inputs"]["tokens"], ref["inputs"]["words"]
    out = _get(got, "random_deletion(tokens, 0.0)")
    assert_true(_get(got, "p=0 gives a list") is True and _eq(out, tokens) and _get(got, "p=0 gives a new list") is True,
                "random_deletion(tokens, p=0) should return a new, equal list")
    ones = _get(got, "random_deletion(tokens, 1.0) for 40 seeds")
    assert_true(isinstance(ones, list) and len(ones) == 40 and all(isinstance(one, list) for one in ones),
                "random_deletion(tokens, 1.0) should return a list")
    for one in ones[:20]:
        assert_true(len(one) == 1 and any(_eq(one[0], t) for t in tokens),
                    f"with p=1 exactly one of the original tokens should remain, got {one!r:.200}")
    for half in _get(got, "random_deletion(tokens, 0.5) for 50 seeds") or [None]:
        assert_true(_is_subsequence(half, tokens),
                    f"the result should be a non-empty subsequence of the tokens, in order; got {half!r:.200}")
    assert_true(_eq(_get(got, "words after random_deletion(words, 0.3)"), words),
                "random_deletion must not modify its input list")
    kept = _get(got, "random_deletion(words, 0.3)")
    assert_true(isinstance(kept, list), "random_deletion should return a list")
    assert_proportion(len(words) - len(kept), len(words), 0.3, name="the fraction of deleted tokens (p=0.3)")
    for key, want in (("random_deletion([], 0.5)", []), ("random_deletion(['alone'], 1.0)", ["alone"])):
        value, is_list = _get(got, key), _get(got, f"{key} is a list")
        assert_true(is_list is True and _eq(value, want), f"{key} should be {want}, got {value!r:.200}")
    assert_true(len({tuple(str(t) for t in one) for one in ones}) > 1,
                "with p=1 the token that survives should be chosen at random")


def _measured_snr(clean: torch.Tensor, noisy: torch.Tensor) -> torch.Tensor:
    return 10 * torch.log10(clean.pow(2).mean(dim=-1) / (noisy - clean).pow(2).mean(dim=-1))


def _add_noise_snr(got, ref, context: Context) -> None:
    noisy = _get(got, "add_noise(signal, snr)")
    assert_true(isinstance(noisy, list) and len(noisy) == len(ref["inputs"]), "add_noise should return a tensor")
    for y, (x, snr) in zip(noisy, ref["inputs"]):
        name = f"add_noise({tuple(x.shape)} {x.dtype} signals, {snr})"
        y = expect_tensor(y, name, x.shape)
        assert_close(_measured_snr(x, y), torch.full(x.shape[:-1], snr, dtype=x.dtype),
                     atol=1e-6 if x.dtype == torch.float64 else 1e-3,
                     name=f"the measured SNR (dB) of each signal of {name}",
                     hint="SNR is a ratio of powers (mean squares): 10 log10(P_signal / P_noise); scale the noise "
                          "amplitude by the square root of the power ratio, per signal.")
        assert_true(y.dtype == x.dtype or x.dtype == torch.float64, "add_noise should keep the dtype")


def _add_noise_properties(got, ref, context: Context) -> None:
    x = ref["inputs"]["x"]
    _agree(got, ref, "x after add_noise(x)")
    y = expect_tensor(_get(got, "add_noise(x, 4.0)"), "add_noise(x, 4.0)")
    noise = y - x
    assert_mean_std(noise, mean=0.0, name="the added noise")
    assert_true(noise.std() > 0, "the noise should not be zero")
    assert_close(_get(got, "add_noise(x, 4.0) again"), y, name="add_noise with the same seeded generator",
                 hint="draw the noise with the generator.")
    context.no_delegation("add_noise", [])
    assert_ks(noise / noise.std(), "norm", args=(0.0, 1.0), name="the standardized noise")


def _l2_gradient(got, ref) -> None:
    _agree(got, ref, "the gradient of l2_penalty([w], 0.4)")
    gradients_consistent(_get(got, "gradient check"), ref["gradient check"], "l2_penalty")


# ----------------------------------------------------------------------------- the verifiers

VERIFIERS = {
    # ------------------------------------------------------------------ dropout
    "test_dropout_zeros_and_scaling": Verifier('''
x = torch.full((20_000,), -1.5)
x64 = torch.randn(300, 200, generator=torch.Generator().manual_seed(101), dtype=torch.float64)
result = {"inputs": {"x": x.clone(), "x64": x64.clone()},
          "dropout(x, p=0.3)": dropout(x, p=0.3, generator=torch.Generator().manual_seed(102)),
          "dropout(x64, p=0.8)": dropout(x64, p=0.8, generator=torch.Generator().manual_seed(103))}
''', judge=_dropout_scaling),
    "test_dropout_identity": Verifier('''
g = torch.Generator().manual_seed(111)
x = torch.randn(3, 7, generator=g)
x64 = torch.randn(2, 4, 5, generator=g, dtype=torch.float64)
result = {"dropout(x, p=0.5, training=False)": dropout(x, p=0.5, training=False),
          "dropout(x, p=0.0)": dropout(x, p=0.0),
          "dropout(float64 x, p=1.0, training=False)": dropout(x64, p=1.0, training=False),
          "dropout(float64 x, p=0.6, training=False)": dropout(x64, p=0.6, training=False)}
'''),
    "test_dropout_extremes": Verifier('''
g = torch.Generator().manual_seed(121)
x = torch.randn(120, generator=g)
w = torch.randn(12, generator=g).requires_grad_()
result = {"dropout(x, p=1.0)": dropout(x, p=1.0),
          "raises": {"dropout(x, p=1.2)": raises(dropout, x, p=1.2), "dropout(x, p=-0.3)": raises(dropout, x, p=-0.3),
                     "dropout(x, p=3.0, training=False)": raises(dropout, x, p=3.0, training=False)}}
dropout(w, p=1.0).sum().backward()
result["the gradient of dropout(w, p=1.0).sum()"] = w.grad
''', judge=_dropout_extremes),
    "test_dropout_gradient_and_purity": Verifier('''
x = torch.ones(800, requires_grad=True)
t = torch.randn(5, 6, generator=torch.Generator().manual_seed(131))
out = dropout(x, p=0.5, generator=torch.Generator().manual_seed(132))
result = {"x after dropout(x)": x.detach().clone()}
out.sum().backward()
result["dropout(x, p=0.5)"] = out
result["the gradient of dropout(x).sum()"] = x.grad
result["dropout(x, p=0.5) again"] = dropout(x.detach(), p=0.5, generator=torch.Generator().manual_seed(132))
result["gradient check"] = gradient_probe(lambda t: dropout(t, 0.4, generator=torch.Generator().manual_seed(133)),
                                          t, seed=134)
''', judge=_dropout_gradient),
    "test_Dropout_train_and_eval": Verifier('''
y = torch.randn(30, 20, generator=torch.Generator().manual_seed(141))
with torch.random.fork_rng(devices=[]):
    torch.manual_seed(142)
    layer = Dropout(p=0.5)
    layer.train()
    result = {"Dropout(0.5)(ones) in train mode": layer(torch.ones(10_000))}
    layer.eval()
    result["Dropout(0.5) in eval mode"] = layer(torch.ones(10_000))
    model = nn.Sequential(nn.Identity(), Dropout(p=0.25))
    model.eval()
    result["Dropout inside nn.Sequential after model.eval()"] = model(y)
    model.train()
    result["Dropout(0.25) after model.train()"] = model(torch.ones(20_000))
result["Dropout(0.25).p"] = getattr(model[1], "p", None)
''', judge=_Dropout_train_and_eval),
    "test_Dropout_module": Verifier('''
result = {"isinstance(Dropout(0.2), nn.Module)": isinstance(Dropout(0.2), nn.Module),
          "the number of parameters of Dropout(0.2)": len(list(Dropout(0.2).parameters())),
          "raises": {"Dropout(1.2)": raises(Dropout, 1.2), "Dropout(-0.3)": raises(Dropout, -0.3)},
          "Dropout().p": Dropout().p}
''', judge=_Dropout_module),
    # ------------------------------------------------------------------ l2_penalty and sgd_step
    "test_l2_penalty_value": Verifier('''
g = torch.Generator().manual_seed(151)
w1, w2 = torch.randn(3, generator=g), torch.randn(2, 4, generator=g)
with torch.random.fork_rng(devices=[]):
    torch.manual_seed(152)
    model = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 2))
result = {"l2_penalty([w1, w2], 0.2)": l2_penalty([w1, w2], 0.2),
          "l2_penalty(model.parameters(), 0.3)": l2_penalty(model.parameters(), 0.3).detach(),
          "l2_penalty([w1, w2], 0.0)": l2_penalty([w1, w2], 0.0)}
'''),
    "test_l2_penalty_gradient": Verifier('''
g = torch.Generator().manual_seed(161)
w = torch.randn(4, 3, generator=g).requires_grad_()
ab = torch.randn(11, generator=g)
l2_penalty([w], 0.4).backward()
result = {"the gradient of l2_penalty([w], 0.4)": w.grad,
          "gradient check": gradient_probe(lambda t: l2_penalty([t[:6].view(3, 2), t[6:]], 0.9), ab, seed=162)}
''', judge=_own_code_and("l2_penalty", check=_l2_gradient)),
    "test_sgd_step_matches_torch": Verifier('''
g = torch.Generator().manual_seed(171)
weight = torch.randn(3, 5, generator=g).requires_grad_()
bias = torch.randn(3, generator=g).requires_grad_()
weight.grad, bias.grad = torch.randn(3, 5, generator=g), torch.randn(3, generator=g)
x = torch.randn(12, 4, generator=g, dtype=torch.float64)
y = torch.randn(12, 2, generator=g, dtype=torch.float64)
with torch.random.fork_rng(devices=[]):
    torch.manual_seed(172)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2)).double()
sgd_step([weight, bias], lr=0.1, weight_decay=0.01)
result = {"[weight, bias] after sgd_step(lr=0.1, weight_decay=0.01)": [weight, bias]}
for _ in range(3):
    model.zero_grad()
    F.mse_loss(model(x), y).backward()
    sgd_step(model.parameters(), lr=0.05, weight_decay=0.2)
result["the parameters after 3 steps (lr=0.05, weight_decay=0.2, float64)"] = [p.detach().clone() for p in model.parameters()]
model.zero_grad()
F.mse_loss(model(x), y).backward()
sgd_step(model.parameters(), lr=0.3)
result["the parameters after a step with the default weight_decay=0"] = list(model.parameters())
'''),
    "test_sgd_step_in_place": Verifier('''
g = torch.Generator().manual_seed(181)
w = torch.randn(2, 3, generator=g).requires_grad_()
frozen = torch.randn(4, generator=g).requires_grad_()  # .grad stays None
w.grad = torch.randn(2, 3, generator=g)
sgd_step([w, frozen], lr=0.2, weight_decay=0.3)
result = {"w after one step": w.detach(), "w is a leaf without grad_fn": w.is_leaf and w.grad_fn is None,
          "a tensor whose .grad is None": frozen.detach(), "w.grad after sgd_step": w.grad}
''', judge=_own_code_and("sgd_step", ["torch.optim.SGD", "torch.optim.sgd.sgd"])),
    # ------------------------------------------------------------------ EarlyStopping
    "test_early_stopping_patience": Verifier('''
def _tt_run(stopper, metrics, *attributes):
    record = {"decisions": [stopper.step(m) for m in metrics]}
    record.update({name: getattr(stopper, name, "(missing)") for name in attributes})
    return record
patience_2 = EarlyStopping(patience=2)
result = {"patience=2": _tt_run(patience_2, [2.0, 1.5, 1.6, 1.5, 1.7], "best", "best_epoch", "num_bad_epochs"),
          "patience=2, then an improvement": _tt_run(patience_2, [0.2], "num_bad_epochs", "best_epoch"),
          "patience=4": _tt_run(EarlyStopping(patience=4), [5.0, 4.0, 4.5, 4.2, 4.1, 3.9, 4.0, 4.0, 4.0, 4.0],
                                "best", "best_epoch", "num_bad_epochs"),
          "mode='max'": _tt_run(EarlyStopping(patience=3, mode="max"), [0.1, 0.3, 0.2, 0.3, 0.25, 0.4, 0.35],
                                "best", "best_epoch"),
          "min_delta=0.05": _tt_run(EarlyStopping(patience=2, min_delta=0.05), [1.0, 0.97, 0.9, 0.88, 0.86, 0.7],
                                    "best", "best_epoch"),
          "mode='max', min_delta=0.1": _tt_run(EarlyStopping(patience=1, min_delta=0.1, mode="max"),
                                               [0.5, 0.55, 0.65, 0.62], "best", "best_epoch")}
tensor_metric = EarlyStopping(patience=1)
tensor_metric.step(torch.tensor(0.7))
result["a tensor metric"] = {"best (within 1e-6)": tensor_metric.best}
''', judge=_early_stopping_patience),
    "test_early_stopping_best_state": Verifier('''
with torch.random.fork_rng(devices=[]):
    torch.manual_seed(191)
    model = nn.Linear(4, 3)
stopper = EarlyStopping(patience=3)
stopper.step(0.8, model)
with torch.no_grad():
    model.weight.sub_(0.7)
stopper.step(0.9, model)
result = {"best_state is None": stopper.best_state is None}
result["best_state['weight'] after the model changed"] = stopper.best_state["weight"].clone()
restored = stopper.restore(model)
result["the weight after restore()"] = model.weight.detach().clone()
result["restore(model) is model"] = restored is model
no_model = EarlyStopping(patience=2)
no_model.step(1.5)
result["best_state without a model is None"] = no_model.best_state is None
with torch.no_grad():
    model.weight.mul_(-2.0)
result["best_state['weight'] after restore() and more training"] = stopper.best_state["weight"].clone()
'''),
    "test_early_stopping_bad_arguments": Verifier('''
result = {"raises": {"EarlyStopping(patience=0)": raises(EarlyStopping, patience=0),
                     "EarlyStopping(patience=-2)": raises(EarlyStopping, patience=-2),
                     "EarlyStopping(patience=1.5)": raises(EarlyStopping, patience=1.5),
                     "EarlyStopping(min_delta=-0.01)": raises(EarlyStopping, min_delta=-0.01),
                     "EarlyStopping(mode='mean')": raises(EarlyStopping, mode="mean"),
                     "EarlyStopping(mode='Max')": raises(EarlyStopping, mode="Max")}}
''', judge=_own_code_and("EarlyStopping", check=_raised)),
    # ------------------------------------------------------------------ image augmentation
    "test_flip_per_image": Verifier('''
g = torch.Generator().manual_seed(201)
images = torch.randn(5, 3, 4, 6, generator=g)
many = torch.randn(4000, 2, 3, 3, generator=g)
result = {"inputs": {"many": many.clone()},
          "random_horizontal_flip(images, p=1.0)": random_horizontal_flip(images, p=1.0).clone(),
          "random_horizontal_flip(images, p=0.0)": random_horizontal_flip(images, p=0.0).clone()}
out = random_horizontal_flip(images, p=0.5, generator=torch.Generator().manual_seed(202))
out[...] = 0  # the result must be a new tensor
result["images after writing into the output"] = images
result["random_horizontal_flip(many, p=0.3)"] = random_horizontal_flip(many, p=0.3,
                                                                      generator=torch.Generator().manual_seed(203))
''', judge=_flip_per_image),
    "test_flip_errors": Verifier('''
g = torch.Generator().manual_seed(211)
images = torch.randn(3, 2, 4, 4, generator=g)
result = {"raises": {
    "random_horizontal_flip(a (2, 5, 5) tensor)": raises(random_horizontal_flip, torch.randn(2, 5, 5, generator=g)),
    "random_horizontal_flip(images, p=1.1)": raises(random_horizontal_flip, images, p=1.1),
    "random_horizontal_flip(images, p=-0.4)": raises(random_horizontal_flip, images, p=-0.4),
    "random_horizontal_flip(a (2, 1, 1, 3, 3) tensor)": raises(random_horizontal_flip, torch.randn(2, 1, 1, 3, 3, generator=g))}}
''', judge=_own_code_and("random_horizontal_flip", check=_raised)),
    "test_crop_windows": Verifier('''
g = torch.Generator().manual_seed(221)
images = torch.randn(5, 2, 7, 7, generator=g)
batch = torch.randn(400, 1, 5, 5, generator=g).double()
many = torch.arange(1.0, 17.0).view(1, 1, 4, 4).repeat(300, 1, 1, 1)  # the cell checks 300 of 3000
result = {"inputs": {"images": images.clone(), "many": many.clone()},
          "random_crop(images, 4)": random_crop(images, 4, generator=torch.Generator().manual_seed(222)),
          "random_crop(images, 7, padding=2)": random_crop(images, 7, padding=2,
                                                           generator=torch.Generator().manual_seed(223)),
          "random_crop(many, 3, padding=1)": random_crop(many, 3, padding=1,
                                                         generator=torch.Generator().manual_seed(224)),
          "random_crop(batch, 5, padding=2)": random_crop(batch, 5, padding=2,
                                                          generator=torch.Generator().manual_seed(225))}
''', judge=_crop_windows),
    "test_crop_errors": Verifier('''
images = torch.randn(3, 2, 7, 7, generator=torch.Generator().manual_seed(231))
result = {"raises": {"random_crop(7x7 images, 8)": raises(random_crop, images, 8),
                     "random_crop(images, 5, padding=-2)": raises(random_crop, images, 5, padding=-2),
                     "random_crop(a (2, 7, 7) tensor, 4)": raises(random_crop, images[0], 4),
                     "random_crop(7x7 images, 12, padding=2)": raises(random_crop, images, 12, padding=2),
                     "random_crop(7x7 images, 11, padding=2)": raises(random_crop, images, 11, padding=2)}}
''', judge=_own_code_and("random_crop", check=_raised)),
    # ------------------------------------------------------------------ text and audio augmentation
    "test_random_deletion": Verifier('''
tokens = "to be or not to be that is the question".split()
words = [f"t{i}" for i in range(5000)]
result = {"inputs": {"tokens": list(tokens), "words": list(words)}}
p0 = random_deletion(tokens, 0.0, random.Random(1))
result.update({"random_deletion(tokens, 0.0)": p0, "p=0 gives a list": isinstance(p0, list),
               "p=0 gives a new list": p0 is not tokens})
result["random_deletion(tokens, 1.0) for 40 seeds"] = [random_deletion(tokens, 1.0, random.Random(s)) for s in range(2, 42)]
result["random_deletion(tokens, 0.5) for 50 seeds"] = [random_deletion(tokens, 0.5, random.Random(s)) for s in range(100, 150)]
result["random_deletion(words, 0.3)"] = random_deletion(words, 0.3, random.Random(8))
result["words after random_deletion(words, 0.3)"] = words
for key, args in {"random_deletion([], 0.5)": ([], 0.5, random.Random(3)),
                  "random_deletion(['alone'], 1.0)": (["alone"], 1.0, random.Random(4))}.items():
    result[key] = random_deletion(*args)
    result[key + " is a list"] = isinstance(result[key], list)
''', judge=_random_deletion),
    "test_random_deletion_errors": Verifier('''
result = {"raises": {
    "random_deletion(['x', 'y', 'z'], 1.2, rng)": raises(random_deletion, ["x", "y", "z"], 1.2, random.Random(0)),
    "random_deletion(['x', 'y', 'z'], -0.1, rng)": raises(random_deletion, ["x", "y", "z"], -0.1, random.Random(0)),
    "random_deletion([], 3.0, rng)": raises(random_deletion, [], 3.0, random.Random(0))}}
''', judge=_own_code_and("random_deletion", check=_raised)),
    "test_add_noise_snr": Verifier('''
g = torch.Generator().manual_seed(241)
t = torch.linspace(0, 1, 3000, dtype=torch.float64)
clean = torch.stack([torch.sin(2 * math.pi * 30 * t), 0.2 * torch.cos(2 * math.pi * 70 * t),
                     3 * torch.randn(3000, generator=g, dtype=torch.float64)])
scales = torch.tensor([0.5, 7.0, 0.02], dtype=torch.float64).view(3, 1, 1)
inputs = [(clean, 12.0)] + [(torch.randn(3, 2, 400, generator=g, dtype=torch.float64) * scales, snr)
                            for snr in (-3.0, 0.0, 7.5, 25.0)]
inputs.append((torch.cos(torch.linspace(0, 50, 6000)), 15.0))
result = {"inputs": [(x.clone(), snr) for x, snr in inputs],
          "add_noise(signal, snr)": [add_noise(x, snr, generator=torch.Generator().manual_seed(242 + i))
                                     for i, (x, snr) in enumerate(inputs)]}
''', judge=_add_noise_snr),
    "test_add_noise_properties": Verifier('''
x = torch.sin(torch.linspace(0, 80, 20_000)) + 0.3 * torch.cos(torch.linspace(0, 13, 20_000))
result = {"inputs": {"x": x.clone()}}
y = add_noise(x, 4.0, generator=torch.Generator().manual_seed(251))
result["x after add_noise(x)"] = x.clone()
result["add_noise(x, 4.0)"] = y
result["add_noise(x, 4.0) again"] = add_noise(x, 4.0, generator=torch.Generator().manual_seed(251))
''', judge=_add_noise_properties),
}
