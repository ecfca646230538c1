"""Authorization policy: every API operation is governed by one named rule.

Each rule has a default here, in code (`RULES`), and names the operations it governs
(`METHOD /v1.0/{project_id}/...`, as oslo.policy documents them). The API's auth dependency
finds the rule of the matched route and evaluates it (`Policy.enforce_operation`); a route
that no rule names is refused (fail closed). A router that wants its rule by name, or a
service, calls `Policy.enforce(ctx, "backup:create")` (the app's policy is
`request.app.state.policy`). A new endpoint gets its rule by adding an operation below.

An operator file (`api.policy_file`, YAML or TOML, `rule = "expression"`) may narrow a
default, never widen it: the services keep their built-in floors (a reader never writes,
the mgmt API needs admin), so a wider rule could not take effect and is refused at start-up
rather than ignored. Tenancy is not a rule: a token acts in its own project only (an
admin's in any), and another project's instance is a 404.

Expressions are a tiny grammar, parsed, never evaluated as code:
`role:admin | role:member | role:reader`, `!` (not), `and`, `or`, parentheses;
`!` binds tightest, then `and`, then `or`.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from strongroom.contracts.errors import ConfigError, Forbidden
from strongroom.identity.context import ROLES, RequestContext

READ = "role:reader or role:member or role:admin"
WRITE = "role:member or role:admin"
ADMIN = "role:admin"

_P = "/v1.0/{project_id}"
_I = f"{_P}/instances/{{instance_id}}"
_C = f"{_P}/configurations/{{configuration_id}}"
_DS = f"{_P}/datastores"


@dataclass(frozen=True)
class Rule:
    name: str
    default: str
    description: str
    operations: tuple[str, ...] = ()  # "METHOD /v1.0/{project_id}/path"


def _rule(name: str, default: str, description: str, *operations: str) -> Rule:
    return Rule(name, default, description, operations)


RULES: tuple[Rule, ...] = (
    _rule("instance:list", READ, "List instances.", f"GET {_P}/instances"),
    _rule("instance:detail", READ, "List instances with detail.", f"GET {_P}/instances/detail"),
    _rule("instance:create", WRITE, "Create an instance.", f"POST {_P}/instances"),
    _rule("instance:show", READ, "Show an instance.", f"GET {_I}"),
    _rule("instance:update", WRITE, "Rename, change access.", f"PUT {_I}", f"PATCH {_I}"),
    _rule("instance:delete", WRITE, "Delete an instance.", f"DELETE {_I}"),
    _rule("instance:action", WRITE, "Restart, resize.", f"POST {_I}/action"),
    _rule(
        "instance:reset_status",
        ADMIN,
        "Trove's reset_status action (POST .../action): ERROR now, jobs cancelled.",
    ),  # checked by name by the action route, on top of instance:action
    _rule("instance:restart", WRITE, "The restart action (checked on top of instance:action)."),
    _rule(
        "instance:resize_flavor",
        WRITE,
        "The resize action with a flavorRef (checked on top of instance:action).",
    ),
    _rule(
        "instance:resize_volume",
        WRITE,
        "The resize action with a volume size (checked on top of instance:action).",
    ),
    _rule("instance:events", READ, "An instance's history.", f"GET {_I}/events"),
    _rule("instance:configuration", READ, "Effective values.", f"GET {_I}/configuration"),
    _rule("instance:metrics", READ, "Metrics.", f"GET {_I}/metrics", f"GET {_I}/top-queries"),
    _rule("database:list", READ, "List databases.", f"GET {_I}/databases"),
    _rule("database:create", WRITE, "Create databases.", f"POST {_I}/databases"),
    _rule("database:delete", WRITE, "Drop a database.", f"DELETE {_I}/databases/{{name}}"),
    _rule(
        "user:list",
        READ,
        "List and show users and their grants.",
        f"GET {_I}/users",
        f"GET {_I}/users/{{user}}",
        f"GET {_I}/users/{{user}}/databases",
    ),
    _rule("user:create", WRITE, "Create users.", f"POST {_I}/users"),
    _rule(
        "user:update",
        WRITE,
        "Change passwords and attributes, grant and revoke.",
        f"PUT {_I}/users",
        f"PUT {_I}/users/{{user}}",
        f"PUT {_I}/users/{{user}}/databases",
        f"DELETE {_I}/users/{{user}}/databases/{{database}}",
    ),
    _rule("user:delete", WRITE, "Drop a user.", f"DELETE {_I}/users/{{user}}"),
    _rule("root:show", READ, "Whether root was ever enabled.", f"GET {_I}/root"),
    _rule("root:enable", WRITE, "Enable root (password shown once).", f"POST {_I}/root"),
    _rule("root:disable", WRITE, "Disable root.", f"DELETE {_I}/root"),
    _rule("log:list", READ, "List and read guest logs.", f"GET {_I}/log", f"GET {_I}/log/{{name}}"),
    _rule("log:action", WRITE, "Enable, disable, publish, discard a log.", f"POST {_I}/log"),
    _rule(
        "configuration:list",
        READ,
        "List and show configuration groups.",
        f"GET {_P}/configurations",
        f"GET {_C}",
        f"GET {_C}/instances",
    ),
    _rule("configuration:create", WRITE, "Create a group.", f"POST {_P}/configurations"),
    _rule("configuration:update", WRITE, "Change a group.", f"PUT {_C}", f"PATCH {_C}"),
    _rule("configuration:delete", WRITE, "Delete a group.", f"DELETE {_C}"),
    _rule(
        "backup:list",
        READ,
        "List backups (an instance's too).",
        f"GET {_P}/backups",
        f"GET {_I}/backups",
    ),
    _rule("backup:create", WRITE, "Back up an instance.", f"POST {_P}/backups"),
    _rule(
        "backup:restore_from",
        ADMIN,
        "Register an object of the backup store as a backup (POST .../backups with "
        "restore_from; checked on top of backup:create).",
    ),
    _rule("backup:show", READ, "Show a backup.", f"GET {_P}/backups/{{backup_id}}"),
    _rule("backup:delete", WRITE, "Delete a backup.", f"DELETE {_P}/backups/{{backup_id}}"),
    _rule(
        "backup:schedule:show", READ, "An instance's backup schedule.", f"GET {_I}/backup-schedule"
    ),
    _rule(
        "backup:schedule:update",
        WRITE,
        "Set or remove an instance's backup schedule.",
        f"PUT {_I}/backup-schedule",
        f"DELETE {_I}/backup-schedule",
    ),
    _rule(
        "catalog:read",
        READ,
        "Flavors, datastores, versions, parameters, limits.",
        f"GET {_P}/flavors",
        f"GET {_P}/flavors/{{flavor_id}}",
        f"GET {_DS}",
        f"GET {_DS}/{{datastore}}",
        f"GET {_DS}/{{datastore}}/versions",
        f"GET {_DS}/{{datastore}}/versions/{{version}}",
        f"GET {_DS}/versions/{{version_id}}",
        f"GET {_DS}/{{datastore}}/versions/{{version}}/parameters",
        f"GET {_DS}/{{datastore}}/versions/{{version}}/parameters/{{name}}",
        f"GET {_DS}/versions/{{version_id}}/parameters",
        f"GET {_DS}/versions/{{version_id}}/parameters/{{name}}",
        f"GET {_P}/limits",
    ),
    _rule(
        "mgmt:instance:list",
        ADMIN,
        "Every project's instances.",
        f"GET {_P}/mgmt/instances",
    ),
    _rule(
        "mgmt:instance:show",
        ADMIN,
        "An instance with its infrastructure.",
        f"GET {_P}/mgmt/instances/{{instance_id}}",
    ),
    _rule(
        "mgmt:instance:action",
        ADMIN,
        "reset_status, force_delete.",
        f"POST {_P}/mgmt/instances/{{instance_id}}/action",
    ),
    _rule("mgmt:quota:show", ADMIN, "A project's quotas.", f"GET {_P}/mgmt/quotas/{{target}}"),
    _rule("mgmt:quota:update", ADMIN, "Set quotas.", f"PUT {_P}/mgmt/quotas/{{target}}"),
    _rule(
        "mgmt:prometheus:targets",
        ADMIN,
        "Prometheus service discovery.",
        f"GET {_P}/mgmt/prometheus-targets",
    ),
)

RULE_NAMES = frozenset(r.name for r in RULES)


# --- the grammar ------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(\()|(\))|(!)|(role:[A-Za-z0-9_.-]+)|([A-Za-z_][A-Za-z0-9_:.-]*))")

# An expression tree: ("role", name) | ("not", e) | ("and", e, e) | ("or", e, e)
Expr = tuple[Any, ...]


class ExpressionError(ValueError):
    """An expression that is not in the grammar."""


MAX_EXPRESSION = 1000  # characters
MAX_NESTING = 32  # parentheses and negations per expression: the descent stays shallow


def parse(text: str) -> Expr:
    if len(text) > MAX_EXPRESSION:
        raise ExpressionError(f"an expression longer than {MAX_EXPRESSION} characters")
    tokens = _tokens(text)
    expr, rest = _or(tokens, text)
    if rest:
        raise ExpressionError(f"unexpected {rest[0]!r} in {text!r}")
    return expr


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ExpressionError(f"cannot read {text[pos:].strip()!r} in {text!r}")
        word = next(g for g in m.groups() if g is not None)
        if m.group(5) is not None and word not in ("and", "or", "not"):
            raise ExpressionError(
                f"unknown term {word!r} in {text!r} (expected role:NAME, and, or, !)"
            )
        tokens.append("!" if word == "not" else word)
        pos = m.end()
    if not tokens:
        raise ExpressionError("an empty expression")
    if sum(1 for t in tokens if t in ("(", "!")) > MAX_NESTING:
        raise ExpressionError(f"more than {MAX_NESTING} parentheses and negations in {text[:80]!r}")
    return tokens


def _or(tokens: list[str], text: str) -> tuple[Expr, list[str]]:
    left, rest = _and(tokens, text)
    while rest and rest[0] == "or":
        right, rest = _and(rest[1:], text)
        left = ("or", left, right)
    return left, rest


def _and(tokens: list[str], text: str) -> tuple[Expr, list[str]]:
    left, rest = _not(tokens, text)
    while rest and rest[0] == "and":
        right, rest = _not(rest[1:], text)
        left = ("and", left, right)
    return left, rest


def _not(tokens: list[str], text: str) -> tuple[Expr, list[str]]:
    if not tokens:
        raise ExpressionError(f"{text!r} ends too early")
    head, rest = tokens[0], tokens[1:]
    if head == "!":
        inner, rest = _not(rest, text)
        return ("not", inner), rest
    if head == "(":
        inner, rest = _or(rest, text)
        if not rest or rest[0] != ")":
            raise ExpressionError(f"a '(' is not closed in {text!r}")
        return inner, rest[1:]
    if head.startswith("role:"):
        role = head[len("role:") :]
        if role not in ROLES:
            raise ExpressionError(f"unknown role {role!r} in {text!r} (roles: {', '.join(ROLES)})")
        return ("role", role), rest
    raise ExpressionError(f"unexpected {head!r} in {text!r}")


def evaluate(expr: Expr, roles: frozenset[str]) -> bool:
    kind = expr[0]
    if kind == "role":
        return expr[1] in roles
    if kind == "not":
        return not evaluate(expr[1], roles)
    if kind == "and":
        return evaluate(expr[1], roles) and evaluate(expr[2], roles)
    return evaluate(expr[1], roles) or evaluate(expr[2], roles)


def _role_sets() -> Iterable[frozenset[str]]:
    for n in range(len(ROLES) + 1):
        for combo in itertools.combinations(ROLES, n):
            yield frozenset(combo)


def widened(override: Expr, default: Expr) -> frozenset[str] | None:
    """A set of roles the override admits and the default refuses, or None (it narrows)."""
    for roles in _role_sets():
        if evaluate(override, roles) and not evaluate(default, roles):
            return roles
    return None


# --- the policy -------------------------------------------------------------------------------


def _shape(path: str) -> str:
    """A route path with its parameter names blanked: `{instance_id}` and `{id}` match."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def _operations() -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {}
    for rule in RULES:
        for op in rule.operations:
            method, path = op.split(" ", 1)
            table.setdefault((method, _shape(path)), rule.name)
    return table


