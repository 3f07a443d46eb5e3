"""traintech.augmentation against PyTorch (torch.flip, F.pad) and its contract."""

import json
import math
import random
from collections import Counter
from importlib import resources

import numpy
import pytest
import torch
import torch.nn.functional as F
from scipy import stats
from torch.testing import assert_close

from traintech.augmentation import (
    load_synonyms,
    pitch_shift,
    random_insertion,
    random_swap,
    synonym_replacement,
    time_shift,
    time_stretch,
)
from traintech.reference.augmentation import (
    add_noise,
    color_jitter,
    random_crop,
    random_deletion,
    random_horizontal_flip,
    random_rotation,
)
from traintech.testing import assert_proportion


def seeded(seed=0):
    return torch.Generator().manual_seed(seed)


def is_subsequence(short, long):
    remaining = iter(long)
    return all(any(token == other for other in remaining) for token in short)


# --------------------------------------------------------------------------- random_horizontal_flip


def test_flip_p1_and_p0_match_torch_flip():
    images = torch.randn(5, 3, 4, 6, generator=seeded(0))
    assert torch.equal(random_horizontal_flip(images, p=1.0), torch.flip(images, dims=[-1]))
    kept = random_horizontal_flip(images, p=0.0)
    assert torch.equal(kept, images)
    assert kept.data_ptr() != images.data_ptr(), "must return a new tensor"


@pytest.mark.parametrize("p", [0.3, 0.5])
def test_flip_each_image_independently_with_probability_p(p):
    n = 4000
    images = torch.randn(n, 2, 3, 5, generator=seeded(1))
    out = random_horizontal_flip(images, p=p, generator=seeded(2))
    flipped = (out == torch.flip(images, dims=[-1])).flatten(1).all(dim=1)  # (N,)
    unchanged = (out == images).flatten(1).all(dim=1)  # (N,)
    assert (flipped ^ unchanged).all(), "each image must be either mirrored or unchanged, whole"
    assert_proportion(flipped.sum(), n, p, name=f"fraction flipped for p={p}")


def test_flip_keeps_dtype_does_not_modify_input_and_is_deterministic():
    images = torch.randint(0, 256, (64, 3, 5, 5), generator=seeded(0), dtype=torch.uint8)
    before = images.clone()
    a = random_horizontal_flip(images, generator=seeded(3))
    b = random_horizontal_flip(images, generator=seeded(3))
    assert torch.equal(images, before)
    assert a.dtype == torch.uint8 and a.shape == images.shape
    assert torch.equal(a, b)
    assert not torch.equal(a, random_horizontal_flip(images, generator=seeded(4)))


