"""All configuration in one typed place, read from `ILO_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent

EmbedModel = Literal["embeddinggemma", "e5-small"]
# EmbeddingGemma's runtime: `onnx` (onnxruntime over the export made at install, no torch), `torch`
# (sentence-transformers), or `auto`: onnx when the export and onnxruntime are there, else torch (logged).
EmbedBackend = Literal["auto", "onnx", "torch"]
# auto: `local` when a chat model is installed and llama.cpp is importable, else `extractive`.
AnswerMode = Literal["auto", "extractive", "local", "openai"]


class Settings(BaseSettings):
    """Paths, models, retrieval and refusal parameters.

    Every field can be set from the environment, e.g. `ILO_EMBED_MODEL=e5-small`
    or `ILO_CHROMA_HOST=127.0.0.1 ILO_CHROMA_PORT=8000` for a Chroma server.
    """

    model_config = SettingsConfigDict(env_prefix="ILO_", frozen=True)

    corpus_dir: Path = ROOT / "corpus"
    index_dir: Path = ROOT / "index"
    models_dir: Path = ROOT / "models"

    embed_model: EmbedModel = "embeddinggemma"
    embed_backend: EmbedBackend = "auto"
    embed_threads: int | None = Field(None, ge=1, le=64)  # onnxruntime intra-op threads (default: the cores)
    # How a unit meets a question in dense search: by its best sentence ("sentences": only sentences are embedded,
    # a unit's stored vector is their mean; the build embeds 43% of the tokens) or by its own vector ("embedded").
    unit_vectors: Literal["sentences", "embedded"] = "sentences"

    # Chroma: embedded PersistentClient under index_dir unless a server host is set.
    chroma_host: str | None = None
    chroma_port: int = 8000

    # Retrieval.
    top_k: int = Field(5, ge=1, le=50)
    candidates: int = Field(30, ge=5, le=500)
    rrf_k: int = 60
    # Keyword weight in the fusion, scaled by how much of the question the corpus vocabulary covers
    # (an English question over the Chinese text covers little, so BM25 barely counts there).
    keyword_weight: float = 1.0
    # Keyword search also looks for the other forms of a term-base name the question uses (Turin Centre →
    # International Training Centre of the ILO, 都灵中心).
    term_synonyms: bool = True
    # Reranking (search/rerank.py): the best `rerank_depth` fused candidates are reordered by a weighted sum of
    # signals, weights fitted on the development part by eval/fit_rerank.py ({"fused": 1} alone: no change).
    rerank: bool = True
    # Refuse when the answerability model fitted for a paper (corpus/answerability.json, eval/fit_answerability.py)
    # judges that the paper leaves the question unanswered; it judges only that paper, unchanged.
    answerability: bool = True
    rerank_depth: int = Field(20, ge=1, le=100)
    rerank_weights: dict[str, float] = {
        "fused": 1.0,
        "dense": 0.2,
        "sentence": 1.0,
        "keyword_rank": 0.1,
    }

    # Answering.
    max_question_chars: int = 2000
    # A question in a language no document or version is in (French, Spanish) is answered in this one, the
    # language most ILO staff read, rather than in the original's.
    fallback_language: str = "en"
    # Below this best question–unit similarity the documents are judged not to support an answer.
    # Per question language: EmbeddingGemma scores English questions over the Chinese text lower.
    # Calibrated on eval/gold (see eval/README.md); e5-small needs its own values.
    # Same-language: a Chinese question over Chinese text, an English one over English text (an English
    # document, or a language version). Cross-lingual: a question over text in another language.
    # Fitted by `eval --calibrate` (cross: on the originals only) for units met by their best sentence
    # (unit_vectors "sentences"); with "embedded" unit vectors they were 0.32, 0.32 and 0.205.
    refusal_threshold_zh: float = 0.369
    refusal_threshold_en: float = 0.341
    refusal_threshold_cross: float = 0.282
    # Units within this similarity of the best one are used to compose the answer.
    answer_window: float = 0.06
    max_answer_units: int = 3
    max_answer_sentences: int = 4

    # Support judge (evaluation, citation checking): statement–unit similarity that counts as support.
    # Calibrated on eval/gold/support.jsonl with `python -m assistant eval --judge`.
    support_threshold: float = 0.6

    lock_timeout_s: float = 600.0

    # Machine translation (`translate`): a sentence whose translation is less similar to its source
    # (cross-lingual cosine, embedding model) is retried, then flagged.
    translate_min_similarity: float = 0.7
    translate_attempts: int = Field(4, ge=1, le=10)  # model calls per sentence at most (the first and retries)

    # Ingest limits, checked before any work: a file's size, and its units once parsed (a 20 MB text file
    # parsed for 75 s, took 1.4 GB and would have embedded for 7-13 minutes). A document whose embedding
    # is expected to take longer than ingest_confirm_s asks for confirmation (`ingest --yes`).
    max_document_mb: float = Field(20.0, gt=0)
    max_document_units: int = Field(5000, ge=1)
    ingest_confirm_s: float = Field(120.0, ge=0)
    # Uploads (the chat window's Documents tab, POST /v1/documents): the file types accepted (a subset of
    # what documents/formats.py reads; the size limit is max_document_mb), and the documents that neither
    # can remove or replace: the plan is what the examples, the gold set and "paragraph 12" refer to.
    # The command line (`remove`, `ingest`) is not limited by this list.
    upload_types: list[str] = [".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt"]
    protected_documents: list[str] = ["GB.334-INS-3-1"]

    # Written answers (language model). ILO_ANSWER_MODE=extractive|local|openai|auto.
    answer_mode: AnswerMode = "auto"
    # `local`: an installed chat model's name (`python -m assistant models list`) or a path to any .gguf.
    llm_model: str = "qwen2.5-1.5b"
    llm_threads: int | None = None  # llama.cpp threads (default: all cores)
    llm_context_tokens: int = 2048
    llm_max_tokens: int = Field(200, ge=16, le=2048)
    llm_temperature: float = 0.1
    # Source text given to the model, in characters. Prompt reading is what a 2-core machine waits
    # on (about 20 tokens/s for a 1.5B model): eval/bench_llm.py measures this budget against latency.
    llm_source_chars: int = Field(700, ge=100, le=20000)
    # Briefing notes: sources for their key messages (several units, so a larger budget) and their length.
    llm_brief_source_chars: int = Field(1400, ge=100, le=40000)
    llm_brief_max_tokens: int = Field(400, ge=32, le=4096)
    # Past the budget for the first token the answer falls back to the extractive one (it says so).
    llm_ttft_budget_s: float = 60.0
    llm_timeout_s: float = 180.0
    # Rewrite follow-up questions with the model (else by the rule in followup.py).
    llm_rewrite_followups: bool = True
    # `openai`: any OpenAI-compatible server (Ollama, vLLM, llama.cpp's server).
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_model: str = "local-model"
    openai_api_key: SecretStr = SecretStr("not-needed")
    # Answer sentences no retrieved unit supports: dropped, or kept and marked as unsupported.
    unsupported_sentences: Literal["drop", "mark"] = "drop"

    # The chat window: questions its queue answers at once (eval/load.py measured the throughput).
    ui_concurrency: int = Field(4, ge=1, le=64)
    # Its login (ui.py, and `serve`, when bound to an address other than 127.0.0.1).
    ui_username: str | None = None
    ui_password: SecretStr | None = None

    # `python -m assistant serve`: the HTTP API and the chat window in one process.
    serve_host: str = "127.0.0.1"
    serve_port: int = Field(7860, ge=1, le=65535)
    # Bearer token the API requires (`Authorization: Bearer KEY`); needed to bind to any other address.
    api_key: SecretStr | None = None
    # Requests answered at once, and requests waiting for a worker; past both a 503 with Retry-After.
    serve_workers: int = Field(2, ge=1, le=64)
    serve_queue: int = Field(16, ge=0, le=10000)
    serve_retry_after_s: int = Field(2, ge=1, le=3600)
    # Largest request body the API reads, in kilobytes (a question is at most max_question_chars).
    serve_max_body_kb: int = Field(256, ge=1, le=100_000)

    @property
    def chroma_dir(self) -> Path:
        return self.index_dir / "chroma"


def load_settings(**overrides) -> Settings:
    """Settings from the environment, with explicit overrides (tests, CLI flags) on top."""
    return Settings(**overrides)
