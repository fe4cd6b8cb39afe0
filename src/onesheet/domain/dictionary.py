"""The data dictionary (数据元): every field a form may ask for, defined once.

CONTRACT (other modules rely on these names; the loader below is filled from data files):
- ``Field`` — one dictionary entry.
- ``Dictionary`` — all fields and code tables; ``load_builtin()`` returns the packaged one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from onesheet.domain.codes import CodeTable

EntityType = Literal["person", "household", "enterprise", "house", "place"]
ENTITY_TYPES: tuple[str, ...] = ("person", "household", "enterprise", "house", "place")

# Value types a field may have. Canonical stored strings per type:
#   text → stripped text; integer → "123"; decimal → "123.45"; date → "YYYY-MM-DD";
#   boolean → "1" / "0"; code → the code; id_number → 18 chars upper-case;
#   phone → digits (mobile 11 digits, landline "0571-88886666"); uscc → 18 chars upper-case;
#   ref → the referenced entity's id as decimal text.
FieldType = Literal[
    "text", "integer", "decimal", "date", "boolean", "code", "id_number", "phone", "uscc", "ref"
]
Sensitivity = Literal["general", "personal", "sensitive"]


@dataclass(frozen=True)
class Field:
    """One dictionary entry. ``key`` is ``<entity>.<name>`` and never changes once used."""

    key: str
    entity: str
    label_zh: str
    label_en: str
    type: FieldType
    sensitivity: Sensitivity
    authority: str  # department key of the authoritative source (一数一源)
    synonyms: tuple[str, ...] = ()
    code_table: str | None = None
    ref_entity: str | None = None  # for type "ref"
    derived_from: str | None = None  # e.g. person.age ← person.birth_date; not stored
    mask: Literal["id_number", "phone", "account"] | None = None
    description: str = ""
    status: Literal["builtin", "draft", "approved", "deprecated"] = "builtin"
    # County fields (approved drafts, kept as data): the county that defined the field and
    # the unit its numbers are in. Their current values live in ``sheet_value``, not in a
    # column of the entity's sheet table.
    county_code: str | None = None
    unit: str | None = None

    @property
    def in_sheet_table(self) -> bool:
        """Whether the field has its own typed column in the entity's sheet table."""
        return self.stored and self.county_code is None

    @property
    def name(self) -> str:
        """The part after the entity: the column name in the entity's sheet table."""
        return self.key.split(".", 1)[1]

    @property
    def stored(self) -> bool:
        """Whether observations of this field are kept (derived fields are computed)."""
        return self.derived_from is None


@dataclass
class Department:
    """A county department (部门) that owns systems and asks for forms."""

    key: str
    name_zh: str
    name_en: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class DepartmentMatch:
    """A wording of a department, resolved: ``key`` when it names exactly one department,
    ``options`` (several keys) for a joint form such as 住房城乡建设/应急管理, ``suggestions``
    (closest first) when it names none; ``how`` says which rule decided."""

    wording: str
    key: str | None
    options: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    how: str = "unknown"  # exact / stem / fuzzy / joint / unknown


@dataclass
class Dictionary:
    """All fields, code tables and departments, with lookups by key."""

    fields: dict[str, Field]
    code_tables: dict[str, CodeTable]
    departments: dict[str, Department] = field(default_factory=dict)

    def field(self, key: str) -> Field:
        """The field with ``key``; KeyError names the unknown key."""
        return self.fields[key]

    def for_entity(self, entity: str, *, stored_only: bool = False) -> list[Field]:
        """The fields of one entity type, in dictionary order; ``stored_only``: only those
        with a column of their own in the entity's sheet table (county fields have none)."""
        return [
            f
            for f in self.fields.values()
            if f.entity == entity and (f.in_sheet_table or not stored_only)
        ]

    def code_table(self, key: str) -> CodeTable:
        return self.code_tables[key]

    def department_key(self, name: str) -> str | None:
        """A department's key from any common wording (民政, 县民政局, 卫生健康, 公安（派出所）
        → its key); None when nothing matches or the wording names several departments."""
        return self.resolve_department(name).key

    def resolve_department(self, name: str) -> DepartmentMatch:
        """How a wording of a department resolves: one key, a joint form's several options,
        or the closest departments when nothing matches (see ``departments.resolve``)."""
        from onesheet.domain.departments import resolve

        return resolve(self.departments, name)

    def require_department(self, name: str) -> str:
        """The department's key; ``DepartmentAmbiguous`` for a joint form (住建/应急: both are
        offered) and ``DepartmentUnknown`` with "did you mean …" otherwise — never a bare
        refusal."""
        from onesheet.domain.departments import require

        return require(self.departments, name)

    def stored_columns(self) -> dict[str, tuple[str, str]]:
        """field key → (sheet column, value type) for stored fields.

        Built once per dictionary (it is read-only once loaded): seeding and imports ask for
        it for every value they write.
        """
        cached = self.__dict__.get("_stored_columns")
        if cached is None:
            cached = {k: (f.name, f.type) for k, f in self.fields.items() if f.in_sheet_table}
            self.__dict__["_stored_columns"] = cached
        return cached  # type: ignore[no-any-return]


def load_builtin() -> Dictionary:
    """The packaged dictionary: built-in fields, code tables and departments.

    Read from ``onesheet/data`` and validated once per process (``functools.cache`` in
    ``dictionary_loading``), so every caller shares one object — treat it as read-only.
    Raises ValueError naming the offending entry when the packaged files disagree.
    """
    # Imported here: the loader builds these contract classes, so it imports this module.
    from onesheet.domain.dictionary_loading import builtin_dictionary

    return builtin_dictionary()
