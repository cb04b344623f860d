"""The domain's words are defined once (szcg.vocabulary) and every part that spells them agrees: the workflow's
table, the conformed case model, the feed's action mapping, the warehouse's labels and the marts."""

from __future__ import annotations

import re

import duckdb
import pytest
import yaml

from casework import workflow as wf
from szcg import vocabulary as v
from tests.szcg.sources import production_sources, read
from transforms.cases import model
from transforms.cases.vocabulary import VOCABULARY
from warehouse.migrate import migrate


def test_the_workflow_and_the_case_model_speak_the_vocabulary() -> None:
    assert wf.State is v.CaseState and wf.Action is v.CaseAction and wf.Role is v.Role
    assert frozenset(v.TERMINAL_STATES) == wf.TERMINAL and set(wf.SOURCES) == set(v.INTAKE_SOURCES)
    assert tuple(v.CaseState) == model.STATUSES and model.TERMINAL_STATUSES == v.TERMINAL_STATES
    assert tuple(v.EventAction) == model.ACTIONS and tuple(v.Source) == model.SOURCES


def test_every_state_is_one_the_table_uses() -> None:
    used = {t.target for t in wf.TRANSITIONS} | {t.source for t in wf.TRANSITIONS if t.source is not None}
    assert used == set(v.CaseState)
    assert set(wf.Action) == {t.action for t in wf.TRANSITIONS}


def test_terminal_states_are_the_ones_the_table_never_leaves() -> None:
    left = {t.source for t in wf.TRANSITIONS}
    assert {s for s in v.CaseState if s not in left} == set(v.TERMINAL_STATES)


def test_unregistered_states_are_those_reached_without_a_register() -> None:
    """What "registered" leaves out (marts, cockpit) is where the table can take a case before any 立案."""
    reached: set[v.CaseState] = set()
    frontier: set[v.CaseState | None] = {None}
    while frontier:
        step = {t.target for t in wf.TRANSITIONS if t.source in frontier and t.action != v.CaseAction.register}
        frontier = set(step - reached)
        reached |= step
    assert reached == set(v.UNREGISTERED_STATES)


def test_the_feed_maps_every_service_action_onto_an_event_action() -> None:
    data = yaml.safe_load(VOCABULARY.read_text(encoding="utf-8"))
    actions = data["casework_actions"]
    assert set(actions) == set(v.CaseAction)
    assert {m["action"] for m in actions.values()} == set(v.EventAction)
    assert set(data["synth_states"].values()) <= set(v.CaseState)


@pytest.fixture(scope="module")
def labels() -> dict[str, list[tuple[str, str, int]]]:
    con = duckdb.connect()
    migrate(con)
    domains = list(v.as_template_context()["labels"])
    rows = con.execute("SELECT domain, code, label, sort_key FROM marts.dash_label WHERE list_contains(?, domain)"
                       " ORDER BY domain, sort_key", [domains]).fetchall()
    out: dict[str, list[tuple[str, str, int]]] = {}
    for domain, code, label, sort_key in rows:
        out.setdefault(domain, []).append((code, label, sort_key))
    return out


def test_the_dashboards_label_every_word_as_the_vocabulary_does(labels: dict[str, list[tuple[str, str, int]]]) -> None:
    assert labels == v.as_template_context()["labels"]


def test_the_summaries_count_registered_and_closed_by_the_vocabulary() -> None:
    from warehouse.models import table_model

    sql = table_model("marts.summary_case_month")
    # 立案 by its event (marts.case_registration, one meaning with the evaluation), 结案 by the vocabulary's status
    assert "marts.case_registration" in sql and f"status = '{v.CaseState.closed}'" in sql


def test_sql_lists_quote_their_words() -> None:
    assert v.sql_list(v.TERMINAL_STATES) == "('closed', 'rejected', 'voided')"
    assert v.sql_list(["it's"]) == "('it''s')"
    with pytest.raises(ValueError):
        v.sql_list([])
    context = v.as_template_context()
    assert context["unregistered_states"] == ["reported", "verifying", "accepted", "rejected"]
    assert context["unregistered_states_sql"] == "('reported', 'verifying', 'accepted', 'rejected')"


