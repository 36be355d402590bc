"""Tables: aggregation, formatting and the comparison with the paper's numbers."""

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

from diffcal.reporting import paper
from diffcal.reporting.labels import column_label
from diffcal.reporting.paper_comparison import compare_with_paper
from diffcal.reporting.tables import fmt, mean_std, summarise


def test_fmt_and_mean_std():
    assert fmt(0.61234, 0.0123) == "0.612 ± 0.012"
    assert fmt(0.5, float("nan")) == "0.500"
    assert fmt(float("inf"), float("nan")) == "inf" and fmt(float("nan"), 0.1) == "n/a"
    mean, std, n = mean_std(pd.Series([0.5, 0.6, 0.7]))
    assert (mean, n) == (pytest.approx(0.6), 3)
    assert std == pytest.approx(np.std([0.5, 0.6, 0.7], ddof=1))
    assert column_label("loss_calf") == "Loss Cal-F" and column_label("gap") == "Gap"


def test_paper_tables_transcribed():
    t2, t3 = paper.table2_auc(), paper.table3_acc()
    assert t2.shape == t3.shape == (9, 10)
    # spot checks against the paper's text: Credit's calibrated loss AUC is the
    # "increase can exceed 0.10" example; MNIST's calibrated loss accuracy is bold
    assert t2.loc["Credit", "loss_cal"] - t2.loc["Credit", "loss_orig"] > 0.10
    assert t3.loc["MNIST", "loss_cal"] == t3.loc["MNIST"].max() == 0.513
    assert paper.table1().loc["Adult", "test_acc"] == 0.842
    assert paper.std_bound("auc", "Hep.") == 0.034 and paper.std_bound("acc", "Adult") == 0.005


def test_compare_with_paper_flags_cells_outside_both_stds():
    per_split = pd.DataFrame(
        {
            "dataset": "credit",
            "variant": "plain",
            "label": "Credit",
            "attack": ["loss_orig"] * 3 + ["loss_cal"] * 3,
            "auc": [0.54, 0.55, 0.53, 0.70, 0.71, 0.72],
            "acc": [0.6, 0.6, 0.6, 0.6, 0.6, 0.6],
        }
    )
    summary = summarise(per_split, ["auc", "acc"], ["dataset", "variant", "label", "attack"])
    acc = summarise(
        pd.DataFrame(
            {
                "dataset": ["credit"] * 2,
                "variant": "plain",
                "label": "Credit",
                "train_acc": [0.92, 0.93],
                "test_acc": [0.75, 0.76],
            }
        ),
        ["train_acc", "test_acc"],
        ["dataset", "variant", "label"],
    )
    cmp = compare_with_paper(acc, summary, {"Credit": "Credit"}, ["loss_orig", "loss_cal"])
    cell = cmp.set_index(["table", "column"])
    assert cell.loc[("Table 2", "Loss Orig"), "paper"] == 0.542
    assert not cell.loc[("Table 2", "Loss Orig"), "outside"]  # 0.540 vs 0.542
    assert cell.loc[("Table 2", "Loss Cal"), "outside"]  # 0.710 vs 0.648, std 0.01
    assert cell.loc[("Table 2", "Loss Cal"), "diff"] == pytest.approx(0.710 - 0.648)
    assert cell.loc[("Table 1", "test_acc"), "paper"] == 0.751


def test_table4_label_only_rows_and_comparison(tmp_path):
    """Table 4 holds only the datasets that ran the label-only attack, and the
    comparison pairs boundary_<cal> AUC / accuracy with the paper's Table 4."""
    from diffcal.reporting.tables import write_table4

    per_split = pd.DataFrame(
        {
            "dataset": ["credit"] * 6 + ["mnist"] * 2,
            "variant": "plain",
            "label": ["Credit"] * 6 + ["MNIST"] * 2,
            "attack": ["boundary_orig", "boundary_cal", "boundary_calf"] * 2 + ["loss_orig"] * 2,
            "auc": [0.55, 0.64, 0.60, 0.57, 0.66, 0.58, 0.51, 0.52],
            "acc": [0.60, 0.62, 0.63, 0.62, 0.62, 0.65, 0.50, 0.50],
            "n_members": [250] * 8,
        }
    )
    summary = summarise(
        per_split, ["auc", "acc", "n_members"], ["dataset", "variant", "label", "attack"]
    )
    write_table4(summary, str(tmp_path / "t4"))
    md = (tmp_path / "t4.md").read_text()
    assert "| Credit | 0.560 ± 0.014 | 0.650 ± 0.014 | 0.590 ± 0.014 |" in md
    assert "MNIST" not in md and "Credit 250" in md
    acc = summarise(
        pd.DataFrame(
            {
                "dataset": ["credit"] * 2,
                "variant": "plain",
                "label": "Credit",
                "train_acc": [0.92, 0.93],
                "test_acc": [0.75, 0.76],
            }
        ),
        ["train_acc", "test_acc"],
        ["dataset", "variant", "label"],
    )
    cmp = compare_with_paper(acc, summary, {"Credit": "Credit"}, []).set_index(["table", "column"])
    assert cmp.loc[("Table 4", "AUC Boundary Cal"), "paper"] == 0.640
    assert cmp.loc[("Table 4", "Acc. Boundary Cal-F"), "paper"] == 0.638
    assert cmp.loc[("Table 4", "AUC Boundary Orig"), "ours_mean"] == pytest.approx(0.56)
    assert len(cmp.loc["Table 4"]) == 6