_OPERATIONS = _operations()


def rule_for(method: str, path: str) -> str | None:
    """The name of the rule governing `METHOD path` (a route's path template), or None."""
    method = "GET" if method.upper() == "HEAD" else method.upper()
    return _OPERATIONS.get((method, _shape(path)))


class Policy:
    """The effective rules: the defaults, with an operator file's overrides."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        self.overrides = dict(overrides or {})
        self._defaults = {r.name: parse(r.default) for r in RULES}
        self._effective = dict(self._defaults)
        for name, text in self.overrides.items():
            self._effective[name] = parse(text)

    @classmethod
    def load(cls, path: Path | None) -> Policy:
        """The defaults, narrowed by the file at `path` (ConfigError naming what is wrong)."""
        if path is None:
            return cls()
        return cls(read_overrides(path))

    def effective(self, name: str) -> str:
        return self.overrides.get(name, next(r.default for r in RULES if r.name == name))

    def allows(self, ctx: RequestContext, name: str) -> bool:
        return evaluate(self._effective[name], ctx.roles)

    def enforce(self, ctx: RequestContext, name: str) -> None:
        """Raise Forbidden unless the caller's roles satisfy rule `name`."""
        if not self.allows(ctx, name):
            raise Forbidden(f"Policy doesn't allow {name} to be performed.")

    def enforce_operation(self, ctx: RequestContext, method: str, path: str) -> None:
        name = rule_for(method, path)
        if name is None:
            raise Forbidden(f"No policy rule governs {method} {path}; it is refused.")
        self.enforce(ctx, name)


def read_overrides(path: Path) -> dict[str, str]:
    """Validated overrides from a YAML or TOML file: known rule names, parsable expressions
    that only narrow their defaults."""
    where = f"policy file {path}"
    try:
        text = path.read_text()
        data: Any = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read it ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        kind = "TOML" if path.suffix == ".toml" else "YAML"
        raise ConfigError(f"{where}: not valid {kind}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of rule name to expression")
    overrides: dict[str, str] = {}
    defaults = {r.name: r.default for r in RULES}
    for name, text in data.items():
        if name not in defaults:
            raise ConfigError(f"{where}: unknown rule {name!r} (`strongroom policy list`)")
        if not isinstance(text, str):
            raise ConfigError(f"{where}: rule {name}: the expression must be a string")
        try:
            expr = parse(text)
        except ExpressionError as exc:
            raise ConfigError(f"{where}: rule {name}: {exc}") from None
        extra = widened(expr, parse(defaults[name]))
        if extra is not None:
            who = " + ".join(sorted(extra)) or "a token without roles"
            raise ConfigError(
                f"{where}: rule {name}: {text!r} would admit {who}, which its default "
                f"{defaults[name]!r} refuses; an override may only narrow a default"
            )
        overrides[str(name)] = text
    return overrides
