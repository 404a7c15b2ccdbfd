"""Build and load the index: units and sentence vectors in Chroma, unit records and BM25 beside them.

Layout under `index/`:
- `current.json`: the active build: its documents, each with the version (content hash) of its records
  (written last, by an atomic rename: a build that dies midway leaves the previous one active and usable);
- `docs/<version>.json`: one document's units and sentences;
- `chroma/`: the embedded Chroma store (unless a Chroma server is configured): collections
  `units-<model>` and `sentences-<model>` hold every document version's records, tagged `ver`; a
  build adds only the versions it lacks, and queries filter on the active build's versions;
- `cache/embeddings.sqlite`: vectors by model and content hash, so an unchanged unit is never
  embedded twice and an interrupted build resumes where it stopped;
- `.lock`: held by the one process allowed to build at a time.
Adding, replacing or removing a document embeds and stores only that document; the records of the
previous build are kept until the next one (a reader may still use them). The build id is a hash of
the model and every document's version and metadata: an unchanged corpus rebuilds nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ..config import Settings
from ..documents.corpus import DocumentInfo, load_documents
from ..documents.units import Unit, link_symbols
from .keyword import BM25, tokenize, tokenizer_for

FORMAT = 4  # bump when the parser or the stored layout changes: forces a rebuild


class IndexError_(RuntimeError):
    """Base of the index errors; messages say what to run."""


class IndexMissing(IndexError_):
    pass


class IndexCorrupt(IndexError_):
    pass


class IndexBusy(IndexError_):
    pass


@dataclass
class BuildReport:
    build_id: str
    units: int
    sentences: int
    embedded: int  # texts embedded by this build
    reused: int  # texts whose vectors came from the cache
    seconds: float
    unchanged: bool
    indexed: list[str] = field(default_factory=list)  # documents (re-)embedded and stored by this build
    removed: list[str] = field(default_factory=list)  # documents no longer in the index


def chroma_client(settings: Settings, fresh: bool = False):
    """A Chroma client: the server's when one is configured, else the embedded store under index_dir.

    `fresh`: the embedded store was written by another process (an `ingest` beside a running app). Chroma
    keeps one in-memory system per path in a process, which does not see another process's records; a
    fresh one reads the store as it is on disk now. Clients made before keep their own system."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    if fresh:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


class EmbeddingCache:
    """Vectors by (model, sha256 of the embedded text), in SQLite; committed batch by batch."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS vec (model TEXT, hash TEXT, v BLOB, PRIMARY KEY (model, hash))")

    def get(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        out = {}
        for i in range(0, len(hashes), 500):
            part = hashes[i : i + 500]
            rows = self.db.execute(
                f"SELECT hash, v FROM vec WHERE model=? AND hash IN ({','.join('?' * len(part))})", [model, *part]
            )
            out.update({h: np.frombuffer(v, dtype=np.float32) for h, v in rows})
        return out

    def put(self, model: str, items: dict[str, np.ndarray]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO vec VALUES (?, ?, ?)",
            [(model, h, v.astype(np.float32).tobytes()) for h, v in items.items()],
        )
        self.db.commit()

    def close(self) -> None:
        self.db.close()


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def embed_with_cache(texts: list[str], embedder, cache: EmbeddingCache, progress: bool, batch: int = 48, on_texts=None):
    """Vectors for texts, embedding only those the cache lacks. Returns (vectors, newly embedded count).
    `on_texts(n)` is told of the texts done: those from the cache at once, the others batch by batch."""
    from collections import Counter

    from tqdm import tqdm

    hashes = [_text_hash(t) for t in texts]
    known = cache.get(embedder.name, list(dict.fromkeys(hashes)))
    text_of = dict(zip(hashes, texts))
    # Longest first, so each batch holds texts of about one length and pads little (a sentence batched with a
    # 1,000-character paragraph would be padded to its length).
    todo = sorted(dict.fromkeys(h for h in hashes if h not in known), key=lambda h: -len(text_of[h]))
    uses = Counter(hashes)
    tell = on_texts or (lambda n: None)
    tell(sum(n for h, n in uses.items() if h in known))
    bar = tqdm(total=len(todo), desc=f"embedding ({embedder.name})", unit="text", file=sys.stderr, disable=not progress)
    for i in range(0, len(todo), batch):
        part = todo[i : i + batch]
        vecs = embedder.embed_documents([text_of[h] for h in part])
        new = dict(zip(part, vecs))
        cache.put(embedder.name, new)
        known.update(new)
        bar.update(len(part))
        tell(sum(uses[h] for h in part))
    bar.close()
    return np.stack([known[h] for h in hashes]) if hashes else np.zeros((0, 1), np.float32), len(todo)


def _sentence_records(units: list[Unit]) -> list[dict]:
    """Each unit's sentences, then those of its language versions (tagged `lang`)."""
    out = [{"id": f"{u.id}#s{i}", "unit": u.id, "i": i, "text": s} for u in units for i, s in enumerate(u.sentences())]
    out += [
        {"id": f"{u.id}@{lang}#s{i}", "unit": u.id, "i": i, "text": s, "lang": lang}
        for u in units
        for lang, _, _ in u.versions
        for i, s in enumerate(u.sentences(lang))
    ]
    return out


