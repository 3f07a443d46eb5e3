"""Chapter 3: what the text says its experiments show, asserted on the executed solution.

Each test quotes the claim it guards and names its markdown cell. Thresholds leave room for
other seeds (model init, data subsets, loader order; measured in scratch runs) and other CPUs:
orderings and coarse ratios, never exact numbers.
"""
from __future__ import annotations

import math

from executed import test_chapter_executes_in_the_edition_without_errors_or_stderr  # noqa: F401 - collected here

CHAPTER = "03_initialization"

LN10 = math.log(10)


def _per_layer_factor(values: list[float]) -> float:
    return (values[-1] / values[0]) ** (1 / (len(values) - 1))


# --- section 1: a 24-layer MLP at initialization -------------------------------------------


def test_relu_std_follows_the_square_root_of_the_variance_factor(chapter):
    """why_reading_text: "the plotted std follows its square root, sqrt(n sigma^2 / 2) per layer:
    sqrt(128) ~ 11 for N(0,1), sqrt(0.0128) ~ 0.11 for N(0,0.01^2) ... Xavier (sqrt(1/2) ~ 0.71
    per layer). He stays flat"; answer_why: "(9.5e24/9.4)^(1/23) ~ 11", Xavier "a factor ~0.69"."""
    stds = chapter.value("{k: v for k, v in act_std.items() if k[0] == 'ReLU'}")
    factors = {init: _per_layer_factor(s) for (_, init), s in stds.items()}
    assert 10 < factors["N(0, 1)"] < 12.5, factors
    assert 0.10 < factors["N(0, 0.01²)"] < 0.125, factors
    assert 0.62 < factors["Xavier"] < 0.78, factors
    he = stds["ReLU", "He"]
    assert max(he) / min(he) < 3, f"He std per layer: {he}"
    assert 8.5 < stds["ReLU", "N(0, 1)"][0] < 10.5 and 0.5 < stds["ReLU", "Xavier"][0] < 0.7, factors


def test_relu_bias_gradients_vanish_towards_the_first_layer(chapter):
    """why_reading_text: "with N(0,0.01^2) the bias gradients vanish towards the first layer (from
    order 1 at layer 24 to about 1e-23 at layer 1)"; "He's bias gradients drift by about one order
    of magnitude over 24 layers, against more than 20 for the naive scales" (He: 8-11x on 3 seeds)."""
    bias = chapter.value("{k[1]: v for k, v in bias_grad.items() if k[0] == 'ReLU'}")
    tiny = bias["N(0, 0.01²)"]
    assert tiny[-1] > 0.1 and tiny[0] < 1e-21, f"N(0, 0.01²) bias gradient per layer: {tiny}"
    assert all(b < a for a, b in zip(tiny[1:], tiny)), f"not rising towards the output: {tiny}"
    assert 3 < max(bias["He"]) / min(bias["He"]) < 30, f"He bias gradient per layer: {bias['He']}"
    for init in ("N(0, 1)", "N(0, 0.01²)"):
        assert max(bias[init]) / min(bias[init]) > 1e20, f"{init}: {bias[init]}"


def test_relu_weight_gradients_are_equally_small_in_every_layer(chapter):
    """why_reading_text: "the weight gradients of N(0,0.01^2) are equally tiny in every layer, about
    1e-22 at layers 1, 12 and 24 ... With N(0,1) ... about 1e24 in every layer ... the four curves
    of the middle row have the same shape, only shifted — Xavier's weight gradients are 1e-4 to
    1e-3, He's of order 1" (max/min over the layers 13-23x on 3 seeds)."""
    weight = chapter.value("{k[1]: v for k, v in weight_grad.items() if k[0] == 'ReLU'}")
    tiny, huge = weight["N(0, 0.01²)"], weight["N(0, 1)"]
    assert all(1e-24 < w < 1e-20 for w in tiny) and max(tiny) / min(tiny) < 100, f"N(0, 0.01²): {tiny}"
    assert all(1e22 < w < 1e26 for w in huge), f"N(0, 1): {huge}"
    assert all(1e-5 < w < 1e-2 for w in weight["Xavier"]), f"Xavier: {weight['Xavier']}"
    assert all(0.1 < w < 30 for w in weight["He"]), f"He: {weight['He']}"
    shifted = [a / b for a, b in zip(tiny, weight["He"])]
    assert max(shifted) / min(shifted) < 1.01, f"N(0, 0.01²) / He per layer: {shifted}"


