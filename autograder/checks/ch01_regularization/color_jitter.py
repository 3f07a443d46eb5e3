"""color_jitter(images, brightness=0.0, contrast=0.0, saturation=0.0, generator=None): the test cells,
wrong answers and right answers.

The factors are random, so no check compares with the reference's output: each output image is
judged by whether it is the documented step (or chain of steps) applied to its input with *some*
factors in range, found from the output itself; the factors found are then judged by their range,
independence across images and distribution.
"""
import torch

from autograder.checks import Cell, Check
from traintech.checking import entry, expect_raised, expect_tensor, raises
from traintech.testing import assert_close, assert_ks, assert_true

EXERCISE = "color_jitter"
# torchvision's ColorJitter draws one set of factors per call, in a random order, and is not a
# dependency of the course.
REFERENCE = "traintech.reference.augmentation.color_jitter"

GRAYSCALE = (0.299, 0.587, 0.114)


def grayscale(x):
    """(N, 3, H, W) -> (N, 1, H, W): 0.299 R + 0.587 G + 0.114 B of each pixel, in float64."""
    return (x.to(torch.float64) * torch.tensor(GRAYSCALE, dtype=torch.float64).view(1, 3, 1, 1)).sum(dim=1, keepdim=True)


def step_base(x, step):
    """What ``step`` blends the images ``x`` with: 0, the mean grayscale of each image, or each pixel's grayscale."""
    if step == "brightness":
        return torch.zeros(x.shape[0], 1, 1, 1, dtype=torch.float64)
    if step == "contrast":
        return grayscale(x).mean(dim=(2, 3), keepdim=True)  # (N, 1, 1, 1)
    return grayscale(x)  # (N, 1, H, W)


def fit_step(x, out, step):
    """Per image, the factor f for which out = clamp(f x + (1 - f) base) fits best (least squares on
    the values the clamp left alone), and the largest difference from that over the whole image."""
    x, out = x.to(torch.float64), out.to(torch.float64)
    base = step_base(x, step)
    d = x - base  # (N, 3, H, W)
    free = ((out > 1e-6) & (out < 1 - 1e-6)).to(torch.float64)  # not clamped
    f = ((out - base) * d * free).flatten(1).sum(dim=1) / (d * d * free).flatten(1).sum(dim=1)  # (N,)
    fitted = (base + f.view(-1, 1, 1, 1) * d).clamp(0, 1)
    return f, (fitted - out).abs().flatten(1).amax(dim=1)


RANGE_HINT = "each image draws its own factor uniformly in [max(0, 1 - s), 1 + s] for a strength s."
STEP_HINTS = {
    "brightness": "brightness multiplies every value by the image's factor, then clamps to [0, 1].",
    "contrast": "contrast blends with ONE number per image: the mean over all pixels of the grayscale "
                "0.299 R + 0.587 G + 0.114 B (not a plain channel mean, not one mean per channel).",
    "saturation": "saturation blends each pixel with its own grayscale 0.299 R + 0.587 G + 0.114 B, the same "
                  "for its three channels.",
}


def judge_step(x, out, step, strength, call):
    """Each output image is ``step`` with its own factor in range; returns the factors."""
    out = expect_tensor(out, call, shape=x.shape)
    assert_true(bool(torch.isfinite(out).all()), f"{call} holds NaN or infinite values")
    f, misfit = fit_step(x, out, step)
    low, high = max(0.0, 1.0 - strength), 1.0 + strength
    for k in range(x.shape[0]):
        assert_true(bool(torch.isfinite(f[k])), f"every value of output image {k} of {call} is 0 or 1: no factor "
                    f"in range does that to these images", hint=RANGE_HINT)
        assert_true(float(misfit[k]) < 1e-4, f"output image {k} of {call} is not clamp(f x + (1 - f) base) for "
                    f"any factor f (off by {float(misfit[k]):.3g} at best)", hint=STEP_HINTS[step])
        assert_true(low - 1e-4 <= float(f[k]) <= high + 1e-4, f"output image {k} of {call} has the {step} factor "
                    f"{float(f[k]):.4f}, outside [{low:g}, {high:g}]", hint=RANGE_HINT)
    return f


