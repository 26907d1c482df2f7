"""Local stand-ins for the other systems the bot calls (PagerDuty, Statuspage, GitHub, Jira),
served together by `OtherApis` on one loopback port, each under a prefix of its own."""

from bot.demo.apis.server import ApiFault, OtherApis, Received

__all__ = ["ApiFault", "OtherApis", "Received"]
