"""random_horizontal_flip(images, p=0.5, generator=None): the test cells, wrong answers and right answers."""
import torch

from autograder.checks import Cell, Check
from traintech.checking import agree, entry, expect_raised, expect_tensor, raises
from traintech.testing import assert_proportion, assert_true

EXERCISE = "random_horizontal_flip"
# torchvision's RandomHorizontalFlip flips a whole batch with one draw and is not a dependency of the course.
REFERENCE = "traintech.reference.augmentation.random_horizontal_flip"


def collect_flip(random_horizontal_flip):
    """p = 1 mirrors every image, p = 0 none, and the result is a new tensor."""
    images = torch.randn(6, 3, 4, 5, generator=torch.Generator().manual_seed(0))
    # .clone(): the values as they are now (the data is read when collect returns)
    data = {"random_horizontal_flip(images, p=1.0)": random_horizontal_flip(images, p=1.0).clone(),
            "random_horizontal_flip(images, p=0.0)": random_horizontal_flip(images, p=0.0).clone()}
    out = random_horizontal_flip(images, p=0.5, generator=torch.Generator().manual_seed(1))
    out[...] = 0  # the result must be a new tensor
    data["images after writing zeros into random_horizontal_flip(images, p=0.5)"] = images
    return data


def judge_flip(got, ref, context):
    agree(got, ref, "random_horizontal_flip(images, p=1.0)", hint="left-right means along the last dimension (W).")
    agree(got, ref, "random_horizontal_flip(images, p=0.0)")
    agree(got, ref, "images after writing zeros into random_horizontal_flip(images, p=0.5)",
          hint="return a new tensor: changing the output changed the input.")


def collect_flip_per_image(random_horizontal_flip):
    many = torch.randn(4000, 2, 3, 3, generator=torch.Generator().manual_seed(2))
    return {"many": many.clone(),
            "random_horizontal_flip(many, p=0.3)": random_horizontal_flip(many, p=0.3,
                                                                          generator=torch.Generator().manual_seed(3))}


def judge_flip_per_image(got, ref, context):
    many = ref["many"]
    out = expect_tensor(entry(got, "random_horizontal_flip(many, p=0.3)"), "random_horizontal_flip(many, p=0.3)",
                        shape=many.shape)
    unchanged = (out == many).flatten(1).all(dim=1)
    mirrored = (out == many.flip(dims=[3])).flatten(1).all(dim=1)
    assert_true((unchanged | mirrored).all(), "every output image should be either the input image or its mirror image")
    assert_proportion(mirrored.sum(), many.shape[0], 0.3, name="the fraction of mirrored images (p=0.3)",
                      hint="draw one random number per image and flip when it is below p.")


def collect_errors(random_horizontal_flip):
    """Input checks, and an implementation of your own."""
    return {"random_horizontal_flip(a (3, 4, 5) tensor)": raises(random_horizontal_flip, torch.zeros(3, 4, 5)),
            "random_horizontal_flip(images, p=1.2)": raises(random_horizontal_flip, torch.zeros(2, 1, 4, 4), p=1.2)}


def judge_errors(got, ref, context):
    for call in ref:
        expect_raised(entry(got, call), "ValueError", call)
    context.no_delegation("random_horizontal_flip", [])


def collect_errors_more(random_horizontal_flip):
    return {"random_horizontal_flip(images, p=-0.2)": raises(random_horizontal_flip, torch.zeros(2, 1, 4, 4), p=-0.2),
            "random_horizontal_flip(a (1, 2, 1, 4, 4) tensor)": raises(random_horizontal_flip, torch.zeros(1, 2, 1, 4, 4))}


def judge_errors_more(got, ref, context):
    for call in ref:
        expect_raised(entry(got, call), "ValueError", call)


CELLS = [
    Cell("test_flip_per_image", points=2, checks=[
        Check(collect_flip, judge_flip),
        Check(collect_flip_per_image, judge_flip_per_image, hidden=True),
    ]),
    Cell("test_flip_errors", points=1, checks=[
        Check(collect_errors, judge_errors),
        Check(collect_errors_more, judge_errors_more, hidden=True),
    ]),
]

HEAD = ("def random_horizontal_flip(images, p=0.5, generator=None):\n"
        '    if images.dim() != 4 or not 0 <= p <= 1: raise ValueError("bad input")\n')

WRONG = {
    "flips vertically": HEAD + """\
    flip = torch.rand(images.shape[0], generator=generator) < p
    return torch.where(flip.view(-1, 1, 1, 1), images.flip(dims=[2]), images)
""",
    "one draw for the whole batch": HEAD + """\
    if torch.rand(1, generator=generator).item() < p:
        return images.flip(dims=[3])
    return images.clone()
""",
    "modifies the input": HEAD + """\
    flip = torch.rand(images.shape[0], generator=generator) < p
    images[flip] = images[flip].flip(dims=[3])
    return images
""",
    "flips with probability 1 - p": HEAD + """\
    flip = torch.rand(images.shape[0], generator=generator) >= p
    return torch.where(flip.view(-1, 1, 1, 1), images.flip(dims=[3]), images)
""",
    "imports the traintech reference": "from traintech.reference.augmentation import random_horizontal_flip\n",
}

