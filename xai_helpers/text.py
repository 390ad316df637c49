"""Explaining a text classifier (notebook 10): the model, word attributions, attention put to the
test, probes.

The model, :class:`SentimentTransformer`, is a small self-attention encoder (two blocks, two heads,
d = 64) whose token states are pooled by **additive attention** (Bahdanau et al. 2015, the pooling
Jain & Wallace 2019 study): ``α = softmax(vᵀ tanh(W hᵢ))``, ``logits = C(Σ αᵢ hᵢ)`` with a linear
classifier ``C``. Because ``C`` is linear, the log-odds are exactly ``Σ αᵢ sᵢ`` with ``sᵢ`` the
log-odds ``C`` gives token ``i``'s own state (:meth:`SentimentTransformer.token_scores`): attention
weighs per-token *votes*.

Every attribution explains the **log-odds** of the target class, ``logit[target] − logit[other]``
(the softmax of a confident review saturates; the log-odds do not). Inputs are id tensors ``(N, L)``
padded with 0 (:class:`xai_helpers.data.text.Vocabulary`); attributions are ``(N, L)``, 0 on
padding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from ._torch import forward_hook
from .data.text import MAX_LEN, UNK, Vocabulary, tokenize
from .evaluation import adversarial_weights, permuted_weights
from .models import SentimentTransformer
from .representations import linear_probe, mlp_probe
from .stats import Estimate
from .validation import check_int, check_positive_int, check_seed

__all__ = [
    "log_odds",
    "leave_one_out",
    "grad_x_embedding",
    "integrated_gradients_text",
    "lime_text",
    "word_deletion_curve",
    "permuted_attention",
    "adversarial_attention",
    "collect_token_states",
    "token_pca",
    "position_r2",
    "lexicon_tokens",
    "token_states_at",
    "word_split",
    "context_distances",
    "bootstrap_mean",
    "explain_sentence",
    "untrained_like",
    "matched_untrained",
    "balanced_probe",
    "probe_capacity_sweep",
    "plant_shortcut",
    "SHORTCUT_TOKEN",
    "LAYERS",
]

#: Layers whose token states the notebook probes: the embeddings (word + position) and the two
#: blocks.
LAYERS = ("embeddings", "blocks.0", "blocks.1")
#: The spurious token planted in the shortcut model's training data (a made-up word, absent from
#: the corpus).
SHORTCUT_TOKEN = "filmnote"


def _target(target, n: int, device) -> torch.Tensor:
    t = torch.as_tensor(target, device=device).long().reshape(-1)
    if t.numel() == 1:
        t = t.expand(n)
    if t.numel() != n or ((t != 0) & (t != 1)).any():
        raise ValueError(
            f"target must be 0 (rotten) or 1 (fresh), one or one per sentence ({n}); got {target}"
        )
    return t


def log_odds(
    model: nn.Module, ids: torch.Tensor, target=1, batch_size: int | None = None, **kwargs
) -> torch.Tensor:
    """``logit[target] − logit[other]`` for each sentence, ``(N,)`` (kwargs go to the model's
    forward).

    With ``batch_size``, the sentences go through the model in batches of that size, without
    gradients
    (for a whole test set in little memory). Without ``kwargs``, the batches are taken in order of
    length and each is cut after its longest sentence: trailing padding is masked and positions
    are absolute, so the log-odds are those of the padded batch (to float rounding), at less cost.

    Examples
    --------
    >>> m = SentimentTransformer(["good"]).eval()
    >>> ids = m.vocab.encode("good")
    >>> torch.allclose(log_odds(m, ids, 1), -log_odds(m, ids, 0))
    True
    """
    t = _target(target, ids.shape[0], ids.device)
    if batch_size is not None:
        batch_size = check_positive_int(batch_size, "batch_size")
        if not kwargs and len(ids):
            return _log_odds_by_length(model, ids, t, batch_size)
        with torch.no_grad():
            return torch.cat(
                [
                    log_odds(model, ids[k : k + batch_size], t[k : k + batch_size], **kwargs)
                    for k in range(0, len(ids), batch_size)
                ]
            )
    logits = model(ids, **kwargs)
    sign = (2 * t - 1).to(logits.dtype)
    return sign * (logits[:, 1] - logits[:, 0])


@torch.no_grad()
def _log_odds_by_length(
    model: nn.Module, ids: torch.Tensor, t: torch.Tensor, batch_size: int
) -> torch.Tensor:
    """:func:`log_odds` in batches of sentences of similar length, each cut after its longest."""
    length = torch.where(ids != 0, torch.arange(1, ids.shape[1] + 1, device=ids.device), 0).amax(1)
    order = length.argsort()
    out = torch.empty(len(ids), device=ids.device)
    for chunk in order.split(batch_size):
        cut = max(int(length[chunk].max()), 1)
        out[chunk] = log_odds(model, ids[chunk, :cut], t[chunk]).to(out.dtype)
    return out


def _delete_rows(ids: torch.Tensor, fill: str | int) -> torch.Tensor:
    """Every variant of each sentence with one position removed or filled: ``(N, L, L)``, variant
    ``j`` of
    sentence ``i`` at ``[i, j]``."""
    n, length = ids.shape
    if fill == "delete":
        keep = ~torch.eye(length, dtype=torch.bool, device=ids.device)
        idx = (
            torch.arange(length, device=ids.device)
            .expand(length, length)[keep]
            .reshape(length, length - 1)
        )
        out = ids[:, idx]  # (N, L, L-1)
        return torch.cat([out, ids.new_zeros(n, length, 1)], 2)
    out = ids[:, None, :].repeat(1, length, 1)
    diag = torch.arange(length, device=ids.device)
    out[:, diag, diag] = torch.where(ids != 0, torch.as_tensor(fill, device=ids.device), ids)
    return out


@torch.no_grad()
def leave_one_out(
    model: nn.Module, ids: torch.Tensor, target=1, fill: str | int = "delete"
) -> torch.Tensor:
    """Leave-one-word-out (occlusion for text): log-odds of the sentence minus those without word
    ``i``.

    Parameters
    ----------
    fill : "delete" or int
        ``"delete"`` removes the word (the sentence closes up); an int replaces it by that word id
        in place,
        e.g. ``1`` (``<unk>``, the model's token for rare words) as a neutral filler. A one-word
        sentence
        deleted becomes ``<unk>`` alone.

    Examples
    --------
    >>> m = SentimentTransformer(["good", "bad"]).eval()
    >>> leave_one_out(m, m.vocab.encode(["good film", "bad"]), 1).shape
    torch.Size([2, 2])
    """
    if fill != "delete":
        fill = check_int(fill, "fill", minimum=1, maximum=len(model.vocab) - 1)
    n, length = ids.shape
    t = _target(target, n, ids.device)
    variants = _delete_rows(ids, fill).reshape(n * length, length)
    variants[:, 0] = torch.where(
        (variants != 0).any(1), variants[:, 0], 1
    )  # nothing left: <unk> alone
    real = (ids != 0).reshape(-1)  # removing a padding position changes nothing: skip it
    with torch.no_grad():  # forward passes only: no graph kept across the chunks
        full = log_odds(model, ids, t)
        out = full.repeat_interleave(length).clone()
        kept, kept_t = variants[real], t.repeat_interleave(length)[real]
        if len(kept):  # batched by length: each batch cut after its longest variant
            out[real] = log_odds(model, kept, kept_t, batch_size=128)
    return (full[:, None] - out.reshape(n, length)) * (ids != 0)


def grad_x_embedding(model: nn.Module, ids: torch.Tensor, target=1) -> torch.Tensor:
    """Gradient × input on the word embeddings, summed over the embedding dimension (Denil et al.
    2014 style).

    Examples
    --------
    >>> m = SentimentTransformer(["good"]).eval()
    >>> grad_x_embedding(m, m.vocab.encode("good"), 1).shape
    torch.Size([1, 1])
    """
    emb = model.embedding(ids).detach().requires_grad_(True)
    out = log_odds(model, ids, target, inputs_embeds=emb).sum()
    (grad,) = torch.autograd.grad(out, emb)
    return (grad * emb).sum(-1).detach() * (ids != 0)


def integrated_gradients_text(
    model: nn.Module, ids: torch.Tensor, target=1, n_steps: int = 50, return_delta: bool = False
):
    """Integrated Gradients (Sundararajan et al. 2017) on the word embeddings, from the all-zero
    embedding
    (the ``<pad>`` vector) to the sentence's, positions and attention mask kept; midpoint Riemann
    sum.

    Summed over the embedding dimension, the attributions add up to ``F(x) − F(baseline)``
    (completeness);
    ``return_delta=True`` also returns the gap ``Σ attr − (F(x) − F(baseline))`` per sentence, as
    Captum.

    Examples
    --------
    >>> m = SentimentTransformer(["good", "bad"]).eval()
    >>> attr, gap = integrated_gradients_text(m, m.vocab.encode("good bad"), 1, return_delta=True)
    >>> attr.shape, bool(gap.abs().max() < 0.05)
    (torch.Size([1, 2]), True)
    """
    n_steps = check_positive_int(n_steps, "n_steps")
    n = ids.shape[0]
    t = _target(target, n, ids.device)
    if n > 32:  # groups of similar length, each cut after its longest sentence (padding is
        # masked and positions are absolute, so each sentence's attributions are unchanged)
        length = torch.where(
            ids != 0, torch.arange(1, ids.shape[1] + 1, device=ids.device), 0
        ).amax(1)
        attr, gap = torch.zeros(ids.shape, device=ids.device), torch.zeros(n, device=ids.device)
        for g in length.argsort().split(32):
            cut = max(int(length[g].max()), 1)
            attr[g, :cut], gap[g] = integrated_gradients_text(
                model, ids[g, :cut], t[g], n_steps, return_delta=True
            )
        return (attr, gap) if return_delta else attr
    emb = model.embedding(ids).detach()
    alphas = (torch.arange(n_steps, device=ids.device, dtype=emb.dtype) + 0.5) / n_steps
    total = torch.zeros_like(emb)
    chunk = max(
        1, 256 // n
    )  # path points per pass: at most ~256 sentences through the network at once
    for a in alphas.split(chunk):
        path = (
            (a[:, None, None, None] * emb[None])
            .reshape(len(a) * n, *emb.shape[1:])
            .requires_grad_(True)
        )
        out = log_odds(model, ids.repeat(len(a), 1), t.repeat(len(a)), inputs_embeds=path).sum()
        (g,) = torch.autograd.grad(out, path)
        total += g.reshape(len(a), *emb.shape).sum(0)
    attr = (total / n_steps * emb).sum(-1).detach() * (ids != 0)
    if not return_delta:
        return attr
    with torch.no_grad():
        gap = attr.sum(1) - (
            log_odds(model, ids, t) - log_odds(model, ids, t, inputs_embeds=torch.zeros_like(emb))
        )
    return attr, gap


def lime_text(
    model: nn.Module, tokens: Sequence[str], target=1, n_samples: int = 500, seed: int = 0
) -> np.ndarray:
    """LIME (Ribeiro et al. 2016) on one sentence with ``lime.lime_text``: a weight per token
    position.

    Words are removed by position (``bow=False``: LIME puts an unknown word in their place, which
    the model
    reads as ``<unk>``); the model's output given to LIME is the target's **log-odds** (the
    probability
    saturates), so the weights are in log-odds.

    Examples
    --------
    >>> m = SentimentTransformer(["good", "bad"]).eval()
    >>> lime_text(m, ["good", "bad", "film"], 1, n_samples=50).shape
    (3,)
    """
    from lime.lime_text import LimeTextExplainer

    n_samples = check_positive_int(n_samples, "n_samples", minimum=10)
    seed = check_seed(seed)
    tokens = list(tokens)
    t = int(_target(target, 1, "cpu")[0])
    device = next(model.parameters()).device

    def predict(texts: list[str]) -> np.ndarray:
        ids = model.vocab.encode([s.split(" ") for s in texts]).to(device)
        with torch.no_grad():
            lo = log_odds(model, ids, 1).cpu().numpy()
        return np.stack([-lo, lo], 1)

    explainer = LimeTextExplainer(
        split_expression=lambda s: s.split(" "), bow=False, mask_string=UNK, random_state=seed
    )
    exp = explainer.explain_instance(
        " ".join(tokens), predict, labels=(t,), num_features=len(tokens), num_samples=n_samples
    )
    weights = np.zeros(len(tokens))
    for pos, w in exp.local_exp[t]:
        weights[pos] = w
    return weights


# --------------------------------------------------------------------------- evaluation


@torch.no_grad()
def word_deletion_curve(
    model: nn.Module,
    ids: torch.Tensor,
    target,
    attribution: torch.Tensor | None,
    steps: int = 5,
    seed: int = 0,
    fill: str | int = "delete",
) -> torch.Tensor:
    """Log-odds of ``target`` as the most important words are removed one by one, ``(N, steps +
    1)``.

    Words are ranked by ``attribution`` (largest first; ties broken at random with ``seed``);
    ``None`` removes them in a random order (the null). A sentence shorter than ``steps + 1``
    words keeps its last word. ``fill="delete"`` closes the gap (every later word moves one
    place); an int token id (e.g. ``1``, ``<unk>``) replaces the word and keeps the positions.

    Examples
    --------
    >>> m = SentimentTransformer(["good", "bad"]).eval()
    >>> word_deletion_curve(m, m.vocab.encode(["good bad film", "bad"]), 1, None, steps=2).shape
    torch.Size([2, 3])
    """
    steps = check_int(steps, "steps", minimum=1)
    if fill != "delete":
        fill = check_int(fill, "fill", minimum=1, maximum=len(model.vocab) - 1)
    gen = torch.Generator().manual_seed(check_seed(seed))
    t = _target(target, ids.shape[0], ids.device)
    n, length = ids.shape
    jitter = torch.rand(n, length, generator=gen).to(ids.device)
    score = jitter if attribution is None else attribution.to(ids.device) + 1e-9 * jitter
    score = score.masked_fill(ids == 0, -math.inf)
    order = score.argsort(1, descending=True)
    curve = [log_odds(model, ids, t, batch_size=32)]  # batches of similar length
    keep = ids != 0
    lengths = keep.sum(1)
    for k in range(steps):
        drop = k < lengths - 1  # never delete the last word
        keep = keep.clone()
        keep[torch.arange(n)[drop], order[drop, k]] = False
        if fill == "delete":
            cur = torch.zeros_like(ids)
            for i in range(n):
                row = ids[i][keep[i]]
                cur[i, : len(row)] = row
        else:
            cur = torch.where(keep | (ids == 0), ids, torch.full_like(ids, fill))
        curve.append(log_odds(model, cur, t, batch_size=32))
    return torch.stack(curve, 1)


@torch.no_grad()
def permuted_attention(
    model: SentimentTransformer,
    ids: torch.Tensor,
    n_samples: int = 20,
    seed: int = 0,
    return_weights: bool = False,
):
    """Log-odds of *fresh* with the pooling weights shuffled over each sentence's tokens, ``(N,
    n_samples)``: :func:`xai_helpers.evaluation.permuted_weights` on this model's pooling (Jain &
    Wallace 2019, §4.2). The token states are untouched: the log-odds are ``Σ αᵢ sᵢ`` over the
    token votes (:meth:`SentimentTransformer.token_scores`), one forward pass for all shuffles.
    ``return_weights=True`` also returns the shuffled weights, ``(n_samples, N, L)``.

    Examples
    --------
    >>> m = SentimentTransformer(["good", "bad"]).eval()
    >>> permuted_attention(m, m.vocab.encode(["good bad", "good"]), n_samples=3).shape
    torch.Size([2, 3])
    """
    votes = model.token_scores(ids)  # the log-odds of fresh are exactly Σ αᵢ sᵢ (Σ αᵢ = 1)
    return permuted_weights(
        lambda a: (a * votes).sum(1),
        model.attention_weights(ids),
        ids != 0,
        n_samples=n_samples,
        seed=seed,
        return_weights=return_weights,
    )


def adversarial_attention(
    model: SentimentTransformer,
    ids: torch.Tensor,
    tolerance: float = 0.1,
    steps: int = 200,
    lr: float = 0.1,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pooling weights as far as possible (JSD) from the model's whose log-odds stay within
    ``tolerance``: :func:`xai_helpers.evaluation.adversarial_weights` on this model, whose log-odds
    are exactly ``Σ αᵢ sᵢ`` over the token votes ``sᵢ`` (Jain & Wallace 2019, §4.3).

    Returns
    -------
    (alpha_adv, jsd)
        The adversarial weights ``(N, L)`` and their JSD (natural log, at most ln 2) from the
        model's.

    Examples
    --------
    >>> m = SentimentTransformer(["good", "bad"]).eval()
    >>> a, jsd = adversarial_attention(m, m.vocab.encode(["good bad film"]), steps=20)
    >>> a.shape, bool(torch.allclose(a.sum(1), torch.ones(1)))
    (torch.Size([1, 3]), True)
    """
    with torch.no_grad():
        votes, alpha = model.token_scores(ids), model.attention_weights(ids)
    return adversarial_weights(
        lambda a: (a * votes).sum(1), alpha, ids != 0, tolerance, steps, lr, seed
    )


