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


# --- section 4: training a 12-layer MLP under each initialization --------------------------


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

