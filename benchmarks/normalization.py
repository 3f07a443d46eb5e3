"""Forward + backward time of each traintech.reference.normalization reference against PyTorch's
native op, on the CPU, for typical shapes, as a ratio measured in the same run.

    python benchmarks/normalization.py [--threads N] [--min-run-time SECONDS]

The references are written from tensor primitives for readability (they are the model
solutions); the target is to stay within 3x of the fused native kernels.
"""
from __future__ import annotations

import argparse
import sys

import torch
import torch.nn.functional as F
from torch.utils import benchmark

from traintech.reference import normalization as tn

SHAPES = [(256, 512), (32, 64, 16, 16)]


def cases(shape):
    """(name, reference fn, native fn, inputs) for one input shape; fns take the inputs."""
    c = shape[1]
    x = torch.randn(*shape, requires_grad=True)
    weight = torch.randn(c, requires_grad=True)
    bias = torch.randn(c, requires_grad=True)
    stats = lambda: (torch.zeros(c), torch.ones(c))  # noqa: E731 - fresh running stats per call
    yield ("batch_norm (train)",
           lambda: tn.batch_norm(x, *stats(), weight, bias, training=True),
           lambda: F.batch_norm(x, *stats(), weight, bias, training=True))
    normalized = tuple(shape[1:])
    ln_w = torch.randn(normalized, requires_grad=True)
    ln_b = torch.randn(normalized, requires_grad=True)
    yield ("layer_norm",
           lambda: tn.layer_norm(x, normalized, ln_w, ln_b),
           lambda: F.layer_norm(x, normalized, ln_w, ln_b))
    if len(shape) > 2:
        yield ("instance_norm",
               lambda: tn.instance_norm(x, weight, bias),
               lambda: F.instance_norm(x, weight=weight, bias=bias))
    groups = 8 if c % 8 == 0 else 1
    yield (f"group_norm (G={groups})",
           lambda: tn.group_norm(x, groups, weight, bias),
           lambda: F.group_norm(x, groups, weight, bias))
    if len(shape) == 2:
        ours = tn.WeightNormLinear(c, c)
        native = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(c, c))
        yield ("WeightNormLinear", lambda: ours(x), lambda: native(x))


def forward_backward(fn):
    out = fn()
    out.sum().backward()


def measure(fn, min_run_time: float) -> float:
    timer = benchmark.Timer(stmt="forward_backward(fn)", globals={"forward_backward": forward_backward, "fn": fn})
    return timer.blocked_autorange(min_run_time=min_run_time).median


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch threads")
    parser.add_argument("--min-run-time", type=float, default=0.5, help="seconds per measurement (default 0.5)")
    args = parser.parse_args()
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    rows = []
    for shape in SHAPES:
        for name, ours, native in cases(shape):
            t_ours, t_native = measure(ours, args.min_run_time), measure(native, args.min_run_time)
            rows.append((name, str(tuple(shape)), t_ours * 1e3, t_native * 1e3, t_ours / t_native))
            print(f"  {rows[-1][0]} {rows[-1][1]}: {rows[-1][4]:.2f}x", file=sys.stderr, flush=True)

    print(f"\nforward + backward, median ms, {args.threads} thread(s), torch {torch.__version__}\n")
    print(f"{'op':<20} {'shape':<18} {'traintech':>10} {'native':>10} {'ratio':>7}")
    print(f"{'-' * 20} {'-' * 18} {'-' * 10} {'-' * 10} {'-' * 7}")
    for name, shape, ours, native, ratio in rows:
        flag = "" if ratio <= 3 else "  > 3x"
        print(f"{name:<20} {shape:<18} {ours:10.3f} {native:10.3f} {ratio:6.2f}x{flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
