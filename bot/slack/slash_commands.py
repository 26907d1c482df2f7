"""A slash command's form, read once at the edge into a typed model.

Slack always sends these fields; a body without one of them (or with one that is not text)
can never be answered properly, whatever is retried, so `read_slash_command` raises
`Malformed` with the reason and the handler acknowledges it rather than failing with a 500.
"""

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.slack.interactions import Malformed


class SlashCommand(BaseModel):
    """The fields of a slash command the bot uses."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    text: str = ""
    user_id: str = Field(min_length=1)
    channel_id: str = Field(min_length=1)
    response_url: str = Field(min_length=1)
    trigger_id: str = Field(min_length=1)


def read_slash_command(body: Mapping[str, object]) -> SlashCommand:
    """The command in a slash command's form; `Malformed` naming the first field that is wrong."""
    try:
        return SlashCommand.model_validate(body)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(body)"
        raise Malformed(f"{where}: {first['msg']}") from None