def test_flip_does_not_call_torch_flip(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("random_horizontal_flip should mirror with indexing, not torch.flip")

    images = torch.randn(3, 1, 2, 4, generator=seeded(0))
    expected = torch.flip(images, dims=[-1])
    monkeypatch.setattr(torch, "flip", forbidden)
    monkeypatch.setattr(torch, "fliplr", forbidden)
    monkeypatch.setattr(torch.Tensor, "flip", forbidden)
    assert torch.equal(random_horizontal_flip(images, p=1.0), expected)


@pytest.mark.parametrize("shape", [(3, 4, 4), (2, 1, 3, 4, 4), (4,)])
def test_flip_rejects_non_4d_images(shape):
    with pytest.raises(ValueError, match=str(shape).replace("(", r"\(").replace(")", r"\)")):
        random_horizontal_flip(torch.zeros(shape))


@pytest.mark.parametrize("p", [-0.5, 1.5])
def test_flip_rejects_bad_p(p):
    with pytest.raises(ValueError, match=str(p)):
        random_horizontal_flip(torch.zeros(1, 1, 2, 2), p=p)


# --------------------------------------------------------------------------- random_crop


def all_windows(padded, size):
    return padded.unfold(2, size, 1).unfold(3, size, 1)  # (N, C, nH, nW, size, size)


@pytest.mark.parametrize(
    "size, padding, hw", [(4, 0, (6, 6)), (6, 2, (6, 6)), (3, 1, (5, 7)), (7, 0, (7, 9))]
)
def test_crop_outputs_are_windows_of_the_padded_images(size, padding, hw):
    images = torch.randn(20, 2, *hw, generator=seeded(0))
    out = random_crop(images, size, padding=padding, generator=seeded(1))
    assert out.shape == (20, 2, size, size)
    windows = all_windows(F.pad(images, [padding] * 4), size)  # (N, C, nH, nW, size, size)
    for n in range(len(images)):
        matches = (windows[n] == out[n][:, None, None]).all(dim=(-1, -2)).all(dim=0)  # (nH, nW)
        assert matches.any(), f"output {n} is not a size x size window of the zero-padded image {n}"


def test_crop_positions_are_uniform_and_independent():
    n, height, padding = 2000, 4, 2  # 5 x 5 possible windows of a 4 x 4 image
    # Image i holds distinct values; the window's top-left value gives its position.
    images = torch.arange(1.0, height * height + 1).view(1, 1, height, height).repeat(n, 1, 1, 1)
    out = random_crop(images, height, padding=padding, generator=seeded(0))
    windows = all_windows(F.pad(images[:1], [padding] * 4), height)[0, 0]  # (5, 5, 4, 4)
    positions = []
    for crop in out[:, 0]:
        hit = (windows == crop).all(dim=(-1, -2)).nonzero()
        assert len(hit) == 1
        positions.append(tuple(hit[0].tolist()))
    counts = Counter(positions)
    assert len(counts) == 25, "every window position must be possible"
    pvalue = stats.chisquare(list(counts.values())).pvalue
    assert pvalue > 1e-4, f"positions are not uniform: {counts}"


def test_crop_full_padded_size_equals_zero_padding_and_identity_without_padding():
    images = torch.randn(3, 2, 5, 5, generator=seeded(0))
    assert torch.equal(random_crop(images, 9, padding=2), F.pad(images, [2, 2, 2, 2]))
    same = random_crop(images, 5)
    assert torch.equal(same, images) and same.data_ptr() != images.data_ptr()


def test_crop_does_not_modify_input_and_is_deterministic():
    images = torch.randn(16, 3, 8, 8, generator=seeded(0))
    before = images.clone()
    a = random_crop(images, 6, padding=1, generator=seeded(5))
    assert torch.equal(images, before)
    assert torch.equal(a, random_crop(images, 6, padding=1, generator=seeded(5)))
    assert not torch.equal(a, random_crop(images, 6, padding=1, generator=seeded(6)))


@pytest.mark.parametrize(
    "kwargs, bad",
    [
        ({"size": 9, "padding": 1}, "9"),  # the (7, 6) image padded: 9 rows fit, 8 columns do not
        ({"size": 11, "padding": 2}, "11"),
        ({"size": 0}, "0"),
        ({"size": 2.5}, "2.5"),
        ({"size": 3, "padding": -1}, "-1"),
    ],
)
def test_crop_rejects_bad_arguments(kwargs, bad):
    images = torch.zeros(2, 1, 7, 6)
    with pytest.raises(ValueError, match=bad):
        random_crop(images, **kwargs)


def test_crop_rejects_non_4d_images():
    with pytest.raises(ValueError, match="4-D"):
        random_crop(torch.zeros(3, 8, 8), 4)



# --------------------------------------------------------------------------- random_rotation


def drawn_angles(n, degrees, seed):
    """The angles (radians) the reference draws from a generator seeded with ``seed`` (white-box)."""
    return (2 * torch.rand(n, generator=seeded(seed), dtype=torch.float64) - 1) * math.radians(degrees)


def rotate_by_hand(image, angle):
    """(C, H, W) image rotated by ``angle`` (radians, counter-clockwise on screen) about its centre:
    bilinear interpolation written out pixel by pixel, neighbours outside the image count as 0."""
    c, h, w = image.shape
    out = torch.zeros(c, h, w, dtype=torch.float64)
    cos, sin = math.cos(angle), math.sin(angle)
    for i in range(h):
        for j in range(w):
            x, y = j - (w - 1) / 2, i - (h - 1) / 2
            sx, sy = cos * x - sin * y + (w - 1) / 2, sin * x + cos * y + (h - 1) / 2  # column, row read
            j0, i0 = math.floor(sx), math.floor(sy)
            for di in (0, 1):
                for dj in (0, 1):
                    ii, jj = i0 + di, j0 + dj
                    if 0 <= ii < h and 0 <= jj < w:
                        weight = (1 - abs(sx - jj)) * (1 - abs(sy - ii))
                        out[:, i, j] += weight * image[:, ii, jj].double()
    return out


@pytest.mark.parametrize("shape,degrees", [((4, 2, 7, 7), 30.0), ((3, 3, 6, 9), 90.0), ((3, 1, 10, 5), 180.0)])
def test_rotation_matches_bilinear_interpolation_by_hand(shape, degrees):
    images = torch.rand(shape, generator=seeded(0), dtype=torch.float64)
    out = random_rotation(images, degrees, generator=seeded(1))
    angles = drawn_angles(shape[0], degrees, 1)
    for k in range(shape[0]):
        assert_close(out[k], rotate_by_hand(images[k], float(angles[k])), atol=1e-10, rtol=0)


def test_rotation_turns_the_picture_counter_clockwise_for_a_positive_angle():
    """torchvision's convention: with the y axis pointing down, a positive angle turns the picture
    counter-clockwise (a pixel right of the centre goes up)."""
    image = torch.zeros(1, 1, 7, 7)
    image[0, 0, 3, 5] = 1.0  # two pixels right of the centre
    seed = next(s for s in range(1000) if drawn_angles(1, 90, s).item() > math.radians(88))
    out = random_rotation(image, 90, generator=seeded(seed))
    assert divmod(int(out[0, 0].argmax()), 7) == (1, 3)  # two pixels above the centre


def test_rotation_by_zero_degrees_is_an_identity_copy_and_keeps_dtype():
    for dtype in (torch.float32, torch.float64):
        images = torch.rand(3, 2, 5, 8, generator=seeded(2), dtype=dtype)
        before = images.clone()
        out = random_rotation(images, 0.0)
        assert out.dtype == dtype and out.shape == images.shape
        assert_close(out, images, atol=1e-6, rtol=0)
        out[...] = 0
        assert torch.equal(images, before), "must return a new tensor and leave the input alone"


def test_rotation_angles_are_uniform_and_independent_per_image():
    """Fit each output's angle from images whose pixels hold their own coordinates."""
    n, size = 2000, 7
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    xs, ys = coords.view(1, size).expand(size, size), coords.view(size, 1).expand(size, size)
    images = torch.stack([xs, ys]).expand(n, 2, size, size).contiguous()
    out = random_rotation(images, 40, generator=seeded(3))
    # at the centre's right neighbour (x=1, y=0) the output reads the input at (cos a, sin a)
    angles = torch.atan2(out[:, 1, 3, 4], out[:, 0, 3, 4])
    assert stats.kstest(angles.numpy(), "uniform", args=(-math.radians(40), math.radians(80))).pvalue > 1e-6
    assert_close(angles, drawn_angles(n, 40, 3), atol=1e-10, rtol=0)


def test_rotation_is_deterministic_given_the_generator():
    images = torch.rand(5, 3, 6, 6, generator=seeded(4))
    assert torch.equal(random_rotation(images, 25, generator=seeded(5)), random_rotation(images, 25, generator=seeded(5)))


@pytest.mark.parametrize(
    "images,degrees,bad",
    [(torch.zeros(3, 4, 4), 10, "4-D"), (torch.zeros(1, 2, 1, 4, 4), 10, "4-D"),
     (torch.zeros(2, 1, 4, 4), -1, "degrees"), (torch.zeros(2, 1, 4, 4), float("nan"), "degrees"),
     (torch.zeros(2, 1, 4, 4), True, "degrees"), (torch.zeros(2, 1, 4, 4, dtype=torch.uint8), 10, "floating")],
)
def test_rotation_rejects_bad_arguments(images, degrees, bad):
    with pytest.raises(ValueError, match=bad):
        random_rotation(images, degrees)


# --------------------------------------------------------------------------- color_jitter


def drawn_factors(n, strengths, seed):
    """The factors the reference draws, step by step, for the steps with a strength > 0 (white-box)."""
    g = seeded(seed)
    factors = {}
    for step, s in strengths.items():
        if s > 0:
            low, high = max(0.0, 1.0 - s), 1.0 + s
            factors[step] = low + (high - low) * torch.rand(n, generator=g, dtype=torch.float64)
    return factors


def enhanced_with_pil(image, step, factor):
    """One (3, H, W) image in [0, 1] through PIL's ImageEnhance (what torchvision's PIL backend uses)."""
    from PIL import Image, ImageEnhance

    pil = Image.fromarray((image.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy())
    enhancer = {"brightness": ImageEnhance.Brightness, "contrast": ImageEnhance.Contrast,
                "saturation": ImageEnhance.Color}[step]
    array = torch.from_numpy(numpy.asarray(enhancer(pil).enhance(factor)).copy())
    return array.permute(2, 0, 1).double() / 255


@pytest.mark.parametrize("step", ["brightness", "contrast", "saturation"])
def test_each_jitter_step_agrees_with_pil_image_enhance(step):
    """PIL rounds to whole 8-bit values (and the contrast mean to a whole gray level): within 2/255."""
    images = torch.randint(0, 256, (6, 3, 8, 10), generator=seeded(0)).double() / 255
    strengths = {"brightness": 0.0, "contrast": 0.0, "saturation": 0.0, step: 0.8}
    out = color_jitter(images, **strengths, generator=seeded(1))
    factors = drawn_factors(6, strengths, 1)[step]
    for k in range(6):
        assert_close(out[k], enhanced_with_pil(images[k], step, float(factors[k])), atol=2.5 / 255, rtol=0)


def test_jitter_applies_brightness_contrast_saturation_in_that_order_each_clamped():
    images = torch.rand(5, 3, 6, 7, generator=seeded(2), dtype=torch.float64)
    strengths = {"brightness": 0.9, "contrast": 0.7, "saturation": 0.8}
    out = color_jitter(images, **strengths, generator=seeded(3))
    f = {step: v.view(-1, 1, 1, 1) for step, v in drawn_factors(5, strengths, 3).items()}
    weights = torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64).view(1, 3, 1, 1)
    x = (f["brightness"] * images).clamp(0, 1)
    x = (f["contrast"] * x + (1 - f["contrast"]) * (weights * x).sum(1, keepdim=True).mean((2, 3), keepdim=True)).clamp(0, 1)
    x = (f["saturation"] * x + (1 - f["saturation"]) * (weights * x).sum(1, keepdim=True)).clamp(0, 1)
    assert_close(out, x, atol=1e-12, rtol=0)
    assert ((out == 0) | (out == 1)).any(), "this test is meant to exercise the clamps"


@pytest.mark.parametrize("step,strength", [("brightness", 1.5), ("contrast", 0.4), ("saturation", 1.0)])
def test_jitter_factors_are_uniform_per_image(step, strength):
    n = 3000
    images = torch.full((n, 3, 1, 2), 0.2, dtype=torch.float64)
    images[:, 0, 0, 0] = 0.3  # R up: the gray level stays below 0.3, so nothing clamps up to f = 2.5
    out = color_jitter(images, **{step: strength}, generator=seeded(4))
    gray = (torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64).view(1, 3, 1, 1) * images).sum(1, keepdim=True)
    base = {"brightness": torch.zeros(()), "contrast": gray.mean((2, 3), keepdim=True), "saturation": gray}[step]
    f = ((out - base) / (images - base))[:, 0, 0, 0]  # the red value of the first pixel
    low, high = max(0.0, 1.0 - strength), 1.0 + strength
    assert stats.kstest(f.numpy(), "uniform", args=(low, high - low)).pvalue > 1e-6
    assert len(set(f.tolist())) == n