def test_tanh_gradients(chapter):
    """why_reading_text: tanh "N(0,1) ... the gradients of weights and biases explode towards the
    first layers. N(0,0.01^2) vanishes: its weight gradients are tiny and about equal in every
    layer, its bias gradients vanish towards the first layer"; why_question pitfall: "a tanh
    network can have flat activation stds and exploding gradients at the same time"."""
    weight = chapter.value("{k[1]: v for k, v in weight_grad.items() if k[0] == 'tanh'}")
    bias = chapter.value("{k[1]: v for k, v in bias_grad.items() if k[0] == 'tanh'}")
    stds = chapter.value("act_std['tanh', 'N(0, 1)']")
    assert max(stds) / min(stds) < 1.1, f"tanh N(0, 1) std per layer: {stds}"
    for grads in (weight["N(0, 1)"], bias["N(0, 1)"]):
        assert grads[0] > 1e6 * grads[-1], f"tanh N(0, 1) gradient per layer: {grads}"
    tiny = weight["N(0, 0.01²)"]
    assert max(tiny) < 1e-16 and max(tiny) / min(tiny) < 10, f"tanh N(0, 0.01²) weight gradients: {tiny}"
    assert bias["N(0, 0.01²)"][0] < 1e-12 * bias["N(0, 0.01²)"][-1], f"bias: {bias['N(0, 0.01²)']}"


def test_tanh_unit_gaussian_gradients_grow_by_about_three_per_layer(chapter):
    """answer_why: tanh with N(0,1): "on balance a factor of about 3 per layer ...; the printed
    gradients fall from about 1e10 at layer 1 to about 0.1 at layer 24" (2.7-3.0 on 3 seeds)."""
    weight = chapter.value("weight_grad['tanh', 'N(0, 1)']")
    bias = chapter.value("bias_grad['tanh', 'N(0, 1)']")
    for grads in (weight, bias):
        factor = _per_layer_factor(grads[::-1])
        assert 2.3 < factor < 3.7, f"per-layer growth towards the input {factor:.2f}: {grads}"
    assert 1e9 < weight[0] < 1e11 and 0.03 < weight[-1] < 0.5, weight


def test_tanh_activations(chapter):
    """why_reading_text: "N(0,0.01^2) vanishes. Xavier's activations decay slowly ..., He's hold
    roughly constant"."""
    stds = chapter.value("{k[1]: v for k, v in act_std.items() if k[0] == 'tanh'}")
    assert stds["N(0, 0.01²)"][-1] < 1e-10, stds["N(0, 0.01²)"]
    xavier, he = stds["Xavier"], stds["He"]
    assert 0.05 < xavier[-1] < 0.5 * xavier[0], f"Xavier: {xavier}"
    assert he[-1] > 0.6 * he[0], f"He: {he}"


def test_saturated_tanh_and_identical_dead_relu_counts(chapter):
    """why_question: "With N(0,1) most tanh outputs are saturated in every layer"; "the dead ReLU
    counts are identical for all four initializations"; "the dead units ... appear deep in the
    network"."""
    saturated = chapter.value("[s.saturated_fraction for s in unit_fractions['tanh', 'N(0, 1)']]")
    assert min(saturated) > 0.8, f"saturated fraction per layer: {saturated}"
    counts = chapter.value("dead_counts")
    assert len(set(counts.values())) == 1 and min(counts.values()) > 0, counts
    dead = chapter.value("[s.dead_fraction for s in unit_fractions['ReLU', 'He']]")
    assert dead[0] == 0 and dead[-1] > 0.1, f"dead fraction per layer: {dead}"


def test_your_turn_sigma_one_tenth_explodes_slowly(chapter):
    """your_turn_scale: "sqrt(256 * 0.01 / 2) ~ 1.13 per layer ... The printed factor per layer is
    close to 1.13, and the std after layer 24 is about ten times the std after layer 1" (factor
    1.11-1.14, ratio 10-19 on four seeds)."""
    stds = chapter.value("your_scale_stds")
    assert 1.07 < _per_layer_factor(stds) < 1.17, f"factor per layer {_per_layer_factor(stds):.3f}: {stds}"
    assert 6 < stds[-1] / stds[0] < 25, f"layer 24 / layer 1: {stds[-1] / stds[0]:.1f}"


# --- section 2: gains ----------------------------------------------------------------------


def test_gains_restore_the_second_moment(chapter):
    """gain_question: "For linear, ReLU and leaky ReLU the gain is exactly the factor that restores
    the second moment, and 40 layers keep their std; without its sqrt 2, ReLU loses ... ~1e-6 after
    40 layers. For tanh the second-moment gain ... is about 1.59 ...; with 5/3 the tanh network
    settles at a constant std. SELU's measured value is 1"."""
    table, measured = chapter.value("table"), chapter.value("measured")
    for name in ("linear", "relu", "leaky_relu"):
        assert abs(measured[name] / table[name] - 1) < 0.01, (name, table[name], measured[name])
    assert 1.55 < measured["tanh"] < 1.63 and abs(measured["selu"] - 1) < 0.02, measured
    runs = chapter.value("gain_runs")
    for label, stds in runs.items():
        if label.split()[0] in ("linear", "relu", "leaky_relu"):
            assert 0.3 < stds[-1] < 3, f"{label}: std after 40 layers {stds[-1]}"
        if label.startswith("tanh"):
            assert max(stds[10:]) / min(stds[10:]) < 1.2, f"{label}: {stds}"
    no_gain = chapter.value("relu_no_gain[-1]")
    assert 1e-7 < no_gain < 1e-5, f"ReLU without gain after 40 layers: {no_gain}"


