"""Debian's coturn on loopback, configured the way production uses it (``use-auth-secret``),
so that a test can prove the credentials made by :mod:`buergerbuero.videooffice.turn` really
open a relay::

    with running_coturn("s3cret") as turn:
        turn["urls"]  # ["turn:127.0.0.1:41234?transport=udp", "turn:...?transport=tcp"]

Everything the server writes (log, pid file, its empty user database) stays in a temporary
directory, and it runs in the foreground as a child of the test, so no root-only path or
service is touched. ``apt-get install coturn`` provides ``/usr/bin/turnserver``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

TURNSERVER = "/usr/bin/turnserver"
REALM = "buergerbuero.test"
# The relay ports (one per allocation); coturn skips ports that are taken.
RELAY_PORTS = (49152, 65535)


class CoturnDidNotStart(RuntimeError):
    pass


@contextlib.contextmanager
def running_coturn(secret: str) -> Iterator[dict]:
    """Start turnserver on a free loopback port; yield its TURN URLs and port once it answers
    STUN over UDP and accepts TCP, and stop it however the block ends."""
    if not Path(TURNSERVER).exists():
        raise CoturnDidNotStart(f"{TURNSERVER} is missing: apt-get install coturn")
    port = _free_udp_and_tcp_port()
    with tempfile.TemporaryDirectory(prefix="coturn-") as workdir:
        log_path = Path(workdir) / "turnserver.log"
        command = [
            TURNSERVER,
            "-n",  # no configuration file: everything is on this command line
            "--listening-ip=127.0.0.1",
            f"--listening-port={port}",
            "--relay-ip=127.0.0.1",
            # Both browsers' relay addresses are 127.0.0.1, which coturn refuses by default.
            "--allow-loopback-peers",
            f"--min-port={RELAY_PORTS[0]}",
            f"--max-port={RELAY_PORTS[1]}",
            "--use-auth-secret",
            f"--static-auth-secret={secret}",
            f"--realm={REALM}",
            "--fingerprint",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--no-rfc5780",
            f"--userdb={workdir}/turndb",
            f"--pidfile={workdir}/turnserver.pid",
            f"--log-file={log_path}",
            "--simple-log",
        ]
        with log_path.open("a") as log:
            server = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            _wait_ready(port, server, log_path)
            yield {
                "urls": [
                    f"turn:127.0.0.1:{port}?transport=udp",
                    f"turn:127.0.0.1:{port}?transport=tcp",
                ],
                "port": port,
                "log_path": log_path,
            }
        finally:
            _stop(server)


def _free_udp_and_tcp_port() -> int:
    """A port free for both protocols (TURN listens on both)."""
    for _ in range(50):
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port
    raise CoturnDidNotStart("no port free for both UDP and TCP on 127.0.0.1")


def _stun_binding_answered(port: int) -> bool:
    """Send a STUN Binding request (RFC 5389) over UDP; whether a success response came."""
    transaction = os.urandom(12)
    request = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + transaction
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(0.3)
        udp.sendto(request, ("127.0.0.1", port))
        try:
            response = udp.recv(2048)
        except OSError:
            return False
    return response[:2] == b"\x01\x01" and response[8:20] == transaction


def _tcp_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.3):
            return True
    except OSError:
        return False


def _wait_ready(port: int, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 15
    while not (_stun_binding_answered(port) and _tcp_accepts(port)):
        if server.poll() is not None or time.monotonic() > deadline:
            _stop(server)
            raise CoturnDidNotStart(log_path.read_text())
        time.sleep(0.1)


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
