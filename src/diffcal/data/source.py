"""The record a data source declares about itself.

Each module under :mod:`diffcal.data.sources` that provides sources declares them
at module level, with literal arguments only::

    SOURCES = [Source("sklearn_digits", loader="load_digits", size=1797)]

:mod:`diffcal.data.registry` finds them by reading the files (not importing them:
the config check runs while Snakemake plans, and a loader module may import
pandas or torchvision), so a new source is one new file and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """One data source.

    Attributes:
        name: the config's ``source`` value.
        loader: the module's function ``(data_dir, **options) -> Prepared``; its
            keyword-only arguments are the source's options (``source_kwargs``).
        size: samples it yields (None: depends on its options); the config check
            rejects a ``train_size`` larger than the member pool with it.
        check: the module's function that checks the options before any job (the
            user's files exist, their columns are there); raises ValueError.
        file_options: options that are paths of the user's files (inputs of the
            prepare job: replacing a file reruns its dataset).
        module: the module that declares it (filled in by the registry).
    """

    name: str
    loader: str
    size: int | None = None
    check: str | None = None
    file_options: tuple[str, ...] = ()
    module: str = ""