def _unit_records(units: list[Unit]) -> list[tuple[str, str, str, dict]]:
    """(record id, text to embed, text to store, metadata) of each unit and of each of its language versions:
    a unit is embedded in every language it has, so a question meets it in its own language first."""
    out = [(u.id, u.embed_text, u.plain_text, {"unit": u.id, "doc": u.doc, "kind": u.kind}) for u in units]
    out += [
        (f"{u.id}@{lang}", text, text, {"unit": u.id, "doc": u.doc, "kind": u.kind, "lang": lang})
        for u in units
        for lang, text, _ in u.versions
    ]
    return out


def _mean_vectors(records, sentences: list[dict], sent_vecs: np.ndarray, embedder) -> np.ndarray:
    """Each unit record's vector as the normalised mean of its sentences' vectors (a record without sentences,
    which a unit of only a heading could be, is embedded itself)."""
    rows: dict[tuple[str, str | None], list[int]] = {}
    for j, x in enumerate(sentences):
        rows.setdefault((x["unit"], x.get("lang")), []).append(j)
    out = []
    for _, text, _, meta in records:
        idx = rows.get((meta["unit"], meta.get("lang")))
        v = sent_vecs[idx].mean(axis=0) if idx else embedder.embed_documents([text])[0]
        out.append(v / (np.linalg.norm(v) or 1.0))
    return np.stack(out) if out else np.zeros((0, 1), np.float32)