def coloured_images(seed, n, height, width, low, high):
    """(n, 3, H, W) images of whole numbers / 64 in [low, high] / 64: the same on every processor."""
    return torch.randint(low, high + 1, (n, 3, height, width), generator=torch.Generator().manual_seed(seed)) / 64


def collect_each_step(color_jitter):
    """Each step alone: brightness, contrast, saturation, each image with its own factor; all strengths 0: no change."""
    images = coloured_images(0, 8, 5, 6, 4, 61)
    return {"images": images.clone(),
            "color_jitter(images, brightness=0.5)": color_jitter(images, brightness=0.5, generator=torch.Generator().manual_seed(1)),
            "color_jitter(images, contrast=0.5)": color_jitter(images, contrast=0.5, generator=torch.Generator().manual_seed(2)),
            "color_jitter(images, saturation=0.5)": color_jitter(images, saturation=0.5, generator=torch.Generator().manual_seed(3)),
            "color_jitter(images)": color_jitter(images)}


def judge_each_step(got, ref, context):
    images = ref["images"]
    for step in ("brightness", "contrast", "saturation"):
        call = f"color_jitter(images, {step}=0.5)"
        f = judge_step(images, entry(got, call), step, 0.5, call)
        assert_true(float(f.max() - f.min()) > 1e-3, f"all eight images of {call} got the same {step} factor "
                    f"({float(f[0]):.4f})", hint="draw one factor per image.")
    assert_close(entry(got, "color_jitter(images)"), images, atol=1e-6, rtol=0, name="color_jitter(images)",
                 hint="with every strength 0, no step is applied: the output holds the input's values.")


def three_row_images(seed, n):
    """(n, 3, 3, 4) images: a row of dark colours, a row of pale ones (close to gray), a row of bright colours."""
    g = torch.Generator().manual_seed(seed)
    dark = torch.randint(2, 25, (n, 3, 1, 4), generator=g)
    gray = torch.randint(20, 45, (n, 1, 1, 4), generator=g)
    pale = gray + torch.randint(-2, 3, (n, 3, 1, 4), generator=g)
    bright = torch.randint(40, 63, (n, 3, 1, 4), generator=g)
    return torch.cat([dark, pale, bright], dim=2) / 64


def collect_factor_distributions(color_jitter):
    many = three_row_images(4, 1500)
    return {"many": many.clone(),
            "color_jitter(many, brightness=1.5)": color_jitter(many, brightness=1.5, generator=torch.Generator().manual_seed(5)),
            "color_jitter(many, contrast=0.8)": color_jitter(many, contrast=0.8, generator=torch.Generator().manual_seed(6)),
            "color_jitter(many, saturation=0.3)": color_jitter(many, saturation=0.3, generator=torch.Generator().manual_seed(7)),
            "color_jitter(many as float64, saturation=2.0)": color_jitter(
                many[:300].double(), saturation=2.0, generator=torch.Generator().manual_seed(8))}


def judge_factor_distributions(got, ref, context):
    many = ref["many"]
    for step, strength in (("brightness", 1.5), ("contrast", 0.8), ("saturation", 0.3)):
        call = f"color_jitter(many, {step}={strength})"
        f = judge_step(many, entry(got, call), step, strength, call)
        low, high = max(0.0, 1.0 - strength), 1.0 + strength
        assert_ks(f, "uniform", args=(low, high - low), name=f"the {step} factors of the 1500 images of {call}")
    call = "color_jitter(many as float64, saturation=2.0)"
    out = expect_tensor(entry(got, call), call, shape=(300, 3, 3, 4), dtype=torch.float64)
    f = judge_step(many[:300].double(), out, "saturation", 2.0, call)
    assert_ks(f, "uniform", args=(0.0, 3.0), name=f"the saturation factors of {call}")


