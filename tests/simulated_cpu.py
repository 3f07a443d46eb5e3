"""Run a command as if on another processor: PyTorch's CPU build dispatches on the processor
in three layers, and each can be told to use less than the machine has.

- ``ATEN_CPU_CAPABILITY``: PyTorch's own kernels (elementwise ops, reductions, ``randn``);
- ``ONEDNN_MAX_CPU_ISA``: oneDNN, which runs the convolutions;
- ``MKL_ENABLE_INSTRUCTIONS``: MKL, which runs the matrix products.

Each layer sums floats in another order on another instruction set, so the last bits of a
result, and everything a training run amplifies from them, depend on the machine. A suite
that passes under these settings does not compare bits with results made elsewhere.

    python tests/simulated_cpu.py lowered -- python -m pytest      # = make test-portable
    python tests/simulated_cpu.py avx2 -- python -m pytest         # = make test-portable CPU=avx2

Before it runs the command it checks, in a fresh Python, that all three layers took the
setting (a CPU cannot be simulated above what it has) and says which instruction sets they use.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

# name -> the three variables; every layer is lowered, so each runs other code than on a new CPU.
SETTINGS = {
    # no AVX at all: what an old or a small virtual CPU runs
    "lowered": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2"},
    # AVX2 without AVX-512: most laptops, and most AMD servers
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
}
# name -> what each layer then reports: ATen's capability, oneDNN's and MKL's verbose ISA line
EXPECTED = {
    "lowered": {"aten": "DEFAULT", "onednn": "SSE4.1", "mkl": "SSE4.2"},
    "avx2": {"aten": "AVX2", "onednn": "AVX2", "mkl": "AVX2"},
}

_PROBE = """
import torch
print("aten:" + torch.backends.cpu.get_cpu_capability(), flush=True)
torch.nn.functional.conv1d(torch.ones(2, 1, 40), torch.ones(4, 1, 5))  # oneDNN says its ISA
torch.ones(8, 8) @ torch.ones(8, 8)                                    # MKL says its ISA
"""


def environment(name: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with setting ``name``'s three variables."""
    if name not in SETTINGS:
        raise ValueError(f"unknown CPU setting {name!r}; choose one of {sorted(SETTINGS)}")
    return {**(os.environ if base is None else base), **SETTINGS[name]}


def in_effect(env: dict[str, str]) -> dict[str, str]:
    """What each layer uses in a new Python with ``env``: ``{"aten": ..., "onednn": ..., "mkl": ...}``."""
    probe = subprocess.run([sys.executable, "-c", _PROBE], env={**env, "ONEDNN_VERBOSE": "1", "MKL_VERBOSE": "1"},
                           capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        raise RuntimeError(f"the probe failed: {probe.stderr[-1000:]}")
    found = {}
    for line in probe.stdout.splitlines():
        if line.startswith("aten:"):
            found["aten"] = line[len("aten:"):]
        elif ",info,cpu,isa:" in line:
            found["onednn"] = line.split("isa:", 1)[1].strip()
        elif line.startswith("MKL_VERBOSE") and " architecture " in line and "mkl" not in found:
            found["mkl"] = re.split(r" enabled processors|, Lnx", line.split(" architecture ", 1)[1])[0].strip()
    return found


def check(name: str, env: dict[str, str]) -> str:
    """A one-line description of what ``env`` runs; raises RuntimeError unless setting ``name`` took effect."""
    found = in_effect(env)
    # ATen always answers; oneDNN and MKL only where this build of PyTorch uses them
    wrong = [f"{layer} uses {found.get(layer, 'nothing it reported')!r}, not {want}"
             for layer, want in EXPECTED[name].items() if (layer == "aten" or layer in found)
             and want not in found.get(layer, "")]
    if wrong:
        raise RuntimeError(f"CPU setting {name!r} did not take effect (does this CPU have it?): " + "; ".join(wrong))
    return f"simulated CPU {name!r}: " + ", ".join(f"{layer} {found.get(layer, 'not used')}"
                                                   for layer in ("aten", "onednn", "mkl"))


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--" or argv[0] not in SETTINGS:
        print(f"usage: python {sys.argv[0]} {{{','.join(SETTINGS)}}} -- COMMAND ...", file=sys.stderr)
        return 2
    name, command = argv[0], argv[2:]
    env = environment(name)
    try:
        print(check(name, env), flush=True)
    except RuntimeError as err:
        print(err, file=sys.stderr)
        return 1
    return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
