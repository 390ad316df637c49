"""Text data for notebook 10: critics' review snippets (fresh/rotten), a word-valence lexicon, a
tokenizer.

The files ship inside the package (``xai_helpers/corpora/``, package data; provenance and licences
in ``data/README.md``), so nothing is downloaded. Sentences are split into lower-case words and
punctuation by :func:`tokenize`; :class:`Vocabulary` maps them to ids, with ``<pad>`` = 0 and
``<unk>`` = 1 for every word it does not know.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
import torch

from ..validation import check_fraction, check_seed

__all__ = [
    "PAD",
    "UNK",
    "MAX_LEN",
    "tokenize",
    "Vocabulary",
    "ReviewSplit",
    "load_reviews",
    "load_valence_lexicon",
    "read_reviews_file",
]

PAD, UNK = "<pad>", "<unk>"
#: The longest sentence (in tokens) the text models take; the longest snippet in the corpus has 63.
MAX_LEN = 64
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")


def tokenize(sentence: str) -> list[str]:
    """Split a sentence into lower-case words (with their apostrophe suffix) and single punctuation
    marks.

    Raises
    ------
    TypeError
        If ``sentence`` is not a string.
    ValueError
        If it holds no token (empty or only white space).

    Examples
    --------
    >>> tokenize("It's not GOOD, really.")
    ["it's", 'not', 'good', ',', 'really', '.']
    """
    if not isinstance(sentence, str):
        raise TypeError(f"sentence must be a str, got {type(sentence).__name__}")
    tokens = _TOKEN.findall(sentence.lower())
    if not tokens:
        raise ValueError(
            f"the sentence {sentence!r} is empty: it holds no word or punctuation mark"
        )
    return tokens


class Vocabulary:
    """Words ↔ ids. Id 0 is ``<pad>`` (padding), id 1 is ``<unk>``: every word the vocabulary does
    not hold.

    Examples
    --------
    >>> vocab = Vocabulary(["good", "bad"])
    >>> vocab.encode([["a", "good", "film"]]).tolist(), vocab.unknown(["a", "good"])
    ([[1, 2, 1]], ['a'])
    """

    def __init__(self, words: Sequence[str]):
        words = list(words)
        if len(set(words)) != len(words) or PAD in words or UNK in words:
            raise ValueError(
                "the words of a vocabulary must be distinct and exclude <pad> and <unk>"
            )
        self.itos = [PAD, UNK, *words]
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], min_count: int = 2) -> Vocabulary:
        """The words seen at least ``min_count`` times in tokenized ``sentences``, most frequent
        first."""
        counts = Counter(w for s in sentences for w in s)
        return cls(
            sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        )

    def unknown(self, tokens: Sequence[str]) -> list[str]:
        """The tokens this vocabulary maps to ``<unk>``."""
        return [t for t in tokens if t not in self.stoi]

    def encode(
        self, sentences: str | Sequence[str] | Sequence[Sequence[str]], max_len: int = MAX_LEN
    ) -> torch.Tensor:
        """Ids of one sentence (a string) or several (a list of strings or of token lists), padded
        with 0: ``(N, L)``.

        Words outside the vocabulary become ``<unk>`` (id 1), as rare words did in training; list
        them with
        :meth:`unknown`.

        Raises
        ------
        ValueError
            If a sentence is empty, or longer than ``max_len`` tokens (the model has no position
            beyond).
        """
        if isinstance(sentences, str):
            sentences = [sentences]
        rows = []
        for s in sentences:
            tokens = tokenize(s) if isinstance(s, str) else list(s)
            if not tokens:
                raise ValueError("an empty sentence has no word to explain")
            if len(tokens) > max_len:
                raise ValueError(
                    f"the sentence has {len(tokens)} tokens; the model takes at most {max_len}"
                )
            rows.append([self.stoi.get(t, 1) for t in tokens])
        if not rows:
            raise ValueError("no sentence given")
        out = torch.zeros(len(rows), max(map(len, rows)), dtype=torch.long)
        for i, r in enumerate(rows):
            out[i, : len(r)] = torch.tensor(r)
        return out

    def decode(self, ids: torch.Tensor) -> list[list[str]]:
        """The tokens of each row of ``ids``, padding dropped."""
        return [
            [self.itos[int(i)] for i in row if int(i) != 0]
            for row in torch.as_tensor(ids).reshape(-1, ids.shape[-1])
        ]


@dataclass
class ReviewSplit:
    """Critics' snippets split by movie: ``tokens_*`` (lists of tokens), ``y_*`` (1 = fresh, 0 =
    rotten), ``movie_*``."""

    tokens_train: list[list[str]]
    y_train: np.ndarray
    movie_train: np.ndarray
    tokens_test: list[list[str]]
    y_test: np.ndarray
    movie_test: np.ndarray
    class_names: tuple[str, str] = ("rotten", "fresh")


def _read_bytes(name: str) -> bytes:
    return resources.files("xai_helpers").joinpath("corpora", name).read_bytes()


def read_reviews_file(raw: bytes) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Parse the shipped corpus (gzip-compressed CSV ``label,text,movie``) into texts, labels and
    movies.

    Raises
    ------
    ValueError
        If the bytes are not gzip, not CSV with those columns, or hold a label other than
        fresh/rotten.

    Examples
    --------
    >>> import gzip
    >>> texts, y, movie = read_reviews_file(gzip.compress(b"label,text,movie\\nfresh,Great.,M\\n"))
    >>> texts, y.tolist()
    (['Great.'], [1])
    """
    import pandas as pd

    try:
        df = pd.read_csv(io.BytesIO(gzip.decompress(raw)), dtype=str, keep_default_na=False)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, pd.errors.ParserError) as e:
        raise ValueError(f"the review corpus is corrupt (expected gzip-compressed CSV): {e}") from e
    if list(df.columns) != ["label", "text", "movie"]:
        raise ValueError(
            f"the review corpus must have columns label,text,movie; got {list(df.columns)}"
        )
    bad = sorted(set(df["label"]) - {"fresh", "rotten"})
    if bad:
        raise ValueError(f"labels must be 'fresh' or 'rotten', got {bad[:3]}")
    return df["text"].tolist(), (df["label"] == "fresh").to_numpy(np.int64), df["movie"].to_numpy()


