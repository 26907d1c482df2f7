"""One finding of `incident-bot doctor`: what was checked, whether it holds, and the fix if not.

Findings name hosts and environment variables, never a value that may be secret: a DSN or URL
is shown as its `host:port`, and an error text has the secret blanked out first.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import SecretStr

PASS, FAIL = "✓", "✗"


@dataclass(frozen=True)
class Check:
    ok: bool
    what: str
    fix: str = ""

    def line(self) -> str:
        if self.ok:
            return f"{PASS} {self.what}"
        return f"{FAIL} {self.what}" + (f" — {self.fix}" if self.fix else "")


def passed(what: str) -> Check:
    return Check(True, what)


def failed(what: str, fix: str) -> Check:
    return Check(False, what, fix)


def render(checks: Iterable[Check]) -> str:
    """The report: one line per check, then how many failed."""
    found = list(checks)
    failures = sum(not c.ok for c in found)
    summary = (
        f"all {len(found)} checks pass"
        if not failures
        else f"{failures} of {len(found)} checks fail"
    )
    return "\n".join([*(c.line() for c in found), summary])


def where(url: SecretStr) -> str:
    """`host:port` of a DSN or URL (no user, password, path or query); a socket path's DSN
    (the embedded server's) is "a local socket"."""
    try:
        parts = urlsplit(url.get_secret_value())
        host, port = parts.hostname, parts.port
    except ValueError:
        return "an unreadable address"
    if not host:
        return "a local socket"
    return f"{host}:{port}" if port else host


def masked(text: str, secret: SecretStr) -> str:
    """`text` (an error message) with the secret and any password in it blanked out."""
    value = secret.get_secret_value()
    try:
        password = urlsplit(value).password
    except ValueError:
        password = None
    for hidden in (value, password):
        if hidden:
            text = text.replace(hidden, "••••")
    return text
