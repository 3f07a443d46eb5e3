"""traintech.reference.regularization against PyTorch (dropout, SGD, AdamW) and its contract."""

import copy
import math
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

from traintech.reference.regularization import (
    Dropout,
    EarlyStopping,
    decoupled_weight_decay_,
    dropout,
    l2_penalty,
    param_groups_for_weight_decay,
    sgd_step,
)
from traintech.testing import assert_proportion


def seeded(seed=0):
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------- dropout


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_match_torch(p):
    n = 200_000
    x = torch.rand(n, generator=seeded(1)) + 0.5  # no zeros, so a zero means "dropped"
    y = dropout(x, p, generator=seeded(2))
    torch.manual_seed(3)
    y_torch = F.dropout(x, p)

    assert_proportion((y == 0).sum(), n, p, name=f"fraction of zeroed elements for p={p}")
    assert_proportion((y_torch == 0).sum(), n, p, name="F.dropout sanity")
    # Survivors are scaled by 1/(1-p), exactly as F.dropout scales them.
    kept = y != 0
    assert_close(y[kept], x[kept] / (1 - p))
    kept_torch = y_torch != 0
    assert_close(y_torch[kept_torch], x[kept_torch] / (1 - p))
    # Same first two moments as F.dropout (the expectation of each element is x).
    assert_close(y.mean(), x.mean(), rtol=0, atol=0.02)
    assert_close(y.std(), y_torch.std(), rtol=0.02, atol=0)


def test_dropout_mask_is_per_element():
    y = dropout(torch.ones(200, 50), 0.5, generator=seeded(0))
    rows = {tuple(row.tolist()) for row in (y != 0).int()}
    columns = {tuple(col.tolist()) for col in (y != 0).int().T}
    assert len(rows) == 200 and len(columns) == 50, "the mask must not be shared by rows/columns"


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_dropout_eval_returns_values_unchanged(p):
    x = torch.randn(4, 5, generator=seeded(0))
    out = dropout(x, p, training=False)
    assert torch.equal(out, x)
    assert torch.equal(out, F.dropout(x, p, training=False))


def test_dropout_p0_is_identity_in_training():
    x = torch.randn(3, 7, generator=seeded(0))
    assert torch.equal(dropout(x, 0.0), x)
    assert torch.equal(dropout(x, 0.0), F.dropout(x, 0.0))


def test_dropout_p1_is_all_zeros_without_nan():
    x = torch.randn(6, 6, generator=seeded(0), requires_grad=True)
    y = dropout(x, 1.0)
    assert torch.equal(y, torch.zeros_like(x))
    assert torch.equal(y, F.dropout(x, 1.0))
    assert not torch.isnan(y).any()
    y.sum().backward()  # still connected to autograd, with a zero gradient
    assert torch.equal(x.grad, torch.zeros_like(x))


@pytest.mark.parametrize("p", [-0.1, 1.1, float("nan")])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match=str(p)):
        dropout(torch.ones(3), p)
    with pytest.raises(ValueError, match=str(p)):
        dropout(torch.ones(3), p, training=False)
    with pytest.raises(ValueError, match=str(p)):
        Dropout(p)


def test_dropout_does_not_modify_input_and_keeps_shape_and_dtype():
    for dtype in (torch.float32, torch.float64):
        x = torch.randn(2, 3, 4, generator=seeded(0), dtype=dtype)
        before = x.clone()
        y = dropout(x, 0.5, generator=seeded(1))
        assert torch.equal(x, before), "dropout modified its input"
        assert y.shape == x.shape and y.dtype == dtype
        assert y.data_ptr() != x.data_ptr()


def test_dropout_is_deterministic_given_a_generator():
    x = torch.randn(1000, generator=seeded(0))
    assert torch.equal(dropout(x, 0.5, generator=seeded(7)), dropout(x, 0.5, generator=seeded(7)))
    other_seed = dropout(x, 0.5, generator=seeded(8))
    assert not torch.equal(dropout(x, 0.5, generator=seeded(7)), other_seed)


