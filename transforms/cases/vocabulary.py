"""``vocabulary.yaml``: the case service's actions and the synthetic city's states in the conformed model's words.

Read through a typed model: an unknown key, a word that is not an action or state of the conformed model, or a
wrong type is a ConfigError naming the file, the line and the key.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field, field_validator

from szcg.configmodel import ConfigModel, load_yaml
from transforms.cases.model import ACTIONS, STATUSES

VOCABULARY = Path(__file__).with_name("vocabulary.yaml")


class ActionWord(ConfigModel):
    """A case-service action as the conformed ``core.case_event``: the generic step and what it decided."""

    action: str
    outcome: str | None = None  # e.g. approved / denied for a request, passed / failed for 核查

    @field_validator("action")
    @classmethod
    def _conformed(cls, value: str) -> str:
        if value not in ACTIONS:
            raise ValueError(f"{value!r} is not an action of the conformed model; known: {', '.join(ACTIONS)}")
        return value


class VocabularyFile(ConfigModel):
    casework_actions: dict[str, ActionWord] = Field(min_length=1)  # casework.workflow.Action → conformed action
    synth_states: dict[str, str] = Field(min_length=1)  # synthetic city's state → workflow state

    @field_validator("synth_states")
    @classmethod
    def _workflow_states(cls, value: dict[str, str]) -> dict[str, str]:
        for word, state in value.items():
            if state not in STATUSES:
                raise ValueError(f"{word}: {state!r} is not a workflow state; known: {', '.join(STATUSES)}")
        return value


@cache
def load_vocabulary(path: Path = VOCABULARY) -> VocabularyFile:
    return load_yaml(VocabularyFile, path)