def test_jitter_without_strengths_is_an_identity_copy():
    images = torch.rand(2, 3, 4, 4, generator=seeded(5))
    before = images.clone()
    out = color_jitter(images)
    assert torch.equal(out, images)
    out[...] = 0
    color_jitter(images, 0.5, 0.5, 0.5)
    assert torch.equal(images, before), "must return a new tensor and leave the input alone"


def test_jitter_keeps_dtype_and_stays_in_range():
    for dtype in (torch.float32, torch.float64):
        out = color_jitter(torch.rand(8, 3, 5, 5, dtype=dtype), 2.0, 2.0, 2.0, generator=seeded(6))
        assert out.dtype == dtype and out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize(
    "images,kwargs,bad",
    [(torch.zeros(2, 1, 4, 4), {}, "RGB"), (torch.zeros(3, 4, 4), {}, "RGB"), (torch.zeros(1, 2, 3, 4, 4), {}, "RGB"),
     (torch.zeros(2, 3, 4, 4, dtype=torch.uint8), {}, "floating"), (torch.zeros(2, 3, 4, 4), {"brightness": -0.1}, "brightness"),
     (torch.zeros(2, 3, 4, 4), {"contrast": float("nan")}, "contrast"), (torch.zeros(2, 3, 4, 4), {"saturation": float("inf")}, "saturation")],
)
def test_jitter_rejects_bad_arguments(images, kwargs, bad):
    with pytest.raises(ValueError, match=bad):
        color_jitter(images, **kwargs)

