"""The corpus managed beside a running app: its documents and their state, what a file would give, adding and
removing one. Shared by the chat window's Documents tab, the HTTP API (/v1/documents) and the CLI (`list`,
`units`, `ingest --version-of`).

Writers go through build_index's lock (index/.lock), so the window, the API and a command-line `ingest` never
change the corpus at once; a running app picks the new build up at its next question (EngineHolder), and an
answer already under way keeps the build it started with. A file is read and parsed before anything is
written: a broken one leaves the corpus and the index as they were.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

# One writer per process at a time (the index lock would make a second wait for minutes; here it is told).
_writing = threading.Lock()


class Refused(ValueError):
    """A request about documents that cannot be done; `status` is what the API answers (400 a bad value,
    403 protected, 404 unknown, 409 busy, 413 too large, 415 unsupported type, 422 a file that does not parse
    or align)."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


def kinds(settings) -> str:
    return ", ".join(settings.upload_types)


def check_upload(settings, filename: str, size: int | None = None) -> str:
    """The name to store an upload under (no folders, no odd characters), or Refused: 415 for a type not
    accepted, 413 past ILO_MAX_DOCUMENT_MB. Checked before the file is read."""
    from ..documents.formats import supported

    name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(filename or "").name).strip("-.")
    suffix = Path(name).suffix.lower()
    if not name or suffix not in settings.upload_types or not supported(Path(name)):
        raise Refused(f"{filename or 'the file'}: unsupported file type; accepted: {kinds(settings)}", 415)
    if size is not None and size > settings.max_document_mb * 1e6:
        raise Refused(
            f"{filename} is {size / 1e6:.1f} MB; files up to {settings.max_document_mb:g} MB are accepted "
            "(ILO_MAX_DOCUMENT_MB): split the document",
            413,
        )
    return name


def prepare(settings, path: Path, symbol=None, lang=None, doc_id=None, title=None, date=None):
    """The file read and parsed (corpus.Prepared); a file that does not parse, or has more units than
    ILO_MAX_DOCUMENT_UNITS, is Refused (422) with the parser's message."""
    from ..documents import corpus as C

    try:
        prepared = C.prepare(path, symbol or None, title or None, lang or None, date or None, doc_id or None)
    except C.CorpusError as e:
        raise Refused(str(e).replace(str(path), path.name), 422) from None
    if len(prepared.units) > settings.max_document_units:
        raise Refused(
            f"{path.name}: {len(prepared.units):,} units, more than the {settings.max_document_units:,} a document "
            "may have; split it, or raise ILO_MAX_DOCUMENT_UNITS",
            422,
        )
    if not prepared.units:
        raise Refused(f"{path.name}: no text was found in it (a scanned PDF needs OCR first)", 422)
    return prepared


def preview(prepared) -> dict:
    """What a file would give, as `units --json` prints it: the document, its units and the warnings."""
    from ..documents.units import check_units, first_words

    info, units = prepared.info, prepared.units
    label = {u.id: u.label for u in units}
    rows = [
        {
            "id": u.id,
            "label": u.label,
            "kind": u.kind,
            "start": first_words(u.plain_text),
            "text": u.text,
            "section": list(u.section),
            "footnotes": list(u.footnotes),
            "cited_by": [label[c] for c in u.cited_by if c in label],
            "symbols": list(u.symbols),
        }
        for u in units
    ]
    doc = {"id": info.id, "symbol": info.symbol, "language": info.language, "title": info.title}
    return {**doc, "units": rows, "warnings": check_units(units, prepared.text)}


def list_documents(settings) -> tuple[list[dict], str | None]:
    """(the corpus's documents with their state, a problem with the index or None). Each row: the manifest's
    fields, `units` (None when not indexed), `indexed`, `versions` ({lang: "official" | "machine translation
    by MODEL"}), `languages` ([{lang, official, provenance}], the original first) and `protected`."""
    from ..documents import corpus as C
    from ..documents.versions import read_versions
    from ..search.index import IndexCorrupt, read_current

    docs = C.read_manifest(settings.corpus_dir) if (settings.corpus_dir / "manifest.json").exists() else []
    try:
        current, problem = read_current(settings.index_dir) or {}, None
    except IndexCorrupt as e:  # the corpus can still be listed; the index is said to be unreadable
        current, problem = {}, str(e)
    counts = {d["info"]["id"]: d["units"] for d in current.get("documents", []) if isinstance(d, dict)}
    rows = []
    for d in docs:
        versions = {v.lang: v.provenance for v in read_versions(settings.corpus_dir, d.id).values()}
        languages = [{"lang": d.language, "official": True, "provenance": "original"}] + [
            {"lang": lang, "official": prov == "official", "provenance": prov}
            for lang, prov in sorted(versions.items())
        ]
        rows.append(
            {
                **d.__dict__,
                "units": counts.get(d.id),
                "indexed": d.id in counts,
                "versions": versions,
                "languages": languages,
                "protected": d.id in settings.protected_documents,
            }
        )
    return rows, problem


