"""Tests of the text data loader (xai_helpers.data.text) and the text methods (xai_helpers.text),
notebook 10."""

import gzip

import numpy as np
import pytest
import torch

from xai_helpers import evaluation as E
from xai_helpers import text as T
from xai_helpers.checkpoints import checkpoint_meta
from xai_helpers.data.text import (
    MAX_LEN,
    Vocabulary,
    load_reviews,
    load_valence_lexicon,
    read_reviews_file,
    tokenize,
)
from xai_helpers.models import SentimentTransformer, load_pretrained
from xai_helpers.plotting import plot_word_attributions


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return SentimentTransformer(
        ["good", "bad", "film", "the", "not", "so", "very", "is", "it", "."]
    ).eval()


@pytest.fixture(scope="module")
def trained():
    return load_pretrained("text_attention")


# ---------------------------------------------------------------- loader


def test_tokenize_and_errors():
    assert tokenize("Not BAD, isn't it?") == ["not", "bad", ",", "isn't", "it", "?"]
    with pytest.raises(ValueError, match="empty"):
        tokenize("   ")
    with pytest.raises(TypeError):
        tokenize(3)


def test_vocabulary_unknown_words_become_unk_and_long_sentences_are_refused():
    vocab = Vocabulary(["good"])
    assert vocab.encode("a good zzz").tolist() == [[1, 2, 1]]
    assert vocab.unknown(tokenize("a good zzz")) == ["a", "zzz"]
    with pytest.raises(ValueError, match="at most"):
        vocab.encode(" ".join(["good"] * (MAX_LEN + 1)))
    with pytest.raises(ValueError, match="empty"):
        vocab.encode([[]])
    with pytest.raises(ValueError):
        Vocabulary(["good", "good"])


def test_reviews_file_errors():
    with pytest.raises(ValueError, match="corrupt"):
        read_reviews_file(b"not gzip at all")
    with pytest.raises(ValueError, match="columns"):
        read_reviews_file(gzip.compress(b"a,b\n1,2\n"))
    with pytest.raises(ValueError, match="fresh"):
        read_reviews_file(gzip.compress(b"label,text,movie\nmeh,ok,M\n"))
    with pytest.raises(ValueError, match="corrupt"):
        load_valence_lexicon(b"\x1f\x8b broken")


def test_missing_corpus_gives_a_clear_error(monkeypatch):
    import xai_helpers.data.text as D

    def missing(name):
        raise FileNotFoundError(name)

    monkeypatch.setattr(D, "_read_bytes", missing)
    with pytest.raises(FileNotFoundError, match="reinstall"):
        D.load_reviews()


def test_reviews_are_split_by_movie():
    r = load_reviews()
    assert len(r.tokens_train) == 10192 and len(r.tokens_test) == 2616
    assert not set(r.movie_train) & set(r.movie_test)
    assert set(np.unique(r.y_train)) == {0, 1}
    assert max(map(len, r.tokens_train + r.tokens_test)) <= MAX_LEN


def test_lexicon_has_signed_ratings():
    lex = load_valence_lexicon()
    assert len(lex) == 7217 and lex["terrible"] < -2 < 2 < lex["wonderful"]


# ---------------------------------------------------------------- model and attributions


def test_log_odds_are_attention_weighted_votes(trained):
    ids = trained.vocab.encode(["a charming , funny film .", "dull and far too long"])
    alpha, votes = trained.attention_weights(ids), trained.token_scores(ids)
    with torch.no_grad():
        lo = T.log_odds(trained, ids, 1)
    assert torch.allclose((alpha * votes).sum(1), lo, atol=1e-5)
    assert torch.allclose(alpha.sum(1), torch.ones(2), atol=1e-6) and (alpha[1, 5:] == 0).all()


def test_model_refuses_bad_ids(net):
    with pytest.raises(TypeError):
        net(torch.zeros(1, 3))
    with pytest.raises(ValueError):
        net(torch.full((1, 3), 999))


