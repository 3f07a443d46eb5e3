"""add_noise(waveform, snr_db, generator=None): the test cells, wrong answers and right answers."""
import math

import torch

from autograder.checks import Cell, Check
from traintech.checking import agree, entry, expect_tensor
from traintech.testing import assert_close, assert_ks, assert_mean_std, assert_true

EXERCISE = "add_noise"
# torchaudio.functional.add_noise takes the noise as an argument (and torchaudio is not a dependency):
# the traintech reference has the exercise's signature.
REFERENCE = "traintech.reference.augmentation.add_noise"


def measured_snr(clean, noisy):
    """The signal-to-noise ratio in dB of each signal (along the last dimension): a ratio of powers."""
    return 10 * torch.log10(clean.pow(2).mean(dim=-1) / (noisy - clean).pow(2).mean(dim=-1))


def collect_snr(add_noise):
    """The SNR of the result is exactly snr_db, as a ratio of powers, for every signal."""
    t = torch.linspace(0, 1, 4000, dtype=torch.float64)
    clean = torch.stack([torch.sin(2 * math.pi * 50 * t), 0.1 * torch.sin(2 * math.pi * 120 * t)])  # (2, 4000)
    return {"clean": clean.clone(), "add_noise(clean, 10.0)": add_noise(clean, 10.0, generator=torch.Generator().manual_seed(0))}


def judge_snr(got, ref, context):
    clean = ref["clean"]
    noisy = expect_tensor(entry(got, "add_noise(clean, 10.0)"), "add_noise(clean, 10.0)", shape=clean.shape)
    assert_close(measured_snr(clean, noisy), torch.full((2,), 10.0, dtype=torch.float64), atol=1e-6,
                 name="the measured SNR (dB) of each signal at snr_db=10",
                 hint="SNR is a ratio of powers (mean squares): 10 log10(P_signal / P_noise); scale the noise "
                      "amplitude by the square root of the power ratio, per signal.")


def collect_snr_more(add_noise):
    g = torch.Generator().manual_seed(1)
    scales = torch.tensor([[[1.0]], [[5.0]], [[0.01]]], dtype=torch.float64)
    data = {}
    for k, snr in enumerate((-5.0, 0.0, 3.0, 30.0)):
        x = torch.randn(3, 2, 500, generator=g, dtype=torch.float64) * scales
        data[f"add_noise((3, 2, 500) signals, {snr})"] = {
            "signals": x.clone(), "add_noise": add_noise(x, snr, generator=torch.Generator().manual_seed(10 + k))}
    x1 = torch.sin(torch.linspace(0, 60, 8000))
    data["add_noise(1-D float32 signal, 20.0)"] = {
        "signals": x1.clone(), "add_noise": add_noise(x1, 20.0, generator=torch.Generator().manual_seed(20))}
    return data


def judge_snr_more(got, ref, context):
    for snr in (-5.0, 0.0, 3.0, 30.0):
        call = f"add_noise((3, 2, 500) signals, {snr})"
        x = ref[call]["signals"]
        y = expect_tensor(entry(entry(got, call), "add_noise"), call, shape=x.shape)
        assert_close(measured_snr(x, y), torch.full((3, 2), snr, dtype=torch.float64), atol=1e-6,
                     name=f"the measured SNR of (3, 2, 500) signals at snr_db={snr}")
    call = "add_noise(1-D float32 signal, 20.0)"
    x1 = ref[call]["signals"]
    y1 = expect_tensor(entry(entry(got, call), "add_noise"), call, shape=x1.shape)
    assert_close(measured_snr(x1, y1), torch.tensor(20.0), atol=1e-3, name="the SNR of a 1-D float32 signal at 20 dB")
    assert_true(y1.dtype == torch.float32, "add_noise should keep the dtype")


def collect_properties(add_noise):
    """The noise is random Gaussian noise from the generator, the input is untouched, and the code is your own."""
    # a triangle wave of whole numbers / 50: exact on every processor (sin's last bits are not),
    # so the student edition's reference data, computed elsewhere, hold this very waveform
    x = (torch.arange(20_000) % 200 - 100).abs().float() / 50 - 1
    before = x.clone()
    y = add_noise(x, 6.0, generator=torch.Generator().manual_seed(0))
    return {"x": before, "waveform after add_noise": x, "add_noise(x, 6.0)": y,
            "add_noise(x, 6.0) again, with a generator seeded the same way": add_noise(
                x, 6.0, generator=torch.Generator().manual_seed(0))}