def test_your_turn_leaky_relu_with_the_default_gain_explodes_slowly(chapter):
    """your_turn_gain: "The gain is sqrt(2/(1+0.01^2)) ~ 1.414 ... the std by sqrt(1.25) ~ 1.12 ...
    The printed factor per layer is close to 1.12, and the std after layer 40 is tens of times the
    std after layer 1"; "sqrt(2/1.25) ~ 1.265, the second-moment gain the cell prints" (factor
    1.112-1.122, layer 40 / layer 1: 62-96 on four seeds)."""
    gain, restoring = chapter.value("your_gain"), chapter.value("restoring_gain")
    assert abs(gain - 1.414) < 1e-3 and abs(restoring - 1.265) < 0.01, (gain, restoring)
    stds = chapter.value("your_gain_run")
    factor = _per_layer_factor(stds)
    assert 1.08 < factor < 1.16 and 20 < stds[-1] / stds[0] < 200, f"factor {factor:.3f}: {stds}"


# --- section 3: Xavier ---------------------------------------------------------------------


def test_xavier_gain_one_decays_and_gain_five_thirds_settles(chapter):
    """xavier_question: "Uniform and normal versions are indistinguishable"; "With gain 1 the std
    decays steadily"; "The gain 5/3 compensates: the std settles at a stable value (about 0.65
    here) ... with a minority of values near +-1"."""
    stds = chapter.value("xavier_stds")
    for gain in ("1", "5/3"):
        uniform, normal = stds[f"xavier_uniform_, gain {gain}"], stds[f"xavier_normal_, gain {gain}"]
        for i in (0, 9, 29):
            assert abs(uniform[i] / normal[i] - 1) < 0.15, (gain, i, uniform[i], normal[i])
    one = stds["xavier_normal_, gain 1"]
    assert one[-1] < one[9] < one[0], f"gain 1: {one}"
    for label in ("xavier_uniform_, gain 5/3", "xavier_normal_, gain 5/3"):
        assert all(0.6 < s < 0.7 for s in stds[label][9:]), f"{label}: {stds[label]}"
    saturated = chapter.value("(xavier_outputs['xavier_normal_, gain 5/3'][1].abs() > 0.97).float().mean().item()")
    assert 0 < saturated < 0.15, f"saturated at layer 30: {saturated}"


def test_your_turn_60_tanh_layers(chapter):
    """your_turn_xavier: "its first 30 layers are the experiment's network, drawn again"; "Gain 5/3
    stays where it settled: the std after layer 60 is the same as after layer 30, about 0.65. Gain 1
    keeps decaying ...: from layer 30 to 60 it loses less than from layer 10 to 30" (layer 60 /
    layer 30: 0.64-0.68 against layer 30 / layer 10: 0.57-0.60 on three seeds)."""
    yours, chapter_stds = chapter.value("your_xavier_stds"), chapter.value("xavier_stds")
    for gain in ("1", "5/3"):
        first = chapter_stds[f"xavier_normal_, gain {gain}"]
        assert all(abs(a - b) < 1e-5 for a, b in zip(yours[gain][:30], first)), (gain, yours[gain][:30], first)
    settled = yours["5/3"]
    assert 0.6 < settled[59] < 0.7 and abs(settled[59] / settled[29] - 1) < 0.03, settled
    one = yours["1"]
    assert one[59] < 0.8 * one[29] and one[59] / one[29] > one[29] / one[9], f"gain 1: {one[9]}, {one[29]}, {one[59]}"


# --- section 4: fan_in vs fan_out; training a 12-layer MLP under each initialization -------


def _ratios(forward: list[float], backward: list[float]) -> tuple[float, float]:
    """(logits / first layer, forward; first layer / logits, backward)."""
    return forward[-1] / forward[0], backward[0] / backward[-1]


