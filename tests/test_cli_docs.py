"""docs/registry-columns.md is written from the schema: stale when a column, name, kind or choice changes."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from huiqi import column_docs
from huiqi.cli import app

ROOT = Path(__file__).resolve().parent.parent


def test_the_column_reference_is_up_to_date():
    written = column_docs.DOC.read_text(encoding="utf-8")
    assert written == column_docs.render(), "docs/registry-columns.md is out of date: run `huiqi docs columns`"


def test_every_name_the_readers_accept_is_in_the_reference():
    """The reference lists what the readers match, not a copy kept by hand: each table's and column's names."""
    from huiqi.batch.inputs import _registry_specs, _sheet_names
    from huiqi.batch.schema import all_tables, table_columns
    from huiqi.delivery import fields

    doc = column_docs.render()
    tables = all_tables()
    for table, specs in _registry_specs(tables).items():
        assert f"### `{table}`" in doc
        for spec in specs:
            assert f"`{spec.field}`" in doc
            for name in spec.names:
                assert name in doc, (table, spec.field, name)
        for col in table_columns(table):
            for code in col.allowed:
                assert f"`{code}`" in doc, (table, col.name, code)
    for words in _sheet_names(tables).values():
        for w in words:
            assert w in doc
    for table in ("projects", "lists", "progress"):
        for spec in fields.specs(table):
            assert all(n.replace("|", "\\|") in doc for n in spec.names), (table, spec.field)


def test_a_changed_schema_makes_the_reference_stale(monkeypatch):
    """The check can fail: a synonym added to registry_columns.yaml changes the rendered reference."""
    from huiqi.batch import inputs

    before = column_docs.render()
    extra = inputs._extra()
    extra["columns"].setdefault("employees", []).append("在岗职工人数")
    monkeypatch.setattr(inputs, "_extra", lambda: extra)
    after = column_docs.render()
    assert after != before and "在岗职工人数" in after


def test_docs_columns_command_checks_and_writes(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["docs", "columns", "--check"])
    assert ok.exit_code == 0, ok.output
    stale = tmp_path / "columns.md"
    stale.write_text("# old\n", encoding="utf-8")
    bad = runner.invoke(app, ["docs", "columns", "--check", "--out", str(stale)])
    assert bad.exit_code == 1 and "huiqi docs columns" in bad.stderr
    wrote = runner.invoke(app, ["docs", "columns", "--out", str(stale)])
    assert wrote.exit_code == 0 and stale.read_text(encoding="utf-8") == column_docs.render()
    printed = runner.invoke(app, ["docs", "columns", "--out", "-"])
    assert printed.exit_code == 0 and printed.stdout == column_docs.render()


def test_the_reference_is_linked():
    for doc in ("README.md", "docs/batch.md", "docs/cli.md"):
        assert "registry-columns.md" in (ROOT / doc).read_text(encoding="utf-8"), doc
