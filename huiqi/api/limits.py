"""Refuse oversized or over-deep request bodies before anything parses them.

A pure ASGI middleware: it reads the body (up to the limit), checks its size and
nesting depth, and replays it to the app; an API body that is neither JSON nor a multipart upload is a
415. Why here: JSON parsers recurse, and a
body of 100,000 nested brackets would otherwise end in a server error. Text holding a NUL character (U+0000)
is refused here too, in the path, the query, a JSON body or a form, naming the field: PostgreSQL cannot store
it in a text column (psycopg raises), so it would otherwise be a server error on PostgreSQL only.
"""

from __future__ import annotations

import html
import json
import re
from urllib.parse import parse_qsl

from huiqi import messages

messages.add({"request.nul": ("{field}含有空字符（U+0000），无法保存，未处理该请求",
                              "{field} contains a NUL character (U+0000), which cannot be stored; nothing was done"),
              "request.nul_any": ("提交的内容含有空字符（U+0000），无法保存，未处理该请求",
                                  "the submitted text contains a NUL character (U+0000), which cannot be stored; nothing was done")})

MAX_BODY_BYTES = 1_000_000
MAX_UPLOAD_BYTES = 11 * 1024 * 1024  # evidence files (10 MB) plus the multipart envelope
MAX_DEPTH = 32


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)  # a terminated JSON string, its escapes included
_KEEP = b'[]{}"'
_DROP = bytes(b for b in range(256) if b not in _KEEP)
_SQUARE = bytes.maketrans(b"{}", b"[]")


def json_depth(body: bytes) -> int:
    """Deepest nesting of [ and { outside strings (a cheap scan, no parsing). The strings, then every byte that
    is not a bracket, are dropped by C-level passes (a regular expression, ``bytes.translate``) and only the
    brackets left are counted in Python, where a scan of every character cost 40 µs for a 1 kB profile.
    A quote left over opens an unterminated string, which hides the rest."""
    brackets = _STRING.sub(b"", body).translate(None, _DROP).split(b'"', 1)[0].translate(_SQUARE)
    depth = deepest = 0
    for ch in brackets:
        if ch == 91:  # [ or {
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def too_deep(body: bytes, limit: int) -> bool:
    """:func:`json_depth` above ``limit``; a body with no more openers than that cannot be, and is not scanned."""
    return body.count(b"[") + body.count(b"{") > limit and json_depth(body) > limit


def nul_field(value, path: str = "") -> str | None:
    """The dotted path of the first key or text holding U+0000 in a parsed JSON value, or None."""
    if isinstance(value, str):
        return path or "body" if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        here = f"{path}.{key}" if path else str(key)
        if "\x00" in str(key):
            return here
        found = nul_field(item, here)
        if found:
            return found
    return None


def _nul_in_request(scope, body: bytes, content_type: str, is_upload: bool) -> str | None:
    """Where a NUL character arrives: the path, a query parameter, a JSON or a form field, a multipart form's
    text fields (its files are bytes, read by their own readers)."""
    if "\x00" in scope.get("path", ""):
        return "path"
    query = scope.get("query_string", b"")
    form = content_type.startswith("application/x-www-form-urlencoded")
    if not _may_hold_nul(query, b"%00") and not (form and _may_hold_nul(body, b"%00")):
        pairs = []  # the common case, found by two C-level searches instead of parsing
    else:
        pairs = parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True)
        if form:
            pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    if body and is_upload:
        for name, value in _multipart_text_fields(body, content_type):
            if "\x00" in name or b"\x00" in value:
                return name.replace("\x00", "") or "body"
        return None
    if body and not is_upload and _is_json(content_type) and _may_hold_nul(body, b"\\u0000"):
        try:
            return nul_field(json.loads(body))
        except ValueError:  # not JSON: the route's own validation answers
            return None
    return None


def _may_hold_nul(raw: bytes, escaped: bytes) -> bool:
    """Whether ``raw`` can carry U+0000 at all: as the byte itself or as its escape (``%00`` in a query or a
    form, ``\\u0000`` in JSON, which allows no other spelling of it). When not, nothing needs parsing."""
    return b"\x00" in raw or escaped in raw


