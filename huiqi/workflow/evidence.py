"""Evidence files: PDF and images only (by their first bytes, not their name), at most 10 MB,
stored once by SHA-256 under ``HUIQI_EVIDENCE_DIR`` (default ``var/evidence``).

Where a provision has a 申报材料清单 (``service.materials`` in its measure file), each file says which material it
is, and :func:`missing` names the required ones still without a file — submission waits for them."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from sqlalchemy.orm import Session

from huiqi.storage.models import Evidence
from huiqi.workflow import audit

MAX_BYTES = 10 * 1024 * 1024
SIGNATURES = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
# what a person reads for each kind of file (never a MIME type)
KIND_WORDS = {"application/pdf": ("PDF 文件", "PDF document"), "image/png": ("PNG 图片", "PNG image"),
              "image/jpeg": ("JPEG 图片", "JPEG image")}
# Material is added while the application is being prepared or reviewed (补充材料); once approved, what was
# approved is fixed: nothing is added during the public notice or after.
ACCEPTS_IN = ("draft", "submitted", "returned", "under_review")


def kind_words(content_type: str | None, lang: str = "zh") -> str:
    words = KIND_WORDS.get(content_type or "")
    return (words[0] if lang == "zh" else words[1]) if words else ("文件" if lang == "zh" else "file")


class EvidenceRejected(ValueError):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def sniff(data: bytes) -> str | None:
    return next((t for sig, t in SIGNATURES.items() if data.startswith(sig)), None)


def store_dir() -> Path:
    return Path(os.environ.get("HUIQI_EVIDENCE_DIR", "var/evidence"))


def store_bytes(data: bytes) -> str:
    """Check and store a file once under its SHA-256 (returned); refused: too big, or not PDF/PNG/JPEG."""
    if len(data) > MAX_BYTES:
        raise EvidenceRejected(413, f"file is larger than {MAX_BYTES // (1024 * 1024)} MB / 文件超过10MB")
    if sniff(data) is None:
        raise EvidenceRejected(415, "only PDF, PNG or JPEG files are accepted / 仅接受PDF、PNG、JPEG文件")
    digest = hashlib.sha256(data).hexdigest()
    target = path_of(digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(target)  # atomic: a half-written file never takes the hash's name
    return digest


def path_of(digest: str) -> Path:
    return store_dir() / digest[:2] / digest


def materials_of(app) -> list:
    """The 申报材料清单 of an application's provision (its own, else its measure's); empty when none is set."""
    from huiqi import policies

    measure = policies.load(app.policy_id).measure(app.measure_id)
    guide = measure.service_for(app.provision_id) if measure else None
    return list(guide.materials) if guide else []


def add(session: Session, actor: str, application_id: int, filename: str, data: bytes,
        material: str | None = None) -> Evidence:
    """Store a file for an application. Where its provision lists materials, ``material`` names which one the
    file is (one of the list's ids); a provision without a list takes files without one."""
    from huiqi.storage.models import Application

    app = session.get(Application, application_id)
    if app is not None and app.status not in ACCEPTS_IN:
        raise EvidenceRejected(409, "material is added only before approval / 申请已审核通过或已办结，不能再补充材料")
    listed = materials_of(app) if app is not None else []
    material = (material or "").strip() or None
    if listed and material not in {m.id for m in listed}:
        names = "、".join(m.zh for m in listed)
        raise EvidenceRejected(422, f"material: choose which listed material the file is / 请选择材料类别（{names}）")
    if not listed and material is not None:
        raise EvidenceRejected(422, "material: this provision lists no materials / 本事项未列申报材料清单，无需选择材料类别")
    digest = store_bytes(data)
    content_type = sniff(data)
    row = Evidence(application_id=application_id, sha256=digest, filename=Path(filename).name[:200] or "file",
                   content_type=content_type, size=len(data), material=material)
    session.add(row)
    session.flush()
    audit.append(session, actor, "evidence.add", f"application/{application_id}", "ok",
                 {"sha256": digest, "size": len(data), "material": material})
    return row


def missing(session: Session, app) -> list:
    """The required materials of ``app``'s list that have no uploaded file yet, in the list's order."""
    from sqlalchemy import select

    listed = [m for m in materials_of(app) if m.required]
    if not listed:
        return []
    have = set(session.execute(select(Evidence.material).where(Evidence.application_id == app.id)).scalars())
    return [m for m in listed if m.id not in have]
