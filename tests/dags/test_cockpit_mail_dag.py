"""The ``cockpit_mail`` DAG run with ``dag.test()``: skipped, with the missing setting named, when no mail is
configured; failed, with Superset's address in the message, when Superset does not answer — and no mail reaches
the (real, loopback) SMTP server. The cockpit actually rendered and received is tested against a running Superset
in tests/dashboards/test_superset.py."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from szcg.settings import load_settings
from tests.dags.test_dag_runs import run, states
from tests.dashboards.smtp_sink import SmtpSink

pytestmark = pytest.mark.slow


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Iterator[SmtpSink]:
    with SmtpSink() as box:
        monkeypatch.setenv("SZCG_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SZCG_SMTP_PORT", str(box.port))
        monkeypatch.setenv("SZCG_REPORT_RECIPIENTS", "leader@example.org, mayor-office@example.org")
        monkeypatch.setenv("SZCG_SUPERSET_PORT", str(_closed_port()))
        yield box


def test_without_mail_settings_the_task_is_skipped_with_the_reason(
        dagbag: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from usecases.cockpit import send_cockpit_mail

    monkeypatch.delenv("SZCG_SMTP_HOST", raising=False)
    dag_run = run(dagbag, "cockpit_mail", {"period": "2026-10"})
    assert states(dag_run) == {"period": "success", "mail": "skipped"}
    outcome = send_cockpit_mail(load_settings(), "2026-10")
    assert outcome.sent_to == [] and outcome.skipped == (
        "SZCG_SMTP_HOST is not set: the cockpit of 2026-10 is not mailed to anyone")
    monkeypatch.setenv("SZCG_SMTP_HOST", "127.0.0.1")  # a host but nobody to send to: skipped too
    monkeypatch.setenv("SZCG_REPORT_RECIPIENTS", "")
    assert "SZCG_REPORT_RECIPIENTS is not set" in str(send_cockpit_mail(load_settings(), "2026-10").skipped)


def test_when_superset_does_not_answer_the_task_fails_and_sends_nothing(dagbag: Any, sink: SmtpSink) -> None:
    from usecases.cockpit import CockpitNotSent, send_cockpit_mail

    dag_run = run(dagbag, "cockpit_mail", {"period": "2026-10"})
    assert states(dag_run) == {"period": "success", "mail": "failed"}
    assert str(dag_run.state).rsplit(".", 1)[-1] == "failed"
    settings = load_settings()
    with pytest.raises(CockpitNotSent, match=rf"Superset does not answer at http://127\.0\.0\.1:{settings.superset_port}"
                                             r": the cockpit of 2026-10 was not sent to 2 recipients"):
        send_cockpit_mail(settings, "2026-10")
    assert sink.messages == []