def test_integrated_gradients_match_captum(trained):
    from captum.attr import LayerIntegratedGradients

    ids = trained.vocab.encode(["not the best film , but charming", "a dull , lifeless mess"])
    target = torch.tensor([1, 0])
    ours = T.integrated_gradients_text(trained, ids, target, n_steps=40)

    def forward(x, real):  # the mask comes from the real sentence, as in our path
        emb = trained.embedding(x)
        logits = trained.classifier(torch.einsum("nl,nld->nd", *_pool(trained, real, emb)))
        return logits

    def _pool(m, real, emb):
        h = m.states(real, inputs_embeds=emb)
        return m._alpha(h, real), h

    def log_odds_fn(x, real, t):
        out = forward(x, real)
        return torch.where(t == 1, out[:, 1] - out[:, 0], out[:, 0] - out[:, 1])

    lig = LayerIntegratedGradients(log_odds_fn, trained.embedding)
    theirs = lig.attribute(
        ids,
        baselines=torch.zeros_like(ids),
        additional_forward_args=(ids, target),
        n_steps=40,
        method="riemann_middle",
    ).sum(-1)
    assert torch.allclose(
        ours, theirs * (ids != 0), atol=1e-4
    )  # same Riemann sum, float32 rounding


def test_integrated_gradients_completeness(trained):
    ids = trained.vocab.encode(["a tender and surprising film"])
    _, gap = T.integrated_gradients_text(trained, ids, 1, n_steps=200, return_delta=True)
    assert gap.abs().max() < 1e-2


def test_grad_x_embedding_matches_captum(trained):
    from captum.attr import LayerGradientXActivation

    ids = trained.vocab.encode(["an awful , boring movie"])
    ours = T.grad_x_embedding(trained, ids, 0)
    lg = LayerGradientXActivation(lambda x: T.log_odds(trained, x, 0), trained.embedding)
    theirs = lg.attribute(ids).sum(-1)
    assert torch.allclose(ours, theirs, atol=1e-5)


def test_leave_one_out_by_hand(trained):
    tokens = tokenize("a slow but tender film")
    ids = trained.vocab.encode([tokens])
    with torch.no_grad():
        full = T.log_odds(trained, ids, 1).item()
        deleted = [
            T.log_odds(trained, trained.vocab.encode([tokens[:i] + tokens[i + 1 :]]), 1).item()
            for i in range(len(tokens))
        ]
        filled = [
            T.log_odds(
                trained, trained.vocab.encode([tokens[:i] + ["<unk>"] + tokens[i + 1 :]]), 1
            ).item()
            for i in range(len(tokens))
        ]
    assert np.allclose(
        T.leave_one_out(trained, ids, 1)[0].numpy(), full - np.array(deleted), atol=1e-5
    )
    assert np.allclose(
        T.leave_one_out(trained, ids, 1, fill=1)[0].numpy(), full - np.array(filled), atol=1e-5
    )


def test_leave_one_out_pads_and_single_words(net):
    ids = net.vocab.encode(["good film the", "bad"])
    attr = T.leave_one_out(net, ids, 1)
    assert attr.shape == (2, 3) and (attr[1, 1:] == 0).all()
    with pytest.raises(ValueError):
        T.leave_one_out(net, ids, 2)


def test_deletion_curve(trained):
    ids = trained.vocab.encode(["a dull , lifeless mess", "a great film"])
    attr = T.leave_one_out(trained, ids, 0)
    curve = T.word_deletion_curve(trained, ids, 0, attr, steps=2)
    with torch.no_grad():
        assert torch.allclose(curve[:, 0], T.log_odds(trained, ids, 0))
        # the first deletion removes the word leave-one-out ranks first: its fall is that word's
        # score
        top = attr.masked_fill(ids == 0, -float("inf")).max(1).values
        assert torch.allclose(curve[:, 0] - curve[:, 1], top, atol=1e-5)
    a = T.word_deletion_curve(trained, ids, 0, None, steps=2, seed=1)
    assert torch.equal(a, T.word_deletion_curve(trained, ids, 0, None, steps=2, seed=1))


def test_lime_text_is_seeded_and_finds_a_strong_word(trained):
    tokens = tokenize("the acting is wonderful")
    w = T.lime_text(trained, tokens, 1, n_samples=400, seed=0)
    assert np.array_equal(w, T.lime_text(trained, tokens, 1, n_samples=400, seed=0))
    loo = T.leave_one_out(trained, trained.vocab.encode([tokens]), 1, fill=1)[0].numpy()
    assert np.argmax(w) == np.argmax(loo)  # LIME removes words as <unk>, as this leave-one-out does


