"""Audit reports and audits of scores (entry point 4): the attack maths
against independent oracles, the user's score files' errors, the report's numbers,
and that an audit of scores never imports torch."""

from __future__ import annotations

import numpy as np
import pandas as pd

from diffcal.attacks import metrics


def test_the_pipelines_own_scores_audited_as_scores_give_its_metrics(tiny_run, tmp_path):
    """Entry point 4 fed with the tiny run's own losses (digits: the target's and its
    2 scratch references' on the private samples, as user CSV files) gives the
    pipeline's own metrics for the loss attacks, exactly."""
    from diffcal.stages.audit_scores import run_audit_scores

    part = tiny_run / "results/digits/plain/split0"
    sc, sp = pd.read_parquet(part / "scores.parquet"), pd.read_parquet(part / "split.parquet")
    private = sp[sp["role"].isin(["member", "nonmember"])]
    rows = sc[sc["sample_id"].isin(private["sample_id"])]
    target = rows[rows["model"] == "target"][["sample_id", "loss"]]
    target.to_csv(tmp_path / "target.csv", index=False)
    refs = []
    for k, g in rows[rows["model"] == "scratch"].groupby("ref"):
        refs.append(str(tmp_path / f"ref{k}.parquet"))
        g[["sample_id", "loss"]].to_parquet(refs[-1])
    np.savetxt(tmp_path / "m.txt", private.loc[private["role"] == "member", "sample_id"], fmt="%d")
    run_audit_scores(
        target=str(tmp_path / "target.csv"),
        references=refs,
        members=str(tmp_path / "m.txt"),
        out_scores=str(tmp_path / "s.parquet"),
        out_attack_scores=str(tmp_path / "a.parquet"),
    )
    ours = pd.read_parquet(tmp_path / "a.parquet")
    theirs = pd.read_parquet(part / "attack_scores.parquet")
    theirs = theirs[theirs["set"] == "eval"].sort_values("sample_id")
    np.testing.assert_array_equal(ours["sample_id"], theirs["sample_id"])
    np.testing.assert_array_equal(ours["is_member"], theirs["is_member"])
    met = pd.read_csv(part / "metrics.csv").set_index("attack")
    for name in ("loss_orig", "loss_cal"):
        np.testing.assert_array_equal(ours[name], theirs[name])
        assert metrics.auc(ours["is_member"], ours[name]) == met.loc[name, "auc"]
        assert (
            metrics.tpr_at_fpr(ours["is_member"], ours[name], 0.05)
            == met.loc[name, "tpr_at_fpr_0.05"]
        )
