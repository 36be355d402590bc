"""Independent oracles shared by tests in several folders: per-sample loops that
recompute what the library computes vectorised."""

import numpy as np


def best_reference_loop(ids, target_loss, ref_ids, ref_loss, ref_in):
    """The plugin's score, one sample at a time."""
    out = []
    for i, t in zip(ids, target_loss, strict=True):
        losses = [
            r for j, r, inn in zip(ref_ids, ref_loss, ref_in, strict=True) if j == i and not inn
        ]
        out.append(-(t - min(losses)))
    return np.array(out)


def eval_samples_and_plugin_scores(sc, sp):
    """The eval set's roles (sorted by sample id) and the plugin's scores on it, by
    :func:`best_reference_loop` over the target's, scratch and forgetting losses."""
    ev = sp[sp["role"].isin(["member", "nonmember"])].sort_values("sample_id")
    refs = sc[
        sc["model"].isin(["scratch", "forget_target"]) & sc["sample_id"].isin(ev["sample_id"])
    ]
    tgt = sc[sc["model"] == "target"].set_index("sample_id").loc[ev["sample_id"], "loss"]
    want = best_reference_loop(
        ev["sample_id"], tgt, refs["sample_id"], refs["loss"], np.zeros(len(refs), bool)
    )
    return ev, want