def test_empty_table4_says_why(tmp_path):
    from diffcal.reporting.tables import write_table4

    per_split = pd.DataFrame(
        {
            "dataset": "x",
            "variant": "plain",
            "label": "X",
            "attack": ["loss_orig"] * 2,
            "auc": [0.5, 0.6],
        }
    )
    write_table4(
        summarise(per_split, ["auc"], ["dataset", "variant", "label", "attack"]),
        str(tmp_path / "t4"),
    )
    text = (tmp_path / "t4.md").read_text()
    assert "No dataset in this config runs the label-only attack" in text


def test_every_generated_block_in_the_docs_equals_its_file():
    """docs/*.md quote generated files (copies of a run's results) between
    BEGIN/END generated markers; `python -m diffcal.reporting.docsync check` is the command."""
    from diffcal.reporting import docsync

    root = REPO
    docs = sorted((root / "docs").glob("*.md"))
    quoted = [p for d in docs for p, _ in docsync.blocks(d.read_text())]
    assert "docs/reproduction/paper/table2_auc.md" in quoted
    assert "docs/reproduction/paper_fidelity/comparison_counts.md" in quoted
    for d in [*docs, root / "README.md"]:
        assert docsync.stale_blocks(d, root) == [], d
        assert docsync.missing_images(d) == [], d
        assert docsync.stale_values(d, root) == [], d


def test_a_prose_number_changed_by_hand_fails_the_docs_check(tmp_path, monkeypatch, capsys):
    """A number between value markers must equal its CSV cell (one row, or the
    max / min of the rows the filters keep, scaled, formatted); write fills it in."""
    from diffcal.reporting import docsync

    (tmp_path / "r.csv").write_text(
        "variant,attack,eps,tpr\neps1,a,0.0104,0.0123\neps10,a,0.0351,0.02\nplain,a,inf,0.3\n"
    )
    one = "<!-- value: r.csv variant=eps10 attack=a eps .3f -->"
    top = "<!-- value: r.csv eps!=inf max:eps .2f -->"
    pct = "<!-- value: r.csv variant=eps1 tpr*100 .1f -->"
    doc = tmp_path / "doc.md"
    doc.write_text(
        f"bound {one}0.035<!-- /value -->, at most {top}0.04<!-- /value -->, "
        f"{pct}1.2<!-- /value -->%\n"
    )
    assert docsync.stale_values(doc, tmp_path) == []
    doc.write_text(doc.read_text().replace("0.035<", "0.036<"))  # changed by hand
    (bad,) = docsync.stale_values(doc, tmp_path)
    assert "'0.036'" in bad and "'0.035'" in bad
    monkeypatch.chdir(tmp_path)  # the command reads paths from the working directory
    assert docsync.main(["check", "doc.md"]) == 1
    assert "the text says '0.036'" in capsys.readouterr().out
    assert docsync.refresh_values(doc, tmp_path) == 3
    assert docsync.stale_values(doc, tmp_path) == []
    doc.write_text("<!-- value: r.csv attack=a eps .3f -->x<!-- /value -->")
    with pytest.raises(ValueError, match="keep 3 rows"):
        docsync.stale_values(doc, tmp_path)