def fit_combined(x, out):
    """Without clamping the three steps add up to out = a x + b g + c (g: each pixel's grayscale); per
    image, the factors (brightness, contrast, saturation) that a, b, c give, and the largest misfit."""
    x, out = x.to(torch.float64), out.to(torch.float64)
    g = grayscale(x).expand_as(x)
    mean = step_base(x, "contrast").flatten()  # (N,)
    factors, misfits = [], []
    for k in range(x.shape[0]):
        design = torch.stack([x[k].flatten(), g[k].flatten(), torch.ones(x[k].numel(), dtype=torch.float64)], dim=1)
        coef = torch.linalg.pinv(design) @ out[k].flatten()  # a = fb fc fs, b = fb fc (1 - fs), c = fb (1 - fc) mean
        a, b, c = coef.tolist()
        fb = a + b + c / float(mean[k])
        factors.append([fb, (a + b) / fb, a / (a + b)])
        misfits.append(float((design @ coef - out[k].flatten()).abs().max()))
    return torch.tensor(factors, dtype=torch.float64), misfits


def collect_all_steps(color_jitter):
    """All three steps on the same images (mild strengths: nothing clamps), each image with its own factors."""
    images = coloured_images(9, 8, 4, 5, 22, 42)
    return {"images": images.clone(),
            "color_jitter(images, 0.3, 0.3, 0.3)": color_jitter(images, 0.3, 0.3, 0.3, generator=torch.Generator().manual_seed(10))}


def judge_all_steps(got, ref, context):
    images, call = ref["images"], "color_jitter(images, 0.3, 0.3, 0.3)"
    out = expect_tensor(entry(got, call), call, shape=images.shape)
    factors, misfits = fit_combined(images, out)
    for k in range(images.shape[0]):
        assert_true(misfits[k] < 1e-4, f"output image {k} of {call} is not brightness, contrast and saturation "
                    f"applied to its input with any factors (off by {misfits[k]:.3g} at best)",
                    hint="apply the three steps one after the other, each to the result of the previous one.")
    for j, step in enumerate(("brightness", "contrast", "saturation")):
        f = factors[:, j]
        assert_true(bool((f > 0.7 - 1e-4).all() and (f < 1.3 + 1e-4).all()),
                    f"the {step} factors of {call} should lie in [0.7, 1.3], got {[round(v, 4) for v in f.tolist()]}",
                    hint=RANGE_HINT)
        assert_true(float(f.max() - f.min()) > 1e-3, f"all eight images of {call} got the same {step} factor",
                    hint="draw one factor per image and per step.")


def pipeline(x, factors):
    """The three steps in their fixed order, each clamped, with ``factors`` (K, 3) for one (3, H, W) image
    (a factor of 1 for a step left out): (K, 3, H, W)."""
    x = x.to(torch.float64).unsqueeze(0)
    weights = torch.tensor(GRAYSCALE, dtype=torch.float64).view(1, 3, 1, 1)
    fb, fc, fs = (factors[:, j].view(-1, 1, 1, 1) for j in range(3))
    x = (fb * x).clamp(0, 1)
    mean = (weights * x).sum(dim=1, keepdim=True).mean(dim=(2, 3), keepdim=True)
    x = (fc * x + (1 - fc) * mean).clamp(0, 1)
    gray = (weights * x).sum(dim=1, keepdim=True)
    return (fs * x + (1 - fs) * gray).clamp(0, 1)


