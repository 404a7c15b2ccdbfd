"""Written answers: prompt the language model, stream its words under a time budget, check citations.

A model that is slow to start (past `llm_ttft_budget_s`), stalls (past `llm_timeout_s`) or fails makes
`stream` raise `LLMFailed`; the engine then answers extractively and says so.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field

from ..documents.units import Unit
from . import prompt as P
from .grounding import Grounded, ground


class LLMFailed(RuntimeError):
    """The model did not answer in time or raised; the message says which."""


def _chat_messages(messages: list[dict]):
    from llama_index.core.llms import ChatMessage

    return [ChatMessage(role=m["role"], content=m["content"]) for m in messages]


def stream(llm, messages: list[dict], ttft_budget_s: float, timeout_s: float, **kwargs) -> Iterator[str]:
    """The model's text deltas (`kwargs`, e.g. max_tokens, go to the model). The model runs in a worker
    thread so that a slow first token or a stalled stream becomes an `LLMFailed` here, not a hung request."""
    q: queue.Queue = queue.Queue()
    stop = threading.Event()

    def work():
        try:
            for r in llm.stream_chat(_chat_messages(messages), **kwargs):
                if stop.is_set():
                    break
                q.put(("delta", r.delta or ""))
            q.put(("end", None))
        except Exception as e:  # noqa: BLE001 - handed to the caller's thread
            q.put(("error", e))

    threading.Thread(target=work, daemon=True, name="llm-stream").start()
    t0 = time.monotonic()
    first = True
    try:
        while True:
            limit = ttft_budget_s if first else timeout_s
            left = limit - (time.monotonic() - t0)
            try:
                kind, value = q.get(timeout=max(left, 0.001))
            except queue.Empty:
                what = "its first word" if first else "the rest of its answer"
                raise LLMFailed(f"the language model did not write {what} within {limit:g} s") from None
            if kind == "error":
                raise LLMFailed(f"the language model failed: {type(value).__name__}: {value}") from value
            if kind == "end":
                return
            if value:
                first = False
                yield value
    finally:
        stop.set()


@dataclass
class Written:
    raw: str = ""
    grounded: Grounded | None = None
    prompt_chars: int = 0
    prompt_tokens: int | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)


def count_tokens(llm, messages: list[dict]) -> int | None:
    counter = getattr(llm, "count_tokens", None)
    return counter("\n".join(m["content"] for m in messages)) if counter else None


TEMPLATE_TOKENS = 64  # the chat template's own tokens, which count_tokens does not see


def fit_prompt(
    llm, make_messages, units: list[Unit], quoted: dict[str, list[str]], budget: int, reserve: int
) -> tuple[list[dict], int | None]:
    """The messages `make_messages(sources)` builds from the sources cut to `budget` characters, cut
    further while the prompt would leave fewer than `reserve` tokens of the model's context for its
    answer (a tokenizer that is poor at Chinese makes 1,400 characters 2,000 tokens); with their
    token count (None when the model has no tokenizer here)."""
    window = getattr(getattr(llm, "metadata", None), "context_window", None)
    while True:
        messages = make_messages(P.trim_sources(units, quoted, budget))
        used = count_tokens(llm, messages)
        if used is None or not window or used + reserve + TEMPLATE_TOKENS <= window or budget <= 100:
            return messages, used
        budget = max(100, int(budget * (window - reserve - TEMPLATE_TOKENS) / used * 0.95))


def generate(llm, messages: list[dict], settings, timings: dict[str, float], **kwargs) -> Generator[str, None, str]:
    """Stream the model's text (deltas) under the settings' time budgets, record `ttft_ms` and
    `generate_ms` in `timings`, and return the whole text; a failure is `LLMFailed`."""
    t0, text = time.perf_counter(), ""
    for delta in stream(llm, messages, settings.llm_ttft_budget_s, settings.llm_timeout_s, **kwargs):
        if not text:
            timings["ttft_ms"] = (time.perf_counter() - t0) * 1000
        text += delta
        yield delta
    timings["generate_ms"] = (time.perf_counter() - t0) * 1000
    return text


def write_answer(
    llm, judge, question: str, units: list[Unit], quoted: dict[str, list[str]], lang: str, settings, out: Written
) -> Iterator[str]:
    """Stream the model's answer (deltas), then fill `out` with the raw text and its grounded form."""
    messages, out.prompt_tokens = fit_prompt(
        llm,
        lambda sources: P.answer_messages(question, sources, lang),
        units,
        quoted,
        settings.llm_source_chars,
        settings.llm_max_tokens,
    )
    out.prompt_chars = sum(len(m["content"]) for m in messages)
    out.raw = yield from generate(llm, messages, settings, out.timings_ms)
    t1 = time.perf_counter()
    out.grounded = ground(out.raw, units, judge, lang, mark_unsupported=settings.unsupported_sentences == "mark")
    out.timings_ms["check_ms"] = (time.perf_counter() - t1) * 1000


def rewrite_followup(llm, question: str, history: list[dict], settings) -> str | None:
    """The follow-up made standalone by the model, or None when its reply is not a usable question."""
    messages = P.rewrite_messages(question, history)
    text = "".join(stream(llm, messages, settings.llm_ttft_budget_s, settings.llm_timeout_s)).strip()
    text = re.sub(r"^(rewritten question|question|问题)\s*[:：]\s*", "", text, flags=re.I).strip().strip('"“”')
    if not text or "\n" in text or len(text) > max(300, 4 * len(question)) or P.NO_ANSWER in text:
        return None
    return text
