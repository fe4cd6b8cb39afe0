"""Tables of eligibility rules, enrolment rosters, runs and proofs from data (数据代证明).

* ``eligibility_rule``: one row per version of a benefit's rule (``RuleSpec`` JSON) with its
  Gate status (draft → submitted → approved / rejected; an approved version supersedes the
  one before it).
* ``eligibility_decision``: every Gate step with actor, time, reason and the review figures.
* ``eligibility_enrolment``: who is paid (the roster), imported or confirmed from a run; a
  row is ended (``ended``), never deleted.
* ``eligibility_run`` / ``eligibility_run_entry``: each run's counts and each listed person,
  keyed by (run, person) (0014); ``eligibility_run_item`` holds the people of runs made
  before 0014 (one sequence value and two index entries a person: a county's run lists
  tens of thousands, and that was most of what storing them cost).
* ``proof_answer``: every proof question answered, with its signed payload.
* ``signing_key``: the installation's Ed25519 key pair (created on first use).

``eligibility_tables(md)`` adds them to a MetaData, as migration 0010 created them and 0014
``eligibility_run_entry`` (each defined there once); ``store.schema.metadata()`` calls it.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from onesheet.store.migrations.frozen import revision_module

ELIGIBILITY_TABLES = (
    "eligibility_rule",
    "eligibility_decision",
    "eligibility_enrolment",
    "eligibility_run",
    "eligibility_run_item",
    "eligibility_run_entry",
    "proof_answer",
    "signing_key",
)


def eligibility_tables(md: MetaData) -> None:
    """Add the eligibility and proof tables to ``md`` (once; revisions 0010 and 0014's
    definitions)."""
    if "eligibility_rule" in md.tables:
        return
    revision_module("0010").tables(md)
    revision_module("0014").tables(md)
