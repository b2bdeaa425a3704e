"""The project's errors: every error it raises on purpose is a :class:`SimError`.

- :class:`ConfigError`: bad input (a scenario, an experiment, a flag, a results folder); the
  message is one line naming the file, the key and what was expected (the ``sim`` command prints
  it and exits with code 2);
- :class:`InvariantError`: a model invariant failed (``sim run --check``); the message names the
  week and the invariant.
"""

from __future__ import annotations


class SimError(Exception):
    """Base of the project's own errors; the message is one line."""

    def __str__(self) -> str:
        return one_line(super().__str__())


class ConfigError(SimError):
    """Bad input: the message is one line naming the file, the key and what was expected."""


class InvariantError(SimError):
    """A model invariant failed; the message names the step and the invariant."""


def one_line(text: str, limit: int = 500) -> str:
    """The text with control characters escaped (so it stays on one line), cut at ``limit``."""
    flat = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
