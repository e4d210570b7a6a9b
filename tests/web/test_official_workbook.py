"""Through the real page of a running ``huiqi serve``: the official's own workbook (title row, merged two-row
header, data on the second sheet, Chinese dates and units) and a GBK CSV import without edits (issue 14)."""

from __future__ import annotations

import re

import httpx

from tests.delivery import official_workbook as W
from tests.web.conftest import PASSWORD


def _signed_in(server: str, user: str) -> tuple[httpx.Client, str]:
    r = httpx.post(server + "/login", data={"username": user, "password": PASSWORD})
    assert r.status_code == 303, r.text[:300]
    client = httpx.Client(base_url=server, timeout=120, headers={"Cookie": r.headers["set-cookie"].split(";")[0]})
    page = client.get("/projects")
    assert page.status_code == 200, page.status_code
    return client, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_the_officials_workbook_and_a_gbk_csv_import_through_the_page(server):
    client, csrf = _signed_in(server, "rev-touzi")
    r = client.post("/projects/import", data={"csrf_token": csrf},
                    files={"file": ("2024年重大项目清单.xlsx", W.build(), "application/octet-stream")})
    assert r.status_code == 200, r.text[:500]
    assert 'data-test="import-errors"' not in r.text
    listing = client.get("/projects").text
    for code in W.EXPECTED:
        assert code in listing, code
    csv_text = ("项目编号,项目名称,投资方,投资方来源,总投资（亿元）,项目阶段,引进日期\r\n"
                "CSV-001,某GBK项目,某有限公司,外省,1.5,在建,2024/5/1\r\n"
                "CSV-002,错行,某有限公司,火星,1.5,在建,2024/5/1\r\n")
    r = client.post("/projects/import", data={"csrf_token": csrf},
                    files={"file": ("清单.csv", csv_text.encode("gbk"), "text/csv")})
    assert r.status_code == 200, r.text[:500]
    assert "CSV-001" in client.get("/projects").text
    errors = re.search(r'data-test="import-errors".*?</table>', r.text, re.S)
    assert errors and 'data-row="3"' in errors.group(0) and "投资方来源" in errors.group(0) and "省内、省外、境外" in errors.group(0)
