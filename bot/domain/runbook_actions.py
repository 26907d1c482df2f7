"""The actions the bot ships with: the runbooks' own emergency steps, as policy data.

Runbook 000 (progressive rollout): the SQL kill switch on `rollout_configuration`, a partial
rollback to a percentage, and the gradual resumption. Runbook 002 (data pipeline): pause and
resume ingestion through `scout.control_ingestion`. Runbooks 001 and 004: an application
rollback through a deploy API. DSNs and tokens are named here, never written: each comes from
the environment variable named, and an action whose variable is unset is listed as unavailable.
"""

from typing import Any

DEFAULT_DATABASES: dict[str, dict[str, Any]] = {
    "rollout": {"dsn_env": "ROLLOUT_DATABASE_URL"},
    "scout": {"dsn_env": "SCOUT_DATABASE_URL"},
}

_FEATURE = {"name": "feature", "pattern": "^[a-z0-9_]+$", "default": "hybrid_progressive_capture"}
_PERCENT = "^(100|[1-9]?[0-9])$"
_ROLLOUT_STATE = (
    "SELECT feature_name, rollout_percentage, emergency_stop FROM rollout_configuration "
    "WHERE feature_name = $1"
)
_INGESTION_STATE = "SELECT * FROM scout.control_ingestion('status')"

DEFAULT_ACTIONS: dict[str, dict[str, Any]] = {
    "kill": {
        "title": "Emergency stop (kill switch)",
        "kind": "sql",
        "database": "rollout",
        "statement": (
            "UPDATE rollout_configuration SET emergency_stop = true, rollout_percentage = 0, "
            "updated_at = now() WHERE feature_name = $1"
        ),
        "params": [_FEATURE],
        "verify": _ROLLOUT_STATE,
    },
    "partial-rollback": {
        "title": "Roll the rollout back to a percentage",
        "kind": "sql",
        "database": "rollout",
        "statement": (
            "UPDATE rollout_configuration SET rollout_percentage = $2, updated_at = now() "
            "WHERE feature_name = $1"
        ),
        "params": [_FEATURE, {"name": "percentage", "pattern": _PERCENT, "default": "0"}],
        "verify": _ROLLOUT_STATE,
    },
    "resume": {
        "title": "Clear the emergency stop and resume the rollout gradually",
        "kind": "sql",
        "database": "rollout",
        "statement": (
            "UPDATE rollout_configuration SET emergency_stop = false, rollout_percentage = $2, "
            "updated_at = now() WHERE feature_name = $1"
        ),
        "params": [_FEATURE, {"name": "percentage", "pattern": _PERCENT, "default": "10"}],
        "verify": _ROLLOUT_STATE,
    },
    "pause-ingestion": {
        "title": "Pause data ingestion",
        "kind": "sql",
        "database": "scout",
        "statement": "SELECT scout.control_ingestion('pause')",
        "verify": _INGESTION_STATE,
    },
    "resume-ingestion": {
        "title": "Resume data ingestion",
        "kind": "sql",
        "database": "scout",
        "statement": "SELECT scout.control_ingestion('resume')",
        "verify": _INGESTION_STATE,
    },
    "rollback": {
        "title": "Roll back a deployment",
        "kind": "http",
        "method": "POST",
        "url": "${DEPLOY_API_URL}/services/{service}/rollback",
        "headers": {"Authorization": "Bearer ${DEPLOY_API_TOKEN}"},
        "json": {"to_version": "{version}"},
        "params": [
            {"name": "service", "choices": ["api", "web", "worker"]},
            {"name": "version", "pattern": "^v?[0-9][0-9.]*$", "required": False},
        ],
        "verify": "${DEPLOY_API_URL}/services/{service}",
    },
}
