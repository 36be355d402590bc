"""Source ``imagenet`` (an ImageFolder tree)."""

from __future__ import annotations

import logging
import os

import numpy as np

from diffcal.data.fetch import DataUnavailableError, resolve_data_dir
from diffcal.data.prepared import Prepared
from diffcal.data.source import Source

SOURCES = [Source("imagenet", loader="load_imagenet")]

log = logging.getLogger("diffcal")

IMAGENET_TRAIN = "imagenet/train"
IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png", ".bmp", ".webp")


def _center_square(img, size: int) -> np.ndarray:
    """Resize a PIL image so that its shorter side is ``size`` (bilinear), crop the
    central ``size`` x ``size`` square; ``(3, size, size)`` uint8 (RGB)."""
    from PIL import Image

    img = img.convert("RGB")
    w, h = img.size
    scale = size / min(w, h)
    nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
    img = img.resize((nw, nh), Image.Resampling.BILINEAR)
    left, top = (nw - size) // 2, (nh - size) // 2
    img = img.crop((left, top, left + size, top + size))
    return np.asarray(img, dtype=np.uint8).transpose(2, 0, 1)


def load_imagefolder(
    root: str | os.PathLike,
    *,
    size: int = 64,
    max_per_class: int | None = None,
    log_every: int = 10000,
) -> Prepared:
    """An ImageFolder tree ``root/<class>/<image>``: classes are the sorted
    sub-directory names (labels 0..C-1, as torchvision's ``ImageFolder``), images
    the files with an image suffix, sorted by name. Each image is resized (shorter
    side ``size``) and centre-cropped to ``(3, size, size)`` uint8, and the whole
    set is held in memory (ImageNet's train set at ``size=64``: 1,281,167 x 12,288
    bytes, 15.7 GB). ``max_per_class`` keeps the first images of each class."""
    from PIL import Image

    root = os.fspath(root)
    if not os.path.isdir(root):
        raise DataUnavailableError(
            f"image folder {root} does not exist; ImageNet cannot be downloaded "
            "automatically (its licence requires a login): download ILSVRC2012 train "
            f"from https://image-net.org and extract it to {root}/<wnid>/*.JPEG"
        )
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
    if not classes:
        raise DataUnavailableError(f"image folder {root} has no class sub-directories")
    files: list[tuple[str, int]] = []
    for label, cls in enumerate(classes):
        names = sorted(
            e.name
            for e in os.scandir(os.path.join(root, cls))
            if e.is_file() and e.name.lower().endswith(IMAGE_SUFFIXES)
        )
        if max_per_class is not None:
            names = names[:max_per_class]
        files += [(os.path.join(root, cls, n), label) for n in names]
    if not files:
        raise DataUnavailableError(f"image folder {root} has no images ({IMAGE_SUFFIXES})")
    x = np.empty((len(files), 3, size, size), dtype=np.uint8)
    for i, (path, _) in enumerate(files):
        with Image.open(path) as img:
            x[i] = _center_square(img, size)
        if (i + 1) % log_every == 0:
            log.info("read %d / %d images", i + 1, len(files))
    y = np.array([label for _, label in files], dtype=np.int64)
    return Prepared(x=x, y=y, num_classes=len(classes), x_scale=255.0)


def load_imagenet(
    data_dir: str | None = None,
    *,
    root: str | None = None,
    size: int = 64,
    max_per_class: int | None = None,
) -> Prepared:
    """ImageNet (ILSVRC2012) train set, 1,281,167 images of 1,000 classes, read as an
    ImageFolder tree from ``root`` if given, else ``<data_dir>/imagenet/train`` (see
    :func:`load_imagefolder`). It cannot be downloaded; the tree is read in place."""
    tree = root or os.path.join(resolve_data_dir(data_dir), IMAGENET_TRAIN)
    return load_imagefolder(tree, size=size, max_per_class=max_per_class)
