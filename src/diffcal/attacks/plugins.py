"""Your own attack as a plugin: ``attack: {extra: [REF, ...]}``, each ``REF``
``"path/to/file.py:function"`` or ``"package.module:function"``
(:mod:`diffcal.core.user_code`). The attack is named after its function and runs
beside the registry's attacks: in a dataset's metrics and tables, in every audit
report, in the risk ranking when chosen (``audit_risk_attack``) and in the
comparison.

The function is called once per evaluated set of samples::

    def my_attack(target: pd.DataFrame, references: pd.DataFrame) -> array-like

- ``target``: one row per sample, the order to score them in: ``sample_id`` and
  the target model's outputs on it.
- ``references``: one row per (reference model, sample): ``kind``, ``ref`` (its
  index among its kind), ``sample_id``, ``is_in`` (bool: the reference trained on
  the sample), and the same outputs.

Outputs and reference kinds, by where the attack runs:

- a dataset (paper pipeline): ``loss``, ``grad_norm``, ``max_log_prob`` (float64),
  ``correct`` (bool); kinds ``scratch`` (trained from scratch on public data) and
  ``forget`` (warm-started from the target, fine-tuned on public data); ``is_in``
  all False. The threshold set's shadow model stands in for the target there.
- an audit of scores: ``loss``, ``correct`` (nullable bool); kind ``scratch``
  (your references, ``is_in`` as your file says).
- the comparison: ``loss``, ``lira_stat`` (logit-scaled confidence); kind ``pool``,
  the first M pool references at budget M.

It returns one finite score per row of ``target``, higher = more likely a member.
It never sees which samples are members. A plugin whose file does not import,
or that returns the wrong number of scores or a NaN, stops the job with one line
naming its key (``attack.extra[i]``). The plugin's source file joins the code
digest of the attack jobs: editing it reruns the attacks and what follows, no
training.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from diffcal.core.user_code import call_user, load_callable, ref_digest, split_ref

if TYPE_CHECKING:  # the workflow names plugins while planning: no pandas there
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class Plugin:
    """A loaded plugin: its config key, reference, name (the function's) and
    function."""

    key: str
    ref: str
    name: str
    fn: Callable[[pd.DataFrame, pd.DataFrame], object]


def _what(i: int, ref: str) -> str:
    return f"attack.extra[{i}] {ref!r}"


def plugin_names(refs: Sequence[str]) -> list[str]:
    """The attack names of ``refs`` (their functions' names), without importing
    them; ValueError if one clashes with the registry or another plugin.

    >>> plugin_names(["mine.py:my_attack", "pkg.mod:other"])
    ['my_attack', 'other']
    """
    names: list[str] = []
    for i, ref in enumerate(refs):
        names.append(free_name(ref, names, _what(i, ref)))
    return names


def free_name(ref: str, taken: Sequence[str], what: str) -> str:
    """The attack name of ``ref`` (its function's); ValueError (one line naming
    ``what``) if the registry or ``taken`` has it."""
    from diffcal.attacks.registry import REGISTRY

    name = split_ref(ref, what)[1]
    if name in REGISTRY or name in taken:
        raise ValueError(f"{what}: the name {name!r} is taken by another attack")
    return name


def load_plugins(refs: Sequence[str]) -> list[Plugin]:
    """Import every plugin of ``attack.extra``; ValueError (one line) if one fails."""
    names = plugin_names(refs)
    return [
        Plugin(f"attack.extra[{i}]", ref, name, load_callable(ref, _what(i, ref)))
        for i, (ref, name) in enumerate(zip(refs, names, strict=True))
    ]


def plugins_digest(refs: Sequence[str]) -> str:
    """The plugins' references and file digests, one string (empty without any)."""
    return ";".join(f"{ref}={ref_digest(ref, _what(i, ref))}" for i, ref in enumerate(refs))


def run_plugin(plugin: Plugin, target: pd.DataFrame, references: pd.DataFrame) -> np.ndarray:
    """``(n,)`` float64 scores of ``plugin`` (``n = len(target)``); ValueError (one
    line, naming the key) when the function raises, or returns a wrong length or
    a non-finite score."""
    import numpy as np

    what = f"{plugin.key} {plugin.ref!r}"
    s = call_user(
        lambda: np.asarray(plugin.fn(target.copy(), references.copy()), np.float64).reshape(-1),
        what,
    )
    if s.shape != (len(target),):
        raise ValueError(f"{what}: returned {s.size} scores for {len(target)} samples")
    bad = ~np.isfinite(s)
    if bad.any():
        raise ValueError(f"{what}: {int(bad.sum())} of {len(s)} scores are NaN or infinite")
    return s


def outputs_frames(
    sample_id: np.ndarray,
    target: Mapping[str, np.ndarray],
    references: Mapping[str, tuple[Mapping[str, np.ndarray], np.ndarray | None]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plugin's two frames from arrays.

    Args:
        sample_id: ``(n,)`` the samples, in order.
        target: output name -> ``(n,)`` (or ``(1, n)``) the target's outputs.
        references: kind -> (output name -> ``(k, n)``, ``is_in`` ``(k, n)`` bool or
            None: all OUT).
    """
    import numpy as np
    import pandas as pd

    ids = np.asarray(sample_id)
    tgt = pd.DataFrame({"sample_id": ids})
    for col, v in target.items():
        extension = isinstance(v, pd.api.extensions.ExtensionArray)
        tgt[col] = v if extension else np.asarray(v).reshape(-1)
    frames = []
    for kind, (outs, is_in) in references.items():
        first = np.asarray(next(iter(outs.values())))
        k, n = first.shape
        frame = pd.DataFrame(
            {
                "kind": pd.array([kind] * (k * n), dtype="string"),
                "ref": np.repeat(np.arange(k), n),
                "sample_id": np.tile(ids, k),
                "is_in": np.zeros(k * n, bool) if is_in is None else np.asarray(is_in).reshape(-1),
            }
        )
        for col, v in outs.items():
            frame[col] = np.asarray(v).reshape(-1)
        frames.append(frame)
    refs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return tgt, refs
