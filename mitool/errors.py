"""Errors that mitool reports to users as one line (exit status 2 on the command line)."""

from __future__ import annotations


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


class Interrupted(Exception):  # noqa: N818 (not an error: the user stopped the run)
    """The user pressed Ctrl-C: the command line prints one line and exits with status 130."""
