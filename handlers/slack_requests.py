"""`POST /slack/events`: Bolt is handed only a body it can read, so nothing signed gets a 500.

Bolt parses a body before it checks its signature and assumes the result is Slack's: a body
that is not UTF-8 or not JSON, a `payload` that is not a JSON object, an `event` that is not an
object, nesting past Python's recursion limit — each raises inside Bolt or aiohttp and is
answered 500, which Slack takes for an outage and retries (for an event, until it gives up and
the message is lost). And Bolt reads a form whose text merely contains the word "payload"
(`/incident note the payload was truncated`) as an empty body. So this route reads first:

- not UTF-8 (the signature is over text) → 400; not signed with the app's secret → 401, as
  Bolt answers; either before anything is parsed;
- signed, but no body Slack sends (not JSON, JSON that is not an object) → 400 with the reason;
- signed, Slack's kind of body that can never be handled (a `payload` that is not a JSON object,
  an event that is not one, a shape Bolt cannot read, a type no listener takes) → 200, so Slack
  stops retrying, logged as `slack_request_unreadable` with the reason;
- anything else → Bolt, whose 500 (the database is down) stays a 500 so Slack retries.
"""

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl

import structlog
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

log = structlog.get_logger(__name__)


class NotSlacks(ValueError):
    """A body Slack never sends: refused with 400."""


class CannotHandle(ValueError):
    """A body of Slack's kind that no retry can make readable: acknowledged and logged."""


def read_body(text: str, content_type: str) -> dict[str, Any]:
    """The body as Bolt should see it: a JSON object, a `payload` form's object, or the form."""
    if content_type == "application/json" or text.startswith("{"):
        return _with_event(_json_object(text, "the body", NotSlacks))
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in form:
        return _json_object(form["payload"], "the payload", CannotHandle)
    return form


def _json_object(text: str, what: str, problem: type[ValueError]) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise problem(f"{what} is not JSON ({error})") from None
    except RecursionError:
        raise problem(f"{what} nests too deeply to read") from None
    if not isinstance(value, dict):
        raise problem(f"{what} is JSON but not an object")
    return value


def _with_event(body: dict[str, Any]) -> dict[str, Any]:
    """An event callback's `event` is an object with a type: Bolt's middleware assumes so."""
    if body.get("type") == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise CannotHandle("an event_callback whose event is not an object with a type")
    return body


def bolt_request(request: web.Request, text: str, body: dict[str, Any]) -> AsyncBoltRequest:
    """Bolt's request for `body`, read as `read_body` read it.

    Bolt would parse the text again (a checkbox click carries the whole message: the parse
    costs a millisecond and more), and it reads a form as a `payload` form whenever the text
    "payload" occurs anywhere in it, then finds no `payload` field and sees an empty body. So
    it is given an empty body, then the text (for its signature check) and what was read.
    """
    headers: dict[str, str | Sequence[str]] = dict(request.headers.items())
    made = AsyncBoltRequest(body="", query=request.query_string, headers=headers)
    made.raw_body = text
    made.body = body
    made.context = build_async_context(AsyncBoltContext({}), body)
    return made


def _acknowledged(reason: str) -> web.Response:
    log.warning("slack_request_unreadable", reason=reason)
    return web.Response(status=200)


def _refused(status: int, reason: str) -> web.Response:
    log.warning("slack_request_refused", status=status, reason=reason)
    return web.json_response({"error": reason}, status=status)


def register(app: web.Application, bolt: web.AppKey[AsyncApp], signing_secret: str) -> None:
    verifier = SignatureVerifier(signing_secret)

    def is_signed(request: web.Request, text: str) -> bool:
        """Signed with the app's secret within five minutes; a timestamp not a number is not."""
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        return timestamp.isdigit() and verifier.is_valid(text, timestamp, signature)

    async def slack_events(request: web.Request) -> web.Response:
        try:
            text = (await request.read()).decode("utf-8")
        except UnicodeDecodeError:
            return _refused(400, "the body is not UTF-8")
        if not is_signed(request, text):
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            body = read_body(text, request.content_type)
        except NotSlacks as error:
            return _refused(400, str(error))
        except CannotHandle as error:
            return _acknowledged(str(error))
        try:
            made = bolt_request(request, text, body)
        except Exception as error:  # building it parses a signed body and does nothing else
            return _acknowledged(f"Bolt cannot read it ({type(error).__name__}: {error})")
        answer = await request.app[bolt].async_dispatch(made)
        if answer.status == 404:
            return _acknowledged(f"no listener takes it (type {body.get('type')!r})")
        return await to_aiohttp_response(answer)

    app.router.add_post("/slack/events", slack_events)
