"""The evaluation scheme is a typed model: unknown keys, loose types and keys that do nothing are refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from szcg.errors import ConfigError
from transforms.evaluation.scheme import DEFAULT_SCHEME, load_scheme

TEXT = DEFAULT_SCHEME.read_text(encoding="utf-8")


def test_the_shipped_scheme_loads_with_its_hash() -> None:
    scheme = load_scheme()
    assert scheme.sha256 == hashlib.sha256(DEFAULT_SCHEME.read_bytes()).hexdigest()
    assert scheme.public_sources == ("public", "hotline") and scheme.bands["case_count"][-1].max is None
    assert scheme.objects["region"].min_sample == {"district": 30, "street": 20, "community": 10, "grid": 5}


@pytest.mark.parametrize(("old", "new", "entry", "line", "problem"), [
    ("  no_sample: redistribute", "  no_sample: redistribute\n  rounding: 2", "rules.rounding", 22,
     "unknown key; expected one of: cutoff, no_sample, public_sources, tie_break"),
    ("  tie_break: [total_desc, sample_desc, code_asc]", "  tie_break: [total_desc, code_asc]", "rules.tie_break", 23,
     "only ['total_desc', 'sample_desc', 'code_asc'] is implemented"),
    ("  cutoff: period_end", "  cutoff: month_start", "rules.cutoff", 17, "expected 'period_end'"),
    ("{indicator: public_report_rate, score: inverse_rate, weight: 10}",
     "{indicator: public_report_rate, score: inverse_rate, weight: '10'}", "objects.region.indicators[1].weight", 60,
     "expected a number, got text '10'"),
    ("{indicator: public_report_rate, score: inverse_rate, weight: 10}",
     "{indicator: public_report_rate, score: inverse_rate, bands: case_count, weight: 10}",
     "objects.region.indicators[1].bands", 60, "does nothing for score: inverse_rate"),
    ("{indicator: public_report_rate, score: inverse_rate, weight: 10}",
     "{indicator: public_report_rate, score: inverse_rate, weigth: 10}", "objects.region.indicators[1].weigth", 60,
     "unknown key; expected one of: indicator, score, weight, bands"),
    ('  - {grade: A, min: 90, colour: 绿色, hex: "#2e7d32"}', '  - {grade: A, min: 90, colour: 绿色, hex: green}',
     "grades[1].hex", 27, "String should match pattern"),
])
def test_scheme_mistakes_name_file_line_and_key(tmp_path: Path, old: str, new: str, entry: str, line: int,
                                                problem: str) -> None:
    assert old in TEXT
    path = tmp_path / "scheme.yaml"
    path.write_text(TEXT.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_scheme(path)
    assert (err.value.file, err.value.entry, err.value.line) == (str(path), entry, line)
    assert err.value.problem.startswith(problem)
