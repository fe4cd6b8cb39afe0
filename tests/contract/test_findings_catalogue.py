"""One error vocabulary: every finding code the source uses is catalogued (issue 15, item 1).

The codes are found by reading ``src/`` (``finding_codes.scan``): literal codes given to
``Finding``, ``ValueProblem``, ``finding``/``refuse`` and every helper that hands a ``code``
on. A new code without a catalogue entry fails here, naming the file and line; a catalogue
entry nothing uses fails too, so the catalogue (and ``docs/findings.md``) never drifts.
"""

from __future__ import annotations

from onesheet.domain.findings import PLACE, catalogue
from onesheet.services.data_import import KEY_LABELS
from tests.contract.finding_codes import scan

# Call sites whose code is not a literal, with the codes each can produce.
KNOWN_DYNAMIC = {
    # an import names an invalid key cell by the key's kind (KEY_LABELS: id, uscc)
    ("services/data_import.py", "f'{code}.invalid'"): {
        f"{k[2]}.invalid" for k in KEY_LABELS.values()
    },
    ("services/data_import.py", "f'{code}.repaired'"): {
        f"{k[2]}.repaired" for k in KEY_LABELS.values()
    },
    # the bootstrap check joins ValueProblem codes (id_number.*, code.unknown) in SQL: each was
    # made, and counted, where the parser raised it
    ("services/bootstrap.py", "id_code"): set(),
    ("services/bootstrap.py", "rel_code"): set(),
}

# Catalogued codes no Finding carries: the web's answer to each kind of exception
# (web/errors.py) — not signed in, forbidden, CSRF, unknown, stale, malformed, busy …
ANSWER_CODES = {
    "request.not_signed_in",
    "request.forbidden",
    "request.csrf",
    "request.not_found",
    "request.not_approved",
    "request.stale",
    "request.malformed",
    "request.unstorable",
    "system.busy",
}
STATUSES = {400, 401, 403, 404, 409, 422, 503}


def test_every_code_the_source_uses_is_catalogued():
    missing = {code: sites[:3] for code, sites in scan().uses.items() if code not in catalogue()}
    assert not missing, f"add these codes to src/onesheet/data/findings.yaml: {missing}"


def test_codes_that_are_not_literal_are_known():
    seen = {(path, expr) for path, _, expr in scan().unresolved}
    unknown = seen - KNOWN_DYNAMIC.keys()
    assert not unknown, (
        f"a finding code built at run time: name its codes in KNOWN_DYNAMIC {unknown}"
    )
    gone = KNOWN_DYNAMIC.keys() - seen
    assert not gone, f"no longer dynamic, delete from KNOWN_DYNAMIC: {gone}"
    for site, codes in KNOWN_DYNAMIC.items():
        assert codes <= catalogue().keys(), site


def test_every_catalogued_code_is_used():
    dynamic = set().union(*KNOWN_DYNAMIC.values())
    unused = catalogue().keys() - scan().uses.keys() - dynamic - ANSWER_CODES
    assert not unused, f"catalogued but used nowhere (delete or use): {sorted(unused)}"


def test_catalogue_entries_are_complete():
    for code, entry in catalogue().items():
        assert entry.title.strip() and entry.zh.strip() and entry.en.strip(), code
        assert entry.status in STATUSES, code
        assert not entry.placeholders() & set(PLACE), f"{code}: the place is not a parameter"
        assert entry.zh != entry.en or entry.zh == "{reason}", f"{code}: no Chinese message"


def test_refuse_calls_give_every_placeholder():
    bad = []
    for path, line, code, given, spread in scan().refuse_calls:
        entry = catalogue().get(code)
        if entry and not spread and entry.placeholders() - given:
            bad.append(f"{path}:{line} {code} lacks {sorted(entry.placeholders() - given)}")
    assert not bad, bad