def test_permuted_attention_only_reorders_the_weights(trained):
    ids = trained.vocab.encode(["a charming , funny film .", "dull"])
    out, weights = T.permuted_attention(trained, ids, n_samples=4, return_weights=True)
    alpha = trained.attention_weights(ids)
    for w in weights:
        assert torch.allclose(w.sort(1).values, alpha.sort(1).values)
        assert (w[1, 1:] == 0).all()
    assert torch.allclose(
        out[1], T.log_odds(trained, ids[1:], 1).detach().expand(4)
    )  # one word: nothing to shuffle
    with torch.no_grad():  # the vote sum is the model's own output with those weights
        direct = torch.stack([T.log_odds(trained, ids, 1, attention=w) for w in weights], 1)
    assert torch.allclose(out, direct, atol=1e-5)


def test_batches_by_length_give_the_padded_results(trained):
    sents = ["a charming , funny film .", "dull", "the plot is thin , yet the acting is superb"]
    ids = trained.vocab.encode(sents)
    padded = torch.cat([ids, torch.zeros(3, 5, dtype=torch.long)], 1)  # extra trailing padding
    with torch.no_grad():
        ref = T.log_odds(trained, padded, [1, 0, 1])
    assert torch.allclose(T.log_odds(trained, padded, [1, 0, 1], batch_size=2), ref, atol=1e-5)
    ig = T.integrated_gradients_text(trained, ids.repeat(12, 1), 1, n_steps=8)  # > 32: grouped
    ig_one = T.integrated_gradients_text(trained, ids, 1, n_steps=8)
    assert torch.allclose(ig, ig_one.repeat(12, 1), atol=1e-5)
    sent, pos = np.array([2, 0, 2]), np.array([9, 1, 0])
    states = T.token_states_at(trained, padded, sent, pos, batch_size=1)
    full = T.collect_token_states(trained, padded)
    for layer in T.LAYERS:
        assert np.allclose(states[layer], full[layer][sent, pos].numpy(), atol=1e-5)


def test_adversarial_attention_keeps_the_output(trained):
    ids = trained.vocab.encode(
        ["not the best film of the year , but a charming one", "a dull , lifeless mess"]
    )
    adv, jsd = T.adversarial_attention(trained, ids, tolerance=0.1)
    with torch.no_grad():
        delta = (T.log_odds(trained, ids, 1, attention=adv) - T.log_odds(trained, ids, 1)).abs()
    assert (delta <= 0.1 + 1e-4).all(), "the tolerance is enforced, not only penalised"
    assert (jsd > 0.1).all() and (jsd <= np.log(2) + 1e-6).all()
    assert torch.allclose(E.jsd(adv, adv), torch.zeros(2), atol=1e-6)


def test_states_and_context_distances(trained):
    states = T.collect_token_states(trained, trained.vocab.encode(["good film"]))
    assert set(states) == set(T.LAYERS)
    d = T.context_distances(trained, ["good", "bad", "dull"])
    assert (
        np.allclose(d["embeddings"], 0)
        and np.allclose(d["blocks.1"][:, 0], 0)
        and (d["blocks.1"][:, 2] > 0).all()
    )


def test_token_states_at_keeps_the_order(trained):
    ids = trained.vocab.encode(["good film", "a bad one", "fine"])
    s, p = np.array([2, 0, 1]), np.array([0, 1, 1])
    got = T.token_states_at(trained, ids, s, p, batch_size=2)["blocks.0"]
    full = T.collect_token_states(trained, ids)["blocks.0"]
    assert np.allclose(got, full[s, p].numpy())


def test_probe_and_lexicon_helpers():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 4))
    assert abs(T.balanced_probe(X, (rng.random(100) < 0.5).astype(int), n_splits=5) - 0.5) < 0.15
    with pytest.raises(ValueError):
        T.balanced_probe(X, np.zeros(100, int))
    with pytest.raises(ValueError):
        T.lexicon_tokens([["x"]], {"good": 2.0}, Vocabulary(["good"]))
    held = T.word_split(np.array(["a", "b", "c", "a"]), seed=3)
    assert held[0] == held[3]


def test_plant_shortcut_marks_only_the_label():
    tokens = [["w"]] * 200
    y = np.r_[np.ones(100, int), np.zeros(100, int)]
    out = T.plant_shortcut(tokens, y, rate=0.5, seed=0)
    marked = np.array([t[-1] == T.SHORTCUT_TOKEN for t in out])
    assert not marked[y == 0].any() and 0.35 < marked[y == 1].mean() < 0.65
    long = [[f"w{k}" for k in range(9)]] * 2000
    y2 = np.r_[np.ones(1000, int), np.zeros(1000, int)]
    out = T.plant_shortcut(long, y2, rate=0.4, rate_other=0.15, position="random", seed=1)
    where = [t.index(T.SHORTCUT_TOKEN) if T.SHORTCUT_TOKEN in t else -1 for t in out]
    where = np.array(where)
    assert 0.35 < (where[y2 == 1] >= 0).mean() < 0.45 and 0.11 < (where[y2 == 0] >= 0).mean() < 0.19
    assert len(set(where[where >= 0].tolist())) == 10  # every slot, first to last, is used
    assert all(len(t) == 9 + (w >= 0) for t, w in zip(out, where))
    with pytest.raises(ValueError):
        T.plant_shortcut(long, y2, position="middle")


