"""The public overview: counts only (no personal data), shown before signing in."""

from __future__ import annotations

from onesheet.domain.access import CLI_ADMIN
from onesheet.services.base import Store
from onesheet.services.reference import list_orgs
from onesheet.services.sheet_admin import count_entities

ENTITY_LABEL_KEYS = {
    "person": "people",
    "household": "households",
    "enterprise": "enterprises",
    "house": "houses",
    "place": "places",
}


def county_summary(store: Store) -> dict[str, object]:
    """Entity counts and the org tree's size."""
    counts = count_entities(store)
    units = list_orgs(store, CLI_ADMIN)
    county = next((u for u in units if u.level == "county"), None)
    return {
        "county": county.name if county else None,
        "counts": counts,
        "label_keys": ENTITY_LABEL_KEYS,
        "towns": sum(1 for u in units if u.level == "town"),
        "villages": sum(1 for u in units if u.level == "village"),
        "grids": sum(1 for u in units if u.level == "grid"),
        "fields": len(store.dictionary.fields),
    }