@torch.no_grad()
def collect_token_states(
    model: SentimentTransformer, ids: torch.Tensor, layers: Sequence[str] = LAYERS
) -> dict[str, torch.Tensor]:
    """Each layer's output at every token, ``{layer: (N, L, d)}``, by forward hooks.

    Examples
    --------
    >>> m = SentimentTransformer(["good"]).eval()
    >>> {k: tuple(v.shape) for k, v in collect_token_states(m, m.vocab.encode("good good")).items()}
    {'embeddings': (1, 2, 64), 'blocks.0': (1, 2, 64), 'blocks.1': (1, 2, 64)}
    """
    import contextlib

    with contextlib.ExitStack() as stack:
        recs = {layer: stack.enter_context(forward_hook(model, layer)) for layer in layers}
        model(ids)
    return {layer: rec.output.detach() for layer, rec in recs.items()}


def token_pca(
    model: SentimentTransformer, ids: torch.Tensor, layers: Sequence[str] = LAYERS
) -> dict[str, np.ndarray]:
    """Each layer's 2-D PCA of every (non-padding) token's state, ``{layer: (n_tokens, 2)}``,
    tokens in reading order (row by row, as ``ids[ids != 0]``). Each layer gets its own PCA.

    Examples
    --------
    >>> m = SentimentTransformer(["good", "bad"]).eval()
    >>> {k: v.shape for k, v in token_pca(m, m.vocab.encode(["good bad film", "bad"])).items()}
    {'embeddings': (4, 2), 'blocks.0': (4, 2), 'blocks.1': (4, 2)}
    """
    from sklearn.decomposition import PCA

    if ids.ndim != 2 or int((ids != 0).sum()) < 2:
        raise ValueError("ids must be (N, L) token ids holding at least 2 non-padding tokens")
    mask = (ids != 0).cpu().numpy()
    with torch.no_grad():
        states = collect_token_states(model, ids, layers)
    return {k: PCA(2).fit_transform(v.cpu().numpy()[mask]) for k, v in states.items()}