def judge_properties(got, ref, context):
    x = ref["x"]
    agree(got, ref, "waveform after add_noise", hint="do not modify the input in place.")
    y = expect_tensor(entry(got, "add_noise(x, 6.0)"), "add_noise(x, 6.0)", shape=x.shape)
    noise = y - x
    assert_mean_std(noise, mean=0.0, name="the added noise")
    assert_true(noise.std() > 0, "the noise should not be zero")
    assert_close(entry(got, "add_noise(x, 6.0) again, with a generator seeded the same way"), y,
                 name="add_noise with the same seeded generator", hint="draw the noise with the generator.")
    context.no_delegation("add_noise", [])


def collect_normality(add_noise):
    x = torch.sin(torch.linspace(0, 100, 20_000))
    return {"x": x.clone(), "add_noise(x, 6.0)": add_noise(x, 6.0, generator=torch.Generator().manual_seed(0))}


def judge_normality(got, ref, context):
    x = ref["x"]
    noise = expect_tensor(entry(got, "add_noise(x, 6.0)"), "add_noise(x, 6.0)", shape=x.shape) - x
    assert_ks(noise / noise.std(), "norm", args=(0.0, 1.0), name="the standardized noise")


CELLS = [
    Cell("test_add_noise_snr", points=2, checks=[
        Check(collect_snr, judge_snr),
        Check(collect_snr_more, judge_snr_more, hidden=True),
    ]),
    Cell("test_add_noise_properties", points=1, checks=[
        Check(collect_properties, judge_properties),
        Check(collect_normality, judge_normality, hidden=True),
    ]),
]

HEAD = "def add_noise(waveform, snr_db, generator=None):\n"

WRONG = {
    "amplitude ratio instead of power ratio": HEAD + """\
    noise = torch.randn(waveform.shape, generator=generator, dtype=waveform.dtype)
    ps = waveform.pow(2).mean(dim=-1, keepdim=True)
    pn = noise.pow(2).mean(dim=-1, keepdim=True)
    return waveform + noise * (ps / pn).sqrt() * 10 ** (-snr_db / 10)
""",
    "one power for the whole batch": HEAD + """\
    noise = torch.randn(waveform.shape, generator=generator, dtype=waveform.dtype)
    scale = (waveform.pow(2).mean() * 10 ** (-snr_db / 10) / noise.pow(2).mean()).sqrt()
    return waveform + scale * noise
""",
    "ignores the generator": HEAD + """\
    noise = torch.randn(waveform.shape, dtype=waveform.dtype)
    ps = waveform.pow(2).mean(dim=-1, keepdim=True)
    pn = noise.pow(2).mean(dim=-1, keepdim=True)
    return waveform + noise * (ps * 10 ** (-snr_db / 10) / pn).sqrt()
""",
    "assumes unit noise power (SNR only on average)": HEAD + """\
    noise = torch.randn(waveform.shape, generator=generator, dtype=waveform.dtype)
    ps = waveform.pow(2).mean(dim=-1, keepdim=True)
    return waveform + noise * (ps * 10 ** (-snr_db / 10)).sqrt()
""",
    "uniform noise": HEAD + """\
    noise = torch.rand(waveform.shape, generator=generator, dtype=waveform.dtype) - 0.5
    ps = waveform.pow(2).mean(dim=-1, keepdim=True)
    pn = noise.pow(2).mean(dim=-1, keepdim=True)
    return waveform + noise * (ps * 10 ** (-snr_db / 10) / pn).sqrt()
""",
    "imports the traintech reference": "from traintech.reference.augmentation import add_noise\n",
}

