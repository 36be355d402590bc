"""Splits, subsets and seeds."""

import hashlib

import numpy as np
import pytest

from diffcal.core.seeds import derive_seed
from diffcal.data.splits import ROLES, ids_with_role, make_split, subsample


def test_derive_seed_is_stable_and_distinct():
    # Pinned: changing the derivation silently changes every published number.
    digest = hashlib.sha256(b"1/a/0").digest()
    assert derive_seed(1, "a", 0) == int.from_bytes(digest[:8], "little") & (2**63 - 1)
    assert derive_seed(1, "a", 0) == 175234595638905612
    seeds = {
        derive_seed(1, "d", t, role, k)
        for t in range(3)
        for role in ("target", "shadow", "scratch")
        for k in range(3)
    }
    assert len(seeds) == 27
    assert all(0 <= s < 2**63 for s in seeds)


def test_split_roles_partition_and_sizes():
    df = make_split(1000, seed=3)
    assert df["sample_id"].tolist() == list(range(1000))
    counts = df["role"].value_counts().to_dict()
    assert counts == {
        "member": 250,
        "nonmember": 250,
        "reference": 250,
        "shadow_in": 125,
        "shadow_out": 125,
    }
    assert set(df["role"]) == set(ROLES)


def test_split_is_deterministic_and_seed_dependent():
    a, b, c = make_split(300, seed=1), make_split(300, seed=1), make_split(300, seed=2)
    assert a.equals(b)
    assert not a["role"].equals(c["role"])


def test_train_size_variant_keeps_balance():
    df = make_split(1000, seed=3, train_size=100)
    counts = df["role"].value_counts().to_dict()
    assert counts["member"] == counts["nonmember"] == 100
    # the attacker's models train on as many samples as the target
    assert counts["reference"] == counts["shadow_in"] == counts["shadow_out"] == 100
    assert counts["unused"] == 1000 - 5 * 100
    full = make_split(1000, seed=3)
    kept = df["role"] != "unused"
    assert (df["role"][kept] == full["role"][kept]).all()  # a subset of the full split
    big = make_split(1000, seed=3, train_size=200)["role"].value_counts()
    assert big["member"] == big["reference"] == 200 and big["shadow_in"] == 125
    with pytest.raises(ValueError, match="train_size=300 exceeds"):
        make_split(1000, seed=3, train_size=300)


def test_split_rejects_bad_fractions_and_tiny_data():
    with pytest.raises(ValueError, match="private_fraction"):
        make_split(100, seed=0, private_fraction=1.0)
    with pytest.raises(ValueError, match="too small"):
        make_split(6, seed=0)


def test_subsample_and_ids_with_role():
    df = make_split(200, seed=0)
    pool = ids_with_role(df, "reference")
    sub = subsample(pool, 20, seed=5)
    assert len(np.unique(sub)) == 20 and np.isin(sub, pool).all()
    np.testing.assert_array_equal(sub, subsample(pool, 20, seed=5))
    np.testing.assert_array_equal(subsample(pool, len(pool), seed=1), np.sort(pool))
    with pytest.raises(ValueError, match="cannot draw"):
        subsample(pool, len(pool) + 1, seed=0)


def test_parts_cover_every_split_once():
    from diffcal.config.views import part_of, parts
    from diffcal.data.splits import part_label, part_splits

    def cfg(t, per):
        return {"datasets": {"d": {"splits": t, "splits_per_job": per}}}

    assert parts(cfg(5, None), "d") == ["0-4"]
    assert parts(cfg(5, 1), "d") == ["0", "1", "2", "3", "4"]
    assert parts(cfg(5, 2), "d") == ["0-1", "2-3", "4"]
    assert parts(cfg(1, None), "d") == ["0"]
    for t in range(1, 8):
        for per in (None, 1, 2, 3, 10):
            labels = parts(cfg(t, per), "d")
            covered = [s for lab in labels for s in part_splits(lab)]
            assert covered == list(range(t))
            assert all(part_label(part_splits(lab)) == lab for lab in labels)
            assert all(s in part_splits(part_of(cfg(t, per), "d", s)) for s in range(t))
    with pytest.raises(ValueError, match="consecutive"):
        part_label([0, 2])
    with pytest.raises(ValueError, match="no split 5"):
        part_of(cfg(5, None), "d", 5)


def test_reference_stopping_samples_avoid_tau_samples():
    """``stop_on: reference``: a reference stops on the pool samples it did not train
    on, none of which choose tau; the default stops on the shadow's samples."""
    from diffcal.training.fit import reference_ids, val_ids

    sp = make_split(400, seed=1)
    train = reference_ids(sp, 0.8, seed=3)
    refs = {"early_stopping": True, "stop_on": "reference"}
    val = val_ids(sp, refs, train, "shadow_in", "shadow_out")
    pool = ids_with_role(sp, "reference")
    tau_samples = ids_with_role(sp, "shadow_in", "shadow_out")
    assert len(val) == len(pool) - len(train) > 0
    assert not np.isin(val, train).any() and np.isin(val, pool).all()
    assert not np.isin(val, tau_samples).any()
    default = val_ids(sp, {"early_stopping": True}, train, "shadow_in", "shadow_out")
    np.testing.assert_array_equal(default, tau_samples)
    assert val_ids(sp, {**refs, "early_stopping": False}, train, "shadow_in") is None
