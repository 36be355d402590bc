"""Ablations (paper section 4.3): the maths against independent oracles, DP-SGD's
privacy accounting, and the workflow's guarantees (the ratio sweep and the K
curve retrain nothing, a targets_from variant trains no target)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

ABL_TINY = "tests/data/ablations_tiny.yaml"


def _claims_case(tmp_path, good: bool, std: float = 0.001) -> list[dict]:
    """Figure CSVs built so that every claim holds (``good``) or is contradicted, with
    every cell's std ``std`` over 5 splits (a large one makes every claim
    inconclusive)."""
    from diffcal.reporting.ablation_claims import claims

    sign = 1 if good else -1
    rows3 = [
        {
            "train_size": n,
            "attack": a,
            "auc_mean": 0.6
            + sign * (0.1 if n == 100 else 0.0)
            + (0.05 if a == "loss_cal" else 0.0) * sign,
            "acc_mean": 0.55
            + sign * (0.1 if n == 100 else 0.0)
            + (0.02 if a == "loss_cal" else 0.0) * sign,
        }
        for n in (100, 449)
        for a in ("loss_orig", "loss_cal")
    ]
    rows4 = [
        {
            "ratio": r,
            "attack": a,
            "acc_matched_tau_mean": 0.6 + sign * (0.1 if r < 1 else 0.0),
            "avg_precision_mean": 0.7 - sign * (0.3 if r < 1 else 0.0),
            "precision_at_recall_0.01_mean": (0.8 if a == "loss_cal" else 0.3) if good else 0.2,
        }
        for r in (1.0, 0.1)
        for a in ("loss_orig", "loss_cal")
    ]
    rows5 = [
        {
            "shadow_size": v,
            "k": k,
            "attack": a,
            "auc_mean": 0.6 + sign * (0.005 * k + (0.01 if v == 100 else 0.0)),
            "acc_mean": 0.55 + sign * (0.002 * k + (0.01 if v == 100 else 0.0)),
        }
        for v in (50, 100)
        for k in range(1, 11)
        for a in ("loss_cal", "loss_calf")
    ]
    rows6 = [
        {
            "epsilon_mean": e,
            "attack": a,
            "tpr_at_fpr_0.01_mean": (0.05 if good else 0.01) if a == "loss_cal" else 0.01,
            "auc_mean": 0.5 + (0.0 if good else 0.1) + (0.0 if e <= 1 else 0.05),
            "test_acc_mean": 0.8 + sign * 0.01 * np.log10(e),
        }
        for e in (1.0, 100.0, 1000.0)
        for a in ("loss_orig", "loss_cal")
    ]
    paths = {}
    for fig, rows in (("3", rows3), ("4", rows4), ("5", rows5), ("6", rows6)):
        paths[fig] = tmp_path / f"fig{fig}_{good}_{std}.csv"
        df = pd.DataFrame(rows)
        for col in [c for c in df.columns if c.endswith("_mean") and c != "epsilon_mean"]:
            df[col[: -len("_mean")] + "_std"] = std
        df.assign(n_splits=5).to_csv(paths[fig], index=False)
    return claims(*({"toy": str(paths[f])} for f in "3456"))


def test_ablation_claims_verdicts_on_constructed_cases(tmp_path):
    """One constructed case per verdict: every claim holds, is contradicted, or (the
    same means with a std of 0.5 over 5 splits) is inconclusive; each effect is
    given with its interval."""
    good, bad = _claims_case(tmp_path, True), _claims_case(tmp_path, False)
    noisy = _claims_case(tmp_path, True, std=0.5)
    assert [c["claim"] for c in good] == [c["claim"] for c in bad] and len(good) == 15
    assert [c["claim"] for c in noisy] == [c["claim"] for c in good]
    for case, verdict in ((good, "holds"), (bad, "contradicted"), (noisy, "inconclusive")):
        assert [(c["figure"], c["verdict"]) for c in case] == [(c["figure"], verdict) for c in case]
        assert all(" [" in c["evidence"] for c in case)


@pytest.mark.skipif(not (REPO / "docs/ablations").exists(), reason="no committed ablations")
def test_docs_ablations_regenerate_from_their_csvs(tmp_path):
    """docs/ablations/ablations.md is what rule ablations_doc writes from the CSVs
    committed next to it (copied from the run docs/ablations.md names)."""
    import shutil

    from diffcal.reporting.ablation_claims import doc_inputs_from_dir
    from diffcal.stages.ablations_doc import run_ablations_doc

    copy = tmp_path / "abl"
    shutil.copytree(REPO / "docs/ablations", copy)
    committed = (copy / "ablations.md").read_text()
    name = committed.splitlines()[0].split("`")[1]
    run_ablations_doc(name=name, out_md=str(copy / "ablations.md"), **doc_inputs_from_dir(copy))
    assert (copy / "ablations.md").read_text() == committed
