"""Keyword retrieval over Chinese and English: a jieba tokenizer and Okapi BM25.

llama-index's BM25 retriever splits on `\\w+` (a Chinese clause becomes one token) and ignores a custom
tokenizer, so the tokenizer and scorer are our own. Document symbols (GB.334/INS/4) and numbers stay
whole tokens.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter

import numpy as np

from ..documents.units import SYMBOL

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_LATIN = re.compile(r"[A-Za-z][A-Za-z\-+]*[A-Za-z0-9+]|[A-Za-z]|\d+(?:[.\-]\d+)*")

STOPWORDS = frozenset(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "在",
        "是",
        "为",
        "对",
        "于",
        "以",
        "将",
        "其",
        "之",
        "也",
        "而",
        "并",
        "等",
        "中",
        "上",
        "下",
        "由",
        "从",
        "把",
        "被",
        "这",
        "那",
        "此",
        "该",
        "有",
        "无",
        "就",
        "都",
        "又",
        "所",
        "如",
        "若",
        "则",
        "但",
        "可",
        "能",
        "应",
        "会",
        "要",
        "个",
        "们",
        "何",
        "什么",
        "哪些",
        "哪个",
        "哪",
        "吗",
        "呢",
        "吧",
        "怎么",
        "怎样",
        "如何",
        "多少",
        "几",
        "谁",
        "说",
        "提到",
        "关于",
        "文件",
        "本",
        "段",
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "for",
        "by",
        "with",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "how",
        "why",
        "when",
        "where",
        "does",
        "do",
        "did",
        "say",
        "says",
        "said",
        "about",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "as",
        "at",
        "from",
        "paper",
        "document",
        "me",
        "tell",
        "please",
        "there",
        "their",
        "they",
        "them",
        "can",
        "could",
        "should",
        "would",
        "will",
        "shall",
        "has",
        "have",
        "had",
        "not",
        "no",
        "any",
        "all",
        "paragraph",
        "para",
        "footnote",
        "note",
    ]
)

# ILO terms jieba's dictionary splits apart; whole, they make sharper keywords.
_TERMS = [
    "国际劳工组织",
    "国际劳工大会",
    "体面劳动",
    "三方成员",
    "三方机制",
    "社会对话",
    "南南合作",
    "三角合作",
    "发展合作",
    "可持续发展目标",
    "联合国发展系统",
    "联合国发展援助框架",
    "体面劳动国别计划",
    "官方发展援助",
    "驻地协调员",
    "国别工作组",
    "都灵中心",
    "伙伴关系",
    "创新融资",
    "知识战略",
    "评估战略",
    "百年纪念",
    "能力发展",
    "政策一致性",
    "透明度",
    "私营部门",
]

_jieba_lock = threading.Lock()
_jieba_ready = False


def _cut(text: str) -> list[str]:
    global _jieba_ready
    import jieba

    with _jieba_lock:
        if not _jieba_ready:
            jieba.setLogLevel(logging.WARNING)
            for term in _TERMS:
                jieba.add_word(term)
            _jieba_ready = True
    return jieba.lcut_for_search(text)


def tokenize(text: str) -> list[str]:
    """Lower-cased keyword tokens: document symbols whole, jieba words for Chinese, words and numbers."""
    tokens = [s.lower() for s in SYMBOL.findall(text)]
    rest = SYMBOL.sub(" ", text)
    for m in re.finditer(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[^\u3400-\u4dbf\u4e00-\u9fff]+", rest):
        chunk = m.group(0)
        if _CJK_RUN.fullmatch(chunk):
            tokens.extend(_cut(chunk))
        else:
            tokens.extend(w.lower() for w in _LATIN.findall(chunk))
    return [t for t in tokens if t.strip() and t not in STOPWORDS]


ENGLISH_STOPWORDS = frozenset(
    "a an the of and or to in on at by for from with as is are was were be been being it its this that these "
    "those what which who whom whose how why when where does do did has have had will would shall should can "
    "could may might must not no into about than then there their they them he she we you i our your his her "
    "also such any all each other more most some only own same so too very just".split()
)


def _stem(word: str) -> str:
    """A light English stemmer (plurals, -ing/-ed, a final e): deliverables ~ deliverable, financing ~ finance."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("es") and word[-3] in "sxz":
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def tokenize_english(text: str) -> list[str]:
    """Tokens of an English text for its own BM25: symbols whole, stop words out, words stemmed."""
    return [t if "/" in t or not t.isalpha() else _stem(t) for t in tokenize(text) if t not in ENGLISH_STOPWORDS]


def tokenizer_for(lang: str):
    """The keyword tokenizer of a language version (English gets stemming and stop words)."""
    return tokenize_english if lang == "en" else tokenize


class BM25:
    """Okapi BM25 over pre-tokenized documents."""

    def __init__(self, docs: list[list[str]], k1: float = 1.5, b: float = 0.75):
        self.k1, self.b = k1, b
        self.n = len(docs)
        self.lengths = np.array([len(d) for d in docs], dtype=np.float32)
        self.avg = float(self.lengths.mean()) if self.n else 0.0
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                self.postings.setdefault(term, []).append((i, tf))

    def idf(self, term: str) -> float:
        df = len(self.postings.get(term, ()))
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def scores(self, query: list[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float32)
        norm = self.k1 * (1 - self.b + self.b * self.lengths / max(self.avg, 1e-9))
        for term in set(query):
            idf = self.idf(term)
            for i, tf in self.postings.get(term, ()):
                out[i] += idf * tf * (self.k1 + 1) / (tf + norm[i])
        return out

    def coverage(self, query: list[str]) -> float:
        """Share of the query's distinct terms that occur in the corpus at all."""
        terms = set(query)
        return sum(t in self.postings for t in terms) / len(terms) if terms else 0.0
