"""random_crop(images, size, padding=0, generator=None): the test cells, wrong answers and right answers."""
import torch
import torch.nn.functional as F

from autograder.checks import Cell, Check
from traintech.checking import entry, expect_raised, expect_tensor, raises
from traintech.testing import assert_true

EXERCISE = "random_crop"
# torchvision's RandomCrop draws one window for the whole batch and is not a dependency of the course.
REFERENCE = "traintech.reference.augmentation.random_crop"


def crop_windows(image, size, padding):
    """All size x size windows of one zero-padded (C, H, W) image, as a list."""
    padded = F.pad(image, (padding,) * 4)
    h, w = padded.shape[1:]
    return [padded[:, i:i + size, j:j + size] for i in range(h - size + 1) for j in range(w - size + 1)]


def collect_windows(random_crop):
    """Every output is a genuine size x size window of the zero-padded image."""
    # distinct whole numbers: every processor draws them alike (randn's last bits differ across CPUs),
    # so the student edition's reference data, computed elsewhere, hold these very images
    images = torch.randperm(5 * 2 * 6 * 6, generator=torch.Generator().manual_seed(0)).reshape(5, 2, 6, 6).float() + 1
    return {"images": images.clone(),
            "random_crop(images, 4, padding=0)": random_crop(images, 4, padding=0, generator=torch.Generator().manual_seed(1)),
            "random_crop(images, 6, padding=2)": random_crop(images, 6, padding=2, generator=torch.Generator().manual_seed(2))}


def judge_windows(got, ref, context):
    images = ref["images"]
    for size, padding in [(4, 0), (6, 2)]:
        call = f"random_crop(images, {size}, padding={padding})"
        out = expect_tensor(entry(got, call), f"{call} of (5, 2, 6, 6) images", shape=(5, 2, size, size))
        for k in range(5):
            assert_true(any(torch.equal(out[k], win) for win in crop_windows(images[k], size, padding)),
                        f"output image {k} of {call} is not a window of the zero-padded input image {k} "
                        f"(the same window for every channel)")


def collect_uniform_windows(random_crop):
    many = torch.arange(1.0, 17.0).view(1, 1, 4, 4).repeat(3000, 1, 1, 1)
    batch = torch.randn(400, 1, 5, 5, generator=torch.Generator().manual_seed(3)).double()
    return {"many": many.clone(), "batch": batch.clone(),
            "random_crop(many, 3, padding=1)": random_crop(many, 3, padding=1, generator=torch.Generator().manual_seed(4)),
            "random_crop(batch, 5, padding=2)": random_crop(batch, 5, padding=2, generator=torch.Generator().manual_seed(5))}


def judge_uniform_windows(got, ref, context):
    many = ref["many"]
    out = expect_tensor(entry(got, "random_crop(many, 3, padding=1)"), "random_crop(many, 3, padding=1)",
                        shape=(3000, 1, 3, 3))
    wins = crop_windows(many[0], 3, 1)
    seen = set()
    for k in range(0, 3000, 10):
        matches = [i for i, win in enumerate(wins) if torch.equal(out[k], win)]
        assert_true(matches, f"output image {k} is not a window of its padded input")
        seen.add(matches[0])
    assert_true(len(seen) == len(wins), f"with padding=1 and size=3 on 4x4 images all {len(wins)} window positions "
                f"should occur, only {len(seen)} did: draw the top and left offsets uniformly and independently")
    out = expect_tensor(entry(got, "random_crop(batch, 5, padding=2)"), "random_crop(batch, 5, padding=2)",
                        shape=(400, 1, 5, 5))
    assert_true(out.dtype == torch.float64, "random_crop should keep the dtype")
    differs = sum(not torch.equal(out[k], out[0]) for k in range(1, 400))
    assert_true(differs > 0, "each image needs its own window")


def collect_errors(random_crop):
    """Input checks, and an implementation of your own."""
    images = torch.zeros(2, 1, 8, 8)
    return {"random_crop(8x8 images, 9)": raises(random_crop, images, 9),
            "random_crop(8x8 images, 6, padding=-1)": raises(random_crop, images, 6, padding=-1),
            "random_crop(a (1, 8, 8) tensor, 4)": raises(random_crop, torch.zeros(1, 8, 8), 4)}


def judge_errors(got, ref, context):
    for call in ref:
        expect_raised(entry(got, call), "ValueError", call)
    context.no_delegation("random_crop", [])


def collect_errors_more(random_crop):
    images = torch.zeros(2, 1, 8, 8)
    return {"random_crop(8x8 images, 13, padding=2)": raises(random_crop, images, 13, padding=2),
            "random_crop(8x8 images, 12, padding=2)": raises(random_crop, images, 12, padding=2)}