def test_untrained_like_is_seeded(trained):
    a, b = T.untrained_like(trained, 1), T.untrained_like(trained, 1)
    assert torch.equal(a.embedding.weight, b.embedding.weight)
    assert not torch.equal(a.embedding.weight, trained.embedding.weight)


def test_matched_untrained_matches_peakedness_and_vote_spread_but_not_rankings(trained):
    ids = trained.vocab.encode(
        ["not the best film of the year , but a charming one", "a dull , lifeless mess", "fine ."]
    )
    raw, matched = T.untrained_like(trained, 3), T.matched_untrained(trained, ids, seed=3)

    def peak(net):
        return net.attention_weights(ids).max(1).values.median().item()

    def spread(net):
        v = net.token_scores(ids)
        return torch.stack([v[i, r].std() for i, r in enumerate(ids != 0)]).median().item()

    assert abs(peak(raw) - peak(trained)) > 0.02  # the raw untrained network differs
    assert abs(peak(matched) - peak(trained)) < 1e-3
    assert abs(spread(matched) - spread(trained)) < 1e-3 * spread(trained)
    assert torch.equal(  # rescaling keeps the order of the words by α
        raw.attention_weights(ids).argsort(1), matched.attention_weights(ids).argsort(1)
    )


@pytest.mark.parametrize(
    "name",
    [
        "text_attention",
        "text_attention_seed1",
        "text_attention_uniform",
        "text_shortcut",
        "text_shortcut_seed1",
    ],
)
def test_shipped_checkpoints_reproduce_their_recorded_accuracy(name):
    model = load_pretrained(name)
    r = load_reviews()
    with torch.no_grad():
        pred = (T.log_odds(model, model.vocab.encode(r.tokens_test), 1) > 0).numpy()
    assert abs((pred == r.y_test).mean() - checkpoint_meta(name)["test_accuracy"]) < 1e-4


def test_explain_sentence_and_figure(trained):
    import matplotlib.pyplot as plt

    tokens, target, maps = T.explain_sentence(trained, "a charming film", n_samples=50, n_steps=8)
    assert target in (0, 1) and all(v.shape == (3,) for v in maps.values())
    fig = plot_word_attributions(tokens, maps)
    assert len(fig.axes[0].get_yticklabels()) == len(maps)
    shared = plot_word_attributions(tokens, maps, scale="shared")
    rows = shared.axes[0].images[0].get_array()
    assert np.isclose(np.abs(rows).max(), 1.0) and (np.abs(rows).max(1) < 1 - 1e-9).any()
    with pytest.raises(ValueError, match="scale"):
        plot_word_attributions(tokens, maps, scale="column")
    plt.close("all")
    with pytest.raises(ValueError):
        T.explain_sentence(trained, "")


def test_batched_log_odds_equal_one_pass(trained):
    ids = trained.vocab.encode(["a charming film", "dull", "not the best , but fun"])
    with torch.no_grad():
        full = T.log_odds(trained, ids, torch.tensor([1, 0, 1]))
    assert torch.allclose(
        T.log_odds(trained, ids, torch.tensor([1, 0, 1]), batch_size=2), full, atol=1e-5
    )


def test_deletion_curve_with_a_fill_keeps_positions(trained):
    ids = trained.vocab.encode(["a dull , lifeless mess", "a great film"])
    attr = T.leave_one_out(trained, ids, 0, fill=1)
    curve = T.word_deletion_curve(trained, ids, 0, attr, steps=2, fill=1)
    with torch.no_grad():
        # the first step fills the word the <unk> leave-one-out ranks first: its fall is that score
        top = attr.masked_fill(ids == 0, -float("inf")).max(1).values
        assert torch.allclose(curve[:, 0] - curve[:, 1], top, atol=1e-5)
        # and it differs from deleting the same words (positions shift there)
        deleted = T.word_deletion_curve(trained, ids, 0, attr, steps=2)
        assert not torch.allclose(curve[:, 1:], deleted[:, 1:], atol=1e-3)
    with pytest.raises(ValueError):
        T.word_deletion_curve(trained, ids, 0, attr, steps=2, fill=0)  # padding is no fill


