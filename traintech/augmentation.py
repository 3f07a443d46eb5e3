r"""Data augmentation for text and audio that chapter 1 (``01_regularization``) explains and uses.

Written from tensor primitives. Every operation returns a new tensor or list and never
modifies its input; the random ones draw only from the ``rng`` (a ``random.Random``) they
are given, so they are reproducible. The augmentations the chapter asks the learner to write
(``random_horizontal_flip``, ``random_crop``, ``random_rotation``, ``color_jitter``,
``random_deletion``, ``add_noise``) are graded exercises, not helpers: they are not here.

- text, a list of tokens: :func:`random_swap`, :func:`synonym_replacement`,
  :func:`random_insertion` (EDA, Wei & Zou, 2019), with the small English synonym table of
  :func:`load_synonyms`
- audio, ``(..., time)``: :func:`time_shift`, :func:`time_stretch`, :func:`pitch_shift`
"""

from __future__ import annotations

import functools
import json
import math
import random
from collections.abc import Mapping, Sequence
from importlib import resources

import torch
import torch.nn.functional as F

__all__ = [
    "random_swap",
    "synonym_replacement",
    "random_insertion",
    "load_synonyms",
    "time_shift",
    "time_stretch",
    "pitch_shift",
]


# --------------------------------------------------------------------------- checks


def _check_int(name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} has to be an int >= {minimum}, but got {value!r}")


def _check_waveform(waveform: torch.Tensor, floating: bool = True) -> None:
    if not isinstance(waveform, torch.Tensor):
        raise ValueError(f"waveform has to be a tensor, but got a {type(waveform).__name__}")
    if waveform.dim() == 0 or waveform.shape[-1] == 0:
        raise ValueError(
            f"waveform has to be (..., time) with time >= 1, but got shape {tuple(waveform.shape)}"
        )
    if floating and not waveform.is_floating_point():
        raise ValueError(f"waveform has to be floating point, but got dtype {waveform.dtype}")


# --------------------------------------------------------------------------- text


def random_swap(tokens: Sequence[str], n: int, rng: random.Random) -> list[str]:
    r"""Swap two tokens at distinct random positions, ``n`` times (EDA, Wei & Zou, 2019).

    Args:
        tokens: a sentence as a list of tokens.
        n: number of swaps, :math:`\ge 0`. EDA uses :math:`n = \lceil \alpha L \rceil`
            for a sentence of :math:`L` tokens, with :math:`\alpha \approx 0.1`.
        rng: the ``random.Random`` to draw from.

    Returns:
        A new list, a permutation of ``tokens`` (returned as a copy when it has fewer
        than two tokens).

    Example::

        >>> sorted(random_swap(["a", "b", "c"], n=2, rng=random.Random(0)))
        ['a', 'b', 'c']
    """
    _check_int("n", n, 0)
    swapped = list(tokens)
    if len(swapped) < 2:
        return swapped
    for _ in range(n):
        i, j = rng.sample(range(len(swapped)), 2)  # two distinct positions
        swapped[i], swapped[j] = swapped[j], swapped[i]
    return swapped


@functools.cache
def _synonym_table() -> dict[str, tuple[str, ...]]:
    # Read once, on first use; tuples so that the cached table cannot be modified.
    text = resources.files("traintech").joinpath("assets/synonyms.json").read_text(encoding="utf-8")
    return {word: tuple(synonyms) for word, synonyms in json.loads(text).items()}


def load_synonyms() -> dict[str, list[str]]:
    """The course's small English synonym table, ``{word: [synonym, ...]}``.

    About 120 common lower-case words (adjectives, nouns and verbs of short reviews),
    each with single-word synonyms, hand-written in ``traintech/assets/synonyms.json``
    (EDA uses WordNet instead; the course never downloads). The file is read lazily,
    once; every call returns a fresh copy that the caller may modify.

    Example::

        >>> "film" in load_synonyms()["movie"]
        True
    """
    return {word: list(synonyms) for word, synonyms in _synonym_table().items()}


def _synonyms_of(word: str, synonyms: Mapping[str, Sequence[str]]) -> list[str]:
    """Synonyms of ``word`` (looked up in lower case), without the word itself."""
    key = word.lower()
    return [s for s in synonyms.get(key, ()) if s != key]