def test_dropout_gradient_is_the_scaled_mask():
    p = 0.25
    x = (torch.rand(500, generator=seeded(0)) + 0.5).requires_grad_()
    y = dropout(x, p, generator=seeded(1))
    y.sum().backward()
    assert_close(x.grad, (y != 0).to(x.dtype) / (1 - p))


def test_dropout_gradcheck_with_fixed_mask():
    x = torch.randn(4, 6, dtype=torch.float64, generator=seeded(0), requires_grad=True)
    # A fresh generator inside the function: the same mask at every evaluation.
    assert torch.autograd.gradcheck(lambda t: dropout(t, 0.4, generator=seeded(5)), (x,))


def test_dropout_is_implemented_from_primitives(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("dropout must not call the PyTorch dropout it re-implements")

    monkeypatch.setattr(F, "dropout", forbidden)
    monkeypatch.setattr(torch, "dropout", forbidden)
    monkeypatch.setattr(torch.nn.functional, "dropout", forbidden)
    y = dropout(torch.ones(100), 0.5, generator=seeded(0))
    assert set(y.unique().tolist()) <= {0.0, 2.0}
    Dropout(0.5)(torch.ones(10))


def test_dropout_module_train_and_eval():
    layer = Dropout(p=0.3)
    assert isinstance(layer, nn.Module) and list(layer.parameters()) == []
    assert repr(layer) == "Dropout(p=0.3)"
    x = torch.rand(100_000, generator=seeded(0)) + 0.5
    torch.manual_seed(0)
    y = layer(x)  # train mode by default, like nn.Dropout
    assert_proportion((y == 0).sum(), x.numel(), 0.3, name="Dropout in train mode")
    assert_close(y[y != 0], x[y != 0] / 0.7)
    layer.eval()
    assert torch.equal(layer(x), x)
    assert torch.equal(layer(x), nn.Dropout(0.3).eval()(x))
    layer.train()
    assert (layer(x) == 0).any()


def test_dropout_module_in_a_sequential():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), Dropout(0.5), nn.Linear(8, 2))
    x = torch.randn(3, 4, generator=seeded(0))
    model.eval()
    assert torch.equal(model(x), model(x)), "eval mode must be deterministic"
    model.train()
    model(x).sum().backward()  # gradients flow through the module
    assert model[0].weight.grad is not None


# --------------------------------------------------------------------------- l2_penalty


def test_l2_penalty_value_and_gradient():
    a = torch.randn(3, 4, generator=seeded(0), requires_grad=True)
    b = torch.randn(5, generator=seeded(1), requires_grad=True)
    penalty = l2_penalty([a, b], weight_decay=0.3)
    assert penalty.dim() == 0
    assert_close(penalty, 0.3 / 2 * (a.detach().pow(2).sum() + b.detach().pow(2).sum()))
    penalty.backward()
    assert_close(a.grad, 0.3 * a.detach())
    assert_close(b.grad, 0.3 * b.detach())


def test_l2_penalty_gradcheck():
    a = torch.randn(3, 2, dtype=torch.float64, generator=seeded(0), requires_grad=True)
    b = torch.randn(4, dtype=torch.float64, generator=seeded(1), requires_grad=True)
    assert torch.autograd.gradcheck(lambda u, v: l2_penalty([u, v], 0.7), (a, b))


def test_l2_penalty_accepts_parameters_generator_single_tensor_and_empty():
    model = nn.Linear(3, 2)
    expected = 0.1 / 2 * sum(p.detach().pow(2).sum() for p in model.parameters())
    assert_close(l2_penalty(model.parameters(), 0.1), expected)
    assert_close(l2_penalty(model.weight, 0.1), 0.1 / 2 * model.weight.detach().pow(2).sum())
    assert_close(l2_penalty([], 0.1), torch.tensor(0.0))


