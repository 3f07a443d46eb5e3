"""random_rotation(images, degrees, generator=None): the test cells, wrong answers and right answers.

The angles are random, so no check compares with the reference's output: each output image is
judged by what a rotation about the centre does to images whose pixels hold their own
coordinates (x and y from the centre: bilinear interpolation reproduces such linear images
exactly), which also gives each image's angle; the angles are then judged by their range and
distribution. Either sign convention of the angle passes: the range is symmetric.
"""
import math

import torch
import torch.nn.functional as F

from autograder.checks import Cell, Check
from traintech.checking import entry, expect_raised, expect_tensor, raises
from traintech.testing import assert_close, assert_ks, assert_true

EXERCISE = "random_rotation"
# torchvision's RandomRotation draws one angle per call and is not a dependency of the course.
REFERENCE = "traintech.reference.augmentation.random_rotation"


def coordinate_images(n, height, width):
    """(n, 3, H, W) images whose channels hold each pixel's x (column) and y (row) from the image's
    centre, in pixels, and ones."""
    ys = (torch.arange(height) - (height - 1) / 2).view(height, 1).expand(height, width)
    xs = (torch.arange(width) - (width - 1) / 2).view(1, width).expand(height, width)
    return torch.stack([xs, ys, torch.ones(height, width)]).expand(n, 3, height, width).clone()


def fit_rotations(out):
    """For (N, >=2, H, W) outputs of coordinate images: the (N, 2, 2) matrices A and (N, 2) offsets t
    that fit channels 0 and 1 as A @ (x, y) + t (least squares) on a disc about the centre, where
    every position a rotation reads lies inside the image whatever the angle, and each image's
    largest misfit there."""
    height, width = out.shape[2:]
    ys = (torch.arange(height, dtype=torch.float64) - (height - 1) / 2).view(height, 1).expand(height, width)
    xs = (torch.arange(width, dtype=torch.float64) - (width - 1) / 2).view(1, width).expand(height, width)
    disc = xs ** 2 + ys ** 2 <= ((min(height, width) - 1) / 2 - 0.5) ** 2  # (H, W)
    design = torch.stack([xs[disc], ys[disc], torch.ones(int(disc.sum()), dtype=torch.float64)], dim=1)  # (P, 3)
    values = out[:, :2].to(torch.float64)[:, :, disc].transpose(1, 2)  # (N, P, 2)
    coef = torch.linalg.pinv(design) @ values  # (N, 3, 2)
    misfit = (design @ coef - values).abs().flatten(1).amax(dim=1)  # (N,)
    return coef[:, :2, :].transpose(1, 2), coef[:, 2, :], misfit


