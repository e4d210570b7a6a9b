"""``huiqi docs …``: reference documents written from the schema (see :mod:`huiqi.column_docs`)."""

from __future__ import annotations

from pathlib import Path

import typer

from huiqi.cli import app, fail

docs_app = typer.Typer(help="由数据结构生成的参考文档 / reference documents written from the schema", no_args_is_help=True)
app.add_typer(docs_app, name="docs")


@docs_app.command("columns")
def docs_columns(
    out: str = typer.Option(None, "--out", help="写入的文件（默认 docs/registry-columns.md；- 为标准输出）/ file to write"),
    check: bool = typer.Option(False, "--check", help="只检查文件是否最新，过期时退出码 1 / only check; exit 1 if stale"),
) -> None:
    """登记册与导入的列参考（中英文列名、类型、接受的写法、示例）/ the registry and import column reference."""
    from huiqi.column_docs import DOC, render

    text = render()
    if out == "-":
        typer.echo(text, nl=False)
        return
    path = Path(out) if out else DOC
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            typer.echo(f"{path} 已过期，请运行 huiqi docs columns / {path} is out of date: run huiqi docs columns", err=True)
            raise typer.Exit(1)
        typer.echo(f"{path} 是最新的 / up to date")
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        fail(f"无法写入 {path}：{e.strerror}", f"--out: cannot write {path}: {e.strerror}")
    typer.echo(f"已写出 written: {path}")
