"""The pure write-scope rules: whose source, which subtree (no database)."""

from __future__ import annotations

import pytest

from onesheet.domain import write_scope as ws
from onesheet.domain.access import AccessDenied, Actor

TOWN = Actor("t", "town", "330523001")


def test_source_is_the_actors_own():
    assert ws.own_source(TOWN, None) == ws.own_source(TOWN, "village") == "village"
    assert ws.own_source(Actor("v", "village", "330523001030"), None) == "village"
    health = Actor("h", "department", "330523", "health")
    assert ws.own_source(health, None) == ws.own_source(health, "health") == "health"
    for actor, asked in ((TOWN, "public_security"), (health, "public_security")):
        with pytest.raises(AccessDenied):
            ws.own_source(actor, asked)
    with pytest.raises(AccessDenied):  # a department account without a department
        ws.own_source(Actor("x", "department", "330523"), None)
    admin = Actor("a", "admin", None)
    assert ws.own_source(admin, "public_security") == "public_security"
    assert ws.on_behalf(admin, "public_security") and not ws.on_behalf(admin, "village")
    assert not ws.on_behalf(health, "health")


def test_everything_touched_must_lie_in_the_subtree():
    ws.require_all(TOWN, [ws.entity(1, "330523001030001"), ws.row(2, "330523001")])
    with pytest.raises(ws.OutOfScope) as refused:
        ws.require_all(
            TOWN,
            [ws.entity(1, "330523001030001"), ws.row(3, "330523108200"), ws.entity(9, None)],
        )
    assert [i.label_en for i in refused.value.items] == ["row 3", "entity 9"]
    assert "第 3 行" in refused.value.message_zh and "编号 9" in refused.value.message_zh
    many = [ws.entity(i, "330523108") for i in range(25)]
    with pytest.raises(ws.OutOfScope) as refused:
        ws.require_all(TOWN, many)
    assert "另有 15 项" in refused.value.message_zh and "15 more" in refused.value.message_en
    ws.require_all(Actor("root", "admin", None), many)


def test_a_named_county_must_be_the_actors_own():
    ws.require_county(TOWN, "330523")
    ws.require_county(Actor("root", "admin", None), "110101")
    with pytest.raises(AccessDenied):
        ws.require_county(TOWN, "330522")