def test_l2_penalty_in_the_loss_equals_sgd_weight_decay():
    """Gradient descent on loss + l2_penalty is torch.optim.SGD(weight_decay=λ)."""
    torch.manual_seed(0)
    model_a = nn.Linear(5, 3)
    model_b = copy.deepcopy(model_a)
    opt_a = torch.optim.SGD(model_a.parameters(), lr=0.1)
    opt_b = torch.optim.SGD(model_b.parameters(), lr=0.1, weight_decay=0.2)
    x, y = torch.randn(16, 5, generator=seeded(1)), torch.randn(16, 3, generator=seeded(2))
    for _ in range(3):
        opt_a.zero_grad()
        (F.mse_loss(model_a(x), y) + l2_penalty(model_a.parameters(), 0.2)).backward()
        opt_a.step()
        opt_b.zero_grad()
        F.mse_loss(model_b(x), y).backward()
        opt_b.step()
    for pa, pb in zip(model_a.parameters(), model_b.parameters()):
        assert_close(pa, pb)


def test_l2_penalty_rejects_negative_weight_decay():
    with pytest.raises(ValueError, match="-0.5"):
        l2_penalty([torch.ones(2)], -0.5)


# --------------------------------------------------------------------------- sgd_step


def _model_and_data():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 2))
    model.unused = nn.Parameter(torch.randn(3))  # never in the loss: its .grad stays None
    batches = [
        (torch.randn(10, 6, generator=seeded(i)), torch.randn(10, 2, generator=seeded(100 + i)))
        for i in range(5)
    ]
    return model, batches


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_sgd_step_equals_torch_sgd_over_several_steps(weight_decay):
    model, batches = _model_and_data()
    reference = copy.deepcopy(model)
    optimizer = torch.optim.SGD(reference.parameters(), lr=0.1, weight_decay=weight_decay)
    for x, y in batches:
        model.zero_grad()
        F.mse_loss(model(x), y).backward()
        if weight_decay:
            sgd_step(model.parameters(), lr=0.1, weight_decay=weight_decay)
        else:
            sgd_step(model.parameters(), lr=0.1)  # the default weight_decay is 0
        optimizer.zero_grad()
        F.mse_loss(reference(x), y).backward()
        optimizer.step()
        for (name, p), q in zip(model.named_parameters(), reference.parameters()):
            assert_close(p, q, msg=lambda m: f"parameter {name} differs from torch.optim.SGD: {m}")
    assert model.unused.grad is None
    assert torch.equal(model.unused, reference.unused), "a tensor with grad None must be skipped"


def test_sgd_step_formula_in_place_and_without_autograd():
    w = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    w.grad = torch.tensor([0.5, 0.5, -1.0])
    storage = w.data_ptr()
    sgd_step([w], lr=0.1, weight_decay=0.2)
    expected = (1 - 0.1 * 0.2) * torch.tensor([1.0, -2.0, 3.0]) - 0.1 * torch.tensor([0.5, 0.5, -1.0])
    assert_close(w.detach(), expected)
    assert w.data_ptr() == storage, "sgd_step must update in place"
    assert w.is_leaf and w.grad_fn is None and w.requires_grad


def test_sgd_step_accepts_a_single_tensor():
    w = torch.ones(3, requires_grad=True)
    w.grad = torch.ones(3)
    sgd_step(w, lr=0.5)
    assert_close(w.detach(), torch.full((3,), 0.5))


@pytest.mark.parametrize(
    "kwargs, bad", [({"lr": -0.1}, "-0.1"), ({"lr": 0.1, "weight_decay": -1.0}, "-1.0")]
)
def test_sgd_step_rejects_negative_arguments(kwargs, bad):
    w = torch.ones(2, requires_grad=True)
    w.grad = torch.ones(2)
    with pytest.raises(ValueError, match=bad):
        sgd_step([w], **kwargs)
    assert torch.equal(w.detach(), torch.ones(2))


