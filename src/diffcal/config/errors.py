"""The one error type of config checking, and the helper that raises it."""

from __future__ import annotations


class ConfigError(ValueError):
    """A config value is invalid; the message names the key."""


def require(cond: bool, key: str, msg: str) -> None:
    if not cond:
        raise ConfigError(f"config key '{key}': {msg}")
