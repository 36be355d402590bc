"""The audit report of one dataset: ``report.md`` and ``report.html`` with the same
content (one list of blocks rendered twice), and its log-log ROC figure.

HTML is written here rather than converted from Markdown: no Markdown library is a
dependency, and the report's structure (headings, paragraphs, tables from frames,
one figure) is small. The page counts its loaded images into ``data-images-loaded``
on ``<body>`` so a headless browser can check that every figure loaded.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from diffcal.attacks import metrics
from diffcal.reporting.labels import column_label
from diffcal.reporting.tables import markdown_rows

# Blocks: ("h1" | "h2" | "p", text), ("table", DataFrame), ("img", (path, alt)).
Block = tuple[str, object]


def attack_label(name: str) -> str:
    """``loss_cal`` -> ``Loss Cal``; ``loss_cal - loss_orig`` -> ``Loss Cal - Loss Orig``."""
    if " - " in name:
        return " - ".join(attack_label(p) for p in name.split(" - "))
    return column_label(name)


def interval_cell(value: float, low: float, high: float, digits: int = 3) -> str:
    """``0.612 [0.580, 0.640]``; a bare value when the interval is undefined."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def metrics_table(summary: pd.DataFrame, metric_labels: Mapping[str, str]) -> pd.DataFrame:
    """Wide table: one row per attack (in ``summary``'s order), one column per metric
    of ``metric_labels``, cells "value [low, high]"."""
    rows = {}
    for att in dict.fromkeys(summary["attack"]):
        part = summary[summary["attack"] == att].set_index("metric")
        rows[attack_label(att)] = [
            interval_cell(*part.loc[m, ["value", "low", "high"]]) if m in part.index else ""
            for m in metric_labels
        ]
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(metric_labels.values()))
    out.index.name = "Attack"
    return out


def roc_figure(
    is_member: np.ndarray, scores: Mapping[str, np.ndarray], png: str, pdf: str, title: str
) -> None:
    """Log-log ROC (the low-FPR region the report's TPR columns read) of each attack
    on one split; the diagonal is a random guess. The smallest FPR drawn is
    1 / (number of non-members)."""
    from diffcal.reporting.plotting import pyplot, savefig

    plt = pyplot(theme=False)
    n_non = int((~np.asarray(is_member, bool)).sum())
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    floor = 1.0 / max(n_non, 1)
    for name, s in scores.items():
        fpr, tpr = metrics.roc_points(is_member, s)
        keep = fpr > 0
        ax.plot(fpr[keep], np.maximum(tpr[keep], floor / 10), label=attack_label(name), lw=1.2)
    ax.plot([floor, 1], [floor, 1], "k--", lw=0.8, label="Random guess")
    ax.set(
        xscale="log",
        yscale="log",
        xlim=(floor, 1),
        ylim=(floor / 10, 1.05),
        xlabel="False-positive rate",
        ylabel="True-positive rate",
    )
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    savefig(fig, png, pdf)
    plt.close(fig)


def to_markdown(blocks: Sequence[Block]) -> str:
    out = []
    for kind, body in blocks:
        if kind == "h1":
            out += [f"# {body}", ""]
        elif kind == "h2":
            out += [f"## {body}", ""]
        elif kind == "p":
            out += [str(body), ""]
        elif kind == "table":
            out += [*markdown_rows(body), ""]
        elif kind == "img":
            path, alt = body
            out += [f"![{alt}]({path})", ""]
    return "\n".join(out)


_STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:0.5em 0 1.5em}"
    "th,td{border:1px solid #bbb;padding:0.25em 0.6em;text-align:right}"
    "th:first-child,td:first-child{text-align:left}img{max-width:100%}"
)
_COUNT_IMAGES = (
    "<script>window.addEventListener('load',function(){var n=0;"
    "document.querySelectorAll('img').forEach(function(i){"
    "if(i.complete&&i.naturalWidth>0){n+=1}});"
    "document.body.setAttribute('data-images-loaded',String(n));});</script>"
)


def _html_table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in [df.index.name or "", *df.columns])
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in [idx, *row]) + "</tr>"
        for idx, row in zip(df.index, df.itertuples(index=False), strict=True)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def to_html(blocks: Sequence[Block], title: str) -> str:
    parts = []
    for kind, body in blocks:
        if kind in ("h1", "h2", "p"):
            parts.append(f"<{kind}>{html.escape(str(body))}</{kind}>")
        elif kind == "table":
            parts.append(_html_table(body))
        elif kind == "img":
            path, alt = body
            parts.append(f'<p><img src="{html.escape(path)}" alt="{html.escape(alt)}"></p>')
    n_img = sum(kind == "img" for kind, _ in blocks)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n"
        f'<body data-images="{n_img}">\n'
        + "\n".join(parts)
        + f"\n{_COUNT_IMAGES}\n</body></html>\n"
    )
