"""The evaluation harness: score answers in the JSON answer format against the gold set.

Scores this assistant (`run`) or answers made by any other system (`score_one` on their JSON), with
retrieval, citation (ALCE-style, through the support judge), answer and latency metrics, per category
and per language, each with a 95% bootstrap interval.
"""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path

from ..documents.text import language_of, split_sentences
from . import metrics as M
from .split import TEST, Point, cross_validate, read_split

EVAL_DIR = Path(__file__).resolve().parents[2] / "eval"
GOLD = EVAL_DIR / "gold" / "questions.jsonl"  # written by hand for this project
# Further sets, each scored on its own with `eval --gold FILE`: unanswerable questions that name what the
# paper mentions and ask what it does not say, and questions the chat model wrote per unit.
UNANSWERABLE = EVAL_DIR / "gold" / "unanswerable.jsonl"
SYNTHETIC = EVAL_DIR / "gold" / "synthetic.jsonl"
# Written blind, by someone who saw neither the gold set nor the system: half answerable questions that look
# like the unanswerable half (which city, whether it was adopted, what it concluded, which four…).
UNSEEN = EVAL_DIR / "gold" / "unseen.jsonl"
# The English development questions of both sets put into French by hand: all in the development part (a
# French test part would be the translation of questions tuned on).
FRENCH = EVAL_DIR / "gold" / "questions_fr.jsonl"
SUPPORT_GOLD = EVAL_DIR / "gold" / "support.jsonl"
THRESHOLDS = EVAL_DIR / "thresholds.json"
THRESHOLDS_BY_SET = EVAL_DIR / "thresholds_by_set.json"  # floors on the test part of the further sets
REPORTS = EVAL_DIR / "reports"

# Metric name -> the questions it is averaged over.
METRICS = {
    "hit@1": "answerable",
    "hit@3": "answerable",
    "hit@5": "answerable",
    "recall@5": "answerable",
    "mrr@10": "answerable",
    "ndcg@10": "answerable",
    "cited_gold": "answerable",
    "gold_sentence_quoted": "answerable, with key facts",
    "key_facts": "answerable",
    "key_facts_in_language": "answerable",
    "citation_recall": "answered",
    "citation_precision": "answered",
    "refusal_accuracy": "all",
    "refusal_precision": "refused",
    "refusal_recall": "unanswerable",
    "language_match": "answered",
}
STAGES = ("embed_ms", "dense_ms", "keyword_ms", "compose_ms", "ttft_ms", "generate_ms", "check_ms", "total_ms")
SPLIT = EVAL_DIR / "gold" / "split.json"


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_gold(path: Path = GOLD) -> list[dict]:
    """The questions of a set that are scored: all but those a blind audit found vague or unanswered by the
    paper (`audit.verdict`; the synthetic set's model-written questions), which stay in the file, unscored."""
    return [g for g in load_jsonl(path) if g.get("audit", {}).get("verdict", "fair") == "fair"]


def key_fact_hits(answer: str, facts: list[dict], language: str | None = None) -> list[bool]:
    """Which key facts the answer holds, in any language; with `language`, in that language's variant
    (a fact written in one language only is looked for in that one)."""
    low = answer.lower()

    def variants(f: dict) -> tuple:
        own = f.get(language) if language else None
        return (own,) if own else (f.get("zh"), f.get("en"))

    return [any(v and v.lower() in low for v in variants(f)) for f in facts]


def quoted_originals(citation: dict) -> list[str]:
    """The quoted sentences plus, for a quoted language version, the original sentences they render, so a fact
    quoted in translation is traced to the sentence it translates."""
    quotes = list(citation.get("quote") or [])
    return [o for o in citation.get("quote_original") or [] if o] + quotes


def _translated_for(citation: dict, gold: dict) -> bool:
    """The citation quotes a version in the question's language that is not the unit's original."""
    lang, official = citation.get("language"), citation.get("official") or []
    return lang == gold["language"] and bool(official) and lang != official[0]


