"""Load a policy folder (policy.yaml + measures/mNN.yaml + source text) and validate it.

A broken file fails with :class:`PolicyDataError` naming the file and the field path,
e.g. ``measures/m07.yaml: provisions[2].parameters.rate.values[0].value: …``.
Beyond the per-file schema, the loader checks the things no single file can:
every measure's text is a verbatim slice of the source, in order, and every
chapter lists the measures that exist.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from huiqi.rules.model import Measure, PolicyHeader


class PolicyDataError(ValueError):
    """A policy file is missing, unreadable or does not match the schema."""


class _DecimalLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present: 10× faster
    """YAML loader that reads floats as Decimal, so 0.30 stays exactly 0.30."""


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    return Decimal(loader.construct_scalar(node).replace("_", ""))  # type: ignore[arg-type]


def _date_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    # Dates stay text here so pydantic checks them and an impossible one (2024-02-30)
    # is reported with its field path instead of crashing the YAML parser.
    return loader.construct_scalar(node)  # type: ignore[return-value]


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _decimal)
_DecimalLoader.add_constructor("tag:yaml.org,2002:timestamp", _date_text)


def read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as f:
            return yaml.load(f, Loader=_DecimalLoader)  # noqa: S506 - SafeLoader subclass
    except OSError as e:
        raise PolicyDataError(f"{path}: cannot read ({e.strerror})") from e
    except yaml.YAMLError as e:
        raise PolicyDataError(f"{path}: not valid YAML: {e}") from e


def field_path(loc: tuple[Any, ...]) -> str:
    """('provisions', 2, 'parameters', 'rate') -> 'provisions[2].parameters.rate'"""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _validate(model: type, data: Any, where: str):
    try:
        return model.model_validate(data)
    except ValidationError as e:
        lines = [f"{where}: {field_path(err['loc'])}: {err['msg']}" for err in e.errors()]
        raise PolicyDataError("\n".join(lines)) from None


@dataclass(frozen=True)
class Policy:
    """A loaded, validated policy: header, measures in order, and the source text."""

    header: PolicyHeader
    measures: tuple[Measure, ...]
    source_text: str
    version: str  # content hash of every policy file: names the rules an answer used
    _by_id: dict[str, Measure] = field(default_factory=dict, repr=False, compare=False)
    changes: tuple = field(default=(), compare=False)  # the rules.changes.Change objects applied, in order
    # synonyms.yaml (optional): what people type → words of the source text, for search only (not in the version)
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)
    # the event kinds its rules may be judged over: the core ones and those of its events.yaml (huiqi.profile.kinds)
    kinds: Any = field(default=None, repr=False, compare=False)

    def measure(self, measure_id: str) -> Measure | None:
        return self._by_id.get(measure_id.strip().lower())

    def provisions(self):
        for m in self.measures:
            yield from m.provisions

    def with_changes(self, changes, tag: str = "c") -> "Policy":
        """This policy with figures changed (see :mod:`huiqi.rules.changes`): the one way any path —
        an administrator's dated decision, a what-if, a test case — alters a figure."""
        from huiqi.rules import changes as _changes

        return _changes.apply(self, changes, tag)

    def in_force(self, measure: Measure):
        """The measure's own period, or the policy's general one (本文自印发之日起执行…)."""
        return measure.in_force or self.header.general.in_force


