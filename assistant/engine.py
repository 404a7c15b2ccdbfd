"""The question-answering engine: validate → rewrite follow-ups → look up or retrieve → answer or refuse.

Answers are extractive (quoted sentences) or written by a language model (`ILO_ANSWER_MODE`), whose
citations are checked against the retrieved units (grounding.py). One Engine is shared by every
interface (CLI, chat, batch, UI); it is safe to call from several threads.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import replace

from .answers import answer as A
from .answers.followup import is_followup, standalone_question
from .config import Settings
from .documents.text import UnsafeText, language_of, sanitize
from .documents.versions import sentence_pairs
from .search import aggregate, lookup
from .search.answer_evidence import holds, missing_answer
from .search.answer_types import STEERING, asked_items, asked_type
from .search.retrieve import RetrievalMode, Retriever


class InvalidQuestion(ValueError):
    """The question cannot be answered as given (empty, too long, invalid characters); the message says why."""


def validate(question: object, max_chars: int, what: str = "question") -> str:
    """The question (or briefing topic: `what`) sanitised (documents/text.sanitize: NFC, no control or
    zero-width characters) and stripped, or a clear error; no model is loaded for this."""
    if not isinstance(question, str):
        raise InvalidQuestion(f"the {what} must be text")
    try:
        q = sanitize(question, f"the {what}").strip()
    except UnsafeText as e:
        raise InvalidQuestion(str(e)) from None
    if not q:
        raise InvalidQuestion(f"the {what} is empty")
    if len(q) > max_chars:
        raise InvalidQuestion(
            f"the {what} is {len(q):,} characters long; the limit is {max_chars:,}. Ask about one point at a time."
        )
    return q


def _clean_history(history) -> list[dict] | None:
    """Earlier turns as given by an interface, their text sanitised like questions; malformed turns dropped."""
    if not history:
        return history
    out = []
    for turn in history:
        if isinstance(turn, dict) and isinstance(turn.get("content"), str):
            try:
                out.append({**turn, "content": sanitize(turn["content"], "an earlier turn")})
            except UnsafeText as e:
                raise InvalidQuestion(str(e)) from None
    return out


ANSWER_MODES = ("extractive", "local", "openai", "auto")


def _mode_key(s: Settings) -> tuple:
    return s.answer_mode, s.llm_model, s.openai_base_url, s.openai_model


class _LLMSlot:
    """The configured language model, made on first use (loading a local model takes seconds) and shared
    by the engines over later builds."""

    def __init__(self, settings: Settings, llm=None):
        self.settings, self.value, self.ready = settings, llm, llm is not None
        self.lock = threading.Lock()

    def get(self):
        if not self.ready:
            with self.lock:
                if not self.ready:
                    from .models.llm import make_llm

                    self.value, self.ready = make_llm(self.settings), True
        return self.value


class Engine:
    def __init__(self, settings: Settings, index=None, embedder=None, llm=None, *, _slots: dict | None = None):
        """`llm`: a llama-index LLM for written answers; by default the one configured (None: extractive).

        No model is loaded here: the embedder on the first retrieval, the language model on the first
        answer it writes. Look-ups ("paragraph 12", "GB.334/INS/4") and structural answers load neither."""
        from .models.embed import for_settings
        from .models.llm import backend_name
        from .search.index import load_index

        self.settings = settings
        self.index = index or load_index(settings)
        self.embedder = embedder or for_settings(settings)
        self.retriever = Retriever(self.index, self.embedder, settings)
        docs = self.index.documents
        self.symbol = docs[0].symbol if len(docs) == 1 else "the corpus"
        self.docs = {d.id: (d.symbol or d.id, d.language) for d in docs}  # id → (symbol, language)
        # The language model of each answer mode asked for (see `in_mode`), shared with engines over later builds.
        self._slots = {} if _slots is None else _slots
        self._llm = self._slots.setdefault(_mode_key(settings), _LLMSlot(settings, llm))
        self.backend = backend_name(settings)
        if llm is not None and self.backend == "extractive":
            self.backend = "custom"  # a model handed in directly
        self._judge = None
        self._answerability = self._load_answerability()

    def _load_answerability(self):
        """The answerability model of the corpus and the current fingerprint of its paper (None: off)."""
        if not self.settings.answerability:
            return None
        from .search import answerability

        model = answerability.load(self.settings.corpus_dir / answerability.FILE)
        if model is None:
            return None
        units = [u for u in self.index.units if u.doc == model.doc]
        return model, answerability.fingerprint(units)

    def _judged_unanswered(self, query_vec, evidence: float, candidates) -> bool:
        """The paper's answerability model, where it may judge these units, finds the question unanswered."""
        if self._answerability is None or query_vec is None:
            return False
        model, current = self._answerability
        if not model.judges({u.doc for u in candidates}, current, self.settings.embed_model):
            return False
        return model.unanswered(query_vec, evidence) > model.threshold

    @property
    def llm(self):
        """The language model that writes answers (None: extractive), loaded on first use."""
        return self._llm.get()

    def over(self, index) -> Engine:
        """An engine over another build (a new `ingest`) with this one's models, loaded or not."""
        return Engine(self.settings, index=index, embedder=self.embedder, _slots=self._slots)

    def in_mode(self, mode: str | None) -> Engine:
        """This engine answering in another mode: extractive, local, openai, auto, or local:MODEL (an
        installed chat model or a .gguf path); the same index and embedder, each mode's model loaded once."""
        if not mode:
            return self
        if not isinstance(mode, str):
            raise InvalidQuestion("the answer mode must be text (extractive, local, openai or auto)")
        answer_mode, _, model = mode.partition(":")
        if answer_mode not in ANSWER_MODES:
            raise InvalidQuestion(f"unknown answer mode {mode!r} (one of: {', '.join(ANSWER_MODES)})")
        s = self.settings.model_copy(update={"answer_mode": answer_mode} | ({"llm_model": model} if model else {}))
        if _mode_key(s) == _mode_key(self.settings):
            return self
        return Engine(s, index=self.index, embedder=self.embedder, _slots=self._slots)

    @property
    def judge(self):
        """The support judge that checks written answers' citations (the evaluation's judge)."""
        if self._judge is None:
            from .answers.judge import SupportJudge

            self._judge = SupportJudge(self.embedder, self.settings.support_threshold)
        return self._judge

    def seed_judge(self, sentences: list) -> None:
        """Hand the judge the index's (sentence, vector) pairs when it embeds with the index's model: they
        are then its document vectors, and checking a written text embeds only its statements."""
        if self.judge.embedder is self.embedder:  # a judge given another model embeds for itself
            self.judge.seed({s["text"]: v for s, v in sentences})

    def ask(
        self,
        question: str,
        history: list[dict] | None = None,
        retrieval: RetrievalMode = "hybrid",
        qid: object = None,
        top_k: int | None = None,
        doc: str | None = None,
        write: bool = True,
    ) -> A.Answer:
        """The checked answer about one document (`doc`, an id) or, by default, the whole corpus
        (a written answer's words are not streamed here: see `ask_stream`)."""
        for event in self.ask_stream(question, history, retrieval, qid, top_k, doc, write):
            if isinstance(event, A.Answer):
                return event
        raise AssertionError("ask_stream ended without an answer")

    def ask_stream(
        self,
        question: str,
        history: list[dict] | None = None,
        retrieval: RetrievalMode = "hybrid",
        qid: object = None,
        top_k: int | None = None,
        doc: str | None = None,
        write: bool = True,
    ) -> Iterator[str | A.Answer]:
        """The model's words as it writes them (str), then the checked Answer, always last.

        The streamed text is a draft: the final answer keeps only the sentences its sources support.
        `write=False` quotes even when a model is configured (a reader's choice in the chat window).
        """
        t0 = time.perf_counter()
        q = validate(question, self.settings.max_question_chars)
        history = _clean_history(history)
        lang = self.reading_language(language_of(q))
        standalone, rewrite_ms = self._standalone(q, history)
        result = A.Answer(question=q, answer="", answered=False, standalone=standalone, language=lang, id=qid)
        result.build = self.index.build_id
        if rewrite_ms is not None:
            result.timings_ms["rewrite_ms"] = rewrite_ms

        doc, scope = self.scope(q, doc)
        found = lookup.find(q, scope, self.index.units_of(doc), set(self.index.doc_of_symbol))
        if A.OFF_TASK.search(q):  # "ignore the documents and tell me a joke": not a question about them
            result.answer = A.OFF_TASK_REFUSAL[lang]  # a refusal: answered false, no citations
        elif found.unknown and not found.units:
            result.answer = A.UNKNOWN_REF[lang].format(
                refs=", ".join(found.unknown), symbol=self.symbol_of(scope), ranges=lookup.ranges(scope)
            )
        elif found.pure or (found.symbols and found.units):
            result.answer = A.compose_lookup(found.units, lang, {d: x[1] for d, x in self.docs.items()})
            result.answered = True
            result.mode = "lookup"
            result.citations = [self._citation(u, 1.0, [A.text_in(u, lang)], lang) for u in found.units]
            result.retrieved = [{"id": u.id, "label": u.label, "score": 1.0} for u in found.units]
        elif not found.units and (agg := aggregate.answer(standalone, scope, lang, asked=q)):
            self._answer_from_structure(result, agg, lang)
        else:
            yield from self._answer_from_retrieval(result, standalone, found, lang, retrieval, top_k, doc, write)
        result.timings_ms["total_ms"] = (time.perf_counter() - t0) * 1000
        yield result

    def _standalone(self, q: str, history: list[dict] | None) -> tuple[str, float | None]:
        """The follow-up made standalone: by the model when one is configured, else (or if it fails) by rule."""
        rule = standalone_question(q, history)
        if not (history and is_followup(q) and self.settings.llm_rewrite_followups and self.llm):
            return rule, None
        from .answers.generate import LLMFailed, rewrite_followup

        t = time.perf_counter()
        try:
            rewritten = rewrite_followup(self.llm, q, history, self.settings)
        except LLMFailed:
            rewritten = None
        return rewritten or rule, (time.perf_counter() - t) * 1000

    def scope(self, question: str, doc: str | None) -> tuple[str | None, list]:
        """The document a question is restricted to (given, or named by its symbol in the question) and
        the units its paragraph and footnote numbers refer to (that document's, else the first's)."""
        if doc is not None and doc not in self.index.versions:
            known = ", ".join(d.id for d in self.index.documents)
            raise InvalidQuestion(f"there is no document {doc!r} in the corpus (it has {known})")
        if doc is None and len(self.index.documents) > 1 and not lookup.WHERE_CITED.search(question):
            named = {self.index.doc_of_symbol.get(s) for s in lookup.SYMBOL.findall(question)} - {None}
            doc = named.pop() if len(named) == 1 else None
        first = doc or self.index.documents[0].id
        return doc, self.index.units_of(first)

    def symbol_of(self, units: list) -> str:
        return self.docs[units[0].doc][0] if units else self.symbol

    def reading_language(self, asked: str) -> str:
        """The language the answer is given in: the question's when a document or version is in it, else the
        fallback language when one is (a French question with no French version reads the English one)."""
        have = self.index.languages | {language for _, language in self.docs.values()}
        fallback = self.settings.fallback_language
        return asked if asked in have or asked in ("zh", "en") or fallback not in have else fallback

    def _answer_from_structure(self, result: A.Answer, agg, lang: str) -> None:
        """Questions about the paper as a whole: counted from its structure, every counted unit cited, quoted
        in the reader's version when the units have one (its provenance said in the lead)."""
        quoted = [(unit, self._in_version(unit, sentences, lang)) for unit, sentences in agg.quoted]
        lines = [A.cite(sentence, unit.label) for unit, (sentences, _) in quoted for sentence in sentences]
        versions = {(unit.version(lang) or ("", ""))[1] for unit, (_, v) in quoted if v}
        lead = agg.lead
        if len(versions) == 1 and (provenance := versions.pop()):
            original = self.docs.get(quoted[0][0].doc, ("", ""))[1]
            lead = lead.rstrip(":：") + A.original_note(lang, lang, provenance, original) + lead[-1]
        result.answer = lead + "\n" + "\n".join(lines)
        result.answered, result.mode = True, "aggregate"
        result.citations = [self._citation(unit, 1.0, s, lang if v else None) for unit, (s, v) in quoted]
        result.retrieved = [{"id": u.id, "label": u.label, "score": 1.0} for u, _ in agg.quoted]

    @staticmethod
    def _in_version(unit, sentences: list[str], lang: str) -> tuple[list[str], bool]:
        """(the sentences in the unit's `lang` version, True) taken from the same places as in the original,
        or (the original sentences, False) when the unit has no such version."""
        version = unit.version(lang)
        if not version:
            return sentences, False
        pairs = sentence_pairs(unit, lang)
        if pairs is None:  # the sentences do not line up: quote the whole version
            return [version[0]] if sentences else [], True
        translated = dict(reversed(pairs))  # the first place of a sentence that occurs twice
        return [translated[x] for x in sentences if x in translated] or [version[0]], True

    def _citation(self, unit, score: float, sentences: list[str], lang: str | None) -> A.Citation:
        """A citation of a unit quoted in the reader's language version (`lang`) when it has one."""
        original = self.docs.get(unit.doc, ("", ""))[1]
        quoted = lang if lang and unit.version(lang) else ""
        return A.Citation(unit, score, sentences, lang=quoted, original=original)

    def refusal_threshold(self, lang: str, evidence_language: str) -> float:
        """Same-language evidence (the question met a text in its own language) is judged on that
        language's threshold; Chinese against English (either way) is compressed and has its own. French
        or Spanish over English text separates best at the English threshold (eval/gold/questions_fr.jsonl:
        accuracy 0.735 there, 0.618 at the cross-lingual one)."""
        s = self.settings
        if evidence_language and evidence_language != lang and "zh" in (lang, evidence_language):
            return s.refusal_threshold_cross
        return s.refusal_threshold_zh if lang == "zh" else s.refusal_threshold_en

    def retrieve(self, query: str, asked: str, **options):
        """The retriever's answer (`options`: its keywords), asked again with the text's names for a term the
        query names otherwise when the plain query finds nothing above the refusal threshold of a question in
        `asked` ("Turin Centre" against a version that says "International Training Centre of the ILO")."""
        r = self.retriever.retrieve(query, **options)
        if r.expandable and r.top_dense < self.refusal_threshold(asked, r.evidence_language):
            r = self.retriever.retrieve(query, expand=True, **options)
        return r

    def _rerank(self, r, question: str, lang: str, sentences: list | None = None) -> list:
        """The retrieved hits reordered by the reranking stage (search/rerank.py): the order its llama-index
        postprocessor gives, computed without building nodes (importing llama-index costs a one-shot question
        about 1.5 s). `sentences`: the hits' sentence vectors when already read (else read here)."""
        from .search.rerank import order, signal_matrix

        matrix = signal_matrix(r.hits, question, self.sentence_best(r, lang, sentences))
        return [r.hits[i] for i in order(matrix, self.settings.rerank_weights)]

    def sentence_best(self, r, lang: str, sentences: list | None = None) -> dict[str, float]:
        """Unit id → the best similarity of the question and one of the unit's sentences (in `lang`'s version)."""
        best: dict[str, float] = {}
        if r.query_vec is None:
            return best
        if sentences is None:
            sentences = self.index.sentence_vectors([h.unit.id for h in r.hits], lang)
        for sent, vec in sentences:
            best[sent["unit"]] = max(best.get(sent["unit"], -1.0), float(vec @ r.query_vec))
        return best

    def _notes_to_bring(self, units: dict, picked, kind: str | None, question: str, lang: str) -> list:
        """The footnotes of the quoted sentences that belong in the answer: all of them when the question
        asks about sources; those that hold the kind of answer asked for (a symbol, a date, a number, the
        countries of a group) when it asks for one."""
        sources = bool(A.ASKS_FOR_SOURCES.search(question))
        if not (sources or kind in STEERING):
            return []
        notes = [n for u in units.values() for n in self._footnotes(u, self._notes_of(u, picked, not sources))]
        notes = list({n.id: n for n in notes}.values())
        return notes if sources else [n for n in notes if holds(kind, A.text_in(n, lang), question)]

    def _holding_below(self, close, candidates, kind: str | None, question: str, lang: str) -> list:
        """When none of the units to quote holds the kind of answer asked for, the first close hit below them
        that does, in its text or its footnotes ('which GB paper was the 2015-18 strategy?': ¶10 by fn 6, ranked
        fourth); nothing otherwise."""
        if kind not in STEERING or any(self._unit_holds(kind, u, question, lang) for u in candidates):
            return []
        below = (h.unit for h in close if h.unit not in candidates)
        return next(([u] for u in below if self._unit_holds(kind, u, question, lang)), [])

    def _footnotes(self, unit, numbers) -> list:
        """The footnote units of a unit's document with these numbers (those the index holds)."""
        notes = (self.index.by_id.get(f"{unit.doc}:fn{n}") for n in numbers)
        return [n for n in notes if n is not None]

    def _unit_holds(self, kind: str, unit, question: str, lang: str) -> bool:
        texts = [A.text_in(unit, lang), *(A.text_in(n, lang) for n in self._footnotes(unit, unit.footnotes))]
        return any(holds(kind, t, question) for t in texts)

    def _holds_with_notes(self, kind: str, sent: dict, units: dict, question: str, lang: str) -> bool:
        """Whether a sentence holds the kind of answer asked for, in itself or in a footnote it cites (¶10's
        "2015-18 strategy⁶" holds a document symbol through fn 6)."""
        if holds(kind, sent["text"], question):
            return True
        unit = units[sent["unit"]]
        notes = self._footnotes(unit, self._notes_of(unit, [(sent, 0.0)], strict=True))
        return any(holds(kind, A.text_in(n, lang), question) for n in notes)

    @staticmethod
    def _notes_of(unit, picked, strict: bool = False) -> tuple[int, ...]:
        """The footnotes whose markers stand in the quoted sentences of a unit (a version's sentence is
        matched to the original's by its place, when both split alike); unless `strict`, all of the unit's
        footnotes when no quoted sentence shows a marker."""
        quoted = [x for x, _ in picked if x["unit"] == unit.id]
        if not quoted:
            return ()
        found: list[int] = []
        for x in quoted:
            text = x["text"]
            if x.get("lang"):  # a language version's sentence: the original sentence in the same place
                pairs = sentence_pairs(unit, x["lang"])
                text = pairs[x["i"]][0] if pairs and x["i"] < len(pairs) else ""
                if not text and not strict:
                    return unit.footnotes
            found += unit.footnotes_after(text) if text else ()
        return tuple(dict.fromkeys(found)) or (() if strict else unit.footnotes)

    def _refuse(self, result: A.Answer, lang: str, doc: str | None = None) -> None:
        """Refuse, naming what the assistant answers from: the document asked about, or the corpus."""
        symbols = [self.docs[doc][0]] if doc in self.docs else [s for s, _ in self.docs.values()]
        result.answer = A.refusal(symbols, lang)
        result.answered = False

    def _refuse_beyond(self, result: A.Answer, lang: str, missing: str, closest, named: bool = False) -> None:
        """Refuse a question the paper touches on without answering, saying what it does not give and citing,
        as related (not as an answer), the passage that comes closest (`named`: the one the reader named)."""
        symbol = self.docs[closest.doc][0] if closest.doc in self.docs else closest.doc
        result.answer = A.refusal_beyond(symbol, lang, missing, closest.label, named)
        result.answered = False
        version = lang if closest.version(lang) else ""  # shown in the reader's version, beside the original
        result.related = [{"id": closest.id, "doc": closest.doc, "label": closest.label, "language": version}]

    def _refuse_far(self, result: A.Answer, query: str, hits, lang: str, doc=None) -> None:
        """Refuse a question no passage comes close to. When it names something only a few passages mention
        ("In which city will BAPA+40 take place?") and asks a kind of answer the best-ranked of them lacks,
        say so and link that passage, as for a question the paper touches on."""
        named = self.retriever.naming_units(query, lang)
        closest = next((h.unit for h in hits if h.unit.id in named), None)
        missing = missing_answer(result.question, [A.text_in(closest, lang)]) if closest else None
        if missing is None:
            self._refuse(result, lang, doc)
        else:
            self._refuse_beyond(result, lang, missing, closest)

    def _answer_from_retrieval(
        self,
        result: A.Answer,
        query: str,
        found,
        lang: str,
        mode: RetrievalMode,
        top_k: int | None,
        doc=None,
        write: bool = True,
    ) -> Iterator[str]:
        s = self.settings
        reranking = s.rerank and mode == "hybrid"
        k = top_k or s.top_k
        depth = max(k, s.rerank_depth) if reranking else k
        r = self.retrieve(query, language_of(result.question), mode=mode, k=depth, doc=doc, lang=lang)
        # The rerank candidates' sentence vectors, read once from the store: the reranker scores them and the
        # answer quotes from them (the quoted units are among the candidates unless the question names them).
        read: tuple[set, list] | None = None
        if reranking and r.hits and r.query_vec is not None:
            t = time.perf_counter()
            ids = [h.unit.id for h in r.hits]
            read = (set(ids), self.index.sentence_vectors(ids, lang))
            result.timings_ms["sentences_ms"] = (time.perf_counter() - t) * 1000
            r.hits = self._rerank(r, result.question, lang, read[1])[:k]
        elif reranking and r.hits:
            r.hits = self._rerank(r, result.question, lang)[:k]
        result.timings_ms.update(r.timings_ms)
        result.evidence, result.evidence_language = r.top_dense, r.evidence_language
        result.retrieved = [
            {"id": h.unit.id, "label": h.unit.label, "score": round(h.dense or h.score, 4)} for h in r.hits
        ]
        kind = asked_type(result.question, among=STEERING)  # what steers the choice of units and sentences
        below: list = []  # a unit ranked below those quoted, quoted because it alone holds the asked kind of answer
        if found.units:  # "what does paragraph 18 say about SDG 8?": answer from the named units only
            candidates = found.units
        else:
            # Judged on the asked language (a French question reads the English version: see refusal_threshold).
            threshold = self.refusal_threshold(language_of(result.question), r.evidence_language)
            weak = r.top_dense < threshold if mode != "keyword" else not r.hits
            if weak or not r.hits:
                self._refuse_far(result, query, r.hits, lang, doc)
                return
            top = r.hits[0].dense
            # The title shares words with many questions ("conference", "development cooperation") but answers
            # only questions about itself, which rank it first.
            close = [
                h for h in r.hits[:k] if h is r.hits[0] or (h.dense >= top - s.answer_window and h.unit.kind != "title")
            ]
            candidates = [h.unit for h in close[: s.max_answer_units]]
            below = self._holding_below(close, candidates, kind, result.question, lang)
            candidates += below
        t = time.perf_counter()
        units = {u.id: u for u in candidates}
        qvec = r.query_vec if r.query_vec is not None else self.embedder.embed_query(query)
        if query != result.question and not found.units:
            # A follow-up: the history chose the units (retrieval saw the standalone question); the new
            # question chooses what to quote from them ("And at which conference…?" → the BAPA+40 sentence).
            qvec = self.embedder.embed_query(result.question)
        if read is not None and set(units) <= read[0]:
            vectors = [(x, v) for x, v in read[1] if x["unit"] in units]
        else:
            vectors = self.index.sentence_vectors(list(units), lang)
        picked = A.select_sentences(
            qvec,
            vectors,
            units,
            s.max_answer_sentences,
            s.answer_window / 2,
            first=None if found.units else candidates[0].id,
            prefer=(lambda sent: self._holds_with_notes(kind, sent, units, result.question, lang))
            if kind in STEERING
            else None,
            holding=tuple(u.id for u in below),
        )
        if A.ASKS_SEVERAL.search(result.question):
            picked = A.with_whole_lists(picked, vectors, qvec, units)
        picked = A.with_short_units_whole(picked, vectors, qvec, units)
        notes = self._notes_to_bring(units, picked, kind, result.question, lang)
        quoted = [x["text"] for x, _ in picked] + [A.text_in(n, lang) for n in notes]
        # Named units are checked too: "第16段说的试点在哪四个国家？" is not answered by ¶16, which says four.
        # A follow-up that asks no kind of its own asks the earlier question's ("Since when has the ILO
        # published to IATI?" → "And to the OECD DAC?" still asks since when).
        own = asked_type(result.question) or asked_items(result.question)
        missing = missing_answer(result.question if own or query == result.question else query, quoted)
        # The fitted model judges only answers no pattern confirms: a count, date or name of the kind asked for,
        # found in the quoted text, is better evidence than the question's wording.
        if (
            missing is None
            and not found.units
            and not (kind in STEERING and any(holds(kind, t, result.question) for t in quoted))
            and self._judged_unanswered(r.query_vec, r.top_dense, candidates)
        ):
            missing = "unanswered"  # no pattern names what is missing; the fitted model judges it is
        if missing is not None:
            self._refuse_beyond(result, lang, missing, candidates[0], named=bool(found.units))
            return
        result.answer = A.compose_extractive(picked, units, lang, self.docs)
        scores = {h.unit.id: h.dense for h in r.hits}
        by_unit: dict[str, A.Citation] = {}
        for sent, _ in picked:
            uid = sent["unit"]
            cited = by_unit.setdefault(uid, self._citation(units[uid], scores.get(uid, 0.0), [], sent.get("lang")))
            cited.sentences.append(sent["text"])
        notes = [n for n in notes if n.id not in by_unit]
        if notes:
            result.answer += "\n" + "\n".join(A.cite(A.text_in(n, lang), n.label) for n in notes)
            by_unit.update({n.id: self._citation(n, scores.get(n.id, 0.0), [A.text_in(n, lang)], lang) for n in notes})
        result.citations = list(by_unit.values())
        result.answered = bool(picked)
        result.timings_ms["compose_ms"] = (time.perf_counter() - t) * 1000
        if picked and write and self.llm is not None:
            quoted = {c.unit.id: c.sentences for c in result.citations}  # footnotes too, when sources are asked for
            yield from self._write(result, query, [c.unit for c in result.citations], quoted, lang, scores, doc)

    def _write(self, result: A.Answer, query: str, units, quoted, lang: str, scores: dict, doc=None) -> Iterator[str]:
        """Replace the extractive answer with the model's, keeping only supported sentences; on a
        model failure keep the extractive answer and say why."""
        from .answers.generate import LLMFailed, Written, write_answer

        out = Written()
        # The model reads, and the check judges against, each source in the reader's language when it has
        # a version in it: a claim is compared with same-language text.
        seen = [replace(u, text=v[0], versions=()) if (v := u.version(lang)) else u for u in units]
        self.seed_judge(self.index.sentence_vectors([u.id for u in units], lang))
        try:
            yield from write_answer(self.llm, self.judge, query, seen, quoted, lang, self.settings, out)
        except LLMFailed as e:
            result.fallback = f"{e}; the answer is quoted instead"
            result.timings_ms.update(out.timings_ms)
            return
        g = out.grounded
        result.mode, result.backend = "generated", self.backend
        result.timings_ms.update(out.timings_ms)
        result.grounding = {
            "raw": out.raw,
            "dropped": g.dropped,
            "removed_markers": g.removed_markers,
            "reattributed": sum(st.reattributed for st in g.statements),
            "declined": g.declined,
            "prompt_chars": out.prompt_chars,
            "prompt_tokens": out.prompt_tokens,
        }
        if not g.answered:
            self._refuse(result, lang, doc)
            result.citations = []
            return
        by_unit: dict[str, A.Citation] = {}
        for st in g.statements:
            for u, quote in zip(st.units, st.quotes):
                c = by_unit.setdefault(u.id, self._citation(self.index.by_id[u.id], scores.get(u.id, 0.0), [], lang))
                if quote not in c.sentences:
                    c.sentences.append(quote)
        result.answer, result.citations, result.answered = g.answer, list(by_unit.values()), True