def load_reviews(test_size: float = 0.2, seed: int = 0, raw: bytes | None = None) -> ReviewSplit:
    """The 12,808 Rotten Tomatoes snippets, tokenized and split by **movie** (no movie in both
    halves).

    Parameters
    ----------
    test_size : float
        Share of the movies held out.
    seed : int
        Seed of the movie split (the shipped models use 0).
    raw : bytes, optional
        The corpus file's bytes (default: the shipped ``corpora/rotten_tomatoes.csv.gz``).

    Raises
    ------
    FileNotFoundError
        If the shipped file is missing (reinstall xai_helpers).
    ValueError
        If the file is corrupt (see :func:`read_reviews_file`).

    Examples
    --------
    >>> reviews = load_reviews()
    >>> len(reviews.tokens_train) + len(reviews.tokens_test), reviews.class_names
    (12808, ('rotten', 'fresh'))
    """
    test_size = check_fraction(test_size, "test_size", low=0.01, high=0.99)
    seed = check_seed(seed)
    if raw is None:
        try:
            raw = _read_bytes("rotten_tomatoes.csv.gz")
        except FileNotFoundError as e:
            raise FileNotFoundError(
                "xai_helpers/corpora/rotten_tomatoes.csv.gz is missing: reinstall xai_helpers "
                "(or rebuild it with tools/make_text_data.py, see data/README.md)"
            ) from e
    texts, y, movie = read_reviews_file(raw)
    tokens = [tokenize(t)[:MAX_LEN] for t in texts]
    movies = np.array(sorted(set(movie)))
    held = set(
        np.random.default_rng(seed).permutation(movies)[: int(round(test_size * len(movies)))]
    )
    test = np.array([m in held for m in movie])
    pick = lambda mask: [tokens[i] for i in np.flatnonzero(mask)]  # noqa: E731
    return ReviewSplit(pick(~test), y[~test], movie[~test], pick(test), y[test], movie[test])


def load_valence_lexicon(raw: bytes | None = None) -> dict[str, float]:
    """VADER's human valence ratings (Hutto & Gilbert 2014): word → mean rating from −4 (negative)
    to +4.

    Examples
    --------
    >>> lex = load_valence_lexicon()
    >>> lex["good"] > 1 > -1 > lex["bad"]
    True
    """
    if raw is None:
        try:
            raw = _read_bytes("vader_valence.tsv.gz")
        except FileNotFoundError as e:
            raise FileNotFoundError(
                "xai_helpers/corpora/vader_valence.tsv.gz is missing: reinstall xai_helpers"
            ) from e
    try:
        lines = gzip.decompress(raw).decode("utf-8").splitlines()
        out = {w: float(v) for w, v in (line.split("\t") for line in lines[1:])}
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError) as e:
        raise ValueError(
            f"the valence lexicon is corrupt (expected gzip-compressed word<TAB>rating lines): {e}"
        ) from e
    if lines[0] != "word\tvalence" or not out:
        raise ValueError(
            "the valence lexicon is corrupt: expected a header 'word<TAB>valence' and at least "
            "one row"
        )
    return out
