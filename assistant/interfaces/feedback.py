"""Thumbs up/down feedback on answers, kept in SQLite, and its export as candidate gold questions."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

RATINGS = ("up", "down")
BUSY_TIMEOUT_S = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    created TEXT NOT NULL,
    question TEXT,
    answer TEXT,
    answer_json TEXT,
    citations TEXT,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT,
    language TEXT
)
"""
_COLUMNS = ("id", "created", "question", "answer", "answer_json", "citations", "rating", "comment", "language")


class FeedbackStore:
    """Feedback rows in one SQLite file; each call opens its own connection, so any thread may use the store."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            # WAL lets readers run beside a writer; the mode is stored in the file, so once is enough.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
        try:
            conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            with conn:  # commit on success, roll back on error
                yield conn
        finally:
            conn.close()

    def add(self, answer: dict, rating: str, comment: str = "") -> int:
        """Store a rating ('up' or 'down') of an answer dict (Answer.to_dict()); returns the new row id."""
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, not {rating!r}")
        citations = [c.get("id") for c in answer.get("citations") or []]
        row = (
            datetime.now(UTC).isoformat(timespec="seconds"),
            answer.get("question", ""),
            answer.get("answer", ""),
            json.dumps(answer, ensure_ascii=False, default=str),
            json.dumps(citations, ensure_ascii=False),
            rating,
            comment or "",
            answer.get("language"),
        )
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO feedback (created, question, answer, answer_json, citations, rating, comment, language)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cur.lastrowid)

    def set_comment(self, feedback_id: int, comment: str) -> None:
        """Replace the comment of a feedback row; KeyError when there is no such row."""
        with self._connect() as conn:
            cur = conn.execute("UPDATE feedback SET comment = ? WHERE id = ?", (comment or "", int(feedback_id)))
            if cur.rowcount == 0:
                raise KeyError(feedback_id)

    def all(self) -> list[dict]:
        """Every row, oldest first; `citations` decoded to a list of unit ids and `answer_json` to a dict."""
        with self._connect() as conn:
            rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM feedback ORDER BY id").fetchall()
        out = []
        for values in rows:
            row = dict(zip(_COLUMNS, values))
            row["citations"] = json.loads(row["citations"] or "[]")
            row["answer_json"] = json.loads(row["answer_json"] or "{}")
            out.append(row)
        return out

    def export_gold_candidates(self, out: Path) -> int:
        """Write every row as a candidate line for eval/gold/questions.jsonl; returns the number written.

        A thumbs-up makes its cited units the gold; a thumbs-down leaves `answerable` null and `gold` empty,
        since only a person can tell whether the question was unanswerable or the retrieval missed.
        """
        rows = self.all()
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as f:
            for row in rows:
                up = row["rating"] == "up"
                candidate = {
                    "id": f"fb{row['id']:04d}",
                    "question": row["question"],
                    "language": row["language"],
                    "category": "feedback",
                    "answerable": True if up else None,
                    "gold": [c for c in row["citations"] if c] if up else [],
                    "key_facts": [],
                    "source": {
                        "feedback_id": row["id"],
                        "rating": row["rating"],
                        "comment": row["comment"],
                        "answer": row["answer"],
                    },
                }
                f.write(json.dumps(candidate, ensure_ascii=False) + "\n")
        return len(rows)
