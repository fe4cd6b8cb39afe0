"""What imports teach the matcher: draft fields proposed by forms, and people's corrections.

A draft field (``draft_field``) is a new concept one form brought; later imports match
against it like a dictionary field, so the same concept on two forms becomes one field. A
heading synonym (``heading_synonym``) is a wording a person mapped by hand; the next form
using that wording is matched to the same field without asking again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from onesheet.domain.dictionary import Field
from onesheet.store.schema import table

_TYPES_MASK = {"id_number": "id_number", "phone": "phone"}


def load_drafts(conn: Connection) -> list[Field]:
    """Every stored draft field, as a ``Field`` the matcher can rank (oldest first)."""
    t = table("draft_field")
    rows = conn.execute(select(t).order_by(t.c.created_at, t.c.key)).all()
    return [_to_field(r._mapping) for r in rows]


def _words_and_table(raw: str | None) -> tuple[list[str], str | None]:
    """The ``synonyms`` column: a JSON list of wordings, or (for a field a person created
    with a code table) ``{"words": [...], "code_table": "..."}``."""
    data = json.loads(raw or "[]")
    if isinstance(data, dict):
        return list(data.get("words") or []), data.get("code_table") or None
    return list(data), None


def _dump_words(words: list[str], code_table: str | None) -> str:
    if code_table:
        return json.dumps({"words": words, "code_table": code_table}, ensure_ascii=False)
    return json.dumps(words, ensure_ascii=False)


def _to_field(m: object) -> Field:
    personal = m["entity"] in ("person", "household") or m["value_type"] in _TYPES_MASK  # type: ignore[index]
    words, code_table = _words_and_table(m["synonyms"])  # type: ignore[index]
    return Field(
        key=m["key"],  # type: ignore[index]
        entity=m["entity"],  # type: ignore[index]
        label_zh=m["label_zh"],  # type: ignore[index]
        label_en=m["label_en"],  # type: ignore[index]
        type=m["value_type"],  # type: ignore[index]
        sensitivity="personal" if personal else "general",
        authority="",
        synonyms=tuple(words),
        code_table=code_table,
        mask=_TYPES_MASK.get(m["value_type"]),  # type: ignore[index, arg-type]
        description=f"草稿字段，由模板 {m['proposed_by']} 提议",  # type: ignore[index]
        status="draft",
    )


def save_drafts(
    conn: Connection, drafts: Iterable[Field], *, template_id: str, at: datetime
) -> int:
    """Store newly proposed drafts (keys already stored are left as they are)."""
    t = table("draft_field")
    new = list(drafts)
    if not new:
        return 0
    have = set(conn.scalars(select(t.c.key).where(t.c.key.in_([d.key for d in new]))))
    rows = [
        {
            "key": d.key,
            "entity": d.entity,
            "label_zh": d.label_zh,
            "label_en": d.label_en,
            "value_type": d.type,
            "synonyms": json.dumps(list(d.synonyms), ensure_ascii=False),
            "proposed_by": template_id,
            "created_at": at,
        }
        for d in new
        if d.key not in have
    ]
    if rows:
        conn.execute(insert(t), rows)
    return len(rows)


def add_draft_wording(conn: Connection, key: str, wording: str) -> None:
    """Remember another heading that named this draft's concept."""
    t = table("draft_field")
    raw = conn.scalar(select(t.c.synonyms).where(t.c.key == key))
    if raw is None:
        return
    words, code_table = _words_and_table(raw)
    if wording and wording not in words:
        words.append(wording)
        conn.execute(
            update(t).where(t.c.key == key).values(synonyms=_dump_words(words, code_table))
        )


def draft_keys(conn: Connection) -> set[str]:
    """Every stored draft field's key."""
    return set(conn.scalars(select(table("draft_field").c.key)))


def proposer(conn: Connection, key: str) -> str | None:
    """The template whose column proposed draft field ``key`` (None for no such draft)."""
    t = table("draft_field")
    return conn.execute(select(t.c.proposed_by).where(t.c.key == key)).scalar()


def insert_draft(conn: Connection, draft: Field, *, proposed_by: str, at: datetime) -> None:
    """Store one draft field a person created (the caller made its key unique).

    ``proposed_by`` is the template whose column asked for it. ``draft_field`` has no
    code-table column, so a code table travels inside the ``synonyms`` JSON.
    """
    conn.execute(
        insert(table("draft_field")).values(
            key=draft.key,
            entity=draft.entity,
            label_zh=draft.label_zh,
            label_en=draft.label_en,
            value_type=draft.type,
            synonyms=_dump_words(list(draft.synonyms), draft.code_table),
            proposed_by=proposed_by,
            created_at=at,
        )
    )


def learned_wordings(conn: Connection) -> dict[str, str]:
    """heading → field a person chose, for every entity (the matcher checks the field fits)."""
    t = table("heading_synonym")
    return {r.heading: r.field_key for r in conn.execute(select(t).order_by(t.c.at))}


def remember_wording(
    conn: Connection, heading: str, entity: str, field_key: str, *, actor: str, at: datetime
) -> None:
    """Record (or replace) the field a person mapped this heading to."""
    t = table("heading_synonym")
    conn.execute(delete(t).where(t.c.heading == heading, t.c.entity == entity))
    conn.execute(
        insert(t).values(heading=heading, entity=entity, field_key=field_key, actor=actor, at=at)
    )