def position_r2(
    model: SentimentTransformer,
    ids: torch.Tensor,
    layers: Sequence[str] = LAYERS,
    n_splits: int = 5,
    alpha: float = 1.0,
) -> dict[str, float]:
    """How well each layer's full state predicts the token's position: the cross-validated R² of a
    ridge regression from every (non-padding) token's state to its position in the snippet,
    ``{layer: R²}`` (``n_splits``-fold, contiguous folds, tokens in reading order). 1 = position
    recoverable exactly, about 0 or below = not linearly decodable.

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <...>
    >>> m = SentimentTransformer(["good", "bad", "film"]).eval()
    >>> r2 = position_r2(m, m.vocab.encode(["good bad film good bad film"] * 4))
    >>> sorted(r2) == sorted(LAYERS) and all(v > 0.9 for v in r2.values())
    True
    """
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import cross_val_score

    check_positive_int(n_splits, "n_splits", minimum=2)
    if ids.ndim != 2 or int((ids != 0).sum()) < 2 * n_splits:
        raise ValueError(f"ids must be (N, L) token ids holding at least {2 * n_splits} tokens")
    mask = (ids != 0).cpu().numpy()
    position = np.broadcast_to(np.arange(ids.shape[1]), ids.shape)[mask]
    with torch.no_grad():
        states = collect_token_states(model, ids, layers)
    return {
        k: float(
            cross_val_score(
                Ridge(alpha), v.cpu().numpy()[mask], position, cv=n_splits, scoring="r2"
            ).mean()
        )
        for k, v in states.items()
    }