# Right answers written differently (the blind ones from the released notebook alone): every one
# must keep every point.
RIGHT = {
    "unit-power noise times the signal's rms": HEAD + """\
    noise = torch.randn(waveform.shape, generator=generator, dtype=waveform.dtype)
    noise = noise / noise.pow(2).mean(dim=-1, keepdim=True).sqrt()       # unit power
    rms = waveform.pow(2).mean(dim=-1, keepdim=True).sqrt()
    return waveform + noise * rms * 10 ** (-snr_db / 20)
""",
    "blind: vectorized power ratio": HEAD + '''\
    """Add Gaussian noise at exactly snr_db decibels (a power ratio) per signal along the last dim."""
    noise = torch.randn(waveform.shape, generator=generator, dtype=waveform.dtype, device=waveform.device)
    p_signal = waveform.pow(2).mean(dim=-1, keepdim=True)
    p_noise = noise.pow(2).mean(dim=-1, keepdim=True)
    scale = torch.sqrt(p_signal * 10 ** (-snr_db / 10) / p_noise)
    return waveform + scale * noise
''',
    "blind: per-signal loop with rms and math": HEAD + '''\
    """Add Gaussian noise at exactly snr_db decibels, signal by signal (rows of a (-1, T) view)."""
    if not waveform.is_floating_point():
        raise ValueError("waveform must be a floating-point tensor")
    T = waveform.shape[-1]
    flat = waveform.reshape(-1, T)
    noise = torch.randn(flat.shape, generator=generator, dtype=flat.dtype, device=flat.device)
    amp = 10.0 ** (-snr_db / 20.0)  # amplitude ratio = sqrt of the power ratio
    rows = []
    for i in range(flat.shape[0]):
        rms_x = math.sqrt(flat[i].pow(2).mean().item())
        rms_z = math.sqrt(noise[i].pow(2).mean().item())
        rows.append(flat[i] + noise[i] * (amp * rms_x / rms_z))
    return torch.stack(rows).reshape(waveform.shape)
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: power_ratio (issue 16's release)"] = r'''\
def add_noise(waveform, snr_db, generator=None):
    """Add Gaussian noise at exactly snr_db decibels (a power ratio) per signal along the last dim.

    Args:
        waveform: a floating-point tensor (..., T): one signal (T,), a batch (B, T), or more
            batch dimensions.
        snr_db: the signal-to-noise ratio in dB (any float, also 0 or negative).
        generator: a torch.Generator for the noise. Default: None

    Returns:
        A new tensor of waveform's shape and dtype: waveform plus zero-mean Gaussian noise,
        scaled per signal; ``waveform`` itself is not modified.
    """
    noise = torch.randn(waveform.shape, generator=generator, dtype=waveform.dtype, device=waveform.device)
    signal_power = waveform.pow(2).mean(dim=-1, keepdim=True)  # P_x per signal
    noise_power = noise.pow(2).mean(dim=-1, keepdim=True)      # P_z per signal
    target_power = signal_power * 10 ** (-snr_db / 10)         # P_n with P_x / P_n = 10^(snr/10)
    scale = torch.sqrt(target_power / noise_power)              # amplitude = sqrt of a power ratio
    return waveform + scale * noise
'''
RIGHT["blind: rms_amplitude (issue 16's release)"] = r'''\
def add_noise(waveform, snr_db, generator=None):
    """Add Gaussian noise at exactly snr_db decibels (a power ratio) per signal along the last dim.

    Args:
        waveform: a floating-point tensor (..., T): one signal (T,), a batch (B, T), or more
            batch dimensions.
        snr_db: the signal-to-noise ratio in dB (any float, also 0 or negative).
        generator: a torch.Generator for the noise. Default: None

    Returns:
        A new tensor of waveform's shape and dtype: waveform plus zero-mean Gaussian noise,
        scaled per signal; ``waveform`` itself is not modified.
    """
    z = torch.normal(0.0, 1.0, size=tuple(waveform.shape), generator=generator,
                     dtype=waveform.dtype, device=waveform.device)
    length = waveform.shape[-1]
    # root mean square = sqrt(power); in amplitude terms the dB factor is 10^(-snr/20)
    rms_signal = torch.linalg.vector_norm(waveform, dim=-1, keepdim=True) / math.sqrt(length)
    rms_noise = torch.linalg.vector_norm(z, dim=-1, keepdim=True) / math.sqrt(length)
    gain = rms_signal / rms_noise * 10.0 ** (-snr_db / 20.0)
    return waveform.clone().add_(gain * z)
'''
