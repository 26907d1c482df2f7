"""The approval card and its companions (refusals, outcome reply, catalog), in Block Kit.

The words come from `templates/approval_*.mrkdwn.j2`; this module adds the buttons. While a
request is pending its card carries Approve (danger style, behind a confirm dialog) and Deny;
every later version of the card drops them, so a stale client has nothing left to click.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    MarkdownTextObject,
    PlainTextObject,
)

from bot.domain.approval import ApprovalRequest, ApprovalStatus, Refusal, Rule
from bot.domain.checklists import Progress
from bot.domain.mrkdwn import Mrkdwn, mention
from bot.slack.messages import SlackMessage, build_message, truncate
from bot.slack.templates import Templates

APPROVE = "approval.approve"
DENY = "approval.deny"
MAX_CONFIRM_TITLE = 100
MAX_CONFIRM_TEXT = 300


@dataclass(frozen=True)
class Confirming:
    """The confirm dialog of Approve: its title (`{action}` filled in), its text's template and
    its button's words."""

    title: str
    template: str
    button: str


RUNNING = Confirming("Run {action}?", "approval_confirm.mrkdwn.j2", "Approve and run")


@dataclass(frozen=True)
class ListedAction:
    """One line of `/incident actions`."""

    name: str
    title: str
    usage: str
    target: str
    params: list[str]
    approvers: Mrkdwn
    rule: Rule
    unavailable: str


def approvers_of(rule: Rule) -> Mrkdwn:
    """The rule's approvers as Slack shows them: user mentions and user-group mentions."""
    return Mrkdwn(
        ", ".join(f"<!subteam^{a}>" if a.startswith("S") else mention(a) for a in rule.approvers)
    )


class ApprovalCards:
    def __init__(self, templates: Templates) -> None:
        self.templates = templates

    def _render(self, template: str, request: ApprovalRequest | None, **context: object) -> str:
        if request is not None:
            context.update(
                request=request,
                rule=request.rule,
                approver_list=approvers_of(request.rule),
                voters=Mrkdwn(", ".join(mention(v) for v in request.votes)),
                vote_count=len(request.votes),
                params=list(request.params.items()),
                statuses=ApprovalStatus,
            )
        return self.templates.render(template, **context)

    def card(
        self,
        request: ApprovalRequest,
        title: str,
        gates: Sequence[Progress] = (),
        template: str = "approval_card.mrkdwn.j2",
        confirming: Confirming | None = None,
    ) -> SlackMessage:
        """The card as it stands, with the progress of the checklists its action requires
        (`gates`); buttons only while the request is pending. `template` and `confirming`: a
        publisher's own card and confirm dialog (a public statement shows its words, not an
        action's preview, and is published, not run)."""
        confirming = confirming or RUNNING
        message = build_message(self._render(template, request, title=title, gates=gates))
        if request.status is not ApprovalStatus.PENDING:
            return message
        confirm = ConfirmObject(
            title=truncate(confirming.title.format(action=request.action), MAX_CONFIRM_TITLE),
            text=MarkdownTextObject(
                text=truncate(
                    self._render(confirming.template, request, title=title),
                    MAX_CONFIRM_TEXT,
                )
            ),
            confirm=confirming.button,
            deny="Cancel",
            style="danger",
        )
        buttons = ActionsBlock(
            block_id=f"approval:{request.id}",
            elements=[
                ButtonElement(
                    text=PlainTextObject(text="Approve"),
                    action_id=APPROVE,
                    value=str(request.id),
                    style="danger",
                    confirm=confirm,
                ),
                ButtonElement(
                    text=PlainTextObject(text="Deny"), action_id=DENY, value=str(request.id)
                ),
            ],
        )
        return SlackMessage(message.text, [*message.blocks, buttons])

    def outcome(
        self, request: ApprovalRequest, title: str, template: str | None = None
    ) -> SlackMessage:
        """The thread reply under the card once the action has run; `template`: a publisher's
        own (a statement is approved for publication, it does not run)."""
        chosen = template or "approval_outcome.mrkdwn.j2"
        return build_message(self._render(chosen, request, title=title))

    def refusal(
        self,
        refusal: Refusal,
        request: ApprovalRequest | None,
        title: str,
        gates: Sequence[Progress] = (),
    ) -> SlackMessage:
        """Why a click did nothing, for the person who clicked only; `gates` are the required
        checklists still open."""
        return build_message(
            self._render(
                "approval_refused.mrkdwn.j2",
                request,
                title=title,
                reason=refusal.value,
                gates=gates,
            )
        )

    def unknown(self, request: ApprovalRequest, title: str) -> SlackMessage:
        """Start-up's report of a request that was running when its replica died."""
        return build_message(self._render("approval_unknown.mrkdwn.j2", request, title=title))

    def catalog(self, actions: Sequence[ListedAction]) -> SlackMessage:
        return build_message(self._render("approval_actions.mrkdwn.j2", None, actions=actions))
