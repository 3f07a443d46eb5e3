"""traintech.diagnostics: per-layer statistics against the same layers run by hand, and the plots."""

import math
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from traintech.diagnostics import (  # noqa: E402
    UnitStats,
    UpdateRatios,
    expected_initial_loss,
    gradient_norms,
    plot_activation_histograms,
    plot_layer_stats,
    plot_parameter_histograms,
    plot_update_ratios,
    unit_stats,
)
from traintech.reference.diagnostics import activation_stds  # noqa: E402
from traintech.training import fit  # noqa: E402


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


@pytest.mark.parametrize("plot", [plot_layer_stats, plot_activation_histograms, plot_update_ratios])
def test_plots_reject_nothing_to_plot(plot):
    with pytest.raises(ValueError, match="empty"):
        plot({})


# --- expected_initial_loss ------------------------------------------------------------


@pytest.mark.parametrize("num_classes", [1, 2, 10, 1000])
def test_expected_initial_loss_is_the_loss_of_uniform_predictions(num_classes):
    labels = torch.randint(0, num_classes, (50,), generator=torch.Generator().manual_seed(0))
    uniform = F.cross_entropy(torch.zeros(50, num_classes), labels).item()  # equal logits, any labels
    assert expected_initial_loss(num_classes) == pytest.approx(uniform, abs=1e-6)
    assert expected_initial_loss(num_classes) == math.log(num_classes)


@pytest.mark.parametrize("num_classes", [0, -3, 2.5, True, "10", None])
def test_expected_initial_loss_rejects_a_bad_number_of_classes(num_classes):
    with pytest.raises(ValueError, match="num_classes"):
        expected_initial_loss(num_classes)


# --- UpdateRatios ---------------------------------------------------------------------


def _batches(steps, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(16, 32, generator=g), torch.randint(0, 4, (16,), generator=g)) for _ in range(steps)]


def _classifier():
    torch.manual_seed(3)
    return nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 32), nn.LayerNorm(32), nn.Linear(32, 4))


def test_update_ratios_match_snapshots_taken_by_hand():
    """||w_after - w_before|| / ||w_before|| around every step, for every weight tensor (>= 2 dims) only,
    with an optimizer whose update is not a multiple of the gradient (momentum, weight decay)."""
    model, by_hand = _classifier(), _classifier()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-2)
    opt_hand = torch.optim.SGD(by_hand.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-2)
    expected = {name: [] for name, p in by_hand.named_parameters() if p.dim() >= 2}
    with UpdateRatios(model, opt) as tracker:
        for x, y in _batches(5):
            for net, optimizer in ((model, opt), (by_hand, opt_hand)):
                optimizer.zero_grad()
                F.cross_entropy(net(x), y).backward()
            before = {name: p.detach().clone() for name, p in by_hand.named_parameters()}
            opt.step()
            opt_hand.step()
            for name in expected:
                after = by_hand.get_parameter(name).detach()
                expected[name].append(((after - before[name]).norm() / before[name].norm()).item())
    assert list(tracker.ratios) == ["0.weight", "2.weight", "4.weight"] == list(expected)
    for name, ratios in expected.items():
        assert tracker.ratios[name] == pytest.approx(ratios, rel=1e-5), name
    assert all(r > 0 for ratios in tracker.ratios.values() for r in ratios)


def test_update_ratio_of_plain_sgd_is_lr_times_the_gradient_norm_over_the_weight_norm():
    layer = nn.Linear(6, 3, bias=False)
    opt = torch.optim.SGD(layer.parameters(), lr=0.05)
    x = torch.randn(8, 6)
    with UpdateRatios(layer, opt) as tracker:
        layer(x).pow(2).sum().backward()
        expected = 0.05 * layer.weight.grad.norm().item() / layer.weight.norm().item()
        opt.step()
    assert tracker.ratios == {"weight": [pytest.approx(expected, rel=1e-5)]}


def test_update_ratios_record_every_step_of_fit_and_stop_when_removed():
    model = _classifier()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = _batches(4)
    with UpdateRatios(model, opt) as tracker:
        fit(model, loader, None, opt, epochs=3, progress=False)
    assert {name: len(r) for name, r in tracker.ratios.items()} == {"0.weight": 12, "2.weight": 12, "4.weight": 12}
    fit(model, loader, None, opt, epochs=1, progress=False)  # the hooks are gone
    assert all(len(r) == 12 for r in tracker.ratios.values())
    assert not opt._optimizer_step_pre_hooks and not opt._optimizer_step_post_hooks
    assert "3 weight tensors, 12 steps" in repr(tracker)


def test_update_ratios_without_a_with_block():
    model = _classifier()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    tracker = UpdateRatios(model, opt)
    fit(model, _batches(2), None, opt, epochs=1, progress=False)
    tracker.remove()
    tracker.remove()  # twice is harmless
    assert all(len(r) == 2 for r in tracker.ratios.values())


def test_update_ratios_follow_only_what_the_optimizer_updates():
    model = _classifier()
    model[0].requires_grad_(False)
    opt = torch.optim.SGD(model[2:].parameters(), lr=0.1)  # the head and the layer before it
    with UpdateRatios(model, opt) as tracker:
        fit(model, _batches(2), None, opt, epochs=1, progress=False)
    assert list(tracker.ratios) == ["2.weight", "4.weight"]


