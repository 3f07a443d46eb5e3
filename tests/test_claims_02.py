"""Chapter 2: what the text says its experiments show, asserted on the executed solution.

Each test quotes the claim it guards and names its markdown cell. Thresholds leave room for
other seeds (the experiments re-run with seeds 1-5 for the data split, the initialization
and the batch order; the weight-norm comparison with four triples of seeds) and for other
CPUs: orderings and coarse bounds, never exact numbers.
"""
from __future__ import annotations

import math

from executed import test_chapter_executes_in_the_edition_without_errors_or_stderr  # noqa: F401 - collected here

CHAPTER = "02_normalization"

RATES = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]


# --- section 2: batch normalization, the layer and its backward pass ---------------------------------


# in_practice's momentum conventions (PyTorch's 0.1 is Keras's 0.9) are a definition, not a
# measurement: the update rule itself is the graded test_batch_norm_running_stats (against PyTorch).


def test_challenge_gives_the_jacobian_but_not_dx(chapter):
    """batch_norm_backward_text: the computational graph and the Jacobian steps are given, the
    final dx expression is not (the learner derives it); the requirements stay stated."""
    text = chapter.markdown("batch_norm_backward_text")
    for step in (r"{\partial \mu}{\partial x_i}", r"{\partial \sigma^2}{\partial x_i}",
                 r"{\partial \hat x_j}{\partial x_i}", "weight=None", "ValueError", "no autograd"):
        assert step in text, f"missing from the challenge: {step}"
    later = text + chapter.markdown("bn_backward_check_text")
    for formula in (r"\frac{\gamma}{N s}", "N g_i -", r"\frac{\gamma}{s}", "N dout - dbias"):
        assert formula not in later, f"the released text gives the answer away: {formula}"


def test_dx_sums_to_zero_and_is_orthogonal_to_x_hat_up_to_eps(chapter):
    """bn_backward_check_text: "sum_i dL/dx_i = 0 and sum_i x_hat_i dL/dx_i ≈ 0 (exactly 0 only for
    eps = 0)", checked on the learner's batch_norm_backward: at eps=1e-5 the column sums are float
    rounding (~1e-16) and the cosine with x_hat ~1e-5; at eps=1 the cosine is 0.19."""
    checks = chapter.value("bn_grad_checks")
    (sum_small, cos_small), (sum_large, cos_large) = checks[1e-5], checks[1.0]
    assert sum_small < 1e-10 and sum_large < 1e-10, f"relative column sums of dx: {sum_small:.1e}, {sum_large:.1e}"
    assert cos_small < 1e-3 < 0.05 < cos_large, f"|cosine(dx, x_hat)|: eps=1e-5 {cos_small:.1e}, eps=1 {cos_large:.1e}"


def test_scaling_the_weights_before_bn_divides_their_gradient(chapter):
    """batch_norm_backward_text: "the gradients reaching those weights are divided by c" (c = 10,
    the learner's BatchNorm); answer_batch_norm (c): "the printed ratio: 10.00"."""
    grads = chapter.value("scaled_grad_norm")
    ratio = grads[1.0] / grads[10.0]
    assert 9.995 < ratio < 10.005, f"gradient norm at W {grads[1.0]:.4g}, at 10 W {grads[10.0]:.4g}: ratio {ratio:.3f}"
    assert "(ratio 10.00)" in chapter.output("bn_backward_check")


def test_two_values_standardize_to_plus_minus_one_up_to_eps(chapter):
    """bn_small_batch_text / answer_batch_norm (a): "with N = 2 each standardized feature is
    ±1/sqrt(1 + eps/sigma^2), practically ±1 unless the two values are almost equal" (the
    learner's batch_norm)."""
    y, var = chapter.value("(lambda x: (batch_norm(x, None, None, training=True), x.var(dim=0, unbiased=False)))"
                           "(torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.01, 0.001]]))")
    expected = (1 + 1e-5 / var) ** -0.5
    assert ((y.abs() - expected).abs() < 1e-4).all() and (y[0] == -y[1]).all(), (
        f"|y| per feature {y.abs()[0].tolist()}, 1/sqrt(1 + eps/var) = {expected.tolist()}")
    assert abs(y[0, 0].abs() - 1) < 1e-4 < 0.1 < 1 - y[0, 2].abs(), f"|y| per feature: {y.abs()[0].tolist()}"