# --------------------------------------------------------------------------- training


def plant_shortcut(
    tokens: list[list[str]],
    y: np.ndarray,
    rate: float = 0.5,
    label: int = 1,
    seed: int = 0,
    rate_other: float = 0.0,
    position: str = "end",
) -> list[list[str]]:
    """Insert :data:`SHORTCUT_TOKEN` into a share ``rate`` of the sentences with label ``label`` and
    a share ``rate_other`` of the others: the spurious cue of the shortcut model (only partly
    predictive when ``rate_other > 0``).

    ``position="end"`` appends it; ``"random"`` inserts it at a position drawn uniformly (the
    sentence is first cut to ``MAX_LEN - 1`` tokens).

    Examples
    --------
    >>> out = plant_shortcut([["good"], ["bad"]], np.array([1, 0]), rate=1.0)
    >>> out
    [['good', 'filmnote'], ['bad']]
    >>> plant_shortcut([["good"], ["bad"]], np.array([1, 0]), rate=0.0, rate_other=1.0)
    [['good'], ['bad', 'filmnote']]
    """
    if position not in ("end", "random"):
        raise ValueError(f"position must be 'end' or 'random', got {position!r}")
    rng = np.random.default_rng(check_seed(seed))
    share = np.where(np.asarray(y) == label, rate, rate_other)
    pick = rng.random(len(tokens)) < share
    where = rng.random(len(tokens))
    out = []
    for t, p, u in zip(tokens, pick, where):
        t = list(t)
        if p:
            t = t[: MAX_LEN - 1]
            k = len(t) if position == "end" else int(u * (len(t) + 1))
            t = t[:k] + [SHORTCUT_TOKEN] + t[k:]
        out.append(t)
    return out