def doc_version(model: str, units: list[Unit], unit_vectors: str = "sentences") -> str:
    """A hash of the model, how unit vectors are made and one document's units: the key of that document's
    stored records."""
    h = hashlib.sha256(f"{FORMAT}|{model}|{unit_vectors}".encode())
    for u in units:
        h.update(json.dumps(u.to_dict(), ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()[:16]


def compute_build_id(model: str, docs: list[dict]) -> str:
    """A hash of the model, the documents' metadata and their versions, in manifest order."""
    return hashlib.sha256(json.dumps([FORMAT, model, docs], sort_keys=True).encode()).hexdigest()[:16]


def read_current(index_dir: Path) -> dict | None:
    path = index_dir / "current.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise IndexCorrupt(f"{path} is unreadable ({e}); run: python -m assistant ingest") from None


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def collection_names(model: str) -> tuple[str, str]:
    """One pair of collections per model (vector sizes differ); every document version lives in them."""
    return f"units-{model}", f"sentences-{model}"


def _collection(client, name: str):
    return client.get_or_create_collection(name, metadata={"hnsw:space": "cosine"})


def _add_records(collection, ids, vectors, documents, metadatas, batch: int = 1000) -> None:
    """Write records straight into the Chroma collection (importing llama-index to write them cost a build
    1.3 s; its ChromaVectorStore reads such records too, as text nodes, see `Index.unit_store`)."""
    for k in range(0, len(ids), batch):
        collection.upsert(
            ids=list(ids[k : k + batch]),
            embeddings=[v.tolist() for v in vectors[k : k + batch]],
            documents=list(documents[k : k + batch]),
            metadatas=list(metadatas[k : k + batch]),
        )


def _count(collection, ver: str) -> int:
    return len(collection.get(where={"ver": ver}, include=[])["ids"])


def build_index(
    settings: Settings, progress: bool = True, embedder=None, change=None, on_progress=None, isolated: bool = False
) -> BuildReport:
    """Build or refresh the index from the corpus; only documents whose content changed are re-indexed,
    and a no-op when nothing changed. `change`, when given, is applied to the corpus under the index
    lock first (adding or removing documents), so no other writer sees a half-changed corpus.
    `on_progress(done, total)`: texts embedded (or found in the cache) of those this build embeds.
    `isolated`: a build inside a running app opens the embedded store with a Chroma system of its own and stops
    it when done, so that no index the app answers from shares it (one the app frees may be stopped mid-build)."""
    from filelock import FileLock, Timeout

    start = time.perf_counter()
    if change is None:
        pairs = load_documents(settings.corpus_dir)  # a broken corpus fails here, before anything is touched
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(settings.index_dir / ".lock"), timeout=settings.lock_timeout_s)
    try:
        lock.acquire()
    except Timeout:
        raise IndexBusy(
            f"another process is building the index (lock {settings.index_dir / '.lock'}); try again when it finishes"
        ) from None
    try:
        if change is not None:
            change()
            pairs = load_documents(settings.corpus_dir)
        loading = None if embedder is not None else _load_ahead(settings, pairs)
        client = chroma_client(settings, fresh=isolated)
        own = getattr(client, "_system", None) if isolated and not settings.chroma_host else None
        try:
            return _build_locked(settings, pairs, progress, embedder or loading, start, on_progress, client)
        finally:
            if own is not None:
                _release_system(own)
    finally:
        lock.release()


def _load_ahead(settings: Settings, pairs):
    """The build's embedder loading in a thread while Chroma opens (about 0.5 s saved on 2 cores), when some text
    to embed is not in the embedding cache; None when all are (a rebuild with nothing new loads no model)."""
    from concurrent.futures import ThreadPoolExecutor

    from ..models.embed import LazyEmbedder, for_building

    texts = [x["text"] for _, units in pairs for x in _sentence_records(units)]
    if settings.unit_vectors != "sentences":
        texts += [r[1] for _, units in pairs for r in _unit_records(units)]
    hashes = list(dict.fromkeys(_text_hash(t) for t in texts))
    cache = EmbeddingCache(settings.index_dir / "cache" / "embeddings.sqlite")
    try:
        if len(cache.get(settings.embed_model, hashes)) == len(hashes):
            return None
    finally:
        cache.close()

    def load():
        embedder = for_building(settings)
        if isinstance(embedder, LazyEmbedder):
            embedder.model()
        return embedder

    pool = ThreadPoolExecutor(1, thread_name_prefix="embedder-load")
    future = pool.submit(load)
    pool.shutdown(wait=False)
    return future


def _release_system(system) -> None:
    """Stop a Chroma system a build opened for itself, and forget it if Chroma's cache still holds it."""
    from chromadb.api.shared_system_client import SharedSystemClient

    cache = SharedSystemClient._identifier_to_system
    for key in [k for k, v in cache.items() if v is system]:
        cache.pop(key, None)
    system.stop()


def _build_locked(
    settings: Settings, pairs, progress: bool, embedder, start: float, on_progress, client
) -> BuildReport:
    from ..models.embed import for_building

    model = settings.embed_model
    try:
        current = read_current(settings.index_dir)
    except IndexCorrupt:
        current = None  # rebuilding is the repair
    if current and current.get("model") != model:
        current = None
    entries, records_of = [], {}  # records_of: document id → (its sentence records, its unit records)
    for info, units in pairs:
        records_of[info.id] = sentences, records = _sentence_records(units), _unit_records(units)
        entries.append(
            {
                "info": asdict(info),
                "ver": doc_version(model, units, settings.unit_vectors),
                "units": len(units),
                "records": len(records),
                "sentences": len(sentences),
            }
        )
    build_id = compute_build_id(model, entries)
    n_units, n_sents = sum(e["units"] for e in entries), sum(e["sentences"] for e in entries)
    by_mean = settings.unit_vectors == "sentences"
    # What is embedded: the sentences of each unit in each language, and each unit itself unless it is their mean.
    n_texts = n_sents + (0 if by_mean else sum(e["records"] for e in entries))
    unit_name, sent_name = collection_names(model)
    unit_coll, sent_coll = _collection(client, unit_name), _collection(client, sent_name)
    docs_dir = settings.index_dir / "docs"
    docs_dir.mkdir(parents=True, exist_ok=True)
    intact = current is not None and _complete(unit_coll, sent_coll, current)
    if intact and current.get("build") == build_id:
        return BuildReport(build_id, n_units, n_sents, 0, n_texts, time.perf_counter() - start, True)

    # The active build's documents are trusted when the store still holds all their records; others
    # are checked record by record, so a build killed midway resumes and a wiped store is refilled.
    active = {(d["ver"], d.get("records"), d["sentences"]) for d in current["documents"]} if intact else set()

    def stored(e) -> bool:
        ver, record_path = e["ver"], docs_dir / f"{e['ver']}.json"
        if (ver, e["records"], e["sentences"]) in active and record_path.exists():
            return True
        return (
            record_path.exists() and _count(unit_coll, ver) == e["records"] and _count(sent_coll, ver) == e["sentences"]
        )

    todo = [(pair, e) for pair, e in zip(pairs, entries) if not stored(e)]
    total, done = sum(e["sentences"] + (0 if by_mean else e["records"]) for _, e in todo), 0

    def tell(n: int) -> None:
        nonlocal done
        done += n
        if on_progress:
            on_progress(done, total)

    embedded, indexed = 0, []
    cache = None
    try:
        for (info, units), e in todo:
            ver = e["ver"]
            record_path = docs_dir / f"{ver}.json"
            if cache is None:
                embedder = embedder.result() if isinstance(embedder, Future) else embedder or for_building(settings)
                cache = EmbeddingCache(settings.index_dir / "cache" / "embeddings.sqlite")
            sentences, records = records_of[info.id]
            sent_vecs, new_s = embed_with_cache(
                [s["text"] for s in sentences], embedder, cache, progress, on_texts=tell
            )
            if by_mean:
                unit_vecs, new_u = _mean_vectors(records, sentences, sent_vecs, embedder), 0
            else:
                unit_vecs, new_u = embed_with_cache([r[1] for r in records], embedder, cache, progress, on_texts=tell)
            embedded += new_u + new_s
            for coll in (unit_coll, sent_coll):  # leftovers of an interrupted build of this version
                coll.delete(where={"ver": ver})
            _add_records(
                unit_coll,
                [f"{ver}|{r[0]}" for r in records],
                unit_vecs,
                [r[2] for r in records],
                [{**r[3], "ver": ver} for r in records],
            )
            _add_records(
                sent_coll,
                [f"{ver}|{x['id']}" for x in sentences],
                sent_vecs,
                [x["text"] for x in sentences],
                [{"unit": x["unit"], "i": x["i"], "ver": ver} for x in sentences],
            )
            record = {"format": FORMAT, "units": [u.to_dict() for u in units], "sentences": sentences}
            _write_atomic(record_path, json.dumps(record, ensure_ascii=False))
            indexed.append(info.id)
    finally:
        if cache is not None:
            cache.close()

    new = {
        "build": build_id,
        "model": model,
        "units": n_units,
        "records": sum(e["records"] for e in entries),
        "sentences": n_sents,
        "unit_vectors": settings.unit_vectors,
        "documents": entries,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    _write_atomic(settings.index_dir / "current.json", json.dumps(new, ensure_ascii=False, indent=1))
    keep = {e["ver"] for e in entries} | {d["ver"] for d in (current or {}).get("documents", [])}
    _remove_old(settings, client, (unit_coll, sent_coll), keep)
    old_ids = {d["info"]["id"] for d in (current or {}).get("documents", [])}
    return BuildReport(
        build_id,
        n_units,
        n_sents,
        embedded,
        n_texts - embedded,
        time.perf_counter() - start,
        False,
        indexed=indexed,
        removed=sorted(old_ids - {e["info"]["id"] for e in entries}),
    )


def _complete(unit_coll, sent_coll, current: dict) -> bool:
    """The store holds every record of the build (it may have been wiped since)."""
    vers = [d["ver"] for d in current.get("documents", [])]
    if not vers:
        return False
    where = {"ver": {"$in": vers}}
    return (
        len(unit_coll.get(where=where, include=[])["ids"]) == current.get("records", current["units"])
        and len(sent_coll.get(where=where, include=[])["ids"]) == current["sentences"]
    )


def _remove_old(settings: Settings, client, collections, keep: set) -> None:
    """Keep the records of the new build and of the one before it (a reader may still be using it)."""
    for coll in collections:
        coll.delete(where={"ver": {"$nin": sorted(keep)}})
    for coll in client.list_collections():  # collections of the earlier one-collection-per-build layout
        name = coll if isinstance(coll, str) else coll.name
        if name[:2] in ("u-", "s-"):
            client.delete_collection(name)
    shutil.rmtree(settings.index_dir / "builds", ignore_errors=True)
    for f in (settings.index_dir / "docs").glob("*.json"):
        if f.stem not in keep:
            f.unlink(missing_ok=True)


@dataclass
class Index:
    """A loaded, read-only build: unit records, keyword index and the Chroma collections."""

    build_id: str
    model: str
    documents: list[DocumentInfo]
    units: list[Unit]
    sentences: list[dict]
    # Opens the vector store on first use: (the units collection, the sentences collection, the Chroma system
    # this index alone uses or None). Look-ups never open it, so they import neither chromadb nor llama-index;
    # questions query the collections directly (llama-index writes the records at build time only: importing
    # it costs a one-shot question about 1.5 s).
    open_store: Callable[[], tuple[object, object, object]] = field(repr=False)
    versions: dict[str, str] = field(default_factory=dict)  # document id → version of its records
    by_id: dict[str, Unit] = field(default_factory=dict)
    unit_vectors: str = "embedded"  # how the build made unit vectors (config.Settings.unit_vectors)

    def __post_init__(self):
        self.by_id = {u.id: u for u in self.units}
        self.doc_of_symbol = {d.symbol: d.id for d in self.documents if d.symbol}
        self.doc_language = {d.id: d.language for d in self.documents}
        self._bm25_by_lang: dict[str, BM25] = {}
        self._bm25: BM25 | None = None
        self._store: tuple[object, object, object] | None = None
        self._lock = threading.Lock()
        self._sentence_vecs: dict[str, np.ndarray] = {}  # sentence id → vector, read from the store on first use
        # Languages of the language versions the build holds (besides the documents' own): fixed per build,
        # and read on every question (reading language, keyword search), so found once here.
        self.languages: set[str] = {lang for u in self.units for lang, _, _ in u.versions}
        self.records_per_unit = 1 + len(self.languages)  # unit records in the store: the original and each version
        # Dense search by sentences: a unit is met by its best sentence, so the search reaches past as many
        # sentences as the units hold on average.
        self.by_sentence = self.unit_vectors == "sentences"
        if self.by_sentence and self.units:
            self.records_per_unit = -(-len(self.sentences) // len(self.units)) + 1

    def open(self) -> Index:
        """Open the vector store now (a long-running process does, so that its first question is warm and a
        store that lacks the build is found before the build is used)."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = self.open_store()
        return self

    def open_in_background(self) -> None:
        """Start opening the vector store in a thread (a cold process opens it while the question is embedded:
        about a second saved); a failure there is raised again by the next `open`."""
        if self._store is None:

            def opener():
                try:
                    self.open()
                except Exception:  # noqa: BLE001 - the caller's own open() raises it with its message
                    return

            threading.Thread(target=opener, name="open-vector-store", daemon=True).start()

    @property
    def unit_collection(self):
        return self.open()._store[0]

    @property
    def unit_store(self):
        """llama-index's ChromaVectorStore over the units (for llama-index pipelines; retrieval does not use it)."""
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.unit_collection)

    @property
    def sentence_collection(self):
        return self.open()._store[1]

    @property
    def bm25(self) -> BM25:
        """Keyword index over the original texts, built on first use (retrieval; look-ups do not need it)."""
        if self._bm25 is None:
            with self._lock:
                if self._bm25 is None:
                    self._bm25 = BM25([tokenize(u.embed_text) for u in self.units])
        return self._bm25

    def close(self) -> None:
        """Free the store this index alone uses (a `fresh` load); a no-op otherwise. Call it once nothing
        queries this index any more (EngineHolder: when the engine over an older build is dropped)."""
        if self._store is not None and self._store[2] is not None:
            self._store[2].stop()
            self._store = (*self._store[:2], None)

    def without_versions(self) -> Index:
        """A view of this build that knows only the documents' originals (`eval --compare versions`): its
        units carry no language versions, so no version record or sentence is ever chosen. It shares this
        index's store and never stops it."""
        store = self.open()._store
        view = replace(self, units=[replace(u, versions=()) for u in self.units])
        view._store = (*store[:2], None)
        view.records_per_unit = self.records_per_unit
        return view

    def bm25_for(self, lang: str | None) -> tuple[BM25, object]:
        """(BM25, tokenizer) over the units in a version language (a unit without that version keeps its
        original text), or over the originals when the build has no such version."""
        if not lang or lang not in self.languages:
            return self.bm25, tokenize
        if lang not in self._bm25_by_lang:
            tok = tokenizer_for(lang)
            self._bm25_by_lang[lang] = BM25([tok(v[0] if (v := u.version(lang)) else u.embed_text) for u in self.units])
        return self._bm25_by_lang[lang], tokenizer_for(lang)

    def record_language(self, uid: str, lang: str | None) -> str:
        """The language a question in `lang` meets a unit in: its version in that language, else its original."""
        return self._wanted_version(uid, lang) or self.doc_language.get(self.by_id[uid].doc, "")

    def dense(
        self, query_vec: np.ndarray, k: int, doc: str | None = None, lang: str | None = None
    ) -> list[tuple[str, float]]:
        """(unit id, cosine similarity) of the k nearest units of this build (of one document, if given).
        With `lang`, each unit is scored by its version in that language when it has one (same-language
        similarity), else by its original; other versions do not count. A build by sentences scores a unit by
        its best sentence."""

        def query(n: int, vers: list[str] | None):
            res = (self.sentence_collection if self.by_sentence else self.unit_collection).query(
                query_embeddings=[query_vec.tolist()],
                n_results=n,
                where={"ver": {"$in": vers}} if vers else None,
                include=["distances"],
            )
            # In cosine space Chroma's distance is 1 - cosine.
            out, seen = [], set()
            for i, d in zip(res["ids"][0], res["distances"][0]):
                ver, rid = i.split("|", 1)
                uid, _, rec_lang = rid.split("#", 1)[0].partition("@")  # a sentence's id: unit[@lang]#sN
                if (ver, uid) in seen:
                    continue  # results come best first: a unit's first sentence is its best
                if uid in self.by_id and (rec_lang or None) == self._wanted_version(uid, lang):
                    out.append((ver, uid, 1.0 - float(d)))
                    seen.add((ver, uid))
            return out

        spread = self.records_per_unit
        if doc is not None:
            return [(uid, sim) for _, uid, sim in query(k * spread, [self.versions[doc]])][:k]
        # A filter on 200 versions costs Chroma ~15 times the search itself, and the store holds other
        # versions only between two builds: search unfiltered, drop other versions' records, and filter
        # only when too few are left.
        active = set(self.versions.values())
        hits = [(uid, sim) for ver, uid, sim in query(2 * k * spread, None) if ver in active][:k]
        if len(hits) < min(k, len(self.units)):
            hits = [(uid, sim) for _, uid, sim in query(k * spread, sorted(active))][:k]
        return hits

    def _wanted_version(self, uid: str, lang: str | None) -> str | None:
        """The version language whose record scores a unit for a question in `lang` (None: the original)."""
        return lang if lang and self.by_id[uid].version(lang) else None

    def sentence_vectors(self, unit_ids: list[str], lang: str | None = None) -> list[tuple[dict, np.ndarray]]:
        """The sentences of the given units with their vectors, in reading order; with `lang`, a unit's
        sentences in that language version when it has one."""
        if not unit_ids:
            return []
        wanted = set(unit_ids)
        chosen = [
            s for s in self.sentences if s["unit"] in wanted and s.get("lang") == self._wanted_version(s["unit"], lang)
        ]
        # Read from the store by record id, once per process: a warm question finds its candidates' vectors
        # here (the build's records never change; 11 ms a question by a filtered read before).
        missing = [s for s in chosen if s["id"] not in self._sentence_vecs]
        if missing:
            records = [f"{self.versions[self.by_id[s['unit']].doc]}|{s['id']}" for s in missing]
            got = self.sentence_collection.get(ids=records, include=["embeddings"])
            for rid, vec in zip(got["ids"], got["embeddings"]):
                self._sentence_vecs[rid.split("|", 1)[1]] = np.asarray(vec, dtype=np.float32)
        return [(s, self._sentence_vecs[s["id"]]) for s in chosen if s["id"] in self._sentence_vecs]

    def units_of(self, doc: str | None) -> list[Unit]:
        return self.units if doc is None else [u for u in self.units if u.doc == doc]


def load_index(settings: Settings, fresh: bool = False) -> Index:
    """The active build; a clear error when there is none or it is damaged. `fresh`: see `chroma_client`
    (a running app loading a build that another process made)."""
    current = read_current(settings.index_dir)
    if current is None:
        raise IndexMissing(f"no index in {settings.index_dir}; run: python -m assistant ingest")
    if current.get("model") != settings.embed_model:
        raise IndexMissing(
            f"the index in {settings.index_dir} was built with '{current.get('model')}', not "
            f"'{settings.embed_model}'; run: python -m assistant ingest"
        )
    units, sentences, documents, versions = [], [], [], {}
    try:
        for d in current["documents"]:
            path = settings.index_dir / "docs" / f"{d['ver']}.json"
            record = json.loads(path.read_text(encoding="utf-8"))
            units += [Unit.from_dict(u) for u in record["units"]]
            sentences += record["sentences"]
            documents.append(DocumentInfo(**d["info"]))
            versions[d["info"]["id"]] = d["ver"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise IndexCorrupt(
            f"the index build {current.get('build')} is damaged ({e}); run: python -m assistant ingest"
        ) from None
    units = link_symbols(units, {d.symbol: d.id for d in documents if d.symbol})

    def open_store():
        from chromadb.errors import NotFoundError

        client = chroma_client(settings, fresh)
        unit_name, sent_name = collection_names(settings.embed_model)
        try:
            unit_coll = client.get_collection(unit_name)
            sent_coll = client.get_collection(sent_name)
        except NotFoundError as e:
            raise IndexCorrupt(
                f"the vector store lacks build {current['build']} ({e}); run: python -m assistant ingest"
            ) from None
        own = getattr(client, "_system", None) if fresh and not settings.chroma_host else None
        return unit_coll, sent_coll, own

    return Index(
        build_id=current["build"],
        model=current["model"],
        documents=documents,
        units=units,
        sentences=sentences,
        open_store=open_store,
        versions=versions,
        unit_vectors=current.get("unit_vectors", "embedded"),
    )
