"""The use cases are tested on the real engines, with the census tests' synthetic lattice of grids and batches."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "census_loaders"))