def load_policy(folder: Path) -> Policy:
    """Read and validate a policy folder. Raises PolicyDataError on any problem."""
    header_path = folder / "policy.yaml"
    header = _validate(PolicyHeader, read_yaml(header_path), header_path.name)
    source_path = folder / header.source_file
    try:
        source_text = source_path.read_text(encoding="utf-8")
    except OSError as e:
        raise PolicyDataError(f"{source_path}: cannot read the source text ({e.strerror})") from e

    general = header.general
    for label, sentences in [
        ("general.in_force.citation", general.in_force.citation),
        ("general.overlap.citation", general.overlap.citation),
        ("general.precedence_citation", general.precedence_citation),
        ("general.interpretation_citation", general.interpretation_citation),
        ("general.duty_to_publish_citation", general.duty_to_publish_citation),
    ]:
        for sentence in sentences:
            if sentence not in source_text:
                raise PolicyDataError(f"{header_path.name}: {label}: not verbatim in {header.source_file}: {sentence[:40]}")

    digest = hashlib.sha256()
    digest.update(header_path.read_bytes())
    digest.update(source_path.read_bytes())
    kinds = _load_kinds(folder, header.id)
    if (folder / "events.yaml").exists():  # its own kinds change what its rules read: part of the version
        digest.update((folder / "events.yaml").read_bytes())
    measures: list[Measure] = []
    files = sorted((folder / "measures").glob("m*.yaml"))
    expected = [m for ch in header.chapters for m in ch.measures]
    found = [p.stem for p in files]
    if found != sorted(expected):
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected))
        raise PolicyDataError(f"measures/: files do not match policy.yaml chapters (missing {missing}, unexpected {extra})")
    for path in files:
        where = f"measures/{path.name}"
        data = read_yaml(path)
        if not isinstance(data, dict):
            raise PolicyDataError(f"{where}: (top level): expected a mapping of fields")
        measure = _validate(Measure, data, where)
        if measure.id != path.stem:
            raise PolicyDataError(f"{where}: id: '{measure.id}' does not match the file name")
        if header.departments_en:  # each department in English, from the header's one list
            unknown = [d.name for d in measure.lead_departments if d.name not in header.departments_en]
            if unknown:
                raise PolicyDataError(f"{where}: lead_departments: {'、'.join(unknown)} not in policy.yaml departments_en")
            measure = measure.model_copy(update={"lead_departments": [
                d.model_copy(update={"name_en": header.departments_en[d.name]}) for d in measure.lead_departments]})
        measures.append(measure)
        digest.update(path.read_bytes())

    _check_facts(measures, kinds)
    _check_keys(header.id, measures)
    chapter_of = {m: ch.number for ch in header.chapters for m in ch.measures}
    position = 0
    for measure in measures:
        where = f"measures/{measure.id}.yaml"
        if chapter_of[measure.id] != measure.chapter:
            raise PolicyDataError(f"{where}: chapter: {measure.chapter} but policy.yaml puts it in {chapter_of[measure.id]}")
        found_at = source_text.find(measure.text, position)
        if found_at < 0:
            raise PolicyDataError(f"{where}: text: not a verbatim slice of {header.source_file} after the previous measure")
        position = found_at + len(measure.text)

    return Policy(
        header=header,
        measures=tuple(measures),
        source_text=source_text,
        version=digest.hexdigest()[:16],
        _by_id={m.id: m for m in measures},
        synonyms=_load_synonyms(folder / "synonyms.yaml", source_text, header.source_file),
        kinds=kinds,
    )


def _load_kinds(folder: Path, policy_id: str):
    """The event kinds of a policy: the core ones, and its own from ``events.yaml`` (see huiqi.profile.kinds)."""
    from huiqi.profile.kinds import KindsError, kinds_for_folder

    try:
        return kinds_for_folder(folder, policy_id)
    except KindsError as e:
        raise PolicyDataError(str(e)) from None


def _load_synonyms(path: Path, source_text: str, source_file: str) -> dict[str, tuple[str, ...]]:
    """``synonyms.yaml``: a mapping word → [words of the source text]; every target must be verbatim in the text."""
    if not path.exists():
        return {}
    data = read_yaml(path) or {}
    if not isinstance(data, dict):
        raise PolicyDataError(f"{path.name}: (top level): expected a mapping of word: [words of the text]")
    out: dict[str, tuple[str, ...]] = {}
    for key, targets in data.items():
        if isinstance(targets, str):
            targets = [targets]
        if not isinstance(key, str) or not key.strip() or not isinstance(targets, list) or not targets \
                or not all(isinstance(t, str) and t.strip() for t in targets):
            raise PolicyDataError(f"{path.name}: {key}: expected a word and a list of words of the text")
        for t in targets:
            if t not in source_text:
                raise PolicyDataError(f"{path.name}: {key}: '{t}' is not verbatim in {source_file}")
        out[key.strip()] = tuple(t.strip() for t in targets)
    return out