def test_docsync_finds_a_stale_block_and_refreshes_it(tmp_path):
    from diffcal.reporting import docsync

    (tmp_path / "t.md").write_text("# Table\n\n| a |\n|---|\n| 1 |\n")
    doc = tmp_path / "doc.md"
    doc.write_text(
        "intro\n<!-- BEGIN generated: t.md -->\n| a |\n|---|\n| 2 |\n"
        "<!-- END generated -->\nafter\n"
    )
    assert docsync.stale_blocks(doc, tmp_path) == ["t.md"]
    assert docsync.refresh(doc, tmp_path) == 1
    assert docsync.stale_blocks(doc, tmp_path) == []
    assert doc.read_text() == (
        "intro\n<!-- BEGIN generated: t.md -->\n| a |\n|---|\n| 1 |\n"
        "<!-- END generated -->\nafter\n"
    )
    run, copy = tmp_path / "run", tmp_path / "copy"
    run.mkdir(), copy.mkdir()
    (run / "x.csv").write_text("a\n1\n"), (copy / "x.csv").write_text("a\n1\n")
    assert docsync.differing_files(run, copy) == []
    (copy / "x.csv").write_text("a\n2\n")
    assert docsync.differing_files(run, copy) == ["x.csv"]
    # sub-folders (the figures' <dataset>/<variant>/ PNGs) are compared too
    (run / "d/plain").mkdir(parents=True), (copy / "d/plain").mkdir(parents=True)
    (
        (run / "d/plain/f.png").write_bytes(b"\x89PNG1"),
        (copy / "d/plain/f.png").write_bytes(b"\x89PNG2"),
    )
    assert docsync.differing_files(run, copy) == ["d/plain/f.png", "x.csv"]
    # image links must resolve (relative to the document)
    doc.write_text("![fig](copy/d/plain/f.png) ![gone](copy/d/none.png)\n")
    assert docsync.missing_images(doc) == ["copy/d/none.png"]


@pytest.mark.parametrize(
    "script, quoted",
    [
        ("hypotheses.py", "hypotheses/summary.md"),
        ("tau_protocol.py", "tau_protocol.md"),
        ("record_summary.py", "record_summary.md"),
    ],
)
def test_quoted_summary_is_what_its_script_writes(tmp_path, script, quoted):
    """The summaries docs/reproduction.md quotes (docs/reproduction/<quoted>) are the
    output of docs/checks/<script> on the committed CSVs."""
    import runpy
    import sys

    out = tmp_path / "summary.md"
    argv, sys.argv = sys.argv, [script, str(out)]
    try:
        runpy.run_path(str(REPO / "docs/checks" / script), run_name="__main__")
    finally:
        sys.argv = argv
    assert out.read_text() == (REPO / "docs/reproduction" / quoted).read_text()
    csv = (REPO / "docs/reproduction" / quoted).with_suffix(".csv")
    assert out.with_suffix(".csv").read_text() == csv.read_text()


def test_docsync_quotes_one_section_of_a_file(tmp_path):
    from diffcal.reporting import docsync

    (tmp_path / "r.md").write_text(
        "# R\n\n## The paper's claims\n\n| a |\n|---|\n| 1 |\n\n"
        "### detail\n\nx\n\n## Figures\n\ny\n"
    )
    doc = tmp_path / "doc.md"
    doc.write_text(
        "<!-- BEGIN generated: r.md#The-paper's-claims -->\n"
        "| a |\n|---|\n| 2 |\n<!-- END generated -->\n"
    )
    assert docsync.stale_blocks(doc, tmp_path) == ["r.md#The-paper's-claims"]
    assert docsync.refresh(doc, tmp_path) == 1
    body = docsync.blocks(doc.read_text())[0][1]
    assert body == "| a |\n|---|\n| 1 |\n\n### detail\n\nx\n"  # up to the next "## ", not "### "
    assert docsync.stale_blocks(doc, tmp_path) == []
    doc.write_text("<!-- BEGIN generated: r.md#Nothing -->\n<!-- END generated -->\n")
    assert docsync.stale_blocks(doc, tmp_path) == ["r.md#Nothing"]


def test_value_markers_take_quoted_filters_and_count_rows(tmp_path):
    from diffcal.reporting import docsync

    (tmp_path / "c.csv").write_text(
        'table,label,verdict,diff\nTable 2,"Credit (OpenML, softmax)",holds,-0.02449\n'
        "Table 2,Adult,holds,0.01\nTable 3,Adult,inconclusive,0.2\n"
    )
    spec = 'c.csv "table=Table 2" "label=Credit (OpenML, softmax)" diff +.3f'
    assert docsync.value_of(spec, tmp_path) == "-0.024"
    assert docsync.value_of("c.csv verdict=holds count:verdict d", tmp_path) == "2"
    assert docsync.value_of('c.csv "table=Table 4" count:verdict d', tmp_path) == "0"