# --- section 2: the deep MLP with and without BN ------------------------------------------------------


def _final(chapter) -> dict:
    return chapter.value("final_acc")


def test_plain_initialization_is_well_scaled(chapter):
    """bn_experiment_text: "with Kaiming initialization, so that even the plain network starts with
    well-scaled activations" (pre-activation std of the 9 hidden layers at initialization)."""
    stds = chapter.value(
        "(lambda m: [m[:i](digits.x_val).std().item() for i, layer in enumerate(m) if isinstance(layer, nn.ReLU)])"
        "(deep_mlp(None).eval())")
    assert max(stds) < 2 * min(stds), f"pre-activation std per hidden layer at initialization: {stds}"


def test_plain_deep_mlp_is_slow_and_erratic(chapter):
    """bn_histogram_text: "Without BN the deep network learns slowly and erratically (its validation
    accuracy often falls back from one epoch to the next): after 8 epochs it is below 90 % at every
    learning rate" (best plain run 0.57-0.88 on six seeds; 4-7 falls of > 0.03 between epochs at
    rates up to 0.3 on seeds 1-5)."""
    final = _final(chapter)
    plain = [final[False, lr] for lr in RATES]
    assert max(plain) < 0.9, f"without BN, final accuracy per rate: {plain}"
    curves = chapter.value("[deep_runs[False, lr]['val_acc'] for lr in (0.01, 0.03, 0.1, 0.3)]")
    falls = sum(b < a - 0.03 for curve in curves for a, b in zip(curve, curve[1:]))
    assert falls >= 3, f"without BN, validation accuracy per epoch at 0.01, 0.03, 0.1, 0.3: {curves}"


def test_plain_deep_mlp_fails_at_large_rates(chapter):
    """bn_histogram_text: "at 0.3 it barely learns, and from 1.0 on it is at chance level (10 %)"
    (0.21-0.35 at 0.3; 0.097-0.16 at 1.0 and 3.0 on six seeds); answer_batch_norm (c): "the BN
    network still training at learning rates where the plain one is at chance level (the sweep: up
    to 3.0)" (with test_bn_tolerates_30_times_larger_rates)."""
    final = _final(chapter)
    assert final[False, 0.3] < 0.45, f"without BN at lr=0.3: {final[False, 0.3]:.3f}"
    assert final[False, 1.0] < 0.2 and final[False, 3.0] < 0.2, (
        f"without BN at lr=1.0: {final[False, 1.0]:.3f}, at 3.0: {final[False, 3.0]:.3f}")


def test_bn_deep_mlp_reaches_90_percent_quickly(chapter):
    """bn_histogram_text: "With BN it ends at about 90 % or more for every rate from 0.1 to 1.0 (at
    0.3 and 1.0 it is past 85 % after three epochs)" (final 0.91-0.98, third epoch 0.89-0.94 on
    six seeds)."""
    curves = chapter.value("{lr: deep_runs[True, lr]['val_acc'] for lr in (0.1, 0.3, 1.0)}")
    assert all(curve[-1] > 0.87 for curve in curves.values()), f"with BN, accuracy per epoch: {curves}"
    assert curves[0.3][2] > 0.85 and curves[1.0][2] > 0.85, f"with BN, accuracy per epoch: {curves}"