def synonym_replacement(
    tokens: Sequence[str],
    n: int,
    rng: random.Random,
    synonyms: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    r"""Replace up to ``n`` distinct words that have synonyms by a random synonym
    (EDA, Wei & Zou, 2019).

    The words with at least one synonym are visited in random order; each chosen word is
    replaced, at every position where it occurs, by one synonym drawn uniformly from the
    table. Words are looked up in lower case; synonyms are inserted as written in the
    table. Stop words ("the", "a", ...) are simply absent from the table.

    Args:
        tokens: a sentence as a list of tokens.
        n: maximum number of distinct words to replace, :math:`\ge 0`.
        rng: the ``random.Random`` to draw from.
        synonyms: ``{word: [synonym, ...]}``. Default: None (:func:`load_synonyms`)

    Returns:
        A new list of the same length as ``tokens``.

    Example::

        >>> synonym_replacement(["a", "good", "movie"], n=1, rng=random.Random(0),
        ...                     synonyms={"good": ["fine"]})
        ['a', 'fine', 'movie']
    """
    _check_int("n", n, 0)
    table = _synonym_table() if synonyms is None else synonyms
    replaced = list(tokens)
    # Distinct words (in lower case, in order of first occurrence) that have a synonym.
    candidates = [w for w in dict.fromkeys(t.lower() for t in replaced) if _synonyms_of(w, table)]
    rng.shuffle(candidates)
    for word in candidates[:n]:
        synonym = rng.choice(_synonyms_of(word, table))
        replaced = [synonym if t.lower() == word else t for t in replaced]
    return replaced


def random_insertion(
    tokens: Sequence[str],
    n: int,
    rng: random.Random,
    synonyms: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    r"""Insert a synonym of a random word at a random position, ``n`` times
    (EDA, Wei & Zou, 2019).

    Each time, a word with at least one synonym is drawn uniformly from the current
    sentence, one of its synonyms is drawn uniformly, and it is inserted at a position
    drawn uniformly from the :math:`L + 1` gaps (start and end included). When no word
    has a synonym, nothing is inserted.

    Args:
        tokens: a sentence as a list of tokens.
        n: number of insertions, :math:`\ge 0`.
        rng: the ``random.Random`` to draw from.
        synonyms: ``{word: [synonym, ...]}``. Default: None (:func:`load_synonyms`)

    Returns:
        A new list with ``len(tokens) + n`` tokens (fewer only if no word has a synonym).

    Example::

        >>> out = random_insertion(["a", "good", "movie"], n=1, rng=random.Random(0),
        ...                        synonyms={"good": ["fine"]})
        >>> sorted(out)
        ['a', 'fine', 'good', 'movie']
    """
    _check_int("n", n, 0)
    table = _synonym_table() if synonyms is None else synonyms
    inserted = list(tokens)
    for _ in range(n):
        candidates = [t for t in inserted if _synonyms_of(t, table)]
        if not candidates:
            break
        synonym = rng.choice(_synonyms_of(rng.choice(candidates), table))
        inserted.insert(rng.randint(0, len(inserted)), synonym)  # randint includes the end
    return inserted


# --------------------------------------------------------------------------- audio


def time_shift(waveform: torch.Tensor, shift: int) -> torch.Tensor:
    r"""Delay (``shift > 0``) or advance (``shift < 0``) a signal by ``shift`` samples,
    filling the vacated samples with zeros.

    .. math:: y_t = \begin{cases} x_{t - s} & 0 \le t - s < T \\ 0 & \text{otherwise}
        \end{cases}

    Zero filling models a recording that starts earlier or later; the samples shifted
    past the end are lost (``|shift| >= T`` gives silence). For the circular variant,
    which wraps them around to the other end, use ``torch.roll(waveform, shift, -1)``.
    The random part of the augmentation is the caller's: draw ``shift`` per example.

    Args:
        waveform: signals, time along the last dimension; any dtype.
        shift: number of samples, any int.

    Returns:
        A new tensor; ``waveform`` is not modified.

    Shape:
        - waveform: :math:`(..., T)`
        - output: :math:`(..., T)`

    Example::

        >>> time_shift(torch.tensor([1.0, 2.0, 3.0, 4.0]), 1)
        tensor([0., 1., 2., 3.])
    """
    _check_waveform(waveform, floating=False)
    if isinstance(shift, bool) or not isinstance(shift, int):
        raise ValueError(f"shift has to be an int number of samples, but got {shift!r}")
    length = waveform.shape[-1]
    shifted = torch.zeros_like(waveform)  # (..., T)
    if abs(shift) >= length:
        return shifted
    if shift >= 0:
        shifted[..., shift:] = waveform[..., : length - shift]
    else:
        shifted[..., :shift] = waveform[..., -shift:]
    return shifted


def time_stretch(
    waveform: torch.Tensor,
    rate: float,
    n_fft: int = 512,
    hop_length: int | None = None,
) -> torch.Tensor:
    r"""Change the duration by ``1 / rate`` while keeping the pitch: a phase vocoder
    (Flanagan & Golden, 1966; Laroche & Dolson, 1999).

    The short-time Fourier transform :math:`S_{k,m}` (bin :math:`k`, frame :math:`m`,
    hop :math:`R`) is read at the fractional frames :math:`\tau_j = j \cdot \text{rate}`
    and resynthesized with the same hop. Magnitudes are interpolated linearly between the
    two neighbouring frames :math:`i = \lfloor \tau_j \rfloor` and :math:`i + 1`; phases
    are *accumulated* from each bin's true frequency, so that sinusoids stay continuous:

    .. math::
        \omega_k = \frac{2\pi k R}{n_{fft}}, \qquad
        \Delta_{j} = \omega_k + \operatorname{wrap}\big(\angle S_{k,i+1} - \angle S_{k,i}
            - \omega_k\big), \qquad
        \phi_{k,j+1} = \phi_{k,j} + \Delta_j

    where :math:`\operatorname{wrap}` maps to :math:`[-\pi, \pi]` and
    :math:`\phi_{k,0} = \angle S_{k,0}`. The output phases are then locked across
    neighbouring bins (Puckette, 1995, "Phase-locked vocoder"),

    .. math:: Y_{k,j} = |Y_{k,j}| \, e^{\,i \angle (Y_{k,j} - Y_{k-1,j} - Y_{k+1,j})}

    so that the bins of one sinusoid stay coherent and its loudness is kept (without
    locking, a slowed-down tone can lose half its amplitude). ``rate > 1`` speeds up
    (shorter output), ``rate < 1`` slows down. Transients still smear a little
    ("phasiness"), and ``rate == 1`` is close to, not exactly, the identity: the price
    of a simple algorithm. (``torchaudio.functional.phase_vocoder`` and
    ``librosa.phase_vocoder`` accumulate phases the same way, without the locking.)

    Args:
        waveform: signals, time along the last dimension; floating point, longer than
            ``n_fft // 2`` samples.
        rate: speed-up factor, :math:`> 0`.
        n_fft: FFT size (Hann window of this length). Default: 512
        hop_length: hop between frames, in ``[1, n_fft // 2]``.
            Default: None (``n_fft // 4``)

    Returns:
        A new tensor of ``round(T / rate)`` samples.

    Shape:
        - waveform: :math:`(..., T)`
        - output: :math:`(..., \operatorname{round}(T / \text{rate}))`

    Example::

        >>> x = torch.sin(2 * math.pi * 440 * torch.arange(16000) / 16000)
        >>> time_stretch(x, rate=2.0).shape
        torch.Size([8000])
    """
    _check_waveform(waveform)
    if isinstance(rate, bool) or not (0.0 < rate < math.inf):
        raise ValueError(f"rate has to be a positive finite number, but got {rate}")
    _check_int("n_fft", n_fft, 2)
    hop = n_fft // 4 if hop_length is None else hop_length
    if isinstance(hop, bool) or not isinstance(hop, int) or not 1 <= hop <= n_fft // 2:
        raise ValueError(
            f"hop_length has to be an int in [1, n_fft // 2 = {n_fft // 2}], but got {hop!r}"
        )
    *batch_shape, length = waveform.shape
    if length <= n_fft // 2:
        raise ValueError(f"waveform of {length} samples is too short for n_fft={n_fft}")
    out_length = round(length / rate)
    if out_length < 1:
        raise ValueError(f"rate {rate} leaves no sample of a {length}-sample waveform")

    x = waveform.reshape(-1, length)  # (B, T)
    window = torch.hann_window(n_fft, dtype=x.dtype, device=x.device)
    spec = torch.stft(x, n_fft, hop, window=window, center=True, return_complex=True)  # (B, K, M)
    num_bins, num_frames = spec.shape[-2:]

    # Output frame j reads input frame tau_j = j * rate, between frames i and i + 1.
    tau = torch.arange(0, num_frames, rate, dtype=torch.float64, device=x.device)  # (J,)
    i = tau.floor().long()  # (J,)
    frac = (tau - i).to(x.dtype)  # (J,), in [0, 1)
    # One silent frame at the end, so that frame i + 1 exists for the last i.
    spec = torch.cat([spec, torch.zeros_like(spec[..., :1])], dim=-1)  # (B, K, M+1)
    left, right = spec[..., i], spec[..., i + 1]  # (B, K, J) each

    magnitude = (1 - frac) * left.abs() + frac * right.abs()  # (B, K, J)

    # Expected phase advance of bin k over one hop, then each bin's measured deviation.
    bins = torch.arange(num_bins, dtype=x.dtype, device=x.device)  # (K,)
    omega = (2 * math.pi * hop * bins / n_fft).unsqueeze(-1)  # (K, 1)
    deviation = right.angle() - left.angle() - omega  # (B, K, J)
    deviation -= 2 * math.pi * torch.round(deviation / (2 * math.pi))  # wrap to [-pi, pi]
    advance = omega + deviation  # (B, K, J): true phase advance per hop
    # phi_0 = angle of the first frame; phi_{j+1} = phi_j + advance_j.
    increments = torch.cat([spec[..., :1].angle(), advance[..., :-1]], dim=-1)  # (B, K, J)
    phase = increments.cumsum(dim=-1)  # (B, K, J)

    stretched = torch.polar(magnitude, phase)  # (B, K, J), complex

    # Phase locking: a sinusoid spreads over neighbouring bins whose accumulated phases
    # drift apart after a transient, so it partly cancels itself (a slowed-down tone can
    # lose half its amplitude). With a Hann window and phases measured from the start of
    # the frame (as torch.stft does), the two neighbours of a peak have the opposite
    # phase of the peak: lock every bin to the phase of Y_k - Y_{k-1} - Y_{k+1}.
    zero_bin = torch.zeros_like(stretched[..., :1, :])  # (B, 1, J)
    padded = torch.cat([zero_bin, stretched, zero_bin], dim=-2)  # (B, K+2, J)
    locked = stretched - padded[..., :-2, :] - padded[..., 2:, :]  # (B, K, J)
    stretched = torch.polar(magnitude, locked.angle())  # (B, K, J)

    y = torch.istft(stretched, n_fft, hop, window=window, center=True, length=out_length)  # (B, T')
    return y.reshape(*batch_shape, out_length)  # (..., T')


def pitch_shift(
    waveform: torch.Tensor,
    sample_rate: int,
    n_steps: float,
    n_fft: int = 512,
) -> torch.Tensor:
    r"""Shift the pitch by ``n_steps`` semitones, keeping the duration.

    Time-stretch by the frequency factor :math:`f`, then resample the result back to the
    original number of samples, which multiplies every frequency by :math:`f`:

    .. math:: f = 2^{n_\text{steps} / 12}, \qquad
        y = \operatorname{resample}_{T}\big(\operatorname{time\_stretch}(x, 1/f)\big)

    The resampling is linear interpolation (``torch.nn.functional.interpolate``), without
    an anti-aliasing filter: shifting up folds content above the new Nyquist frequency
    back into the band. Good enough for augmentation; use a windowed-sinc resampler
    (``torchaudio.functional.resample``) for listening quality.

    Args:
        waveform: signals, time along the last dimension; floating point.
        sample_rate: sampling rate in Hz, :math:`> 0`. Linear-interpolation resampling
            does not depend on it; it is validated and kept for the signature of
            ``torchaudio.functional.pitch_shift``.
        n_steps: shift in semitones (12 per octave); negative lowers the pitch.
        n_fft: FFT size of the phase vocoder. Default: 512

    Returns:
        A new tensor with the same shape as ``waveform``.

    Shape:
        - waveform: :math:`(..., T)`
        - output: :math:`(..., T)`

    Example::

        >>> x = torch.sin(2 * math.pi * 440 * torch.arange(16000) / 16000)
        >>> pitch_shift(x, 16000, n_steps=12).shape   # one octave up: 880 Hz
        torch.Size([16000])
    """
    _check_waveform(waveform)
    if isinstance(sample_rate, bool) or not (0 < sample_rate < math.inf):
        raise ValueError(f"sample_rate has to be a positive number, but got {sample_rate}")
    if isinstance(n_steps, bool) or not math.isfinite(n_steps):
        raise ValueError(f"n_steps has to be a finite number of semitones, but got {n_steps}")
    factor = 2.0 ** (n_steps / 12.0)
    *batch_shape, length = waveform.shape

    stretched = time_stretch(waveform, rate=1.0 / factor, n_fft=n_fft)  # (..., ~T * factor)
    stretched = stretched.reshape(-1, 1, stretched.shape[-1])  # (B, 1, T'): interpolate's layout
    resampled = F.interpolate(stretched, size=length, mode="linear", align_corners=False)  # (B,1,T)
    return resampled.reshape(*batch_shape, length)  # (..., T)