# --------------------------------------------------------------------------- random_deletion

SENTENCE = "the movie was really good and the actors were great".split()


def test_deletion_p0_is_an_identity_copy():
    out = random_deletion(SENTENCE, 0.0, random.Random(0))
    assert out == SENTENCE and out is not SENTENCE


def test_deletion_p1_keeps_exactly_one_random_token():
    tokens = [f"t{i}" for i in range(5)]
    chosen = Counter()
    for seed in range(500):
        out = random_deletion(tokens, 1.0, random.Random(seed))
        assert len(out) == 1 and out[0] in tokens
        chosen[out[0]] += 1
    assert len(chosen) == 5 and stats.chisquare(list(chosen.values())).pvalue > 1e-4


def test_deletion_never_empties_a_sentence():
    for seed in range(300):
        assert len(random_deletion(["a", "b"], 0.9, random.Random(seed))) >= 1
    assert random_deletion(["only"], 0.99, random.Random(0)) == ["only"]
    assert random_deletion([], 0.5, random.Random(0)) == []


def test_deletion_rate_and_order():
    tokens = [f"t{i}" for i in range(10_000)]
    out = random_deletion(tokens, 0.3, random.Random(1))
    assert_proportion(len(out), len(tokens), 0.7, name="fraction of tokens kept for p=0.3")
    assert is_subsequence(out, tokens), "deletion must keep the remaining tokens in order"