# --------------------------------------------------------------------------- probing


def lexicon_tokens(
    tokens: Sequence[Sequence[str]],
    lexicon: dict[str, float],
    vocab: Vocabulary,
    threshold: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every occurrence of a lexicon word rated at least ``threshold`` away from 0 (and known to
    ``vocab``).

    Returns
    -------
    (sentence, position, word, y)
        Arrays of the occurrences: sentence index, token position, the word, 1 if its rating is
        positive.

    Examples
    --------
    >>> lex = {"good": 1.9, "a": 0.1}
    >>> s, p, w, y = lexicon_tokens([["a", "good", "film"]], lex, Vocabulary(["good"]))
    >>> s.tolist(), p.tolist(), w.tolist(), y.tolist()
    ([0], [1], ['good'], [1])
    """
    rows = [
        (i, j, w, int(lexicon[w] > 0))
        for i, sent in enumerate(tokens)
        for j, w in enumerate(sent)
        if w in lexicon and abs(lexicon[w]) >= threshold and w in vocab.stoi
    ]
    if not rows:
        raise ValueError("no lexicon word at that threshold occurs in these sentences")
    s, p, w, y = zip(*rows)
    return np.array(s), np.array(p), np.array(w), np.array(y)


@torch.no_grad()
def token_states_at(
    model: SentimentTransformer,
    ids: torch.Tensor,
    sentence: np.ndarray,
    position: np.ndarray,
    layers: Sequence[str] = LAYERS,
    batch_size: int = 512,
) -> dict[str, np.ndarray]:
    """Each layer's state of the tokens at (``sentence``, ``position``) of ``ids``: ``{layer: (n,
    d)}``.

    Examples
    --------
    >>> m = SentimentTransformer(["good"]).eval()
    >>> states = token_states_at(m, m.vocab.encode(["good good"]), np.array([0]), np.array([1]))
    >>> states["blocks.1"].shape
    (1, 64)
    """
    sentence, position = np.asarray(sentence), np.asarray(position)
    out: dict[str, np.ndarray] = {}
    # only the sentences asked for, in batches of similar length, each cut after its longest
    # (padding is masked and positions are absolute: the states are those of the padded batch)
    wanted = np.unique(sentence)
    ends = (ids != 0).cpu().numpy()[wanted]
    length = np.where(ends.any(1), ends.shape[1] - np.argmax(ends[:, ::-1], 1), 1)
    order = np.argsort(length, kind="stable")
    wanted, length = wanted[order], length[order]
    for k in range(0, len(wanted), batch_size):
        batch = wanted[k : k + batch_size]
        row = np.full(len(ids), -1)
        row[batch] = np.arange(len(batch))
        inside = np.flatnonzero(row[sentence] >= 0)
        cut = max(int(position[inside].max()) + 1, int(length[k : k + batch_size].max()))
        states = collect_token_states(model, ids[batch, :cut], layers)
        for layer in layers:
            vals = states[layer][row[sentence[inside]], position[inside]].cpu().numpy()
            if layer not in out:
                out[layer] = np.zeros((len(sentence), vals.shape[1]), vals.dtype)
            out[layer][inside] = vals
    return out


def word_split(words: np.ndarray, test_share: float = 0.5, seed: int = 0) -> np.ndarray:
    """True for the occurrences whose *word type* is held out (a random ``test_share`` of the
    types).

    Examples
    --------
    >>> held = word_split(np.array(["a", "b", "a", "c"]), seed=0)
    >>> bool(held[0] == held[2])
    True
    """
    types = np.unique(words)
    rng = np.random.default_rng(check_seed(seed))
    held = set(rng.permutation(types)[: int(round(test_share * len(types)))])
    return np.array([w in held for w in words])


@torch.no_grad()
def context_distances(
    model: SentimentTransformer,
    words: Sequence[str],
    template: str = "the film is {} {} .",
    modifiers: Sequence[str] = ("so", "very", "not"),
    layers: Sequence[str] = LAYERS,
) -> dict[str, np.ndarray]:
    """One word in several contexts: ``template.format(modifier, word)`` for each modifier.

    Returns, per layer, an array ``(len(words), len(modifiers))``: the Euclidean distance between
    the word's
    state after ``modifiers[k]`` and after ``modifiers[0]`` (so column 0 is 0), divided by the mean
    distance
    between the states of two *different* words of ``words`` after ``modifiers[0]`` (the spread of
    unrelated
    words in the same slot).

    Examples
    --------
    >>> m = SentimentTransformer(["good", "bad", "so", "not"]).eval()
    >>> d = context_distances(m, ["good", "bad"])
    >>> d["embeddings"].shape, float(d["embeddings"][:, 1:].max())
    ((2, 3), 0.0)
    """
    tokens = [tokenize(template.format(mod, w)) for mod in modifiers for w in words]
    pos = tokenize(template.format("m", "w")).index("w")
    ids = model.vocab.encode(tokens)
    states = collect_token_states(model, ids, layers)
    out = {}
    n = len(words)
    for layer in layers:
        h = states[layer][:, pos].reshape(len(modifiers), n, -1)
        spread = torch.cdist(h[0], h[0])
        unrelated = spread.sum() / (n * (n - 1))
        out[layer] = ((h - h[0:1]).norm(dim=-1).T / unrelated).cpu().numpy()
    return out


# --------------------------------------------------------------------------- statistics and figures


def bootstrap_mean(values: np.ndarray, n_samples: int = 2000, level: float = 0.95, seed: int = 0):
    """The mean of ``values`` and its percentile-bootstrap interval (resampling the items), as a
    :class:`xai_helpers.stats.Estimate`.

    Examples
    --------
    >>> est = bootstrap_mean(np.r_[np.zeros(50), np.ones(50)])
    >>> est.value, est.low < 0.5 < est.high
    (0.5, True)
    """
    v = np.asarray(values, float)
    if v.ndim != 1 or v.size < 2 or not np.isfinite(v).all():
        raise ValueError("values must be a 1-D array of at least 2 finite numbers")
    rng = np.random.default_rng(check_seed(seed))
    means = v[rng.integers(0, v.size, (check_positive_int(n_samples, "n_samples"), v.size))].mean(1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return Estimate(float(v.mean()), float(lo), float(hi))


def explain_sentence(
    model: SentimentTransformer,
    sentence: str,
    target: int | None = None,
    n_samples: int = 300,
    n_steps: int = 32,
    seed: int = 0,
) -> tuple[list[str], int, dict[str, np.ndarray]]:
    """Every method of the notebook on one sentence: ``(tokens, target, {method: weights per
    token})``.

    ``target`` defaults to the class the model predicts. Methods: leave-one-out (delete and
    ``<unk>`` fill), gradient × embedding, Integrated Gradients, LIME, the attention weights, and
    attention × vote, where the vote is the classifier's log-odds of each position's contextual
    state (after the self-attention blocks), not of the word alone.

    Examples
    --------
    >>> m = SentimentTransformer(["good", "bad"]).eval()
    >>> tokens, target, maps = explain_sentence(m, "good bad film", n_samples=20, n_steps=4)
    >>> tokens, sorted(maps)[:2], maps["IG"].shape
    (['good', 'bad', 'film'], ['IG', 'LIME'], (3,))
    """
    tokens = tokenize(sentence)
    ids = model.vocab.encode([tokens]).to(next(model.parameters()).device)
    if target is None:
        target = int(log_odds(model, ids, 1).item() > 0)
    sign = 1.0 if target == 1 else -1.0
    maps = {
        "leave-one-out (delete)": leave_one_out(model, ids, target)[0],
        "leave-one-out (<unk>)": leave_one_out(model, ids, target, fill=1)[0],
        "gradient × embedding": grad_x_embedding(model, ids, target)[0],
        "IG": integrated_gradients_text(model, ids, target, n_steps=n_steps)[0],
        "attention α": model.attention_weights(ids)[0],
        "α × vote (contextual state)": sign
        * (model.attention_weights(ids) * model.token_scores(ids))[0],
    }
    out = {k: v.detach().cpu().numpy() for k, v in maps.items()}
    out["LIME"] = lime_text(model, tokens, target, n_samples=n_samples, seed=seed)
    return tokens, target, out


def untrained_like(model: SentimentTransformer, seed: int = 0) -> SentimentTransformer:
    """The same architecture and vocabulary with fresh random weights (seeded): the "nothing
    learned" null.

    Examples
    --------
    >>> m = SentimentTransformer(["good"])
    >>> a, b = untrained_like(m, 0), untrained_like(m, 0)
    >>> bool(torch.equal(a.embedding.weight, b.embedding.weight))
    True
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_seed(seed))
        fresh = SentimentTransformer(model.vocab.itos[2:], pooling=model.pooling)
    return fresh.to(next(model.parameters()).device).eval()