def judge_rotated(images, out, degrees, call):
    """Each output image is its input image rotated about the centre by an angle in
    [-degrees, degrees], with zeros outside; returns the angles (degrees)."""
    n, _, height, width = images.shape
    out = expect_tensor(out, call, shape=images.shape).to(torch.float64)
    assert_true(bool(torch.isfinite(out).all()), f"{call} holds NaN or infinite values")
    matrices, offsets, misfits = fit_rotations(out)
    ys = (torch.arange(height, dtype=torch.float64) - (height - 1) / 2).view(height, 1).expand(height, width)
    xs = (torch.arange(width, dtype=torch.float64) - (width - 1) / 2).view(1, width).expand(height, width)
    angles = []
    for k in range(n):
        a, t = matrices[k], offsets[k]
        what = f"output image {k} of {call}"
        assert_true(float(misfits[k]) < 1e-3,
                    f"{what} does not hold, near the centre, the input's values at rotated positions: the input's "
                    f"pixels hold their own coordinates, which bilinear interpolation reproduces exactly, but the "
                    f"output is off by up to {float(misfits[k]):.3g} there",
                    hint="interpolate bilinearly between the four neighbours of the rotated position (rounding to "
                         "the nearest pixel is not bilinear), with the same angle for every channel.")
        assert_true(bool((a.T @ a - torch.eye(2, dtype=torch.float64)).abs().max() < 1e-3) and float(torch.det(a)) > 0,
                    f"{what} is not a rotation of its input: near the centre, the pixel that should hold the input's "
                    f"value at a rotated position holds it at {a.tolist()} times the position (a rotation matrix "
                    f"is [[cos, -sin], [sin, cos]])",
                    hint="rotate positions measured in pixels; F.affine_grid's coordinates are divided by W/2 (x) "
                         "and H/2 (y), so for a non-square image the matrix there is not a plain rotation.")
        assert_true(bool(t.abs().max() < 1e-3),
                    f"{what} is rotated about another point than the image's centre (row (H-1)/2, column (W-1)/2): "
                    f"the centre moved by {[round(v, 3) for v in t.tolist()]} pixels")
        src_x = a[0, 0] * xs + a[0, 1] * ys + t[0]  # (H, W): where each output pixel reads the input
        src_y = a[1, 0] * xs + a[1, 1] * ys + t[1]
        inside = (src_x.abs() <= (width - 1) / 2 - 0.01) & (src_y.abs() <= (height - 1) / 2 - 0.01)
        outside = (src_x.abs() >= (width + 1) / 2 + 0.01) | (src_y.abs() >= (height + 1) / 2 + 0.01)
        expected = torch.stack([src_x, src_y, torch.ones_like(src_x)])  # (3, H, W)
        assert_close(out[k][:, inside], expected[:, inside], atol=1e-4, rtol=0, check_dtype=False,
                     name=f"{what}, where the rotated position is inside the image",
                     hint="read the input at the rotated position with bilinear interpolation between its four "
                          "neighbours (nearest-pixel rounding is not bilinear), the same angle for every channel.")
        assert_close(out[k][:, outside], torch.zeros_like(out[k][:, outside]), atol=1e-4, rtol=0, check_dtype=False,
                     name=f"{what}, where the rotated position is more than one pixel outside the image",
                     hint="outside the image the input counts as 0 (padding_mode='zeros'), not as its border pixels.")
        angle = math.degrees(math.atan2(float(a[1, 0]), float(a[0, 0])))
        assert_true(abs(angle) <= degrees + 0.01,
                    f"{what} is rotated by {abs(angle):.2f} degrees, more than degrees={degrees}",
                    hint="draw the angle uniformly in [-degrees, degrees], in degrees (math.radians converts).")
        angles.append(angle)
    return angles


def collect_rotated(random_rotation):
    """Each image is rotated about its centre by its own angle in [-degrees, degrees], bilinearly, zeros outside."""
    # whole and half-whole numbers: every processor holds these very images (the student edition's reference
    # data are computed elsewhere); the checks judge your output by tolerances, never bit for bit
    images = coordinate_images(6, 9, 12)  # not square
    square = coordinate_images(5, 8, 8)
    return {"images": images.clone(), "square": square.clone(),
            "random_rotation(images, 30)": random_rotation(images, 30, generator=torch.Generator().manual_seed(0)),
            "random_rotation(square, 180)": random_rotation(square, 180, generator=torch.Generator().manual_seed(1)),
            "random_rotation(images, 0)": random_rotation(images, 0, generator=torch.Generator().manual_seed(2))}


def judge_rotated_images(got, ref, context):
    angles = judge_rotated(ref["images"], entry(got, "random_rotation(images, 30)"), 30, "random_rotation(images, 30)")
    assert_true(max(angles) - min(angles) > 0.01, f"all six images were rotated by the same angle ({angles[0]:.2f} "
                "degrees): each image needs its own angle", hint="draw N angles, one per image.")
    judge_rotated(ref["square"], entry(got, "random_rotation(square, 180)"), 180, "random_rotation(square, 180)")
    out = expect_tensor(entry(got, "random_rotation(images, 0)"), "random_rotation(images, 0)", shape=ref["images"].shape)
    assert_close(out, ref["images"], atol=1e-4, rtol=0, name="random_rotation(images, 0)",
                 hint="degrees=0 means no rotation: the output should hold the input's values.")


