"""A PostgreSQL server of the test's own (its data directory under /tmp, its own port), so
that a test may stop and start it; as root, the server runs as the `postgres` user."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.stress.server import free_port

BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


@dataclass
class OwnPostgres:
    data: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_owner(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._as_owner(str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                       "--auth=trust", "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_owner(str(BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
                       "-l", str(self.data / "server.log"), "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._as_owner(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


def own_postgres() -> OwnPostgres:
    """A new, initialised and started server; remove() it afterwards."""
    if not (BIN / "initdb").exists():
        raise FileNotFoundError(f"no PostgreSQL binaries in {BIN} (set PG_BIN)")
    data = Path(tempfile.mkdtemp(prefix="tracker-pg-")) / "data"
    data.parent.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(data.parent, "postgres")
    server = OwnPostgres(data, free_port())
    server.init()
    server.start()
    return server


def remove(server: OwnPostgres) -> None:
    with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
        server.stop()
    shutil.rmtree(server.data.parent, ignore_errors=True)
