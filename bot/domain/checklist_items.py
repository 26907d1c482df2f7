"""How many items a checklist may hold and how long each may be, wherever its items come from.

A checklist is one Slack message of checkbox groups. Slack shows at most 75 characters of an
option's text (Block Kit option object: "Maximum length for the text in this field is 75
characters", mrkdwn in checkboxes too) and 10 options per checkbox group; 60 items is six
groups, as many as a person ticks down in an incident. A longer item or list is refused when the
policy is read, not cut when it is posted: a truncated step is a different step.
"""

MAX_ITEMS = 60
MAX_ITEM_LENGTH = 75
"""Characters of an item's text, as the policy or runbook writes it (after `clean_text`)."""


def count_problem(count: int) -> str | None:
    """Why `count` items are too many (or none), or None."""
    if count == 0:
        return "holds no items"
    if count > MAX_ITEMS:
        return f"holds {count} items; a checklist holds at most {MAX_ITEMS}: split it"
    return None


def item_problem(text: str) -> str | None:
    """Why one item cannot be a checkbox, or None."""
    if not text.strip():
        return "is empty"
    if len(text) > MAX_ITEM_LENGTH:
        return (
            f"is {len(text)} characters; a checklist item is at most {MAX_ITEM_LENGTH}"
            " (Slack's limit for a checkbox): shorten it"
        )
    return None
