"""Demo data for the delivery pages (``make run``): department accounts, the commitments ledger with a
few reports, a small project registry (the m16 named projects among them), a four-zone case, the m23
lists and two enterprise-voice problems. Called by :func:`huiqi.workflow.demo.seed` in its transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from huiqi.delivery import commitments, lists, projects, voice, zones
from huiqi.workflow import accounts

ACCOUNTS = [  # username, department, display name
    ("rev-fagai", "市发展改革委", "市发展改革委审核员"),
    ("rev-touzi", "市投资促进局", "市投资促进局审核员"),
    ("rev-mohan", "磨憨—磨丁合作区管委会", "磨憨—磨丁合作区管委会"),
    ("rev-jingkai", "经开区管委会", "经开区管委会"),
]
CODES = ["91530100MA6K3YXF8W", "91530100678728169X"]
PROJECTS = [  # code, name, origin, total yuan, stage, introduced, extra
    ("KM2024-001", "中粮油脂昆明加工项目", "省外", "1200000000.00", "开工", "2024-02-20", {"chain": "绿色食品"}),
    ("KM2024-002", "云铜锌业搬迁升级项目", "省内", "800000000.00", "前期", None, {"chain": "有色金属"}),
    ("KM2024-003", "裕能二期新能源材料项目", "省外", "3000000000.00", "储备", "2024-04-18", {"chain": "新能源电池"}),
    ("KM2024-004", "杉杉新材料负极材料项目", "省外", "1500000000.00", "开工", "2024-01-15", {"chain": "新能源电池"}),
    ("KM2024-005", "某省外智能装备制造项目", "省外", "100000000.00", "前期", "2024-06-01",
     {"annual_investment": "100000000.00", "fits_park_leading_industry": "是", "credit_code": CODES[1]}),
    ("KM2024-006", "某省内食品加工项目", "省内", "300000000.00", "开工", "2024-03-10", {}),
    ("KM2024-007", "磨憨沿边产业园园中园项目", "省外", "600000000.00", "前期", "2024-05-05",
     {"zone": "磨憨—磨丁合作区", "in_mohan_border_park": "是", "park_development_mode": "是",
      "annual_fixed_asset": "50000000.00", "credit_code": CODES[0]}),
    ("KM2024-008", "生物医药招商包装项目", "省外", "500000000.00", "储备", None, {"packaged": "是", "chain": "生物医药"}),
]


def seed(session: Session, password: str, policy, enterprise) -> list[str]:
    """Create the delivery demo; returns the account names created."""
    users = {name: accounts.create_user(session, name, password, "reviewer", display_name=label, department=dept,
                                        actor="demo")
             for name, dept, label in ACCOUNTS}
    commitments.seed(session, policy)
    gx = session.query(type(enterprise)).filter_by(username="rev-gongxin").one()
    commitments.report(session, gx, "m07.c01", "in_progress", "已制定数实融合工作方案，正在组织企业申报")
    commitments.report(session, users["rev-fagai"], "m15.c01", "done", "已谋划储备重大项目清单并报市政府")
    made = {}
    for code, name, origin, total, stage, introduced, extra in PROJECTS:
        made[code] = projects.create(session, users["rev-touzi"], {
            "code": code, "name": name, "investor": name.replace("项目", "") + "有限公司", "investor_origin": origin,
            "total_investment": total, "stage": stage, "introduced_on": introduced, "district": "530111",
            "service_officer": "张专员", "measures": "m16,m17", **extra})
    projects.add_milestone(session, users["rev-touzi"], made["KM2024-001"].id, "取得施工许可", "2024-02-10", "2024-02-08")
    projects.add_plan_step(session, users["rev-touzi"], made["KM2024-001"].id, "全流程代办用地、环评手续", "市政务服务局", "done")
    projects.add_plan_step(session, users["rev-touzi"], made["KM2024-001"].id, "协调供电接入", "昆明供电局", "doing")
    case = zones.file(session, users["rev-jingkai"], made["KM2024-007"].id, "经开区", "项目落地手续“一区申请、四区联办”")
    zones.set_status(session, users["rev-jingkai"], case.id, "经开区", "done", "已出具意见")
    zones.set_status(session, users["rev-mohan"], case.id, "磨憨—磨丁合作区", "processing")
    for kind, name, amount, day in [("major_works", "城市地下管网更新改造工程", "1200000000.00", "2024-05-10"),
                                    ("chain", "新能源电池产业链配套项目", "350000000.00", "2024-05-10"),
                                    ("concession", "智慧停车场特许经营项目", "80000000.00", "2024-06-03"),
                                    ("reits", "产业园区基础设施REITs项目", "900000000.00", "2024-07-15"),
                                    ("chain", "生物医药配套项目（待发布）", "120000000.00", None)]:
        lists.add(session, users["rev-fagai"], {"kind": kind, "name": name, "investment": amount, "district": "530111",
                                                "contact": "0871-12345678", "published_on": day})
    t = voice.raise_ticket(session, enterprise, "算力券拨付时间", "请问算力券公示后多久拨付？", dt.date(2024, 10, 8),
                           channel="salon", measure_id="m07")
    voice.answer(session, gx, t.id, "公示期满后5个工作日内拨付。", dt.date(2024, 10, 10))
    voice.rate(session, enterprise, t.id, 5)
    voice.raise_ticket(session, enterprise, "用地手续咨询", "项目用地报批进度如何查询？", dt.date(2024, 10, 8),
                       channel="hearing", department="市发展改革委")
    return [name for name, *_ in ACCOUNTS]
