"""The reranking stage: a llama-index node postprocessor over retrieval signals, and its fitting."""

from __future__ import annotations

import numpy as np
from llama_index.core.schema import NodeWithScore, TextNode

from assistant.search.rerank import SIGNALS, fit, make_postprocessor, mrr, order


def _row(**values) -> list[float]:
    return [values.get(s, 0.0) for s in SIGNALS]


def test_postprocessor_orders_nodes_by_weighted_signals():
    nodes = [
        NodeWithScore(node=TextNode(id_="a", text="", metadata={"signals": _row(fused=1.0, sentence=0.5)}), score=1),
        NodeWithScore(node=TextNode(id_="b", text="", metadata={"signals": _row(fused=0.9, sentence=0.8)}), score=1),
    ]
    assert [n.node.node_id for n in make_postprocessor({"fused": 1.0}).postprocess_nodes(nodes)] == ["a", "b"]
    reranked = make_postprocessor({"fused": 1.0, "sentence": 2.0}).postprocess_nodes(nodes)
    assert [n.node.node_id for n in reranked] == ["b", "a"]


def test_fitting_finds_the_signal_that_separates_gold_and_keeps_fused_order_without_one():
    rng = np.random.default_rng(0)
    samples = []
    for _ in range(30):
        m = np.zeros((5, len(SIGNALS)))
        m[:, 0] = np.linspace(1, 0.6, 5)  # fused order: row 0 first
        gold = rng.integers(1, 5)
        m[:, SIGNALS.index("sentence")] = 0.3
        m[gold, SIGNALS.index("sentence")] = 0.9  # the gold unit holds the best sentence
        mask = np.zeros(5, bool)
        mask[gold] = True
        samples.append((m, mask))
    start = {"fused": 1.0}
    fitted = fit(samples, start)
    assert mrr(samples, fitted) == 1.0 > mrr(samples, start)
    assert fitted["sentence"] > 0
    assert order(samples[0][0], start) == [0, 1, 2, 3, 4]
