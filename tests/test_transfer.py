"""traintech.reference.transfer: freezing, trainable-parameter counts, discriminative LRs, gradual unfreezing."""

import pytest
import torch
from torch import nn

from traintech.reference.transfer import (
    count_trainable_parameters,
    discriminative_param_groups,
    freeze,
    progressive_unfreeze,
    unfreeze,
)


def make_model():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(),  # body: 40 + 16 parameters
        nn.Linear(8, 8), nn.ReLU(),  # neck: 72
        nn.Linear(8, 3),  # head: 27
    )


def layer_groups(model):
    return [nn.Sequential(model[0], model[1]), model[3], model[5]]


def trainable(module):
    return [p.requires_grad for p in module.parameters()]


# --- freeze, unfreeze, count ----------------------------------------------------------


def test_count_trainable_parameters_counts_scalars():
    assert count_trainable_parameters(nn.Linear(10, 5)) == 10 * 5 + 5
    assert count_trainable_parameters(make_model()) == 40 + 16 + 72 + 27  # buffers excluded
    assert count_trainable_parameters(nn.ReLU()) == 0


def test_count_trainable_parameters_counts_a_shared_parameter_once():
    layer = nn.Linear(6, 6)
    assert count_trainable_parameters(nn.Sequential(layer, nn.Tanh(), layer)) == 42


def test_freeze_and_unfreeze():
    model = make_model()
    assert freeze(model) is model
    assert not any(trainable(model))
    assert count_trainable_parameters(model) == 0
    assert unfreeze(model[3]) is model[3]
    assert count_trainable_parameters(model) == 72
    assert unfreeze(model) is model
    assert all(trainable(model))


def test_frozen_parameters_do_not_change_in_a_training_step():
    model = make_model()
    freeze(model[0])
    before = model[0].weight.detach().clone()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model(torch.randn(16, 4)).pow(2).mean().backward()
    optimizer.step()
    assert model[0].weight.grad is None
    assert torch.equal(model[0].weight, before)
    assert not torch.equal(model[5].weight.grad, torch.zeros_like(model[5].weight))


# --- discriminative learning rates ----------------------------------------------------


def test_discriminative_param_groups_learning_rates():
    model = make_model()
    groups = discriminative_param_groups(layer_groups(model), lr=1e-2)
    assert [g["lr"] for g in groups] == pytest.approx([1e-2 / 2.6**2, 1e-2 / 2.6, 1e-2])
    groups = discriminative_param_groups(layer_groups(model), lr=0.3, decay=10)
    assert [g["lr"] for g in groups] == pytest.approx([0.003, 0.03, 0.3])


def test_discriminative_param_groups_hold_every_parameter_in_order():
    model = make_model()
    groups = discriminative_param_groups(layer_groups(model), lr=1e-2)
    assert [set(map(id, g["params"])) for g in groups] == [
        set(map(id, group.parameters())) for group in layer_groups(model)
    ]
    assert sum(p.numel() for g in groups for p in g["params"]) == count_trainable_parameters(model)


def test_discriminative_param_groups_include_frozen_parameters():
    model = make_model()
    freeze(model)
    groups = discriminative_param_groups(layer_groups(model), lr=1e-2)
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))


def test_discriminative_param_groups_accept_iterables_of_parameters():
    model = make_model()
    groups = discriminative_param_groups(
        [model[0].parameters(), [model[3].weight, model[3].bias], model[5].weight], lr=1.0, decay=2.0
    )
    assert [len(g["params"]) for g in groups] == [2, 2, 1]
    assert [g["lr"] for g in groups] == [0.25, 0.5, 1.0]


def test_one_sgd_step_uses_each_groups_learning_rate():
    model = make_model()
    optimizer = torch.optim.SGD(discriminative_param_groups(layer_groups(model), lr=0.1, decay=4.0), lr=123.0)
    before = [p.detach().clone() for p in model.parameters()]
    model(torch.randn(16, 4)).pow(2).mean().backward()
    optimizer.step()
    lr_of = {}
    for lr, group in zip([0.1 / 16, 0.1 / 4, 0.1], layer_groups(model)):
        lr_of.update({id(p): lr for p in group.parameters()})
    for old, p in zip(before, model.parameters()):
        torch.testing.assert_close(p.detach(), old - lr_of[id(p)] * p.grad)


