"""Reference services: the dictionary and the org tree (no personal data)."""

from __future__ import annotations

from onesheet.domain.access import Actor
from onesheet.domain.dictionary import ENTITY_TYPES, Field
from onesheet.domain.orgunits import OrgUnit
from onesheet.services.base import Store, service
from onesheet.store import orgs


@service("fields_list", permission="fields.read", audit=None)
def list_fields(store: Store, actor: Actor, *, entity: str | None = None) -> list[Field]:
    """Dictionary fields, optionally of one entity type."""
    if entity is not None and entity not in ENTITY_TYPES:
        raise ValueError(f"未知的对象类型 {entity}（可选：{', '.join(ENTITY_TYPES)}）")
    return [f for f in store.dictionary.fields.values() if entity in (None, f.entity)]


@service("orgs_list", permission="orgs.read", audit=None)
def list_orgs(store: Store, actor: Actor, *, under: str | None = None) -> list[OrgUnit]:
    """Org units of the subtree ``under`` (default: the actor's own subtree)."""
    root = under or actor.org_code
    with store.reading() as conn:  # a snapshot: never waits for an import's write lock
        return orgs.list_orgs(conn, root)