def test_kaiming_modes_telescope(chapter):
    """answer_kaiming: "backward ratios close to 0.14 with fan_in and close to 1 with fan_out, for
    k = 2 and k = 22 alike; forward ratios of order 1 with fan_in and several times larger with
    fan_out"; kaiming_modes_reading_text: "with fan_in the forward std stays flat through the
    512-wide layers ...; with fan_out the backward signal stays flat ... the factor comes from ...
    the last layer ...; through the square layers before it both curves stay flat. The backward
    ratios are about the same for 4 and for 24 layers" (backward 0.11-0.15 and 0.81-1.07, forward
    0.5-1.06 and 3.6-7.6 on five seeds)."""
    runs = chapter.value("mode_runs")
    for k in (2, 22):
        fan_in, fan_out = _ratios(*runs["fan_in", k]), _ratios(*runs["fan_out", k])
        assert 0.1 < fan_in[1] < 0.2 and 0.75 < fan_out[1] < 1.3, (k, fan_in, fan_out)
        assert 0.35 < fan_in[0] < 1.6 and 2.5 < fan_out[0] < 12 and fan_out[0] > 3 * fan_in[0], (k, fan_in, fan_out)
    for mode in ("fan_in", "fan_out"):
        shallow, deep = _ratios(*runs[mode, 2])[1], _ratios(*runs[mode, 22])[1]
        assert 1 / 1.3 < deep / shallow < 1.3, (mode, shallow, deep)
    hidden = runs["fan_in", 22][0][:-1]  # the 512-wide outputs
    backward = runs["fan_out", 22][1]
    assert max(hidden) / min(hidden) < 2 and max(backward) / min(backward) < 2, (hidden, backward)
    for flat in (runs["fan_in", 22][1][:-1], runs["fan_out", 22][0][:-1]):  # all but the logits
        assert max(flat) / min(flat) < 2, flat


def test_your_turn_bottleneck(chapter):
    """your_turn_kaiming: with fan_in "At the first layer that is 10/512 again, a std ratio of
    sqrt(10/512) ~ 0.14 ... At the 16-unit layer it is sqrt(10/16) ~ 0.79. With fan_out the forward
    std at the bottleneck is sqrt(512/16) ~ 5.7 times the first layer's, and back to the first
    layer's order right after it" (0.12-0.16, 0.65-0.90, 5.0-6.2 and 0.75-0.99 on five seeds)."""
    assert chapter.value("WIDTHS") == [64, 512, 512, 16, 512, 512, 10]
    runs = chapter.value("your_mode_runs")
    forward, backward = runs["fan_in"]
    assert 0.1 < backward[0] / backward[-1] < 0.2 and 0.55 < backward[2] / backward[-1] < 1.05, backward
    forward, _ = runs["fan_out"]
    assert 3.5 < forward[2] / forward[0] < 8.5 and 0.4 < forward[3] / forward[0] < 2, forward


def _runs(chapter) -> dict:
    return chapter.value("{k: (h['train_loss'], h['val_acc'][-1]) for k, h in train_runs.items()}")


def test_relu_he_trains_fastest_and_xavier_late(chapter):
    """kaiming_reading_text: "ReLU: He trains fastest; Xavier trains, but late ... the loss stays
    near ln 10 for several epochs before it moves. N(0,0.01^2) never leaves ln 10, N(0,1)
    overflows to NaN within the first epoch" (Xavier: 4-5 epochs at 2.30 on other seeds)."""
    runs = _runs(chapter)
    he, xavier = runs["ReLU", "He (yours)"][0], runs["ReLU", "Xavier (yours)"][0]
    assert he[-1] < xavier[-1] / 2, f"final loss He {he[-1]:.3f}, Xavier {xavier[-1]:.3f}"
    assert min(xavier[:3]) > 2.2 and xavier[-1] < 2.0, f"Xavier loss per epoch: {xavier}"
    assert all(abs(v - LN10) < 0.02 for v in runs["ReLU", "N(0, 0.01²)"][0]), runs["ReLU", "N(0, 0.01²)"]
    assert math.isnan(runs["ReLU", "N(0, 1)"][0][0]), runs["ReLU", "N(0, 1)"]


def test_relu_xavier_starts_about_two_percent_as_large(chapter):
    """kaiming_reading_text: Xavier's "activations start about 0.71^12 ~ 2% as large at the last
    hidden layer" (as He's)."""
    xavier = chapter.value("start_std['ReLU', 'Xavier (yours)']")
    he = chapter.value("start_std['ReLU', 'He (yours)']")
    assert 0.005 < xavier / he < 0.05, f"last hidden std: Xavier {xavier:.3g}, He {he:.3g}"


def test_tanh_xavier_and_he_train_the_naive_scales_do_not(chapter):
    """kaiming_reading_text: "tanh: Xavier and He both train well; N(0,1) saturates (the loss does
    not decrease) and N(0,0.01^2) vanishes"; pitfall and summary_text: "He + tanh trained as well
    as Xavier here" (validation accuracy He - Xavier: +0.01 on three seeds)."""
    runs = _runs(chapter)
    for init in ("Xavier (yours)", "He (yours)"):
        losses, acc = runs["tanh", init]
        assert losses[-1] < 0.3 and acc > 0.85, (init, losses, acc)
    assert runs["tanh", "He (yours)"][1] > runs["tanh", "Xavier (yours)"][1] - 0.03, runs
    assert min(runs["tanh", "N(0, 1)"][0]) > 2.25, runs["tanh", "N(0, 1)"]
    assert all(abs(v - LN10) < 0.02 for v in runs["tanh", "N(0, 0.01²)"][0][1:]), runs["tanh", "N(0, 0.01²)"]


