"""The CLI as a user runs it: catalogue, search, unknown ids exit 2 with a clear message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huiqi.cli import app

runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, list(args))
    return result


def test_list_json_has_thirty_full_measures():
    result = run("measures", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [m["id"] for m in data] == [f"m{i:02d}" for i in range(1, 31)]
    for m in data:
        assert m["lead_departments"] and m["text"] and m["provisions"]
        assert m["in_force"] == {"start": "2024-03-28", "end": "2024-12-31", "own_period": False, "citation": m["in_force"]["citation"]}


def test_json_money_is_exact_and_displayed_in_yuan():
    m07 = json.loads(run("measures", "show", "m07", "--format", "json").stdout)
    voucher = next(p for p in m07["provisions"] if p["id"] == "m07.compute_voucher")
    rate = voucher["parameters"]["rate"]["values"][0]
    cap = voucher["parameters"]["cap"]["values"][0]
    assert (rate["value"], rate["display"], rate["from"], rate["to"]) == (0.3, "30%", "2024-03-28", "2024-12-31")
    assert (cap["value"], cap["display"]) == (500000, "¥500,000.00")
    assert voucher["is_cap"] is False  # 30% of actual spending is an exact amount


def test_list_table_shows_chinese_titles():
    result = run("measures", "list")
    assert result.exit_code == 0
    assert "数实融合" in result.stdout and "m30" in result.stdout


def test_show_text_includes_citation_and_departments():
    result = run("measures", "show", "m07")
    assert result.exit_code == 0
    assert "市工业和信息化局" in result.stdout
    assert "算力券" in result.stdout and "出处" in result.stdout


@pytest.mark.parametrize("bad", ["m99", "m00", "x", "M31"])
def test_unknown_measure_exits_2_with_message(bad):
    result = run("measures", "show", bad)
    assert result.exit_code == 2
    assert bad in result.stderr and "m01–m30" in result.stderr


def test_bad_format_exits_2():
    assert run("measures", "list", "--format", "xml").exit_code == 2


def test_search_json_ranks_best_first():
    data = json.loads(run("search", "算力券", "--format", "json").stdout)
    assert data["results"][0]["id"] == "m07"
    assert run("search", "compute voucher").exit_code == 0


def test_empty_search_exits_2():
    result = run("search", " ")
    assert result.exit_code == 2 and "query" in result.stderr


def test_policy_show_json_names_version():
    data = json.loads(run("policy", "show", "--format", "json").stdout)
    assert data["measure_count"] == 30 and len(data["version"]) == 16
    assert data["general"]["overlap"]["principle_zh"] == "就高不重复"


def test_installed_console_script_answers():
    """The real `huiqi` entry point, as a separate process."""
    exe = Path(sys.executable).parent / "huiqi"
    if not exe.exists():
        pytest.skip("huiqi is not installed as a console script in this environment")
    out = subprocess.run([str(exe), "measures", "show", "m99"], capture_output=True, text=True, env={**os.environ})
    assert out.returncode == 2 and "m99" in out.stderr
    out = subprocess.run([str(exe), "search", "小巨人", "--format", "json"], capture_output=True, text=True)
    assert out.returncode == 0 and json.loads(out.stdout)["results"][0]["id"] == "m23"