def test_bn_tolerates_30_times_larger_rates(chapter):
    """bn_histogram_text: "it still trains at 3.0: the printed ratio [...] (30 here, 30 or 100 with
    other seeds)"; BN is ahead from 0.1 upwards (by 0.11-0.39 at 0.1 on six seeds)."""
    largest = chapter.value("largest_lr")
    final = _final(chapter)
    assert largest[True] == 3.0 and largest[False] is not None and largest[True] / largest[False] > 29, (
        f"largest rate that still trains: {largest}")
    assert "times larger" in chapter.output("cell-021")
    gaps = {lr: final[True, lr] - final[False, lr] for lr in (0.1, 0.3, 1.0, 3.0)}
    assert all(gap > 0.05 for gap in gaps.values()), f"BN minus plain, final accuracy per rate: {gaps}"


def test_neither_network_learns_at_the_smallest_rate(chapter):
    """bn_histogram_text: "At the smallest rate (0.01) neither network has had time to learn: both
    are at about 60 % or less" (0.25-0.61 on six seeds)."""
    final = _final(chapter)
    assert final[False, 0.01] < 0.7 and final[True, 0.01] < 0.7, (
        f"at lr=0.01: without BN {final[False, 0.01]:.3f}, with BN {final[True, 0.01]:.3f}")


def test_preactivations_widen_with_depth_without_bn(chapter):
    """bn_pitfall_eval_text: "the scales compound with depth (here the ninth layer's pre-activations
    are about two to four times wider than the first's)" (2.1-3.7 on six seeds)."""
    stds = chapter.value("layer_std[False]")
    assert 1.7 < stds[8] / stds[0] < 5, f"without BN, pre-activation std per hidden layer: {stds}"


def test_bn_outputs_stay_standardized(chapter):
    """bn_pitfall_eval_text: "after training the BN outputs still have a standard deviation close to
    1 at every depth" (0.92-1.04 on six seeds)."""
    stds = chapter.value("layer_std[True]")
    assert all(0.85 < s < 1.15 for s in stds), f"with BN, pre-activation std per hidden layer: {stds}"


# --- pitfalls: model.eval() and small batches ---------------------------------------------------------


def test_train_mode_is_close_only_with_large_batches(chapter):
    """bn_pitfall_small_text: "large batches give statistics close to the running ones (and an
    accuracy close to eval mode), small batches do not"; answer_batch_norm (b): "about the same
    accuracy at batch 512, worse at 16, 4 and 2" (512 within 0.02 of eval mode on six seeds)."""
    acc = {k.replace("\n", " "): v for k, v in chapter.value("mode_acc").items()}
    eval_acc = acc["eval mode"]
    by_batch = [acc[f"train mode batch {b}"] for b in (512, 16, 4, 2)]
    assert abs(by_batch[0] - eval_acc) < 0.04, f"accuracy: {acc}"
    assert by_batch[1] < eval_acc - 0.05 and all(b < a for a, b in zip(by_batch, by_batch[1:])), f"accuracy: {acc}"


def test_train_mode_prediction_depends_on_the_batch(chapter):
    """bn_pitfall_small_text: "the same example's predicted probability moves from batch to batch"
    in train mode (not in eval mode); bn_pitfall_eval_text: "a batch of one cannot be normalized"."""
    probs = chapter.value("probs")
    train, evaluation = probs["train mode"], probs["eval mode"]
    assert max(train) - min(train) > 0.3 and max(evaluation) - min(evaluation) < 1e-5, f"probabilities: {probs}"
    assert chapter.value("batch_of_one").startswith("ValueError")


def _small_batch(chapter) -> dict:
    return chapter.value("small_batch")


def test_bn_is_far_behind_with_batches_of_two(chapter):
    """bn_small_batch_text: "With batches of 2 the BN network is far behind; from 16 upwards it is
    fine"; answer_batch_norm (a): "at batch 2 the BN network is far behind batch 64 [...] from batch
    16 up it is fine"
    (batch 2: 0.49-0.57, batch 16: 0.93-0.95, batch 64: 0.93-0.96 on six seeds)."""
    bn = _small_batch(chapter)["BatchNorm"]
    assert bn[2] < bn[64] - 0.25 and bn[16] > bn[64] - 0.03 and bn[16] > 0.88, f"BN accuracy per batch size: {bn}"


# --- sections 3 and 4: layer norm, instance norm, AdaIN -----------------------------------------------