def test_tanh_with_unit_gaussian_weights_starts_saturated(chapter):
    """kaiming_reading_text pitfall: "with N(0,1) ... the table below counts most tanh outputs
    beyond +-0.97 at the start"."""
    saturated = chapter.value("[s.saturated_fraction for s in start_stats['tanh', 'N(0, 1)']]")
    assert saturated[0] > 0.5 and saturated[-1] > 0.5, f"first/last hidden layer: {saturated[0]}, {saturated[-1]}"


# --- section 5: orthogonal -----------------------------------------------------------------


def test_gaussian_products_lose_rank_orthogonal_ones_do_not(chapter):
    """orthogonal_question: "Every singular value of a product of orthogonal matrices is 1 at every
    depth"; Gaussian: "after 10 layers the smallest is already below 1e-10 ..., and a few layers
    later it is at the float64 rounding floor (1e-18 to 1e-16)" (depth 10: 3e-14 to 2e-12 on four
    draws; below 2e-16 from depth 16 on)."""
    largest, smallest = chapter.value("sv['orthogonal']")
    assert all(abs(v - 1) < 1e-6 for v in largest + smallest), (min(smallest), max(largest))
    gaussian = chapter.value("sv['Gaussian N(0, 1/n)'][1]")
    assert gaussian[9] < 1e-10 and max(gaussian[15:]) < 1e-15, f"depth 10: {gaussian[9]:.2e}, depth 16+: {max(gaussian[15:]):.2e}"


def test_rnn_gradient_grows_like_the_spectral_radius(chapter):
    """orthogonal_question: "With one orthogonal recurrent matrix the gradient norm is the same after
    1 step and after 200"; Gaussian: "the printed rho of this one is above 1, and from T = 100 to
    200 the gradient grows by a factor rho per step" (rate / rho - 1 below 0.1% on four draws)."""
    norms = chapter.value("rnn_grad")
    rho = chapter.value("spectral_radius['Gaussian N(0, 1/n)']")
    orthogonal = norms["orthogonal"]
    assert max(orthogonal) / min(orthogonal) < 1.001, orthogonal
    gaussian = norms["Gaussian N(0, 1/n)"]
    rate = (gaussian[-1] / gaussian[-3]) ** (1 / 100)
    assert rho > 1.05 and abs(rate / rho - 1) < 0.01, f"rho {rho:.4f}, growth per step {rate:.4f}"
    assert gaussian[-1] > 1e6 * gaussian[0], gaussian


def test_your_turn_tanh_rnn(chapter):
    """your_turn_orthogonal: orthogonal: "after 200 steps it is more than ten times smaller than
    without the tanh ...; but the state itself shrinks (its norm is far below the linear network's)
    ..., and the gradient is still of order 1. The Gaussian matrix ... now has the smaller gradient,
    more than five times below the orthogonal one ... ||h_T|| stays large" (orthogonal: 1.3-1.7
    against 22.4 without the tanh on five orthogonal draws; Gaussian: 0.084)."""
    runs = chapter.value("your_rnn")
    (h_orth, g_orth), (h_orth_linear, g_orth_linear) = runs["orthogonal", True], runs["orthogonal", False]
    (h_gauss, g_gauss), (_, g_gauss_linear) = runs["Gaussian N(0, 1/n)", True], runs["Gaussian N(0, 1/n)", False]
    assert 10 < g_orth_linear / g_orth < 100 and 0.3 < g_orth < 5, (g_orth, g_orth_linear)
    assert h_orth < 0.2 * h_orth_linear, (h_orth, h_orth_linear)
    assert g_gauss < g_orth / 5 and h_gauss > 3 * h_orth, runs
    assert g_gauss_linear > 1e6 * g_gauss, runs
    chapter_grad = chapter.value("{k: v[-1] for k, v in rnn_grad.items()}")  # T = 200, float32
    assert abs(g_orth_linear / chapter_grad["orthogonal"] - 1) < 1e-3, (g_orth_linear, chapter_grad)


# --- section 6: transfer -------------------------------------------------------------------


def _transfer(chapter) -> tuple[list[int], dict[str, list[float]]]:
    return chapter.value("shots"), chapter.value("transfer_acc")


