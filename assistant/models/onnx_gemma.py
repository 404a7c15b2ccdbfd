"""EmbeddingGemma through onnxruntime: the export (made once, when the model is installed) and the embedder
that uses it without torch (../shared/notes/onnx-embedding.md records what was tried).

- `export(folder)`: `torch.onnx.export(dynamo=True)` of the whole sentence-transformers pipeline (the Gemma
  encoder, masked mean pooling, both Dense layers, L2 normalisation), fp32, into `<model>/onnx/`
  (`model.onnx` + `model.onnx.data`, 1.23 GB), written in a temporary folder and renamed into place only
  after its vectors were checked against the torch path on fixed Chinese and English texts (minimum cosine
  ≥ MIN_COSINE; `onnx/.verified` records it). Imports torch; only `models install`/`models export` call it.
- `OnnxGemmaEmbedder(folder)`: onnxruntime + the `tokenizers` library + numpy; the prompts are prepended as
  sentence-transformers does (read from the model's config_sentence_transformers.json), truncation and right
  padding as in Hugging Face. Imports neither torch nor sentence-transformers.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ONNX_FOLDER = "onnx"
MIN_COSINE = 0.99999
MAX_TOKENS = 2048  # sentence_bert_config.json's max_seq_length
PROMPTS = {"query": "task: search result | query: ", "document": "title: none | text: "}


class ExportRejected(RuntimeError):
    """The export's vectors do not agree with the torch path's; nothing was kept."""


def onnx_dir(folder: Path) -> Path:
    return folder / ONNX_FOLDER


def is_exported(folder: Path) -> bool:
    """A checked export is in place (the marker is written last, after the cosine check)."""
    d = onnx_dir(folder)
    return (d / ".verified").exists() and (d / "model.onnx").exists() and (d / "model.onnx.data").exists()


def read_prompts(folder: Path) -> dict[str, str]:
    """The query and document prompts sentence-transformers prepends, from the model's own configuration."""
    config = json.loads((folder / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    prompts = config.get("prompts") or {}
    return {name: prompts.get(name, default) for name, default in PROMPTS.items()}


def default_threads() -> int:
    """onnxruntime's intra-op threads: every core the process may use (2 on the reference machine), at most 8."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:
        n = os.cpu_count() or 1
    return max(1, min(8, n))


class OnnxGemmaEmbedder:
    """EmbeddingGemma's vectors from the ONNX export. One onnxruntime session, safe to call from several
    threads at once (no lock: `InferenceSession.run` is thread-safe, and the tokenizer is configured once)."""

    name = "embeddinggemma"
    backend = "onnx"

    def __init__(self, folder: Path, threads: int | None = None, model_file: Path | None = None, workers: int = 1):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.prompts = read_prompts(folder)
        self.workers = workers
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or default_threads()
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Threads sleep between calls instead of spinning: the machine is shared (serve workers, other work).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        model_file = model_file or onnx_dir(folder) / "model.onnx"
        # Loading takes ~1.7 s on the 2-core machine, mostly the 33 MB tokenizer.json (half a million merges).
        # Making the session in a thread while the tokenizer loads (the tokenizer holds the GIL, the session does
        # not) was measured no faster there, so both load here in turn.
        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tok.enable_truncation(MAX_TOKENS)
        self._tok.enable_padding(pad_id=0, pad_token="<pad>", direction="right")
        self._session = ort.InferenceSession(str(model_file), opts, providers=["CPUExecutionProvider"])

    def _run(self, texts: list[str]) -> np.ndarray:
        enc = [self._tok.encode(texts[0])] if len(texts) == 1 else self._tok.encode_batch(texts)
        ids = np.asarray([e.ids for e in enc], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
        (out,) = self._session.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": mask})
        return np.asarray(out, dtype=np.float32)

    def embed(self, texts: list[str], prompt: str, batch_size: int = 8) -> np.ndarray:
        """Vectors of texts with the prompt prepended; batched by length (as sentence-transformers does), so
        that a short text is not padded to a long one's length, and returned in the given order. With several
        workers, one text per run, the runs side by side (each on one thread)."""
        if not texts:
            return np.zeros((0, 768), np.float32)
        full = [prompt + t for t in texts]
        order = sorted(range(len(full)), key=lambda i: -len(full[i]))
        out = np.zeros((len(full), 768), np.float32)
        if self.workers > 1 and len(full) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(self.workers) as pool:
                for i, vec in zip(order, pool.map(lambda i: self._run([full[i]])[0], order), strict=True):
                    out[i] = vec
            return out
        for k in range(0, len(order), batch_size):
            part = order[k : k + batch_size]
            out[part] = self._run([full[i] for i in part])
        return out

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self.embed(list(texts), self.prompts["document"])

    def embed_query(self, text: str) -> np.ndarray:
        return self._run([self.prompts["query"] + text])[0]


# Texts the export is checked on: Chinese and English, queries and documents, short and long (the long ones
# run past a thousand tokens), embedded one by one and in mixed batches (padding).
_ZH = (
    "国际劳工组织将加强与联合国驻地协调员的合作，通过体面劳动国别计划支持各国实现可持续发展目标，"
    "并在南南合作和三方合作框架下分享知识与经验。"
)
_EN = (
    "The ILO will strengthen its collaboration with UN Resident Coordinators, support countries in achieving the "
    "Sustainable Development Goals through Decent Work Country Programmes, and share knowledge and experience "
    "under South-South and triangular cooperation. "
)
CHECK_QUERIES = [
    "第12段说了什么",
    "国际劳工组织的附加值体现在哪里？",
    "Which 2019 deliverable concerns South-South cooperation?",
    "What does paragraph 24 say about transparency?",
    "ILO",
    "南南合作 " * 200,
]
CHECK_DOCUMENTS = [
    "理事会文件 GB.332/PFA/8。",
    _ZH,
    "Governing Body document GB.332/PFA/8.",
    _EN,
    _ZH * 25,
    _EN * 30,
]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def check(folder: Path, export_folder: Path | None = None, st_model=None) -> float:
    """The minimum cosine between the ONNX vectors (in `export_folder`, default the installed export) and the
    torch path's over the check texts, single and batched."""
    if st_model is None:
        st_model = _load_st(folder)
    onnx = OnnxGemmaEmbedder(folder, model_file=(export_folder or onnx_dir(folder)) / "model.onnx")
    lows = []
    for texts, name in ((CHECK_QUERIES, "query"), (CHECK_DOCUMENTS, "document")):
        ref = st_model.encode(texts, prompt_name=name, normalize_embeddings=True, convert_to_numpy=True)
        single = np.stack([onnx._run([onnx.prompts[name] + t])[0] for t in texts])
        batched = onnx.embed(texts, onnx.prompts[name], batch_size=len(texts))
        lows += [float(_cosines(ref, single).min()), float(_cosines(ref, batched).min())]
    return min(lows)


def _load_st(folder: Path):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


def export(folder: Path, force: bool = False, log=None) -> Path:
    """Export the installed model to `<folder>/onnx/` unless a checked export is there; check its vectors
    against the torch path and keep it only if the minimum cosine is at least MIN_COSINE."""
    log = log or (lambda m: print(m, file=sys.stderr, flush=True))
    target = onnx_dir(folder)
    if is_exported(folder) and not force:
        return target
    for stale in folder.glob(".onnx-*"):  # left by an export that was killed
        shutil.rmtree(stale, ignore_errors=True)
    import logging

    import torch

    logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # "torchvision is not installed" ×4
    log(f"exporting EmbeddingGemma to ONNX in {target} (about a minute and 2.6 GB of memory; 1.23 GB on disk)")
    t0 = time.perf_counter()
    st_model = _load_st(folder)
    st_model.eval()

    class Wrapper(torch.nn.Module):
        def __init__(self, st):
            super().__init__()
            self.encoder = getattr(st[0], "model", None) or st[0].auto_model
            self.dense1, self.dense2 = st[2].linear, st[3].linear

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            x = self.dense2(self.dense1(pooled))
            return torch.nn.functional.normalize(x, p=2, dim=1)

    wrapper = Wrapper(st_model).eval()
    sample = st_model.tokenizer(["title: none | text: 示例 example", "task: search result | query: x"],
                                padding=True, return_tensors="pt")  # fmt: skip
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence")
    with tempfile.TemporaryDirectory(dir=folder, prefix=".onnx-") as tmp_name:
        staged = Path(tmp_name) / ONNX_FOLDER
        staged.mkdir()
        import warnings

        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper,
                (sample["input_ids"], sample["attention_mask"]),
                str(staged / "model.onnx"),
                dynamo=True,
                external_data=True,
                opset_version=18,
                input_names=["input_ids", "attention_mask"],
                output_names=["sentence_embedding"],
                dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}},
                verbose=False,
            )
        exported_s = time.perf_counter() - t0
        low = check(folder, staged, st_model)
        if low < MIN_COSINE:
            raise ExportRejected(
                f"the ONNX export of EmbeddingGemma disagrees with the torch path (minimum cosine {low:.6f} < "
                f"{MIN_COSINE}) and was not kept; queries keep using torch. Report this with your versions of "
                "torch, onnxscript and onnxruntime."
            )
        (staged / ".verified").write_text(
            json.dumps({"min_cosine": low, "opset": 18, "torch": torch.__version__, "exported_s": round(exported_s)})
            + "\n"
        )
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)
    log(f"ONNX export checked (minimum cosine {low:.7f} over {len(CHECK_QUERIES) + len(CHECK_DOCUMENTS)} "
        f"Chinese and English texts) in {time.perf_counter() - t0:.0f} s")  # fmt: skip
    return target
