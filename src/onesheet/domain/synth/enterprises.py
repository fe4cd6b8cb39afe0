"""Enterprises, cooperatives and individual businesses registered in a village.

Names follow the registration pattern 行政区划 + 字号 + 行业 + 组织形式 (安吉县恒兴竹木制品有限公司,
安吉县余村村白茶专业合作社, 安吉县天荒坪镇佳禾小吃店). USCCs follow GB 32100: 登记管理部门码 9
(market regulation), 机构类别 1 enterprise / 2 individual business / 3 farmers' cooperative,
the county code, a 9-character 主体标识码 and the check character.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from onesheet.domain.synth import vocab
from onesheet.domain.synth.context import VillageContext
from onesheet.domain.synth.model import SynthEntity, Value
from onesheet.domain.synth.names import WeightedPicker
from onesheet.domain.synth.statuses import random_day
from onesheet.domain.values.uscc import make_uscc

PEOPLE_PER_ENTERPRISE = 60
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, Z, S, V
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation-code check weights
_INDUSTRY = WeightedPicker(tuple((code, spec[0]) for code, spec in vocab.INDUSTRIES.items()))
_FORMS = {code: WeightedPicker(spec[2]) for code, spec in vocab.INDUSTRIES.items()}
_STATUS = WeightedPicker(
    (
        (vocab.ENT_ACTIVE, 88),
        (vocab.ENT_CANCELLED, 6),
        (vocab.ENT_REVOKED, 4),
        (vocab.ENT_MOVED, 1),
        (vocab.ENT_DORMANT, 1),
    )
)
_STANDALONE_WORDS = ("店", "场", "乐", "宿", "馆", "所", "房", "超市")


@dataclass
class EnterpriseDraft:
    """An enterprise before its legal representative and ref are known."""

    name: str
    industry: str
    form: str
    established: date
    status: str
    employees: int


def organisation_code(rng: random.Random) -> str:
    """A 9-character 主体标识码: eight body characters and their GB 11714 check character."""
    body = "".join(USCC_CHARSET[int(rng.random() * len(USCC_CHARSET))] for _ in range(8))
    total = sum(
        w * (int(c) if c.isdigit() else ord(c) - 55)
        for w, c in zip(_ORG_WEIGHTS, body, strict=True)
    )
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def draft_enterprises(ctx: VillageContext, count: int) -> list[EnterpriseDraft]:
    """``count`` enterprises with county-unique names."""
    return [_draft(ctx) for _ in range(count)]


def _trade_name(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(vocab.FAKER_TRADE_NAMES)
    return rng.choice(vocab.TRADE_CHARS) + rng.choice(vocab.TRADE_CHARS)


def _draft(ctx: VillageContext) -> EnterpriseDraft:
    rng, state, plan = ctx.rng, ctx.state, ctx.plan
    industry = _INDUSTRY.pick(rng)
    form = _FORMS[industry].pick(rng)
    words = vocab.INDUSTRIES[industry][1]
    county = state.county_name
    short = county[:-1] if len(county) > 2 and county[-1] in "县市区" else county
    for attempt in range(50):
        word = rng.choice(words)
        trade = _trade_name(rng)
        if form == vocab.ENT_COOP:
            name = f"{county}{plan.name}{trade if attempt else ''}{word}专业合作社"
        elif form == vocab.ENT_INDIVIDUAL:
            tail = "" if word.endswith(_STANDALONE_WORDS) else "店"
            name = f"{county}{plan.town_name}{trade}{word}{tail}"
        elif form == vocab.ENT_PARTNERSHIP:
            name = f"{county}{trade}{word}合伙企业（普通合伙）"
        else:
            place = county if rng.random() < 0.6 else short
            name = f"{place}{trade}{word}{vocab.COMPANY_SUFFIX[form]}"
        if name not in state.enterprise_names:
            break
    state.enterprise_names.add(name)
    earliest = {vocab.ENT_INDIVIDUAL: 2005, vocab.ENT_COOP: 2008}.get(form, 1998)
    established = random_day(rng, date(earliest, 1, 1), ctx.today)
    if form == vocab.ENT_INDIVIDUAL:
        employees = rng.randint(1, 5)
    elif form == vocab.ENT_COOP:
        employees = rng.randint(2, 20)
    elif form == vocab.ENT_JOINT_STOCK:
        employees = rng.randint(30, 500)
    else:
        employees = min(800, max(1, int(rng.lognormvariate(2.4, 1.0))))
    return EnterpriseDraft(name, industry, form, established, _STATUS.pick(rng), employees)


def _uscc(ctx: VillageContext, form: str) -> str:
    """A county-unique USCC whose category digit matches the legal form."""
    category = {vocab.ENT_INDIVIDUAL: "2", vocab.ENT_COOP: "3"}.get(form, "1")
    while True:
        code = make_uscc(f"9{category}{ctx.state.county_code}{organisation_code(ctx.rng)}")
        if code not in ctx.state.usccs:
            ctx.state.usccs.add(code)
            return code


def enterprise_entity(
    ctx: VillageContext, draft: EnterpriseDraft, ref: str, legal_rep: str, grid: str, address: str
) -> SynthEntity:
    """The registration record (market regulation) and the headcount (statistics)."""
    rng, mr = ctx.rng, vocab.MARKET_REGULATION
    uscc = _uscc(ctx, draft.form)
    est = draft.established
    status_from = est if draft.status == vocab.ENT_ACTIVE else random_day(rng, est, ctx.today)
    stats = vocab.STATISTICS
    values: tuple[Value, ...] = (
        ("enterprise.name", draft.name, mr, est),
        ("enterprise.uscc", uscc, mr, est),
        ("enterprise.legal_rep", legal_rep, mr, est),
        ("enterprise.address", address, mr, est),
        ("enterprise.industry", draft.industry, stats, max(est, ctx.snapshot(stats))),
        ("enterprise.type", draft.form, mr, est),
        ("enterprise.established_date", est.isoformat(), mr, est),
        ("enterprise.status", draft.status, mr, status_from),
        ("enterprise.employees", str(draft.employees), stats, max(est, ctx.snapshot(stats))),
    )
    return SynthEntity(ref, "enterprise", grid, uscc, values)
