"""Everything `incident-bot demo` needs: the script, the sandbox, the runbooks' target databases
and the Slack stand-in. Nothing else in the product imports this package."""

from bot.demo.script import run_demo

__all__ = ["run_demo"]