def test_token_pca_counts_every_non_padding_token(net):
    ids = net.vocab.encode(["good film the", "bad", "not so very good ."])
    pcs = T.token_pca(net, ids)
    assert set(pcs) == set(T.LAYERS) and all(v.shape == (9, 2) for v in pcs.values())
    # PCA coordinates are centred, and PC 1 carries at least PC 2's variance
    assert all(
        np.allclose(v.mean(0), 0, atol=1e-5) and v[:, 0].var() >= v[:, 1].var()
        for v in pcs.values()
    )
    with pytest.raises(ValueError):
        T.token_pca(net, net.vocab.encode(["good"]))


def test_probe_capacity_sweep_reads_a_signal_and_not_noise():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 6))
    y = (X[:, 0] + 0.3 * X[:, 1] > 0).astype(int)
    noise = rng.integers(0, 2, 2000)
    caps = [("linear", 1.0), ("mlp", 8)]
    signal = T.probe_capacity_sweep(X[:1000], y[:1000], X[1000:], y[1000:], caps, seed=0)
    chance = T.probe_capacity_sweep(X[:1000], noise[:1000], X[1000:], noise[1000:], caps, seed=0)
    assert all(signal[c] > 0.85 for c in caps) and all(abs(chance[c] - 0.5) < 0.12 for c in caps)
    # balanced accuracy: always answering the majority class scores 0.5, not the majority share
    skew = (X[:, 0] > 1.0).astype(int)  # about 16 % positive
    flat = T.probe_capacity_sweep(
        X[:200, 3:], skew[:200], X[200:, 3:], skew[200:], [("linear", 1e-6)]
    )
    assert flat["linear", 1e-6] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="kind"):
        T.probe_capacity_sweep(X[:200], y[:200], X[200:], y[200:], [("tree", 3)])
    with pytest.raises(ValueError):
        T.probe_capacity_sweep(X[:200], y[:100], X[200:], y[200:], caps)


def test_word_figure_own_scale_rows():
    import matplotlib.pyplot as plt

    maps = {"log-odds": np.array([2.0, -1.0, 0.5]), "attention α": np.array([0.2, 0.5, 0.3])}
    fig = plot_word_attributions(["a", "b", "c"], maps, scale="shared", own_scale=["attention α"])
    rows = fig.axes[0].images[0].get_array()
    assert np.allclose(rows[0], [1.0, -0.5, 0.25]) and np.allclose(rows[1], [0.4, 1.0, 0.6])
    assert "÷ 0.5" in fig.axes[0].get_yticklabels()[1].get_text()
    with pytest.raises(ValueError, match="own_scale"):
        plot_word_attributions(["a", "b", "c"], maps, own_scale=["LIME"])
    plt.close("all")


def test_token_pca_figure_greys_unrated_tokens_and_checks_shapes():
    import matplotlib.pyplot as plt

    from xai_helpers.plotting import plot_token_pca

    xy = np.arange(10.0).reshape(5, 2)
    colour = np.array([1.0, np.nan, -2.0, np.nan, 0.5])
    fig = plot_token_pca({"a": xy, "b": xy}, colour, "valence", cmap="RdBu_r", vlim=(-4, 4))
    grey, coloured = fig.axes[0].collections
    assert len(grey.get_offsets()) == 2 and len(coloured.get_offsets()) == 3
    assert coloured.get_clim() == (-4, 4)
    with pytest.raises(ValueError, match="must be"):
        plot_token_pca({"a": xy[:3]}, colour, "valence")
    plt.close("all")


def test_position_r2_reads_position_embeddings_and_nothing_without_them():
    torch.manual_seed(0)
    m = SentimentTransformer(["good", "bad", "film"]).eval()
    ids = m.vocab.encode(["good good good good good good good good"] * 6)
    with_pos = T.position_r2(m, ids)
    assert all(v > 0.9 for v in with_pos.values()), with_pos
    with torch.no_grad():
        m.position.weight.zero_()  # one word repeated, no positions: every state is the same
    without = T.position_r2(m, ids)
    assert all(v < 0.05 for v in without.values()), without
    with pytest.raises(ValueError):
        T.position_r2(m, m.vocab.encode(["good"]))
    with pytest.raises((ValueError, TypeError)):
        T.position_r2(m, ids, n_splits=1)