def fit_pipeline(x, out, strengths):
    """The factors (3,) of the steps with a strength > 0 for which ``pipeline`` best matches ``out`` for
    one image (a grid search that zooms in, then Gauss-Newton steps), and the largest difference left."""
    low = torch.tensor([max(0.0, 1.0 - s) if s > 0 else 1.0 for s in strengths], dtype=torch.float64)
    high = torch.tensor([1.0 + s if s > 0 else 1.0 for s in strengths], dtype=torch.float64)
    active = [j for j, s in enumerate(strengths) if s > 0]
    out = out.to(torch.float64).flatten()
    points = 17
    for _ in range(4):
        axes = [torch.linspace(float(lo), float(hi), points if hi > lo else 1, dtype=torch.float64)
                for lo, hi in zip(low, high)]
        grid = torch.cartesian_prod(*axes).view(-1, 3)
        errors = (pipeline(x, grid).flatten(1) - out).pow(2).sum(dim=1)
        best = grid[int(errors.argmin())]
        step = (high - low) / (points - 1)
        low, high = best - 2 * step, best + 2 * step
    for _ in range(10):  # Gauss-Newton: the error is smooth where no value changes sides of a clamp
        residual = pipeline(x, best.view(1, 3))[0].flatten() - out
        columns = []
        for j in active:
            h = torch.zeros(3, dtype=torch.float64)
            h[j] = 1e-6
            pair = pipeline(x, torch.stack([best + h, best - h]))
            columns.append((pair[0] - pair[1]).flatten() / 2e-6)
        move = torch.linalg.pinv(torch.stack(columns, dim=1)) @ residual
        best = best.clone()
        best[active] -= move
    return best, float((pipeline(x, best.view(1, 3))[0].flatten() - out).abs().max())


def collect_order(color_jitter):
    images = three_row_images(11, 12)
    return {"images": images.clone(),
            "color_jitter(images, brightness=0.8, contrast=0.5)": color_jitter(
                images, brightness=0.8, contrast=0.5, generator=torch.Generator().manual_seed(12)),
            "color_jitter(images, contrast=0.6, saturation=0.9)": color_jitter(
                images, contrast=0.6, saturation=0.9, generator=torch.Generator().manual_seed(13)),
            "color_jitter(images, 0.6, 0.6, 0.6)": color_jitter(
                images, 0.6, 0.6, 0.6, generator=torch.Generator().manual_seed(14))}


def judge_order(got, ref, context):
    images = ref["images"]
    for strengths, call in [((0.8, 0.5, 0.0), "color_jitter(images, brightness=0.8, contrast=0.5)"),
                            ((0.0, 0.6, 0.9), "color_jitter(images, contrast=0.6, saturation=0.9)"),
                            ((0.6, 0.6, 0.6), "color_jitter(images, 0.6, 0.6, 0.6)")]:
        out = expect_tensor(entry(got, call), call, shape=images.shape)
        for k in range(images.shape[0]):
            factors, misfit = fit_pipeline(images[k], out[k], strengths)
            assert_true(misfit < 1e-4, f"output image {k} of {call} (its bright pixels clamp) is not the steps "
                        f"applied in the order brightness, contrast, saturation, each clamped to [0, 1], with any "
                        f"factors in range (off by {misfit:.3g} at best)",
                        hint="clamp after every step, and compute the contrast's mean grayscale and the saturation's "
                             "grayscale from the image as the previous step left it.")
            for j, (step, s) in enumerate(zip(("brightness", "contrast", "saturation"), strengths)):
                if s > 0:
                    assert_true(max(0.0, 1.0 - s) - 1e-3 <= float(factors[j]) <= 1.0 + s + 1e-3,
                                f"output image {k} of {call} has the {step} factor {float(factors[j]):.4f}, "
                                f"outside [{max(0.0, 1.0 - s):g}, {1.0 + s:g}]", hint=RANGE_HINT)