def gold_sentence_quoted(answer: dict, gold_units: set[str], facts: list[dict]) -> float | None:
    """1 when a sentence the answer quotes from a gold unit holds a key fact (in any language, or in the
    original sentence a quoted translation renders), else 0; None without key facts. Sentence choice on its
    own: the unit may be right and the sentence wrong."""
    if not facts:
        return None
    variants = [v.lower() for f in facts for v in (f.get("zh"), f.get("en")) if v]
    for c in answer.get("citations", []):
        cid = c.get("id") or f"{c.get('doc')}:{c.get('label')}"
        if cid in gold_units and any(v in q.lower() for q in quoted_originals(c) for v in variants):
            return 1.0
    return 0.0


def citation_scores(answer: dict, judge) -> tuple[float | None, float | None]:
    """ALCE-style citation recall and precision of one answer.

    Recall: share of statements supported by at least one of the units they cite (a statement with
    no citation counts as unsupported). Precision: share of citations that on their own support the
    statement they are attached to.
    """
    texts = {c.get("label"): c.get("text", "") for c in answer.get("citations", [])}
    statements = M.cited_statements(answer.get("answer", ""))
    uncited = [s for s in split_sentences(M.uncited_text(answer.get("answer", ""))) if _is_claim(s)]
    if not statements and not uncited:
        return None, None
    supported, precise, n_cites = 0, 0, 0
    for text, labels in statements:
        verdicts = [judge.supports(text, texts[lb]) if lb in texts else False for lb in labels]
        supported += any(verdicts)
        precise += sum(verdicts)
        n_cites += len(verdicts)
    recall = supported / (len(statements) + len(uncited))
    return recall, (precise / n_cites if n_cites else 0.0)


def _is_claim(sentence: str) -> bool:
    """Uncited text that states something: not a lead-in ending in a colon, not stray punctuation."""
    return not sentence.rstrip().endswith((":", "：")) and bool(re.search(r"\w", sentence))


def score_one(gold: dict, answer: dict, judge=None) -> dict:
    """Per-question values; None where a metric does not apply to this question."""
    answerable, answered = bool(gold["answerable"]), bool(answer.get("answered"))
    ranked = [r["id"] for r in answer.get("retrieved", [])]
    cited = [c.get("id") or f"{c.get('doc')}:{c.get('label')}" for c in answer.get("citations", [])]
    g = set(gold.get("gold", []))
    row: dict = {"id": gold["id"], "category": gold["category"], "language": gold["language"]}
    row.update(dict.fromkeys(METRICS))
    if answerable:
        row.update(
            {
                "hit@1": M.hit_at(ranked, g, 1),
                "hit@3": M.hit_at(ranked, g, 3),
                "hit@5": M.hit_at(ranked, g, 5),
                "recall@5": M.recall_at(ranked, g, 5),
                "mrr@10": M.reciprocal_rank(ranked, g, 10),
                "ndcg@10": M.ndcg_at(ranked, g, 10),
                "cited_gold": float(any(c in g for c in cited)),
            }
        )
        facts = gold.get("key_facts", [])
        row["gold_sentence_quoted"] = gold_sentence_quoted(answer, g, facts) if answered else (0.0 if facts else None)
        # A fact counts when the answer holds it, or quotes the translation of the sentence that holds it.
        carried = " ".join(
            o for c in answer.get("citations", []) if _translated_for(c, gold) for o in quoted_originals(c)
        )
        for metric, language in (("key_facts", None), ("key_facts_in_language", gold["language"])):
            text = answer.get("answer", "")
            hits = key_fact_hits(text, facts, language) if answered else [False] * len(facts)
            if answered and carried:
                hits = [h or c for h, c in zip(hits, key_fact_hits(carried, facts, "zh"), strict=True)]
            row[metric] = sum(hits) / len(hits) if hits else float(answered)
    row["refusal_accuracy"] = float(answered == answerable)
    if not answered:
        row["refusal_precision"] = float(not answerable)
    if not answerable:
        row["refusal_recall"] = float(not answered)
    if answered and judge is not None:
        row["citation_recall"], row["citation_precision"] = citation_scores(answer, judge)
    if answered:
        row["language_match"] = float(language_of(M.uncited_labels(answer.get("answer", ""))) == gold["language"])
    row["timings_ms"] = answer.get("timings_ms") or {}
    row["answered"], row["answerable"] = answered, answerable
    row["question"], row["answer"] = gold["question"], answer.get("answer", "")
    row["error"] = answer.get("error")
    return row


