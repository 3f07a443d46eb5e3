"""An IPython extension for the kernels that validate and grade the course (``nbgrader_config.py``).

nbgrader scores a test cell 0 when anything is printed on stderr. A warning from PyTorch or
NumPy (a deprecation, a ``UserWarning``) is not a wrong answer, so in those kernels warnings
are printed on stdout instead: still visible, never fatal.
"""
from __future__ import annotations

import sys
import warnings

# Set by the grader for a kernel it isolates from traintech.reference: the file of the reference data
# the chapter's checks judge with (traintech.checking.run reads it).
KERNEL_TABLE = "TRAINTECH_EXPECTED"


def _show_on_stdout(message, category, filename, lineno, file=None, line=None) -> None:
    print(warnings.formatwarning(message, category, filename, lineno, line), end="", file=sys.stdout)


def load_ipython_extension(ipython) -> None:
    """Print warnings on stdout (``--InteractiveShellApp.extensions=traintech.kernel``)."""
    warnings.showwarning = _show_on_stdout
