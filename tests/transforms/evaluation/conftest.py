"""The hand-built test city (see city.py) and a scheme with small minimum samples, as fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.transforms.evaluation.city import City, build_october
from transforms.evaluation.scheme import DEFAULT_SCHEME


@pytest.fixture
def october() -> City:
    return build_october()


@pytest.fixture
def small_scheme(tmp_path: Path) -> Path:
    """The default scheme with minimum samples a city of a dozen cases can reach."""
    data = yaml.safe_load(DEFAULT_SCHEME.read_text(encoding="utf-8"))
    data["version"] = "test-1"
    data["objects"]["region"]["min_sample"] = {"district": 2, "street": 2, "community": 2, "grid": 3}
    for obj in ("department", "supervisor", "operator", "shift_leader", "dispatcher"):
        data["objects"][obj]["min_sample"] = 3
    path = tmp_path / "scheme.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