def test_deletion_does_not_modify_input_and_is_deterministic():
    tokens = list(SENTENCE)
    out = random_deletion(tokens, 0.5, random.Random(3))
    assert tokens == SENTENCE
    assert out == random_deletion(tokens, 0.5, random.Random(3))


@pytest.mark.parametrize("p", [-0.1, 1.2])
def test_deletion_rejects_bad_p(p):
    with pytest.raises(ValueError, match=str(p)):
        random_deletion(SENTENCE, p, random.Random(0))


# --------------------------------------------------------------------------- random_swap


def test_swap_permutes_and_swaps_two_positions_each_time():
    tokens = [f"t{i}" for i in range(8)]
    one = random_swap(tokens, 1, random.Random(0))
    assert sum(a != b for a, b in zip(one, tokens)) == 2
    for seed in range(20):
        out = random_swap(tokens, 4, random.Random(seed))
        assert Counter(out) == Counter(tokens)
    assert tokens == [f"t{i}" for i in range(8)]
    assert random_swap(tokens, 3, random.Random(5)) == random_swap(tokens, 3, random.Random(5))


def test_swap_edge_cases_and_errors():
    assert random_swap(SENTENCE, 0, random.Random(0)) == SENTENCE
    assert random_swap(["a"], 3, random.Random(0)) == ["a"]
    assert random_swap([], 3, random.Random(0)) == []
    with pytest.raises(ValueError, match="-1"):
        random_swap(SENTENCE, -1, random.Random(0))


# --------------------------------------------------------------------------- synonyms


def test_synonym_table_ships_with_the_package_and_is_well_formed():
    path = resources.files("traintech").joinpath("assets/synonyms.json")
    raw = json.loads(path.read_text(encoding="utf-8"))
    table = load_synonyms()
    assert table == raw
    assert 60 <= len(table) <= 150
    for word, synonyms in table.items():
        assert word == word.lower() and " " not in word
        assert synonyms and len(set(synonyms)) == len(synonyms), word
        assert all(s == s.lower() and " " not in s and s != word for s in synonyms), word


def test_load_synonyms_returns_a_copy():
    table = load_synonyms()
    table["good"].append("MUTATED")
    table["zzz"] = ["yyy"]
    fresh = load_synonyms()
    assert "MUTATED" not in fresh["good"] and "zzz" not in fresh


def test_synonym_replacement_only_uses_table_synonyms():
    table = load_synonyms()
    for seed in range(50):
        out = synonym_replacement(SENTENCE, 2, random.Random(seed))
        assert len(out) == len(SENTENCE)
        changed = {(a, b) for a, b in zip(SENTENCE, out) if a != b}
        assert 1 <= len({a for a, _ in changed}) <= 2
        for original, new in changed:
            assert new in table[original.lower()], f"{new!r} is not a synonym of {original!r}"


def test_synonym_replacement_replaces_every_occurrence_and_every_candidate():
    tokens = "good film good plot the".split()
    out = synonym_replacement(tokens, 10, random.Random(0))
    table = load_synonyms()
    assert out[0] == out[2] and out[0] in table["good"]
    assert out[1] in table["film"] and out[3] in table["plot"] and out[4] == "the"


