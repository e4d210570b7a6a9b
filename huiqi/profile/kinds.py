"""The event kinds as data: one schema (``events.yaml``) from which everything about an event list is derived.

The core kinds every policy shares are in ``huiqi/profile/events.yaml``; a policy folder may add its own in
its ``events.yaml``. :func:`kinds_for_folder` gives a policy's :class:`KindSet` (core first, then its own),
and from a kind set come the profile model (:func:`huiqi.profile.model.profile_model`), the rule subjects
the loader accepts, the calculator's questions and the explanations' words (:mod:`huiqi.profile.questions`),
the registry's tables (:mod:`huiqi.batch.schema`) and the synthetic registry (:mod:`huiqi.batch.synth`).
A broken file is refused with :class:`KindsError` naming the file and the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

CORE_FILE = Path(__file__).with_name("events.yaml")
FIELD_TYPES = ("date", "money", "ratio", "bool", "int", "enum", "text", "credit_code")
APPLICANT_KINDS = ("enterprise", "individual", "park_operator", "guarantee_institution", "procuring_entity")
NAME = r"^[a-z][a-z0-9_]{1,39}$"
# Names an event list may not take: the profile's standing facts and its other lists.
RESERVED = frozenset({"id", "kind", "name", "credit_code", "district", "industry", "employees", "revenue", "assets",
                      "size_class", "in_statistics_db", "has_dishonesty_record", "small_scale_vat_taxpayer",
                      "cross_border_ecommerce_enterprises", "other_support", "entity", "entities"})


class KindsError(ValueError):
    """An events.yaml is unreadable or does not match the schema."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SynthValue(_Strict):
    """How ``huiqi synth`` draws one field (exactly one of the ways)."""

    money: tuple[Decimal, Decimal] | None = None  # log-uniform yuan between the two
    p: Decimal | list[Decimal] | None = None  # a bool's chance of true, or the weights of `choice`
    choice: list[str | int] | None = None
    ratio_choice: list[Decimal] | None = None
    ratio_between: tuple[Decimal, Decimal] | None = None
    credit_code: bool | None = None

    @model_validator(mode="after")
    def _one_way(self) -> "SynthValue":
        ways = [k for k in ("money", "choice", "ratio_choice", "ratio_between", "credit_code") if getattr(self, k) is not None]
        if len(ways) > 1 or (not ways and not isinstance(self.p, Decimal)):
            raise ValueError("give one of money, p (a bool), choice, ratio_choice, ratio_between, credit_code")
        if self.choice is not None and isinstance(self.p, list) and len(self.p) != len(self.choice):
            raise ValueError("p: one weight per choice")
        return self


class SynthSpec(_Strict):
    who: list[Literal[APPLICANT_KINDS]] = Field(min_length=1)  # type: ignore[valid-type]
    share: Decimal = Field(gt=0, le=1)
    max_per: int = Field(default=1, ge=1, le=100)
    days_before: int = Field(default=87, ge=0, le=3660)
    days_after: int = Field(default=90, ge=0, le=3660)
    values: dict[str, SynthValue] = Field(default_factory=dict)


class FieldSpec(_Strict):
    """One field of an event: its type, whether it must be given, and its words."""

    type: Literal[FIELD_TYPES]  # type: ignore[valid-type]
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    optional: bool = False
    default: Any = None
    values: dict[str, tuple[str, str]] = Field(default_factory=dict)  # enum: code → (zh, en)
    min: int | None = None
    max: int | None = None
    max_length: int | None = Field(default=None, ge=1, le=10_000)
    description: str | None = None
    hint_zh: str = ""
    hint_en: str = ""
    ask: bool = True
    ask_default: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "FieldSpec":
        if (self.type == "enum") != bool(self.values):
            raise ValueError("values: an enum lists its values, and only an enum has values")
        if self.optional and self.default is not None:
            raise ValueError("default: an optional field is empty by default")
        if (self.min is not None or self.max is not None) and self.type != "int":
            raise ValueError("min/max: only for an int")
        if self.max_length is not None and self.type != "text":
            raise ValueError("max_length: only for text")
        if self.default is not None:
            ok = {"bool": isinstance(self.default, bool), "int": isinstance(self.default, int) and not isinstance(self.default, bool),
                  "enum": self.default in self.values, "text": isinstance(self.default, str),
                  "money": isinstance(self.default, (int, Decimal)) and not isinstance(self.default, bool),
                  "ratio": isinstance(self.default, (int, Decimal)) and not isinstance(self.default, bool)}.get(self.type, False)
            if not ok:
                raise ValueError(f"default: {self.default!r} is not a {self.type}")
        return self

    @property
    def required(self) -> bool:
        return not self.optional and self.default is None


