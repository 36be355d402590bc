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
