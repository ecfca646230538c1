"""`strongroom identity ...`: projects, users and roles of the built-in identity.

`add_identity_commands(subparsers, load)` adds the `identity` command; every leaf sets
`handler(args, settings=None) -> int` (the exit code), the `strongroom` CLI's convention.
`load()` returns `(settings, db)` and is called only when a command runs. Passwords are
printed only when generated here; stored hashes never are.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Callable, Sequence
from typing import Any

from strongroom.config.settings import Settings
from strongroom.contracts.errors import BadRequest, StrongroomError
from strongroom.identity.context import ROLES
from strongroom.identity.directory import Directory
from strongroom.store.database import Database

Loader = Callable[[], tuple[Settings, Database]]
Action = Callable[[Directory, argparse.Namespace], None]


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def chosen_password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password from --password-stdin or --password, else a generated one (and True)."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise BadRequest("no password on standard input")
        return password, False
    if args.password:
        return str(args.password), False
    return secrets.token_urlsafe(24), True


# --- actions --------------------------------------------------------------------------------


def project_create(directory: Directory, args: argparse.Namespace) -> None:
    project = directory.create_project(args.name, args.description)
    print(f"created project {project.name} ({project.id})")


def project_list(directory: Directory, _args: argparse.Namespace) -> None:
    rows = [(p.id, p.name, p.domain_id, p.enabled) for p in directory.list_projects()]
    print_table(("ID", "Name", "Domain", "Enabled"), rows)


def project_delete(directory: Directory, args: argparse.Namespace) -> None:
    directory.delete_project(args.name)
    print(f"deleted project {args.name}")


def user_create(directory: Directory, args: argparse.Namespace) -> None:
    password, generated = chosen_password(args)
    user = directory.create_user(args.name, password, args.project)
    directory.assign_role(user.id, args.project, args.role)
    print(f"created user {user.name} ({user.id}) with role {args.role} on {args.project}")
    if generated:
        print(f"password: {password}")


def user_list(directory: Directory, _args: argparse.Namespace) -> None:
    projects = {p.id: p.name for p in directory.list_projects()}
    rows = [
        (u.id, u.name, projects.get(u.default_project_id or "", ""), u.enabled)
        for u in directory.list_users()
    ]
    print_table(("ID", "Name", "Default project", "Enabled"), rows)


def user_delete(directory: Directory, args: argparse.Namespace) -> None:
    directory.delete_user(args.name)
    print(f"deleted user {args.name}")


def user_set_password(directory: Directory, args: argparse.Namespace) -> None:
    password, generated = chosen_password(args)
    directory.set_password(args.name, password)
    print(f"password of {args.name} changed")
    if generated:
        print(f"password: {password}")


def role_add(directory: Directory, args: argparse.Namespace) -> None:
    added = directory.assign_role(args.user, args.project, args.role)
    state = "granted" if added else "already held"
    print(f"role {args.role} of {args.user} on {args.project}: {state}")


def role_remove(directory: Directory, args: argparse.Namespace) -> None:
    directory.unassign_role(args.user, args.project, args.role)
    print(f"role {args.role} of {args.user} on {args.project}: removed")


def role_list(directory: Directory, _args: argparse.Namespace) -> None:
    rows = [(a.user_name, a.project_name, a.role) for a in directory.list_role_assignments()]
    print_table(("User", "Project", "Role"), rows)


# --- parser ---------------------------------------------------------------------------------


Handler = Callable[[argparse.Namespace, Settings | None], int]


def _runner(load: Loader, action: Action) -> Handler:
    def run(args: argparse.Namespace, _settings: Settings | None = None) -> int:
        _settings, db = load()
        try:
            action(Directory(db), args)
        except StrongroomError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 1
        return 0

    return run  # `load()` opens the DB (and checks its schema) only when a command runs


def _add_password_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    group.add_argument("--password", help="the password (visible to other local users)")


def _project_commands(sub: Any, load: Loader) -> None:
    parser = sub.add_parser("project", help="projects").add_subparsers(required=True)
    create = parser.add_parser("create", help="create a project")
    create.add_argument("name")
    create.add_argument("--description", default="")
    create.set_defaults(handler=_runner(load, project_create))
    parser.add_parser("list", help="list projects").set_defaults(
        handler=_runner(load, project_list)
    )
    delete = parser.add_parser("delete", help="delete a project and the roles on it")
    delete.add_argument("name", help="name or id")
    delete.set_defaults(handler=_runner(load, project_delete))


def _user_commands(sub: Any, load: Loader) -> None:
    parser = sub.add_parser("user", help="users").add_subparsers(required=True)
    create = parser.add_parser("create", help="create a user with a role on a project")
    create.add_argument("name")
    create.add_argument("--project", required=True, help="default project (name or id)")
    create.add_argument("--role", required=True, choices=ROLES)
    _add_password_options(create)
    create.set_defaults(handler=_runner(load, user_create))
    parser.add_parser("list", help="list users").set_defaults(handler=_runner(load, user_list))
    delete = parser.add_parser("delete", help="delete a user")
    delete.add_argument("name", help="name or id")
    delete.set_defaults(handler=_runner(load, user_delete))
    password = parser.add_parser("set-password", help="set (or generate) a user's password")
    password.add_argument("name", help="name or id")
    _add_password_options(password)
    password.set_defaults(handler=_runner(load, user_set_password))


def _role_commands(sub: Any, load: Loader) -> None:
    parser = sub.add_parser("role", help="role assignments").add_subparsers(required=True)
    for name, action, text in (
        ("add", role_add, "grant a role"),
        ("remove", role_remove, "revoke a role"),
    ):
        command = parser.add_parser(name, help=text)
        command.add_argument("user", help="user name or id")
        command.add_argument("project", help="project name or id")
        command.add_argument("role", choices=ROLES)
        command.set_defaults(handler=_runner(load, action))
    parser.add_parser("list", help="list role assignments").set_defaults(
        handler=_runner(load, role_list)
    )


def add_identity_commands(subparsers: Any, load: Loader) -> None:
    """Adds `identity project|user|role ...` to a parser's subparsers."""
    identity = subparsers.add_parser("identity", help="users, projects and roles")
    sub = identity.add_subparsers(required=True, metavar="{project,user,role}")
    _project_commands(sub, load)
    _user_commands(sub, load)
    _role_commands(sub, load)
