"""Tables for making the measures land (落实落地): commitments and their progress reports, the project
registry with its milestones, 一企一案 plans and four-zone cases, the published lists for private
capital, and the enterprise-voice channel. Money is integer fen, as everywhere.

Every record belongs to one policy (``policy_id``, migration 0008): two notices may both number a measure's
sentence c03, and each keeps its own registry, lists and voice channel, so one notice's figures never
count another's records.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.storage.models import Base, utcnow


class Commitment(Base):
    """One concrete commitment of a measure: the sentence it comes from, who owns it, when it is due."""

    __tablename__ = "commitments"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # <policy id>/<measure id>.c<NN> (commitments.key)
    policy_id: Mapped[str] = mapped_column(String(64))
    measure_id: Mapped[str] = mapped_column(String(8), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    sentence: Mapped[str] = mapped_column(Text)
    departments: Mapped[str] = mapped_column(Text)  # JSON list of department names
    due: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="not_started")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (CheckConstraint("status IN ('not_started', 'in_progress', 'done')", name="ck_commitment_status"),
                      Index("ix_commitments_policy", "policy_id"))

    @property
    def code(self) -> str:
        """The commitment's number within its policy, as people read it: ``<measure>.c03``."""
        return self.id.split("/", 1)[-1]


class CommitmentReport(Base):
    """A department's progress report on a commitment (never edited: the history)."""

    __tablename__ = "commitment_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commitment_id: Mapped[str] = mapped_column(String(40), ForeignKey("commitments.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_name: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Project(Base):
    """A project in the registry behind the measures that declare the project registry."""

    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # the registry's own number (one numbering for all notices)
    policy_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    investor: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18))  # the project company's 统一社会信用代码
    investor_origin: Mapped[str] = mapped_column(String(20))  # in_province / out_of_province / foreign
    district: Mapped[str | None] = mapped_column(String(6))
    park: Mapped[str | None] = mapped_column(String(100))
    zone: Mapped[str | None] = mapped_column(String(40))  # one of the four zones (四区), if in one
    chain: Mapped[str | None] = mapped_column(String(60))  # the "8+N" industrial chain
    total_investment_fen: Mapped[int] = mapped_column(BigInteger)
    annual_investment_fen: Mapped[int | None] = mapped_column(BigInteger)
    annual_fixed_asset_fen: Mapped[int | None] = mapped_column(BigInteger)  # excluding land
    equipment_fen: Mapped[int | None] = mapped_column(BigInteger)
    stage: Mapped[str] = mapped_column(String(16))  # reserve 储备 / preparation 前期 / started 开工 / operating 投产
    introduced_on: Mapped[dt.date | None] = mapped_column(Date)  # signed / introduced (引进) — counted by registry targets
    packaged: Mapped[bool] = mapped_column(Boolean, default=False)  # 策划包装的招商项目
    fits_park_leading_industry: Mapped[bool | None] = mapped_column(Boolean)
    technical_renovation: Mapped[bool] = mapped_column(Boolean, default=False)
    park_development_mode: Mapped[bool | None] = mapped_column(Boolean)  # 园中园
    in_mohan_border_park: Mapped[bool] = mapped_column(Boolean, default=False)
    measures: Mapped[str] = mapped_column(String(100), default="[]")  # JSON list of measure ids
    department: Mapped[str] = mapped_column(String(100))  # the department that keeps the entry
    service_officer: Mapped[str | None] = mapped_column(String(100))  # 一带一 service officer
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (
        CheckConstraint("total_investment_fen >= 0", name="ck_project_total"),
        CheckConstraint("annual_investment_fen IS NULL OR annual_investment_fen >= 0", name="ck_project_annual"),
        CheckConstraint("annual_fixed_asset_fen IS NULL OR annual_fixed_asset_fen >= 0", name="ck_project_fixed"),
        CheckConstraint("equipment_fen IS NULL OR equipment_fen >= 0", name="ck_project_equipment"),
        CheckConstraint("stage IN ('reserve', 'preparation', 'started', 'operating')", name="ck_project_stage"),
        CheckConstraint("investor_origin IN ('in_province', 'out_of_province', 'foreign')", name="ck_project_origin"),
        Index("ix_projects_policy", "policy_id"),
    )


class ProjectMilestone(Base):
    """A dated milestone of a project (立项, 用地, 开工, 投产 …)."""

    __tablename__ = "project_milestones"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due: Mapped[dt.date | None] = mapped_column(Date)
    done_on: Mapped[dt.date | None] = mapped_column(Date)


class ProjectPlanStep(Base):
    """A step of the project's 一企一案 service plan, with who does it and where it stands."""

    __tablename__ = "project_plan_steps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(300))
    responsible: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="todo")  # todo / doing / done


class ZoneCase(Base):
    """A project's application filed once and handled by the four zones together (一区申请、四区联办)."""

    __tablename__ = "zone_cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    filed_zone: Mapped[str] = mapped_column(String(40))
    matter: Mapped[str] = mapped_column(Text)
    filed_by: Mapped[str] = mapped_column(String(64))
    filed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ZoneCaseStatus(Base):
    """Each zone committee's own status on a four-zone case."""

    __tablename__ = "zone_case_statuses"
    case_id: Mapped[int] = mapped_column(ForeignKey("zone_cases.id"), primary_key=True)
    zone: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="received")  # received / processing / done / not_applicable
    note: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ListEntry(Base):
    """An entry of a published list for private capital: three kinds of project and REITs."""

    __tablename__ = "list_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # a list key of the policy's published_lists declaration
    name: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str | None] = mapped_column(String(100))
    district: Mapped[str | None] = mapped_column(String(6))
    investment_fen: Mapped[int | None] = mapped_column(BigInteger)
    contact: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(100))
    published_on: Mapped[dt.date | None] = mapped_column(Date)  # None: a draft, not public
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    __table_args__ = (
        CheckConstraint("investment_fen IS NULL OR investment_fen >= 0", name="ck_list_investment"),
        Index("ix_list_entries_policy", "policy_id"),
    )


class VoiceTicket(Base):
    """A problem an enterprise raises (三个听取 / 营商环境会客厅): routed, answered by a working-day
    deadline, rated, escalated when overdue."""

    __tablename__ = "voice_tickets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    raised_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    channel: Mapped[str] = mapped_column(String(20))  # online / salon (会客厅) / hearing (三个听取)
    subject: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    department: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open / answered / closed
    raised_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_on: Mapped[dt.date | None] = mapped_column(Date)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    rating: Mapped[int | None] = mapped_column(Integer)
    escalated_on: Mapped[dt.date | None] = mapped_column(Date)
    __table_args__ = (
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="ck_voice_rating"),
        CheckConstraint("status IN ('open', 'answered', 'closed')", name="ck_voice_status"),
        Index("ix_voice_tickets_policy", "policy_id"),
    )
