"""``make test`` installs what only Debian has when it is missing: as root directly, else through sudo, and when
neither is possible it says in one sentence which packages to install. apt-get, sudo and id are stand-ins here
(a test must not install packages); the script is the real one the Makefile runs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "debian-packages.sh"


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/bash\n{body}\n")
    path.chmod(0o755)


@pytest.fixture
def machine(tmp_path: Path) -> Path:
    """A PATH holding only stand-ins: ``present-tool`` is installed, everything else is missing."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    _stub(bin_dir, "present-tool", "exit 0")
    _stub(bin_dir, "id", 'echo "${FAKE_UID:-0}"')
    _stub(bin_dir, "apt-get", f'echo "apt-get $*" >> {log}; exit "${{FAKE_APT_RC:-0}}"')
    os.symlink("/usr/bin/env", bin_dir / "env")
    return bin_dir


def _run(bin_dir: Path, *pairs: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/bin/bash", str(SCRIPT), "make test", *pairs], capture_output=True, text=True,
                          env={"PATH": str(bin_dir), **env}, check=False)


def _calls(bin_dir: Path) -> list[str]:
    log = bin_dir.parent / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def test_nothing_is_installed_when_every_command_is_there(machine: Path) -> None:
    run = _run(machine, "present-tool=present-pkg", f"{machine / 'present-tool'}=other-pkg")
    assert run.returncode == 0, run.stderr
    assert _calls(machine) == []


def test_root_installs_each_missing_package_once(machine: Path) -> None:
    run = _run(machine, "present-tool=present-pkg", "pdftoppm=poppler-utils", "pdffonts=poppler-utils",
               "/nonexistent/chromium=chromium")
    assert run.returncode == 0, run.stderr
    assert _calls(machine) == ["apt-get update -q",
                               "apt-get install -y -q --no-install-recommends poppler-utils chromium"]


def test_a_user_with_sudo_installs_through_sudo(machine: Path) -> None:
    _stub(machine, "sudo", f'echo "sudo $1" >> {machine.parent / "calls.log"}; exec "$@"')
    run = _run(machine, "pdftoppm=poppler-utils", FAKE_UID="1000")
    assert run.returncode == 0, run.stderr
    assert _calls(machine) == ["sudo env", "apt-get update -q", "sudo env",
                               "apt-get install -y -q --no-install-recommends poppler-utils"]


def test_without_root_or_sudo_one_sentence_names_the_packages(machine: Path) -> None:
    run = _run(machine, "pdftoppm=poppler-utils", "docker-compose=docker-compose", FAKE_UID="1000")
    assert run.returncode == 1
    assert _calls(machine) == []
    assert run.stderr.strip().splitlines() == [
        "make test needs the Debian packages poppler-utils docker-compose, and this user is not root and has no "
        "sudo: as root, run `apt-get update && apt-get install -y poppler-utils docker-compose`, then make test "
        "again."]


def test_a_failing_apt_get_stops_with_the_packages_named(machine: Path) -> None:
    run = _run(machine, "pdftoppm=poppler-utils", FAKE_APT_RC="100")
    assert run.returncode == 1
    assert "make test needs the Debian packages poppler-utils, and apt-get update failed" in run.stderr
