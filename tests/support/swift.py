"""A throwaway single-node OpenStack Swift on loopback for tests: Debian's swift packages run as
programs (never imported: they live on /usr/bin/python3), with their own config, rings, data
dir and free ports in a temp dir; tempauth + s3api, memcached for tempauth's tokens.

`SwiftServer.start()` cleans up after itself when it fails; `stop()` ends only the processes
it started (each in its own session, SIGKILLed by the kernel if pytest dies) and removes the
directory. `swift_server` is a session fixture: import it into a conftest.py to use it there
(one server per conftest that imports it)."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

SWIFT_BIN = Path("/usr/bin")
MEMCACHED = Path("/usr/bin/memcached")
START_TIMEOUT = 60.0
ACCOUNT = "test"
USER = "tester"

SWIFT_CONF = """[swift-hash]
swift_hash_path_suffix = {suffix}
swift_hash_path_prefix = {prefix}
[storage-policy:0]
name = Policy-0
default = yes
"""

SERVER_DEFAULTS = """[DEFAULT]
bind_ip = 127.0.0.1
bind_port = {port}
workers = 0
user = {user}
swift_dir = {etc}
devices = {devices}
mount_check = false
disable_fallocate = true
log_level = WARNING
log_address = /nonexistent
"""

BACKEND = (
    SERVER_DEFAULTS
    + """
