"""What the checks of chapter 3's initializers share (no exercise of its own)."""
from traintech.checking import entry, expect_tensor
from traintech.testing import assert_close, assert_true

# Each initializer is written from tensor operations: torch.nn.init (and its helpers) is off limits.
INIT_FORBIDDEN = ["torch.nn.init." + name for name in (
    "uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
    "kaiming_normal_", "orthogonal_", "calculate_gain", "_calculate_fan_in_and_fan_out", "_calculate_correct_fan",
    "_no_grad_uniform_", "_no_grad_normal_")]


def filled(got, ref, key):
    """The learner's tensor ``got[key]``, which must have the reference's shape and dtype."""
    return expect_tensor(entry(got, key), key, ref[key].shape, ref[key].dtype)


def same_fills(got, ref, hint=None):
    """The parameter still requires grad, and two fills from generators seeded alike are equal."""
    assert_true(entry(got, "weight.requires_grad") is True, "the parameter should still require grad")
    assert_close(filled(got, ref, "weight"), filled(got, ref, "again"), name="two fills with the same seeded generator",
                 hint=hint)
