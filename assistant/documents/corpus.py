"""The corpus folder: its manifest of documents, their source files, and their units.

`corpus/manifest.json` lists each document (id, symbol, title, language, session, date, source); the
source file (PDF, DOCX, HTML, Markdown or text) is kept in corpus/ as given and converted when read.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from .formats import FormatError, convert
from .parse import ParseError, parse_document
from .text import UnsafeText, check_doc_id, check_language, sanitize, sanitize_document
from .units import Unit, build_units


class CorpusError(ValueError):
    """The corpus or its manifest cannot be read; the message says which file and why."""


@dataclass(frozen=True)
class DocumentInfo:
    id: str
    symbol: str
    title: str
    language: str
    source: str
    title_en: str = ""
    session: str = ""
    date: str = ""
    added: str = ""  # when it was added to the corpus (UTC, ISO 8601); empty for the shipped documents


def read_manifest(corpus_dir: Path) -> list[DocumentInfo]:
    path = corpus_dir / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [DocumentInfo(**d) for d in data["documents"]]
    except FileNotFoundError:
        raise CorpusError(f"no manifest at {path}") from None
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise CorpusError(f"{path} is not a valid manifest: {e}") from None


def write_manifest(corpus_dir: Path, docs: list[DocumentInfo]) -> None:
    """Replace the manifest atomically (a reader sees the old one or the new one, never half)."""
    path = corpus_dir / "manifest.json"
    tmp = path.with_name(f"manifest.json.tmp{os.getpid()}")
    tmp.write_text(json.dumps({"documents": [asdict(d) for d in docs]}, ensure_ascii=False, indent=2) + "\n", "utf-8")
    os.replace(tmp, path)


def read_file(path: Path):
    """(converted text and metadata, parsed layout) of a document file, or a CorpusError naming it. The text
    and metadata are sanitised here, once, whatever the format (text.sanitize_document: NFC, no control or
    zero-width characters, so no terminal escape sequence or NUL reaches the index or an export)."""
    try:
        converted = convert(path)
        converted.text = sanitize_document(converted.text)
        converted.meta = {k: sanitize(v, k).strip() for k, v in converted.meta.items() if isinstance(v, str)}
        return converted, parse_document(converted.text)
    except (FormatError, ParseError, UnsafeText) as e:
        raise CorpusError(f"{path}: {e}") from None


def document_units(info: DocumentInfo, corpus_dir: Path) -> list[Unit]:
    """A document's units, each carrying its text in the document's language versions (if any)."""
    from .versions import attach, read_versions

    path = corpus_dir / info.source
    if not path.exists():
        raise CorpusError(f"{path} (document {info.id}) does not exist")
    return attach(build_units(read_file(path)[1], info.id), read_versions(corpus_dir, info.id))


def load_documents(corpus_dir: Path) -> list[tuple[DocumentInfo, list[Unit]]]:
    """Every document of the manifest with its units, in manifest order."""
    return [(info, document_units(info, corpus_dir)) for info in read_manifest(corpus_dir)]


def load_corpus(corpus_dir: Path) -> tuple[list[DocumentInfo], list[Unit]]:
    """Every document of the manifest, parsed into units (in manifest and reading order)."""
    pairs = load_documents(corpus_dir)
    return [d for d, _ in pairs], [u for _, us in pairs for u in us]


# --- adding and removing documents ----------------------------------------------------------------

_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def doc_id_for(symbol: str, path: Path) -> str:
    """GB.334/INS/4 → GB.334-INS-4; without a symbol, the file name."""
    base = symbol.replace("/", "-") if symbol else path.stem
    return _ID_CHARS.sub("-", base).strip("-.") or "document"


def session_of(symbol: str) -> str:
    m = re.match(r"(GB|ILC)\.(\d{2,3})", symbol)
    if not m:
        return ""
    n = int(m[2])
    nth = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{nth} Session of the " + ("Governing Body" if m[1] == "GB" else "International Labour Conference")


@dataclass
class Prepared:
    """A file checked and parsed, ready to be copied into the corpus."""

    path: Path
    info: DocumentInfo
    units: list[Unit]
    text: str = ""  # the file's text in the parser's line layout


def prepare(path: Path, symbol=None, title=None, language=None, date=None, doc_id=None) -> Prepared:
    """Read a file and its metadata (command-line values win over what the file says); nothing is
    written, so a broken or unsupported file fails here with the corpus and index untouched."""
    from .text import language_of

    try:  # the command line checks these too (exit 2 before any work); here for every other caller
        did = check_doc_id(doc_id) if doc_id else None
        given_lang = check_language(language) if language else None
        symbol, title, date = (sanitize(x, "a metadata value").strip() if x else x for x in (symbol, title, date))
    except ValueError as e:
        raise CorpusError(str(e)) from None
    converted, parsed = read_file(path)
    meta = converted.meta
    sym = symbol or meta.get("symbol") or _symbol_from_name(path) or ""
    did = did or doc_id_for(sym, path)
    units = build_units(parsed, did)
    lang = given_lang or _language(meta.get("language")) or language_of(" ".join(u.plain_text for u in units[:20]))
    info = DocumentInfo(
        id=did,
        symbol=sym,
        title=title or meta.get("title") or parsed.title or path.stem,
        language=lang,
        source=f"{did}.{lang}{path.suffix.lower()}",
        session=session_of(sym),
        date=date or meta.get("date") or "",
    )
    return Prepared(path, info, units, converted.text)


def _language(tag: str | None) -> str | None:
    """The primary language of a tag the file gives (HTML lang, DOCX language), or None if it is not BCP 47."""
    try:
        lang = check_language(tag) if tag else None
    except ValueError:
        return None
    return lang if lang and len(lang) <= 3 else None  # "English" in a DOCX's properties: detect instead


def _symbol_from_name(path: Path) -> str | None:
    """GB.334-INS-4.en.pdf names GB.334/INS/4."""
    from .units import SYMBOL

    m = re.match(r"^((?:GB|ILC)\.\d{2,3}(?:-[A-Za-z0-9]+)+?)(?:\.[a-z]{2})?$", path.stem)
    if not m:
        return None
    sym = m[1].replace("-", "/")
    return sym if SYMBOL.fullmatch(sym) else None


def add_to_corpus(corpus_dir: Path, prepared: list[Prepared]) -> tuple[list[str], list[str]]:
    """Copy the files in and record them in the manifest; a document with the same id is replaced.
    Returns (added ids, replaced ids). The first document into an empty (or missing) corpus folder
    starts its manifest."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    docs = read_manifest(corpus_dir) if (corpus_dir / "manifest.json").exists() else []
    added, replaced, stale = [], [], []
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for p in prepared:
        old = next((d for d in docs if d.id == p.info.id), None)
        info = replace(p.info, added=now)
        if old is not None:  # what neither the file nor the command line says is kept from before
            info = replace(
                info,
                title_en=info.title_en or old.title_en,
                session=old.session or info.session,
                date=info.date or old.date,
            )
            docs[docs.index(old)] = info
            replaced.append(info.id)
            if old.source != info.source:
                stale.append(old.source)
        else:
            docs.append(info)
            added.append(info.id)
        tmp = corpus_dir / f".{info.source}.tmp"
        shutil.copyfile(p.path, tmp)
        os.replace(tmp, corpus_dir / info.source)
    write_manifest(corpus_dir, docs)
    for source in stale:
        (corpus_dir / source).unlink(missing_ok=True)
    return added, replaced


def remove_from_corpus(corpus_dir: Path, ids: list[str]) -> None:
    docs = read_manifest(corpus_dir)
    unknown = [i for i in ids if i not in {d.id for d in docs}]
    if unknown:
        raise CorpusError(f"no document {', '.join(unknown)} in the corpus (see: python -m assistant list)")
    from .versions import version_files

    write_manifest(corpus_dir, [d for d in docs if d.id not in ids])
    for d in docs:
        if d.id in ids:
            (corpus_dir / d.source).unlink(missing_ok=True)
            # Its language versions go with it: a paper added again under the same id must not inherit them.
            for path in version_files(corpus_dir, d.id):
                path.unlink(missing_ok=True)