# A run of quoted words (over line breaks); a run that is one of the vocabulary's lists is a copy of it. Not counted:
# a typing Literal, which has to spell its values (tests below tie those to the vocabulary), and a run with repeated
# words, which is a weighted sample (synthetic data), not a list of the words.
QUOTED_RUN = re.compile(r"""(?:["'][a-z_]+["']\s*,\s*)+["'][a-z_]+["']""")
VOCABULARY_LISTS = {frozenset(v.CaseState): "CaseState", frozenset(v.TERMINAL_STATES): "TERMINAL_STATES",
                    frozenset(v.UNREGISTERED_STATES): "UNREGISTERED_STATES", frozenset(v.CASE_KINDS): "CASE_KINDS",
                    frozenset(v.SATISFIED): "SATISFIED", frozenset(v.REACHED): "REACHED",
                    frozenset(v.Source): "Source", frozenset(v.INTAKE_SOURCES): "INTAKE_SOURCES",
                    frozenset(v.CLIENT_SOURCES): "CLIENT_SOURCES"}


def _copied_lists(text: str) -> list[str]:
    found = []
    for run in QUOTED_RUN.finditer(text):
        words = re.findall(r"[a-z_]+", run.group())
        if text[:run.start()].endswith("Literal[") or len(set(words)) < len(words):
            continue
        if frozenset(words) in VOCABULARY_LISTS:
            found.append(VOCABULARY_LISTS[frozenset(words)])
    return found


def test_the_catalogues_kind_type_is_the_vocabularys() -> None:
    from typing import get_args

    from standards.catalogue import Kind

    assert get_args(Kind) == v.CASE_KINDS


def test_the_copy_finder_finds_a_copy() -> None:
    assert _copied_lists("x = ('closed',\n 'voided', 'rejected')  # 'closed', 'voided'") == ["TERMINAL_STATES"]
    assert _copied_lists('Kind = Literal["component", "event"]; k in ("event", "component")') == ["CASE_KINDS"]
    assert _copied_lists('Literal["supervisor", "public", "hotline", "video", "leader"]') == []
    assert _copied_lists("['public', 'hotline', 'public', 'video', 'leader']") == []


def test_no_module_or_model_spells_out_a_vocabulary_list() -> None:
    """Python and SQL models outside the migrations (which record history and are never edited) import or render
    the lists from szcg.vocabulary."""
    found = [f"{path}: {name}" for path in production_sources(("*.py", "*.sql"))
             if path != "szcg/vocabulary.py" and not path.startswith("warehouse/migrations/")
             for name in _copied_lists(read(path))]
    assert not found, "import or render these from szcg.vocabulary instead of spelling them out:\n" + "\n".join(found)


def test_the_default_hotline_mapping_maps_onto_the_satisfaction_words() -> None:
    from transforms.hotline.ingest import DEFAULT_MAPPING

    data = yaml.safe_load(DEFAULT_MAPPING.read_text(encoding="utf-8"))
    assert set(data["satisfaction"].values()) == set(v.Satisfaction)
    assert {v.SATISFACTION_LABELS[v.Satisfaction(code)] for code in data["satisfaction"].values()} == set(
        data["satisfaction"])


def test_the_case_apis_literal_types_are_the_vocabularys() -> None:
    """Pydantic needs Literal types for the API schema; they must say what the vocabulary says."""
    from typing import get_args

    from casework.api import schemas

    assert get_args(schemas.Kind) == v.CASE_KINDS
    assert set(get_args(schemas.Source)) == set(v.INTAKE_SOURCES)
    assert set(get_args(schemas.ApiClientIn.model_fields["source"].annotation)) == set(v.CLIENT_SOURCES)


def test_every_word_has_its_label() -> None:
    assert list(v.STATE_LABELS) == list(v.CaseState) and list(v.SOURCE_LABELS) == list(v.Source)
    assert list(v.KIND_LABELS) == list(v.CaseKind) and list(v.SATISFACTION_LABELS) == list(v.Satisfaction)
