"""The firewall inside an instance's namespace: a typed rule model, a pure renderer, atomic apply.

The ruleset lives in one `inet` table (both IPv4 and IPv6) that this module owns; applying
replaces that table in a single nft transaction and never touches any other table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network
from typing import Literal

from strongroom.contracts.errors import InfrastructureError
from strongroom.drivers.linux.commands import describe, in_netns, run

DEFAULT_TABLE = "strongroom"

_TABLE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
_TABLE_LINE_RE = re.compile(r"^table inet ([A-Za-z][A-Za-z0-9_]*) \{$", re.MULTILINE)

# IPv6 needs neighbour discovery to work at all; it is always allowed.
_ND_TYPES = "nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert"


@dataclass(frozen=True, order=True)
class AllowRule:
    """Accept new connections from `source` to local `port` over `protocol`."""

    source: IPv4Network | IPv6Network
    port: int
    protocol: Literal["tcp"] = "tcp"

    def __post_init__(self) -> None:
        if not isinstance(self.source, IPv4Network | IPv6Network):
            raise TypeError(f"source must be an ip_network, not {type(self.source).__name__}")
        if isinstance(self.port, bool) or not isinstance(self.port, int):
            raise TypeError("port must be an int")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port {self.port} out of range 1-65535")
        if self.protocol != "tcp":
            raise ValueError(f"unsupported protocol {self.protocol!r}")

    def render(self) -> str:
        """The nft statement for this rule."""
        family = "ip" if self.source.version == 4 else "ip6"
        return f"{family} saddr {self.source} {self.protocol} dport {self.port} accept"


def validate_table(name: str) -> str:
    """Return `name` if it is a usable nft table name (letter, then letters/digits/_)."""
    if not _TABLE_RE.fullmatch(name):
        raise ValueError(f"invalid nft table name {name!r}")
    return name


def _sort_key(rule: AllowRule) -> tuple[int, int, int, int, str]:
    net = rule.source
    return (net.version, int(net.network_address), net.prefixlen, rule.port, rule.protocol)


def render_ruleset(
    table_name: str, rules: Iterable[AllowRule], *, allow_icmp_echo: bool = True
) -> str:
    """Render the complete nft script for `table_name`: pure and deterministic.

    Inbound: policy drop; established/related accepted, invalid dropped, loopback accepted,
    ICMP echo accepted when `allow_icmp_echo`, IPv6 neighbour discovery accepted, then one
    accept per rule (sorted, duplicates removed). Outbound: policy accept. The script starts
    by declaring and deleting the table, so `nft -f` replaces it atomically whether or not it
    existed, leaving other tables alone.
    """
    table = validate_table(table_name)
    lines = [
        f"table inet {table}",
        f"delete table inet {table}",
        f"table inet {table} {{",
        "\tchain inbound {",
        "\t\ttype filter hook input priority filter; policy drop;",
        "\t\tct state established,related accept",
        "\t\tct state invalid drop",
        '\t\tiif "lo" accept',
        f"\t\ticmpv6 type {{ {_ND_TYPES} }} accept",
    ]
    if allow_icmp_echo:
        lines += ["\t\ticmp type echo-request accept", "\t\ticmpv6 type echo-request accept"]
    lines += [f"\t\t{rule.render()}" for rule in sorted(set(rules), key=_sort_key)]
    lines += [
        "\t}",
        "\tchain outbound {",
        "\t\ttype filter hook output priority filter; policy accept;",
        "\t}",
        "}",
    ]
    return "\n".join(lines) + "\n"


def table_of(text: str) -> str:
    """The table a rendered script defines; a script defining no or several tables is refused."""
    names = set(_TABLE_LINE_RE.findall(text))
    if len(names) != 1:
        raise ValueError(f"script must define exactly one inet table, found {sorted(names)}")
    return names.pop()


def apply_ruleset(netns: str, text: str) -> None:
    """Load `text` (from `render_ruleset`) inside `netns` in one nft transaction.

    Either the whole new table is in place or, on error, the previous one is untouched.
    Idempotent: applying the same text twice leaves the same ruleset.
    """
    table_of(text)
    run(in_netns(netns, ["nft", "-f", "-"]), input_text=text)


def read_ruleset(netns: str, table_name: str = DEFAULT_TABLE) -> str | None:
    """The live ruleset of `table_name` in `netns` as nft prints it, or None when absent."""
    argv = in_netns(netns, ["nft", "list", "table", "inet", validate_table(table_name)])
    proc = run(argv, check=False)
    if proc.returncode == 0:
        return proc.stdout
    if "No such file or directory" in proc.stderr:
        return None
    raise InfrastructureError("could not read nftables ruleset", detail=describe(argv, proc))


def delete_ruleset(netns: str, table_name: str = DEFAULT_TABLE) -> None:
    """Remove `table_name` from `netns` (traffic is then unfiltered). Missing: no-op."""
    table = validate_table(table_name)
    script = f"table inet {table}\ndelete table inet {table}\n"
    run(in_netns(netns, ["nft", "-f", "-"]), input_text=script)


def render_host_guard(table_name: str, interfaces: Sequence[str]) -> str:
    """The host's own guard on our bridges: replies to connections the host opened pass,
    anything a sandbox or a neighbour starts towards the host itself is dropped. Pure.

    Only traffic addressed to the host is affected (the input hook), and only on `interfaces`;
    the host's other interfaces are never matched.
    """
    table = validate_table(table_name)
    if not interfaces:
        raise ValueError("a host guard needs at least one interface")
    names = ", ".join(f'"{name}"' for name in sorted(set(interfaces)))
    return (
        f"table inet {table}\n"
        f"delete table inet {table}\n"
        f"table inet {table} {{\n"
        "  chain input {\n"
        "    type filter hook input priority 0; policy accept;\n"
        f"    iifname {{ {names} }} ct state established,related accept\n"
        f"    iifname {{ {names} }} drop\n"
        "  }\n"
        "}\n"
    )


def apply_host_guard(text: str) -> None:
    """Load a `render_host_guard` table in the host's namespace, atomically."""
    table_of(text)
    run(["nft", "-f", "-"], input_text=text)


def delete_host_guard(table_name: str) -> None:
    """Remove the host guard table; missing: no-op."""
    table = validate_table(table_name)
    run(["nft", "-f", "-"], input_text=f"table inet {table}\ndelete table inet {table}\n")
