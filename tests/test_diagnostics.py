"""traintech.diagnostics: per-layer statistics against the same layers run by hand, and the plots."""

import math
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from traintech.diagnostics import (  # noqa: E402
    UnitStats,
    gradient_norms,
    plot_activation_histograms,
    plot_layer_stats,
    unit_stats,
)
from traintech.reference.diagnostics import activation_stds  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def make_mlp(depth=4, width=32):
    torch.manual_seed(0)
    layers = []
    for index in range(depth):
        layers += [nn.Linear(width, width), nn.Tanh() if index % 2 else nn.ReLU()]
    return nn.Sequential(*layers)


def by_hand(model, x):
    """Every child's output, running the children one by one."""
    outputs = []
    with torch.no_grad():
        for module in model:
            x = module(x)
            outputs.append(x.clone())
    return outputs


def no_hooks_left(model):
    return all(not m._forward_hooks for m in model.modules())


# --- activation_stds ------------------------------------------------------------------


def test_activation_stds_match_the_layers_run_by_hand():
    model, x = make_mlp(), torch.randn(256, 32)
    stds = activation_stds(model, x)
    assert isinstance(stds, list) and all(isinstance(s, float) for s in stds)
    assert stds == pytest.approx([y.std().item() for y in by_hand(model, x)], rel=1e-6)


def test_activation_stds_with_a_shared_module_and_an_in_place_relu():
    torch.manual_seed(1)
    relu = nn.ReLU(inplace=True)  # overwrites the Linear's output: measure it before
    model = nn.Sequential(nn.Linear(8, 8), relu, nn.Linear(8, 8), relu, nn.Linear(8, 2))
    x = torch.randn(64, 8)
    expected = [y.std().item() for y in by_hand(model, x)]
    assert activation_stds(model, x) == pytest.approx(expected, rel=1e-6)
    assert len(expected) == len(model)


def test_activation_stds_runs_without_autograd_and_removes_its_hooks():
    grad_enabled = []

    class Probe(nn.Module):
        def forward(self, x):
            grad_enabled.append(torch.is_grad_enabled())
            return x

    model = nn.Sequential(nn.Linear(4, 4), Probe())
    model.train()
    activation_stds(model, torch.randn(8, 4, requires_grad=True))
    assert grad_enabled == [False]
    assert no_hooks_left(model)
    assert model.training  # the mode is left as it was


def test_hooks_are_removed_when_the_forward_pass_fails():
    model = make_mlp()
    with pytest.raises(RuntimeError):
        activation_stds(model, torch.randn(8, 5))  # wrong number of features
    assert no_hooks_left(model)


@pytest.mark.parametrize("function", [activation_stds, unit_stats])
def test_only_an_nn_sequential_is_accepted(function):
    with pytest.raises(ValueError, match="Linear"):
        function(nn.Linear(4, 4), torch.randn(2, 4))


def test_a_non_tensor_output_is_rejected():
    model = nn.Sequential(nn.LSTM(4, 4))  # returns a tuple
    with pytest.raises(ValueError, match="LSTM returned a tuple"):
        activation_stds(model, torch.randn(3, 2, 4))
    assert no_hooks_left(model)


# --- unit_stats -----------------------------------------------------------------------


def test_unit_stats_has_one_entry_per_nonlinearity_and_no_scale():
    model, x = make_mlp(), torch.randn(128, 32)
    stats = unit_stats(model, x)
    nonlinear = [(i, type(m).__name__) for i, m in enumerate(model) if isinstance(m, (nn.ReLU, nn.Tanh))]
    assert [(s.index, s.layer) for s in stats] == nonlinear
    assert all(isinstance(s, UnitStats) for s in stats)
    assert not hasattr(stats[0], "std") and not hasattr(stats[0], "mean")  # chapter 3's exercise measures the scale


def test_dead_relu_units():
    linear = nn.Linear(4, 10)
    with torch.no_grad():
        linear.weight.fill_(0.01)
        linear.bias.copy_(torch.tensor([-100.0] * 3 + [0.0] * 7))  # 3 units never fire
    x = torch.rand(200, 4) + 0.1  # positive inputs: the other 7 units always fire
    stats = unit_stats(nn.Sequential(linear, nn.ReLU()), x)
    assert [s.index for s in stats] == [1]
    assert stats[0].dead_fraction == pytest.approx(0.3)
    assert stats[0].saturated_fraction is None


def test_a_unit_active_on_one_example_is_not_dead():
    x = torch.full((50, 6), -1.0)
    x[7] = 1.0  # every unit fires once
    assert unit_stats(nn.Sequential(nn.ReLU()), x)[0].dead_fraction == 0.0


def test_saturated_tanh_units():
    x = torch.tensor([[-10.0, -1.0, 0.0, 0.5, 2.5, 3.0, 4.0, 30.0]])  # tanh(2.5) = 0.987
    assert unit_stats(nn.Sequential(nn.Tanh()), x)[0].saturated_fraction == pytest.approx(5 / 8)
    assert unit_stats(nn.Sequential(nn.Tanh()), x, saturation=0.99)[0].saturated_fraction == pytest.approx(4 / 8)