class KindSpec(_Strict):
    model: str = Field(pattern=r"^[A-Z][A-Za-z0-9]{1,39}$")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    subject_zh: str = Field(min_length=1)
    subject_en: str = Field(min_length=1)
    about: str | None = None
    prefix: str = Field(pattern=r"^[a-z][a-z0-9]{0,3}$")
    date: tuple[str, str] | dict[Literal["zh", "en"], str] | None = None
    questions: list[str] | None = None
    entity: dict[str, FieldSpec] = Field(default_factory=dict)
    derived: dict[str, dict[Literal["zh", "en"], str]] = Field(default_factory=dict)
    fields: dict[str, FieldSpec] = Field(min_length=1)
    synth: SynthSpec | None = None

    @model_validator(mode="after")
    def _names(self) -> "KindSpec":
        for name in self.fields:
            if not re.match(NAME, name) or name in ("id", "date"):
                raise ValueError(f"fields.{name}: a field is named in lowercase letters, digits and _ (not id or date)")
        asked = [n for n, f in self.fields.items() if f.ask]
        if self.questions is not None and sorted(self.questions) != sorted(asked):
            raise ValueError(f"questions: must list each asked field once ({', '.join(asked)})")
        if self.synth:
            unknown = set(self.synth.values) - set(self.fields)
            if unknown:
                raise ValueError(f"synth.values: no such field {sorted(unknown)}")
        return self


class KindsFile(_Strict):
    kinds: dict[str, KindSpec] = Field(min_length=1)


@dataclass(frozen=True, eq=False)
class Kind:
    """One event kind: the profile's list ``name`` and its validated spec; ``source`` is 'core' or a policy id."""

    name: str
    spec: KindSpec
    source: str = "core"

    @property
    def fields(self) -> dict[str, FieldSpec]:
        return self.spec.fields

    def date_words(self) -> tuple[str, str]:
        d = self.spec.date
        if d is None:
            return "日期", "Date"
        return (d["zh"], d["en"]) if isinstance(d, dict) else d

    def question_order(self) -> list[str]:
        return list(self.spec.questions) if self.spec.questions is not None else [n for n, f in self.fields.items() if f.ask]


@dataclass(frozen=True, eq=False)
class KindSet:
    """The event kinds of one profile model (core first, then a policy's own), in the calculator's order."""

    kinds: tuple[Kind, ...]
    key: str = "core"  # names the set in caches: 'core', or '<policy id>@<digest of its events.yaml>'
    _by_name: dict[str, Kind] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({k.name: k for k in self.kinds})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.kinds)

    def __getitem__(self, name: str) -> Kind:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def own(self) -> tuple[Kind, ...]:
        """The kinds this set adds to the core."""
        return tuple(k for k in self.kinds if k.source != "core")


def _read(path: Path) -> Any:
    import yaml

    try:
        with path.open(encoding="utf-8") as f:
            return yaml.load(f, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
    except OSError as e:
        raise KindsError(f"{path.name}: cannot read ({e.strerror})") from e
    except yaml.YAMLError as e:
        raise KindsError(f"{path.name}: not valid YAML: {e}") from e


def _loader():
    from huiqi.rules.loader import _DecimalLoader  # floats as exact decimals, as in every policy file

    return _DecimalLoader


def read_kinds(path: Path, source: str) -> tuple[Kind, ...]:
    """The kinds of one events.yaml, validated; errors name the file and the field path."""
    from huiqi.rules.loader import field_path

    data = _read(path)
    try:
        parsed = KindsFile.model_validate(data)
    except ValidationError as e:
        raise KindsError("\n".join(f"{path.name}: {field_path(err['loc'])}: {err['msg']}" for err in e.errors())) from None
    out = []
    for name, spec in parsed.kinds.items():
        if not re.match(NAME, name) or name in RESERVED:
            raise KindsError(f"{path.name}: kinds.{name}: an event list is named in lowercase letters, digits and _ "
                             "and is not one of the profile's standing facts")
        out.append(Kind(name, spec, source))
    return tuple(out)


_CORE: KindSet | None = None


def core() -> KindSet:
    """The kinds every policy shares (huiqi/profile/events.yaml), read once."""
    global _CORE
    if _CORE is None:
        _CORE = KindSet(read_kinds(CORE_FILE, "core"))
    return _CORE


def extend(base: KindSet, own: tuple[Kind, ...], key: str, where: str = "events.yaml") -> KindSet:
    """``base`` with a policy's own kinds after it; a kind may not reuse a list name, a model name or a prefix."""
    taken = {"list": set(base.names), "model": {k.spec.model for k in base.kinds}, "prefix": {k.spec.prefix for k in base.kinds}}
    for k in own:
        for what, value in (("list", k.name), ("model", k.spec.model), ("prefix", k.spec.prefix)):
            if value in taken[what]:
                raise KindsError(f"{where}: kinds.{k.name}: {what} '{value}' is already taken by another kind")
            taken[what].add(value)
    return KindSet((*base.kinds, *own), key) if own else base


_REGISTERED: dict[str, Kind] = {}


def kinds_for_folder(folder: Path, policy_id: str) -> KindSet:
    """A policy's kinds: the core, plus those of ``folder/events.yaml`` when there is one. Its kinds are
    registered so their words are found by :func:`known_kind` (explanations name facts without a policy)."""
    path = Path(folder) / "events.yaml"
    if not path.exists():
        return core()
    import hashlib

    own = read_kinds(path, policy_id)
    kinds = extend(core(), own, f"{policy_id}@{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}", path.name)
    for k in own:
        _REGISTERED.setdefault(k.name, k)
    return kinds


def known_kind(name: str) -> Kind | None:
    """A kind by its list name among the core and every policy's kinds read so far (the first one read wins)."""
    return core()._by_name.get(name) or _REGISTERED.get(name)


def registered() -> tuple[Kind, ...]:
    """Every kind read so far: the core ones first."""
    return (*core().kinds, *_REGISTERED.values())
