"""Several API processes of one service on one port (``<SERVICE>_WORKERS``), on PostgreSQL:
what one process writes, the others read; the answers are the single process's."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from services.businesses.schemas import DEMAND_EXAMPLE
from shared.identity.model import Role
from shared.identity.settings import IdentitySettings
from shared.settings import REPO_ROOT
from tests.fixtures.postgres import PostgresServer
from tests.integration.ingest.harness import Organisations

WORKERS = 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_api_processes_share_one_port_and_one_database(
    tmp_path: Path,
    postgres_server: PostgresServer,
    identity_settings: IdentitySettings,
    organisations: Organisations,
) -> None:
    database_url = postgres_server.create_database()
    port = free_port()
    env = {
        **os.environ,
        "KETNOI_STATE_DIR": str(tmp_path),
        "KETNOI_IDENTITY_PUBLIC_KEY_FILE": str(identity_settings.public_key_file),
        "KETNOI_IDENTITY_PRIVATE_KEY_FILE": str(identity_settings.private_key_file),
        "BUSINESSES_PORT": str(port),
        "BUSINESSES_DATABASE_URL": database_url,
        "BUSINESSES_WORKERS": str(WORKERS),
    }
    log_file = tmp_path / "serve.log"
    with log_file.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "services.businesses", "serve"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while len(re.findall(r"Application startup complete", log_file.read_text())) < WORKERS:
            assert server.poll() is None, log_file.read_text()
            assert time.monotonic() < deadline, log_file.read_text()
            time.sleep(0.2)

        business = organisations.new(Role.BUSINESS)
        headers = organisations.headers(business)
        posted = []
        # New connections, so the kernel spreads them over the processes listening.
        for _ in range(20):
            with httpx.Client(base_url=url, timeout=10) as client:
                response = client.post("/v1/demands", json=DEMAND_EXAMPLE, headers=headers)
                assert response.status_code == 201, response.text
                posted.append(response.json()["demand_id"])
        for demand_id in posted:
            with httpx.Client(base_url=url, timeout=10) as client:
                response = client.get(f"/v1/demands/{demand_id}", headers=headers)
                assert response.status_code == 200, response.text
                assert response.json()["demand_id"] == demand_id
    finally:
        server.terminate()
        server.wait(timeout=60)
        postgres_server.drop_database(database_url)

    pids = set(re.findall(r"Started server process \[(\d+)\]", log_file.read_text()))
    assert len(pids) == WORKERS, log_file.read_text()
