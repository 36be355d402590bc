"""The walkthroughs of docs/audit.md run as documented: the example script, then
Snakemake on the config; the results recompute from the published files."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import (
    REPO,
    copy_workflow,
    planned_jobs,
    snakemake,
    write_walkthrough_files,
)
from sklearn.metrics import roc_auc_score


def check_report_in_a_browser(html: Path) -> None:
    """Headless Chromium opens the report as a person would: every figure loaded
    (the page counts its loaded images), the tables are there, a screenshot is
    taken next to the report."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("DIFFCAL_REQUIRE_BROWSER"):
            raise AssertionError("chromium is not installed (.ci/run installs Debian's)")
        pytest.skip("chromium not installed")
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run(
        [*args, "--dump-dom", html.resolve().as_uri()],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    body = re.search(r"<body[^>]*>", dom).group(0)
    wanted = re.search(r'data-images="(\d+)"', body).group(1)
    assert int(wanted) >= 1 and f'data-images-loaded="{wanted}"' in body, body
    assert dom.count("<table") >= 3 and "Members most at risk" in dom
    # every section of the markdown report is rendered, each with its tables
    md = html.with_name("report.md").read_text()
    headings = re.findall(r"^## (.+)$", md, re.M)
    assert {
        "Target",
        "Attacks",
        "Privacy: a lower bound on epsilon",
        "How stable the ranking is",
    } <= set(headings)
    rendered = [
        re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h2[^>]*>(.*?)</h2>", dom, re.S)
    ]
    assert rendered == [unescape(h) for h in headings]
    assert dom.count("<table") == len(re.findall(r"^\|[-|: ]+\|$", md, re.M))
    shot = html.with_name("screenshot.png")
    page = html.resolve().as_uri()
    subprocess.run(
        [*args, f"--screenshot={shot}", "--window-size=1200,2400", page],
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one


def test_scores_walkthrough_runs_as_documented(tmp_path):
    """Walkthrough (c): the example script's scores audited without torch; the
    report's calibrated-loss AUC recomputes from the user's own CSV files."""
    wd = copy_workflow(tmp_path / "wd")
    write_walkthrough_files(wd, only="audit_scores")
    cfg = ("--configfile", "config/audit_scores.yaml")
    snakemake(wd, "all", "--cores", "2", *cfg)
    out = wd / "results/audit/gbm"
    target = pd.read_csv(wd / "resources/audit/gbm_target.csv")
    refs = [pd.read_csv(p) for p in sorted((wd / "resources/audit").glob("gbm_ref*.csv"))]
    members = set(np.loadtxt(wd / "resources/audit/gbm_members.txt", dtype=int))
    audited = ~target["population"].to_numpy()
    member = target["sample_id"].isin(members).to_numpy()[audited]
    ref_mean = np.mean([r["loss"].to_numpy() for r in refs], axis=0)
    cal = -(target["loss"].to_numpy() - ref_mean)[audited]
    met = pd.read_csv(out / "metrics.csv").set_index(["attack", "metric"])
    assert met.loc[("loss_cal", "auc"), "value"] == pytest.approx(roc_auc_score(member, cal))
    risk = pd.read_parquet(out / "risk.parquet")
    assert set(risk["sample_id"]) == members  # the user's ids
    check_report_in_a_browser(out / "report.html")
    assert planned_jobs(wd, *cfg) == []
    _notebook_api_gives_the_workflows_audit(wd, out)


def _notebook_api_gives_the_workflows_audit(wd, out):
    """docs/audit.md's notebook example, run as written from the walkthrough's
    directory: the workflow's metrics (every value and interval) and risk table,
    exactly; its own report renders in the browser too."""
    doc = (REPO / "docs/audit.md").read_text()
    code = doc.split("<!-- notebook example -->\n```python\n", 1)[1].split("```", 1)[0]
    cwd = os.getcwd()
    try:
        os.chdir(wd)
        exec(compile(code, "docs/audit.md", "exec"), {})
    finally:
        os.chdir(cwd)
    got = wd / "results/notebook/gbm"
    pd.testing.assert_frame_equal(
        pd.read_csv(got / "metrics.csv"), pd.read_csv(out / "metrics.csv")
    )
    want_risk = pd.read_parquet(out / "risk.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(got / "risk.parquet"), want_risk)
    check_report_in_a_browser(got / "report.html")
