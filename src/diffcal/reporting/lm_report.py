"""A language-model audit from per-token files to its outputs: the flow both entry
points share (the workflow's own models, rule ``lm_attack``; per-token files
computed elsewhere, rule ``lm_audit_scores``), and the Markdown report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from diffcal.attacks.lm_audit import (
    attack_metrics,
    auc_gain,
    blind_baseline,
    blind_null,
    document_scores,
)
from diffcal.attacks.lm_scores import zlib_bytes
from diffcal.core.io import write_csv, write_parquet, write_text
from diffcal.data.sources.table import read_file

TOKEN_COLUMNS = ("doc", "position", "logp", "mu", "var")
#: Optional: the token's id; when target and reference both have it, it must agree.
TOKEN_ID = "token"


def read_tokens(path: str, docs: pd.Series, key: str) -> dict[str, np.ndarray]:
    """A per-token file (Parquet or CSV with ``TOKEN_COLUMNS``) with its ``doc`` ids
    mapped to positions in ``docs``; rows of other documents dropped. ValueError
    naming ``key`` on a missing column or an audited document without tokens."""
    t = read_file(Path(path))
    missing = [c for c in TOKEN_COLUMNS if c not in t.columns]
    if missing:
        raise ValueError(f"{key}: {path} lacks the columns {missing} (needs {list(TOKEN_COLUMNS)})")
    position = pd.Series(np.arange(len(docs)), index=docs.to_numpy())
    t = t[t["doc"].isin(position.index)]
    absent = sorted(set(position.index) - set(t["doc"]))
    if absent:
        raise ValueError(f"{key}: {path} has no tokens of documents {absent[:5]}")
    t = t.sort_values(["doc", "position"], kind="stable")
    out = {
        "doc": position[t["doc"]].to_numpy(np.int64),
        "position": t["position"].to_numpy(np.int64),
        **{k: t[k].to_numpy(np.float64) for k in ("logp", "mu", "var")},
    }
    if TOKEN_ID in t.columns:
        out[TOKEN_ID] = t[TOKEN_ID].to_numpy(np.int64)
    return out


def check_same_tokens(target: Mapping, ref: Mapping, key: str) -> None:
    """A reference must score the target's tokens: same (document, position) rows,
    and the same token ids where both files carry them. Different ones mean another
    tokenizer (or context), and eq. 5's difference would compare different things."""
    if np.array_equal(ref["doc"], target["doc"]) and np.array_equal(
        ref["position"], target["position"]
    ):
        if TOKEN_ID not in ref or TOKEN_ID not in target:
            return
        differ = np.flatnonzero(ref[TOKEN_ID] != target[TOKEN_ID])
        if len(differ) == 0:
            return
        raise ValueError(
            f"{key}: its token ids are not the target's ({len(differ)} of {len(ref[TOKEN_ID])} "
            f"differ, first in document {int(target['doc'][differ[0]])}): a different tokenizer?"
        )
    n_t = np.bincount(target["doc"], minlength=int(target["doc"].max()) + 1)
    n_r = np.bincount(ref["doc"], minlength=len(n_t))[: len(n_t)]
    first = int(np.flatnonzero(n_t != n_r)[0]) if np.any(n_t != n_r) else 0
    raise ValueError(
        f"{key}: its tokens are not the target's (document {first}: {n_r[first]} tokens "
        f"against {n_t[first]}): a different tokenizer or context?"
    )


def read_references(
    files: Mapping[str, str], docs: pd.Series, target: Mapping
) -> dict[str, dict[str, np.ndarray]]:
    """Config key -> the per-token arrays of its file (``files``: key -> path), each
    file read and checked against ``target`` (:func:`check_same_tokens`) once,
    however many keys name it (the workflow's public reference is also one of
    LiRA's)."""
    by_path: dict[str, dict[str, np.ndarray]] = {}
    out = {}
    for key, path in files.items():
        if path not in by_path:
            by_path[path] = read_tokens(path, docs, key)
            check_same_tokens(target, by_path[path], key)
        out[key] = by_path[path]
    return out


