"""SlackStandIn: a local HTTP server that answers the bot the way Slack's Web API does.

The bot talks to it with the real ``AsyncWebClient(base_url=standin.api_url)`` and Bolt's
``respond()``; tests read the resulting workspace state directly and wait on it with
:meth:`SlackStandIn.wait_for` instead of sleeping, because the bot acks first and works later.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Self

from aiohttp import web

from bot.demo.standin.events import EventBus, envelope
from bot.demo.standin.methods import METHODS
from bot.demo.standin.methods_chat import CHAT_METHODS
from bot.demo.standin.methods_conversations import CONVERSATION_METHODS
from bot.demo.standin.outage import UNAVAILABLE_STATUS, drop_connection, unavailable_body
from bot.demo.standin.params import ApiError, Params, body_params, multipart_file
from bot.demo.standin.records import Call, Delivery, Fault, Outage, OutageMode, ResponseUrl
from bot.demo.standin.responses import handle_response_url
from bot.demo.standin.scopes import check_scopes, scopes_header
from bot.demo.standin.socket_mode import SocketModeServer
from bot.demo.standin.state import JSON, Workspace
from bot.slack.scopes import BOT_SCOPES

HANDLERS = {**METHODS, **CONVERSATION_METHODS, **CHAT_METHODS}
DELIVERY_TIMEOUT = 3.0
RATE_WINDOW = 60.0
log = logging.getLogger(__name__)


class SlackStandIn(Workspace):
    """A Slack workspace served over HTTP on 127.0.0.1, with fault injection and event delivery.

    ``now`` gives wall-clock seconds for message timestamps and expiries; ``monotonic`` measures
    durations (outages, rate-limit windows). Tests pass scripted clocks instead of sleeping.
    """

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-standin",  # noqa: S107 - fake credential for local tests
        app_token: str = "xapp-standin",  # noqa: S107 - fake, like bot_token
        signing_secret: str = "standin-secret",  # noqa: S107 - fake, like bot_token
        events_url: str | None = None,
        now: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        rate_limits: Mapping[str, int] | None = None,
        emit_bot_message_events: bool = True,
        system_messages: bool = True,
        delivery_timeout: float = DELIVERY_TIMEOUT,
        scopes: Iterable[str] = BOT_SCOPES,
    ) -> None:
        super().__init__(
            now=now,
            emit_bot_message_events=emit_bot_message_events,
            system_messages=system_messages,
        )
        self.bot_token = bot_token
        self.tokens: dict[str, frozenset[str]] = {bot_token: frozenset(scopes)}
        """Each token Slack accepts → the scopes it was granted (the bot's: every scope the
        manifest asks for, unless `scopes` says otherwise); see `add_token`."""
        self.monotonic = monotonic
        self.socket_mode = SocketModeServer(app_token, self.app_id)
        self.signing_secret = signing_secret
        self.events_url = events_url
        self.rate_limits = dict(rate_limits or {})
        self.calls: list[Call] = []
        self.upload_tokens: dict[str, str] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.bus = EventBus(signing_secret, timeout=delivery_timeout, notify=self.changed)
        self._faults: list[Fault] = []
        self._held: dict[str, asyncio.Event] = {}
        self.held_calls: Counter[str] = Counter()
        """How many calls of each held method arrived while it was held (see `hold`)."""
        self.interrupt: Callable[[str, str], bool] | None = None
        """Called with (method, "before") before a Web API call is applied and (method,
        "after") once it is; True cuts the connection there, unanswered — what a client that
        died at that moment (or a network that broke) sees. Crash tests kill the bot in it."""
        self._outage: Outage | None = None
        self._recent: dict[str, deque[float]] = {}
        self._change = asyncio.Event()
        self._captured: list[JSON] | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._host = "127.0.0.1"

    @property
    def deliveries(self) -> list[Delivery]:
        return self.bus.deliveries

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the stand-in is not started")
        return f"http://{self._host}:{self._port}"

    @property
    def api_url(self) -> str:
        """The ``base_url`` for slack_sdk clients (it needs the trailing slash)."""
        return f"{self.base_url}/api/"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(client_max_size=1024**3)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/v1/{token}", self._upload)
        app.router.add_post("/response/{token}", self._response)
        self.socket_mode.route(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self._host, self._port = host, int(self._runner.addresses[0][1])
        self.bus.open()

    async def stop(self, grace: float = 5.0) -> None:
        """Finish (or after ``grace`` seconds cancel) deliveries, then shut the server down."""
        await self.bus.close(grace)
        await self.socket_mode.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def changed(self) -> None:
        self._change.set()
        self._change = asyncio.Event()

    def emit(self, event: JSON) -> None:
        if self._captured is not None:
            self._captured.append(event)
            return
        self.bus.spawn(self.events_url, f"event:{event['type']}", envelope(self, event))

    @contextmanager
    def capturing(self) -> Iterator[list[JSON]]:
        """Collect emitted events instead of delivering them, for a caller that awaits them."""
        captured: list[JSON] = []
        previous, self._captured = self._captured, captured
        try:
            yield captured
        finally:
            self._captured = previous

    async def drain(self) -> None:
        """Wait for every background delivery to the bot, including ones they set off."""
        await self.bus.drain()

    def inject(
        self,
        method: str,
        error: str = "ratelimited",
        *,
        status: int | None = None,
        retry_after: int = 1,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        ``ratelimited`` answers HTTP 429 with ``Retry-After``; any other error answers HTTP 200
        ``{"ok": false, "error": error}``; ``status=500``/``503`` answers a server error.
        """
        code = status if status is not None else (429 if error == "ratelimited" else 200)
        self._faults.append(Fault(method, error, code, retry_after, times))

    def hold(self, method: str) -> asyncio.Event:
        """Leave calls of ``method`` (a Web API method, or ``response_url``) unanswered until
        the returned event is set: Slack slow to answer one thing, the rest answered as usual.
        The calls are then applied and answered as if they had just arrived."""
        return self._held.setdefault(method, asyncio.Event())

    async def _wait_if_held(self, method: str) -> None:
        held = self._held.get(method)
        if held is not None and not held.is_set():
            self.held_calls[method] += 1
            self.changed()
            await held.wait()

    def outage(self, seconds: float | None = None, mode: OutageMode = "http_503") -> None:
        """Take Slack down for ``seconds`` on :attr:`monotonic` (None: until :meth:`end_outage`).

        Every Web API method, upload URL and response_url fails, before any token check:
        ``http_503`` answers HTTP 503 ``{"ok": false, "error": "service_unavailable"}``;
        ``refused`` resets the connection unanswered (the client sees ECONNRESET). Nothing
        is applied either way, and each attempt is logged in :attr:`calls` (status None when
        refused). Slack comes back by itself once the clock has moved ``seconds`` on.
        """
        self._outage = Outage(mode, self.monotonic(), seconds)
        self.changed()

    def end_outage(self) -> None:
        """Bring Slack back now, whatever the outage's planned length."""
        self._outage = None
        self.changed()

    @property
    def is_down(self) -> bool:
        """Whether an outage is on at this moment of :attr:`monotonic`."""
        return self._current_outage() is not None

    def _current_outage(self) -> Outage | None:
        if self._outage is not None and self._outage.is_over(self.monotonic()):
            self._outage = None
        return self._outage

    def add_token(self, token: str, scopes: Iterable[str]) -> None:
        """Accept `token` too, granted only `scopes`: an app installed without some of them."""
        self.tokens[token] = frozenset(scopes)

    def new_response_url(self, channel: str, user: str, *, message_ts: str | None = None) -> str:
        """A response_url for an interaction in ``channel`` by ``user``.

        Pass ``message_ts`` when the interaction came from a channel message, so that
        ``replace_original``/``delete_original`` act on that message.
        """
        found = self.channel(channel)
        if found is None:
            raise KeyError(f"no channel {channel!r} in the stand-in workspace")
        token = secrets.token_urlsafe(16)
        url = ResponseUrl(token, found.id, self.resolve_user(user), message_ts, self.now())
        self.response_urls[token] = url
        return f"{self.base_url}/response/{token}"

    def new_trigger_id(self) -> str:
        trigger = f"{self.unix()}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
        self.trigger_ids[trigger] = self.now()
        return trigger

    async def wait_for(
        self,
        predicate: Callable[[SlackStandIn], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline per call is the point of wait_for
    ) -> None:
        """Return once ``predicate(self)`` holds, re-checking after every state change.

        The bot acks requests at once and does its work in the background, so tests wait for
        the state they expect rather than sleeping. A ``Workspace`` predicate works too. On
        timeout the TimeoutError lists the last API calls and deliveries, which usually shows
        what the bot did instead.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate(self):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._timeout_report(predicate, timeout))
            try:
                await asyncio.wait_for(self._change.wait(), remaining)
            except TimeoutError:
                continue

    def _timeout_report(self, predicate: Callable[..., bool], timeout: float) -> str:
        code = getattr(predicate, "__code__", None)
        where = f" ({code.co_filename}:{code.co_firstlineno})" if code else ""
        name = getattr(predicate, "__qualname__", repr(predicate))
        lines = [f"wait_for: condition {name}{where} still false after "]
        lines[0] += f"{timeout:g}s. Last {min(10, len(self.calls))} of {len(self.calls)} calls:"
        for call in self.calls[-10:]:
            outcome = call.error or "ok"
            lines.append(f"  {call.method} -> {call.status} {outcome} {_brief(call.params)}")
        lines.append(f"Last deliveries to the bot ({len(self.deliveries)} in all):")
        for d in self.deliveries[-5:]:
            lines.append(f"  {d.kind} -> {d.status} {d.body[:80]!r}")
        return "\n".join(lines)

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        await self._wait_if_held(method)
        values = dict(request.query)
        malformed = False
        try:
            values.update(await body_params(request))
        except ValueError:
            malformed = True
        down = self._unavailable(request, method, Params(values))
        if down is not None:
            return down
        if malformed:
            return self._answer(method, Params(values), 200, ApiError("invalid_json").body())
        header = request.headers.get("Authorization", "")
        body_token = values.pop("token", None)
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
        token = token or body_token
        p = Params(values)
        if method == "apps.connections.open":
            return self._answer(method, p, *self.socket_mode.open_connection(token, self.base_url))
        if not token:
            return self._answer(method, p, 200, ApiError("not_authed").body())
        granted = self.tokens.get(token)
        if granted is None:
            return self._answer(method, p, 200, ApiError("invalid_auth").body())
        if self.interrupt is not None and self.interrupt(method, "before"):
            self._record(method, p, None, "interrupted")
            return drop_connection(request)
        response = self._serve(method, p, granted)
        response.headers.update(scopes_header(granted))
        if self.interrupt is not None and self.interrupt(method, "after"):
            return drop_connection(request)
        return response

    def _serve(self, method: str, p: Params, granted: frozenset[str]) -> web.Response:
        """An authenticated call: an injected fault, the rate limit, a missing scope, or the
        method's answer."""
        fault = self._take_fault(method)
        if fault is not None:
            if fault.status == 429:
                return self._limited(method, p, fault.retry_after)
            return self._answer(method, p, fault.status, ApiError(fault.error).body())
        wait = self._rate_check(method)
        if wait is not None:
            return self._limited(method, p, wait)
        handler = HANDLERS.get(method)
        try:
            if handler is None:
                raise ApiError("unknown_method", req_method=method)
            check_scopes(self, method, p, granted)
            answer = handler(self, p)
        except ApiError as exc:
            answer = exc.body()
        except Exception as exc:
            log.exception("stand-in handler for %s failed", method)
            bug = ApiError("internal_error", standin_exception=repr(exc)).body()
            return self._answer(method, p, 500, bug)
        return self._answer(method, p, 200, answer)

    def _answer(
        self, method: str, p: Params, status: int, body: JSON, headers: dict[str, str] | None = None
    ) -> web.Response:
        self._record(method, p, status, None if body.get("ok") else str(body.get("error")))
        return web.json_response(body, status=status, headers=headers)

    def _record(self, method: str, p: Params, status: int | None, error: str | None) -> None:
        self.calls.append(Call(method, p.loggable(), status, error))
        self.changed()

    def _unavailable(self, request: web.Request, method: str, p: Params) -> web.Response | None:
        """The outage's answer to this request, or None when Slack is up."""
        outage = self._current_outage()
        if outage is None:
            return None
        if outage.mode == "refused":
            self._record(method, p, None, "refused")
            return drop_connection(request)
        return self._answer(method, p, UNAVAILABLE_STATUS, unavailable_body())

    def _limited(self, method: str, p: Params, retry_after: int) -> web.Response:
        body = ApiError("ratelimited").body()
        return self._answer(method, p, 429, body, {"Retry-After": str(retry_after)})

    def _take_fault(self, method: str) -> Fault | None:
        for fault in self._faults:
            if fault.method == method and fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _rate_check(self, method: str) -> int | None:
        """Seconds to wait if ``method`` has used its per-minute budget, else None."""
        budget = self.rate_limits.get(method)
        if budget is None:
            return None
        now = self.monotonic()
        recent = self._recent.setdefault(method, deque())
        while recent and now - recent[0] >= RATE_WINDOW:
            recent.popleft()
        if len(recent) >= budget:
            return max(1, math.ceil(RATE_WINDOW - (now - recent[0])))
        recent.append(now)
        return None

    async def _upload(self, request: web.Request) -> web.Response:
        down = self._unavailable(request, "upload_url", Params({}))
        if down is not None:
            return down
        file_id = self.upload_tokens.pop(request.match_info["token"], None)
        if file_id is None:
            return web.Response(status=404, text="invalid upload url")
        if request.content_type.startswith("multipart/"):
            data = await multipart_file(request)
        else:
            data = await request.read()
        stored = self.file_store[file_id]
        stored.content, stored.uploaded = data, True
        self.changed()
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    async def _response(self, request: web.Request) -> web.Response:
        await self._wait_if_held("response_url")
        down = self._unavailable(request, "response_url", Params({}))
        if down is not None:
            return down
        status, body = await handle_response_url(self, request)
        self.changed()
        return web.json_response(body, status=status)


def _brief(params: JSON) -> str:
    text = json.dumps(params, default=str)
    return text if len(text) <= 120 else text[:117] + "..."