def collect_errors(color_jitter):
    """Input checks, a new tensor, and an implementation of your own."""
    images = coloured_images(15, 2, 4, 4, 0, 64)
    before = images.clone()
    color_jitter(images, 0.5, 0.5, 0.5, generator=torch.Generator().manual_seed(16))
    out = color_jitter(images)
    out[...] = 0  # the result must be a new tensor
    return {"color_jitter(images, brightness=-0.1)": raises(color_jitter, images, brightness=-0.1),
            "color_jitter(a (2, 1, 4, 4) tensor)": raises(color_jitter, torch.zeros(2, 1, 4, 4)),
            "color_jitter(a (3, 4, 4) tensor)": raises(color_jitter, torch.zeros(3, 4, 4)),
            "images": before,
            "images after color_jitter(images, 0.5, 0.5, 0.5) and writing zeros into color_jitter(images)": images}


def judge_errors(got, ref, context):
    for call in ("color_jitter(images, brightness=-0.1)", "color_jitter(a (2, 1, 4, 4) tensor)",
                 "color_jitter(a (3, 4, 4) tensor)"):
        expect_raised(entry(got, call), "ValueError", call)
    key = "images after color_jitter(images, 0.5, 0.5, 0.5) and writing zeros into color_jitter(images)"
    assert_close(entry(got, key), ref["images"], atol=0, rtol=0, name=key,
                 hint="return a new tensor, and do not modify the input in place.")
    context.no_delegation("color_jitter", [])


def collect_errors_more(color_jitter):
    images = torch.full((2, 3, 4, 4), 0.5)
    return {"color_jitter(images, contrast=-0.5)": raises(color_jitter, images, contrast=-0.5),
            "color_jitter(images, saturation=-1)": raises(color_jitter, images, saturation=-1),
            "color_jitter(a (2, 4, 4, 4) tensor)": raises(color_jitter, torch.zeros(2, 4, 4, 4)),
            "color_jitter(a (1, 2, 3, 4, 4) tensor)": raises(color_jitter, torch.zeros(1, 2, 3, 4, 4))}


def judge_errors_more(got, ref, context):
    for call in ref:
        expect_raised(entry(got, call), "ValueError", call)


CELLS = [
    Cell("test_color_jitter_steps", points=2, checks=[
        Check(collect_each_step, judge_each_step),
        Check(collect_factor_distributions, judge_factor_distributions, hidden=True),
    ]),
    Cell("test_color_jitter_order", points=1, checks=[
        Check(collect_all_steps, judge_all_steps),
        Check(collect_order, judge_order, hidden=True),
    ]),
    Cell("test_color_jitter_errors", points=1, checks=[
        Check(collect_errors, judge_errors),
        Check(collect_errors_more, judge_errors_more, hidden=True),
    ]),
]

