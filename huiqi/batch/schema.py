"""The registry's tables, derived from the profile model so the two cannot drift.

A registry is a folder (or an Excel workbook) of tables: ``entities`` (one row per applicant, the
profile's standing facts, keyed by ``entity_id``), one table per event list (``compute_claims``,
``vehicles`` …, each row with its ``entity_id``) and ``other_support``. Each column's type and
allowed values come from the pydantic field of :mod:`huiqi.profile.model`, itself built from the
event kinds' schema: a policy that declares a kind of its own (its events.yaml) gets its table too.
The module-level names (:data:`EVENT_TABLES`, :data:`ALL_TABLES`) are the core kinds'; the functions
take a kind set (a policy's ``kinds``) and default to every kind of the policies served.
"""

from __future__ import annotations

import datetime as dt
import typing
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from pydantic import BaseModel

from huiqi.profile import model as pm

ENTITY_TABLE = "entities"
SUPPORT_TABLE = "other_support"
EVENT_TABLES = pm.EVENT_LISTS
ENTITY_SKIP = set(pm.EVENT_LISTS) | {"other_support", "id"}  # the profile's lists become tables; id → entity_id


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text, money, ratio, date, bool, int, enum, credit_code, district, industry, provision_id
    required: bool
    allowed: tuple[str, ...] = ()
    default: object = None  # the profile model's default, applied where a registry leaves the cell empty
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None

    @property
    def duckdb_type(self) -> str:
        return {
            "money": "DECIMAL(18,2)", "ratio": "DECIMAL(12,6)", "date": "DATE", "bool": "BOOLEAN", "int": "BIGINT",
        }.get(self.kind, "VARCHAR")


def _unwrap(annotation):
    """Optional[Annotated[X, ...]] → (X, metadata, optional)."""
    optional = False
    metadata: list = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            args = typing.get_args(annotation)
            annotation, metadata = args[0], metadata + list(args[1:])
        elif origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(annotation))
            annotation = args[0]
        else:
            return annotation, metadata, optional


def _kind(name: str, annotation, metadata) -> tuple[str, tuple[str, ...]]:
    validators = {getattr(getattr(m, "func", None), "__name__", "") for m in metadata}
    for v, kind in (("_money", "money"), ("_ratio", "ratio"), ("_credit_code", "credit_code"),
                    ("_district", "district"), ("_industry", "industry")):
        if v in validators:
            return kind, ()
    if typing.get_origin(annotation) is typing.Literal:
        return "enum", tuple(typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "enum", tuple(e.value for e in annotation)
    if annotation is bool:
        return "bool", ()
    if annotation is int:
        return "int", ()
    if annotation is dt.date:
        return "date", ()
    if annotation is Decimal:
        return "money", ()
    if name == "provision":
        return "provision_id", ()
    return "text", ()


def columns_of(model: type[BaseModel], skip: set[str] = frozenset()) -> tuple[Column, ...]:
    out = []
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        annotation, metadata, optional = _unwrap(field.annotation)
        kind, allowed = _kind(name, annotation, metadata + list(field.metadata))
        default = field.default if not field.is_required() and field.default_factory is None else None
        if isinstance(default, Enum):
            default = default.value
        bounds = {type(m).__name__: m for m in metadata + list(field.metadata)}
        out.append(Column(
            name, kind, field.is_required() and not optional, allowed, default,
            minimum=getattr(bounds.get("Ge"), "ge", None), maximum=getattr(bounds.get("Le"), "le", None),
            max_length=getattr(bounds.get("MaxLen"), "max_length", None),
        ))
    return tuple(out)


ENTITY_ID = Column("entity_id", "text", True)
EVENT_MODELS: dict[str, type[BaseModel]] = dict(pm.EVENT_MODELS)  # the core kinds'


def registry_kinds(kinds=None):
    """The kinds a registry is read with: the given kind set (or a policy's), else every kind of the policies
    served — the core ones and each policy's own — so one registry can be screened against any of them."""
    from huiqi.profile.kinds import KindSet

    if kinds is not None:
        return pm.kinds_of(kinds)
    from huiqi import policies

    seen = {k.name for k in pm.kinds_of(None).kinds}
    own = []
    for policy in policies.catalogue():
        for k in pm.kinds_of(policy).own():
            if k.name not in seen:
                seen.add(k.name)
                own.append(k)
    return KindSet((*pm.kinds_of(None).kinds, *own), "catalogue") if own else pm.kinds_of(None)


def event_tables(kinds=None) -> tuple[str, ...]:
    """The event tables of a kind set (see :func:`registry_kinds`)."""
    return registry_kinds(kinds).names


def all_tables(kinds=None) -> tuple[str, ...]:
    """Every table of a registry for a kind set: entities first, other_support last."""
    return (ENTITY_TABLE, *event_tables(kinds), SUPPORT_TABLE)


def _event_model(table: str, kinds) -> type[BaseModel] | None:
    if table in EVENT_MODELS and (kinds is None or table in pm.kinds_of(None)):
        return EVENT_MODELS[table]
    ks = registry_kinds(kinds)
    if table not in ks:
        return None
    return pm.event_model_of(pm.profile_model(ks), table)


def table_columns(table: str, kinds=None) -> tuple[Column, ...]:
    """Every column of a registry table, entity_id first."""
    if table == ENTITY_TABLE:
        return (ENTITY_ID, *columns_of(pm.Profile, ENTITY_SKIP))
    if table == SUPPORT_TABLE:
        return (ENTITY_ID, *columns_of(pm.OtherSupport))
    model = _event_model(table, kinds)
    if model is not None:
        return (ENTITY_ID, *columns_of(model))
    raise KeyError(table)


ALL_TABLES = (ENTITY_TABLE, *EVENT_TABLES, SUPPORT_TABLE)  # the core kinds' tables