def test_feature_extraction_wins_with_few_labels(chapter):
    """transfer_question: "With very few labels, feature extraction wins clearly over training from
    scratch"; answer_transfer: "it was the most accurate method at 2 and 5 examples per class (and
    at or near the top at 10)" (margin to the next method at 2 and 5: 0.04-0.09 on four seed sets;
    at 10 it is ahead by 0.004-0.06)."""
    shots, acc = _transfer(chapter)
    for k in (2, 5):
        i = shots.index(k)
        others = max(a[i] for m, a in acc.items() if m != "feature extraction")
        assert acc["feature extraction"][i] > others + 0.02, (k, {m: a[i] for m, a in acc.items()})
    i = shots.index(10)
    assert acc["feature extraction"][i] > max(a[i] for a in acc.values()) - 0.02, {m: a[i] for m, a in acc.items()}
    assert acc["feature extraction"][0] > acc["from scratch"][0] + 0.1, acc


def test_from_scratch_is_worst_up_to_25_and_level_with_feature_extraction_at_50(chapter):
    """transfer_question: "From scratch ... is the worst method up to 25 examples per class, and
    only at 50 does it catch up with feature extraction" (at 50: -0.01 to +0.03 against feature
    extraction on four seed sets), still below the methods that adapt the pre-trained body."""
    shots, acc = _transfer(chapter)
    for i, k in enumerate(shots[:shots.index(25) + 1]):
        others = min(a[i] for m, a in acc.items() if m != "from scratch")
        assert acc["from scratch"][i] < others - 0.02, (k, {m: a[i] for m, a in acc.items()})
    scratch, frozen = acc["from scratch"][-1], acc["feature extraction"][-1]
    assert abs(scratch - frozen) < 0.05, f"at 50: from scratch {scratch:.3f}, feature extraction {frozen:.3f}"
    adapting = max(acc[m][-1] for m in ("fine-tuning", "discriminative", "progressive"))
    assert scratch < adapting - 0.02, {m: a[-1] for m, a in acc.items()}


def test_training_the_body_pays_off_with_more_labels(chapter):
    """transfer_question: "the methods that adapt the pre-trained body ... catch up with and then
    pass feature extraction"; discriminative "is at or near the top from about 25 examples per
    class on"; "Progressive unfreezing is close to discriminative rates here" (at 50: +0.04 to
    +0.08 over feature extraction; progressive - discriminative within 0.04 on four seed sets)."""
    shots, acc = _transfer(chapter)
    for method in ("fine-tuning", "discriminative", "progressive"):
        assert acc[method][-1] > acc["feature extraction"][-1] + 0.02, {m: a[-1] for m, a in acc.items()}
    for k in (25, 50):
        i = shots.index(k)
        assert acc["discriminative"][i] > max(a[i] for a in acc.values()) - 0.02, (k, {m: a[i] for m, a in acc.items()})
    gaps = [abs(p - d) for p, d in zip(acc["progressive"], acc["discriminative"])]
    assert max(gaps) < 0.06, f"|progressive - discriminative| per k: {gaps}"


def test_trainable_parameter_counts(chapter):
    """transfer_question / answer_transfer: "training only the head (325 parameters)"; "training all
    23,557 parameters"."""
    trainable = chapter.value("trainable")
    assert trainable["feature extraction"] == 325 and trainable["from scratch"] == 23_557, trainable


def test_your_turn_how_many_groups_to_unfreeze(chapter):
    """your_turn_transfer: "With K = 5, training the head alone (stage 1) is the most accurate, and
    every stage that also trains part of the body is less accurate ...; stages 1 and 4 repeat the
    experiment's feature extraction and discriminative numbers exactly" (stage 1 ahead of the
    next stage by 0.05-0.08 on three seed sets)."""
    stages = chapter.value("your_stages")
    acc = chapter.value("{m: a[shots.index(5)] for m, a in transfer_acc.items()}")
    assert sorted(stages) == [1, 2, 3, 4] and chapter.value("K") == 5, stages
    assert stages[1][0] > max(stages[s][0] for s in (2, 3, 4)) + 0.02, stages
    assert stages[1][0] == acc["feature extraction"] and stages[4][0] == acc["discriminative"], (stages, acc)
    assert stages[1][1] == 325 and stages[4][1] == 23_557, stages


# --- section 7: diagnose -------------------------------------------------------------------


def test_colleague_net_vanishes_by_a_constant_factor(chapter):
    """diagnose_text: "after 10 epochs the training loss is still ln 10"; answer_diagnose: "The
    activations shrink by a constant factor per layer: 0.01 sqrt(128/2) = 0.08", "after 8 layers the
    signal is around 1e-9 - 1e-10"."""
    losses = chapter.value("broken_history['train_loss']")
    assert all(abs(v - LN10) < 0.02 for v in losses), losses
    stds = chapter.value("[diag_stds[i] for i in range(2, len(fresh), 2)]")
    assert 0.06 < _per_layer_factor(stds) < 0.1 and 1e-11 < stds[-1] < 1e-8, f"std after each ReLU: {stds}"


