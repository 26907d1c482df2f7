"""Placeholders in an http action's URL, headers and JSON body: `${ENV}` secrets, `{param}` values.

One pass replaces both, so a secret or a value that itself contains `{x}` is never expanded
again. In URLs each value is percent-encoded whole (`/` and `.` included), so `../admin` stays
one harmless path segment. For the card, secrets are shown by name (`${DEPLOY_API_TOKEN}`),
never by value.
"""

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from bot.domain.params import Bound

_PLACEHOLDER = re.compile(r"\$\{(?P<env>[A-Za-z_][A-Za-z0-9_]*)\}|\{(?P<param>[a-z_][a-z0-9_]*)\}")
_BIND = re.compile(r"\$(\d+)")

Env = Callable[[str], str]
"""Looks up a named secret: its value when sending, a mask when showing."""


def shown_by_name(name: str) -> str:
    return "${" + name + "}"


def env_names(template: str) -> set[str]:
    return {m.group("env") for m in _PLACEHOLDER.finditer(template) if m.group("env")}


def param_names(template: str) -> set[str]:
    return {m.group("param") for m in _PLACEHOLDER.finditer(template) if m.group("param")}


def highest_bind(statement: str) -> int:
    """The highest `$n` a SQL statement uses (0 for none): that many values are bound."""
    return max((int(n) for n in _BIND.findall(statement)), default=0)


def fill(template: str, params: Bound, env: Env, *, for_url: bool = False) -> str:
    """Replace every placeholder in `template`; values are percent-encoded when `for_url`."""

    def replace(match: re.Match[str]) -> str:
        if match.group("env"):
            return env(match.group("env"))
        value = params.get(match.group("param")) or ""
        return quote(value, safe="") if for_url else value

    return _PLACEHOLDER.sub(replace, template)


def fill_json(value: Any, params: Bound, env: Env) -> Any:
    """Fill placeholders in every string of a JSON value.

    A string that is exactly one `{param}` becomes that value, or null when the optional
    param was left out, so `{"to_version": "{version}"}` sends `null` rather than `""`.
    """
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole and whole.group("param"):
            return params.get(whole.group("param"))
        return fill(value, params, env)
    if isinstance(value, Mapping):
        return {str(k): fill_json(v, params, env) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [fill_json(v, params, env) for v in value]
    return value