@contextmanager
def _one_writer():
    if not _writing.acquire(blocking=False):
        raise Refused("another document is being added or removed; try again when it is done", 409)
    try:
        yield
    finally:
        _writing.release()


def _guard(settings, doc_id: str, what: str) -> None:
    if doc_id in settings.protected_documents:
        raise Refused(
            f"{doc_id} is protected: the assistant is built around it (its examples, gold questions and paragraph "
            f"numbers refer to it), so it cannot be {what} from the window or the API. Add a language version of it "
            "instead (version_of), or use the command line (python -m assistant remove / ingest); "
            "ILO_PROTECTED_DOCUMENTS lists the protected documents",
            403,
        )


Progress = Callable[[int, int], None]


def ingest(settings, prepared, on_progress: Progress | None = None) -> dict:
    """Add or replace a prepared document and index it. Returns what the API answers."""
    from ..documents import corpus as C
    from ..search.index import build_index

    _guard(settings, prepared.info.id, "replaced")
    done: dict = {}
    with _one_writer():
        report = build_index(
            settings,
            progress=False,
            change=lambda: done.update(zip(("added", "replaced"), C.add_to_corpus(settings.corpus_dir, [prepared]))),
            on_progress=on_progress,
            isolated=True,
        )
    info = prepared.info
    return {
        "id": info.id,
        "symbol": info.symbol,
        "title": info.title,
        "language": info.language,
        "units": len(prepared.units),
        "replaced": info.id in done.get("replaced", ()),
        "build": report.build_id,
        "embedded": report.embedded,
        "seconds": round(report.seconds, 1),
    }


def add_version(settings, path: Path, version_of: str, lang: str | None = None, on_progress=None) -> dict:
    """Add an official language version of a document already in the corpus, aligned unit by unit (Refused,
    422, when the document is unknown, the language is the original's, or the units do not align)."""
    from ..documents import corpus as C
    from ..documents.text import check_language, language_of
    from ..documents.versions import official_version, write_version
    from ..search.index import build_index

    docs = C.read_manifest(settings.corpus_dir)
    doc = next((d for d in docs if version_of in (d.symbol, d.id)), None)
    if doc is None:
        known = ", ".join(d.symbol or d.id for d in docs)
        raise Refused(f"no document {version_of!r} in the corpus to add a version of (it has {known})", 404)
    try:
        lang = check_language(lang) if lang else None
    except ValueError as e:
        raise Refused(str(e), 400) from None
    try:
        converted, _ = C.read_file(path)
        lang = (lang or converted.meta.get("language") or language_of(converted.text[:4000]))[:2].lower()
        if lang == doc.language:
            raise Refused(f"{path.name} is in {lang}, the language of {doc.id} itself; give its language", 400)
        version = official_version(path, C.document_units(doc, settings.corpus_dir), doc.id, lang)
    except C.CorpusError as e:  # unreadable, or misaligned: every misaligned unit named
        raise Refused(str(e).replace(str(path), path.name), 422) from None
    # The file itself is kept beside the version, so the version can be checked against it or aligned again.
    kept = settings.corpus_dir / "versions" / f"{doc.id}.{lang}.source{path.suffix.lower()}"
    version.meta["source"] = kept.name

    def store() -> None:
        write_version(settings.corpus_dir, version)
        shutil.copyfile(path, kept)

    with _one_writer():
        report = build_index(settings, progress=False, change=store, on_progress=on_progress, isolated=True)
    return {
        "id": doc.id,
        "symbol": doc.symbol,
        "version": lang,
        "units": len(version.texts),
        "build": report.build_id,
        "embedded": report.embedded,
        "seconds": round(report.seconds, 1),
    }


def remove(settings, doc_id: str) -> dict:
    """Remove a document from the corpus and the index (404 unknown, 403 protected)."""
    from ..documents import corpus as C
    from ..search.index import build_index

    known = {d.id: d for d in C.read_manifest(settings.corpus_dir)}
    if doc_id not in known:
        raise Refused(f"no document {doc_id!r} in the corpus (ids: {', '.join(known) or 'none'})", 404)
    _guard(settings, doc_id, "removed")
    with _one_writer():
        report = build_index(
            settings, progress=False, change=lambda: C.remove_from_corpus(settings.corpus_dir, [doc_id])
        )
    return {"removed": doc_id, "symbol": known[doc_id].symbol, "build": report.build_id, "units": report.units}


@contextmanager
def uploaded(settings, filename: str, data: bytes | None = None, source: Path | None = None):
    """A folder holding the upload under its checked name (`data`, or a copy of `source`); removed afterwards."""
    name = check_upload(settings, filename, len(data) if data is not None else source.stat().st_size)
    with tempfile.TemporaryDirectory(prefix="ilo-upload-") as folder:
        path = Path(folder) / name
        if data is not None:
            path.write_bytes(data)
        else:
            shutil.copyfile(source, path)
        yield path