def test_colleague_net_weight_gradients_flat_bias_gradients_vanish(chapter):
    """answer_diagnose: "The bias gradients are largest at the head and fall by about the same factor
    per layer towards the first layer"; "The weight gradients are about 1e-9 in every layer"
    (max/min 1.8-2.1 on three seeds)."""
    weight, bias = chapter.value("diag_weight_grads"), chapter.value("diag_bias_grads")
    assert all(1e-10 < w < 1e-8 for w in weight) and max(weight) / min(weight) < 5, f"weights: {weight}"
    assert all(b < a for a, b in zip(bias[1:], bias)) and bias[0] < 1e-6 * bias[-1], f"biases: {bias}"


def test_candidate_initializations(chapter):
    """answer_diagnose: He "The factor per layer becomes 1: the std after each ReLU stays of the same
    order through all 8 layers, and the loss falls far below ln 10 within a few epochs";
    orthogonal with the ReLU gain "also gives a factor 1"; Xavier or a gain-1 orthogonal matrix
    "keeps a factor ~0.71 per layer ... mild enough at this depth to train" (final losses 0.14-0.58
    on three seeds)."""
    stds = chapter.value("candidate_stds")
    losses = chapter.value("{k: h['train_loss'] for k, h in candidate_histories.items()}")
    for label in ("kaiming_normal_(w, nonlinearity='relu')", "orthogonal_(w, gain=calculate_gain('relu'))"):
        assert 0.8 < _per_layer_factor(stds[label]) < 1.25 and max(stds[label]) / min(stds[label]) < 10, (label, stds[label])
    for label in ("xavier_normal_(w)", "orthogonal_(w)"):
        assert 0.6 < _per_layer_factor(stds[label]) < 0.82, (label, stds[label])
    he = losses["kaiming_normal_(w, nonlinearity='relu')"]
    assert he[2] < 2.0 and he[-1] < 0.5, f"He loss per epoch: {he}"
    for label, curve in losses.items():
        if label != "N(0, 0.01²) (colleague)":
            assert curve[-1] < 1.0, (label, curve)


def _first_losses(chapter) -> dict[str, tuple[float, float]]:
    return chapter.value("first_losses")


def test_a_last_layer_too_large_shows_in_the_first_loss(chapter):
    """diagnose_step0_reading: "multiplying its last layer by 10 multiplies every logit by 10, and
    the printed first loss is more than twice ln 10; as drawn it is a little above ln 10, and with
    the last layer multiplied by 0.01 or set to 0 it is ln 10 within 0.01" (x 10: 7.3-8.7, as
    drawn: ln 10 + 0.12 to + 0.20, x 0.01: within 5e-4 on four seeds)."""
    first = _first_losses(chapter)
    (large, large_spread), (drawn, drawn_spread) = first["small network, last layer x 10"], first["small network, last layer x 1"]
    assert large > 2 * LN10, f"last layer x 10: first loss {large:.3f}"
    assert abs(large_spread / drawn_spread - 10) < 0.01, (large_spread, drawn_spread)
    assert LN10 + 0.05 < drawn < LN10 + 0.5, f"as drawn: first loss {drawn:.4f}"
    for label in ("small network, last layer x 0.01", "small network, last layer x 0"):
        assert abs(first[label][0] - LN10) < 0.01, (label, first[label])


def test_the_colleague_net_starts_exactly_at_ln_10_with_the_same_output_for_every_digit(chapter):
    """diagnose_step0_reading and answer_diagnose: "its first loss is ln 10 within 1e-5, and its
    logits vary by about 1e-11 from digit to digit, against about 0.3 for the small network as
    drawn" (loss - ln 10: 3e-7, spread 1.5e-11 to 3e-11, small network 0.32-0.35 on four seeds)."""
    first = _first_losses(chapter)
    loss, spread = first["colleague's network"]
    assert abs(loss - LN10) < 1e-5, f"first loss {loss:.7f}"
    assert 3e-12 < spread < 1e-10, f"logits' spread over the digits {spread:.1e}"
    assert 0.15 < first["small network, last layer x 1"][1] < 0.6, first["small network, last layer x 1"]


def test_colleague_net_histograms_same_weights_tiny_gradients(chapter):
    """answer_diagnose: the weight histograms show "the same Gaussian of std 0.01 in every layer, as
    drawn — while the gradient histograms put every layer's weight gradients at a std of order
    1e-11" (4e-12 to 1.8e-11 on six seeds)."""
    weights = chapter.value("[p.std().item() for p in fresh.parameters() if p.dim() > 1]")
    grads = chapter.value("[p.grad.std().item() for p in fresh.parameters() if p.dim() > 1]")
    assert len(weights) == len(grads) == 9
    assert all(abs(w / 0.01 - 1) < 0.1 for w in weights), f"weight std per Linear: {weights}"
    assert all(1e-12 < g < 1e-10 for g in grads), f"weight-gradient std per Linear: {grads}"


