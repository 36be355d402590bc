"""Source ``image_folder``: your own images, any ImageFolder tree
``root/<class>/<image>`` (classes are the sorted sub-directory names, as
torchvision's ``ImageFolder``).

Options (``source_kwargs``): ``root`` (the tree; a relative path is relative to the
directory Snakemake runs in), ``size`` (side of the square each image is resized and
centre-cropped to, default 64), ``max_per_class`` (keep the first images of each
class by file name). The tree is read in place, once, into the prepared format (see
:func:`diffcal.data.sources.imagenet.load_imagefolder`); adding or replacing images
does not rerun by itself: run ``snakemake --forcerun prepare`` after such an edit.
"""

from __future__ import annotations

import os

from diffcal.data.prepared import Prepared
from diffcal.data.source import Source
from diffcal.data.sources.imagenet import IMAGE_SUFFIXES, load_imagefolder

SOURCES = [Source("image_folder", loader="load_image_folder", check="check_image_folder")]


def check_image_folder(*, root: str, size: int = 64, max_per_class: int | None = None) -> None:
    """The config check (before any job): ``root`` holds class sub-directories with
    images, and the options are valid. Raises ValueError."""
    if not os.path.isdir(root):
        raise ValueError(f"image folder {root} does not exist")
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
    if len(classes) < 2:
        raise ValueError(f"image folder {root} needs at least 2 class sub-directories")
    empty = [
        c
        for c in classes
        if not any(n.lower().endswith(IMAGE_SUFFIXES) for n in os.listdir(os.path.join(root, c)))
    ]
    if empty:
        raise ValueError(f"image folder {root}: no images ({IMAGE_SUFFIXES}) in {empty[:3]}")
    if not (isinstance(size, int) and size >= 8):
        raise ValueError(f"size must be an integer >= 8, got {size!r}")
    if max_per_class is not None and not (isinstance(max_per_class, int) and max_per_class >= 1):
        raise ValueError(f"max_per_class must be an integer >= 1, got {max_per_class!r}")


def load_image_folder(
    data_dir: str | None = None, *, root: str, size: int = 64, max_per_class: int | None = None
) -> Prepared:
    """The images of the tree at ``root`` (``data_dir`` is not used)."""
    return load_imagefolder(root, size=size, max_per_class=max_per_class)
