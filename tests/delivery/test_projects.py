"""The project registry: who may edit, the m17/m16 targets computed from it at their boundaries, the
m16/m22 subsidies judged by the engine from a project's facts, and the four zones' joint handling."""

from __future__ import annotations

import datetime as dt

import pytest

from huiqi.catalogue import get_policy
from huiqi.delivery import DeliveryError, NotYours, projects, targets, zones
from huiqi.workflow import accounts


def _project(code, total, origin="省外", introduced="2024-05-01", **extra):
    return {"code": code, "name": f"项目{code}", "investor": "某投资方", "credit_code": "91530100MA6K3YXF8W", "investor_origin": origin,
            "total_investment": total, "stage": "前期", "introduced_on": introduced, **extra}


def _users(db):
    with db.transaction() as s:
        fgw = accounts.create_user(s, "fgw", "password-123", "reviewer", department="市发展改革委")
        tcj = accounts.create_user(s, "tcj", "password-123", "reviewer", department="市投资促进局")
        mh = accounts.create_user(s, "mh", "password-123", "reviewer", department="磨憨—磨丁合作区管委会")
        jk = accounts.create_user(s, "jk", "password-123", "reviewer", department="经开区管委会")
    return fgw, tcj, mh, jk


def test_m17_targets_are_counted_from_the_registry_at_their_boundaries(db):
    fgw, tcj, _, _ = _users(db)
    with db.transaction() as s:
        for p in [
            _project("A1", "100000000.00"),                      # exactly 1亿: counts (以上)
            _project("A2", "99999999.99"),                       # a fen short: does not
            _project("A3", "1000000000.00"),                     # exactly 10亿: counts in both
            _project("A4", "999999999.99"),                      # 1亿 yes, 10亿 no
            _project("A5", "500000000.00", origin="省内"),        # in-province: excluded
            _project("A6", "500000000.00", origin="境外"),        # foreign: not 省外
            _project("A7", "500000000.00", introduced="2023-12-31"),  # last year: excluded
            _project("A8", "500000000.00", introduced="2024-12-31"),  # the last day of the year: counts
            _project("A9", "300000000.00", introduced=None),     # not yet introduced: excluded
            _project("P1", "0", packaged="是", chain="新能源电池"),  # packaged (策划包装)
        ]:
            projects.create(s, tcj, p)
    with db.transaction() as s:
        figures = {f.target_id: f for f in targets.computed(s, get_policy())}
    f100m, f1bn = figures["m17.out_of_province_projects_100m"], figures["m17.out_of_province_projects_1bn"]
    assert sorted(i["code"] for i in f100m.items) == ["A1", "A3", "A4", "A8"]
    assert f100m.actual == 4 and f100m.goal == 160 and f100m.met is False
    assert [i["code"] for i in f1bn.items] == ["A3"] and f1bn.goal == 20
    assert figures["m17.packaged_investment_projects"].actual == 1


def test_named_m16_projects_are_achieved_once_started(db):
    fgw, *_ = _users(db)
    with db.transaction() as s:
        p = projects.create(s, fgw, {**_project("Z1", "2000000000", origin="省内"), "name": "中粮油脂昆明加工项目"})
        projects.create(s, fgw, {**_project("Z2", "800000000", origin="省内"), "name": "云铜锌业搬迁项目"})
    with db.transaction() as s:
        start = {f.target_id: f for f in targets.computed(s, get_policy())}["m16.projects_to_start"]
        assert start.actual == 0 and [n["code"] for n in start.items] == ["Z1", "Z2", None]
        projects.update(s, fgw, p.id, {"stage": "开工"})
    with db.transaction() as s:
        start = {f.target_id: f for f in targets.computed(s, get_policy())}["m16.projects_to_start"]
        assert start.actual == 1 and start.items[0]["achieved"] and not start.items[1]["achieved"]


def test_a_department_edits_only_the_projects_it_keeps(db):
    fgw, tcj, _, _ = _users(db)
    with db.transaction() as s:
        p = projects.create(s, tcj, _project("B1", "100000000"))
    with pytest.raises(NotYours):
        with db.transaction() as s:
            projects.update(s, fgw, p.id, {"stage": "开工"})
    with db.transaction() as s:
        assert projects.update(s, tcj, p.id, {"stage": "开工"}).stage == "started"


@pytest.mark.parametrize(("change", "field"), [
    ({"total_investment": "-1"}, "total_investment"), ({"total_investment": "1.001"}, "total_investment"),
    ({"stage": "建成"}, "stage"), ({"investor_origin": "外星"}, "investor_origin"),
    ({"introduced_on": "2024-02-30"}, "introduced_on"), ({"district": "110101"}, "district"),
    ({"zone": "滇中新区"}, "zone"), ({"credit_code": "91530100MA6K3YXF8X"}, "credit_code"), ({"measures": "m07"}, "measures"), ({"name": ""}, "name"),
])
def test_bad_project_fields_are_named(db, change, field):
    _, tcj, _, _ = _users(db)
    with pytest.raises(DeliveryError) as e:
        with db.transaction() as s:
            projects.create(s, tcj, {**_project("C1", "100"), **change})
    assert e.value.field == field


def test_m16_and_m22_subsidies_are_judged_by_the_engine_from_the_project_facts(db):
    fgw, *_ = _users(db)
    day = dt.date(2024, 6, 1)
    with db.transaction() as s:
        at = projects.create(s, fgw, _project("D1", "300000000", annual_investment="100000000.00",
                                              fits_park_leading_industry="是"))
        below = projects.create(s, fgw, _project("D2", "300000000", annual_investment="99999999.99",
                                                 fits_park_leading_industry="是"))
        mohan = projects.create(s, fgw, _project("D3", "300000000", annual_fixed_asset="50000000.00",
                                                 in_mohan_border_park="是", park_development_mode="是"))
        def status(p, provision):
            return next(r.status for r in projects.evaluate_project(p, day) if r.provision_id == provision)
        assert status(at, "m16.major_industrial_project_subsidy") in ("eligible", "referral")
        assert status(below, "m16.major_industrial_project_subsidy") == "not_eligible"
        assert status(mohan, "m22.mohan_project_subsidy") in ("eligible", "referral")


def test_one_application_four_zones_each_with_its_own_status(db):
    fgw, _, mh, jk = _users(db)
    with db.transaction() as s:
        p = projects.create(s, fgw, _project("E1", "100000000", zone="经开区"))
        case = zones.file(s, jk, p.id, "经开区", "项目落地手续联办")
        assert set(zones.statuses(s, case.id)) == set(projects.ZONES)
        zones.set_status(s, jk, case.id, "经开区", "done", "已办结")
        assert zones.overall(zones.statuses(s, case.id)) == "processing"
    with pytest.raises(NotYours):
        with db.transaction() as s:
            zones.set_status(s, jk, case.id, "磨憨—磨丁合作区", "done")
    with db.transaction() as s:
        zones.set_status(s, mh, case.id, "磨憨—磨丁合作区", "not_applicable")
        for z in ("自贸试验区昆明片区", "昆明综保区"):
            row = zones.statuses(s, case.id)[z]
            row.status = "done"
        assert zones.overall(zones.statuses(s, case.id)) == "done"
