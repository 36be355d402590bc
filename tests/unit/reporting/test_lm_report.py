"""A reference must score the target's tokens: rows and, where both files carry
them, token ids; a mismatch names the reference in one line."""

import numpy as np
import pytest

from diffcal.reporting.lm_report import check_same_tokens


def _tokens(token):
    return {"doc": np.array([0, 0, 0, 1, 1]), "position": np.array([1, 2, 3, 1, 2]), "token": token}


def test_same_rows_and_ids_pass_and_other_ids_are_named():
    target = _tokens(np.array([5, 6, 7, 8, 9]))
    check_same_tokens(target, _tokens(np.array([5, 6, 7, 8, 9])), "references.base")
    without_ids = {k: v for k, v in target.items() if k != "token"}
    check_same_tokens(target, without_ids, "references.base")  # nothing to compare
    other = _tokens(np.array([5, 6, 7, 8, 4]))  # same lengths, another tokenizer's ids
    with pytest.raises(ValueError, match=r"^references.public: its token ids .*1 of 5 differ"):
        check_same_tokens(target, other, "references.public")


def test_other_rows_are_named():
    target = _tokens(np.array([5, 6, 7, 8, 9]))
    shorter = {k: v[:4] for k, v in target.items()}
    with pytest.raises(ValueError, match="references.base: its tokens are not the target's"):
        check_same_tokens(target, shorter, "references.base")


def _write(path, tokens):
    import pandas as pd

    cols = {"logp": -1.0 - 0.1 * np.arange(len(tokens["doc"])), "mu": -2.0, "var": 1.0}
    pd.DataFrame({**tokens, **cols}).to_parquet(path)
    return str(path)


def test_a_file_named_twice_is_read_once_and_a_lira_reference_is_named_as_one(tmp_path):
    import pandas as pd

    from diffcal.reporting.lm_report import read_references, run_audit

    docs = pd.Series([0, 1])
    target = _write(tmp_path / "t.parquet", _tokens(np.array([5, 6, 7, 8, 9])))
    public = _write(tmp_path / "p.parquet", _tokens(np.array([5, 6, 7, 8, 9])))
    t = {k: v for k, v in pd.read_parquet(target).items()}
    got = read_references({"references.public": public, "lira_references.public": public}, docs, t)
    assert got["references.public"] is got["lira_references.public"]
    other = _write(tmp_path / "o.parquet", _tokens(np.array([5, 6, 7, 8, 4])))
    frame = pd.DataFrame({"doc": [0, 1], "is_member": [True, False]})
    out = {k: str(tmp_path / f"{k}.out") for k in ("scores", "metrics", "gains", "report")}
    with pytest.raises(ValueError, match=r"^lira_references.other: its token ids"):
        run_audit(
            docs=frame,
            target=target,
            references={"public": public},
            lira_references={"public": public, "other": other},
            out=out,
            ks=[0.5],
            fpr_levels=[0.1],
            n_boot=10,
            seed=0,
            label="x",
        )
