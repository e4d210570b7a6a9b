"""Refuse oversized or over-deep request bodies before anything parses them.

A pure ASGI middleware: it reads the body (up to the limit), checks its size and
nesting depth, and replays it to the app. Why here: JSON parsers recurse, and a
body of 100,000 nested brackets would otherwise end in a server error.
"""

from __future__ import annotations

import json

MAX_BODY_BYTES = 1_000_000
MAX_UPLOAD_BYTES = 11 * 1024 * 1024  # evidence files (10 MB) plus the multipart envelope
MAX_DEPTH = 32


def json_depth(body: bytes) -> int:
    """Deepest nesting of [ and { outside strings (a cheap scan, no parsing)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in body.decode("utf-8", errors="replace"):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _error(code: str, zh: str, en: str) -> bytes:
    return json.dumps({"error": {"code": code, "message_zh": zh, "message_en": en, "field": "body"}}, ensure_ascii=False).encode()


def _page_too_large(limit: int) -> bytes:
    mb = limit // (1024 * 1024)
    return (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f'<title>文件过大 / Too large</title><link rel="stylesheet" href="/static/huiqi.css"><main>'
            f'<h1>上传内容过大</h1><p role="alert" class="notice error">上传的文件超过 {mb} MB，未保存任何内容。'
            f'The upload is larger than {mb} MB; nothing was stored.</p><p><a href="/">返回首页 / Home</a></p>'
            f'</main></html>').encode()


class BodyLimitMiddleware:
    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES, max_depth: int = MAX_DEPTH):
        self.app, self.max_bytes, self.max_depth = app, max_bytes, max_depth

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
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
        if not is_upload and json_depth(body) > self.max_depth:
            return await self._reply(send, 422, _error("body_too_deep", f"请求体嵌套超过 {self.max_depth} 层", f"request body is nested deeper than {self.max_depth} levels"))
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    @staticmethod
    async def _reply(send, status: int, body: bytes, content_type: bytes = b"application/json") -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
