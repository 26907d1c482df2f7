"""A local stand-in for Slack: Web API server, inbound request sender, transcript renderer.

The demo and the tests run the real bot against it: the bot's ``AsyncWebClient`` and Bolt's
``respond()`` talk to :class:`SlackStandIn`, :class:`SlackSender` plays people typing commands
and clicking buttons, and :func:`render_channel` prints what they would see.
"""

from bot.standin.events import DeliveryError, DeliveryResult, SlashResult, sign
from bot.standin.records import Call, Delivery, Fault, ResponseUrl
from bot.standin.sender import SlackSender
from bot.standin.state import (
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    TEAM_ID,
    Channel,
    Edit,
    Ephemeral,
    File,
    Message,
    User,
    Workspace,
)
from bot.standin.transcript import render_channel, render_ephemerals
from bot.standin.webapi import SlackStandIn

__all__ = [
    "BOT_ID",
    "BOT_NAME",
    "BOT_USER_ID",
    "TEAM_ID",
    "Call",
    "Channel",
    "Delivery",
    "DeliveryError",
    "DeliveryResult",
    "Edit",
    "Ephemeral",
    "Fault",
    "File",
    "Message",
    "ResponseUrl",
    "SlackSender",
    "SlackStandIn",
    "SlashResult",
    "User",
    "Workspace",
    "render_channel",
    "render_ephemerals",
    "sign",
]
