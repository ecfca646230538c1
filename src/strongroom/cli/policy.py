"""`strongroom policy list`: every policy rule with its default and its effective value."""

from __future__ import annotations

import argparse

from strongroom.config import Settings
from strongroom.identity.cli import print_table
from strongroom.services.policy import RULES, Policy


def add_policy_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    policy = sub.add_parser("policy", help="authorization rules").add_subparsers()
    listing = policy.add_parser(
        "list", help="every rule: default, effective value (api.policy_file), what it governs"
    )
    listing.add_argument("--operations", action="store_true", help="also list the operations")
    listing.set_defaults(handler=_policy_list)


def _policy_list(args: argparse.Namespace, settings: Settings) -> int:
    policy = Policy.load(settings.api.policy_file)
    rows = []
    for rule in RULES:
        effective = policy.effective(rule.name)
        mark = "" if rule.name not in policy.overrides else " (overridden)"
        rows.append((rule.name, rule.default, effective + mark, rule.description))
        if args.operations:
            rows += [("", "", "", f"  {op}") for op in rule.operations]
    print_table(("Rule", "Default", "Effective", "Governs"), rows)
    return 0
