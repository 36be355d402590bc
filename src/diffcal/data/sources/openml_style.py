"""The paper's released code's tabular preprocessing, as an option of the Credit
and Hepatitis sources (``source_kwargs: {encoding: openml, rows: ...}``).

The released code (facebookresearch/calibration_membership, ``datasets/__init__.py``)
loads both sets with scikit-learn's ``fetch_openml`` (``credit-g``, ``hepatitis``),
whose array form codes every nominal attribute as its ordinal position in the
ARFF declaration, imputes missing cells with the column mean, divides every column
by its largest absolute value (max-abs scaling, fitted on all rows), encodes the
label with ``LabelEncoder`` (alphabetical classes) and then uses only the first
800 of 1,000 Credit rows and the first 124 of 155 Hepatitis rows.

No network is needed: the OpenML copies are the UCI files with named levels, so
the same codes follow from the UCI files here. ASSUMPTION (not checkable offline):
the ARFF files declare the nominal levels in the UCI documentation's order (for
Credit, ``german.doc``'s A11, A12, ...; for Hepatitis, 1 = no / male before 2 =
yes / female), and keep the UCI row order. Imputation and scaling are
scikit-learn's (``SimpleImputer``, ``MaxAbsScaler``), as in the released code; the
ordinal codes are a dictionary lookup, written here because ``fetch_openml``
needs the network.
"""

from __future__ import annotations

import numpy as np

#: Options of the ``encoding`` keyword of the Credit and Hepatitis sources.
ENCODINGS = ("onehot", "openml")


def check_options(encoding: str, rows: int | None, n: int) -> None:
    """Reject an unknown ``encoding`` or a ``rows`` outside ``1..n``."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding {encoding!r} is not one of {list(ENCODINGS)}")
    if rows is not None and not (isinstance(rows, int) and 1 <= rows <= n):
        raise ValueError(f"rows must be an integer in 1..{n} (the file's rows), got {rows!r}")


def mean_impute_maxabs(codes: np.ndarray) -> np.ndarray:
    """Mean-impute NaN cells per column, then divide each column by its largest
    absolute value (columns that are all 0 stay 0). Statistics over all rows.
    ``codes``: ``(n, d)`` float, NaN = missing -> ``(n, d)`` float32."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import MaxAbsScaler

    x = np.asarray(codes, dtype=np.float64)
    x = SimpleImputer(strategy="mean", keep_empty_features=True).fit_transform(x)
    return MaxAbsScaler().fit_transform(x).astype(np.float32)


def ordinal_codes(values: np.ndarray, levels: list[str]) -> np.ndarray:
    """Position of each value in the declared ``levels`` (``(n,)`` -> ``(n,)``
    float64); a value not declared is an error, not a silent new code."""
    index = {v: i for i, v in enumerate(levels)}
    unknown = sorted(set(values) - set(index))
    if unknown:
        raise ValueError(f"values {unknown} are not among the declared levels {levels}")
    return np.array([index[v] for v in values], dtype=np.float64)