def _median(values: list[float]) -> float:
    return sorted(values)[(len(values) - 1) // 2]  # the lower median, as torch.median


def test_no_layer_below_the_head_moves(chapter):
    """answer_diagnose: "the median update ratios of Linear 0–7 are below 1e-6 (those of Linear 0–6
    below 1e-9) ...; only the head moves more, and it too stays below 1e-3 at every step" (medians
    of Linear 0-6 at most 7e-11, Linear 7 6e-9 to 8e-8, head 9e-6 to 1e-4, largest ratio 3e-4 on
    four seeds)."""
    ratios = list(chapter.value("broken_ratios.ratios").values())
    medians = [_median(r) for r in ratios]
    assert len(ratios) == 9 and all(len(r) == len(ratios[0]) > 100 for r in ratios), [len(r) for r in ratios]
    assert all(m < 1e-9 for m in medians[:7]) and medians[7] < 1e-6, f"medians per Linear: {medians}"
    assert medians[8] > 1e-6, f"head: {medians[8]}"
    assert max(max(r) for r in ratios) < 1e-3, [max(r) for r in ratios]


def test_after_the_fix_every_layer_moves(chapter):
    """answer_diagnose: "the table below the candidates' plot prints median update ratios of order
    1e-3 to 1e-2 for every Linear of every initialization except the colleague's" (1.6e-3 to
    1.3e-2 on six seeds)."""
    ratios = chapter.value("{k: list(v.values()) for k, v in candidate_ratios.items() if k != colleague}")
    assert len(ratios) == 4
    for label, per_layer in ratios.items():
        medians = [_median(r) for r in per_layer]
        assert all(5e-4 < m < 3e-2 for m in medians), (label, medians)


def test_your_turn_last_layer_times_ten(chapter):
    """your_turn_diagnose: with the head x 10 "the first loss is far above ln 10 (... more than
    twice ln 10)"; the head's "printed ratio is below 1"; the layers below: "their first updates are
    more than ten times the chapter's"; "its training loss is nan (it diverged), where the
    chapter's He run trains" (first loss 7.8-22, head 0.19-0.4, layers below 15-38 times, nan on
    four seeds)."""
    first_loss = chapter.value("your_first_loss")
    assert chapter.value("(LAYER, SCALE, EPOCHS)") == (8, 10.0, 3)
    assert first_loss > 2 * LN10, first_loss
    yours = chapter.value("[r[0] for r in your_ratios.ratios.values()]")
    he = chapter.value("[r[0] for r in candidate_ratios[he].values()]")
    relative = [a / b for a, b in zip(yours, he)]
    assert relative[-1] < 0.7 and all(r > 10 for r in relative[:-1]), f"first update / He's: {relative}"
    assert math.isnan(chapter.value("your_history['train_loss'][-1]"))
    assert chapter.value("candidate_histories[he]['train_loss'][2]") < LN10 - 1, "the chapter's He run"


# --- in practice ---------------------------------------------------------------------------


def test_in_practice_pytorch_defaults():
    """in_practice: nn.Linear and nn.Conv2d "call nn.init.kaiming_uniform_(weight, a=math.sqrt(5))":
    "uniform in ±1/sqrt(fan_in), a std of 1/sqrt(3 fan_in)"; "biases uniform in the same range";
    calculate_gain("tanh") is 5/3; kaiming's default nonlinearity "leaky_relu" with a=0 has ReLU's
    gain sqrt(2)."""
    import inspect

    import torch
    from torch import nn

    for module in (nn.Linear, nn.modules.conv._ConvNd):
        assert "kaiming_uniform_(self.weight, a=math.sqrt(5))" in inspect.getsource(module.reset_parameters)
    torch.manual_seed(0)
    for layer, fan_in in ((nn.Linear(400, 300), 400), (nn.Conv2d(16, 200, 5), 16 * 25)):
        bound = 1 / math.sqrt(fan_in)
        for tensor in (layer.weight, layer.bias):
            assert 0.97 * bound < tensor.abs().max().item() <= bound, (layer, tensor.abs().max().item(), bound)
        assert abs(layer.weight.std().item() * math.sqrt(3 * fan_in) - 1) < 0.02
    assert nn.init.calculate_gain("tanh") == 5 / 3
    assert nn.init.calculate_gain("leaky_relu", 0) == nn.init.calculate_gain("relu") == math.sqrt(2)
    w = torch.empty(2000, 500)
    nn.init.kaiming_normal_(w)  # the defaults: a=0, mode="fan_in", nonlinearity="leaky_relu"
    assert abs(w.std().item() / math.sqrt(2 / 500) - 1) < 0.01

