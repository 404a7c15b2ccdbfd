"""Build and load the index: units and sentence vectors in Chroma, unit records and BM25 beside them.

Layout under `index/`:
- `current.json`: the active build (written last, by an atomic rename: a build that dies midway
  leaves the previous one active and usable);
- `builds/<id>/units.json`: the units and their sentences for that build;
- `chroma/`: the embedded Chroma store (unless a Chroma server is configured), one pair of
  collections per build, `u-<id>` (units) and `s-<id>` (sentences);
- `cache/embeddings.sqlite`: vectors by model and content hash, so an unchanged unit is never
  embedded twice and an interrupted build resumes where it stopped;
- `.lock`: held by the one process allowed to build at a time.
The build id is a hash of the model and every unit's content: an unchanged corpus rebuilds nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import Settings
from .corpus import DocumentInfo, load_corpus
from .keyword import BM25, tokenize
from .sentences import split_sentences
from .units import Unit

FORMAT = 1  # bump when the parser or the stored layout changes: forces a rebuild


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


def chroma_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
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


def embed_with_cache(texts: list[str], embedder, cache: EmbeddingCache, progress: bool, batch: int = 16):
    """Vectors for texts, embedding only those the cache lacks. Returns (vectors, newly embedded count)."""
    from tqdm import tqdm

    hashes = [_text_hash(t) for t in texts]
    known = cache.get(embedder.name, list(dict.fromkeys(hashes)))
    todo = list(dict.fromkeys(h for h in hashes if h not in known))
    text_of = dict(zip(hashes, texts))
    bar = tqdm(total=len(todo), desc=f"embedding ({embedder.name})", unit="text", file=sys.stderr, disable=not progress)
    for i in range(0, len(todo), batch):
        part = todo[i : i + batch]
        vecs = embedder.embed_documents([text_of[h] for h in part])
        new = dict(zip(part, vecs))
        cache.put(embedder.name, new)
        known.update(new)
        bar.update(len(part))
    bar.close()
    return np.stack([known[h] for h in hashes]) if hashes else np.zeros((0, 1), np.float32), len(todo)


def _sentence_records(units: list[Unit]) -> list[dict]:
    return [
        {"id": f"{u.id}#s{i}", "unit": u.id, "i": i, "text": s}
        for u in units
        for i, s in enumerate(split_sentences(u.plain_text))
    ]


def compute_build_id(model: str, units: list[Unit]) -> str:
    h = hashlib.sha256(f"{FORMAT}|{model}".encode())
    for u in units:
        h.update(json.dumps(u.to_dict(), ensure_ascii=False, sort_keys=True).encode())
    return h.hexdigest()[:16]


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


def _add_to_chroma(client, name: str, ids, vectors, documents, metadatas, batch: int = 1000) -> None:
    """Write one collection through llama-index's Chroma store (cosine space)."""
    from chromadb.errors import NotFoundError
    from llama_index.core.schema import TextNode
    from llama_index.vector_stores.chroma import ChromaVectorStore

    with contextlib.suppress(NotFoundError):  # leftovers of an interrupted build
        client.delete_collection(name)
    collection = client.create_collection(name, metadata={"hnsw:space": "cosine"})
    store = ChromaVectorStore(chroma_collection=collection)
    nodes = [
        TextNode(id_=i, text=d, embedding=v.tolist(), metadata=m)
        for i, v, d, m in zip(ids, vectors, documents, metadatas)
    ]
    for k in range(0, len(nodes), batch):
        store.add(nodes[k : k + batch])


