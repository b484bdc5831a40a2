"""Run the product in a process of its own, the way `make run` and production do (uvicorn,
ASGI, whitenoise, and the background task worker beside it), on a database the caller
chooses. Used by the end-to-end tests and the benchmark, so both measure exactly what a
newcomer and a city would run::

    env = {**os.environ, "DATABASE_URL": "sqlite:////tmp/x/db.sqlite3"}
    prepare_database(env)
    with running_portal(env, log_path=Path("/tmp/x/server.log")) as (url, pid):
        urllib.request.urlopen(f"{url}/healthz")

A test that restarts the server (a deployment, or a crash) starts and stops named
processes on one database with :class:`Processes`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


# Polls twice a second, so that a test sees an email delivered soon after the request.
WORKER_COMMAND = [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.5"]


class PortalDidNotStart(RuntimeError):
    pass


def manage(env: dict[str, str], *command: str) -> str:
    """Run a management command in a fresh process; its output, or an error with its log."""
    result = subprocess.run(
        [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise PortalDidNotStart(
            f"manage.py {' '.join(command)} failed:\n{result.stdout}{result.stderr}"
        )
    return result.stdout.strip()


def prepare_database(env: dict[str, str]) -> str:
    """Migrate and load the Stadt Köln demo; returns what the demo load reported."""
    manage(env, "migrate", "--no-input", "-v", "0")
    return manage(env, "load_demo")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_portal(
    env: dict[str, str],
    *,
    log_path: Path,
    workers: int = 1,
    extra_args: tuple[str, ...] = (),
    with_worker: bool = True,
) -> Iterator[tuple[str, int]]:
    """uvicorn on a free loopback port and, unless ``with_worker=False``, the task worker
    (`manage.py db_worker`, so that emails are delivered); yields the base URL and uvicorn's
    process id once /healthz answers, and stops both however the block ends. Both write to
    ``log_path``."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "buergerbuero.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), *extra_args,
    ]  # fmt: skip
    with log_path.open("w") as log:
        server = _start(command, env, log)
        worker = _start(WORKER_COMMAND, env, log) if with_worker else None
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, server, log_path)
            yield url, server.pid
        finally:
            for process in (worker, server):
                if process is not None:
                    _stop(process)


class Processes:
    """The server processes of one test, on one database (``env``), each started and
    stopped at will: a restart is a stop (or a crash) and a start under a new name.
    No task worker: a test that needs one starts it itself. ::

        processes = Processes(env, workdir)
        url = processes.start("a")
        processes.kill("a")            # a crash: SIGKILL, nothing is shut down cleanly
        url = processes.start("a2")    # the same database, a new process
    """

    def __init__(self, env: dict[str, str], workdir: Path):
        self.env, self.workdir = env, workdir
        self.running: dict[str, tuple[contextlib.AbstractContextManager, int]] = {}

    def start(self, name: str) -> str:
        """Start process ``name`` (log: ``workdir/<name>.log``); its base URL once it answers."""
        portal = running_portal(self.env, log_path=self.workdir / f"{name}.log", with_worker=False)
        url, pid = portal.__enter__()
        self.running[name] = (portal, pid)
        return url

    def stop(self, name: str) -> None:
        """SIGTERM, as a deployment does: uvicorn closes its sockets and finishes."""
        portal, _pid = self.running.pop(name)
        portal.__exit__(None, None, None)

    def kill(self, name: str) -> None:
        """SIGKILL to the process and its workers, as a crash or the OOM killer does:
        no request is finished, no connection closed, nothing flushed."""
        portal, pid = self.running.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        portal.__exit__(None, None, None)  # finds it gone; closes the log

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)

    def logs(self) -> str:
        """The end of every process's log, for a failure message."""
        return "\n".join(
            f"== {log.name} ==\n{log.read_text()[-3000:]}"
            for log in sorted(self.workdir.glob("*.log"))
        )


def _start(command: list[str], env: dict[str, str], log) -> subprocess.Popen:
    # A session of its own: Ctrl-C reaches the caller, which then stops the processes in
    # order, and a hung server can be killed with all its workers at once.
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        # uvicorn's supervisor shuts its workers down gracefully; the task worker finishes
        # the task it is running.
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_healthy(url: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310
                return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise PortalDidNotStart(log_path.read_text()) from None
            time.sleep(0.2)
