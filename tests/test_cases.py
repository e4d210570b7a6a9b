"""Run every YAML case under tests/cases/ through every evaluation path: Python, CLI and API."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from huiqi.engine.cases import check_case, in_process_evaluator, load_cases

CASES_DIR = Path(__file__).parent / "cases"
FILES = sorted(CASES_DIR.glob("m*.yaml"))
# the fictional second policy's case files (tests/fixtures/policies), served beside the default one
OTHER_FILES = sorted(CASES_DIR.glob("*/m*.yaml"))
CATALOGUE = Path(__file__).parent / "fixtures" / "policies" / "index.yaml"
CASES = [(f, load_cases(f).policy, c) for f in [*FILES, *OTHER_FILES] for c in load_cases(f).cases]


@pytest.fixture(autouse=True)
def _both_policies(monkeypatch):
    monkeypatch.setenv("HUIQI_CATALOGUE", str(CATALOGUE))


def _cli(profile, as_of: dt.date, strategy, policy=None):
    import tempfile

    from typer.testing import CliRunner

    from huiqi.cli import app
    from huiqi.rules.loader import dumps

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        f.write(dumps(profile))
    args = ["evaluate", f.name, "--as-of", as_of.isoformat(), "--format", "json"]
    if strategy:
        args += ["--strategy", strategy]
    if policy:
        args += ["--policy", policy]
    result = CliRunner().invoke(app, args)
    Path(f.name).unlink()
    if result.exit_code == 2:
        raise ValueError(result.stderr)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def api():
    from fastapi.testclient import TestClient

    from huiqi.api.app import create_app

    return TestClient(create_app())


def test_one_case_file_per_measure():
    assert [f.stem for f in FILES] == [f"m{i:02d}" for i in range(1, 31)]


@pytest.mark.parametrize("path", ["python", "cli", "api"])
@pytest.mark.parametrize("file,policy,case", CASES, ids=[f"{p or ''}{':' if p else ''}{f.stem}:{c.name}" for f, p, c in CASES])
def test_case(file, policy, case, path, api):
    from huiqi.rules.loader import dumps

    try:
        if path == "python":
            result = in_process_evaluator(policy)(case.profile, case.as_of, case.strategy)
        elif path == "cli":
            result = _cli(case.profile, case.as_of, case.strategy, policy)
        else:
            # money with a fraction goes as a string of yuan, as the API asks (a JSON float is refused: a client's
            # float need not be exact); whole numbers may stay numbers
            body = {"profile": json.loads(dumps(case.profile), parse_float=str), "as_of": case.as_of.isoformat(),
                    "strategy": case.strategy, "policy": policy}
            r = api.post("/api/v1/evaluate?detail=full", json=body)  # every row, with conditions and figures
            if r.status_code == 422:
                fields = [d["field"] for d in r.json()["error"]["details"]]
                raise ValueError(" ".join(fields))
            assert r.status_code == 200, r.text
            result = r.json()
    except ValueError as e:
        assert case.expect_error, f"refused: {e}"
        wanted = case.expect_error
        if path == "api":  # the API names JSON paths: other_support.0.event_id
            import re

            wanted = "body.profile." + re.sub(r"\[(\d+)\]", r".\1", wanted)
        assert wanted in str(e), (wanted, str(e))
        return
    assert not case.expect_error, f"expected a refusal at {case.expect_error}"
    assert result["policy"]["id"] == (policy or "kunming_2024")  # the answer names the policy that produced it
    problems = check_case(case, result)
    assert not problems, "\n".join(problems)


def test_huiqi_test_reports_expected_actual_and_explanation(tmp_path):
    """A department's wrong reading fails loudly: expected, actual and the engine's explanation."""
    from typer.testing import CliRunner

    from huiqi.cli import app

    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        """measure: m03
cases:
  - name: 误以为2022年10月小升规也能获奖补
    as_of: 2024-06-30
    profile:
      kind: enterprise
      name: 示例
      credit_code: 91530100MA6K3YXF8W
      industry: "3435"
      in_statistics_db: true
      scale_entries: [{id: e1, date: 2022-10-31, path: small_to_scale}]
    expect:
      m03.small_to_scale_award@e1: {status: eligible, amount: 100000}
""",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["test", str(wrong)])
    assert result.exit_code == 1
    out = result.stdout
    assert "失败 FAIL" in out and "status expected eligible, got not_eligible" in out
    assert "amount expected ¥100,000.00, got none" in out
    assert "说明: 不满足" in out and "2022-10-31" in out


def test_huiqi_test_refuses_a_malformed_case_file(tmp_path):
    from typer.testing import CliRunner

    from huiqi.cli import app

    bad = tmp_path / "bad.yaml"
    bad.write_text("measure: m3\ncases: []\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["test", str(bad)])
    assert result.exit_code == 2 and "bad.yaml: measure" in result.stderr
