"""Files in and out of the pages: Excel downloads, evidence downloads, uploaded bytes — one way each.

A download names itself twice in Content-Disposition: an ASCII fallback and the Chinese name
(``filename*=UTF-8''…``). Exports are never cached (the figures change); evidence is private.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi.responses import FileResponse, Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ascii(name: str, fallback: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name) or fallback


def _disposition(name: str, ascii_name: str | None = None) -> str:
    ascii_name = ascii_name or _ascii(name, "download")
    if ascii_name == name:
        return f'attachment; filename="{ascii_name}"'
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def xlsx(data: bytes, name: str, ascii_name: str | None = None) -> Response:
    """An Excel workbook as a download called ``name`` (``ascii_name`` for old clients)."""
    return Response(data, media_type=XLSX, headers={"Content-Disposition": _disposition(name, ascii_name),
                                                    "Cache-Control": "no-store"})


def evidence(path: Path, name: str, content_type: str) -> FileResponse:
    """A stored evidence file, downloaded under its original name; never sniffed, never cached."""
    return FileResponse(path, media_type=content_type, headers={
        "Content-Disposition": _disposition(name, _ascii(name, "evidence")),
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


async def uploaded(form, field: str = "file", limit: int | None = None) -> tuple[str, bytes]:
    """(file name, bytes) of an uploaded file field; ("", b"") when none was chosen."""
    upload = form.get(field)
    if upload is None or isinstance(upload, str) or not hasattr(upload, "read"):
        return "", b""
    data = await (upload.read(limit) if limit is not None else upload.read())
    return Path(upload.filename or "file").name, data
