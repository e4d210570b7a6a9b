"""Ten award rules of kunming_2024, written twice outside huiqi: as an OpenFisca 46 country package (this file)
and as one DuckDB query — the baselines of issue 16 (bench/screen_vs_openfisca.py runs them side by side).

The ten provisions (measure files huiqi/catalogue/kunming_2024/measures/), each compared with huiqi's rows
``status = 'eligible'`` of the same ``provision_id`` in the screen's entitlements.parquet (count of rows and
sum of ``amount_fen``):

====  ========================================  ===============  =====================================
 #    provision_id                              registry table   rule (amounts in fen)
====  ========================================  ===============  =====================================
 1    m02.innovation_platform_award_national    recognitions     7 platform types, national, recognised
                                                                 in force ≤ as-of: 50,000,000 per event
 2    m02.innovation_platform_award_provincial  recognitions     the same, provincial: 20,000,000
 3    m02.innovation_platform_award_municipal   recognitions     the same, municipal: 10,000,000
 4    m02.sci_tech_innovation_centre_award      recognitions     企业科技创新中心 in force: 20,000,000/event
 5    m03.small_to_scale_award                  scale_entries    industrial, 在库, 小升规 first time,
                                                + entities       2022-11-01..2024-02-29: 10,000,000 once
 6    m03.new_build_to_scale_award              scale_entries    industrial, 在库, new build first time,
                                                + entities       2023-01-01..2024-02-29: 20,000,000 once
 7    m07.internet_software_first_scale_award   scale_entries    divisions 64/65, first time, entered in
                                                + entities       force: 10,000,000 once
 8    m08.commerce_first_scale_award            scale_entries    divisions 51/52/61/62, first time, in
                                                + entities       force: the ceiling 5,000,000 once
 9    m23.little_giant_award                    recognitions     专精特新“小巨人” in force: 100,000,000 once
                                                + other_support  (the first by date, event id), minus
                                                                 support already received (就高不重复)
10    m26.neeq_listing_award                    listings         新三板 listed in force: 50,000,000 once
====  ========================================  ===============  =====================================

Every rule also holds huiqi's gates: the applicant is an enterprise (``kind``), an event after the as-of date is
not counted, and an award dated by its event (1–4, 9, 10) needs the event within the policy's period
(2024-03-28..2024-12-31). "once" pays the first qualifying event of an enterprise; "per event" pays each.

OpenFisca has one person entity; the rules read events, so the person is the **Event** (one row of
scale_entries, recognitions or listings) and the group entity **Enterprise** (one row of entities, role
``claim``) holds its events — an enterprise with no event is a group with no member. Enterprise facts reach an
event by projection (``event.enterprise(...)``), a one-off award is the enterprise's ``any`` of its events, the
first little-giant event the least claim order among the enterprise's events (numpy ``minimum.at``: OpenFisca
46's ``get_rank`` and ``min`` fail when the last enterprises have no event). Amounts are integer fen, parameters
an OpenFisca ParameterNode read on the as-of date (their values do not change within the policy's period).

The loader (:func:`load_registry`) reads the same Parquet files with pyarrow into numpy arrays, inside the
timing: text choices become enum indices (the entity columns read as dictionaries, each distinct value mapped
once), the industry code its division number, event dates numpy dates, an event's applicant its row number, the
event ids a global order (date, id) for "first", and other_support the support received per event or matter.
The DuckDB floor reads every value of those same columns once (a hash summed per column).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np

AS_OF = dt.date(2024, 10, 1)
AS_OF_TEXT = AS_OF.isoformat()  # the instant the parameters are read at
IN_FORCE = (dt.date(2024, 3, 28), dt.date(2024, 12, 31))
PLATFORM_TYPES = ("企业技术中心", "制造业单项冠军", "服务型制造示范企业（平台）", "技术创新示范企业", "制造业创新中心",
                  "工业企业质量标杆", "工业设计中心")
RECOGNITION_TYPES = PLATFORM_TYPES + ("企业科技创新中心", "专精特新“小巨人”", "首台（套）重大技术装备", "总部企业",
                                      "数字化转型“小灯塔”", "数字化车间", "智能工厂", "“链式”转型案例")
KINDS = ("enterprise", "individual", "park_operator", "guarantee_institution", "procuring_entity")
LEVELS = ("national", "provincial", "municipal")
PATHS = ("small_to_scale", "new_build")
BOARDS = ("neeq", "sse", "szse", "bse", "hkex", "overseas")
LISTS = ("scale_entries", "recognitions", "listings")
LITTLE_GIANT = "m23.little_giant_award"

# The provisions' amounts in fen (measure files: parameters amount / cap) and windows, as OpenFisca parameters.
PARAMETERS = {
    "platform_award_fen": {"national": 50_000_000, "provincial": 20_000_000, "municipal": 10_000_000},
    "sci_tech_centre_award_fen": 20_000_000,
    "small_to_scale_award_fen": 10_000_000,
    "new_build_award_fen": 20_000_000,
    "internet_software_award_fen": 10_000_000,
    "commerce_award_ceiling_fen": 5_000_000,
    "little_giant_award_fen": 100_000_000,
    "neeq_award_fen": 50_000_000,
}
WINDOWS = {"small_to_scale": (dt.date(2022, 11, 1), dt.date(2024, 2, 29)),
           "new_build": (dt.date(2023, 1, 1), dt.date(2024, 2, 29))}

# provision id → (OpenFisca variable, entity it is computed on)
PROVISIONS = {
    "m02.innovation_platform_award_national": ("platform_award_national_fen", "event"),
    "m02.innovation_platform_award_provincial": ("platform_award_provincial_fen", "event"),
    "m02.innovation_platform_award_municipal": ("platform_award_municipal_fen", "event"),
    "m02.sci_tech_innovation_centre_award": ("sci_tech_centre_award_fen", "event"),
    "m03.small_to_scale_award": ("small_to_scale_award_fen", "enterprise"),
    "m03.new_build_to_scale_award": ("new_build_award_fen", "enterprise"),
    "m07.internet_software_first_scale_award": ("internet_software_award_fen", "enterprise"),
    "m08.commerce_first_scale_award": ("commerce_award_fen", "enterprise"),
    LITTLE_GIANT: ("little_giant_award_fen", "enterprise"),
    "m26.neeq_listing_award": ("neeq_award_fen", "enterprise"),
}


# -- reading (pyarrow → numpy), part of the timed work --------------------------------------------------------


def _codes(column, values) -> np.ndarray:
    """A text choice as its index in ``values`` (+1; 0 = empty or unknown), for an OpenFisca enum."""
    import pyarrow.compute as pc

    idx = pc.index_in(column, value_set=__import__("pyarrow").array(values))
    return (pc.fill_null(idx, -1).to_numpy(zero_copy_only=False) + 1).astype(np.int16)


def _per_value(column, fn) -> np.ndarray:
    """``fn`` (strings → numpy codes) on a dictionary column's distinct values, then taken per row (-1 or 0 for
    an empty cell: ``fn`` of a null)."""
    import pyarrow as pa

    out = []
    for chunk in column.chunks:
        codes = np.asarray(fn(pa.concat_arrays([chunk.dictionary, pa.nulls(1, chunk.dictionary.type)])))
        idx = chunk.indices.to_numpy(zero_copy_only=False) if chunk.null_count == 0 else \
            chunk.indices.fill_null(len(chunk.dictionary)).to_numpy()
        out.append(codes[idx])
    return np.concatenate(out) if out else np.zeros(0, np.int16)


def _dates(column) -> np.ndarray:
    import pyarrow.compute as pc

    return pc.fill_null(column, dt.date(9999, 12, 31)).to_numpy(zero_copy_only=False).astype("datetime64[D]")


def load_registry(reg: Path) -> dict:
    """The columns the ten rules read, as numpy arrays (Enterprise: one per row of entities; Event: one per row
    of scale_entries, recognitions, listings)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    ent = pq.read_table(reg / "entities.parquet", columns=["entity_id", "kind", "industry", "in_statistics_db"],
                        read_dictionary=["kind", "industry"])  # few distinct values: decoded once each
    out = {
        "n_enterprises": ent.num_rows,
        "kind": _per_value(ent["kind"], lambda d: _codes(d, KINDS)),
        "industry_division": _per_value(ent["industry"], lambda d: pc.fill_null(pc.cast(
            pc.utf8_slice_codeunits(d, 0, 2), pa.int16(), safe=False), -1).to_numpy(zero_copy_only=False)),
        "in_statistics_db": pc.fill_null(ent["in_statistics_db"], False).to_numpy(zero_copy_only=False),
    }
    parts = []
    for i, name in enumerate(LISTS):
        f = reg / f"{name}.parquet"
        if not f.exists():
            continue
        t = pq.read_table(f)
        n = t.num_rows
        col = (lambda c, t=t, n=n: t[c] if c in t.column_names else pa.nulls(n, pa.string()))
        parts.append(pa.table({
            "entity_id": t["entity_id"], "id": t["id"], "date": t["date"],
            "list": pa.array(np.full(n, i, np.int16)),
            "path": col("path"),
            "first_time": t["first_time"] if "first_time" in t.column_names else pa.nulls(n, pa.bool_()),
            "type": col("type"), "level": col("level"), "board": col("board"),
        }))
    ev = pa.concat_tables(parts)
    support = None
    if (reg / "other_support.parquet").exists():
        support = pq.read_table(reg / "other_support.parquet", columns=["entity_id", "provision", "amount", "event_id"])
        support = support.filter(pc.equal(support["provision"], LITTLE_GIANT))
    # Row numbers of the applicants that have events (or support): the few ids hashed, the million probed
    chunks = ev["entity_id"].chunks + ([] if support is None else support["entity_id"].chunks)
    cited = pc.unique(pa.chunked_array(chunks, pa.string()))
    at = pc.index_in(ent["entity_id"], value_set=cited).to_numpy(zero_copy_only=False)
    row_of_cited = np.full(len(cited), -1, np.int64)
    hit = ~np.isnan(at.astype(float))
    row_of_cited[at[hit].astype(np.int64)] = np.nonzero(hit)[0]

    def row_of(ids) -> np.ndarray:  # an applicant's row number, -1 for an id not in entities
        return row_of_cited[pc.index_in(ids, value_set=cited).to_numpy(zero_copy_only=False).astype(np.int64)]

    owner = row_of(ev["entity_id"])
    known = owner >= 0  # an event of no registered applicant belongs to nobody (huiqi rejects it)
    ev = ev.filter(pa.array(known))
    owner = owner[known]
    order = pc.sort_indices(ev, sort_keys=[("date", "ascending"), ("id", "ascending")])
    claim_order = np.empty(ev.num_rows, np.int64)
    claim_order[order.to_numpy()] = np.arange(ev.num_rows)
    out.update({
        "n_events": ev.num_rows,
        "owner": owner,
        "event_list": ev["list"].to_numpy(),
        "event_date": _dates(ev["date"]),
        "path": _codes(ev["path"], PATHS),
        # a blank first_time is yes (the registry's default)
        "first_time": pc.fill_null(ev["first_time"], True).to_numpy(zero_copy_only=False),
        "recognition_type": _codes(ev["type"], RECOGNITION_TYPES),
        "level": _codes(ev["level"], LEVELS),
        "board": _codes(ev["board"], BOARDS),
        "claim_order": claim_order,
    })
    # 就高不重复: support already received for the little-giant award, on one event or on the matter (no event)
    per_event = np.zeros(ev.num_rows, np.int64)
    per_enterprise = np.zeros(ent.num_rows, np.int64)
    if support is not None and support.num_rows:
        s = support
        hundred = pa.scalar(__import__("decimal").Decimal(100), pa.decimal128(3, 0))
        fen = pc.cast(pc.round(pc.multiply(pc.cast(s["amount"], pa.decimal128(18, 2)), hundred)), pa.int64()).to_numpy()
        who = row_of(s["entity_id"])
        no_event = pc.is_null(s["event_id"]).to_numpy(zero_copy_only=False)
        ok = (who >= 0) & no_event
        np.add.at(per_enterprise, who[ok], fen[ok])
        keys = pc.binary_join_element_wise(ev["entity_id"], ev["id"], "\x1f")
        skeys = pc.binary_join_element_wise(s["entity_id"], s["event_id"], "\x1f")
        hit = pc.index_in(skeys, value_set=keys).to_numpy(zero_copy_only=False)
        good = ~np.isnan(hit.astype(float))
        np.add.at(per_event, hit[good].astype(np.int64), fen[good])
    out["support_on_event_fen"] = per_event
    out["support_on_matter_fen"] = per_enterprise
    return out


