"""`strongroom instance ...`: the mgmt (admin) API from the operator's shell.

The commands talk to the running API like any client: they log in to identity with a
clouds.yaml entry (`--os-cloud`, default `strongroom-admin`, the one `strongroom up` writes
into `clouds_yaml`), then call `/v1.0/{project}/mgmt/instances` at `api` of the config.
Nothing here reads the control DB, so what an operator sees is what the API enforces.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

import httpx

from strongroom.config import Settings
from strongroom.identity.bootstrap import read_clouds
from strongroom.identity.cli import print_table

DEFAULT_CLOUD = "strongroom-admin"
TIMEOUT = 30.0


class CommandError(Exception):
    """Printed as `strongroom: <message>`; the command exits 1."""


@dataclass(frozen=True)
class ApiSession:
    base: str  # http://host:port/v1.0/{project_id}
    token: str

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = f"{self.base}/{path}"
        try:
            r = httpx.request(
                method, url, headers={"X-Auth-Token": self.token}, timeout=TIMEOUT, **kwargs
            )
        except httpx.HTTPError as exc:
            raise CommandError(f"cannot reach the API at {url} ({exc}); is it running?") from None
        if r.status_code >= 400:
            raise CommandError(f"{method} {path}: {r.status_code} {_fault(r)}")
        return r


def _fault(r: httpx.Response) -> str:
    """The message of a Trove error body, or the raw text."""
    try:
        body = r.json()
        return str(next(iter(body.values()))["message"])
    except (ValueError, StopIteration, KeyError, TypeError, AttributeError):
        return r.text[:200]


def log_in(settings: Settings, cloud: str) -> ApiSession:
    """A token for the clouds.yaml entry `cloud` (Keystone v3 password auth)."""
    path = settings.clouds_yaml_path()
    entry = (read_clouds(path).get("clouds") or {}).get(cloud)
    auth = entry.get("auth") if isinstance(entry, dict) else None
    if not isinstance(auth, dict) or not auth.get("auth_url"):
        raise CommandError(f"{path}: no cloud {cloud!r} with auth (try --os-cloud)")
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": auth.get("username"),
                        "domain": {"name": auth.get("user_domain_name", "Default")},
                        "password": auth.get("password"),
                    }
                },
            },
            "scope": {
                "project": {
                    "name": auth.get("project_name"),
                    "domain": {"name": auth.get("project_domain_name", "Default")},
                }
            },
        }
    }
    url = str(auth["auth_url"]).rstrip("/") + "/auth/tokens"
    try:
        r = httpx.post(url, json=body, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        raise CommandError(f"cannot reach identity at {url} ({exc})") from None
    if r.status_code != 201:
        raise CommandError(f"log-in as cloud {cloud!r} refused: {r.status_code} {_fault(r)}")
    project_id = r.json()["token"]["project"]["id"]
    return ApiSession(f"{settings.api.base_url()}/v1.0/{project_id}", r.headers["X-Subject-Token"])


def add_mgmt_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    instance = sub.add_parser(
        "instance", help="every project's instances through the mgmt API (admin)"
    ).add_subparsers()

    listing = instance.add_parser("list", help="instances with project and status")
    listing.add_argument("--all-projects", action="store_true", help="every project's")
    listing.add_argument("--project", default=None, help="only this project's (id)")
    listing.add_argument("--status", default=None, help="only instances in this status")
    listing.add_argument("--deleted", action="store_true", help="deleted ones too")
    listing.set_defaults(handler=_list)

    show = instance.add_parser("show", help="an instance with server, volume, ports, jobs")
    show.set_defaults(handler=_show)
    reset = instance.add_parser("reset-status", help="settle the status from the agent")
    reset.set_defaults(handler=_reset_status)
    force = instance.add_parser("force-delete", help="delete it whatever its state")
    force.set_defaults(handler=_force_delete)
    for parser in (listing, show, reset, force):
        parser.add_argument("--os-cloud", default=DEFAULT_CLOUD, help="clouds.yaml entry")
    for parser in (show, reset, force):
        parser.add_argument("instance_id")


def _run(action: Any, args: argparse.Namespace, settings: Settings) -> int:
    try:
        action(log_in(settings, args.os_cloud), args)
    except CommandError as exc:
        print(f"strongroom: {exc}", file=sys.stderr)
        return 1
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    def action(api: ApiSession, args: argparse.Namespace) -> None:
        params: dict[str, str] = {"all_projects": str(bool(args.all_projects)).lower()}
        if args.project:
            params["tenant_id"] = args.project
        if args.status:
            params["status"] = args.status
        if args.deleted:
            params["deleted"] = "true"
        docs = api.call("GET", "mgmt/instances", params=params).json()["instances"]
        rows = [
            (d["id"], d["name"], d["tenant_id"], d["status"], d["task_status"],
             d["operating_status"], d["management_address"] or "", d["deleted"])
            for d in docs
        ]  # fmt: skip
        print_table(
            ("ID", "Name", "Project", "Status", "Task", "Operating", "Management", "Deleted"),
            rows,
        )

    return _run(action, args, settings)


def _show(args: argparse.Namespace, settings: Settings) -> int:
    def action(api: ApiSession, args: argparse.Namespace) -> None:
        doc = api.call("GET", f"mgmt/instances/{args.instance_id}").json()["instance"]
        print(json.dumps(doc, indent=2))

    return _run(action, args, settings)


def _reset_status(args: argparse.Namespace, settings: Settings) -> int:
    return _action("reset_status", args, settings)


def _force_delete(args: argparse.Namespace, settings: Settings) -> int:
    return _action("force_delete", args, settings)


def _action(name: str, args: argparse.Namespace, settings: Settings) -> int:
    def action(api: ApiSession, args: argparse.Namespace) -> None:
        api.call("POST", f"mgmt/instances/{args.instance_id}/action", json={name: {}})
        print(f"{name.replace('_', ' ')} of instance {args.instance_id} accepted")

    return _run(action, args, settings)
