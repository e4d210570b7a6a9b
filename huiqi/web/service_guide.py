"""办事指南 on the pages: a provision's 申报材料清单, 办理时限 and contact, from its measure file's ``service``.

One view for the three places that show it (the public measure page, the calculator's benefit card and the
enterprise's application page), registered as the template global ``service_guide``. Where the text and the
configuration are silent the page says 「以主管部门通知为准」 and names the lead departments; a configured list is
marked as the platform's configuration, never presented as the department's own words.
"""

from __future__ import annotations

from typing import Any

from huiqi import policies
from huiqi.web.i18n import add
from huiqi.web.render import ENV
from huiqi.workflow.evidence import KIND_WORDS, MAX_BYTES

add({
    "guide.title": ("办事指南", "How to apply"),
    "guide.materials": ("申报材料清单", "Materials to submit"),
    "guide.time_limit": ("办理时限", "Processing time limit"),
    "guide.contact": ("咨询电话 / 受理窗口", "Enquiries / where to apply"),
    "guide.phone": ("咨询电话：{phone}", "Telephone: {phone}"),
    "guide.window": ("受理窗口：{window}", "Office: {window}"),
    "guide.days": ("{n}个工作日", "{n} working days"),
    "guide.by_notice": ("以主管部门通知为准（牵头单位：{depts}）", "As the lead department announces ({depts})"),
    "guide.configured": ("平台配置，待主管部门公布", "Set by the platform; pending the department's announcement"),
    "guide.from_text": ("政策原文规定", "Stated by the policy text"),
    "guide.required": ("必需", "required"),
    "guide.optional": ("可选", "optional"),
    "guide.uploaded": ("已上传", "uploaded"),
    "guide.not_uploaded": ("未上传", "not uploaded"),
    "guide.proves": ("证明：{what}", "Proves: {what}"),
    "guide.accepts": ("可上传{kinds}，每个不超过 {mb} MB。", "{kinds} accepted, at most {mb} MB each."),
    "guide.material_field": ("材料类别", "Which material"),
    "guide.missing": ("提交前还须上传：{names}", "Before submitting, upload: {names}"),
})


def accepted_kinds(lang: str = "zh") -> str:
    """The accepted file types in people's words (「PDF 文件、PNG 图片、JPEG 图片」), never MIME types."""
    words = [w[0] if lang == "zh" else w[1] for w in KIND_WORDS.values()]
    return "、".join(words) if lang == "zh" else ", ".join(words)


def service_guide(policy: Any, provision_id: str) -> dict[str, Any] | None:
    """What a page shows of a provision's 办事指南; ``policy`` is a loaded policy or a policy id (None: default)."""
    if policy is None or isinstance(policy, str):
        try:
            policy = policies.load(policy or None)
        except policies.UnknownPolicy:
            return None
    measure = policy.measure(provision_id.split(".")[0])
    provision = measure.provision(provision_id) if measure else None
    if provision is None:
        return None
    guide = measure.service_for(provision_id)
    leads = [d for d in measure.lead_departments if d.role == "lead"] or list(measure.lead_departments)
    conditions = {c.id: c for c in provision.conditions}
    materials = [{"id": m.id, "zh": m.zh, "en": m.en, "required": m.required,
                  "proves_zh": "；".join(conditions[c].zh for c in m.proves if c in conditions),
                  "proves_en": "; ".join(conditions[c].en for c in m.proves if c in conditions)}
                 for m in (guide.materials if guide else [])]
    return {"source": guide.source if guide else None, "materials": materials,
            "days": guide.time_limit_working_days if guide else None,
            "phone": guide.phone if guide else None, "window": guide.window if guide else None,
            "depts_zh": "、".join(d.name for d in leads), "depts_en": ", ".join(d.words("en") for d in leads),
            "citation": list(guide.citation) if guide else [], "mb": MAX_BYTES // (1024 * 1024),
            "kinds_zh": accepted_kinds("zh"), "kinds_en": accepted_kinds("en")}


ENV.globals["service_guide"] = service_guide