def test_synonym_replacement_custom_table_case_and_edge_cases():
    table = {"good": ["fine"], "cat": ["cat"]}  # a word listed as its own synonym is no synonym
    out = synonym_replacement(["Good", "cat"], 5, random.Random(0), synonyms=table)
    assert out == ["fine", "cat"]
    assert synonym_replacement(SENTENCE, 0, random.Random(0)) == SENTENCE
    assert synonym_replacement(["zzz", "qqq"], 3, random.Random(0)) == ["zzz", "qqq"]
    tokens = list(SENTENCE)
    a = synonym_replacement(tokens, 3, random.Random(9))
    assert tokens == SENTENCE and a == synonym_replacement(tokens, 3, random.Random(9))
    with pytest.raises(ValueError, match="-2"):
        synonym_replacement(SENTENCE, -2, random.Random(0))


def test_random_insertion_inserts_table_synonyms():
    table = load_synonyms()
    for seed in range(50):
        out = random_insertion(SENTENCE, 3, random.Random(seed))
        assert len(out) == len(SENTENCE) + 3
        assert is_subsequence(SENTENCE, out), "the original tokens must stay, in order"
        inserted = Counter(out) - Counter(SENTENCE)
        allowed = {s for word in out if word.lower() in table for s in table[word.lower()]}
        assert set(inserted) <= allowed, f"inserted {inserted} are not synonyms of words present"


def test_random_insertion_positions_include_both_ends():
    firsts, lasts = 0, 0
    for seed in range(300):
        out = random_insertion(["x", "good", "y"], 1, random.Random(seed), {"good": ["fine"]})
        firsts += out[0] == "fine"
        lasts += out[-1] == "fine"
    assert firsts > 0 and lasts > 0


def test_random_insertion_edge_cases():
    assert random_insertion(["zzz", "qqq"], 3, random.Random(0)) == ["zzz", "qqq"]
    assert random_insertion([], 3, random.Random(0)) == []
    assert random_insertion(SENTENCE, 0, random.Random(0)) == SENTENCE
    tokens = list(SENTENCE)
    a = random_insertion(tokens, 2, random.Random(4))
    assert tokens == SENTENCE and a == random_insertion(tokens, 2, random.Random(4))
    with pytest.raises(ValueError, match="1.5"):
        random_insertion(SENTENCE, 1.5, random.Random(0))


# --------------------------------------------------------------------------- add_noise


def measured_snr_db(clean, noisy):
    return 10 * torch.log10(clean.pow(2).mean(-1) / (noisy - clean).pow(2).mean(-1))


@pytest.mark.parametrize("snr_db", [-10.0, 0.0, 5.0, 20.0, 40.0])
@pytest.mark.parametrize("shape", [(4000,), (4, 4000), (2, 3, 500)])
def test_add_noise_snr_is_exact_per_signal(snr_db, shape):
    # Signals of very different powers: the SNR must hold for each one separately.
    scales = torch.logspace(-2, 2, math.prod(shape[:-1]), dtype=torch.float64).view(*shape[:-1], 1)
    clean = scales * torch.randn(shape, generator=seeded(0), dtype=torch.float64)
    noisy = add_noise(clean, snr_db, generator=seeded(1))
    assert noisy.shape == clean.shape and noisy.dtype == clean.dtype
    expected = torch.full(shape[:-1], snr_db, dtype=torch.float64)
    assert_close(measured_snr_db(clean, noisy), expected, rtol=0, atol=1e-4)


def test_add_noise_float32_and_per_signal_snr_tensor():
    clean = torch.randn(3, 8000, generator=seeded(0))
    snr = torch.tensor([0.0, 10.0, 30.0])
    noisy = add_noise(clean, snr, generator=seeded(1))
    assert noisy.dtype == torch.float32
    assert_close(measured_snr_db(clean.double(), noisy.double()), snr.double(), rtol=0, atol=1e-3)