class EngineHolder:
    """The one engine a long-running process (the chat window, `serve`) shares, loaded on first use; a
    failed load is retried next time.

    A new build (an `ingest` or `remove` beside the running process) is picked up at the next question:
    the holder watches `index/current.json` and loads the new build with the same models. A question
    already being answered keeps the engine it started with, so every answer comes from one complete build.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self._engine: Engine | None = None
        self._stamp = None
        self._lock = threading.Lock()

    def _current_stamp(self):
        try:
            st = (self.settings.index_dir / "current.json").stat()
            return st.st_mtime_ns, st.st_ino, st.st_size
        except OSError:
            return None

    def get(self) -> Engine:
        with self._lock:
            stamp = self._current_stamp()
            if self._engine is None or stamp != self._stamp:
                from .search.index import load_index

                old = self._engine
                if old is None:
                    self._engine = Engine(self.settings)
                else:  # the same models over the new build, read afresh from the store another process wrote
                    try:
                        self._engine = old.over(load_index(self.settings, fresh=True).open())
                    except Exception:  # noqa: BLE001 - a build being replaced: keep answering from the last one
                        return old
                    # The older build's store is freed once the last answer using it is done (its engine dropped).
                    weakref.finalize(old, old.index.close)
                self._stamp = stamp
            return self._engine
