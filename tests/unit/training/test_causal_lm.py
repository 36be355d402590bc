"""Causal LMs: per-token scores against a per-document loop; causality; memorising."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from diffcal.attacks.lm_scores import loss_score
from diffcal.core.seeds import torch_generator
from diffcal.training.causal_lm import (
    ByteTokenizer,
    TinyCausalLM,
    encode,
    fine_tune,
    length_batches,
    next_token_moments,
    scored_texts,
    token_scores,
)

DOCS = ["hello world", "ab", "the quick brown fox jumps", "é!", "zzzzzzzzzzzzzzzzzzzz"]


def _model(seed=0, context=16, dim=16):
    torch.manual_seed(seed)
    return TinyCausalLM(context=context, dim=dim, layers=1, heads=2)


def test_token_scores_match_a_per_document_loop():
    model = _model()
    enc = encode(DOCS, ByteTokenizer(), context=16)
    got = token_scores(model, enc, batch_size=2)  # padded batches
    assert enc.truncated == 2 and enc.lengths.tolist() == [12, 3, 16, 4, 16]
    assert len(got["logp"]) == int((enc.lengths - 1).sum())
    for d, length in enumerate(enc.lengths):
        ids = torch.as_tensor(enc.ids[d : d + 1, :length])  # this document alone, unpadded
        with torch.no_grad():
            lp = torch.log_softmax(model(ids[:, :-1]).double(), -1)[0]
        rows = got["doc"] == d
        assert got["position"][rows].tolist() == list(range(1, length))
        assert got["token"][rows].tolist() == enc.ids[d, 1:length].tolist()
        want = lp.gather(-1, ids[0, 1:, None]).squeeze(-1).numpy()
        np.testing.assert_allclose(got["logp"][rows], want, rtol=1e-5, atol=1e-6)
        p = lp.exp().numpy()
        mu = (p * lp.numpy()).sum(-1)
        np.testing.assert_allclose(got["mu"][rows], mu, rtol=1e-5, atol=1e-6)
        var = sum(p[:, v] * (lp.numpy()[:, v] - mu) ** 2 for v in range(p.shape[1]))
        np.testing.assert_allclose(got["var"][rows], var, rtol=1e-4, atol=1e-6)


def test_later_tokens_do_not_change_earlier_scores():
    model = _model(1)
    a = token_scores(model, encode(["abcdefgh"], ByteTokenizer(), 16))
    b = token_scores(model, encode(["abcdXYZW"], ByteTokenizer(), 16))
    np.testing.assert_allclose(a["logp"][:4], b["logp"][:4], rtol=1e-6)
    assert not np.allclose(a["logp"][4:], b["logp"][4:])


def test_encode_says_what_it_cannot_take():
    with pytest.raises(ValueError, match="corpus is empty"):
        encode([], ByteTokenizer(), 16)

    class Empty:
        def encode(self, text):
            return [1]

    with pytest.raises(ValueError, match=r"documents \[0\] encode to fewer than 2 tokens"):
        encode(["x"], Empty(), 16)


def test_fine_tuning_memorises_members_and_is_seeded():
    rng = np.random.default_rng(0)
    docs = ["".join(rng.choice(list("abcdefgh"), size=14)) for _ in range(40)]
    enc = encode(docs, ByteTokenizer(), context=16)
    members = np.arange(40) < 20
    runs = []
    for _ in range(2):
        model = _model(2, dim=64)
        member_enc = encode(
            [d for d, m in zip(docs, members, strict=True) if m], ByteTokenizer(), 16
        )
        losses = fine_tune(model, member_enc, epochs=30, lr=3e-3, batch_size=8, seed=3)
        runs.append(token_scores(model, enc))
    assert losses[-1] < losses[0]
    np.testing.assert_array_equal(runs[0]["logp"], runs[1]["logp"])
    score = loss_score(runs[0]["doc"], runs[0]["logp"], 40)
    assert roc_auc_score(members, score) > 0.9  # higher score = member


def test_next_token_moments_closed_forms():
    vocab = 5
    uniform = np.full((2, vocab), -np.log(vocab))
    mu, var = next_token_moments(torch.as_tensor(uniform))
    np.testing.assert_allclose(mu, -np.log(vocab))
    np.testing.assert_allclose(var, 0.0, atol=1e-12)
    p = 0.3
    two = np.log(np.array([[p, 1 - p]]))
    mu, var = next_token_moments(torch.as_tensor(two))
    np.testing.assert_allclose(mu, p * np.log(p) + (1 - p) * np.log(1 - p))
    np.testing.assert_allclose(var, p * (1 - p) * (np.log(p) - np.log(1 - p)) ** 2)


def test_length_batches_cover_every_document_once_in_similar_lengths():
    lengths = np.random.default_rng(0).integers(2, 200, size=1000)
    batches = length_batches(lengths, 16, torch_generator(3))
    assert sorted(np.concatenate(batches).tolist()) == list(range(1000))
    again = length_batches(lengths, 16, torch_generator(3))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))
    # padding: a batch is as wide as its longest document
    padded = sum(len(b) * lengths[b].max() for b in batches)
    in_order = np.array_split(np.arange(1000), 63)  # unsorted batches of 16, for comparison
    assert padded < 0.65 * sum(len(b) * lengths[b].max() for b in in_order)
    assert padded < 1.1 * lengths.sum()


def test_scored_texts_are_what_the_context_keeps():
    import zlib

    texts = ["abcabcabcabc", "héllo wörld"]
    got = scored_texts(texts, ByteTokenizer(), context=6)  # start token + 5 bytes
    assert got == ["abcab", "héll"]  # "é" is 2 bytes: h, é, l, l
    assert scored_texts(texts, ByteTokenizer(), context=64) == texts
    assert len(zlib.compress(got[0].encode())) == len(zlib.compress(b"abcab"))
