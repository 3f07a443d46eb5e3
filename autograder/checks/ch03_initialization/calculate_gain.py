"""calculate_gain(nonlinearity, param=None): the test cells, wrong answers and right answers."""
import math

from autograder.checks import Cell, Check
from autograder.checks.ch03_initialization._shared import INIT_FORBIDDEN
from traintech.checking import entry, expect_raised, raises
from traintech.testing import assert_close

EXERCISE = "calculate_gain"
REFERENCE = "torch.nn.init.calculate_gain"


def gains_agree(got, ref, hint=None):
    for key, expected in ref.items():
        assert_close(entry(got, key), expected, name=key, rtol=1e-5, atol=1e-5, hint=hint)


def collect_values(calculate_gain):
    """Every nonlinearity's gain, as torch.nn.init.calculate_gain."""
    names = ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu", "leaky_relu"]
    gains = {f"calculate_gain({name!r})": calculate_gain(name) for name in names}
    return {"gains": gains, "calculate_gain('leaky_relu', 0.2)": calculate_gain("leaky_relu", 0.2)}


def judge_values(got, ref, context):
    gains_agree(entry(got, "gains"), ref["gains"], hint="see the table above; leaky_relu's default slope is 0.01.")
    assert_close(entry(got, "calculate_gain('leaky_relu', 0.2)"), math.sqrt(2 / 1.04),
                 name="calculate_gain('leaky_relu', 0.2)", rtol=1e-5, atol=1e-5,
                 hint="the gain of a leaky ReLU with slope a is sqrt(2 / (1 + a**2)).")