def test_layer_norm_output_does_not_depend_on_the_batch(chapter):
    """ln_experiment_text / answer_layer_norm: "the printed change is 0" for LN, while BN's output
    of the same sample changes with the batch (1.2-2.4 on six seeds)."""
    bn_spread, ln_spread = chapter.value("(bn_spread, ln_spread)")
    assert ln_spread < 1e-6 and bn_spread > 0.5, f"largest change: BN {bn_spread}, LN {ln_spread}"


def test_instance_norm_removes_contrast_and_brightness_up_to_eps(chapter):
    """in_experiment_text / answer_instance_norm: contrast and brightness disappear, "a difference of
    the order of eps effects only" (2e-4 to 2e-3 on six seeds; with eps = 1e-10, float rounding)."""
    difference = chapter.value("in_difference")
    tiny_eps = chapter.value("(instance_norm(altered, eps=1e-10) - instance_norm(originals, eps=1e-10)).abs().max().item()")
    assert difference < 1e-2 and tiny_eps < 1e-4 and tiny_eps < difference, (
        f"largest difference: eps=1e-5 {difference:.2g}, eps=1e-10 {tiny_eps:.2g}")


def test_adain_output_has_the_style_statistics(chapter):
    """adain_text: the content image "receives the style image's per-channel statistics"."""
    out_mean, out_std, mean, std = chapter.value("(out_mean, out_std, style_mean, style_std)")
    assert (out_mean - mean).abs().max() < 1e-3 and ((out_std - std).abs() / std).max() < 1e-3, (
        f"AdaIN output mean {out_mean.tolist()} std {out_std.tolist()}; style mean {mean.tolist()} std {std.tolist()}")


# --- section 5: group norm and small batches ----------------------------------------------------------


def test_gn_and_ln_lose_a_little_bn_much_more_at_batch_two(chapter):
    """gn_results_text: "All three lose a little at the smallest batches [...] GroupNorm and LayerNorm
    lose only that; BatchNorm loses much more at batch 2" (GN/LN lose 0.06-0.08 from batch 64 to 2,
    BN 0.30-0.39 behind them at batch 2, on six seeds)."""
    runs = _small_batch(chapter)
    gn, ln, bn = runs["GroupNorm (8 groups)"], runs["LayerNorm"], runs["BatchNorm"]
    for label, result in (("GroupNorm", gn), ("LayerNorm", ln)):
        assert 0 < result[64] - result[2] < 0.13, f"{label} accuracy per batch size: {result}"
    assert bn[2] < min(gn[2], ln[2]) - 0.2, f"at batch 2: BN {bn[2]:.3f}, GN {gn[2]:.3f}, LN {ln[2]:.3f}"


def test_three_norms_within_a_few_points_from_batch_16(chapter):
    """gn_results_text: "From batch 16 upwards the three are within a few points of each other here"
    (largest spread 0.024 on six seeds)."""
    runs = _small_batch(chapter)
    for batch in (16, 64):
        accs = {label: result[batch] for label, result in runs.items()}
        assert max(accs.values()) - min(accs.values()) < 0.04, f"batch {batch}: {accs}"


# --- section 6: weight normalization ------------------------------------------------------------------


def _wn_mean(chapter) -> dict:
    return chapter.value("wn_mean")


def test_wn_follows_plain_and_bn_is_fastest_at_moderate_rate(chapter):
    """wn_results_text: "At the moderate learning rate the three train; weight normalization follows
    the plain network closely [...] and BN is by far the fastest (about 90 % after the first
    epoch)" (means of three seeds, four triples: |WN - plain| <= 0.022 at the end, BN 0.87-0.93
    after one epoch against 0.34-0.39)."""
    mean = _wn_mean(chapter)
    plain, wn, bn = (mean[kind, 0.1] for kind in ("plain", "weight norm", "batch norm"))
    assert min(plain[-1], wn[-1], bn[-1]) > 0.85 and abs(plain[-1] - wn[-1]) < 0.05, f"lr=0.1: {mean}"
    assert bn[0] > 0.8 and bn[0] > max(plain[0], wn[0]) + 0.3, f"lr=0.1, first epoch: {mean}"