# --------------------------------------------------------------------------- decoupled weight decay


def _run_adam(model, batches, lr, weight_decay, order):
    if order == "adamw":
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=0.0)
    for x, y in batches:
        optimizer.zero_grad()
        F.mse_loss(model(x), y).backward()
        if order == "decay_then_step":
            decoupled_weight_decay_(model.parameters(), lr, weight_decay)
        optimizer.step()
        if order == "step_then_decay":
            decoupled_weight_decay_(model.parameters(), lr, weight_decay)
    return model


def test_decoupled_weight_decay_then_adam_equals_adamw():
    model, batches = _model_and_data()
    settings = dict(lr=0.05, weight_decay=0.3)
    ours = _run_adam(copy.deepcopy(model), batches, **settings, order="decay_then_step")
    reference = _run_adam(copy.deepcopy(model), batches, **settings, order="adamw")
    for (name, p), q in zip(ours.named_parameters(), reference.parameters()):
        assert_close(p, q, msg=lambda m: f"parameter {name} differs from torch.optim.AdamW: {m}")
    assert torch.equal(ours.unused, model.unused), "a tensor with grad None must not decay (AdamW)"


def test_decoupled_weight_decay_after_the_step_is_not_adamw():
    """The documented order matters: decaying after adam.step() also shrinks the update."""
    model, batches = _model_and_data()
    settings = dict(lr=0.1, weight_decay=0.5)
    after = _run_adam(copy.deepcopy(model), batches, **settings, order="step_then_decay")
    reference = _run_adam(copy.deepcopy(model), batches, **settings, order="adamw")
    pairs = zip(after.parameters(), reference.parameters())
    difference = max((p - q).abs().max().item() for p, q in pairs)
    assert difference > 1e-4


def test_decoupled_weight_decay_formula_and_errors():
    w = torch.tensor([2.0, -4.0], requires_grad=True)
    w.grad = torch.tensor([100.0, -100.0])  # the gradient plays no part in the decay
    decoupled_weight_decay_([w], lr=0.1, weight_decay=0.5)
    assert_close(w.detach(), torch.tensor([2.0, -4.0]) * (1 - 0.05))
    assert w.grad_fn is None
    with pytest.raises(ValueError, match="-0.1"):
        decoupled_weight_decay_([w], lr=-0.1, weight_decay=0.5)
    with pytest.raises(ValueError, match="-0.5"):
        decoupled_weight_decay_([w], lr=0.1, weight_decay=-0.5)


# --------------------------------------------------------------------------- param_groups_for_weight_decay


