"""`strongroom backup ...`: backups and backup schedules from the operator's shell.

Like `strongroom instance`, the commands log in with a clouds.yaml entry (`--os-cloud`,
default `strongroom-admin`) and call the running API; nothing here reads the control DB.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from strongroom.cli.mgmt import DEFAULT_CLOUD, ApiSession, CommandError, log_in
from strongroom.config import Settings
from strongroom.identity.cli import print_table

Action = Callable[[ApiSession, argparse.Namespace], None]


def add_backup_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = sub.add_parser("backup", help="backups and backup schedules").add_subparsers()
    listing = backup.add_parser("list", help="backups, newest first")
    listing.add_argument("--instance", default=None, help="only this instance's (id)")
    listing.add_argument("--all-projects", action="store_true", help="every project's (admin)")
    listing.set_defaults(handler=_command(_list))
    show = backup.add_parser("show", help="one backup as the API shows it")
    show.add_argument("backup_id")
    show.set_defaults(handler=_command(_show))

    schedule = backup.add_parser("schedule", help="an instance's backup schedule")
    verbs = schedule.add_subparsers()
    shown = verbs.add_parser("show", help="the schedule and its next run")
    shown.set_defaults(handler=_command(_schedule_show))
    setting = verbs.add_parser("set", help="create or replace the schedule")
    when = setting.add_mutually_exclusive_group(required=True)
    when.add_argument("--daily-at", default=None, help="UTC time HH:MM")
    when.add_argument("--every-hours", type=int, default=None)
    setting.add_argument("--full-every", type=int, default=1, help="a full every N runs")
    keep = setting.add_mutually_exclusive_group()
    keep.add_argument("--keep-fulls", type=int, default=None, help="keep the N newest chains")
    keep.add_argument("--keep-days", type=int, default=None, help="keep N days of chains")
    setting.set_defaults(handler=_command(_schedule_set))
    removing = verbs.add_parser("remove", help="stop scheduled backups (backups stay)")
    removing.set_defaults(handler=_command(_schedule_remove))
    for parser in (shown, setting, removing):
        parser.add_argument("instance_id")
    for parser in (listing, show, shown, setting, removing):
        parser.add_argument("--os-cloud", default=DEFAULT_CLOUD, help="clouds.yaml entry")


def _command(action: Action) -> Callable[[argparse.Namespace, Settings], int]:
    def handler(args: argparse.Namespace, settings: Settings) -> int:
        try:
            action(log_in(settings, args.os_cloud), args)
        except CommandError as exc:
            print(f"strongroom: {exc}", file=sys.stderr)
            return 1
        return 0

    return handler


def _list(api: ApiSession, args: argparse.Namespace) -> None:
    params: dict[str, str] = {"all_projects": str(bool(args.all_projects)).lower()}
    if args.instance:
        params["instance_id"] = args.instance
    docs: list[dict[str, Any]] = api.call("GET", "backups", params=params).json()["backups"]
    rows = [
        (d["id"], d["name"], d["instance_id"], d["status"], d["parent_id"] or "",
         str(d["size_bytes"] or ""), d["created"])
        for d in docs
    ]  # fmt: skip
    print_table(("ID", "Name", "Instance", "Status", "Parent", "Bytes", "Created"), rows)


def _show(api: ApiSession, args: argparse.Namespace) -> None:
    print(json.dumps(api.call("GET", f"backups/{args.backup_id}").json()["backup"], indent=2))


def _schedule_path(args: argparse.Namespace) -> str:
    return f"instances/{args.instance_id}/backup-schedule"


def _schedule_show(api: ApiSession, args: argparse.Namespace) -> None:
    doc = api.call("GET", _schedule_path(args)).json()["backup_schedule"]
    print(json.dumps(doc, indent=2))


def _schedule_set(api: ApiSession, args: argparse.Namespace) -> None:
    fields = {
        "daily_at": args.daily_at,
        "every_hours": args.every_hours,
        "full_every": args.full_every,
        "keep_fulls": args.keep_fulls,
        "keep_days": args.keep_days,
    }
    body = {"backup_schedule": {k: v for k, v in fields.items() if v is not None}}
    doc = api.call("PUT", _schedule_path(args), json=body).json()["backup_schedule"]
    print(json.dumps(doc, indent=2))


def _schedule_remove(api: ApiSession, args: argparse.Namespace) -> None:
    api.call("DELETE", _schedule_path(args))
    print(f"backup schedule of instance {args.instance_id} removed")