def test_plain_is_unstable_at_large_rate_and_wn_copes_better(chapter):
    """wn_results_text: "At the large learning rate the plain network becomes unstable: its accuracy
    falls back during training, and on average it ends far behind. Weight normalization copes
    better: [...] on average it still trains and ends clearly ahead of the plain network";
    answer_weight_norm: "weight norm coping better than the plain network with the learning rate of
    0.3" (means of three seeds, four triples: WN 0.66-0.93, plain 0.22-0.74, WN ahead by 0.18-0.44;
    the largest fall of each plain run 0.14-0.32)."""
    mean = _wn_mean(chapter)
    plain, wn = mean["plain", 0.3][-1], mean["weight norm", 0.3][-1]
    assert wn > 0.6 and wn > plain + 0.1, f"lr=0.3, final accuracy (mean of 3 seeds): plain {plain:.3f}, WN {wn:.3f}"
    curves = chapter.value("[wn_runs['plain', 0.3, seed]['val_acc'] for seed in wn_seeds]")
    falls = [max(a - b for a, b in zip(curve, curve[1:])) for curve in curves]
    assert sum(fall > 0.1 for fall in falls) >= 2, f"plain at lr=0.3, accuracy per epoch: {curves}"


def test_bn_is_the_most_robust(chapter):
    """wn_results_text: "BN, which also standardizes the activations, remains the most robust here"
    (0.964-0.972 at lr=0.3, mean of three seeds, four triples)."""
    mean = _wn_mean(chapter)
    finals = {kind: mean[kind, 0.3][-1] for kind in ("plain", "weight norm", "batch norm")}
    assert finals["batch norm"] > 0.93 and finals["batch norm"] == max(finals.values()), f"lr=0.3: {finals}"


def test_v_norms_grow_more_at_the_larger_rate(chapter):
    """wn_results_text: "the gradient steps make ||v_j|| grow (more at the larger learning rate)";
    answer_weight_norm (b): "||v_j|| growing more there" [at 0.3] (0.57 -> 1.02-1.25 at 0.1, ->
    1.9-3.1 at 0.3 over eighteen seeds)."""
    norms = chapter.value("v_norms")
    for (lr, seed), (before, after) in norms.items():
        assert after > 1.3 * before, f"||v_j|| before -> after, per (lr, seed): {norms}"
    for seed in chapter.value("wn_seeds"):
        assert norms[0.3, seed][1] > 1.3 * norms[0.1, seed][1], f"||v_j|| before -> after, per (lr, seed): {norms}"


# --- the questions that need a calculation ------------------------------------------------------------


def test_adain_clips_red_most_as_the_style_statistics_predict(chapter):
    """answer_instance_norm (b): with the printed style statistics (red 0.215 / 0.349, green 0.288 /
    0.179, blue 0.224 / 0.130), a content pixel more than about 0.6 (red), 1.6 (green) or 1.7 (blue)
    standard deviations below its channel's mean becomes negative; "red is clipped most: the
    printed fractions agree (about a third of the red values, a few percent of the green ones, none
    of the blue ones)" (the images ship with scikit-learn: no seed involved)."""
    mean, std = chapter.value("(style_mean.tolist(), style_std.tolist())")
    stated = {"mean": [0.215, 0.288, 0.224], "std": [0.349, 0.179, 0.130]}
    assert all(abs(a - b) < 1e-3 for a, b in zip(mean + std, stated["mean"] + stated["std"])), (mean, std)
    thresholds = [m / s for m, s in zip(mean, std)]
    assert all(abs(t - k) < 0.05 for t, k in zip(thresholds, (0.6, 1.6, 1.7))), f"-mean/std per channel: {thresholds}"
    below, above = chapter.value("((adain < 0).float().mean(dim=(0, 2, 3)).tolist(), (adain > 1).sum().item())")
    assert above == 0, f"{above} AdaIN values above 1: the answer explains the clipping by negative values only"
    red, green, blue = below
    assert 0.25 < red < 0.42 and 0.01 < green < 0.1 and blue == 0, f"fraction of negative values per channel: {below}"
    assert "fraction of the AdaIN output's values outside [0, 1]" in chapter.output("cell-047")