@torch.no_grad()
def matched_untrained(
    model: SentimentTransformer, ids: torch.Tensor, seed: int = 0
) -> SentimentTransformer:
    """:func:`untrained_like`, rescaled to match ``model`` in structure on the sentences ``ids``:
    its attention scores (``attn_v``) multiplied by the factor that gives the same median
    peakedness (largest weight of a sentence, max α; found by bisection on the log of the factor),
    and its classifier multiplied by the ratio of the median within-sentence spread (standard
    deviation) of the token votes. Rescaling changes no ranking of words by α or by vote, only how
    peaked the weights are and how large the votes, the two things the attention tests are
    sensitive to.

    Examples
    --------
    >>> m = SentimentTransformer(["good", "bad", "film"]).eval()
    >>> with torch.no_grad():
    ...     _ = m.attn_v.weight.mul_(20.0)
    >>> ids = m.vocab.encode(["good bad film", "bad film", "film good good bad"])
    >>> u = matched_untrained(m, ids, seed=1)
    >>> peak = lambda net: net.attention_weights(ids).max(1).values.median().item()
    >>> abs(peak(u) - peak(m)) < 1e-3
    True
    """
    fresh = untrained_like(model, seed)
    real = ids != 0

    def peak(net):
        return net.attention_weights(ids).max(1).values.median().item()

    def spread(net):
        votes = net.token_scores(ids)
        return torch.stack([votes[i, r].std() for i, r in enumerate(real)]).median().item()

    base, goal = fresh.attn_v.weight.clone(), peak(model)
    # the scores are linear in attn_v and the states do not depend on it: compute them once
    score = fresh.attn_v(torch.tanh(fresh.attn_proj(fresh.states(ids)))).squeeze(-1)
    score = score.masked_fill(~real, -math.inf)
    lo, hi = -8.0, 8.0  # log of the factor on the attention scores
    for _ in range(40):
        mid = (lo + hi) / 2
        alpha_max = torch.softmax(score * math.exp(mid), dim=1).max(1).values
        lo, hi = (mid, hi) if alpha_max.median().item() < goal else (lo, mid)
    fresh.attn_v.weight.copy_(base * math.exp((lo + hi) / 2))
    k = spread(model) / max(spread(fresh), 1e-12)
    fresh.classifier.weight.mul_(k)
    fresh.classifier.bias.mul_(k)
    return fresh


