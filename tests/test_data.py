"""traintech.data: offline, right shapes, stratified, deterministic, and no side effects."""
import random
import socket

import numpy as np
import pytest
import torch

from traintech.data import load_digits, load_mnist1d, synthetic_audio, synthetic_sentences


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("traintech.data tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _check_splits(data, x_shape, total):
    for x, y in [(data.x_train, data.y_train), (data.x_val, data.y_val), (data.x_test, data.y_test)]:
        assert x.dtype == torch.float32 and y.dtype == torch.int64
        assert x.shape[1:] == x_shape and len(x) == len(y)
        assert set(y.tolist()) == set(range(10))  # stratified: every class in every split
    assert len(data.x_train) + len(data.x_val) + len(data.x_test) == total
    # the splits are disjoint: no example appears in two of them
    rows = lambda x: {tuple(r) for r in x.flatten(1).tolist()}  # noqa: E731
    assert not rows(data.x_val) & rows(data.x_test)


def test_digits_offline_shapes_and_split(no_network):
    data = load_digits()
    _check_splits(data, (1, 8, 8), 1797)
    assert data.num_classes == 10
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    assert len(data.x_val) == pytest.approx(0.2 * 1797, abs=10)
    assert "digits" in repr(data)


def test_digits_deterministic_and_seeded():
    a, b, c = load_digits(seed=0), load_digits(seed=0), load_digits(seed=1)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.y_train, c.y_train)


def test_digits_subset_is_balanced_and_keeps_test_split():
    full, small = load_digits(seed=0), load_digits(n_train=100, seed=0)
    assert small.x_train.shape == (100, 1, 8, 8)
    assert torch.bincount(small.y_train, minlength=10).tolist() == [10] * 10
    assert torch.equal(small.x_test, full.x_test) and torch.equal(small.x_val, full.x_val)
    with pytest.raises(ValueError, match="n_train"):
        load_digits(n_train=0)
    with pytest.raises(ValueError, match="5000"):
        load_digits(n_train=5000)
    with pytest.raises(ValueError, match="val_fraction"):
        load_digits(val_fraction=0.7, test_fraction=0.5)


def test_mnist1d_generated_offline_and_preserves_global_rng(no_network):
    np.random.seed(123)
    random.seed(123)
    expected_np, expected_py = np.random.rand(), random.random()
    np.random.seed(123)
    random.seed(123)
    data = load_mnist1d(num_samples=1000, n_train=200)
    assert np.random.rand() == expected_np and random.random() == expected_py  # untouched
    _check_splits(load_mnist1d(num_samples=1000), (1, 40), 1000)
    assert data.x_train.shape == (200, 1, 40)
    again = load_mnist1d(num_samples=1000, n_train=200)
    assert torch.equal(data.x_train, again.x_train)
    with pytest.raises(ValueError):
        load_mnist1d(num_samples=10)


def test_loaders_seeded_shuffling():
    data = load_digits(n_train=64)
    first = [y.tolist() for _, y in data.loaders(batch_size=16, seed=3)[0]]
    torch.manual_seed(999)  # the global generator must not matter
    second = [y.tolist() for _, y in data.loaders(batch_size=16, seed=3)[0]]
    other = [y.tolist() for _, y in data.loaders(batch_size=16, seed=4)[0]]
    assert first == second and first != other
    _, val, test = data.loaders()
    assert sum(len(y) for _, y in val) == len(data.y_val)
    with pytest.raises(ValueError):
        data.loaders(batch_size=0)


def test_synthetic_text_and_audio():
    sentences = synthetic_sentences(5, seed=1)
    assert len(sentences) == 5 and all(len(s.split()) >= 4 for s in sentences)
    assert sentences == synthetic_sentences(5, seed=1) != synthetic_sentences(5, seed=2)
    wave = synthetic_audio(duration=0.5, sample_rate=8000, frequencies=(440.0,))
    assert wave.shape == (4000,) and wave.dtype == torch.float32
    spectrum = torch.fft.rfft(wave).abs()
    assert abs(spectrum.argmax().item() * 8000 / 4000 - 440) <= 2  # the tone is where it should be
    with pytest.raises(ValueError):
        synthetic_audio(frequencies=(5000.0,), sample_rate=8000)
    with pytest.raises(ValueError):
        synthetic_sentences(0)
