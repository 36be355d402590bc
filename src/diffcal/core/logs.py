"""Job logging: one line per event to the job's log file. Kept free of heavy
imports, since every workflow job imports it first."""

from __future__ import annotations

import logging
import os
import sys


def setup_logging(log_path: str | os.PathLike | None = None) -> logging.Logger:
    """Send the ``diffcal`` logger to ``log_path`` (or stderr), one line per event."""
    logger = logging.getLogger("diffcal")
    logger.handlers.clear()
    handler: logging.Handler
    if log_path is None:
        handler = logging.StreamHandler(sys.stderr)
    else:
        handler = logging.FileHandler(log_path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger
