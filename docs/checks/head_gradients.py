"""What the released code's softmax head does to the gradient-norm (GN) score.

Usage: python docs/checks/head_gradients.py RESULTS_DIR DATASET [DATASET ...] [--out OUT.md]
e.g.   python docs/checks/head_gradients.py results credit_logits credit_softmax

With ``--out`` the table goes to OUT.md (quoted by docs/reproduction.md) and its
numbers to OUT.csv beside it (one row per dataset, for the prose's value markers).

For each dataset (a row of config/paper_fidelity.yaml), over every split, the
target model's scores of the evaluation samples (members + non-members) from
``results/<dataset>/plain/<part>/scores.parquet``: how many are misclassified, the
median per-sample gradient norm of misclassified and of correctly classified
samples, and the share of misclassified samples among the 10 % of samples with the
smallest gradient norm - the samples the GN attack (score = -norm, higher =
member) calls members first. With a second softmax, the gradient of a confidently
wrong sample vanishes (the softmax Jacobian diag(p) - p p^T is ~0 at a saturated
p), so those samples, mostly non-members, move to the member end of the GN score.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score


def true_class_prob(loss: np.ndarray, softmax_head: bool) -> np.ndarray:
    """p_y of the model's own output from the scored loss (binary tasks). Logits
    head: loss = -log p_y. Softmax head (the loss is a cross-entropy of softmax(p)):
    loss = log(1 + exp(p_other - p_y)) = log(1 + exp(1 - 2 p_y))."""
    if not softmax_head:
        return np.exp(-loss)
    return (1.0 - np.log(np.expm1(loss))) / 2.0


def summary(results: Path, dataset: str) -> dict:
    rows = []
    for part in sorted((results / dataset / "plain").glob("split*")):
        sc = pd.read_parquet(part / "scores.parquet")
        sp = pd.read_parquet(part / "split.parquet")
        tgt = sc[sc["model"] == "target"].merge(sp, on=["split", "sample_id"])
        rows.append(tgt[tgt["role"].isin(["member", "nonmember"])])
    df = pd.concat(rows, ignore_index=True)
    wrong = ~df["correct"].astype(bool)
    member = df["role"] == "member"
    p_y = true_class_prob(df["loss"].to_numpy(), dataset.endswith("softmax"))
    sure_wrong = p_y < 0.1
    low = df.groupby("split")["grad_norm"].transform(lambda g: g <= g.quantile(0.10))
    auc = df.groupby("split").apply(
        lambda g: roc_auc_score(g["role"] == "member", -g["grad_norm"]), include_groups=False
    )
    return {
        "dataset": dataset,
        "wrong members": f"{wrong[member].mean():.3f}",
        "wrong non-members": f"{wrong[~member].mean():.3f}",
        "median GN wrong": f"{df.loc[wrong, 'grad_norm'].median():.4f}",
        "median GN right": f"{df.loc[~wrong, 'grad_norm'].median():.4f}",
        "confidently wrong (p_y < 0.1)": f"{sure_wrong.mean():.3f}",
        "median GN confidently wrong": f"{df.loc[sure_wrong, 'grad_norm'].median():.4f}",
        "Spearman(GN, loss)": f"{spearmanr(df['grad_norm'], df['loss']).statistic:.3f}",
        "wrong among 10% smallest GN": f"{wrong[low].mean():.3f}",
        "of them non-members": f"{(~member[low & wrong]).mean():.3f}",
        "GN Orig AUC": f"{np.mean(auc):.3f}",
    }


def main(results: str, datasets: list[str], out: list[str]) -> None:
    from diffcal.reporting.docsync import write_generated

    table = pd.DataFrame([summary(Path(results), d) for d in datasets]).set_index("dataset")
    text = "# The gradient norm under the two heads\n\n```\n" + table.T.to_string() + "\n```\n"
    write_generated(out, text, table.reset_index())


if __name__ == "__main__":
    from diffcal.reporting.docsync import split_out

    args, out = split_out(sys.argv[1:])
    if len(args) < 2:
        sys.exit(__doc__)
    main(args[0], args[1:], out)