def test_a_weight_that_does_not_move_has_ratio_zero_and_a_zero_weight_nan():
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    with torch.no_grad():
        model[2].weight.zero_()  # its gradient is not zero; the ratio is undefined at the first step
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with UpdateRatios(model, opt) as tracker:
        for _ in range(2):
            opt.zero_grad()
            F.cross_entropy(model(torch.randn(8, 4)), torch.randint(0, 2, (8,))).backward()
            opt.step()
        opt.zero_grad(set_to_none=True)
        opt.step()  # no gradients: nothing moves
    first, second, third = tracker.ratios["2.weight"]
    assert math.isnan(first) and second > 0 and third == 0.0
    assert tracker.ratios["0.weight"][-1] == 0.0


def test_update_ratios_need_a_weight_the_optimizer_updates():
    model = _classifier()
    with pytest.raises(ValueError, match="updates none of the weight tensors"):
        UpdateRatios(model, torch.optim.SGD([p for p in model.parameters() if p.dim() == 1], lr=0.1))
    with pytest.raises(ValueError, match="updates none of the weight tensors"):
        UpdateRatios(nn.Sequential(nn.ReLU()), torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1))


def test_plot_update_ratios():
    ratios = {"0.weight": [2e-3, 1e-3, 0.0, 8e-4], "2.weight": [1e-5, math.nan, 2e-5, 3e-5]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a stray warning costs a learner points
        ax = plot_update_ratios(ratios)
        ax.figure.canvas.draw()
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() and ax.get_yscale() == "log"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[:2] == list(ratios) and "0.001" in texts[2]
    lines = ax.get_lines()
    assert list(lines[0].get_xdata()) == [1, 2, 3, 4]
    assert math.isnan(lines[0].get_ydata()[2]) and lines[0].get_ydata()[3] == 8e-4  # 0 is not drawn
    assert list(lines[2].get_ydata()) == [1e-3, 1e-3]  # the rule of thumb


def test_plot_update_ratios_without_reference_on_a_given_axes():
    _, ax = plt.subplots()
    assert plot_update_ratios({"w": [1e-3, 2e-3]}, ax=ax, reference=None, title="T") is ax
    assert len(ax.get_lines()) == 1 and ax.get_title() == "T"


# --- plot_parameter_histograms --------------------------------------------------------


def _legend_std(ax):
    return float(ax.get_legend().get_texts()[0].get_text().removeprefix("std "))


def test_weight_histograms_one_panel_per_weight_tensor():
    model = _classifier()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        axes = plot_parameter_histograms(model, ncols=2)
        axes[0].figure.canvas.draw()
    weights = [(name, p) for name, p in model.named_parameters() if p.dim() >= 2]
    assert [ax.get_title() for ax in axes] == [f"{name} {tuple(p.shape)}" for name, p in weights]
    for ax, (_, p) in zip(axes, weights):
        assert ax.get_xlabel() == "weight value" and ax.get_ylabel() == "density"
        assert _legend_std(ax) == pytest.approx(p.std().item(), rel=0.06)  # printed with 2 digits
        assert ax.patches, "no histogram drawn"
    figure = axes[0].figure
    assert figure.get_suptitle() == "Weights of each layer"
    assert len(figure.axes) == 4 and not figure.axes[3].get_visible()  # 3 panels on a 2 x 2 grid


def test_gradient_histograms_show_the_gradients():
    model = _classifier()
    x, y = _batches(1)[0]
    F.cross_entropy(model(x), y).backward()
    with torch.no_grad():
        model[4].weight.grad.mul_(1e6)  # a gradient on another scale than its weight
    axes = plot_parameter_histograms(model, what="grad", bins=20, title="G")
    assert _legend_std(axes[2]) == pytest.approx(model[4].weight.grad.std().item(), rel=0.06)
    assert _legend_std(axes[2]) > 1e3 * _legend_std(axes[0])
    assert axes[0].get_xlabel() == "gradient value" and axes[0].figure.get_suptitle() == "G"


def test_gradient_histograms_mark_a_weight_without_gradient():
    model = _classifier()
    model[0].requires_grad_(False)
    x, y = _batches(1)[0]
    F.cross_entropy(model(x), y).backward()
    axes = plot_parameter_histograms(model, what="grad")
    assert "no gradient" in [t.get_text() for t in axes[0].texts] and axes[0].get_legend() is None
    assert axes[1].get_legend() is not None


def test_parameter_histograms_reject_bad_arguments():
    model = _classifier()
    with pytest.raises(ValueError, match="backward"):
        plot_parameter_histograms(model, what="grad")
    with pytest.raises(ValueError, match="'gradient'"):
        plot_parameter_histograms(model, what="gradient")
    with pytest.raises(ValueError, match="no weight tensor"):
        plot_parameter_histograms(nn.Sequential(nn.LayerNorm(4)))
    with pytest.raises(ValueError, match="bins"):
        plot_parameter_histograms(model, bins=0)
    with pytest.raises(ValueError, match="ncols"):
        plot_parameter_histograms(model, ncols=0)
