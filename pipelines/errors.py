"""The base of every error meant for a person, not a developer: its message says what is wrong and what to do.

The command line prints such errors as one sentence and exits 1; anything else is a bug and keeps its traceback.
"""


class KontingentError(RuntimeError):
    """A problem the user can fix (bad input, a busy port, an unreachable server), phrased for them."""