def balanced_probe(
    rep: np.ndarray,
    y: np.ndarray,
    n_splits: int = 10,
    kind: str = "linear",
    seed: int = 0,
    C: float = 0.05,
    hidden: int = 64,
) -> float:
    """Held-out accuracy of a probe reading binary ``y`` off ``rep`` (one row per word type),
    averaged over
    ``n_splits`` random halves of a class-balanced subsample (so chance is 0.5).

    ``kind="linear"``: :func:`xai_helpers.representations.linear_probe` (strength ``C``); ``"mlp"``:
    :func:`xai_helpers.representations.mlp_probe` (``hidden`` units).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 5)); y = (X[:, 0] > 0).astype(int)
    >>> balanced_probe(X, y, n_splits=3, C=1.0) > 0.9
    True
    """
    rep, y = np.asarray(rep), np.asarray(y)
    if rep.ndim != 2 or len(rep) != len(y) or set(np.unique(y)) != {0, 1}:
        raise ValueError(
            "rep must be (n, d) and y binary 0/1 with both classes, one per row of rep"
        )
    if kind not in ("linear", "mlp"):
        raise ValueError(f"kind must be 'linear' or 'mlp', got {kind!r}")
    rng = np.random.default_rng(check_seed(seed))
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    n = min(len(pos), len(neg))
    accs = []
    for _ in range(check_positive_int(n_splits, "n_splits")):
        sel = np.r_[rng.choice(pos, n, replace=False), rng.choice(neg, n, replace=False)]
        test = rng.random(len(sel)) < 0.5
        tr, te = sel[~test], sel[test]
        if kind == "linear":
            accs.append(linear_probe(rep[tr], y[tr], rep[te], y[te], C=C)[1])
        else:
            accs.append(
                mlp_probe(
                    rep[tr],
                    y[tr],
                    rep[te],
                    y[te],
                    hidden=hidden,
                    max_iter=100,
                    seed=int(rng.integers(1 << 30)),
                )[1]
            )
    return float(np.mean(accs))


