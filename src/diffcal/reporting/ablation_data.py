"""Reading and aggregating the ablation runs' files for Figures 3-6 (mean and std over
splits)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from diffcal.attacks.calibration import SCORES
from diffcal.attacks.evaluate import SETTINGS, model_outputs
from diffcal.data.splits import ids_with_role

CURVE_ATTACKS = ("loss_orig", "loss_cal")  # the paper draws loss Orig vs Cal


def concat_files(paths: Sequence[str], reader) -> pd.DataFrame:
    return pd.concat([reader(p) for p in paths], ignore_index=True)


def mean_std_wide(df: pd.DataFrame, by: list[str], values: list[str]) -> pd.DataFrame:
    """Mean, sample std (ddof 1) and count over splits of ``values``, per ``by``."""
    g = df.groupby(by, sort=False)[values]
    out = g.mean().add_suffix("_mean").join(g.std(ddof=1).add_suffix("_std"))
    out["n_splits"] = g.size()
    return out.reset_index()


def loss_setting(sc: pd.DataFrame, sp: pd.DataFrame, setting: str, ref_model: str):
    """(is_member, target loss score, reference loss scores ``(K, n)``) of a setting
    (``eval`` or ``threshold``) with references ``scratch`` or ``forget``."""
    tmodel, fmodel, in_role, out_role = SETTINGS[setting]
    ids = ids_with_role(sp, in_role, out_role)
    roles = sp.set_index("sample_id").loc[ids, "role"].to_numpy()
    target = SCORES["loss"](model_outputs(sc, tmodel, ids))[0]
    refs = SCORES["loss"](model_outputs(sc, "scratch" if ref_model == "scratch" else fmodel, ids))
    return roles == in_role, target, refs


#: delta of the empirical bounds of a non-private target (that of the DP variants).
DEFAULT_DELTA = 1e-5


def dp_info(paths: Sequence[str]) -> pd.DataFrame:
    """Per split: requested and spent epsilon (RDP accountant, as trained; PRV
    accountant on the same noise, sampling rate and steps), delta and accuracies of
    the DP targets (epsilon infinite, delta :data:`DEFAULT_DELTA` for undefended ones)."""
    from diffcal.stats.privacy import prv_epsilon
    from diffcal.training.model_files import load_models

    rows = []
    for p in paths:
        for e in load_models(p)[1]:
            private = "dp_steps" in e
            spent = e.get("dp_epsilon_spent", np.inf)
            rows.append(
                {
                    "split": int(e["split"]),
                    "train_acc": e["train_acc"],
                    "test_acc": e["test_acc"],
                    "epsilon": e.get("dp_epsilon", np.inf),
                    "epsilon_spent": spent,
                    # Poisson sampling: one step per expected batch, so the sampling
                    # rate is epochs / steps.
                    "epsilon_prv": prv_epsilon(
                        e["dp_noise_multiplier"],
                        e["recipe"]["epochs"] / e["dp_steps"],
                        e["dp_steps"],
                        e["dp_delta"],
                        rdp_epsilon=spent,
                    )
                    if private
                    else np.inf,
                    "noise_multiplier": e.get("dp_noise_multiplier", 0.0),
                    "delta": e.get("dp_delta", DEFAULT_DELTA),
                }
            )
    return pd.DataFrame(rows)