def test_one_sgd_step_lengthens_v_by_pythagoras(chapter):
    """answer_weight_norm (a)-(b): the gradient with respect to v_0 is orthogonal to it ("the printed
    cosine is 0 up to float rounding"); ||v - eta grad||^2 = ||v||^2 + eta^2 ||grad||^2; "this run's
    printed numbers (||v_0|| ≈ 0.57, a step of about 5e-4) [...] exceeds 0.57 by about 2e-7, a
    relative increase of about 4e-7 [...] A 10 % increase needs a step of 0.46 ||v_0|| (about 0.26
    here), several hundred times the first step"."""
    step = chapter.value("one_step")
    norm, length, cosine, after = step["norm"], step["step"], step["cosine"], step["after"]
    assert abs(cosine) < 1e-6, f"cosine(v_0, grad) = {cosine:.1e}"
    increase, pythagoras = after - norm, math.sqrt(norm ** 2 + length ** 2) - norm
    assert abs(increase - pythagoras) < 0.01 * pythagoras, (
        f"||v_0|| grew by {increase:.3e}, Pythagoras says {pythagoras:.3e}")
    assert 0.54 < norm < 0.6 and 4e-4 < length < 6e-4, f"||v_0|| = {norm:.4f}, step {length:.2e}"
    assert 1.5e-7 < increase < 3e-7 and 3e-7 < increase / norm < 5.5e-7, f"increase {increase:.2e}"
    assert 0.25 < math.sqrt(1.1 ** 2 - 1) * norm < 0.27 and 200 < math.sqrt(1.1 ** 2 - 1) * norm / length < 1000
    assert "step length lr * ||grad||" in chapter.output("cell-065")


# --- the "Your turn" cells, with their default settings -----------------------------------------------


def test_your_turn_bn_after_the_relu_trains_like_bn_before(chapter):
    """your_turn_bn: "BN after the ReLU trains at both rates: it ends within a few points of the
    chapter's BN-before-ReLU network at 0.1 and at 1.0, and at 1.0, where the plain network stays at
    chance level, it is far ahead of it" (|after - before| <= 0.064, after at 1.0 >= 0.886, on six
    seeds)."""
    assert chapter.value("PLACEMENT") == "after"  # LEARNING_RATES and SEED: later Your-turn cells reuse the names
    after = {lr: curve[-1] for lr, curve in chapter.value("placement_runs").items()}
    assert sorted(after) == [0.1, 1.0], after
    final = _final(chapter)
    assert all(abs(after[lr] - final[True, lr]) < 0.1 for lr in (0.1, 1.0)), f"after {after}, before {final}"
    assert after[1.0] > 0.85 and after[1.0] > final[False, 1.0] + 0.5, f"after {after}, plain {final[False, 1.0]}"


def test_your_turn_ln_trains_at_moderate_rate_not_at_large(chapter):
    """your_turn_ln: "your LayerNorm network trains at 0.1 (ahead of the plain network, behind BN in
    this run [...]), but at 1.0 it stays at chance level (10 %), like the plain network, while BN
    trains there" (LN at 0.1: 0.78-0.95, ahead of plain by 0.07 or more; at 1.0: 0.10 on six seeds)."""
    assert chapter.value("NORM") == "layer"
    ln = {lr: curve[-1] for lr, curve in chapter.value("norm_sweep").items()}
    assert sorted(ln) == [0.1, 1.0], ln
    final = _final(chapter)
    assert ln[0.1] > 0.7 and final[False, 0.1] + 0.03 < ln[0.1] < final[True, 0.1], f"LN {ln}, chapter {final}"
    assert ln[1.0] < 0.2 and final[True, 1.0] > 0.85, f"LN {ln}, chapter {final}"


