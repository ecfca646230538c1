"""`strongroom`: the operator's CLI (up, config, db, flavor, identity, policy, instance,
backup)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from strongroom.cli.backups import add_backup_commands
from strongroom.cli.common import add_config_argument, settings_or_exit
from strongroom.cli.mgmt import add_mgmt_commands
from strongroom.cli.policy import add_policy_commands
from strongroom.config import Settings, masked_dump
from strongroom.config.reference import option_reference
from strongroom.contracts.errors import StrongroomError
from strongroom.identity.cli import add_identity_commands
from strongroom.runtime.prepare import configure_logging, open_database, upgrade_and_seed
from strongroom.store import catalog, migrate
from strongroom.store.database import Database
from strongroom.store.models import Flavor

Handler = Callable[[argparse.Namespace, Settings], int]


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    settings = settings_or_exit(args.config)
    try:
        return int(args.handler(args, settings))
    except StrongroomError as exc:
        print(f"strongroom: {exc.message}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="strongroom", description=__doc__)
    add_config_argument(parser)
    sub = parser.add_subparsers(title="commands")

    up = sub.add_parser("up", help="run the whole control plane on this host (foreground)")
    up.set_defaults(handler=_up)

    config = sub.add_parser("config", help="inspect the configuration").add_subparsers()
    config.add_parser("show", help="print the effective config, secrets masked").set_defaults(
        handler=_config_show
    )

    config.add_parser("options", help="list every option: type, default, help").set_defaults(
        handler=_config_options
    )

    db = sub.add_parser("db", help="the control DB").add_subparsers()
    db.add_parser("upgrade", help="apply migrations and seed flavors/networks").set_defaults(
        handler=_db_upgrade
    )
    db.add_parser("current", help="print the schema revision").set_defaults(handler=_db_current)

    flavor = sub.add_parser("flavor", help="flavors offered to users").add_subparsers()
    flavor.add_parser("list").set_defaults(handler=_flavor_list)
    create = flavor.add_parser("create")
    create.add_argument("name")
    create.add_argument("--id", default=None, help="stable id (default: the name)")
    create.add_argument("--ram", type=int, required=True, help="MiB")
    create.add_argument("--vcpus", type=int, required=True)
    create.add_argument("--disk", type=int, default=0, help="GiB (informational)")
    create.set_defaults(handler=_flavor_create)

    add_identity_commands(sub, _loader)
    add_policy_commands(sub)
    add_mgmt_commands(sub)
    add_backup_commands(sub)
    return parser


def _loader() -> tuple[Settings, Database]:
    """For command groups defined elsewhere: the settings and a current control DB."""
    settings = settings_or_exit(_config_from_argv())
    db = open_database(settings)
    migrate.require_current(db)
    return settings, db


def _config_from_argv() -> Path | None:
    argv = sys.argv[1:]
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            return Path(argv[i + 1])
        if arg.startswith("--config="):
            return Path(arg.split("=", 1)[1])
    return None


def _up(args: argparse.Namespace, settings: Settings) -> int:
    from strongroom.runtime.up import run_up

    configure_logging(settings)
    return run_up(settings, args.config)


def _config_show(_args: argparse.Namespace, settings: Settings) -> int:
    print(json.dumps(masked_dump(settings), indent=2))
    return 0


def _config_options(_args: argparse.Namespace, _settings: Settings) -> int:
    for line in option_reference():
        print(line)
    return 0


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    db = open_database(settings)
    upgrade_and_seed(settings, db)
    print(f"control DB at revision {migrate.current_revision(db)}")
    return 0


def _db_current(_args: argparse.Namespace, settings: Settings) -> int:
    db = open_database(settings)
    current, head = migrate.current_revision(db), migrate.head_revision(db)
    print(f"current: {current or 'none'}  head: {head}")
    return 0 if current == head else 1


def _flavor_list(_args: argparse.Namespace, settings: Settings) -> int:
    db = open_database(settings)
    migrate.require_current(db)
    with db.read() as s:
        for f in catalog.list_flavors(s):
            print(f"{f.id:<12} {f.name:<16} ram={f.ram}MiB vcpus={f.vcpus} disk={f.disk}GiB")
    return 0


def _flavor_create(args: argparse.Namespace, settings: Settings) -> int:
    if args.ram <= 0 or args.vcpus <= 0 or args.disk < 0:
        print("strongroom: ram and vcpus must be positive, disk not negative", file=sys.stderr)
        return 2
    db = open_database(settings)
    migrate.require_current(db)
    with db.write() as s:
        if catalog.find_flavor(s, args.name) or catalog.find_flavor(s, args.id or args.name):
            print(f"strongroom: flavor {args.name} exists", file=sys.stderr)
            return 1
        catalog.add_flavor(
            s,
            Flavor(
                id=args.id or args.name,
                name=args.name,
                ram=args.ram,
                vcpus=args.vcpus,
                disk=args.disk,
            ),
        )
    print(f"flavor {args.name} created")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