# One template, one mistake each.
TEMPLATE = '''\
def color_jitter(images, brightness=0.0, contrast=0.0, saturation=0.0, generator=None):
    if images.dim() != 4 or images.shape[1] != 3: raise ValueError("bad images")
    if min(brightness, contrast, saturation) < 0: raise ValueError("negative strength")
    n = images.shape[0]
    w = torch.tensor([0.299, 0.587, 0.114], dtype=images.dtype).view(1, 3, 1, 1)
    def draw(s):
        lo, hi = max(0.0, 1.0 - s), 1.0 + s
        return (lo + (hi - lo) * torch.rand(n, generator=generator, dtype=images.dtype)).view(n, 1, 1, 1)
    x = images.clone()
    if brightness > 0:
        x = (draw(brightness) * x).clamp(0, 1)
    if contrast > 0:
        f = draw(contrast)
        x = (f * x + (1 - f) * (w * x).sum(1, keepdim=True).mean((2, 3), keepdim=True)).clamp(0, 1)
    if saturation > 0:
        f = draw(saturation)
        x = (f * x + (1 - f) * (w * x).sum(1, keepdim=True)).clamp(0, 1)
    return x
'''
MISTAKES = {
    "one factor for the whole batch": ("torch.rand(n, generator=generator, dtype=images.dtype)).view(n, 1, 1, 1)",
                                       "torch.rand(1, generator=generator, dtype=images.dtype)).view(1, 1, 1, 1)"),
    "contrast: the plain mean of all values, not of the grayscale": (
        "(w * x).sum(1, keepdim=True).mean((2, 3), keepdim=True)", "x.mean((1, 2, 3), keepdim=True)"),
    "contrast: one mean per channel": ("(w * x).sum(1, keepdim=True).mean((2, 3), keepdim=True)",
                                       "x.mean((2, 3), keepdim=True)"),
    "saturation: the plain channel mean as gray": ("(1 - f) * (w * x).sum(1, keepdim=True)).clamp",
                                                   "(1 - f) * x.mean(1, keepdim=True)).clamp"),
    "grayscale weights in BGR order": ("[0.299, 0.587, 0.114]", "[0.114, 0.587, 0.299]"),
    "factor range without max(0, .)": ("lo, hi = max(0.0, 1.0 - s), 1.0 + s", "lo, hi = 1.0 - s, 1.0 + s"),
    "factors from a normal distribution": (
        "(lo + (hi - lo) * torch.rand(n, generator=generator, dtype=images.dtype))",
        "(1.0 + s / 2 * torch.randn(n, generator=generator, dtype=images.dtype)).clamp(min=lo)"),
    "the strength used as the factor": ("lo, hi = max(0.0, 1.0 - s), 1.0 + s", "lo, hi = s, s"),
    "no clamping": (").clamp(0, 1)", ")"),
}
assert all(old in TEMPLATE for old, _ in MISTAKES.values())
WRONG = {label: TEMPLATE.replace(old, new) for label, (old, new) in MISTAKES.items()}
WRONG["clamped once, at the end"] = TEMPLATE.replace(").clamp(0, 1)", ")").replace("    return x\n", "    return x.clamp(0, 1)\n")
WRONG["saturation before contrast"] = TEMPLATE.replace('''    if contrast > 0:
        f = draw(contrast)
        x = (f * x + (1 - f) * (w * x).sum(1, keepdim=True).mean((2, 3), keepdim=True)).clamp(0, 1)
    if saturation > 0:
        f = draw(saturation)
        x = (f * x + (1 - f) * (w * x).sum(1, keepdim=True)).clamp(0, 1)
''', '''    if saturation > 0:
        f = draw(saturation)
        x = (f * x + (1 - f) * (w * x).sum(1, keepdim=True)).clamp(0, 1)
    if contrast > 0:
        f = draw(contrast)
        x = (f * x + (1 - f) * (w * x).sum(1, keepdim=True).mean((2, 3), keepdim=True)).clamp(0, 1)
''')
WRONG["contrast's mean taken before brightness"] = TEMPLATE.replace(
    "    if brightness > 0:\n", "    m0 = (w * x).sum(1, keepdim=True).mean((2, 3), keepdim=True)\n    if brightness > 0:\n").replace(
    "(1 - f) * (w * x).sum(1, keepdim=True).mean((2, 3), keepdim=True)", "(1 - f) * m0")
WRONG["imports the traintech reference"] = "from traintech.reference.augmentation import color_jitter\n"
assert all(w != TEMPLATE for w in WRONG.values())

# Right answers written differently (the blind ones from the released notebook alone): every one
# must keep every point.
RIGHT = {
    "per image loop, uniform_ draws, python-float factors": '''\
def color_jitter(images, brightness=0.0, contrast=0.0, saturation=0.0, generator=None):
    if len(images.shape) != 4:
        raise ValueError("images must be (N, 3, H, W)")
    if images.shape[1] != 3:
        raise ValueError(f"need 3 channels, got {images.shape[1]}")
    for s in (brightness, contrast, saturation):
        if s < 0:
            raise ValueError(f"strengths must be >= 0, got {s}")
    result = []
    for img in images:                      # (3, H, W)
        img = img.clone()
        for s, kind in ((brightness, "b"), (contrast, "c"), (saturation, "s")):
            if s == 0:
                continue
            f = torch.empty(1, dtype=torch.float64).uniform_(max(0.0, 1 - s), 1 + s, generator=generator).item()
            gray = 0.299 * img[0] + 0.587 * img[1] + 0.114 * img[2]  # (H, W)
            if kind == "b":
                img = img * f
            elif kind == "c":
                img = f * img + (1 - f) * gray.mean()
            else:
                img = f * img + (1 - f) * gray
            img = torch.clamp(img, min=0.0, max=1.0)
        result.append(img)
    return torch.stack(result)
''',
}

