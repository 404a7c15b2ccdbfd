"""The corpus folder: its manifest of documents, and their units."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .parse import ParseError, parse_text
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


def read_manifest(corpus_dir: Path) -> list[DocumentInfo]:
    path = corpus_dir / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [DocumentInfo(**d) for d in data["documents"]]
    except FileNotFoundError:
        raise CorpusError(f"no manifest at {path}") from None
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise CorpusError(f"{path} is not a valid manifest: {e}") from None


def document_units(info: DocumentInfo, corpus_dir: Path) -> list[Unit]:
    path = corpus_dir / info.source
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CorpusError(f"{path} (document {info.id}) does not exist") from None
    except UnicodeDecodeError:
        raise CorpusError(f"{path} is not UTF-8 text") from None
    try:
        return build_units(parse_text(text), info.id)
    except ParseError as e:
        raise CorpusError(f"{path}: {e}") from None


def load_corpus(corpus_dir: Path) -> tuple[list[DocumentInfo], list[Unit]]:
    """Every document of the manifest, parsed into units (in manifest and reading order)."""
    docs = read_manifest(corpus_dir)
    units: list[Unit] = []
    for info in docs:
        units.extend(document_units(info, corpus_dir))
    return docs, units
