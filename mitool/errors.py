"""Errors that mitool reports to users as one line (exit status 2 on the command line)."""

from __future__ import annotations

#: What to install when PyTorch is missing, on a machine with or without a GPU.
TORCH_HINT = (
    "pip install 'mitool[neural]' (without a GPU: pip install torch==2.13.0, or torch from "
    "https://download.pytorch.org/whl/cpu, to skip a multi-GB CUDA download)"
)


class MitoolError(Exception):
    """Base class: a problem with the user's input or options, reported without a traceback."""


class InputError(MitoolError):
    """A problem with an input source; the message names the source and the problem.

    Parameters
    ----------
    source : label of the offending input (a file name, ``<stdin>``, ``X`` or ``T``).
    problem : what is wrong, in words a user can act on.
    """

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class EstimateError(MitoolError):
    """The estimator ran on valid input and could not give a number it stands behind (a neural
    training that diverged, a non-finite estimate): a study over many datasets counts such a
    trial as failed, where a problem with the input or the options stops it."""


class MitoolWarning(UserWarning):
    """Something the user should know about an estimate (ties, constant columns, ...)."""


class Interrupted(Exception):  # noqa: N818 (not an error: the user stopped the run)
    """The user pressed Ctrl-C: the command line prints one line and exits with status 130."""