def build_index(settings: Settings, progress: bool = True, embedder=None) -> BuildReport:
    """Build or refresh the index from the corpus; a no-op when nothing changed."""
    from filelock import FileLock, Timeout

    from .embed import get_embedder

    start = time.perf_counter()
    docs, units = load_corpus(settings.corpus_dir)  # a broken corpus fails here, before anything is touched
    build_id = compute_build_id(settings.embed_model, units)
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(settings.index_dir / ".lock"), timeout=settings.lock_timeout_s)
    try:
        lock.acquire()
    except Timeout:
        raise IndexBusy(
            f"another process is building the index (lock {settings.index_dir / '.lock'}); try again when it finishes"
        ) from None
    try:
        try:
            current = read_current(settings.index_dir)
        except IndexCorrupt:
            current = None  # rebuilding is the repair
        client = chroma_client(settings)
        if current and current.get("build") == build_id and _collections_complete(client, current):
            return BuildReport(
                build_id, len(units), current["sentences"], 0, len(units), time.perf_counter() - start, True
            )

        embedder = embedder or get_embedder(settings.embed_model, settings.models_dir)
        sentences = _sentence_records(units)
        cache = EmbeddingCache(settings.index_dir / "cache" / "embeddings.sqlite")
        try:
            unit_vecs, new_u = embed_with_cache([u.embed_text for u in units], embedder, cache, progress)
            sent_vecs, new_s = embed_with_cache([s["text"] for s in sentences], embedder, cache, progress)
        finally:
            cache.close()

        build_dir = settings.index_dir / "builds" / build_id
        tmp_dir = build_dir.with_name(build_id + ".tmp")
        shutil.rmtree(tmp_dir, ignore_errors=True)
        tmp_dir.mkdir(parents=True)
        record = {
            "format": FORMAT,
            "documents": [d.__dict__ for d in docs],
            "units": [u.to_dict() for u in units],
            "sentences": sentences,
        }
        (tmp_dir / "units.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        shutil.rmtree(build_dir, ignore_errors=True)
        tmp_dir.rename(build_dir)

        _add_to_chroma(
            client,
            f"u-{build_id}",
            [u.id for u in units],
            unit_vecs,
            [u.plain_text for u in units],
            [{"unit": u.id, "doc": u.doc, "kind": u.kind} for u in units],
        )
        _add_to_chroma(
            client,
            f"s-{build_id}",
            [s["id"] for s in sentences],
            sent_vecs,
            [s["text"] for s in sentences],
            [{"unit": s["unit"], "i": s["i"]} for s in sentences],
        )
        new = {
            "build": build_id,
            "model": settings.embed_model,
            "units": len(units),
            "sentences": len(sentences),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        _write_atomic(settings.index_dir / "current.json", json.dumps(new, indent=2))
        _remove_old_builds(settings, client, keep={build_id, (current or {}).get("build")})
        return BuildReport(
            build_id,
            len(units),
            len(sentences),
            new_u + new_s,
            len(units) + len(sentences) - new_u - new_s,
            time.perf_counter() - start,
            False,
        )
    finally:
        lock.release()


def _collections_complete(client, current: dict) -> bool:
    from chromadb.errors import NotFoundError

    try:
        u = client.get_collection(f"u-{current['build']}")
        s = client.get_collection(f"s-{current['build']}")
        return u.count() == current["units"] and s.count() == current["sentences"]
    except (NotFoundError, KeyError):
        return False


def _remove_old_builds(settings: Settings, client, keep: set) -> None:
    """Keep the new build and the one before it (a reader may still be using it)."""
    for coll in client.list_collections():
        name = coll if isinstance(coll, str) else coll.name
        if name[:2] in ("u-", "s-") and name[2:] not in keep:
            client.delete_collection(name)
    builds = settings.index_dir / "builds"
    for d in builds.iterdir() if builds.exists() else ():
        if d.name not in keep:
            shutil.rmtree(d, ignore_errors=True)


@dataclass
class Index:
    """A loaded, read-only build: unit records, keyword index and the Chroma collections."""

    build_id: str
    model: str
    documents: list[DocumentInfo]
    units: list[Unit]
    sentences: list[dict]
    unit_store: object  # llama-index ChromaVectorStore over u-<build>
    sentence_collection: object
    bm25: BM25
    by_id: dict[str, Unit] = field(default_factory=dict)

    def __post_init__(self):
        self.by_id = {u.id: u for u in self.units}

    def dense(self, query_vec: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(unit id, cosine similarity) of the k nearest units."""
        from llama_index.core.vector_stores.types import VectorStoreQuery

        res = self.unit_store.query(VectorStoreQuery(query_embedding=query_vec.tolist(), similarity_top_k=k))
        # The store reports exp(-distance); in cosine space distance = 1 - cosine.
        return [(i, 1.0 + math.log(max(s, 1e-12))) for i, s in zip(res.ids, res.similarities)]

    def sentence_vectors(self, unit_ids: list[str]) -> list[tuple[dict, np.ndarray]]:
        """The sentences of the given units with their vectors, in reading order."""
        if not unit_ids:
            return []
        got = self.sentence_collection.get(where={"unit": {"$in": list(unit_ids)}}, include=["embeddings", "metadatas"])
        by_id = dict(zip(got["ids"], got["embeddings"]))
        wanted = set(unit_ids)
        return [
            (s, np.asarray(by_id[s["id"]], dtype=np.float32))
            for s in self.sentences
            if s["unit"] in wanted and s["id"] in by_id
        ]


def load_index(settings: Settings) -> Index:
    """The active build; a clear error when there is none or it is damaged."""
    from llama_index.vector_stores.chroma import ChromaVectorStore

    current = read_current(settings.index_dir)
    if current is None:
        raise IndexMissing(f"no index in {settings.index_dir}; run: python -m assistant ingest")
    if current.get("model") != settings.embed_model:
        raise IndexMissing(
            f"the index in {settings.index_dir} was built with '{current.get('model')}', not "
            f"'{settings.embed_model}'; run: python -m assistant ingest"
        )
    path = settings.index_dir / "builds" / current["build"] / "units.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        units = [Unit.from_dict(u) for u in record["units"]]
        documents = [DocumentInfo(**d) for d in record["documents"]]
        sentences = record["sentences"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise IndexCorrupt(f"the index build {path.parent} is damaged ({e}); run: python -m assistant ingest") from None
    from chromadb.errors import NotFoundError

    client = chroma_client(settings)
    try:
        unit_coll = client.get_collection(f"u-{current['build']}")
        sent_coll = client.get_collection(f"s-{current['build']}")
    except NotFoundError as e:
        raise IndexCorrupt(
            f"the vector store lacks build {current['build']} ({e}); run: python -m assistant ingest"
        ) from None
    return Index(
        build_id=current["build"],
        model=current["model"],
        documents=documents,
        units=units,
        sentences=sentences,
        unit_store=ChromaVectorStore(chroma_collection=unit_coll),
        sentence_collection=sent_coll,
        bm25=BM25([tokenize(u.embed_text) for u in units]),
    )