POLICY_ID = re.compile(r"^[a-z][a-z0-9_]{1,23}$")


def _check_keys(policy_id: str, measures: list[Measure]) -> None:
    """Stored keys carry the policy's id (``<policy>/<pool>``, ``<policy>/<provision>``): they must fit the
    database's columns (64 and 80 characters), so a policy id is short and plain; a material's id is stored
    with each uploaded file (40 characters)."""
    if not POLICY_ID.match(policy_id):
        raise PolicyDataError(f"policy.yaml: id: '{policy_id}' must be 2–24 lowercase letters, digits or _ "
                              "(it prefixes every stored key)")
    for m in measures:
        for p in m.pools:
            if len(f"{policy_id}/{p.id}") > 64:
                raise PolicyDataError(f"measures/{m.id}.yaml: pools: '{p.id}' is too long for its ledger key "
                                      f"'{policy_id}/{p.id}' (at most 64 characters)")
        for p in m.provisions:
            if len(f"{policy_id}/{p.id}") > 80:
                raise PolicyDataError(f"measures/{m.id}.yaml: provisions: '{p.id}' is too long for its key "
                                      f"'{policy_id}/{p.id}' (at most 80 characters)")
        for owner, guide in [("service", m.service), *((f"{p.id}: service", p.service) for p in m.provisions)]:
            for mat in (guide.materials if guide else []):  # kept with each uploaded file (evidence.material)
                if len(mat.id) > 40:
                    raise PolicyDataError(f"measures/{m.id}.yaml: {owner}: materials: '{mat.id}' is too long "
                                          "(at most 40 characters, it is stored with each file)")


def _check_facts(measures: list[Measure], kinds) -> None:
    """Every provision is judged over the applicant or one of the policy's event kinds, and every
    ``entity.x`` / ``event.x`` a rule reads must be a fact the profile has (see profile.facts)."""
    from huiqi.profile.facts import fact_names
    from huiqi.rules.expr import compile_expr

    for measure in measures:
        for p in measure.provisions:
            if p.subject != "entity" and p.subject not in kinds:
                raise PolicyDataError(
                    f"measures/{measure.id}.yaml: {p.id}: subject: '{p.subject}' is not a kind of event of this policy "
                    f"(entity, {', '.join(kinds.names)}; a new kind is declared in the folder's events.yaml)")
            entity, event = fact_names(p.subject, kinds)
            sources = [(f"conditions.{c.id}.test", c.test) for c in p.conditions]
            sources += [("amount", p.amount), ("base", p.base)] + [(f"figures.{k}", v.expr) for k, v in p.figures.items()]
            for where, src in sources:
                if src is None:
                    continue
                for ns, name in compile_expr(src).columns:
                    known = entity if ns == "entity" else event
                    if name not in known:
                        raise PolicyDataError(
                            f"measures/{measure.id}.yaml: {p.id}: {where}: unknown fact '{ns}.{name}' "
                            f"(an {'event of ' + p.subject if ns == 'event' else 'applicant'} has: "
                            f"{', '.join(sorted(known)) or 'no event facts'})")


def json_default(o: Any) -> Any:
    """JSON encoding for policy values: exact decimals, ISO dates."""
    if isinstance(o, Decimal):
        return int(o) if o == o.to_integral_value() else float(o)
    if hasattr(o, "isoformat"):
        return o.isoformat()
    raise TypeError(f"cannot encode {type(o).__name__}")


def dumps(obj: Any, pretty: bool = True) -> str:
    """JSON text (UTF-8, Chinese unescaped). orjson: the stdlib encoder with indent is 20× slower."""
    return dumps_bytes(obj, pretty).decode("utf-8")


def dumps_bytes(obj: Any, pretty: bool = False) -> bytes:
    import orjson

    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if pretty else 0)
    return orjson.dumps(obj, default=json_default, option=option)
