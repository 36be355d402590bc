"""Model files hold only tensors and plain types, and anything else is refused."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from diffcal.training.model_files import ModelFileError, load_models, save_models
from diffcal.training.models import new_model


def _entries(spec):
    return [
        {
            "model": new_model(spec, seed=s),
            "seed": np.int64(s),
            "train_ids": np.arange(s, s + 5, dtype=np.int64),
            "train_acc": np.float64(0.5 + s / 10),
            "name": f"m{s}",
        }
        for s in range(2)
    ]


def test_round_trip_gives_back_numpy_ids_and_equal_weights(tmp_path):
    spec = {"arch": "mlp", "kwargs": {}, "input_shape": [6], "num_classes": 3}
    entries = _entries(spec)
    save_models(tmp_path / "m.pt", spec, entries)
    # the file itself loads with torch's safe loader (no pickled objects)
    raw = torch.load(tmp_path / "m.pt", weights_only=True)
    assert isinstance(raw["models"][0]["train_ids"], torch.Tensor)
    got_spec, got = load_models(tmp_path / "m.pt")
    assert got_spec == raw["spec"]
    for e, g in zip(entries, got, strict=True):
        assert isinstance(g["train_ids"], np.ndarray) and g["train_ids"].dtype == np.int64
        np.testing.assert_array_equal(g["train_ids"], e["train_ids"])
        assert g["seed"] == int(e["seed"]) and g["train_acc"] == float(e["train_acc"])
        for k, v in e["model"].state_dict().items():
            torch.testing.assert_close(g["model"].state_dict()[k], v, rtol=0, atol=0)


class _RunsCode:
    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_crafted_pickle_in_a_results_tree_is_refused_in_one_line(tmp_path):
    marker = tmp_path / "code_ran"
    evil = _RunsCode()
    evil.marker = marker
    path = tmp_path / "results" / "d" / "plain" / "split0" / "target.pt"
    path.parent.mkdir(parents=True)
    torch.save({"spec": {}, "models": [evil]}, path)
    with pytest.raises(ModelFileError) as err:
        load_models(path)
    msg = str(err.value)
    assert "\n" not in msg and str(path) in msg and "refused" in msg
    assert not marker.exists()


def test_a_tensor_file_that_is_not_a_model_file_is_named(tmp_path):
    torch.save({"weights": torch.zeros(2)}, tmp_path / "w.pt")
    with pytest.raises(ModelFileError, match="not a diffcal model file"):
        load_models(tmp_path / "w.pt")


def test_copy_models_refuses_a_file_trained_on_other_samples(tmp_path):
    from diffcal.training.model_files import ModelFileError, copy_models, save_models
    from diffcal.training.models import build_model

    spec = {"arch": "mlp", "input_shape": [4], "num_classes": 2, "kwargs": {}}
    entries = [
        {
            "split": t,
            "role": "shadow",
            "index": 0,
            "train_ids": np.arange(t, t + 5),
            "model": build_model("mlp", (4,), 2, seed=t),
        }
        for t in (0, 1)
    ]
    save_models(tmp_path / "a.pt", spec, entries)
    ok = {(0, 0): np.arange(0, 5), (1, 0): np.arange(1, 6)}
    copy_models(tmp_path / "a.pt", tmp_path / "b.pt", ok)
    assert (tmp_path / "b.pt").read_bytes() == (tmp_path / "a.pt").read_bytes()
    with pytest.raises(ModelFileError, match="other samples"):
        copy_models(tmp_path / "a.pt", tmp_path / "c.pt", {**ok, (1, 0): np.arange(2, 7)})
    with pytest.raises(ModelFileError, match="expected"):
        copy_models(tmp_path / "a.pt", tmp_path / "c.pt", {(0, 0): np.arange(0, 5)})
    assert not (tmp_path / "c.pt").exists()