def test_your_turn_in_undoes_exactly_the_per_channel_affine_changes(chapter):
    """your_turn_in: "The colour cast disappears: the largest difference is of the order of 1e-4
    [...] The lighting gradient survives (a largest difference of order 1) [...] IN undoes exactly the
    per-channel changes a_c x + b_c with a_c > 0 (brightness and contrast included); a non-linear
    tone curve (gamma), the negative (a = -1 [...]) and mixing the channels (greyscale) are not
    undone"; answer_instance_norm (a): for a < 0 the output is the negative."""
    assert chapter.value("CHANGES") == ("colour cast", "lighting gradient")
    difference = chapter.value("{name: (instance_norm(change(content)) - instance_norm(content)).abs().max().item()"
                               " for name, change in image_changes.items()}")
    undone, kept = ("brightness", "contrast", "colour cast"), ("gamma", "lighting gradient", "negative", "greyscale")
    assert set(difference) == set(undone + kept), sorted(difference)
    assert all(difference[name] < 1e-3 for name in undone) and all(difference[name] > 0.3 for name in kept), difference
    assert 1e-5 < difference["colour cast"] < 1e-3 and 0.5 < difference["lighting gradient"] < 3, difference
    flipped = chapter.value("(instance_norm(1 - content) + instance_norm(content)).abs().max().item()")
    assert flipped < 1e-3, f"instance_norm(1 - x) + instance_norm(x): {flipped:.2g}"


def test_your_turn_gn_one_group_is_layer_norm_one_feature_per_group_is_chance(chapter):
    """your_turn_gn: "G = 1 reproduces the chapter's LayerNorm at this batch size [...] G = 64 [...]
    stays at chance level (10 %) [...] G = 16 (4 features per group) ends behind G = 4 here" (at
    batch 4 and 2 with seeds (0, 1), (2, 3), (4, 5): G = 1 equals LN, G = 64 0.10, G = 16 behind
    G = 4 by 0.018-0.08)."""
    assert chapter.value("(GROUPS, BATCH_SIZE)") == ((1, 4, 16, 64), 4)
    acc = chapter.value("group_acc")
    layer_norm_acc = _small_batch(chapter)["LayerNorm"][4]
    assert abs(acc[1] - layer_norm_acc) < 0.01, f"G=1 {acc[1]:.3f}, the chapter's LayerNorm {layer_norm_acc:.3f}"
    assert acc[64] < 0.2 and acc[16] < acc[4], f"accuracy per number of groups: {acc}"
    outputs = chapter.value("group_norm(torch.randn(5, 64), 64).abs().max().item()")
    assert outputs == 0, "one value per group normalizes to 0"


def test_your_turn_wn_breaks_plain_at_half_and_v_grows_with_the_rate(chapter):
    """your_turn_wn: "At 0.03 the two networks train alike (about 90 % after 10 epochs) and ||v_j||
    barely grows (from 0.57 to about 0.65). At 0.5 the plain network is at chance level (10 %), and
    ||v_j|| ends more than four times longer than it started" (six seeds: 0.83-0.93 at 0.03, at most
    0.02 apart; ||v_j|| 0.64-0.66 at 0.03, 2.6-4.0 at 0.5; plain 0.10 at 0.5)."""
    assert chapter.value("(LEARNING_RATES, SEED)") == ((0.03, 0.5), 0)  # the last cell to set them
    runs = chapter.value("wn_sweep")
    slow_plain, slow_wn, fast_plain, fast_wn = (runs[lr, kind] for lr in (0.03, 0.5)
                                                for kind in ("plain", "weight norm"))
    slow = (slow_plain["val_acc"], slow_wn["val_acc"])
    assert min(slow) > 0.8 and abs(slow[0] - slow[1]) < 0.05, runs
    assert 0.55 < slow_wn["norm before"] < 0.6 and 0.6 < slow_wn["norm after"] < 0.72, runs
    assert fast_plain["val_acc"] < 0.2 and fast_wn["norm after"] > 4 * fast_wn["norm before"], runs