def judge_errors_more(got, ref, context):
    expect_raised(entry(got, "random_crop(8x8 images, 13, padding=2)"), "ValueError", "random_crop(8x8 images, 13, padding=2)")
    expect_raised(entry(got, "random_crop(8x8 images, 12, padding=2)"), None, "random_crop(8x8 images, 12, padding=2)",
                  hint="size == H + 2 * padding is the largest valid window.")


CELLS = [
    Cell("test_crop_windows", points=2, checks=[
        Check(collect_windows, judge_windows),
        Check(collect_uniform_windows, judge_uniform_windows, hidden=True),
    ]),
    Cell("test_crop_errors", points=1, checks=[
        Check(collect_errors, judge_errors),
        Check(collect_errors_more, judge_errors_more, hidden=True),
    ]),
]

# One template, one mistake each.
TEMPLATE = '''\
def random_crop(images, size, padding=0, generator=None):
    if images.dim() != 4 or padding < 0: raise ValueError("bad input")
    n, c, h, w = images.shape
    if size > h + 2 * padding or size > w + 2 * padding: raise ValueError(size)
    padded = F.pad(images, (padding,) * 4)
    tops = torch.randint(0, h + 2 * padding - size + 1, (n,), generator=generator)
    lefts = torch.randint(0, w + 2 * padding - size + 1, (n,), generator=generator)
    return torch.stack([padded[i, :, tops[i]:tops[i] + size, lefts[i]:lefts[i] + size] for i in range(n)])
'''
MISTAKES = {
    "one window for the whole batch": ("(n,), generator=generator)", "(1,), generator=generator).repeat(n)"),
    "last position never drawn": ("- size + 1,", "- size,"),
    "padding ignored": ("padded = F.pad(images, (padding,) * 4)", "padded = images; padding = 0"),
    "edge padding instead of zeros": ("F.pad(images, (padding,) * 4)", "F.pad(images, (padding,) * 4, mode='replicate')"),
    "a different window per channel": (
        "return torch.stack([padded[i, :, tops[i]:tops[i] + size, lefts[i]:lefts[i] + size] for i in range(n)])",
        "return torch.stack([torch.stack([padded[i, k, (tops[i] + k) % (h + 2 * padding - size + 1):]"
        "[:size, lefts[i]:lefts[i] + size] for k in range(c)]) for i in range(n)])"),
}
assert all(old in TEMPLATE for old, _ in MISTAKES.values())
WRONG = {label: TEMPLATE.replace(old, new) for label, (old, new) in MISTAKES.items()}
WRONG["imports the traintech reference"] = "from traintech.reference.augmentation import random_crop\n"

