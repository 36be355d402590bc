"""The one error type of config checking, and the helpers that raise it."""

from __future__ import annotations

from typing import NoReturn


class ConfigError(ValueError):
    """A config value is invalid; the message names the key."""


def require(cond: bool, key: str, msg: str) -> None:
    if not cond:
        raise ConfigError(f"config key '{key}': {msg}")


def fail(key: str, err: Exception) -> NoReturn:
    """Raise the one-line :class:`ConfigError` of ``key`` for a check that raised
    ``err`` (its first line; the original traceback is not chained)."""
    msg = str(err).splitlines()[0] if str(err) else type(err).__name__
    raise ConfigError(f"config key '{key}': {msg}") from None