[pipeline:main]
pipeline = {kind}-server
[app:{kind}-server]
use = egg:swift#{kind}
[{kind}-replicator]
[{kind}-auditor]
"""
)

PROXY = (
    SERVER_DEFAULTS
    + """
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk \
s3api tempauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true
[filter:tempauth]
use = egg:swift#tempauth
user_{account}_{swift_user} = {key} .admin
token_life = 86400
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:{memcached_port}
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
"""
)

RING_SCRIPT = """
import ast, sys
from swift.common.ring import RingBuilder
etc, devices = sys.argv[1], ast.literal_eval(sys.argv[2])
for kind, port in devices.items():
    builder = RingBuilder(6, 1, 1)
    builder.add_dev({"region": 1, "zone": 1, "ip": "127.0.0.1", "port": port,
                     "device": "d1", "weight": 100.0, "meta": ""})
    builder.rebalance()
    builder.save(f"{etc}/{kind}.builder")
    builder.get_ring().save(f"{etc}/{kind}.ring.gz")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SwiftServer:
    """Swift API at `auth_url` (tempauth v1: `user` / `key`), S3 API at `endpoint_url`
    (access key `user`, secret `key`)."""

    def __init__(self, tls: bool = False) -> None:
        self.tls = tls
        self.root = Path(tempfile.mkdtemp(prefix="srtest-swift-"))
        self.ca_file: Path | None = self.root / "tls" / "ca.crt" if tls else None
        self.ports = {k: _free_port() for k in ("proxy", "account", "container", "object")}
        self.memcached_port = _free_port()
        self.user = f"{ACCOUNT}:{USER}"
        self.key = secrets.token_urlsafe(16)
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def endpoint_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.ports['proxy']}"

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """What an HTTP client needs to trust this server (its private CA when it has TLS)."""
        return ssl.create_default_context(cafile=self.ca_file) if self.ca_file else True

    def client(self) -> httpx.Client:
        return httpx.Client(timeout=10, verify=self.verify)

    @property
    def auth_url(self) -> str:
        return f"{self.endpoint_url}/auth/v1.0"

    def start(self) -> None:
        missing = [p for p in (MEMCACHED, SWIFT_BIN / "swift-proxy-server") if not p.exists()]
        if missing:
            raise AssertionError(f"Swift is not installed ({missing[0]}): run scripts/bootstrap")
        try:
            self._configure()
            self._spawn("memcached", self._memcached_argv())
            for kind in ("account", "container", "object", "proxy"):
                conf = self.root / "etc" / f"{kind}-server.conf"
                self._spawn(kind, [str(SWIFT_BIN / f"swift-{kind}-server"), str(conf), "-v"])
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """End the processes this server started (their own sessions only), remove its dir."""
        for proc in self.processes:  # throwaway data: no need for a graceful stop
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
        for proc in self.processes:
            proc.wait(timeout=30)
        self.processes.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self, name: str) -> str:
        path = self.root / "log" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- set-up ------------------------------------------------------------------------------

    def _configure(self) -> None:
        etc, devices = self.root / "etc", self.root / "srv"
        (devices / "d1").mkdir(parents=True)
        etc.mkdir()
        (self.root / "log").mkdir()
        (etc / "swift.conf").write_text(
            SWIFT_CONF.format(suffix=secrets.token_hex(8), prefix=secrets.token_hex(8))
        )
        common = {"etc": etc, "devices": devices, "user": _user()}
        for kind in ("account", "container", "object"):
            text = BACKEND.format(kind=kind, port=self.ports[kind], **common)
            (etc / f"{kind}-server.conf").write_text(text)
        self._rings()
        account, user = self.user.split(":")
        proxy = PROXY
        if self.tls:
            proxy = proxy.replace("[pipeline:main]", self._certificate() + "[pipeline:main]", 1)
        (etc / "proxy-server.conf").write_text(
            proxy.format(
                port=self.ports["proxy"],
                account=account,
                swift_user=user,
                key=self.key,
                memcached_port=self.memcached_port,
                **common,
            )
        )

    def _certificate(self) -> str:
        """A private CA and a certificate for 127.0.0.1; the proxy's TLS options."""
        from strongroom.pki import CertificateAuthority

        tls = self.root / "tls"
        ca = CertificateAuthority.load_or_create(tls / "authority")
        assert self.ca_file is not None
        self.ca_file.write_bytes(ca.cert_pem)
        paths = ca.issue_server_certificate("swift", "127.0.0.1").write(tls, "proxy")
        return f"cert_file = {paths.cert}\nkey_file = {paths.key}\n"

    def _rings(self) -> None:
        """One device per ring, one replica; built by one run of Debian's Python (what
        `swift-ring-builder create/add/rebalance` does, without nine interpreter starts)."""
        devices = {kind: self.ports[kind] for kind in ("account", "container", "object")}
        proc = subprocess.run(
            ["/usr/bin/python3", "-c", RING_SCRIPT, str(self.root / "etc"), repr(devices)],
            capture_output=True,
            text=True,
            env=_swift_env(),
            timeout=60,
        )
        if proc.returncode != 0:
            raise AssertionError(f"building the Swift rings failed: {proc.stderr[-2000:]}")

    def _memcached_argv(self) -> list[str]:
        argv = [str(MEMCACHED), "-l", "127.0.0.1", "-p", str(self.memcached_port), "-U", "0"]
        return [*argv, "-m", "16", *(["-u", "nobody"] if os.geteuid() == 0 else [])]

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = (self.root / "log" / f"{name}.log").open("ab")
        with log:
            self.processes.append(
                subprocess.Popen(
                    # setpriv: SIGKILLed by the kernel if pytest dies, so nothing outlives a run
                    ["setpriv", "--pdeathsig", "KILL", "--", *argv],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                    env=_swift_env(),
                )
            )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        headers = {"X-Auth-User": self.user, "X-Auth-Key": self.key}
        http = self.client()
        while time.monotonic() < deadline:
            for proc in self.processes:
                if proc.poll() is not None:
                    logs = {k: self.log(k)[-1500:] for k in (*self.ports, "memcached")}
                    raise AssertionError(f"a Swift process exited: {proc.args}: {logs}")
            with contextlib.suppress(httpx.HTTPError):
                auth = http.get(self.auth_url, headers=headers)
                if auth.status_code == 200:
                    account = http.head(
                        auth.headers["X-Storage-Url"],
                        headers={"X-Auth-Token": auth.headers["X-Auth-Token"]},
                    )
                    if account.status_code in (200, 204):
                        return
            time.sleep(0.2)
        raise AssertionError(f"Swift did not answer in {START_TIMEOUT} s: {self.log('proxy')}")


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def _swift_env() -> dict[str, str]:
    """The environment for Debian's Python: nothing of the test's venv."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
    return env


@pytest.fixture(scope="session")
def swift_server() -> Iterator[SwiftServer]:
    """A Swift started once for the session (~7-15 s), stopped at its end."""
    server = SwiftServer(tls=True)  # clients trust it through `ca_file`, as for a private cloud
    server.start()
    try:
        yield server
    finally:
        server.stop()