def aggregate(rows: list[dict]) -> dict:
    """{metric: {mean, lo, hi, n}} plus latency percentiles per stage."""
    out: dict = {}
    for m in METRICS:
        values = [r[m] for r in rows if r.get(m) is not None]
        mean, lo, hi = M.bootstrap_ci(values)
        out[m] = {"mean": mean, "lo": lo, "hi": hi, "n": len(values)}
    for stage in STAGES:
        xs = [r["timings_ms"][stage] for r in rows if stage in r.get("timings_ms", {})]
        if xs:
            out[f"{stage[:-3]}_p50_ms"] = {"mean": M.percentile(xs, 50), "n": len(xs)}
            out[f"{stage[:-3]}_p95_ms"] = {"mean": M.percentile(xs, 95), "n": len(xs)}
    return out


def breakdown(rows: list[dict]) -> dict:
    """Aggregates overall, per category, per language, per split part and per part and language."""
    groups = {"all": rows}
    for key in ("category", "language", "split"):
        for value in sorted({r.get(key, "") for r in rows}):
            groups[f"{key}={value}"] = [r for r in rows if r.get(key, "") == value]
    for part in sorted({r.get("split", "") for r in rows}):
        for lang in sorted({r["language"] for r in rows}):
            groups[f"split={part} language={lang}"] = [
                r for r in rows if r.get("split", "") == part and r["language"] == lang
            ]
    return {name: aggregate(rs) for name, rs in groups.items()}


def split_gap(results: dict, metric_names: list[str]) -> dict[str, float]:
    """Test minus development value of each metric: how much tuning on the development part flatters it."""
    dev, test = results.get("split=dev"), results.get("split=test")
    if not dev or not test:
        return {}
    out = {}
    for m in metric_names:
        a, b = dev.get(m, {}).get("mean"), test.get(m, {}).get("mean")
        if a is not None and b is not None and a == a and b == b:
            out[m] = round(b - a, 4)
    return out


def run(engine, gold: list[dict], retrieval: str = "hybrid") -> list[dict]:
    """This assistant's JSON answers to the gold questions (an invalid question yields an error record)."""
    from ..engine import InvalidQuestion

    answers = []
    for g in gold:
        try:
            answers.append(engine.ask(g["question"], g.get("history"), retrieval=retrieval, qid=g["id"]).to_dict())
        except InvalidQuestion as e:
            answers.append({"id": g["id"], "answered": False, "error": str(e)})
    return answers


def score(gold: list[dict], answers: list[dict], judge=None, split: dict[str, str] | None = None) -> list[dict]:
    """Per-question rows; each tagged with its split part (a question the split does not know is test)."""
    by_id = {str(a.get("id")): a for a in answers}
    rows = [score_one(g, by_id.get(g["id"], {"error": "no answer"}), judge) for g in gold]
    split = read_split(SPLIT) if split is None else split
    for r in rows:
        r["split"] = split.get(r["id"], TEST)
    return rows


def failed(row: dict) -> bool:
    return bool(
        row["refusal_accuracy"] < 1
        or (row["hit@5"] is not None and row["hit@5"] < 1)
        or (row["key_facts"] is not None and row["key_facts"] < 1)
        or (row["citation_recall"] is not None and row["citation_recall"] < 1)
    )


def check_floors(summary: dict, floors: dict) -> list[str]:
    """The metrics that fell below their recorded floor, as readable lines."""
    bad = []
    for metric, floor in floors.items():
        value = summary.get(metric, {}).get("mean", math.nan)
        if not value >= floor:
            bad.append(f"{metric} = {value:.3f} is below its floor {floor:.3f}")
    return bad


