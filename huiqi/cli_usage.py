"""How the ``huiqi`` command talks before a command runs: usage errors, ``--version``, output width.

Click words a wrong option value, a missing argument or an unknown command in English inside a box; an
operator of a 政务服务 platform reads Chinese first. :class:`UsageGroup` says the same in Chinese, then
English, in the form every other refusal of the CLI takes (``错误：…`` / ``error: …`` on standard error, exit
2). Rich cuts help and tables to 80 columns when the output is not a terminal (a pipe, a file, a test), and
cuts Chinese text mid-word in a narrow one: :func:`wide_output` widens both.
"""

from __future__ import annotations

import os
import re
import shutil
import sys

import typer
from typer import _click as click  # Typer's own copy of Click: its exceptions are the ones raised
from typer._click import exceptions as cx
from typer.core import TyperGroup

from huiqi import messages

PIPE_WIDTH = 160  # a pipe or a file: wide enough for every help line and table without cutting
MIN_WIDTH = 100  # a narrower terminal wraps long lines instead of Rich cutting them

messages.add({
    "cli.usage.choice": ("选项 {name} 的取值“{value}”无效，可选：{choices}",
                         "{name}: '{value}' is not one of {choices_en}"),
    "cli.usage.value": ("选项 {name} 的取值无效：{detail}", "{name}: {detail_en}"),
    "cli.usage.missing": ("缺少 {name}", "missing {name}"),
    "cli.usage.no_option": ("没有选项 {name}{similar}", "no such option {name}{similar_en}"),
    "cli.usage.similar": ("（是否想用 {names}？）", " (did you mean {names}?)"),
    "cli.usage.no_command": ("没有命令“{name}”", "no such command '{name}'"),
    "cli.usage.extra": ("多余的参数：{args}", "unexpected extra argument(s): {args}"),
    "cli.usage.other": ("命令用法有误", "{detail_en}"),
    "cli.usage.help": ("用法见 {command} --help", "see {command} --help"),
    "cli.usage.aborted": ("已取消", "aborted"),
    "cli.usage.not_int": ("不是整数", "not a whole number"),
    "cli.usage.at_most": ("不能大于 {n}", "at most {n}"),
    "cli.usage.at_least": ("不能小于 {n}", "at least {n}"),
})


def output_width() -> int:
    """TERMINAL_WIDTH when set; else the terminal's width (at least :data:`MIN_WIDTH`); else :data:`PIPE_WIDTH`."""
    given = os.environ.get("TERMINAL_WIDTH", "").strip()
    if given.isdigit() and int(given) > 0:
        return int(given)
    if sys.stdout.isatty():
        return max(shutil.get_terminal_size((PIPE_WIDTH, 24)).columns, MIN_WIDTH)
    return PIPE_WIDTH


def print_table(table) -> None:
    """A Rich table on standard output: off a terminal as wide as its widest row (nothing folded or cut, one
    line per row for grep); on a terminal at its width, long cells wrapping."""
    from rich.console import Console

    width = output_width()
    if not sys.stdout.isatty() and not os.environ.get("TERMINAL_WIDTH", "").strip():
        width = max(width, Console(width=10_000).measure(table).maximum)
    Console(highlight=False, soft_wrap=False, width=width).print(table)


def wide_output() -> None:
    """Typer's help and error panels at :func:`output_width` instead of Rich's 80 columns off a terminal."""
    from typer import rich_utils

    rich_utils.MAX_WIDTH = output_width()


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("huiqi")
        except PackageNotFoundError:  # run from a checkout without installing
            from huiqi import __version__ as number
        typer.echo(f"huiqi {number}")
        raise typer.Exit()


def version_option():
    return typer.Option(False, "--version", callback=_version, is_eager=True,
                        help="显示版本号后退出 / show the version and exit")


def _name(e: cx.UsageError) -> str:
    param = getattr(e, "param", None)
    if param is None:
        return getattr(e, "param_hint", None) or ""
    if param.param_type_name == "option":
        return "/".join(param.opts)
    return (param.name or "").upper()


_BOUND = re.compile(r"should be (less|greater) than or equal to (\S+)")


def describe(e: cx.ClickException) -> tuple[str, str]:
    """(中文, English) of a usage error, in the catalogue's words; an unforeseen one keeps Click's English."""
    both = messages.both
    detail = e.format_message() if not isinstance(e, cx.BadParameter) else e.message
    detail = detail.removeprefix("Value error, ")
    if isinstance(e, cx.MissingParameter):
        return both("cli.usage.missing", name=_name(e) or (e.param_hint or ""))
    if isinstance(e, cx.NoSuchOption):
        similar = ("", "")
        if e.possibilities:
            similar = both("cli.usage.similar", names=", ".join(e.possibilities))
        zh, en = both("cli.usage.no_option", name=e.option_name, similar=similar[0], similar_en=similar[1])
        return zh, en
    if detail.startswith("No such command"):
        names = re.findall(r"'([^']*)'", detail)
        zh, en = both("cli.usage.no_command", name=names[0] if names else "")
        if len(names) > 1:
            similar = both("cli.usage.similar", names=", ".join(names[1:]))
            zh, en = zh + similar[0], en + similar[1]
        return zh, en
    if isinstance(e, cx.BadParameter):
        name = _name(e)
        choice = re.match(r"'([^']*)' is not one of (.*?)\.?$", detail)
        if choice:
            values = re.findall(r"'([^']*)'", choice.group(2))
            return both("cli.usage.choice", name=name, value=choice.group(1), choices="、".join(values),
                        choices_en=", ".join(values))
        zh_detail = detail
        bound = _BOUND.search(detail)
        if "valid integer" in detail:
            zh_detail = messages.text("cli.usage.not_int")
        elif bound:
            key = "cli.usage.at_most" if bound.group(1) == "less" else "cli.usage.at_least"
            zh_detail = messages.text(key, n=bound.group(2))
        return both("cli.usage.value", name=name, detail=zh_detail, detail_en=detail)
    if detail.startswith("Got unexpected extra argument"):
        return both("cli.usage.extra", args=detail.rsplit("(", 1)[-1].rstrip(")."))
    return messages.text("cli.usage.other"), detail


class UsageGroup(TyperGroup):
    """The root command: runs as Typer does, but says a usage error in Chinese and English (exit 2)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except cx.ClickException as e:
            zh, en = describe(e)
            ctx = getattr(e, "ctx", None)
            command = ctx.command_path if ctx is not None else "huiqi"
            hint = messages.both("cli.usage.help", command=command)
            click.echo(f"错误：{zh}\nerror: {en}\n{hint[0]} / {hint[1]}", err=True)
            sys.exit(e.exit_code)
        except typer.Abort:
            zh, en = messages.both("cli.usage.aborted")
            click.echo(f"\n{zh} / {en}", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)