def rotate(images, angles):
    """``images`` rotated by ``angles`` (degrees, one per image), bilinear, zeros outside (the grader's
    own rotation, to compare an image's content with once its angle is known)."""
    n, c, height, width = images.shape
    rad = torch.tensor(angles, dtype=torch.float64) * math.pi / 180
    theta = torch.zeros(n, 2, 3, dtype=torch.float64)
    theta[:, 0, 0], theta[:, 0, 1] = rad.cos(), -rad.sin() * height / width
    theta[:, 1, 0], theta[:, 1, 1] = rad.sin() * width / height, rad.cos()
    grid = F.affine_grid(theta, [n, c, height, width], align_corners=False)
    return F.grid_sample(images.to(torch.float64), grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def collect_uniform_angles(random_rotation):
    many = coordinate_images(1500, 7, 7)
    return {"many": many.clone(),
            "random_rotation(many, 40)": random_rotation(many, 40, generator=torch.Generator().manual_seed(3)),
            "random_rotation(many, 12.5)": random_rotation(many[:600], 12.5, generator=torch.Generator().manual_seed(4))}


def judge_uniform_angles(got, ref, context):
    for degrees, n in [(40, 1500), (12.5, 600)]:
        call = f"random_rotation(many, {degrees})"
        out = expect_tensor(entry(got, call), call, shape=(n, 3, 7, 7)).to(torch.float64)
        matrices, _, _ = fit_rotations(out)
        angles = torch.atan2(matrices[:, 1, 0], matrices[:, 0, 0]) * 180 / math.pi
        assert_ks(angles, "uniform", args=(-degrees, 2 * degrees),
                  name=f"the angles of the {n} images of {call} (each fitted from its output)")
        judge_rotated(ref["many"][:5], out[:5], degrees, call)


def collect_content(random_rotation):
    g = torch.Generator().manual_seed(5)
    coords = coordinate_images(4, 10, 7)
    content = torch.randn(4, 2, 10, 7, generator=g, dtype=torch.float64)
    images = torch.cat([coords.double(), content], dim=1)  # (4, 5, 10, 7), float64
    return {"images": images.clone(),
            "random_rotation(images, 90)": random_rotation(images, 90, generator=torch.Generator().manual_seed(6)),
            "images after random_rotation": images}


def judge_content(got, ref, context):
    images = ref["images"]
    out = expect_tensor(entry(got, "random_rotation(images, 90)"), "random_rotation(images, 90)",
                        shape=images.shape, dtype=torch.float64)
    angles = judge_rotated(images[:, :3], out[:, :3], 90, "random_rotation(images, 90)")
    want = rotate(images, angles)
    height, width = images.shape[2:]
    ys = (torch.arange(height, dtype=torch.float64) - (height - 1) / 2).view(height, 1).expand(height, width)
    xs = (torch.arange(width, dtype=torch.float64) - (width - 1) / 2).view(1, width).expand(height, width)
    for k, angle in enumerate(angles):
        c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        src_x, src_y = c * xs - s * ys, s * xs + c * ys
        inside = (src_x.abs() <= (width - 1) / 2 - 0.01) & (src_y.abs() <= (height - 1) / 2 - 0.01)
        outside = (src_x.abs() >= (width + 1) / 2 + 0.01) | (src_y.abs() >= (height + 1) / 2 + 0.01)
        settled = inside | outside  # not within one pixel of the border, where conventions differ
        assert_close(out[k][:, settled], want[k][:, settled], atol=1e-4, rtol=0,
                     name=f"output image {k} (random content, rotated by {angle:.2f} degrees)",
                     hint="bilinear interpolation: weight the four neighbours of the rotated position by "
                          "(1 - dx)(1 - dy), dx(1 - dy), (1 - dx)dy and dx dy.")
    assert_close(entry(got, "images after random_rotation"), images, atol=0, rtol=0,
                 name="images after random_rotation", hint="do not modify the input in place.")


def collect_errors(random_rotation):
    """Input checks, a new tensor, and an implementation of your own."""
    images = coordinate_images(2, 4, 4)
    out = random_rotation(images, 0)
    out[...] = 0  # the result must be a new tensor
    return {"random_rotation(a (3, 4, 4) tensor, 10)": raises(random_rotation, torch.zeros(3, 4, 4), 10),
            "random_rotation(images, -10)": raises(random_rotation, images, -10),
            "images after writing zeros into random_rotation(images, 0)": images,
            "images": coordinate_images(2, 4, 4)}


def judge_errors(got, ref, context):
    expect_raised(entry(got, "random_rotation(a (3, 4, 4) tensor, 10)"), "ValueError", "random_rotation(a (3, 4, 4) tensor, 10)")
    expect_raised(entry(got, "random_rotation(images, -10)"), "ValueError", "random_rotation(images, -10)")
    assert_close(entry(got, "images after writing zeros into random_rotation(images, 0)"), ref["images"], atol=0, rtol=0,
                 name="images after writing zeros into random_rotation(images, 0)",
                 hint="return a new tensor: changing the output changed the input.")
    context.no_delegation("random_rotation", [])


def collect_errors_more(random_rotation):
    images = torch.zeros(2, 1, 4, 4)
    return {"random_rotation(a (1, 2, 1, 4, 4) tensor, 10)": raises(random_rotation, torch.zeros(1, 2, 1, 4, 4), 10),
            "random_rotation(images, -0.5)": raises(random_rotation, images, -0.5),
            "random_rotation(a (4, 4) tensor, 10)": raises(random_rotation, torch.zeros(4, 4), 10),
            "random_rotation(images, 0.0)": raises(random_rotation, images, 0.0)}


def judge_errors_more(got, ref, context):
    for call in ["random_rotation(a (1, 2, 1, 4, 4) tensor, 10)", "random_rotation(images, -0.5)",
                 "random_rotation(a (4, 4) tensor, 10)"]:
        expect_raised(entry(got, call), "ValueError", call)
    expect_raised(entry(got, "random_rotation(images, 0.0)"), None, "random_rotation(images, 0.0)",
                  hint="degrees=0 is allowed: no rotation.")


CELLS = [
    Cell("test_rotation_rotates", points=2, checks=[
        Check(collect_rotated, judge_rotated_images),
        Check(collect_uniform_angles, judge_uniform_angles, hidden=True),
        Check(collect_content, judge_content, hidden=True),
    ]),
    Cell("test_rotation_errors", points=1, checks=[
        Check(collect_errors, judge_errors),
        Check(collect_errors_more, judge_errors_more, hidden=True),
    ]),
]

# One template, one mistake each.
TEMPLATE = '''\
def random_rotation(images, degrees, generator=None):
    if images.dim() != 4 or degrees < 0: raise ValueError("bad input")
    n, c, h, w = images.shape
    angles = (torch.rand(n, generator=generator) * 2 - 1) * degrees * math.pi / 180
    cos, sin = angles.cos(), angles.sin()
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1], theta[:, 1, 0], theta[:, 1, 1] = cos, -sin * h / w, sin * w / h, cos
    grid = F.affine_grid(theta.to(images.dtype), [n, c, h, w], align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
'''
MISTAKES = {
    "no aspect ratio: a plain rotation in normalized coordinates": ("-sin * h / w, sin * w / h", "-sin, sin"),
    "one angle for the whole batch": ("torch.rand(n, generator=generator)", "torch.rand(1, generator=generator).repeat(n)"),
    "angles in [0, degrees] only": ("(torch.rand(n, generator=generator) * 2 - 1)", "torch.rand(n, generator=generator)"),
    "degrees used as radians": (" * math.pi / 180", ""),
    "nearest-pixel interpolation": ('mode="bilinear"', 'mode="nearest"'),
    "border pixels repeated outside": ('padding_mode="zeros"', 'padding_mode="border"'),
    "affine_grid with align_corners=True, grid_sample with False (a slight zoom)": (
        "[n, c, h, w], align_corners=False)", "[n, c, h, w], align_corners=True)"),
}
assert all(old in TEMPLATE for old, _ in MISTAKES.values())
WRONG = {label: TEMPLATE.replace(old, new) for label, (old, new) in MISTAKES.items()}
WRONG["about the top-left corner"] = TEMPLATE.replace(
    "    grid = F.affine_grid(",
    "    theta[:, 0, 2], theta[:, 1, 2] = theta[:, 0, 0] + theta[:, 0, 1] - 1, theta[:, 1, 0] + theta[:, 1, 1] - 1\n"
    "    grid = F.affine_grid(")
WRONG["imports the traintech reference"] = "from traintech.reference.augmentation import random_rotation\n"

# Right answers written differently (the blind ones from the released notebook alone): every one
# must keep every point.
RIGHT = {
    "by hand: bilinear gather, the other sign, align_corners=True pixel grid": '''\
def random_rotation(images, degrees, generator=None):
    if images.ndim != 4:
        raise ValueError("images must be (N, C, H, W)")
    if degrees < 0:
        raise ValueError(f"degrees must be >= 0, got {degrees}")
    n, c, h, w = images.shape
    out = torch.zeros_like(images)
    rows = torch.arange(h, dtype=torch.float64).view(h, 1).expand(h, w)
    cols = torch.arange(w, dtype=torch.float64).view(1, w).expand(h, w)
    x, y = cols - (w - 1) / 2, rows - (h - 1) / 2
    for k in range(n):
        a = math.radians(float(torch.empty(1, dtype=torch.float64).uniform_(-degrees, degrees, generator=generator)))
        sx = math.cos(a) * x + math.sin(a) * y + (w - 1) / 2   # clockwise for positive a
        sy = -math.sin(a) * x + math.cos(a) * y + (h - 1) / 2
        x0, y0 = sx.floor(), sy.floor()
        for dx in (0, 1):
            for dy in (0, 1):
                xi, yi = x0 + dx, y0 + dy
                weight = (1 - (sx - xi).abs()) * (1 - (sy - yi).abs())
                ok = (xi >= 0) & (xi <= w - 1) & (yi >= 0) & (yi <= h - 1)
                xi_c, yi_c = xi.clamp(0, w - 1).long(), yi.clamp(0, h - 1).long()
                value = images[k][:, yi_c, xi_c]               # (C, H, W)
                out[k] += (value * (weight * ok).to(images.dtype))
    return out
''',
    "affine_grid with align_corners=True and its own scaling": '''\
def random_rotation(images, degrees, generator=None):
    if len(images.shape) != 4:
        raise ValueError("need a 4-D batch")
    if not degrees >= 0:
        raise ValueError("degrees must be non-negative")
    n, c, h, w = images.shape
    out = []
    for k in range(n):
        t = (torch.rand(1, generator=generator).item() - 0.5) * 2 * degrees / 180 * math.pi
        # align_corners=True: -1 and +1 are the centres of the border pixels, x is divided by (W-1)/2
        sw, sh = max(w - 1, 1) / 2, max(h - 1, 1) / 2
        theta = torch.tensor([[math.cos(t), -math.sin(t) * sh / sw, 0.0],
                              [math.sin(t) * sw / sh, math.cos(t), 0.0]], dtype=images.dtype)
        grid = F.affine_grid(theta[None], [1, c, h, w], align_corners=True)
        out.append(F.grid_sample(images[k:k + 1], grid, mode="bilinear", padding_mode="zeros", align_corners=True))
    return torch.cat(out)
''',
}

# Blind answers written from issue 19's release by helpers given only the released notebook: they keep every point.
RIGHT["blind: affine grid matrix (issue 19's release)"] = r'''\
def random_rotation(images, degrees, generator=None):
    if images.dim() != 4:
        raise ValueError(f"Expected 4D input (N, C, H, W), but got input of size: {list(images.shape)}")
    if degrees < 0:
        raise ValueError(f"degrees should be non-negative, but got degrees={degrees}")
    n, _, height, width = images.shape
    if degrees == 0 or images.numel() == 0:  # affine_grid rejects an empty size
        return images.clone()
    # one angle per image, drawn with an in-place uniform_ on a CPU tensor (the generator's device)
    theta = torch.empty(n, dtype=torch.float64).uniform_(-math.radians(degrees), math.radians(degrees),
                                                         generator=generator)
    cos, sin = torch.cos(theta), torch.sin(theta)
    # The pixel rotation [[c, -s], [s, c]] written in affine_grid's normalized coordinates
    # u = x / (W / 2), v = y / (H / 2): u' = c u - s (H / W) v, v' = s (W / H) u + c v.
    matrix = torch.zeros(n, 2, 3, dtype=torch.float64)
    matrix[:, 0, 0] = cos
    matrix[:, 0, 1] = -sin * (height / width)
    matrix[:, 1, 0] = sin * (width / height)
    matrix[:, 1, 1] = cos
    work_dtype = images.dtype if images.dtype in (torch.float32, torch.float64) else torch.float32
    source = images.to(work_dtype)
    grid = F.affine_grid(matrix.to(device=images.device, dtype=work_dtype), list(images.shape), align_corners=False)
    out = F.grid_sample(source, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return out.to(images.dtype)
'''
RIGHT["blind: handwritten bilinear loop (issue 19's release)"] = r'''\
def random_rotation(images, degrees, generator=None):
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        raise ValueError("random_rotation expects a 4-D (N, C, H, W) tensor of images")
    if not degrees >= 0:
        raise ValueError("random_rotation expects degrees >= 0")
    n, channels, height, width = images.shape
    # angles in degrees: rand in [0, 1) mapped onto [-degrees, degrees)
    angles = (torch.rand(n, generator=generator, dtype=torch.float64) * 2 - 1) * degrees
    # pixel coordinates about the centre, y pointing down
    ys = (torch.arange(height, dtype=torch.float64) - (height - 1) / 2).view(height, 1).expand(height, width)
    xs = (torch.arange(width, dtype=torch.float64) - (width - 1) / 2).view(1, width).expand(height, width)
    padded = F.pad(images, (1, 1, 1, 1))  # one ring of zeros: reads just outside the border blend with 0
    out = torch.zeros_like(images)
    for k in range(n):
        if degrees == 0:
            out[k] = images[k]
            continue
        c, s = math.cos(math.radians(float(angles[k]))), math.sin(math.radians(float(angles[k])))
        # the rotated source position, as (fractional) column and row indices of the input
        col = c * xs - s * ys + (width - 1) / 2
        row = s * xs + c * ys + (height - 1) / 2
        col0, row0 = torch.floor(col), torch.floor(row)
        fx, fy = col - col0, row - row0  # weights of the right / lower neighbours
        acc = torch.zeros(channels, height, width, dtype=torch.float64, device=images.device)
        for dr, wr in ((0, 1 - fy), (1, fy)):
            for dc, wc in ((0, 1 - fx), (1, fx)):
                r = (row0 + dr).long()
                q = (col0 + dc).long()
                valid = (r >= 0) & (r < height) & (q >= 0) & (q < width)
                # index the padded image (shifted by one); out-of-range neighbours contribute 0
                rp = (r + 1).clamp(0, height + 1)
                qp = (q + 1).clamp(0, width + 1)
                vals = padded[k][:, rp, qp].to(torch.float64)  # (C, H, W)
                weight = (wr * wc * valid).to(device=images.device)
                acc = acc + vals * weight
        out[k] = acc.to(images.dtype)
    return out
'''