def calibrate_judge(judge, pairs: list[dict], units: dict[str, str]) -> dict:
    """Judge agreement with the hand labels at the configured threshold, by kind of pair; and a
    threshold fitted on the odd-numbered pairs with its agreement on the even-numbered (held-out) ones."""
    scored = [(judge.score(p["claim"], units[p["unit"]])[0], bool(p["supported"]), p) for p in pairs]

    def agreement(items, t):
        return sum((sc >= t) == y for sc, y, _ in items) / len(items)

    dev = [x for i, x in enumerate(scored) if i % 2 == 0]
    held_out = [x for i, x in enumerate(scored) if i % 2 == 1]
    fitted = max(sorted({sc for sc, _, _ in dev}), key=lambda t: agreement(dev, t))
    by_kind: dict[str, list] = {}
    for item in scored:
        by_kind.setdefault(item[2].get("kind", "?"), []).append(item)
    return {
        "pairs": len(pairs),
        "threshold": judge.threshold,
        "agreement": agreement(scored, judge.threshold),
        "agreement_by_kind": {k: agreement(v, judge.threshold) for k, v in sorted(by_kind.items())},
        "fitted_threshold_on_half": fitted,
        "held_out_agreement_at_fitted": agreement(held_out, fitted),
    }


# Which setting holds the refusal threshold of each kind of evidence (see Engine.refusal_threshold).
THRESHOLD_SETTINGS = {"zh": "refusal_threshold_zh", "en": "refusal_threshold_en", "cross": "refusal_threshold_cross"}


def refusal_points(engine, gold: list[dict]) -> dict[str, list[Point]]:
    """Each question answered with every refusal threshold open, as a fitting point, grouped by the
    threshold that judges it: same-language evidence by the question's language, else "cross".
    Look-ups and structural answers never meet the threshold and are left out."""
    from ..engine import Engine

    opened = dict.fromkeys(THRESHOLD_SETTINGS.values(), -1.0) | {"answer_mode": "extractive"}
    probe = Engine(engine.settings.model_copy(update=opened), index=engine.index, embedder=engine.embedder)
    groups: dict[str, list[Point]] = {}
    for g, a in zip(gold, run(probe, gold), strict=True):
        if a.get("evidence") is None or a.get("mode") in ("lookup", "aggregate"):
            continue
        ev_lang = a.get("evidence_language") or g["language"]
        key = "cross" if ev_lang != g["language"] else ("zh" if g["language"] == "zh" else "en")
        groups.setdefault(key, []).append(Point(a["evidence"], bool(g["answerable"]), bool(a.get("answered"))))
    return groups


def calibrate_refusal(engine, gold: list[dict], folds: int = 5) -> dict:
    """Refusal thresholds fitted by k-fold cross-validation on `gold` (the development part), per kind
    of evidence, with the setting each one goes into."""
    return {
        key: {"setting": THRESHOLD_SETTINGS[key], **cross_validate(points, folds)}
        for key, points in sorted(refusal_points(engine, gold).items())
    }


def subset(gold: list[dict], n: int) -> list[dict]:
    """n questions spread evenly over the gold set (it is ordered by category and language), for slow modes."""
    if n >= len(gold):
        return gold
    step = len(gold) / n
    return [gold[int(i * step)] for i in range(n)]


def report_name(config: str) -> str:
    return f"{time.strftime('%Y-%m-%d')}-{config}"


MAIN = (
    "hit@1",
    "hit@5",
    "mrr@10",
    "ndcg@10",
    "cited_gold",
    "gold_sentence_quoted",
    "key_facts",
    "key_facts_in_language",
    "citation_recall",
    "citation_precision",
    "refusal_accuracy",
    "refusal_precision",
    "refusal_recall",
    "language_match",
)


def _fmt(cell: dict | None, ci: bool = True) -> str:
    if not cell or cell.get("n", 0) == 0 or cell["mean"] != cell["mean"]:
        return "–"
    if "lo" not in cell:  # a latency percentile
        return f"{cell['mean']:.1f}"
    if ci:
        return f"{cell['mean']:.3f} [{cell['lo']:.2f}, {cell['hi']:.2f}] (n={cell['n']})"
    return f"{cell['mean']:.3f}"


