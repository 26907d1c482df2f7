"""Slack's interaction payloads, read once at the edge into typed models.

Every button the bot puts in Slack (`block_actions`) and its one form (`view_submission`) is
read here and nowhere else: `read_click` and `read_submission` return a model saying what the
person asked for, or raise `Malformed` with the reason, so the handler refuses every unreadable
payload one way. Nothing untyped leaves this module.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.domain.commands import PostUpdate
from bot.domain.followups import MAX_DROP_REASON
from bot.domain.status import OPEN_STATUSES, Status
from bot.domain.text import clean_text
from bot.slack.alert_messages import DECLARE_ACTION, REQUEST_ACTION
from bot.slack.approval_cards import APPROVE, DENY
from bot.slack.checklist_messages import BLOCK_ID, TICK_ACTION
from bot.slack.followup_messages import DONE, DROP, DROP_FORM, REASON
from bot.slack.reminder_messages import (
    FIELD_LIMITS,
    POST_UPDATE,
    SNOOZE_PREFIX,
    UPDATE_FORM,
    FormField,
)
from bot.slack.statement_messages import RESOLVE_PUBLICLY

BUTTONS: tuple[str | re.Pattern[str], ...] = (
    APPROVE,
    DENY,
    POST_UPDATE,
    re.compile(rf"^{re.escape(SNOOZE_PREFIX)}\d+$"),
    DECLARE_ACTION,
    re.compile(rf"^{re.escape(REQUEST_ACTION)}(:.*)?$"),
    TICK_ACTION,
    DONE,
    DROP,
    RESOLVE_PUBLICLY,
)
"""The action ids of every button `read_click` reads (Bolt's listener constraints)."""

FORMS = (UPDATE_FORM, DROP_FORM)
"""The callback ids of every form `read_submission` reads."""


class Malformed(ValueError):
    """A payload this module cannot read; `response_url` is Slack's, if the payload had one."""

    def __init__(self, reason: str, response_url: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.response_url = response_url


@dataclass(frozen=True)
class Click:
    """Who clicked, where, and how to answer them: what every button's model carries."""

    user_id: str
    channel_id: str
    message_ts: str
    trigger_id: str
    response_url: str


@dataclass(frozen=True)
class Decision:
    """Approve or Deny on an approval card."""

    click: Click
    request_id: int
    is_approval: bool


@dataclass(frozen=True)
class UpdateWanted:
    """The "Post update" button of a reminder: open the update form."""

    click: Click


@dataclass(frozen=True)
class Snooze:
    """A reminder's "Snooze N min"; `reminder` is the key of the job that posted it."""

    click: Click
    minutes: int
    reminder: str


@dataclass(frozen=True)
class DeclareFromAlert:
    """The "Declare incident" button of an alert offered in the announce channel."""

    click: Click
    alert_id: int


@dataclass(frozen=True)
class RequestFromAlert:
    """A "Request <action>" button on an incident's first message, params from the alert."""

    click: Click
    action: str
    args: Mapping[str, str] = field(default_factory=dict)

    def as_text(self) -> str:
        """The words a person would type after `/incident`."""
        words = [f"{name}={value}" for name, value in self.args.items() if value.split() == [value]]
        return " ".join([self.action, *words])


@dataclass(frozen=True)
class Tick:
    """A click on a checklist's checkboxes: `selected` is the element's whole selection after
    the click (item positions), `seen` what the message clicked on showed ticked in it (None
    when the payload carries no message)."""

    click: Click
    checklist_id: int
    element: int
    selected: frozenset[int]
    seen: frozenset[int] | None


@dataclass(frozen=True)
class FollowupDone:
    """A follow-up's **Done**."""

    click: Click
    followup_id: int


@dataclass(frozen=True)
class DropWanted:
    """A follow-up's **Drop…**: open the form asking why."""

    click: Click
    followup_id: int


@dataclass(frozen=True)
class ResolvePublicly:
    """ "Resolve on the status page", under a resolution notice: `/incident statuspage resolved`
    as the clicker would type it."""

    click: Click

    def as_text(self) -> str:
        return "statuspage resolved"


Button = (
    Decision
    | UpdateWanted
    | Snooze
    | DeclareFromAlert
    | RequestFromAlert
    | Tick
    | FollowupDone
    | DropWanted
    | ResolvePublicly
)


@dataclass(frozen=True)
class UpdateForm:
    """The submitted update form."""

    user_id: str
    channel_id: str
    view_id: str
    status: str
    impact: str
    actions_taken: str
    next_steps: str

    def problems(self) -> dict[str, str]:
        """Per-field errors Slack shows under the inputs, keeping the form open."""
        problems = {
            name: f"At most {limit} characters, please (this is {len(value)})."
            for name, limit, value in (
                (FormField.IMPACT, FIELD_LIMITS[FormField.IMPACT], self.impact),
                (FormField.ACTIONS, FIELD_LIMITS[FormField.ACTIONS], self.actions_taken),
                (FormField.NEXT_STEPS, FIELD_LIMITS[FormField.NEXT_STEPS], self.next_steps),
            )
            if len(value) > limit
        }
        if not self.actions_taken:
            problems[FormField.ACTIONS] = "Say what was done since the last update."
        if self.status not in OPEN_STATUSES:
            problems[FormField.STATUS] = "Choose an open status; resolve with `/incident resolve`."
        return problems

    def command(self) -> PostUpdate:
        return PostUpdate(
            self.actions_taken,
            Status(self.status),
            impact=self.impact or None,
            next_steps=self.next_steps or None,
        )


@dataclass(frozen=True)
class DropForm:
    """The submitted form dropping a follow-up, with the reason."""

    user_id: str
    channel_id: str
    view_id: str
    followup_id: int
    reason: str

    def problems(self) -> dict[str, str]:
        if not self.reason:
            return {REASON: "Say why it is dropped: the post-mortem keeps the reason."}
        if len(self.reason) > MAX_DROP_REASON:
            return {REASON: f"At most {MAX_DROP_REASON} characters, please ({len(self.reason)})."}
        return {}


Form = UpdateForm | DropForm


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Id(_Payload):
    id: str


class _Container(_Payload):
    channel_id: str | None = None
    message_ts: str | None = None


class _Option(_Payload):
    value: str


class _Action(_Payload):
    action_id: str
    block_id: str = ""
    value: str | None = None
    selected_options: list[_Option] | None = None


class _Element(_Payload):
    action_id: str | None = None
    initial_options: list[_Option] | None = None


class _Block(_Payload):
    block_id: str | None = None
    elements: list[_Element] = Field(default_factory=list)


class _Message(_Payload):
    blocks: list[_Block] = Field(default_factory=list)


class _BlockActions(_Payload):
    user: _Id
    channel: _Id | None = None
    container: _Container
    trigger_id: str
    response_url: str
    actions: list[_Action] = Field(min_length=1)
    message: dict[str, object] | None = None
    """Read only by a checklist click, leniently (`_seen`): no other button needs it."""


class _Input(_Payload):
    value: str | None = None
    selected_option: _Option | None = None


class _State(_Payload):
    values: dict[str, dict[str, _Input]]


class _View(_Payload):
    id: str
    callback_id: str
    private_metadata: str
    state: _State


class _ViewSubmission(_Payload):
    user: _Id
    view: _View


class _FormMetadata(_Payload):
    channel: str


class _DropMetadata(_Payload):
    followup: int
    channel: str


class _ActionRequest(_Payload):
    action: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    args: dict[str, str] = Field(default_factory=dict)


def _reason(error: ValidationError) -> str:
    """The first problem pydantic found, as `actions.0.action_id: Field required`."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def read_click(body: Mapping[str, object]) -> Button:
    """The button a `block_actions` payload reports, as the model of what it asks for."""
    url = body.get("response_url")
    response_url = url if isinstance(url, str) and url else None
    try:
        raw = _BlockActions.model_validate(body)
    except ValidationError as error:
        raise Malformed(_reason(error), response_url) from None
    action = raw.actions[0]
    channel_id = raw.channel.id if raw.channel else raw.container.channel_id
    if not channel_id or not raw.container.message_ts:
        raise Malformed("no channel or message in the container", response_url)
    click = Click(
        raw.user.id, channel_id, raw.container.message_ts, raw.trigger_id, raw.response_url
    )
    try:
        if TICK_ACTION.match(action.action_id):
            return _tick(click, action, raw.message)
        return _reader(action.action_id)(click, action)
    except (ValueError, ValidationError) as error:
        reason = _reason(error) if isinstance(error, ValidationError) else str(error)
        raise Malformed(f"{action.action_id}: {reason}", response_url) from None


def _reader(action_id: str) -> Callable[[Click, _Action], Button]:
    if action_id in (APPROVE, DENY):
        return lambda click, a: Decision(click, _number(a.value or ""), action_id == APPROVE)
    if action_id == POST_UPDATE:
        return lambda click, _: UpdateWanted(click)
    if action_id.startswith(SNOOZE_PREFIX):
        minutes = _number(action_id.removeprefix(SNOOZE_PREFIX))
        return lambda click, a: Snooze(click, minutes, a.block_id)
    if action_id == RESOLVE_PUBLICLY:
        return lambda click, _: ResolvePublicly(click)
    if action_id == DECLARE_ACTION:
        return lambda click, a: DeclareFromAlert(click, _number(a.value or ""))
    if action_id == REQUEST_ACTION or action_id.startswith(f"{REQUEST_ACTION}:"):
        return _request_from_alert
    if action_id == DONE:
        return lambda click, a: FollowupDone(click, _number(a.value or ""))
    if action_id == DROP:
        return lambda click, a: DropWanted(click, _number(a.value or ""))
    raise ValueError("not a button of this bot")


def _tick(click: Click, action: _Action, message: Mapping[str, object] | None) -> Tick:
    """A checklist click; its element is named by its block's id (`BLOCK_ID`)."""
    named = BLOCK_ID.match(action.block_id)
    if named is None or action.selected_options is None:
        raise ValueError("not a checklist's checkboxes")
    return Tick(
        click,
        int(named["checklist"]),
        int(named["element"]),
        frozenset(_number(option.value) for option in action.selected_options),
        _seen(message, action.block_id),
    )


def _seen(message: Mapping[str, object] | None, block_id: str) -> frozenset[int] | None:
    """The items the clicked element showed ticked in the message clicked on; None when the
    payload does not say (no message, an unreadable one)."""
    if message is None:
        return None
    try:
        blocks = _Message.model_validate(message).blocks
        block = next((b for b in blocks if b.block_id == block_id), None)
        if block is None or not block.elements:
            return None
        return frozenset(_number(o.value) for o in block.elements[0].initial_options or ())
    except (ValidationError, ValueError):
        return None


def _number(text: str) -> int:
    if not text.isdigit():
        raise ValueError(f"{text[:40]!r} is not a number")
    return int(text)


def _request_from_alert(click: Click, action: _Action) -> RequestFromAlert:
    request = _ActionRequest.model_validate_json(action.value or "")
    return RequestFromAlert(click, request.action, request.args)


def read_submission(body: Mapping[str, object]) -> Form:
    """The form a `view_submission` payload carries."""
    try:
        view = _ViewSubmission.model_validate(body)
        if view.view.callback_id == DROP_FORM:
            return _drop_form(view)
        if view.view.callback_id != UPDATE_FORM:
            raise Malformed(f"{view.view.callback_id!r} is not a form of this bot")
        metadata = _FormMetadata.model_validate_json(view.view.private_metadata)
    except ValidationError as error:
        raise Malformed(_reason(error)) from None
    values = view.view.state.values

    def entered(name: str) -> _Input:
        """An input's value; block_id and action_id are both the field's name."""
        return values.get(name, {}).get(name) or _Input()

    def text(name: str) -> str:
        """What was typed, without control characters (`bot.domain.text`)."""
        return clean_text(entered(name).value or "").strip()

    selected = entered(FormField.STATUS).selected_option
    return UpdateForm(
        user_id=view.user.id,
        channel_id=metadata.channel,
        view_id=view.view.id,
        status=selected.value if selected else "",
        impact=text(FormField.IMPACT),
        actions_taken=text(FormField.ACTIONS),
        next_steps=text(FormField.NEXT_STEPS),
    )


def _drop_form(view: _ViewSubmission) -> DropForm:
    metadata = _DropMetadata.model_validate_json(view.view.private_metadata)
    typed = view.view.state.values.get(REASON, {}).get(REASON) or _Input()
    return DropForm(
        user_id=view.user.id,
        channel_id=metadata.channel,
        view_id=view.view.id,
        followup_id=metadata.followup,
        reason=clean_text(typed.value or "").strip(),
    )
