"""One owner of the policy: only huiqi/policies.py loads it from the catalogue; every other module takes it
(with the administrators' stored changes, where figures matter) from huiqi.policies. A second owner is how
the CLI once priced a claim at 30 % while the API priced it at 40 % (issue 11)."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "huiqi"
OWNERS = {PACKAGE / "policies.py", PACKAGE / "catalogue" / "__init__.py", PACKAGE / "rules" / "loader.py"}


def test_only_the_resolver_loads_the_policy_files():
    def loads(p: Path) -> bool:
        source = p.read_text(encoding="utf-8")
        if p == PACKAGE / "cli.py":  # `huiqi policy check FOLDER` validates any folder given to it
            source = source.replace("load_policy(Path(folder) if folder else policy_dir())", "")
        return bool(re.search(r"\bget_policy\b|\bload_policy\(", source))

    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if p not in OWNERS and loads(p)]
    assert offenders == []


def test_no_second_way_to_apply_changes():
    """Figures change only through Policy.with_changes (huiqi/rules/changes.py)."""
    pattern = re.compile(r"def (effective_policy|recent_policy|apply_changes|_parse_value|parse_value)\b")
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if p != PACKAGE / "rules" / "changes.py" and pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