# -- the OpenFisca country package ---------------------------------------------------------------------------


def tax_benefit_system():
    """The ten rules as an OpenFisca TaxBenefitSystem (entities, enums, parameters, variables)."""
    from openfisca_core.entities import build_entity
    from openfisca_core.indexed_enums import Enum
    from openfisca_core.parameters import ParameterNode
    from openfisca_core.periods import YEAR
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    Event = build_entity(key="event", plural="events", label="An event of a registry list", is_person=True)
    Enterprise = build_entity(key="enterprise", plural="enterprises", label="An applicant of the registry",
                              roles=[{"key": "claim", "plural": "claims", "label": "one of its events"}])

    def enum(name, values):
        return Enum(name, [("none", "—")] + [(f"v{i}", v) for i, v in enumerate(values)])

    Kind, Path_, RecType = enum("Kind", KINDS), enum("Path", PATHS), enum("RecType", RECOGNITION_TYPES)
    Level, Board, List_ = enum("Level", LEVELS), enum("Board", BOARDS), enum("List", LISTS)

    def member(e, values, wanted):
        return e.__class__[f"v{values.index(wanted)}"]

    class TBS(TaxBenefitSystem):
        def __init__(self):
            super().__init__([Event, Enterprise])
            self.parameters = ParameterNode("", data={k: ({kk: {"values": {"2024-03-28": vv}} for kk, vv in v.items()}
                                                          if isinstance(v, dict) else {"values": {"2024-03-28": v}})
                                                      for k, v in PARAMETERS.items()})

    tbs = TBS()
    variables = []

    def var(entity, value_type, name, formula=None, possible_values=None, default=None):
        attrs = {"value_type": Enum if possible_values is not None else value_type, "entity": entity,
                 "definition_period": YEAR, "label": name}
        if possible_values is not None:
            attrs.update(possible_values=possible_values, default_value=possible_values.none)
        if default is not None:
            attrs["default_value"] = default
        if formula is not None:
            attrs["formula"] = formula
        variables.append(type(name, (Variable,), attrs))

    # inputs
    var(Enterprise, Kind, "kind", possible_values=Kind)
    var(Enterprise, int, "industry_division", default=-1)
    var(Enterprise, bool, "in_statistics_db")
    var(Enterprise, int, "support_on_matter_fen")
    var(Event, List_, "event_list", possible_values=List_)
    var(Event, dt.date, "event_date")
    var(Event, Path_, "path", possible_values=Path_)
    var(Event, bool, "first_time", default=True)
    var(Event, RecType, "recognition_type", possible_values=RecType)
    var(Event, Level, "level", possible_values=Level)
    var(Event, Board, "board", possible_values=Board)
    var(Event, int, "claim_order")
    var(Event, int, "support_on_event_fen")

    as_of = np.datetime64(AS_OF)
    start, end = np.datetime64(IN_FORCE[0]), np.datetime64(IN_FORCE[1])
    lst = {n: member(List_.none, LISTS, n) for n in LISTS}

    # entity facts (huiqi's derived facts is_industrial, is_internet_software, is_commerce)
    var(Enterprise, bool, "is_enterprise", lambda e, p: e("kind", p) == member(Kind.none, KINDS, "enterprise"))
    var(Enterprise, bool, "is_industrial", lambda e, p: (e("industry_division", p) >= 6)
        & (e("industry_division", p) <= 46))  # sections B, C, D
    var(Enterprise, bool, "is_internet_software", lambda e, p: np.isin(e("industry_division", p), (64, 65)))
    var(Enterprise, bool, "is_commerce", lambda e, p: np.isin(e("industry_division", p), (51, 52, 61, 62)))

    # gates on an event: not after the as-of date; an award dated by its event also needs it in force
    var(Event, bool, "counted", lambda ev, p: ev.enterprise("is_enterprise", p) & (ev("event_date", p) <= as_of))
    var(Event, bool, "in_force", lambda ev, p: ev("counted", p) & (ev("event_date", p) >= start)
        & (ev("event_date", p) <= end))

    def recognition(ev, p, wanted):
        return (ev("in_force", p) & (ev("event_list", p) == lst["recognitions"])
                & (ev("recognition_type", p) == member(RecType.none, RECOGNITION_TYPES, wanted)))

    var(Event, bool, "is_platform", lambda ev, p: np.logical_or.reduce([recognition(ev, p, t) for t in PLATFORM_TYPES]))
    for lvl in LEVELS:
        var(Event, int, f"platform_award_{lvl}_fen", lambda ev, p, par, lvl=lvl: np.where(
            ev("is_platform", p) & (ev("level", p) == member(Level.none, LEVELS, lvl)),
            par(AS_OF_TEXT).platform_award_fen[lvl], 0))
    var(Event, int, "sci_tech_centre_award_fen", lambda ev, p, par: np.where(
        recognition(ev, p, "企业科技创新中心"), par(AS_OF_TEXT).sci_tech_centre_award_fen, 0))

    # first entries into the statistics (dated by the as-of date: the window is the rule's own)
    def entry(ev, p, path=None, window=IN_FORCE):
        ok = ev("counted", p) & (ev("event_list", p) == lst["scale_entries"]) & ev("first_time", p)
        if path is not None:
            ok = ok & (ev("path", p) == member(Path_.none, PATHS, path))
        d = ev("event_date", p)
        return ok & (d >= np.datetime64(window[0])) & (d <= np.datetime64(window[1]))

    def industrial_in_db(ent, p):
        return ent("is_industrial", p) & ent("in_statistics_db", p)  # blank 在库 read as no: not eligible either way

    def once(ent, event_claim):
        return ent.any(event_claim, role=Enterprise.CLAIM)

    var(Enterprise, int, "small_to_scale_award_fen", lambda ent, p, par: np.where(
        industrial_in_db(ent, p) & once(ent, entry(ent.members, p, "small_to_scale", WINDOWS["small_to_scale"])),
        par(AS_OF_TEXT).small_to_scale_award_fen, 0))
    var(Enterprise, int, "new_build_award_fen", lambda ent, p, par: np.where(
        industrial_in_db(ent, p) & once(ent, entry(ent.members, p, "new_build", WINDOWS["new_build"])),
        par(AS_OF_TEXT).new_build_award_fen, 0))
    var(Enterprise, int, "internet_software_award_fen", lambda ent, p, par: np.where(
        ent("is_internet_software", p) & once(ent, entry(ent.members, p)),
        par(AS_OF_TEXT).internet_software_award_fen, 0))
    var(Enterprise, int, "commerce_award_fen", lambda ent, p, par: np.where(
        ent("is_commerce", p) & once(ent, entry(ent.members, p)), par(AS_OF_TEXT).commerce_award_ceiling_fen, 0))

    # 专精特新“小巨人”: once (the first by date, then event id), minus support received for it (就高不重复)
    # The first claim: OpenFisca's get_rank / min miscount when the last enterprises have no event (their
    # nb_persons is a bincount without minlength), so the per-enterprise minimum is numpy's minimum.at.
    var(Event, bool, "little_giant_claim", lambda ev, p: recognition(ev, p, "专精特新“小巨人”"))

    def little_giant_first(ent, p):
        claim, order = ent.members("little_giant_claim", p), ent.members("claim_order", p)
        first = np.full(ent.count, np.iinfo(np.int32).max)  # no claim
        np.minimum.at(first, ent.members_entity_id[claim], order[claim])
        return first

    var(Enterprise, int, "little_giant_first_claim", little_giant_first)

    def little_giant_on_event(ev, p, par):
        claim = ev("little_giant_claim", p)
        first = claim & (ev("claim_order", p) == ev.enterprise("little_giant_first_claim", p))
        received = ev("support_on_event_fen", p) + ev.enterprise("support_on_matter_fen", p)
        return np.where(first, np.maximum(par(AS_OF_TEXT).little_giant_award_fen - received, 0), 0)

    var(Event, int, "little_giant_on_event_fen", little_giant_on_event)
    var(Enterprise, int, "little_giant_award_fen",
        lambda ent, p: ent.sum(ent.members("little_giant_on_event_fen", p), role=Enterprise.CLAIM).astype(np.int64))
    var(Event, bool, "neeq_listing", lambda ev, p: ev("in_force", p) & (ev("event_list", p) == lst["listings"])
        & (ev("board", p) == member(Board.none, BOARDS, "neeq")))
    var(Enterprise, int, "neeq_award_fen", lambda ent, p, par: np.where(
        once(ent, ent.members("neeq_listing", p)), par(AS_OF_TEXT).neeq_award_fen, 0))

    for v in variables:
        tbs.add_variable(v)
    tbs.enums = {"Kind": Kind, "Path": Path_, "RecType": RecType, "Level": Level, "Board": Board, "List": List_}
    return tbs


