"""Start and stop the system's processes on one machine, with pid files and log files.

Each process is detached into its own session so that ``ketnoi up`` can return; its output
goes to ``<state>/logs/<name>.log`` and its pid to ``<state>/run/<name>.pid``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from services.cli.health import group_is_serving
from services.cli.topology import Process


@dataclass(frozen=True)
class Running:
    process: Process
    pid: int
    log_file: Path
    url: str | None


class Supervisor:
    def __init__(self, state_dir: Path) -> None:
        self.run_dir = state_dir / "run"
        self.log_dir = state_dir / "logs"

    def _pid_file(self, process: Process) -> Path:
        return self.run_dir / f"{process.name}.pid"

    def pid_of(self, process: Process) -> int | None:
        """The pid of the process if it is alive, else None (and a stale pid file is removed)."""
        pid_file = self._pid_file(process)
        try:
            pid = int(pid_file.read_text().strip())
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError):
            return None
        except ProcessLookupError:
            pid_file.unlink(missing_ok=True)
            return None
        return pid

    def url_of(self, process: Process) -> str | None:
        if not process.serves_http or process.port_env is None:
            return None
        port = os.environ.get(process.port_env, str(process.default_port))
        return f"http://127.0.0.1:{port}"

    def start(self, process: Process, extra_env: dict[str, str] | None = None) -> Running:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_file = self.log_dir / f"{process.name}.log"
        pid = self.pid_of(process)
        if pid is None:
            env = {**os.environ, **process.env, **(extra_env or {})}
            with log_file.open("ab") as log:
                child = subprocess.Popen(
                    process.argv,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=env,
                    start_new_session=True,
                )
            pid = child.pid
            self._pid_file(process).write_text(str(pid))
        return Running(process, pid, log_file, self.url_of(process))

    def wait_healthy(self, running: Running, timeout: float = 60.0) -> None:
        """Wait until an HTTP process answers its health path, or a worker stays alive briefly."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid_of(running.process) is None:
                raise RuntimeError(
                    f"{running.process.name} exited; see its log: {running.log_file}"
                )
            if running.url is None:
                group = running.process.consumer_group
                if group is None or group_is_serving(group):
                    return
                time.sleep(0.5)
                continue
            try:
                with urllib.request.urlopen(running.url + running.process.health_path, timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        raise RuntimeError(
            f"{running.process.name} did not become healthy in {timeout:.0f} s; "
            f"see its log: {running.log_file}"
        )

    def stop(self, process: Process, timeout: float = 20.0) -> bool:
        """SIGTERM the process group, then SIGKILL what is left; True if something was stopped."""
        pid = self.pid_of(process)
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._alive(pid):
            time.sleep(0.2)
        if self._alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        self._pid_file(process).unlink(missing_ok=True)
        return True

    @staticmethod
    def _alive(pid: int) -> bool:
        try:
            waited, _ = os.waitpid(pid, os.WNOHANG)
            if waited == pid:
                return False
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