def collect_more_values(calculate_gain):
    names = ["conv1d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]
    gains = {f"calculate_gain({name!r})": calculate_gain(name) for name in names}
    gains.update({f"calculate_gain('leaky_relu', {slope})": calculate_gain("leaky_relu", slope) for slope in [0, 1, 0.5, 3]})
    gains["calculate_gain('tanh', 7.0) (param is ignored)"] = calculate_gain("tanh", 7.0)
    gains["calculate_gain('relu', 0.3) (param is ignored)"] = calculate_gain("relu", 0.3)
    return gains


def judge_more_values(got, ref, context):
    gains_agree(got, ref)


def collect_errors_and_purity(calculate_gain):
    """Unknown nonlinearities and bad slopes are ValueErrors; no torch.nn.init inside."""
    return {"calculate_gain('softplus')": raises(calculate_gain, "softplus"),
            "calculate_gain('leaky_relu', '0.2')": raises(calculate_gain, "leaky_relu", "0.2")}


def judge_errors_and_purity(got, ref, context):
    for call in ref:
        expect_raised(entry(got, call), "ValueError", call)
    context.no_delegation("calculate_gain", INIT_FORBIDDEN)


def collect_more_errors(calculate_gain):
    return {"calculate_gain('leaky_relu', True)": raises(calculate_gain, "leaky_relu", True),
            "calculate_gain('leaky_relu', [0.1])": raises(calculate_gain, "leaky_relu", [0.1]),
            "calculate_gain('ReLU')": raises(calculate_gain, "ReLU")}


def judge_more_errors(got, ref, context):
    for call in ref:
        expect_raised(entry(got, call), "ValueError", call)


CELLS = [
    Cell("test_gain_values", points=2, checks=[
        Check(collect_values, judge_values),
        Check(collect_more_values, judge_more_values, hidden=True),
    ]),
    Cell("test_gain_errors_and_purity", points=1, checks=[
        Check(collect_errors_and_purity, judge_errors_and_purity),
        Check(collect_more_errors, judge_more_errors, hidden=True),
    ]),
]

PLAIN = '''\
def calculate_gain(nonlinearity, param=None):
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                        "conv_transpose3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5 / 3
    if nonlinearity == "relu":
        return math.sqrt(2)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"bad slope {param!r}")
        return math.sqrt(2 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 0.75
    raise ValueError(f"unknown nonlinearity {nonlinearity!r}")
'''


def _variant(old: str, new: str) -> str:
    assert PLAIN.count(old) == 1, old
    return PLAIN.replace(old, new)


WRONG = {
    "relu gain 2 (the variance factor)": _variant("return math.sqrt(2)\n", "return 2.0\n"),
    "leaky_relu default slope 0": _variant("slope = 0.01", "slope = 0.0"),
    "leaky_relu without the square": _variant("math.sqrt(2 / (1 + slope ** 2))", "math.sqrt(2 / (1 + slope))"),
    "tanh gain 1": _variant("return 5 / 3", "return 1.0"),
    "unknown nonlinearity returns 1": _variant('raise ValueError(f"unknown nonlinearity {nonlinearity!r}")', "return 1.0"),
    "accepts True as a slope": _variant("isinstance(param, (int, float)) and not isinstance(param, bool)",
                                        "isinstance(param, (int, float))"),
    "calls torch.nn.init.calculate_gain": _variant("    if nonlinearity == \"tanh\":",
                                                   "    return torch.nn.init.calculate_gain(nonlinearity, param)\n"
                                                   "    if nonlinearity == \"tanh\":"),
    "imports the traintech reference": "from traintech.reference.initialization import calculate_gain\n",
}

RIGHT = {
    "a dict of fixed gains, type() check": '''\
def calculate_gain(nonlinearity, param=None):
    fixed = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": 2 ** 0.5, "selu": 0.75}
    fixed.update({f"conv{d}d": 1.0 for d in (1, 2, 3)})
    fixed.update({f"conv_transpose{d}d": 1.0 for d in (1, 2, 3)})
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if type(slope) not in (int, float):
            raise ValueError(f"negative slope must be a number, got {param!r}")
        return (2.0 / (1.0 + slope * slope)) ** 0.5
    if nonlinearity not in fixed:
        raise ValueError(f"no gain for {nonlinearity!r}")
    return fixed[nonlinearity]
''',
    "blind: dict lookup": r'''def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain.

    Args:
        nonlinearity: "linear", "conv1d", ..., "conv_transpose3d", "sigmoid", "tanh", "relu",
            "leaky_relu" or "selu".
        param: the negative slope of "leaky_relu". Default: None (0.01)

    Returns:
        A float.
    """
    fixed = {
        "linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0,
        "conv_transpose1d": 1.0, "conv_transpose2d": 1.0, "conv_transpose3d": 1.0,
        "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0), "selu": 3.0 / 4,
    }
    if isinstance(nonlinearity, str) and nonlinearity in fixed:
        return float(fixed[nonlinearity])
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}")
''',
    "blind: if/elif chain with numbers.Real": r'''import numbers


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain.

    Args:
        nonlinearity: "linear", "conv1d", ..., "conv_transpose3d", "sigmoid", "tanh", "relu",
            "leaky_relu" or "selu".
        param: the negative slope of "leaky_relu". Default: None (0.01)

    Returns:
        A float.
    """
    linear_like = ("linear", "conv1d", "conv2d", "conv3d",
                   "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid")
    if nonlinearity in linear_like:
        return 1.0
    elif nonlinearity == "tanh":
        return 5.0 / 3.0
    elif nonlinearity == "relu":
        return math.sqrt(2.0)
    elif nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, numbers.Real):
            raise ValueError("negative_slope " + repr(param) + " not a valid number")
        else:
            negative_slope = param
        return math.sqrt(2.0 / (1.0 + negative_slope * negative_slope))
    elif nonlinearity == "selu":
        return 0.75
    else:
        raise ValueError("Unsupported nonlinearity " + repr(nonlinearity))
''',
}

# Blind answers written from the release of issue 16 (the generated test cells), by helpers given only
# the released notebook: they keep every point.
RIGHT["blind: dict_lookup (issue 16's release)"] = r'''\
def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain.

    Args:
        nonlinearity: "linear", "conv1d", ..., "conv_transpose3d", "sigmoid", "tanh", "relu",
            "leaky_relu" or "selu" (exactly these lowercase names).
        param: the negative slope of "leaky_relu", an int or a float; ignored by the other
            nonlinearities. Default: None (0.01)

    Returns:
        A float.

    Raises:
        ValueError: if ``nonlinearity`` is not one of these names (e.g. ``"ReLU"``), or if it is
            ``"leaky_relu"`` and ``param`` is not None, an int or a float (e.g. ``True``, ``"0.2"``
            or ``[0.1]``).
    """
    fixed_gains = {
        "linear": 1.0,
        "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0,
        "conv_transpose1d": 1.0, "conv_transpose2d": 1.0, "conv_transpose3d": 1.0,
        "sigmoid": 1.0,
        "tanh": 5.0 / 3.0,
        "relu": math.sqrt(2.0),
        "selu": 3.0 / 4.0,
    }
    if isinstance(nonlinearity, str) and nonlinearity in fixed_gains:
        return fixed_gains[nonlinearity]
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}")
'''
RIGHT["blind: if_elif_chain (issue 16's release)"] = r'''\
def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain.

    Args:
        nonlinearity: "linear", "conv1d", ..., "conv_transpose3d", "sigmoid", "tanh", "relu",
            "leaky_relu" or "selu" (exactly these lowercase names).
        param: the negative slope of "leaky_relu", an int or a float; ignored by the other
            nonlinearities. Default: None (0.01)

    Returns:
        A float.

    Raises:
        ValueError: if ``nonlinearity`` is not one of these names (e.g. ``"ReLU"``), or if it is
            ``"leaky_relu"`` and ``param`` is not None, an int or a float (e.g. ``True``, ``"0.2"``
            or ``[0.1]``).
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1.0
    elif nonlinearity == "tanh":
        return 5 / 3
    elif nonlinearity == "relu":
        return 2.0 ** 0.5
    elif nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif type(param) is bool or not isinstance(param, (int, float)):
            raise ValueError(f"negative_slope {param} not a valid number")
        else:
            negative_slope = float(param)
        return (2.0 / (1.0 + negative_slope * negative_slope)) ** 0.5
    elif nonlinearity == "selu":
        return 0.75
    else:
        raise ValueError(f"Unsupported nonlinearity {nonlinearity}")
'''