def simulation(tbs, data: dict):
    """An OpenFisca Simulation of the loaded registry (enterprises as groups of their events)."""
    from openfisca_core.indexed_enums import EnumArray
    from openfisca_core.simulations import SimulationBuilder

    b = SimulationBuilder()
    b.create_entities(tbs)
    # ids and counts set as declare_person_entity / declare_entity do, without their list() of a million ids
    for key, n in (("event", data["n_events"]), ("enterprise", data["n_enterprises"])):
        b.populations[key].ids, b.populations[key].count = np.arange(n), n
    ent = b.populations["enterprise"]
    ent.members_entity_id = data["owner"]
    ent.members_role = np.full(data["n_events"], ent.entity.flattened_roles[0], dtype=object)
    sim = b.build(tbs)
    e = tbs.enums
    period = "2024"
    enums = {"kind": e["Kind"], "event_list": e["List"], "path": e["Path"], "recognition_type": e["RecType"],
             "level": e["Level"], "board": e["Board"]}
    for name in ("kind", "industry_division", "in_statistics_db", "support_on_matter_fen",
                 "event_list", "event_date", "path", "first_time", "recognition_type", "level", "board", "claim_order",
                 "support_on_event_fen"):
        value = data[name]
        if name == "event_list":
            value = value + 1
        if name in enums:
            value = EnumArray(value.astype(np.int16), enums[name])
        sim.set_input(name, period, value)
    return sim