@pytest.mark.parametrize("saturation", [0, 1, 1.5])
def test_unit_stats_reject_a_bad_saturation(saturation):
    with pytest.raises(ValueError, match=str(saturation)):
        unit_stats(nn.Sequential(nn.Tanh()), torch.randn(2, 2), saturation=saturation)


# --- gradient_norms -------------------------------------------------------------------


def test_gradient_norms_match_backward():
    model, x = make_mlp(), torch.randn(64, 32)
    norms = gradient_norms(model, model(x).pow(2).mean())
    assert list(norms) == ["0", "2", "4", "6"]
    model(x).pow(2).mean().backward()
    for name, norm in norms.items():
        layer = model.get_submodule(name)
        expected = math.sqrt(layer.weight.grad.pow(2).sum() + layer.bias.grad.pow(2).sum())
        assert norm == pytest.approx(expected, rel=1e-5), f"layer {name}"


def test_gradient_norms_leave_grad_untouched():
    model, x = make_mlp(), torch.randn(16, 32)
    gradient_norms(model, model(x).sum())
    assert all(p.grad is None for p in model.parameters())
    model(x).sum().backward()
    first = gradient_norms(model, model(x).sum())
    second = gradient_norms(model, model(x).sum())  # earlier .grad does not leak in
    assert first == second


def test_gradient_norms_skip_frozen_layers_and_report_unused_ones_as_zero():
    torch.manual_seed(2)
    first, second, unused = nn.Linear(3, 3), nn.Linear(3, 3), nn.Linear(3, 3)
    model = nn.ModuleDict({"first": first, "second": second, "unused": unused})
    first.requires_grad_(False)
    norms = gradient_norms(model, second(first(torch.randn(4, 3))).sum())
    assert list(norms) == ["second", "unused"]
    assert norms["second"] > 0 and norms["unused"] == 0.0


def test_gradient_norms_retain_graph():
    model = make_mlp()
    loss = model(torch.randn(8, 32)).sum()
    gradient_norms(model, loss, retain_graph=True)
    loss.backward()  # still possible


def test_gradient_norms_of_a_single_layer():
    layer = nn.Linear(3, 1)
    assert list(gradient_norms(layer, layer(torch.randn(5, 3)).sum())) == ["Linear"]


def test_gradient_norms_per_parameter_match_backward_and_combine_to_the_layer_norm():
    model, x = make_mlp(), torch.randn(64, 32)
    per_layer = gradient_norms(model, model(x).pow(2).mean())
    norms = gradient_norms(model, model(x).pow(2).mean(), per_parameter=True)
    assert list(norms) == [f"{i}.{kind}" for i in ("0", "2", "4", "6") for kind in ("weight", "bias")]
    model(x).pow(2).mean().backward()
    for name, parameter in model.named_parameters():
        assert norms[name] == pytest.approx(parameter.grad.norm().item(), rel=1e-5), name
    for layer, norm in per_layer.items():
        combined = math.sqrt(norms[f"{layer}.weight"] ** 2 + norms[f"{layer}.bias"] ** 2)
        assert norm == pytest.approx(combined, rel=1e-5), f"layer {layer}"


def test_gradient_norms_per_parameter_skip_frozen_parameters():
    layer = nn.Linear(3, 2)
    layer.bias.requires_grad_(False)
    assert list(gradient_norms(layer, layer(torch.randn(5, 3)).sum(), per_parameter=True)) == ["Linear.weight"]


@pytest.mark.parametrize("loss", [1.0, torch.ones(2, requires_grad=True), torch.tensor(1.0)])
def test_gradient_norms_reject_a_bad_loss(loss):
    with pytest.raises(ValueError, match="scalar tensor"):
        gradient_norms(make_mlp(), loss)


# --- plots ----------------------------------------------------------------------------


def test_plot_layer_stats():
    stats = {"N(0, 1)": [3.0, 9.0, 27.0], "xavier": [1.0, 0.8, 0.0], "kaiming": [1.0, 1.0]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a stray warning costs a learner points
        ax = plot_layer_stats(stats)
        ax.figure.canvas.draw()
    assert isinstance(ax, matplotlib.axes.Axes)
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(stats)
    assert [list(line.get_ydata()) for line in ax.get_lines()] == list(stats.values())


def test_plot_layer_stats_draws_on_a_given_axes(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plt.show() was called"))
    _, ax = plt.subplots()
    assert plot_layer_stats({"a": activation_stds(make_mlp(), torch.randn(16, 32))}, ax=ax, title="T") is ax
    assert ax.get_title() == "T"


def test_plot_activation_histograms():
    outputs = by_hand(make_mlp(), torch.randn(128, 32))
    labelled = {f"layer {i}": outputs[i] for i in (1, 3)}
    ax = plot_activation_histograms(labelled)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(labelled)


@pytest.mark.parametrize("plot", [plot_layer_stats, plot_activation_histograms])
def test_plots_reject_nothing_to_plot(plot):
    with pytest.raises(ValueError, match="empty"):
        plot({})
