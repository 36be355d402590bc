"""Ablations (paper section 4.3): the maths against independent oracles, DP-SGD's
privacy accounting, and the workflow's guarantees (the ratio sweep and the K
curve retrain nothing, a targets_from variant trains no target)."""

from __future__ import annotations

ABL_TINY = "tests/data/ablations_tiny.yaml"


def test_reference_variant_shares_only_identical_reference_models():
    from diffcal.config.load import load_config
    from diffcal.config.views import reference_variant

    cfg = load_config("config/ablations.yaml")
    for eps in ("eps1", "eps10", "eps100", "eps1000"):
        assert reference_variant(cfg, "adult", eps) == "plain"
        assert reference_variant(cfg, "mnist", eps) == "n1000"  # the same 1,000 members
    for v in ("plain", "n250", "k10_s10"):
        assert reference_variant(cfg, "adult", v) == v
    variants = cfg["datasets"]["adult"]["variants"]
    variants["eps1"]["dp"]["references"] = "private"  # DP references: its own
    variants["eps10"]["train"] = {"epochs": 5}  # another recipe: its own
    variants["eps100"]["references"] = {"scratch": 2}  # other references: its own
    variants["eps1000"]["targets_from"] = "plain"  # shadow from plain already
    for eps in ("eps1", "eps10", "eps100", "eps1000"):
        assert reference_variant(cfg, "adult", eps) == eps
