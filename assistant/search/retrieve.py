"""Hybrid retrieval: dense (Chroma) and keyword (jieba BM25) rankings, fused by weighted reciprocal rank."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..documents.terms import load_terms, term_synonyms
from ..documents.units import Unit

RetrievalMode = Literal["hybrid", "dense", "keyword"]


@dataclass
class Hit:
    unit: Unit
    score: float  # fused score, for ranking only
    dense: float  # cosine similarity of question and unit (0 when not computed)
    keyword: float  # BM25 score


@dataclass
class Retrieval:
    hits: list[Hit]
    query_vec: np.ndarray | None
    top_dense: float  # best cosine similarity in the whole index: the evidence strength
    keyword_weight: float
    timings_ms: dict[str, float]
    evidence_language: str = ""  # the language of the text the best similarity was measured on
    expandable: bool = False  # the query names a term by a name the text does not use (retrieve(expand=True))


def keyword_weight(base: float, coverage: float) -> float:
    """How much BM25 counts: an English question over Chinese text shares few terms with it, and its
    BM25 ranking is then noise, so the weight falls with the share of question terms the corpus has."""
    return base * coverage**2


def fuse(
    dense: list[tuple[str, float]], keyword: list[tuple[str, float]], kw_weight: float, rrf_k: int
) -> list[tuple[str, float]]:
    """Weighted reciprocal-rank fusion of two rankings of unit ids."""
    scores: dict[str, float] = {}
    for rank, (uid, _) in enumerate(dense):
        scores[uid] = scores.get(uid, 0.0) + 1.0 / (rrf_k + rank + 1)
    for rank, (uid, _) in enumerate(keyword):
        scores[uid] = scores.get(uid, 0.0) + kw_weight / (rrf_k + rank + 1)
    return sorted(scores.items(), key=lambda x: -x[1])


class Retriever:
    def __init__(self, index, embedder, settings):
        self.index, self.embedder, self.settings = index, embedder, settings
        self.terms = load_terms(settings.corpus_dir)

    def naming_units(self, query: str, lang: str | None, at_most: int = 3) -> set[str]:
        """Ids of the units holding a term of the query that at most `at_most` units hold: the passages where
        the paper mentions what the question names ("BAPA+40" → D2.5), however far the question is from them."""
        bm25, tokenizer = self.index.bm25_for(lang)
        ids: set[str] = set()
        for term in set(tokenizer(query)):
            posting = bm25.postings.get(term, [])
            if len(posting) <= at_most:
                ids.update(self.index.units[i].id for i, _ in posting)
        return ids

    def retrieve(
        self,
        query: str,
        mode: RetrievalMode = "hybrid",
        k: int | None = None,
        doc: str | None = None,
        lang: str | None = None,
        expand: bool = False,
    ) -> Retrieval:
        """The k best units for the query, of one document when `doc` (an id) is given, else of all.
        `lang`, the question's language: units are met in their version in that language when they have one.
        `expand`: embed the query with the names the text uses for a term it names otherwise (see below)."""
        s, ix = self.settings, self.index
        k = k or s.top_k
        timings: dict[str, float] = {}
        dense: list[tuple[str, float]] = []
        qvec = None
        t = time.perf_counter()
        bm25, tokenizer = ix.bm25_for(lang)
        searched = lang if lang in ix.languages else None  # None: the originals, in whatever languages they are
        known = lambda form: all(t in bm25.postings for t in tokenizer(form))  # noqa: E731
        synonyms = term_synonyms(query, self.terms, searched, known) if s.term_synonyms else []
        keyword_ms = (time.perf_counter() - t) * 1000
        if mode != "keyword":
            ix.open_in_background()  # a cold process: the store opens while the question is embedded
            t = time.perf_counter()
            # A name the text does not use ("Turin Centre" for a version that says "International Training
            # Centre of the ILO") embedded with the names it does use meets the text; asked for when the plain
            # question finds nothing close (the added names also shift which sentences look closest).
            qvec = self.embedder.embed_query(f"{query} ({'; '.join(synonyms)})" if expand and synonyms else query)
            timings["embed_ms"] = (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            dense = ix.dense(qvec, s.candidates, doc=doc, lang=lang)
            timings["dense_ms"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        tokens = tokenizer(" ".join([query, *synonyms]))
        kw_scores = bm25.scores(tokens)
        if doc is not None:
            kw_scores = np.where([u.doc == doc for u in ix.units], kw_scores, 0.0)
        order = np.argsort(-kw_scores)[: s.candidates]
        keyword = [(ix.units[i].id, float(kw_scores[i])) for i in order if kw_scores[i] > 0]
        timings["keyword_ms"] = (time.perf_counter() - t) * 1000 + keyword_ms

        if mode == "dense":
            weight, ranked = 0.0, dense
        elif mode == "keyword":
            weight, ranked = 1.0, keyword
        else:
            weight = keyword_weight(s.keyword_weight, bm25.coverage(tokens))
            ranked = fuse(dense, keyword, weight, s.rrf_k)
        dense_of = dict(dense)
        kw_of = dict(keyword)
        hits = [Hit(ix.by_id[uid], score, dense_of.get(uid, 0.0), kw_of.get(uid, 0.0)) for uid, score in ranked[:k]]
        evidence_lang = ix.record_language(dense[0][0], lang) if dense else ""
        return Retrieval(hits, qvec, dense[0][1] if dense else 0.0, weight, timings, evidence_lang, bool(synonyms))