def _group_table(results: dict, groups: list[str], metric_names: list[str]) -> list[str]:
    lines = ["| group | " + " | ".join(metric_names) + " |", "|---" * (len(metric_names) + 1) + "|"]
    for g in groups:
        lines.append(f"| {g} | " + " | ".join(_fmt(results[g].get(m)) for m in metric_names) + " |")
    return lines


def markdown_report(config: str, results: dict, rows: list[dict], plot: str | None = None) -> str:
    """Overall metrics, then per category and per language (95% bootstrap intervals), latency per
    stage, and the per-question table with the failures first."""
    lines = [f"# Evaluation: {config}", "", f"{len(rows)} questions; 95% bootstrap intervals in brackets.", ""]
    if plot:
        lines += [f"![metrics per configuration]({plot})", ""]
    overall = results["all"]
    lines += ["## Overall", "", "| metric | value | averaged over |", "|---|---|---|"]
    lines += [f"| {m} | {_fmt(overall[m])} | {METRICS[m]} |" for m in METRICS if overall[m]["n"]]
    latency = [m for m in overall if m.endswith("_ms")]
    lines += ["", "## Latency per stage (ms)", "", "| stage | value |", "|---|---|"]
    lines += [f"| {m} | {_fmt(overall[m])} |" for m in latency]
    main = [m for m in MAIN if overall[m]["n"]]
    for key in ("split", "category", "language"):
        groups = [g for g in results if g.startswith(f"{key}=")]
        lines += ["", f"## By {key}", "", *_group_table(results, groups, main)]
        if key == "split" and (gap := split_gap(results, main)):
            lines += [
                "",
                "Test minus development (the part tuned on): " + ", ".join(f"{m} {v:+.3f}" for m, v in gap.items()),
            ]
    lines += ["", "## Questions (failures first)", ""]
    lines += ["| id | lang | category | answered | hit@5 | facts | question | answer |", "|---" * 8 + "|"]
    for r in sorted(rows, key=lambda r: (not failed(r), r["id"])):
        answer = (r["answer"] or r.get("error") or "").replace("\n", " ").replace("|", "\\|")[:160]
        flag = "**FAIL** " if failed(r) else ""
        lines.append(
            f"| {flag}{r['id']} | {r['language']} | {r['category']} | {r['answered']} | "
            f"{'' if r['hit@5'] is None else int(r['hit@5'])} | "
            f"{'' if r['key_facts'] is None else round(r['key_facts'], 2)} | {r['question'][:80]} | {answer} |"
        )
    return "\n".join(lines) + "\n"


def comparison_table(summaries: dict[str, dict], metric_names: list[str]) -> str:
    lines = ["| config | " + " | ".join(metric_names) + " |", "|---" * (len(metric_names) + 1) + "|"]
    for name, s in summaries.items():
        lines.append(f"| {name} | " + " | ".join(_fmt(s.get(m), ci=False) for m in metric_names) + " |")
    return "\n".join(lines)


def plot_comparison(summaries: dict[str, dict], metric_names: list[str], path: Path) -> Path:
    """Grouped bars of the metrics per configuration, with their 95% intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(max(8, 1.2 * len(metric_names)), 4.5))
    width = 0.8 / max(1, len(summaries))
    x = np.arange(len(metric_names))
    for i, (name, s) in enumerate(summaries.items()):
        means = [s[m]["mean"] for m in metric_names]
        err = [
            [s[m]["mean"] - s[m].get("lo", s[m]["mean"]) for m in metric_names],
            [s[m].get("hi", s[m]["mean"]) - s[m]["mean"] for m in metric_names],
        ]
        ax.bar(x + i * width, means, width, yerr=np.nan_to_num(err), capsize=2, label=name)
    ax.set_xticks(x + width * (len(summaries) - 1) / 2, metric_names, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score (95% CI)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