def run_openfisca(reg: Path) -> dict:
    """Read the registry and compute the ten awards; per provision the number of paid claims and total fen."""
    t = time.perf_counter()
    tbs = tax_benefit_system()  # the package, built before the clock as huiqi loads its policy before it
    package = time.perf_counter() - t
    import pyarrow.compute  # noqa: F401  (imports before the clock, as huiqi's duckdb is imported before its)
    import pyarrow.parquet  # noqa: F401
    t0 = time.perf_counter()
    data = load_registry(reg)
    t1 = time.perf_counter()
    sim = simulation(tbs, data)
    results = {}
    for pid, (name, _) in PROVISIONS.items():
        a = np.asarray(sim.calculate(name, "2024")).astype(np.int64)
        results[pid] = [int(np.count_nonzero(a > 0)), int(a.sum())]
    t2 = time.perf_counter()
    return {"seconds": t2 - t0, "package_seconds": package, "read_seconds": t1 - t0, "rules_seconds": t2 - t1,
            "enterprises": data["n_enterprises"], "events": data["n_events"], "results": results}


# -- the same ten rules as one DuckDB query -----------------------------------------------------------------


def duckdb_sql(reg: Path) -> str:
    """The ten rules as one query: per provision the number of paid claims and total fen."""
    f = lambda t: f"read_parquet('{reg / (t + '.parquet')}')"  # noqa: E731
    q = lambda v: "'" + v.replace("'", "''") + "'"  # noqa: E731
    p = PARAMETERS
    platforms = ", ".join(q(t) for t in PLATFORM_TYPES)
    start, end, as_of = (f"DATE '{d}'" for d in (*IN_FORCE, AS_OF))
    support = "(SELECT NULL::VARCHAR AS entity_id, NULL::VARCHAR AS event_id, 0::BIGINT AS fen WHERE false)"
    if (reg / "other_support.parquet").exists():
        support = (f"(SELECT entity_id, event_id, SUM(CAST(ROUND(amount * 100) AS BIGINT)) AS fen "
                   f"FROM {f('other_support')} WHERE provision = {q(LITTLE_GIANT)} GROUP BY ALL)")
    return f"""
WITH e AS (
  SELECT entity_id, TRY_CAST(substr(industry, 1, 2) AS INTEGER) AS division, in_statistics_db
  FROM {f('entities')} WHERE kind = 'enterprise'),
rec AS (
  SELECT r.entity_id, r.id, r.date, r.type, r.level FROM {f('recognitions')} r SEMI JOIN e USING (entity_id)
  WHERE r.date BETWEEN {start} AND least({end}, {as_of})),
sca AS (
  SELECT s.id, s.path, s.date, e.* FROM {f('scale_entries')} s JOIN e USING (entity_id)
  WHERE s.date <= {as_of} AND coalesce(s.first_time, true)),
claims AS (
  SELECT 'm02.innovation_platform_award_' || level AS provision_id, entity_id,
         CASE level WHEN 'national' THEN {p['platform_award_fen']['national']} WHEN 'provincial'
              THEN {p['platform_award_fen']['provincial']} ELSE {p['platform_award_fen']['municipal']} END AS fen
  FROM rec WHERE type IN ({platforms}) AND level IN ('national', 'provincial', 'municipal')
  UNION ALL
  SELECT 'm02.sci_tech_innovation_centre_award', entity_id, {p['sci_tech_centre_award_fen']} FROM rec
  WHERE type = '企业科技创新中心'
  UNION ALL
  SELECT DISTINCT 'm03.small_to_scale_award', entity_id, {p['small_to_scale_award_fen']} FROM sca
  WHERE division BETWEEN 6 AND 46 AND in_statistics_db AND path = 'small_to_scale'
    AND date BETWEEN DATE '{WINDOWS['small_to_scale'][0]}' AND DATE '{WINDOWS['small_to_scale'][1]}'
  UNION ALL
  SELECT DISTINCT 'm03.new_build_to_scale_award', entity_id, {p['new_build_award_fen']} FROM sca
  WHERE division BETWEEN 6 AND 46 AND in_statistics_db AND path = 'new_build'
    AND date BETWEEN DATE '{WINDOWS['new_build'][0]}' AND DATE '{WINDOWS['new_build'][1]}'
  UNION ALL
  SELECT DISTINCT 'm07.internet_software_first_scale_award', entity_id, {p['internet_software_award_fen']} FROM sca
  WHERE division IN (64, 65) AND date BETWEEN {start} AND {end}
  UNION ALL
  SELECT DISTINCT 'm08.commerce_first_scale_award', entity_id, {p['commerce_award_ceiling_fen']} FROM sca
  WHERE division IN (51, 52, 61, 62) AND date BETWEEN {start} AND {end}
  UNION ALL
  SELECT {q(LITTLE_GIANT)}, g.entity_id,
         greatest({p['little_giant_award_fen']} - coalesce((SELECT sum(s.fen) FROM {support} s
                  WHERE s.entity_id = g.entity_id AND (s.event_id IS NULL OR s.event_id = g.id)), 0), 0)
  FROM (SELECT arg_min(id, (date, id)) AS id, entity_id FROM rec WHERE type = '专精特新“小巨人”' GROUP BY entity_id) g
  UNION ALL
  SELECT DISTINCT 'm26.neeq_listing_award', l.entity_id, {p['neeq_award_fen']}
  FROM {f('listings')} l SEMI JOIN e USING (entity_id)
  WHERE l.board = 'neeq' AND l.date BETWEEN {start} AND least({end}, {as_of}))
SELECT provision_id, count(*) AS claims, sum(fen)::BIGINT AS fen FROM claims WHERE fen > 0 GROUP BY provision_id
"""


