"""Interface text in Simplified Chinese (the default) and English, chosen per visitor.

Each page module adds its own messages with :func:`add`, so page families never edit one shared
table. The language comes from ``?lang=`` (remembered in a cookie), then the cookie, then Chinese.

No message names a policy: ``{policy_title}``, ``{policy_issuer}``, ``{policy_region}`` and
``{policy_year}`` in a message are filled from the policy's header (:func:`policy_values`).
"""

from __future__ import annotations

from fastapi import Request

from huiqi.messages import LANGS, MESSAGES, add  # the one catalogue; pages register their text into it

__all__ = ["LANGS", "MESSAGES", "add", "department", "lang_of", "policy_values", "translate"]
COOKIE = "huiqi_lang"


def lang_of(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    kept = request.cookies.get(COOKIE)
    return kept if kept in LANGS else "zh"


def policy_values(lang: str, policy=None) -> dict[str, object]:
    """The policy's identity for messages, in ``lang``: its title, issuer, region and year of issue."""
    if policy is None:
        from huiqi import policies

        policy = policies.load()
    h = policy.header
    if lang == "en":
        return {"policy_title": h.title_en, "policy_issuer": h.issuer_en, "policy_region": h.region_en or "",
                "policy_year": h.general.issued.year}
    return {"policy_title": h.title_zh, "policy_issuer": h.issuer_zh, "policy_region": h.region_zh or "",
            "policy_year": h.general.issued.year}


def department(name: str | None, lang: str) -> str:
    """A department stored by its Chinese name, in ``lang``: the English a served policy gives it
    (``departments_en``, as :meth:`Department.words`), else the name as stored."""
    if not name or lang != "en":
        return name or ""
    from huiqi import policies

    for policy in policies.catalogue():
        found = policy.header.departments_en.get(name)
        if found:
            return found
    return name


def translate(key: str, lang: str, **values) -> str:
    """The message in ``lang``; an unknown key shows itself (a visible gap, never a crash)."""
    pair = MESSAGES.get(key)
    text = key if pair is None else pair[1 if lang == "en" else 0]
    if "{policy_" in text:
        values = {**policy_values(lang), **values}
    return text.format(**values) if values else text


add({
    "site.name": ("惠企", "huiqi"),
    "site.tagline": ("{policy_region}{policy_title} · 政策兑现平台", "{policy_title} · benefits platform"),
    "nav.catalogue": ("政策目录", "Measures"),
    "nav.calculator": ("政策计算器", "Benefit calculator"),
    "nav.notices": ("公示", "Public notice"),
    "nav.dashboard": ("数据看板", "Dashboard"),
    "nav.portal": ("我的企业", "My enterprise"),
    "nav.review": ("审核工作台", "Review"),
    "nav.admin": ("系统管理", "Administration"),
    "nav.lists": ("推介清单", "Project lists"),
    "nav.voice": ("政企沟通", "Enterprise voice"),
    "nav.commitments": ("督办台账", "Commitments"),
    "nav.projects": ("项目库", "Projects"),
    "nav.login": ("登录", "Sign in"),
    "nav.logout": ("退出", "Sign out"),
    "nav.main": ("主导航", "Main navigation"),
    "lang.switch": ("English", "中文"),
    "login.title": ("登录", "Sign in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.demo": ("演示账户（由 huiqi demo 创建）：{accounts}；密码 {password}",
                   "Demo accounts (created by huiqi demo): {accounts}; password {password}"),
    "error.title": ("系统提示", "Notice"),
    "colon": ("：", ": "),  # between a label and its value
    "error.403": ("无权访问：此事项不属于您的职责范围", "Not allowed: this is outside your responsibilities"),
    "error.404": ("未找到该页面", "Page not found"),
    "error.back": ("返回首页", "Back to the home page"),
    "csrf.bad": ("表单已过期，请刷新页面后重试", "The form has expired; reload the page and try again"),
    "role.applicant": ("企业/个人", "Applicant"),
    "role.reviewer": ("审核员", "Reviewer"),
    "role.finance": ("财政", "Finance"),
    "role.admin": ("管理员", "Administrator"),
    "footer.source": ("依据：{policy_issuer}印发的《{policy_title}》（{policy_year}年）；以原文为准。",
                      "Source: {policy_title}, issued by the {policy_issuer} ({policy_year}); the Chinese original prevails."),
    "feature.absent": ("本政策未设此项服务", "This policy does not provide this service"),
})