def _multipart_text_fields(body: bytes, content_type: str):
    """(name, value) of each text field of a multipart body; file parts are skipped (their bytes are the file's,
    read by their own readers). A body that does not parse yields nothing: the route's own parser answers."""
    from python_multipart.multipart import parse_options_header

    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        return
    for part in body.split(b"--" + boundary)[1:]:
        head, sep, value = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        disposition = next((line for line in head.split(b"\r\n") if line.lower().startswith(b"content-disposition:")), b"")
        _, params = parse_options_header(disposition.split(b":", 1)[1] if disposition else b"")
        if b"filename" in params or b"filename*" in params:
            continue
        yield params.get(b"name", b"").decode("utf-8", "replace"), value.removesuffix(b"\r\n")


def _error(code: str, zh: str, en: str, field: str = "body") -> bytes:
    return json.dumps({"error": {"code": code, "message_zh": zh, "message_en": en, "field": field}}, ensure_ascii=False).encode()


def _page_refused(zh: str, en: str) -> bytes:
    return (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f'<title>无法处理 / Refused</title><link rel="stylesheet" href="/static/huiqi.css"><main>'
            f'<h1>提交的内容无法处理</h1><p role="alert" class="notice error">{html.escape(zh)}</p>'
            f'<p lang="en">{html.escape(en)}</p><p><a href="/">返回首页 / Home</a></p></main></html>').encode()


def _page_too_large(limit: int) -> bytes:
    mb = limit // (1024 * 1024)
    return (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f'<title>文件过大 / Too large</title><link rel="stylesheet" href="/static/huiqi.css"><main>'
            f'<h1>上传内容过大</h1><p role="alert" class="notice error">上传的文件超过 {mb} MB，未保存任何内容。'
            f'The upload is larger than {mb} MB; nothing was stored.</p><p><a href="/">返回首页 / Home</a></p>'
            f'</main></html>').encode()


def _is_json(content_type: str) -> bool:
    """A JSON body, or one without a type (FastAPI reads an untyped body as JSON)."""
    kind = content_type.split(";", 1)[0].strip()
    return kind in ("", "application/json") or kind.endswith("+json")


class BodyLimitMiddleware:
    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_DEPTH):
        self.app, self.max_bytes, self.max_depth = app, max_bytes, max_depth

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            if await self._refused_nul(scope, send, b"", "", False):
                return
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        # uploads (evidence, Excel registries) may be as large as an evidence file; other bodies are small
        is_upload = content_type.startswith("multipart/form-data")
        limit = MAX_UPLOAD_BYTES if is_upload else self.max_bytes
        chunks, size = [], 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                if not scope["path"].startswith("/api/"):  # a page's form: answer with a page, not JSON
                    return await self._reply(send, 413, _page_too_large(limit), b"text/html; charset=utf-8")
                return await self._reply(send, 413, _error("body_too_large", f"请求体超过 {limit} 字节", f"request body is larger than {limit} bytes"))
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if scope["path"].startswith("/api/") and body and not is_upload and not _is_json(content_type):
            return await self._reply(send, 415, _error("unsupported_media_type", "请以 application/json 发送请求体",
                                                       "send the body as application/json"))
        if not is_upload and too_deep(body, self.max_depth):
            return await self._reply(send, 422, _error("body_too_deep", f"请求体嵌套超过 {self.max_depth} 层", f"request body is nested deeper than {self.max_depth} levels"))
        if await self._refused_nul(scope, send, body, content_type, is_upload):
            return
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    async def _refused_nul(self, scope, send, body: bytes, content_type: str, is_upload: bool) -> bool:
        """Answer 422 (a page for a page) when the request carries a NUL character; True when it did."""
        field = _nul_in_request(scope, body, content_type, is_upload)
        if field is None:
            return False
        from huiqi.errors import field_label

        loc = [int(p) if p.isdigit() else p for p in field.split(".")]
        zh, en = field_label(loc, "zh"), field_label(loc, "en")
        if zh and not zh.startswith("「"):
            zh, en = messages.text("request.nul", "zh", field=zh), messages.text("request.nul", "en", field=en)
        else:  # a field without words of its own: its identifier goes in "field" only, never into a sentence
            zh, en = messages.both("request.nul_any")
        if scope["path"].startswith("/api/"):
            await self._reply(send, 422, _error("invalid_text", zh, en, field))
        else:
            await self._reply(send, 400, _page_refused(zh, en), b"text/html; charset=utf-8")
        return True

    @staticmethod
    async def _reply(send, status: int, body: bytes, content_type: bytes = b"application/json") -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