def run_audit(
    *,
    docs: pd.DataFrame,
    target: str,
    references: Mapping[str, str],
    out: Mapping[str, str],
    ks: Sequence[float],
    fpr_levels: Sequence[float],
    n_boot: int,
    seed: int,
    label: str,
    lira_references: Mapping[str, str] | None = None,
) -> None:
    """``docs``: the audited documents (``doc``, ``is_member``, optional ``text``: the
    zlib attack and the blind baseline need it; optional ``scored_text``: what the
    model scored of a document cut to its context, which zlib then compresses);
    ``target`` and ``references`` (name -> path): per-token files
    (:func:`read_tokens`), each reference on the target's tokens;
    ``lira_references`` likewise, the references of offline LiRA (none or 2 and
    more). Writes ``out``'s scores, metrics, gains, report."""
    target = read_tokens(target, docs["doc"], "target")
    keyed = {f"references.{r}": p for r, p in references.items()}
    keyed |= {f"lira_references.{r}": p for r, p in (lira_references or {}).items()}
    tokens = read_references(keyed, docs["doc"], target)
    references = {r: tokens[f"references.{r}"] for r in references}
    lira = {r: tokens[f"lira_references.{r}"] for r in lira_references or {}}
    is_member = docs["is_member"].to_numpy(bool)
    texts = docs["text"].tolist() if "text" in docs else None
    zipped = docs["scored_text"] if "scored_text" in docs else docs.get("text")
    compressed = zlib_bytes(zipped.tolist()) if zipped is not None else None
    scores = document_scores(target, references, len(docs), ks, compressed, list(lira.values()))
    null = None
    if texts is not None:
        scores["blind"] = blind_baseline(texts, is_member, seed=seed)
        null = blind_null(texts, is_member, seed=seed)
    metrics = attack_metrics(scores, is_member, fprs=fpr_levels, n_boot=n_boot, seed=seed)
    own = [c for c in scores.columns if "-cal:" not in c and c not in ("zlib", "blind")]
    own = [c for c in own if not c.startswith("lira")]
    pairs = [(f"{s}-cal:{r}", s) for s in own for r in references]
    pairs += [(c, "loss") for c in scores.columns if c.startswith("lira")]
    if texts is not None:
        pairs += [(f"loss-cal:{r}", "zlib") for r in references]
    gains = auc_gain(scores, is_member, pairs, n_boot=n_boot, seed=seed)
    doc = pd.DataFrame({"doc": docs["doc"].to_numpy(np.int64)})  # whatever file gave them
    frame = pd.concat([doc, scores], axis=1)
    frame.insert(1, "is_member", is_member)
    write_parquet(frame, out["scores"])
    write_csv(metrics, out["metrics"])
    write_csv(gains, out["gains"])
    audited = docs.reset_index(drop=True)
    text = report(label, metrics, gains, audited, scores, is_member, fpr_levels, null)
    write_text(out["report"], text)


def _cell(row: pd.Series, col: str) -> str:
    return f"{row[col]:.3f} [{row[col + '_low']:.3f}, {row[col + '_high']:.3f}]"


def report(label, metrics, gains, audited, scores, is_member, fpr_levels, null=None) -> str:
    """The audit's Markdown report: metrics, gains, the blind baseline (judged
    against ``null``, :func:`~diffcal.attacks.lm_audit.blind_null`), and the members
    the best calibrated attack ranks highest."""
    n_m, n_n = int(is_member.sum()), int((~is_member).sum())
    lines = [
        f"# Language-model audit: {label}",
        "",
        f"{n_m} members (the target fine-tuned on them), {n_n} non-members. Higher score = "
        "member. Intervals: 95 % percentile bootstrap over documents.",
        "",
        "| attack | AUC | " + " | ".join(f"TPR at {f:g} FPR" for f in fpr_levels) + " |",
        "|---|---|" + "---|" * len(fpr_levels),
    ]
    for _, r in metrics.iterrows():
        cells = [_cell(r, "auc"), *(_cell(r, f"tpr_at_fpr_{f:g}") for f in fpr_levels)]
        lines.append(f"| {r['attack']} | " + " | ".join(cells) + " |")
    if "lira" in set(metrics["attack"]):
        lines += [
            "",
            "lira: offline LiRA, the target's loss against a Gaussian fitted to the LiRA "
            "references' losses on the same document; lira_global: one variance pooled "
            "over documents.",
        ]
    lines += [
        "",
        "What calibration adds (AUC of the calibrated attack minus its baseline's, paired):",
        "",
    ]
    lines += ["| attack | baseline | AUC gain [95 %] |", "|---|---|---|"]
    lines += [
        f"| {g.attack} | {g.baseline} | {g.gain:+.3f} [{g.low:+.3f}, {g.high:+.3f}] |"
        for g in gains.itertuples()
    ]
    lines += _blind_lines(metrics, null)
    best = metrics[metrics["attack"].str.contains("-cal:")].sort_values("auc").iloc[-1]["attack"]
    top = scores[best].to_numpy().argsort()[::-1][:5]
    lines += [
        "",
        f"Documents {best} ranks highest:",
        "",
        "| doc | member | text |",
        "|---|---|---|",
    ]
    for i in top:
        text = "(no text)" if "text" not in audited else audited["text"][i]
        text = text.replace("\n", " ").replace("|", "/")[:80]
        lines.append(f"| {audited['doc'][i]} | {bool(is_member[i])} | {text} |")
    return "\n".join(lines) + "\n"


def _blind_lines(metrics: pd.DataFrame, null: np.ndarray | None) -> list[str]:
    """A shift that could pass for leakage raises the blind AUC: it is flagged when
    the observed AUC is above all but 5 % of the relabelled ones (one-sided
    permutation p-value, (1 + #null >= observed) / (1 + n))."""
    if "blind" not in set(metrics["attack"]):
        return ["", "No texts: the zlib attack and the blind baseline are left out."]
    blind = metrics.set_index("attack").loc["blind"]
    p = (1 + int((null >= blind["auc"]).sum())) / (1 + len(null))
    verdict = (
        "**members and non-members differ in their words (a distribution shift), so an "
        "attack's AUC is not all leakage**"
        if p < 0.05
        else "no sign of a shift in the words that could pass for leakage"
    )
    return [
        "",
        "Blind baseline (a bag-of-words classifier of member vs non-member text, trained "
        f"across folds, no model): AUC {_cell(blind, 'auc')}. The same classifier on "
        f"{len(null)} random relabellings of these documents: AUC {null.min():.3f} - "
        f"{null.max():.3f} (mean {null.mean():.3f}); one-sided permutation p = {p:.3f}: "
        f"{verdict}.",
    ]