class _WeightNormLinear(nn.Module):
    """Chapter 2's WeightNormLinear, as the rule sees it: parameters weight_v, weight_g, bias."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight_v = nn.Parameter(torch.randn(out_features, in_features))
        self.weight_g = nn.Parameter(self.weight_v.detach().norm(dim=1, keepdim=True))
        self.bias = nn.Parameter(torch.zeros(out_features))

    def forward(self, x):
        return F.linear(x, self.weight_g * self.weight_v / self.weight_v.norm(dim=1, keepdim=True), self.bias)


def _group_names(model, groups):
    names = {id(p): name for name, p in model.named_parameters()}
    return [sorted(names[id(p)] for p in group["params"]) for group in groups]


def _every_kind_of_layer():
    torch.manual_seed(0)
    return nn.ModuleDict({
        "embed": nn.Embedding(10, 4),
        "conv": nn.Sequential(nn.Conv1d(4, 4, 3), nn.BatchNorm1d(4), nn.Conv2d(1, 2, 3, bias=False),
                              nn.BatchNorm2d(2), nn.Conv3d(1, 1, 1), nn.InstanceNorm2d(2, affine=True),
                              nn.GroupNorm(2, 4), nn.ConvTranspose1d(2, 2, 3), nn.ConvTranspose2d(2, 2, 3),
                              nn.ConvTranspose3d(1, 1, 1), nn.PReLU()),
        "head": nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4), _WeightNormLinear(4, 3), nn.Bilinear(2, 2, 2)),
    })


def test_param_groups_decay_exactly_linear_and_conv_weights_and_weight_v():
    model = _every_kind_of_layer()
    groups = param_groups_for_weight_decay(model, weight_decay=0.1)
    assert [set(g) for g in groups] == [{"params", "weight_decay"}] * 2
    assert [g["weight_decay"] for g in groups] == [0.1, 0.0]
    decay, no_decay = _group_names(model, groups)
    assert decay == sorted(["conv.0.weight", "conv.2.weight", "conv.4.weight", "conv.7.weight", "conv.8.weight",
                            "conv.9.weight", "head.0.weight", "head.2.weight_v"])
    # everything else: biases, every normalization layer, weight_g (2-D), Embedding, PReLU, Bilinear
    assert sorted(decay + no_decay) == sorted(name for name, _ in model.named_parameters())
    assert {"embed.weight", "conv.10.weight", "head.2.weight_g", "head.3.weight", "conv.1.weight",
            "conv.5.weight", "conv.6.weight", "head.1.weight"} <= set(no_decay)


def test_param_groups_are_not_the_ndim_shortcut():
    """"Decay iff p.ndim >= 2" decays weight_g (out, 1) and the embedding table: not the rule."""
    model = _every_kind_of_layer()
    decay, _ = param_groups_for_weight_decay(model, 0.1)
    by_ndim = {id(p) for p in model.parameters() if p.ndim >= 2}
    assert {id(p) for p in decay["params"]} < by_ndim
    assert id(model["head"][2].weight_g) in by_ndim and model["head"][2].weight_g.shape == (3, 1)


def test_param_groups_recognize_torch_weight_norm_by_name():
    with warnings.catch_warnings():  # torch.nn.utils.weight_norm is deprecated, and still common
        warnings.simplefilter("ignore")
        layer = torch.nn.utils.weight_norm(nn.Linear(3, 2))
    decay, no_decay = _group_names(layer, param_groups_for_weight_decay(layer, 0.1))
    assert decay == ["weight_v"] and no_decay == ["bias", "weight_g"]


def test_param_groups_hold_every_parameter_once_shared_and_frozen_included():
    torch.manual_seed(0)
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared, nn.Linear(4, 4), nn.Linear(4, 4))
    model[4].weight = model[3].weight  # a tied weight
    model[3].requires_grad_(False)
    groups = param_groups_for_weight_decay(model, 0.1)
    listed = [id(p) for g in groups for p in g["params"]]
    assert sorted(listed) == sorted(id(p) for p in model.parameters()) and len(listed) == len(set(listed)) == 5
    torch.optim.AdamW(groups, lr=1e-3)  # would raise on a parameter in two groups


def test_param_groups_tie_follows_the_first_owner():
    """A weight tied between an Embedding and a Linear (a language model's head) follows its first owner."""
    embed, head = nn.Embedding(5, 3), nn.Linear(3, 5, bias=False)
    head.weight = embed.weight
    decay, no_decay = param_groups_for_weight_decay(nn.Sequential(embed, head), 0.1)
    assert decay["params"] == [] and no_decay["params"] == [embed.weight]
    decay, no_decay = param_groups_for_weight_decay(nn.Sequential(head, embed), 0.1)
    assert decay["params"] == [head.weight] and no_decay["params"] == []


def test_param_groups_with_adamw_equal_decoupled_decay_on_the_decay_group_only():
    """AdamW on the groups == Adam without decay, plus decoupled decay of the decay group alone."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), _WeightNormLinear(8, 2)).double()
    x, y = torch.randn(16, 3, dtype=torch.float64), torch.randn(16, 2, dtype=torch.float64)
    ours, theirs = copy.deepcopy(model), copy.deepcopy(model)
    lr, weight_decay = 0.05, 0.4
    adamw = torch.optim.AdamW(param_groups_for_weight_decay(ours, weight_decay), lr=lr)
    decay, _ = param_groups_for_weight_decay(theirs, weight_decay)
    adam = torch.optim.Adam(theirs.parameters(), lr=lr)
    for _ in range(5):
        for net, opt in ((ours, adamw), (theirs, adam)):
            opt.zero_grad()
            F.mse_loss(net(x), y).backward()
        adamw.step()
        decoupled_weight_decay_(decay["params"], lr, weight_decay)
        adam.step()
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        assert_close(p, q, msg=lambda m: f"{name}: {m}")


def test_param_groups_keep_normalization_gains_from_decaying():
    """One AdamW step with zero gradients: the decay group shrinks by 1 - lr * wd, nothing else moves."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), _WeightNormLinear(4, 2))
    before = copy.deepcopy(model)
    optimizer = torch.optim.AdamW(param_groups_for_weight_decay(model, 0.2), lr=0.5)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    for (name, p), q in zip(model.named_parameters(), before.parameters()):
        factor = 0.9 if name in ("0.weight", "2.weight_v") else 1.0
        assert_close(p.detach(), factor * q.detach(), msg=lambda m: f"{name}: {m}")


def test_param_groups_edge_cases_and_errors():
    norm_only = nn.BatchNorm1d(3)
    decay, no_decay = param_groups_for_weight_decay(norm_only, 0.0)
    assert decay == {"params": [], "weight_decay": 0.0} and len(no_decay["params"]) == 2
    torch.optim.AdamW([decay, no_decay], lr=1e-3)  # an empty group is fine
    for bad in (-0.1, float("nan")):
        with pytest.raises(ValueError, match="weight_decay"):
            param_groups_for_weight_decay(norm_only, bad)


# --------------------------------------------------------------------------- EarlyStopping


def test_early_stopping_min_mode():
    stopper = EarlyStopping(patience=2)
    flags = [stopper.step(loss) for loss in [1.0, 0.8, 0.9, 0.85, 0.7, 0.75, 0.72, 0.71]]
    assert flags == [False, False, False, True, False, False, True, True]
    assert stopper.best == 0.7 and stopper.best_epoch == 4 and stopper.num_bad_epochs == 3


def test_early_stopping_max_mode():
    stopper = EarlyStopping(patience=3, mode="max")
    flags = [stopper.step(acc) for acc in [0.5, 0.6, 0.6, 0.55, 0.58, 0.61]]
    assert flags == [False, False, False, False, True, False]
    assert stopper.best == 0.61 and stopper.best_epoch == 5 and stopper.num_bad_epochs == 0


def test_early_stopping_min_delta_is_a_strict_threshold():
    stopper = EarlyStopping(patience=10, min_delta=0.25)
    stopper.step(1.0)
    stopper.step(0.75)  # exactly best - min_delta: not an improvement
    assert (stopper.best, stopper.best_epoch, stopper.num_bad_epochs) == (1.0, 0, 1)
    stopper.step(0.5)
    assert (stopper.best, stopper.best_epoch, stopper.num_bad_epochs) == (0.5, 2, 0)

    stopper = EarlyStopping(patience=10, min_delta=0.25, mode="max")
    stopper.step(1.0)
    stopper.step(1.25)
    assert (stopper.best, stopper.num_bad_epochs) == (1.0, 1)
    stopper.step(1.5)
    assert (stopper.best, stopper.best_epoch) == (1.5, 2)


def test_early_stopping_patience_one_and_reset_of_the_count():
    stopper = EarlyStopping(patience=1)
    assert stopper.step(1.0) is False
    assert stopper.step(1.0) is True  # equal is not better
    assert stopper.step(0.5) is False
    assert stopper.num_bad_epochs == 0


def test_early_stopping_nan_is_not_an_improvement_and_tensors_are_accepted():
    stopper = EarlyStopping(patience=2)
    assert stopper.step(torch.tensor(0.5)) is False
    assert stopper.step(float("nan")) is False
    assert stopper.step(torch.tensor(float("nan"))) is True
    assert stopper.best == 0.5 and stopper.best_epoch == 0 and stopper.num_bad_epochs == 2
    first = EarlyStopping(patience=1, mode="max")
    assert first.step(float("nan")) is True and first.best_epoch is None


def test_early_stopping_best_state_is_an_independent_copy():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    model(torch.randn(8, 3))  # move the BatchNorm buffers away from their initial values
    stopper = EarlyStopping(patience=3)
    stopper.step(1.0, model)
    snapshot = {k: v.clone() for k, v in model.state_dict().items()}
    assert stopper.best_state.keys() == model.state_dict().keys()
    for key, value in model.state_dict().items():
        assert stopper.best_state[key].data_ptr() != value.data_ptr(), f"{key} shares storage"

    with torch.no_grad():  # training goes on: parameters and buffers change in place
        for p in model.parameters():
            p.add_(1.0)
    model(torch.randn(8, 3))
    stopper.step(2.0, model)  # worse: best_state must still be the first epoch's
    for key, value in snapshot.items():
        assert torch.equal(stopper.best_state[key], value), f"best_state[{key!r}] changed"

    returned = stopper.restore(model)
    assert returned is model
    for key, value in snapshot.items():
        assert torch.equal(model.state_dict()[key], value), f"restore() did not load {key}"
    with torch.no_grad():
        model[0].weight.mul_(0)  # restoring loaded a copy: best_state is still intact
    assert torch.equal(stopper.best_state["0.weight"], snapshot["0.weight"])


def test_early_stopping_keeps_the_state_of_the_best_call():
    model = nn.Linear(2, 1)
    stopper = EarlyStopping(patience=5, mode="max")
    for epoch, accuracy in enumerate([0.1, 0.3, 0.2]):
        with torch.no_grad():
            model.weight.fill_(epoch)
        stopper.step(accuracy, model=model)
    assert stopper.best_epoch == 1
    assert torch.equal(stopper.best_state["weight"], torch.full((1, 2), 1.0))


def test_early_stopping_without_model_has_no_state_to_restore():
    stopper = EarlyStopping()
    stopper.step(1.0)
    assert stopper.best_state is None
    with pytest.raises(RuntimeError):
        stopper.restore(nn.Linear(2, 2))


@pytest.mark.parametrize(
    "kwargs, bad",
    [
        ({"patience": 0}, "0"),
        ({"patience": -2}, "-2"),
        ({"patience": 2.5}, "2.5"),
        ({"patience": True}, "True"),
        ({"min_delta": -0.1}, "-0.1"),
        ({"min_delta": float("nan")}, "nan"),
        ({"min_delta": float("inf")}, "inf"),
        ({"min_delta": True}, "True"),
        ({"mode": "mean"}, "mean"),
    ],
)
def test_early_stopping_rejects_bad_arguments(kwargs, bad):
    with pytest.raises(ValueError, match=bad):
        EarlyStopping(**kwargs)


def test_early_stopping_reset_forgets_the_history():
    stopper = EarlyStopping(patience=1, mode="max")
    stopper.step(0.9, nn.Linear(1, 1))
    stopper.step(0.1)
    stopper.reset()
    state = (stopper.best, stopper.best_epoch, stopper.num_bad_epochs, stopper.best_state)
    assert state == (-math.inf, None, 0, None)
    assert stopper.step(0.2) is False and stopper.best_epoch == 0


def test_early_stopping_repr():
    stopper = EarlyStopping(patience=3, min_delta=0.01, mode="max")
    stopper.step(0.5)
    text = repr(stopper)
    assert text.startswith("EarlyStopping(")
    for part in ("patience=3", "min_delta=0.01", "mode='max'", "best=0.5", "best_epoch=0"):
        assert part in text