def run_duckdb(reg: Path, threads: int = 1) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    sql = duckdb_sql(reg)
    t = time.perf_counter()
    rows = con.execute(sql).fetchall()
    seconds = time.perf_counter() - t
    results = {pid: [0, 0] for pid in PROVISIONS}
    results.update({pid: [int(n), int(fen)] for pid, n, fen in rows})
    return {"seconds": seconds, "results": results}


def floor_sql(reg: Path) -> str:
    """DuckDB reading every input value the ten rules read, once (a hash summed per column, nothing else)."""
    cols = {"entities": ["entity_id", "kind", "industry", "in_statistics_db"],
            "scale_entries": ["entity_id", "id", "date", "path", "first_time"],
            "recognitions": ["entity_id", "id", "date", "type", "level"],
            "listings": ["entity_id", "id", "date", "board"],
            "other_support": ["entity_id", "provision", "amount", "event_id"]}
    parts = [f"SELECT {' + '.join(f'sum(hash({c}) % 1000)' for c in cs)} AS h "
             f"FROM read_parquet('{reg / (t + '.parquet')}')"
             for t, cs in cols.items() if (reg / f"{t}.parquet").exists()]
    return " UNION ALL ".join(parts)


def run_duckdb_floor(reg: Path, threads: int = 1) -> dict:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    t = time.perf_counter()
    con.execute(floor_sql(reg)).fetchall()
    return {"seconds": time.perf_counter() - t}


JOBS = {"openfisca": run_openfisca, "duckdb": run_duckdb, "duckdb-floor": run_duckdb_floor}

if __name__ == "__main__":  # python bench/openfisca_rules.py openfisca|duckdb|duckdb-floor REGISTRY → JSON
    print(json.dumps(JOBS[sys.argv[1]](Path(sys.argv[2]))))
