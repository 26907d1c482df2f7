"""Reading Web API arguments the way Slack does, whatever encoding the client chose.

slack_sdk sends some methods as form fields (every value a string, lists as JSON text) and
others as a JSON body (real lists and booleans), plus the query string for GET-style calls. The
handlers read arguments through :class:`Params` so they never care which one arrived.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

JSON = dict[str, Any]


class ApiError(Exception):
    """A Web API error answer: ``{"ok": false, "error": ...}`` plus optional extra fields."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> JSON:
        return {"ok": False, "error": self.error, **self.extra}


class Params:
    def __init__(self, values: JSON) -> None:
        self.values = values

    def opt(self, key: str) -> str | None:
        value = self.values.get(key)
        if value is None or value == "":
            return None
        return value if isinstance(value, str) else str(value)

    def text(self, key: str, error: str = "invalid_arguments") -> str:
        value = self.opt(key)
        if value is None:
            raise ApiError(error, response_metadata={"messages": [f"[ERROR] missing '{key}'"]})
        return value

    def flag(self, key: str) -> bool:
        value = self.values.get(key)
        if isinstance(value, bool):
            return value
        return str(value).lower() in {"1", "true"}

    def integer(self, key: str, default: int) -> int:
        value = self.values.get(key)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError("invalid_arguments") from None

    def json_list(self, key: str, error: str = "invalid_arguments") -> list[JSON] | None:
        value = self._decoded(key, error)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ApiError(error)
        return value

    def json_obj(self, key: str, error: str = "invalid_arguments") -> JSON | None:
        value = self._decoded(key, error)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ApiError(error)
        return value

    def _decoded(self, key: str, error: str) -> Any:
        value = self.values.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise ApiError(error) from None
        return value

    def loggable(self) -> JSON:
        """The arguments as recorded in the call log, decoded where they were JSON text."""
        out: JSON = {}
        for key, value in self.values.items():
            if isinstance(value, str) and value[:1] in "[{":
                try:
                    out[key] = json.loads(value)
                    continue
                except json.JSONDecodeError:
                    pass
            out[key] = value
        return out


async def body_params(request: web.Request) -> dict[str, Any]:
    """Arguments from a JSON or form body; file parts are ignored (uploads have their own URL)."""
    if not request.can_read_body:
        return {}
    if request.content_type == "application/json":
        raw = await request.read()
        value = json.loads(raw) if raw else {}
        return value if isinstance(value, dict) else {}
    form = await request.post()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def multipart_file(request: web.Request) -> bytes:
    form = await request.post()
    for value in form.values():
        if isinstance(value, web.FileField):
            return value.file.read()
    return b""