@pytest.mark.parametrize("decay", [0, -2.6, float("nan")])
def test_discriminative_param_groups_reject_a_bad_decay(decay):
    with pytest.raises(ValueError, match=str(decay)):
        discriminative_param_groups(layer_groups(make_model()), lr=1e-2, decay=decay)


def test_discriminative_param_groups_reject_a_negative_lr():
    with pytest.raises(ValueError, match="-0.1"):
        discriminative_param_groups(layer_groups(make_model()), lr=-0.1)


def test_discriminative_param_groups_reject_empty_groups():
    model = make_model()
    with pytest.raises(ValueError, match="empty"):
        discriminative_param_groups([], lr=1e-2)
    with pytest.raises(ValueError, match="group 1"):
        discriminative_param_groups([model[0], nn.ReLU(), model[5]], lr=1e-2)
    used = model[5].parameters()
    list(used)  # an exhausted generator holds no parameter: say so, do not skip it
    with pytest.raises(ValueError, match="group 1"):
        discriminative_param_groups([model[0], used], lr=1e-2)


def test_discriminative_param_groups_reject_a_parameter_in_two_groups():
    model = make_model()
    with pytest.raises(ValueError, match="group 1"):
        discriminative_param_groups([model[0], [model[0].weight]], lr=1e-2)


def test_discriminative_param_groups_reject_non_parameters():
    with pytest.raises(ValueError, match="not a parameter"):
        discriminative_param_groups([[1.0, 2.0]], lr=1e-2)


# --- progressive unfreezing -----------------------------------------------------------


@pytest.mark.parametrize("stage", [0, 1, 2, 3])
def test_progressive_unfreeze_trains_the_last_groups(stage):
    model = make_model()
    groups = layer_groups(model)
    unfrozen = progressive_unfreeze(groups, stage)
    assert unfrozen == groups[len(groups) - stage :]
    for index, group in enumerate(groups):
        expected = index >= len(groups) - stage
        assert trainable(group) == [expected] * len(trainable(group)), f"stage {stage}, group {index}"


def test_progressive_unfreeze_refreezes_earlier_groups():
    model = make_model()
    groups = layer_groups(model)
    progressive_unfreeze(groups, 3)
    progressive_unfreeze(groups, 1)
    assert count_trainable_parameters(model) == 27


def test_progressive_unfreeze_with_one_discriminative_optimizer():
    model = make_model()
    groups = layer_groups(model)
    progressive_unfreeze(groups, 1)
    optimizer = torch.optim.Adam(discriminative_param_groups(groups, lr=1e-2))
    before = [p.detach().clone() for p in model.parameters()]
    model(torch.randn(16, 4)).pow(2).mean().backward()
    optimizer.step()
    changed = [not torch.equal(old, p) for old, p in zip(before, model.parameters())]
    assert changed == [False] * 6 + [True] * 2  # only the head's weight and bias moved


def test_progressive_unfreeze_accepts_lists_of_parameters():
    model = make_model()
    unfrozen = progressive_unfreeze([list(model[0].parameters()), list(model[5].parameters())], 1)
    assert len(unfrozen) == 1
    assert trainable(model[0]) == [False, False] and trainable(model[5]) == [True, True]


@pytest.mark.parametrize("stage", [-1, 4, 1.5, True])
def test_progressive_unfreeze_rejects_a_bad_stage(stage):
    with pytest.raises(ValueError, match=str(stage)):
        progressive_unfreeze(layer_groups(make_model()), stage)


def test_progressive_unfreeze_rejects_empty_groups():
    with pytest.raises(ValueError, match="empty"):
        progressive_unfreeze([], 0)
    with pytest.raises(ValueError, match="group 0"):
        progressive_unfreeze([nn.ReLU(), nn.Linear(2, 2)], 1)
