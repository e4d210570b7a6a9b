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


HUIQI = [sys.executable, "-c", "from huiqi.cli import main; main()"]  # the entry point, as a separate process


def test_version_names_the_installed_package():
    from importlib.metadata import version

    result = run("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"huiqi {version('huiqi')}"


def test_shell_completion_is_offered():
    help_text = run("--help").stdout
    assert "--install-completion" in help_text and "--show-completion" in help_text


def test_help_is_not_cut_at_80_columns(monkeypatch):
    """Off a terminal (a pipe, this test) the help is as wide as its text: no line cut with an ellipsis."""
    monkeypatch.delenv("TERMINAL_WIDTH", raising=False)
    for args in (["--help"], ["users", "--help"], ["screen", "--help"]):
        out = subprocess.run([*HUIQI, *args], capture_output=True, text=True,
                             env={k: v for k, v in os.environ.items() if k not in ("TERMINAL_WIDTH", "COLUMNS")})
        assert out.returncode == 0, out.stderr
        assert "…" not in out.stdout, out.stdout
        assert max(len(line) for line in out.stdout.splitlines()) > 80  # wider than Rich's default when piped
    assert "what-if: re-screen with changed parameters" in run("--help").stdout  # whole, not "wit…"


def test_a_table_off_a_terminal_keeps_every_cell_whole():
    out = subprocess.run([*HUIQI, "measures", "list"], capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k not in ("TERMINAL_WIDTH", "COLUMNS")})
    assert out.returncode == 0 and "…" not in out.stdout
    data = json.loads(run("measures", "list", "--format", "json").stdout)
    for m in data:  # every English title on one line of its own row, not folded
        assert m["title_en"] in out.stdout, m["title_en"]


@pytest.mark.parametrize("args, zh, en", [
    (["measures", "list", "--format", "xml"], "选项 --format 的取值“xml”无效，可选：table、json",
     "--format: 'xml' is not one of table, json"),
    (["policies", "list", "--format", "yaml"], "选项 --format 的取值“yaml”无效", "'yaml' is not one of table, json"),
    (["search", "算力", "--limit", "99"], "选项 --limit 的取值无效：不能大于 30", "--limit"),
    (["search", "算力", "--limit", "abc"], "不是整数", "--limit"),
    (["measures", "lisst"], "没有命令“lisst”（是否想用 list？）", "no such command 'lisst'"),
    (["measures", "list", "--formt", "json"], "没有选项 --formt（是否想用 --format？）", "no such option --formt"),
    (["users", "create"], "缺少 USERNAME", "missing USERNAME"),
    (["measures", "show", "m07", "extra"], "多余的参数：extra", "unexpected extra argument"),
])
def test_usage_errors_are_chinese_first_then_english(args, zh, en):
    result = run(*args)
    assert result.exit_code == 2, result.output
    first, second, *_ = result.stderr.splitlines()
    assert first.startswith("错误：") and zh in first, result.stderr
    assert second.startswith("error: ") and en in second, result.stderr
    assert "Invalid value" not in result.stderr and "╭" not in result.stderr  # no English-only box
    assert result.stdout == ""


def test_a_bad_format_value_exits_2_as_a_separate_process():
    out = subprocess.run([*HUIQI, "measures", "list", "--format", "xml"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.startswith("错误：选项 --format") and "Traceback" not in out.stderr


@pytest.mark.parametrize("url, says", [
    ("mysql://someone:secret@localhost/huiqi", "只支持 SQLite"),
    ("oracle://x", "只支持 SQLite"),
    ("postgresql+psycopg://someone:secret@127.0.0.1:1/huiqi", "无法连接数据库"),
])
def test_db_upgrade_with_a_database_it_cannot_use_exits_2(url, says):
    out = subprocess.run([*HUIQI, "db", "upgrade"], capture_output=True, text=True,
                         env={**os.environ, "HUIQI_DATABASE_URL": url}, timeout=120)
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith("错误：") and says in out.stderr.splitlines()[0] and "HUIQI_DATABASE_URL" in out.stderr
    assert "Traceback" not in out.stderr and "secret" not in out.stderr  # no password on the screen


def test_simulate_json_gives_money_as_fen_with_its_yuan_text(tmp_path):
    assert run("synth", "--n", "300", "--seed", "3", "--out", str(tmp_path / "reg")).exit_code == 0
    args = ["simulate", str(tmp_path / "reg"), "--set", "m07.compute_voucher.rate=0.40", "--as-of", "2024-10-01"]
    out = run(*args, "--out", str(tmp_path / "sim"), "--format", "json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["as_of"] == "2024-10-01" and data["overrides"] == {"m07.compute_voucher.rate": "0.40"}
    for row in data["rows"]:
        assert row["change_fen"] == row["after_fen"] - row["before_fen"]
        for k in ("before", "after"):
            assert isinstance(row[f"{k}_fen"], int) and row[k].startswith("¥") and row[k][-3] == "."
    voucher = next(r for r in data["rows"] if r["provision_id"] == "m07.compute_voucher")
    assert voucher["after_fen"] > voucher["before_fen"]  # 40% pays more than 30%
    for pool in data["pools"]:
        assert isinstance(pool["total_before_fen"], int) and isinstance(pool["demand_after_fen"], int)
    table = run(*args, "--out", str(tmp_path / "sim2"))
    assert table.exit_code == 0 and all(r["provision_id"] in table.stdout for r in data["rows"])


def test_python_dash_m_has_every_command_group():
    """``python -m huiqi.cli`` offers the same commands as the console script (users and docs included)."""
    out = subprocess.run([sys.executable, "-m", "huiqi.cli", "--help"], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "200"}, timeout=120)
    assert out.returncode == 0, out.stderr
    for group in ("users", "docs", "screen", "demo", "serve"):
        assert f" {group} " in out.stdout, group
