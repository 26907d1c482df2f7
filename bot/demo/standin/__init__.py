"""A local stand-in for Slack: Web API server, inbound request sender, transcript renderer.

The demo and the tests run the real bot against it: the bot's ``AsyncWebClient`` and Bolt's
``respond()`` talk to :class:`SlackStandIn`, :class:`SlackSender` plays people typing commands
and clicking buttons, and :func:`render_channel` prints what they would see.
"""

from bot.demo.standin.events import DeliveryError, DeliveryResult, SlashResult, sign
from bot.demo.standin.records import Call, Delivery, Fault, Outage, OutageMode, ResponseUrl
from bot.demo.standin.sender import SlackSender
from bot.demo.standin.state import (
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
from bot.demo.standin.transcript import render_channel, render_ephemerals
from bot.demo.standin.webapi import SlackStandIn

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
    "Outage",
    "OutageMode",
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
