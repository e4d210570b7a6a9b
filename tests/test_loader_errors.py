"""A broken policy file is refused with the file name and the path of the bad field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from huiqi.rules.loader import PolicyDataError, load_policy, read_yaml


def _edit(folder: Path, measure: str, change) -> None:
    path = folder / "measures" / f"{measure}.yaml"
    data = read_yaml(path)
    change(data)
    path.write_text(yaml.safe_dump(_plain(data), allow_unicode=True, sort_keys=False), encoding="utf-8")


def _plain(o):
    """Decimal → str so safe_dump can write what read_yaml read."""
    from decimal import Decimal

    if isinstance(o, dict):
        return {k: _plain(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_plain(v) for v in o]
    if isinstance(o, Decimal):
        return str(o)
    return o


def _error(folder: Path) -> str:
    with pytest.raises(PolicyDataError) as e:
        load_policy(folder)
    return str(e.value)


def test_the_shipped_policy_loads(policy_copy):
    assert len(load_policy(policy_copy).measures) == 30


def test_wrong_type_names_file_and_field(policy_copy):
    _edit(policy_copy, "m07", lambda d: d["provisions"][2]["parameters"]["rate"]["values"][0].update(value="thirty"))
    msg = _error(policy_copy)
    assert "measures/m07.yaml" in msg
    assert "provisions[2].parameters.rate" in msg


def test_unknown_key_is_refused(policy_copy):
    _edit(policy_copy, "m03", lambda d: d["provisions"][0].update(amount_yuan=100000))
    msg = _error(policy_copy)
    assert "measures/m03.yaml" in msg and "provisions[0].amount_yuan" in msg


def test_sub_fen_money_is_refused(policy_copy):
    _edit(policy_copy, "m03", lambda d: d["provisions"][0]["parameters"]["amount"]["values"][0].update(value="100000.001"))
    msg = _error(policy_copy)
    assert "m03.yaml" in msg and "fen" in msg


def test_negative_amount_is_refused(policy_copy):
    _edit(policy_copy, "m03", lambda d: d["provisions"][0]["parameters"]["amount"]["values"][0].update(value=-1))
    assert "must not be negative" in _error(policy_copy)


def test_ratio_written_as_percent_is_refused(policy_copy):
    _edit(policy_copy, "m07", lambda d: d["provisions"][2]["parameters"]["rate"]["values"][0].update(value=30))
    assert "0.30" in _error(policy_copy)


def test_impossible_date_is_refused(policy_copy):
    path = policy_copy / "measures" / "m03.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("value: 2024-02-29", "value: 2024-02-30", 1), encoding="utf-8")
    msg = _error(policy_copy)
    assert "m03.yaml" in msg and "window_end" in msg


def test_reversed_dates_are_refused(policy_copy):
    _edit(policy_copy, "m03", lambda d: d["provisions"][0]["parameters"]["amount"]["values"][0].update({"to": "2023-01-01"}))
    assert "before 'from'" in _error(policy_copy)


def test_citation_must_be_verbatim(policy_copy):
    _edit(policy_copy, "m07", lambda d: d["provisions"][0].update(citation=["给予每户100万元奖补。"]))
    msg = _error(policy_copy)
    assert "m07.yaml" in msg and "not verbatim" in msg


def test_edited_text_is_not_a_slice_of_the_source(policy_copy):
    _edit(policy_copy, "m12", lambda d: d.update(text=d["text"].replace("3万元", "5万元")))
    msg = _error(policy_copy)
    assert "measures/m12.yaml" in msg and "text" in msg


def test_missing_required_parameter_for_kind(policy_copy):
    _edit(policy_copy, "m03", lambda d: d["provisions"][0]["parameters"].pop("amount"))
    msg = _error(policy_copy)
    assert "m03.yaml" in msg and "amount" in msg


def test_unknown_pool_reference(policy_copy):
    _edit(policy_copy, "m07", lambda d: d["provisions"][2].update(pool="m07.nowhere"))
    assert "unknown pool" in _error(policy_copy)


def test_missing_measure_file(policy_copy):
    (policy_copy / "measures" / "m30.yaml").unlink()
    assert "m30" in _error(policy_copy)


def test_broken_yaml_names_the_file(policy_copy):
    (policy_copy / "measures" / "m01.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    msg = _error(policy_copy)
    assert "m01.yaml" in msg and "not valid YAML" in msg


def test_policy_check_cli_reports_the_field(policy_copy):
    from typer.testing import CliRunner

    from huiqi.cli import app

    _edit(policy_copy, "m23", lambda d: d.update(number="twenty-three"))
    result = CliRunner().invoke(app, ["policy", "check", str(policy_copy)])
    assert result.exit_code == 2
    assert "measures/m23.yaml: number" in result.output


@pytest.mark.parametrize(("provision", "test", "fact"), [
    (0, "entity.is_small_or_micro", "entity.is_small_or_micro"),  # an applicant fact that does not exist
    (2, "event.spend > 0 AND event.price_incl_vat > 0", "event.price_incl_vat"),  # a vehicle's fact on a compute claim
])
def test_a_rule_naming_an_unknown_fact_is_refused(policy_copy, provision, test, fact):
    _edit(policy_copy, "m07", lambda d: d["provisions"][provision]["conditions"][0].__setitem__("test", test))
    message = _error(policy_copy)
    assert "measures/m07.yaml" in message and f"unknown fact '{fact}'" in message