# Right answers written differently (the blind ones from the released notebook alone): every one
# must keep every point.
RIGHT = {
    "F.pad, two offsets per draw": '''\
def random_crop(images, size, padding=0, generator=None):
    if images.ndim != 4:
        raise ValueError("images must be (N, C, H, W)")
    if padding < 0:
        raise ValueError(f"padding must be >= 0, got {padding}")
    n, c, h, w = images.shape
    if not 1 <= size <= min(h, w) + 2 * padding:
        raise ValueError(f"size {size} too large")
    padded = F.pad(images, (padding, padding, padding, padding))
    crops = []
    for i in range(n):
        top, left = torch.randint(0, padded.shape[2] - size + 1, (2,), generator=generator).tolist()
        crops.append(padded[i, :, top:top + size, left:left + size])
    return torch.stack(crops)
''',
    "blind: F.pad + per-image slicing loop": '''\
def random_crop(images, size, padding=0, generator=None):
    """Zero-pad each side by `padding`, then take a random size x size window of each image."""
    if images.dim() != 4:
        raise ValueError("images must be a (N, C, H, W) tensor")
    if padding < 0:
        raise ValueError(f"padding must be non-negative, got {padding}")
    n, c, h, w = images.shape
    hp, wp = h + 2 * padding, w + 2 * padding
    if size < 1 or size > hp or size > wp:
        raise ValueError(f"size {size} does not fit in the padded {hp}x{wp} image")
    padded = F.pad(images, (padding, padding, padding, padding)) if padding > 0 else images
    tops = torch.randint(0, hp - size + 1, (n,), generator=generator)
    lefts = torch.randint(0, wp - size + 1, (n,), generator=generator)
    crops = []
    for k in range(n):
        t, l = int(tops[k]), int(lefts[k])
        crops.append(padded[k, :, t:t + size, l:l + size])
    return torch.stack(crops).clone()
''',
    "blind: manual zero canvas + gather index tensors": '''\
def random_crop(images, size, padding=0, generator=None):
    """Zero-pad each side by `padding`, then take a random size x size window of each image."""
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        raise ValueError("expected a 4-D (N, C, H, W) tensor")
    if padding < 0:
        raise ValueError("padding must be >= 0")
    n, c, h, w = images.shape
    H, W = h + 2 * padding, w + 2 * padding
    if size > H or size > W or size <= 0:
        raise ValueError("size must be between 1 and the padded image size")
    canvas = images.new_zeros((n, c, H, W))
    canvas[:, :, padding:padding + h, padding:padding + w] = images
    top = (torch.rand(n, generator=generator) * (H - size + 1)).long().clamp_(max=H - size)
    left = (torch.rand(n, generator=generator) * (W - size + 1)).long().clamp_(max=W - size)
    offs = torch.arange(size)
    rows = (top[:, None] + offs[None, :]).to(images.device)   # (n, size)
    cols = (left[:, None] + offs[None, :]).to(images.device)  # (n, size)
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    chan = torch.arange(c, device=images.device)[None, :, None, None]
    return canvas[batch, chan, rows[:, None, :, None], cols[:, None, None, :]]
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: canvas_gather (issue 16's release)"] = r'''\
def random_crop(images, size, padding=0, generator=None):
    """Zero-pad each side by ``padding``, then take a random size x size window of each image.

    Each image gets its own uniformly random window, the same for all its channels.

    Args:
        images: a (N, C, H, W) tensor.
        size: the side of the square window, at most ``H + 2 * padding`` and ``W + 2 * padding``.
        padding: zeros added on each of the four sides (>= 0). Default: 0
        generator: a torch.Generator for the window positions. Default: None

    Returns:
        A new (N, C, size, size) tensor of ``images``' dtype.

    Raises:
        ValueError: if ``images`` is not 4-D, ``padding`` is negative, or ``size`` is larger than
            the padded height or width (``size == H + 2 * padding`` is allowed).
    """
    if len(images.shape) != 4:
        raise ValueError("images must be a (N, C, H, W) tensor")
    if padding < 0:
        raise ValueError("padding must be >= 0")
    n, c, h, w = images.shape
    ph, pw = h + 2 * padding, w + 2 * padding
    if not 0 < size <= min(ph, pw):
        raise ValueError(f"size must be in [1, {min(ph, pw)}] for these images and padding, got {size}")
    canvas = images.new_zeros((n, c, ph, pw))          # the zero-padded images
    canvas[:, :, padding:padding + h, padding:padding + w] = images
    tops = torch.randint(0, ph - size + 1, (n,), generator=generator).to(images.device)
    lefts = torch.randint(0, pw - size + 1, (n,), generator=generator).to(images.device)
    offsets = torch.arange(size, device=images.device)
    rows = (tops[:, None] + offsets)[:, None, :, None]   # (N, 1, S, 1)
    cols = (lefts[:, None] + offsets)[:, None, None, :]  # (N, 1, 1, S)
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    chans = torch.arange(c, device=images.device)[None, :, None, None]
    return canvas[batch, chans, rows, cols]             # (N, C, S, S), advanced indexing copies
'''
RIGHT["blind: pad_loop (issue 16's release)"] = r'''\
def random_crop(images, size, padding=0, generator=None):
    """Zero-pad each side by ``padding``, then take a random size x size window of each image.

    Each image gets its own uniformly random window, the same for all its channels.

    Args:
        images: a (N, C, H, W) tensor.
        size: the side of the square window, at most ``H + 2 * padding`` and ``W + 2 * padding``.
        padding: zeros added on each of the four sides (>= 0). Default: 0
        generator: a torch.Generator for the window positions. Default: None

    Returns:
        A new (N, C, size, size) tensor of ``images``' dtype.

    Raises:
        ValueError: if ``images`` is not 4-D, ``padding`` is negative, or ``size`` is larger than
            the padded height or width (``size == H + 2 * padding`` is allowed).
    """
    if images.dim() != 4:
        raise ValueError(f"expected a 4-D (N, C, H, W) tensor, got {images.dim()}-D")
    if padding < 0:
        raise ValueError(f"padding must be non-negative, got {padding}")
    n, c, h, w = images.shape
    padded_h, padded_w = h + 2 * padding, w + 2 * padding
    if size < 1 or size > padded_h or size > padded_w:
        raise ValueError(f"crop size {size} does not fit the padded {padded_h}x{padded_w} images")
    padded = F.pad(images, (padding, padding, padding, padding))  # zeros on all four sides
    crops = []
    for k in range(n):
        top = int(torch.randint(0, padded_h - size + 1, (1,), generator=generator))
        left = int(torch.randint(0, padded_w - size + 1, (1,), generator=generator))
        crops.append(padded[k, :, top:top + size, left:left + size])
    if not crops:
        return images.new_zeros((0, c, size, size))
    return torch.stack(crops)
'''