# --- In practice: PyTorch's own layers ----------------------------------------------------------------


def test_in_practice_states_pytorchs_defaults(chapter):
    """in_practice: every call and default it states, checked in the installed torch."""
    import warnings

    import torch
    import torch.nn.functional as F
    from torch import nn
    from torch.nn.utils import parametrize
    from torch.nn.utils.parametrizations import weight_norm

    text = chapter.markdown("in_practice")
    for call in ("nn.BatchNorm1d(C)", "nn.BatchNorm2d(C)", "model.eval()", "bias=False", "track_running_stats=False",
                 "momentum=None", "nn.LayerNorm(normalized_shape)", "nn.RMSNorm", "nn.InstanceNorm2d(C)",
                 "affine=False", "nn.GroupNorm(num_groups, num_channels)", "parametrizations.weight_norm",
                 "remove_parametrizations", "nn.SyncBatchNorm.convert_sync_batchnorm(model)"):
        assert call in text, f"in_practice does not mention {call}"
    torch.manual_seed(0)
    x = torch.randn(16, 3) * 3 + 2
    # BatchNorm: running statistics by default; track_running_stats=False uses the batch statistics in eval mode
    assert nn.BatchNorm2d(3).affine and nn.BatchNorm2d(3).track_running_stats
    no_stats = nn.BatchNorm1d(3, track_running_stats=False).eval()
    assert no_stats.running_mean is None and no_stats(x).mean(0).abs().max() < 1e-5
    cumulative = nn.BatchNorm1d(3, momentum=None)
    cumulative(x), cumulative(x[:8] + 1)
    assert torch.allclose(cumulative.running_mean, (x.mean(0) + (x[:8] + 1).mean(0)) / 2, atol=1e-6)
    # a bias before BN is removed by the mean subtraction
    linear, bn = nn.Linear(3, 4), nn.BatchNorm1d(4)
    assert torch.allclose(bn(linear(x)), bn(F.linear(x, linear.weight)), atol=1e-5)
    # LayerNorm's gamma has the normalized shape; RMSNorm does not subtract the mean
    assert nn.LayerNorm((4, 5)).weight.shape == (4, 5)
    rms = nn.RMSNorm(3, elementwise_affine=False)
    assert torch.allclose(rms(x), x / x.pow(2).mean(-1, keepdim=True).add(torch.finfo(x.dtype).eps).sqrt(), atol=1e-5)
    # InstanceNorm: no affine parameters and no running statistics by default
    assert not nn.InstanceNorm2d(3).affine and not nn.InstanceNorm2d(3).track_running_stats
    assert not list(nn.InstanceNorm2d(3).parameters())
    # GroupNorm: the number of groups comes first and must divide the channels; per-channel gamma
    group = nn.GroupNorm(2, 8)
    assert group.num_groups == 2 and group.num_channels == 8 and group.weight.shape == (8,)
    try:
        nn.GroupNorm(3, 8)
        raise AssertionError("nn.GroupNorm(3, 8) did not raise")
    except ValueError:
        pass
    # weight_norm: one norm per output row (dim=0), g and v as original0 and original1, removable
    layer = weight_norm(nn.Linear(5, 3))
    g, v = layer.parametrizations.weight.original0, layer.parametrizations.weight.original1
    assert g.shape == (3, 1) and v.shape == (3, 5) and torch.allclose(g.squeeze(1), v.norm(dim=1))
    weight = layer.weight.detach().clone()
    parametrize.remove_parametrizations(layer, "weight")
    assert sorted(name for name, _ in layer.named_parameters()) == ["bias", "weight"]
    assert torch.equal(layer.weight.detach(), weight)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.nn.utils.weight_norm(nn.Linear(2, 2))
    assert any("deprecated" in str(w.message) for w in caught)
    # SyncBatchNorm: convert_sync_batchnorm replaces the BatchNorm layers
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)))
    assert isinstance(converted[1], nn.SyncBatchNorm)
