"""Actions against target systems: the catalog from the policy, and the executors that run them."""

from bot.actions.catalog import Catalog, Entry, HttpPlan, Plan, SqlPlan
from bot.actions.executors import Executors, open_executors

__all__ = ["Catalog", "Entry", "Executors", "HttpPlan", "Plan", "SqlPlan", "open_executors"]