# Right answers written differently (the blind ones from the released notebook alone): every one
# must keep every point.
RIGHT = {
    "per-image loop over reversed columns": '''\
def random_horizontal_flip(images, p=0.5, generator=None):
    if images.ndim != 4:
        raise ValueError(f"expected (N, C, H, W), got {tuple(images.shape)}")
    if not (0 <= p <= 1):
        raise ValueError(f"p must be in [0, 1], got {p}")
    out = images.clone()
    columns = torch.arange(images.shape[3] - 1, -1, -1)
    for i in range(images.shape[0]):
        if torch.rand(1, generator=generator).item() < p:
            out[i] = images[i][:, :, columns]
    return out
''',
    "blind: rand < p + torch.where over flip": '''\
def random_horizontal_flip(images, p=0.5, generator=None):
    """Mirror each image of a (N, C, H, W) batch left-right, independently, with probability p."""
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        raise ValueError("images must be a 4-D (N, C, H, W) tensor")
    if p < 0 or p > 1:
        raise ValueError(f"p must be in [0, 1], got {p}")
    n = images.shape[0]
    flip = torch.rand(n, generator=generator) < p
    mirrored = torch.flip(images, dims=[3])
    return torch.where(flip.to(images.device).view(n, 1, 1, 1), mirrored, images)
''',
    "blind: bernoulli draws + per-image loop with index": '''\
def random_horizontal_flip(images, p=0.5, generator=None):
    """Mirror each image of a (N, C, H, W) batch left-right, independently, with probability p."""
    if images.ndim != 4:
        raise ValueError(f"expected a (N, C, H, W) tensor, got shape {tuple(images.shape)}")
    if not 0.0 <= p <= 1.0:
        raise ValueError("p must lie in [0, 1]")
    n, _, _, w = images.shape
    draws = torch.bernoulli(torch.full((n,), float(p)), generator=generator)
    reverse = torch.arange(w - 1, -1, -1, device=images.device)
    out = images.clone()
    for i in range(n):
        if draws[i] == 1:
            out[i] = images[i][..., reverse]
    return out
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: bernoulli_loop_index (issue 16's release)"] = r'''\
def random_horizontal_flip(images, p=0.5, generator=None):
    """Mirror each image of a (N, C, H, W) batch left-right, independently, with probability p.

    Args:
        images: a (N, C, H, W) tensor.
        p: probability of flipping each image, in [0, 1]. Default: 0.5
        generator: a torch.Generator for the per-image draws (one draw per image). Default: None

    Returns:
        A new (N, C, H, W) tensor (writing into it leaves ``images`` unchanged): each image
        is either unchanged or mirrored along W, the last dimension.

    Raises:
        ValueError: if ``images`` is not 4-D, or ``p`` is not in [0, 1].
    """
    if len(images.shape) != 4:
        raise ValueError("images must have shape (N, C, H, W)")
    if p < 0 or p > 1 or math.isnan(p):
        raise ValueError(f"flip probability should be in [0, 1], got {p}")
    n, width = images.shape[0], images.shape[-1]
    coins = torch.bernoulli(torch.full((n,), float(p)), generator=generator)  # 1 = flip this image
    reversed_cols = torch.arange(width - 1, -1, -1, device=images.device)   # W-1, ..., 0
    out = images.clone()
    for i in range(n):
        if coins[i].item() == 1.0:
            out[i] = images[i][..., reversed_cols]  # y[c, h, w] = x[c, h, W - 1 - w]
    return out
'''
RIGHT["blind: where_flip (issue 16's release)"] = r'''\
def random_horizontal_flip(images, p=0.5, generator=None):
    """Mirror each image of a (N, C, H, W) batch left-right, independently, with probability p.

    Args:
        images: a (N, C, H, W) tensor.
        p: probability of flipping each image, in [0, 1]. Default: 0.5
        generator: a torch.Generator for the per-image draws (one draw per image). Default: None

    Returns:
        A new (N, C, H, W) tensor (writing into it leaves ``images`` unchanged): each image
        is either unchanged or mirrored along W, the last dimension.

    Raises:
        ValueError: if ``images`` is not 4-D, or ``p`` is not in [0, 1].
    """
    if images.dim() != 4:
        raise ValueError(f"expected a 4-D (N, C, H, W) tensor, got shape {tuple(images.shape)}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    n = images.shape[0]
    flip = torch.rand(n, generator=generator) < p  # one draw per image
    flip = flip.to(images.device).view(n, 1, 1, 1)
    return torch.where(flip, torch.flip(images, dims=[3]), images)
'''