def probe_capacity_sweep(
    train_rep: np.ndarray,
    train_y: np.ndarray,
    test_rep: np.ndarray,
    test_y: np.ndarray,
    capacities: Sequence[tuple[str, float]],
    seed: int = 0,
) -> dict[tuple[str, float], float]:
    """Held-out **balanced** accuracy (mean recall of the two classes, chance 0.5) of probes of
    growing capacity: ``("linear", C)`` a logistic regression of strength ``C``, ``("mlp", h)``
    a one-hidden-layer MLP with ``h`` units (100 Adam steps). Run it on a task and on its
    control task (Hewitt & Liang) to see how selectivity moves with capacity.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 5)); y = (X[:, 0] > 0).astype(int)
    >>> acc = probe_capacity_sweep(X[:100], y[:100], X[100:], y[100:], [("linear", 1.0)])
    >>> acc["linear", 1.0] > 0.9
    True
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.neural_network import MLPClassifier

    train_rep, test_rep = np.asarray(train_rep), np.asarray(test_rep)
    train_y, test_y = np.asarray(train_y), np.asarray(test_y)
    if train_rep.ndim != 2 or test_rep.ndim != 2 or train_rep.shape[1] != test_rep.shape[1]:
        raise ValueError("train_rep and test_rep must be (n, d) with the same d")
    if len(train_rep) != len(train_y) or len(test_rep) != len(test_y):
        raise ValueError("one label per row of train_rep and of test_rep")
    out = {}
    for kind, cap in capacities:
        if kind == "linear":
            clf = LogisticRegression(C=float(cap), max_iter=300)
        elif kind == "mlp":
            hidden = check_positive_int(cap, "hidden")
            clf = MLPClassifier((hidden,), max_iter=100, random_state=check_seed(seed))
        else:
            raise ValueError(f"capacity kind must be 'linear' or 'mlp', got {kind!r}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(train_rep, train_y)
        out[kind, cap] = float(balanced_accuracy_score(test_y, clf.predict(test_rep)))
    return out