# Blind answers written from issue 19's release by helpers given only the released notebook: they keep every point.
RIGHT["blind: loop per image (issue 19's release)"] = r'''\
import torch


def color_jitter(images, brightness=0.0, contrast=0.0, saturation=0.0, generator=None):
    if images.ndim != 4:
        raise ValueError("color_jitter expects a 4-D (N, 3, H, W) tensor, got %d dimensions" % images.ndim)
    if images.size(1) != 3:
        raise ValueError("color_jitter expects 3 (RGB) channels, got %d" % images.size(1))
    steps = [("brightness", brightness), ("contrast", contrast), ("saturation", saturation)]
    for name, s in steps:
        if s < 0:
            raise ValueError("%s strength must be >= 0, got %r" % (name, s))
    active = [(name, float(s)) for name, s in steps if s > 0]

    results = []
    for k in range(images.size(0)):
        x = images[k].clone()  # (3, H, W), a copy: images is never touched
        for name, s in active:
            low, high = max(0.0, 1.0 - s), 1.0 + s
            f = low + (high - low) * torch.rand(1, generator=generator, dtype=torch.float64).item()
            r, g_, b = x[0], x[1], x[2]
            gray = 0.299 * r + 0.587 * g_ + 0.114 * b  # (H, W)
            if name == "brightness":
                x = f * x
            elif name == "contrast":
                x = f * x + (1 - f) * gray.mean()
            else:
                x = f * x + (1 - f) * gray.unsqueeze(0)
            x = torch.clamp(x, 0.0, 1.0)
        results.append(x)
    if not results:
        return images.clone()
    return torch.stack(results, dim=0)
'''
RIGHT["blind: vectorized uniform (issue 19's release)"] = r'''\
import torch


def color_jitter(images, brightness=0.0, contrast=0.0, saturation=0.0, generator=None):
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 3:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"color_jitter(): expected images of shape (N, 3, H, W), but got {shape}")
    strengths = {"brightness": brightness, "contrast": contrast, "saturation": saturation}
    for name, s in strengths.items():
        if s < 0:
            raise ValueError(f"color_jitter(): {name} must be non-negative, but got {s}")

    weights = torch.tensor([0.299, 0.587, 0.114], dtype=images.dtype, device=images.device).view(1, 3, 1, 1)

    gray = lambda x: (x * weights).sum(dim=1, keepdim=True)  # (N, 3, H, W) -> (N, 1, H, W)

    bases = {
        "brightness": lambda x: torch.zeros((), dtype=x.dtype, device=x.device),
        "contrast": lambda x: gray(x).mean(dim=(2, 3), keepdim=True),   # (N, 1, 1, 1)
        "saturation": gray,                                             # (N, 1, H, W)
    }

    n = images.shape[0]
    out = images.clone()
    for name in ("brightness", "contrast", "saturation"):
        s = float(strengths[name])
        if s == 0:
            continue
        f = torch.empty(n, dtype=torch.float64).uniform_(max(0.0, 1.0 - s), 1.0 + s, generator=generator)
        f = f.to(dtype=images.dtype, device=images.device).view(n, 1, 1, 1)
        base = bases[name](out)
        out = (f * out + (1 - f) * base).clamp(0, 1)
    return out
'''
