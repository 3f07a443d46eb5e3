"""The pre-trained weights of chapter 3: committed, small, loadable, accurate, reproducible."""
from __future__ import annotations

import torch

from traintech.pretrain import (PRETRAIN_CLASSES, WEIGHTS_PATH, accuracy, build_mnist1d_cnn, load_pretrained,
                                main, pretrain, pretrain_split)


def test_committed_weights_exist_and_are_small():
    assert WEIGHTS_PATH.exists(), "run `python -m traintech.pretrain` and commit the weights"
    assert WEIGHTS_PATH.stat().st_size < 1_000_000, f"{WEIGHTS_PATH} is {WEIGHTS_PATH.stat().st_size} bytes"


def test_weights_load_into_the_model():
    state = torch.load(WEIGHTS_PATH, map_location="cpu", weights_only=True)
    assert set(state) == set(build_mnist1d_cnn().state_dict())
    model = load_pretrained()
    assert not model.training
    assert model(torch.zeros(3, 1, 40)).shape == (3, len(PRETRAIN_CLASSES))


def test_weights_reach_the_stated_accuracy_on_their_own_task():
    model = load_pretrained()
    assert accuracy(model, "val") >= 0.9
    assert accuracy(model, "test") >= 0.9


def test_pretraining_sees_only_classes_0_to_4():
    x, y = pretrain_split(PRETRAIN_CLASSES, "train")
    assert len(x) == len(y) > 1000
    assert set(y.tolist()) == set(range(len(PRETRAIN_CLASSES)))


def test_training_is_deterministic():
    a, b = pretrain(epochs=15), pretrain(epochs=15)
    for key, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[key]), key


def test_the_script_reproduces_the_committed_weights(tmp_path):
    out = tmp_path / "weights.pt"
    main(["--out", str(out)])
    fresh = torch.load(out, weights_only=True)
    committed = torch.load(WEIGHTS_PATH, weights_only=True)
    for key, value in committed.items():
        torch.testing.assert_close(fresh[key], value, rtol=1e-5, atol=1e-6)