def test_add_noise_is_gaussian_independent_and_deterministic():
    t = torch.arange(16000, dtype=torch.float64) / 16000
    clean = torch.sin(2 * math.pi * 440 * t).repeat(2, 1)  # (2, 16000)
    before = clean.clone()
    noisy = add_noise(clean, 0.0, generator=seeded(0))
    assert torch.equal(clean, before), "add_noise modified its input"
    noise = noisy - clean
    assert not torch.allclose(noise[0], noise[1]), "each signal needs its own noise"
    assert abs(torch.corrcoef(torch.stack([noise[0], clean[0]]))[0, 1]) < 0.05
    assert stats.kstest((noise[0] / noise[0].std()).numpy(), "norm").pvalue > 1e-3
    assert torch.equal(noisy, add_noise(clean, 0.0, generator=seeded(0)))
    assert not torch.equal(noisy, add_noise(clean, 0.0, generator=seeded(1)))


def test_add_noise_leaves_a_silent_signal_unchanged():
    clean = torch.randn(3, 100, generator=seeded(0), dtype=torch.float64)
    clean[1] = 0.0
    noisy = add_noise(clean, 10.0, generator=seeded(1))
    assert torch.equal(noisy[1], clean[1]) and not torch.isnan(noisy).any()
    expected = torch.full((2,), 10.0, dtype=torch.float64)
    assert_close(measured_snr_db(clean[[0, 2]], noisy[[0, 2]]), expected)


@pytest.mark.parametrize("snr_db", [float("nan"), float("inf"), float("-inf")])
def test_add_noise_rejects_non_finite_snr(snr_db):
    with pytest.raises(ValueError, match=str(snr_db)):
        add_noise(torch.ones(10), snr_db)


@pytest.mark.parametrize(
    "waveform, bad",
    [
        (torch.ones(10, dtype=torch.int16), "int16"),
        (torch.tensor(1.0), r"\(\)"),
        (torch.ones(2, 0), r"\(2, 0\)"),
    ],
)
def test_add_noise_rejects_bad_waveforms(waveform, bad):
    with pytest.raises(ValueError, match=bad):
        add_noise(waveform, 10.0)


# --------------------------------------------------------------------------- time_shift


@pytest.mark.parametrize("shift", [0, 3, -2, 9, -9, 10, 25, -25])
def test_time_shift_is_roll_with_zero_fill(shift):
    x = torch.arange(1.0, 10.0).repeat(2, 1)  # (2, 9)
    expected = torch.roll(x, shift, dims=-1)
    positions = torch.arange(9) - shift  # source index of each output sample
    expected[:, (positions < 0) | (positions >= 9)] = 0.0
    out = time_shift(x, shift)
    assert torch.equal(out, expected)
    assert out.data_ptr() != x.data_ptr() and torch.equal(x, torch.arange(1.0, 10.0).repeat(2, 1))


def test_time_shift_accepts_integer_audio():
    pcm = torch.tensor([[1, 2, 3, 4]], dtype=torch.int16)
    assert torch.equal(time_shift(pcm, -1), torch.tensor([[2, 3, 4, 0]], dtype=torch.int16))


@pytest.mark.parametrize("shift", [1.5, "3", True])
def test_time_shift_rejects_non_int_shift(shift):
    with pytest.raises(ValueError, match=str(shift)):
        time_shift(torch.ones(5), shift)


# --------------------------------------------------------------------------- stretch, pitch

SR = 8000


def sine(freq, seconds=1.0, dtype=torch.float64):
    t = torch.arange(int(SR * seconds), dtype=dtype) / SR
    return torch.sin(2 * math.pi * freq * t)


def dominant_frequency(y):
    spectrum = torch.fft.rfft(y * torch.hann_window(y.shape[-1], dtype=y.dtype)).abs()
    return spectrum.argmax(-1).item() * SR / y.shape[-1]  # Hz; resolution SR / len


@pytest.mark.parametrize("rate", [0.5, 0.8, 1.25, 2.0])
def test_time_stretch_changes_duration_and_keeps_frequency(rate):
    x = sine(440.0)
    y = time_stretch(x, rate)
    assert y.shape == (round(len(x) / rate),)
    assert dominant_frequency(y) == pytest.approx(440.0, abs=2.0)
    # A stretched sine is still a sine of the same amplitude (away from the edges).
    middle = y[len(y) // 4 : 3 * len(y) // 4]
    assert middle.abs().max().item() == pytest.approx(1.0, abs=0.05)


def two_tones():
    return sine(440.0) + 0.5 * sine(1234.0)


def test_time_stretch_rate_one_nearly_reconstructs_a_tonal_signal():
    x = two_tones()
    error = (time_stretch(x, 1.0) - x)[500:-500]  # away from the edges
    assert error.norm() / x[500:-500].norm() < 0.01


@pytest.mark.parametrize("rate", [0.5, 0.8, 1.25, 2.0])
def test_time_stretch_keeps_the_loudness_of_tones(rate):
    x = two_tones()
    y = time_stretch(x, rate)
    middle = y[len(y) // 8 : -len(y) // 8]
    assert middle.pow(2).mean().sqrt() / x.pow(2).mean().sqrt() == pytest.approx(1.0, abs=0.03)


def test_time_stretch_batches_like_single_signals_and_keeps_input():
    x = torch.randn(2, 3, 2000, generator=seeded(0), dtype=torch.float64)
    before = x.clone()
    y = time_stretch(x, 1.5, n_fft=256, hop_length=32)
    assert torch.equal(x, before)
    assert y.shape == (2, 3, round(2000 / 1.5))
    assert_close(y[1, 2], time_stretch(x[1, 2], 1.5, n_fft=256, hop_length=32))


@pytest.mark.parametrize(
    "kwargs, bad",
    [
        ({"rate": 0.0}, "0.0"),
        ({"rate": -1.0}, "-1.0"),
        ({"rate": float("nan")}, "nan"),
        ({"rate": float("inf")}, "inf"),
        ({"rate": 1.0, "n_fft": 1}, "1"),
        ({"rate": 1.0, "hop_length": 0}, "0"),
        ({"rate": 1.0, "hop_length": 300}, "300"),
        ({"rate": 1.0, "n_fft": 4096}, "4096"),  # longer than the 1000-sample waveform
        ({"rate": 5000.0}, "5000"),  # no sample left
    ],
)
def test_time_stretch_rejects_bad_arguments(kwargs, bad):
    with pytest.raises(ValueError, match=bad):
        time_stretch(torch.randn(1000, generator=seeded(0)), **kwargs)


@pytest.mark.parametrize("n_steps", [-5, -2, 3, 7, 12])
def test_pitch_shift_moves_the_frequency_and_keeps_the_length(n_steps):
    x = sine(500.0)
    y = pitch_shift(x, SR, n_steps)
    assert y.shape == x.shape
    expected = 500.0 * 2 ** (n_steps / 12)
    assert dominant_frequency(y) == pytest.approx(expected, rel=0.01)
    middle = y[len(y) // 8 : -len(y) // 8]
    rms = middle.pow(2).mean().sqrt().item()
    assert rms == pytest.approx(math.sqrt(0.5), rel=0.05), "the loudness changed"


def test_pitch_shift_keeps_timing_batch_shape_and_input():
    # A tone in the first half, silence in the second: the shifted tone stays in the first half.
    x = sine(600.0, dtype=torch.float32)
    x[SR // 2 :] = 0.0
    x = x.repeat(2, 1)  # (2, T)
    before = x.clone()
    y = pitch_shift(x, SR, 4)
    assert torch.equal(x, before) and y.shape == x.shape and y.dtype == x.dtype
    energy = y.pow(2)
    assert energy[:, : SR // 2 + 400].sum() / energy.sum() > 0.99


@pytest.mark.parametrize(
    "kwargs, bad",
    [({"sample_rate": 0, "n_steps": 2}, "0"), ({"sample_rate": SR, "n_steps": float("nan")}, "nan")],
)
def test_pitch_shift_rejects_bad_arguments(kwargs, bad):
    with pytest.raises(ValueError, match=bad):
        pitch_shift(sine(440.0), **kwargs)


@pytest.mark.parametrize(
    "call",
    [
        lambda w: time_shift(w, 1),
        lambda w: time_stretch(w, 1.5),
        lambda w: pitch_shift(w, SR, 2),
    ],
    ids=["time_shift", "time_stretch", "pitch_shift"],
)
@pytest.mark.parametrize(
    "waveform, bad",
    [(torch.tensor(1.0), r"\(\)"), (torch.ones(3, 0), r"\(3, 0\)"), ([0.0] * 2000, "list")],
    ids=["0-dim", "empty", "list"],
)
def test_audio_references_reject_bad_waveforms(call, waveform, bad):
    with pytest.raises(ValueError, match=bad):
        call(waveform)


@pytest.mark.parametrize("call", [lambda w: time_stretch(w, 1.5), lambda w: pitch_shift(w, SR, 2)])
def test_spectral_references_reject_integer_audio(call):
    with pytest.raises(ValueError, match="int16"):
        call(torch.ones(2000, dtype=torch.int16))
