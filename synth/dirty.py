"""``--dirty``: the defects real data has, injected on purpose and recorded exactly in manifest.json.

Each defect entry names the file (relative to the output folder), the 1-based data row (header not counted;
features in order for GeoPackage/shapefile; rows in order for Parquet), the field, the defect kind, and the
original and injected values. File-level defects (BOM, undeclared GBK) have row and field null. A row gets at
most one defect kind, so every entry can be checked on its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from standards.gcj02 import wgs84_to_gcj02

DEFECT_KINDS = ("wrong_code", "duplicate_id", "swapped_lat_lon", "gcj02_coordinates", "outside_city",
                "missing_field", "mixed_date_format", "closed_before_opened", "event_out_of_order", "bom",
                "gbk_encoding")
_DATE_FORMATS = ("%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%d/%m/%Y", "%Y.%m.%d")
_CENSUS_REQUIRED = ("OBJNAME", "BGCODE", "DEPTCODE1", "ORDATE")


def _value(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    return v


class Dirt:
    def __init__(self, params: dict[str, Any], rng: np.random.Generator) -> None:
        self.rate = float(params["dirty"]["rate"])
        self.far = [tuple(p) for p in params["dirty"]["far_points"]]
        self.rng = rng
        self.entries: list[dict[str, Any]] = []

    def _record(self, file: str, row: int | None, field: str | None, kind: str, original: Any, injected: Any) -> None:
        self.entries.append({"file": file, "row": row, "field": field, "kind": kind,
                             "original": _value(original), "injected": _value(injected)})

    def _how_many(self, n: int) -> int:
        return max(1, round(self.rate * n)) if n else 0

    # --- census batches -----------------------------------------------------------------------------------------
    def census(self, frames: dict[str, pd.DataFrame]) -> None:
        """Mutate the batch frames (relative path → DataFrame with the standard fields) in place."""
        pool = [(f, i) for f, df in frames.items() for i in range(len(df))]
        total = len(pool)
        order = self.rng.permutation(total)
        cursor = 0

        def take(k: int, need_prev: bool = False) -> list[tuple[str, int]]:
            nonlocal cursor
            got: list[tuple[str, int]] = []
            while len(got) < k and cursor < total:
                f, i = pool[order[cursor]]
                cursor += 1
                if need_prev and i == 0:
                    continue
                got.append((f, i))
            return got

        k = self._how_many(total)
        for f, i in take(k):  # wrong codes: OBJCODE or BGCODE
            df = frames[f]
            fld = "OBJCODE" if self.rng.random() < 0.5 else "BGCODE"
            orig = str(df.at[i, fld])
            variant = int(self.rng.integers(0, 3))
            if variant == 0:
                bad = orig[:-1]  # a digit lost
            elif variant == 1:
                bad = "999999" + orig[6:]  # admin code that does not exist
            else:
                bad = orig[:6] + "99" + orig[8:]  # major class / street part that does not exist
            df.at[i, fld] = bad
            self._record(f, i + 1, fld, "wrong_code", orig, bad)
        for f, i in take(k, need_prev=True):
            df = frames[f]
            orig, dup = df.at[i, "OBJCODE"], df.at[i - 1, "OBJCODE"]
            df.at[i, "OBJCODE"] = dup
            self._record(f, i + 1, "OBJCODE", "duplicate_id", orig, dup)
        for kind in ("swapped_lat_lon", "gcj02_coordinates", "outside_city"):
            for f, i in take(k):
                df = frames[f]
                x, y = float(df.at[i, "X"]), float(df.at[i, "Y"])
                if kind == "swapped_lat_lon":
                    nx, ny = y, x
                elif kind == "gcj02_coordinates":
                    gx, gy = wgs84_to_gcj02(x, y)
                    nx, ny = round(float(gx), 7), round(float(gy), 7)
                else:
                    fx, fy = self.far[int(self.rng.integers(0, len(self.far)))]
                    nx = round(fx + float(self.rng.uniform(-0.05, 0.05)), 7)
                    ny = round(fy + float(self.rng.uniform(-0.05, 0.05)), 7)
                df.at[i, "X"], df.at[i, "Y"] = nx, ny
                self._record(f, i + 1, "X", kind, x, nx)
                self._record(f, i + 1, "Y", kind, y, ny)
        for f, i in take(k):
            df = frames[f]
            fld = _CENSUS_REQUIRED[int(self.rng.integers(0, len(_CENSUS_REQUIRED)))]
            orig = df.at[i, fld]
            df.at[i, fld] = ""
            self._record(f, i + 1, fld, "missing_field", orig, "")
        for f, i in take(k):
            df = frames[f]
            orig = str(df.at[i, "ORDATE"])
            fmt = _DATE_FORMATS[int(self.rng.integers(0, len(_DATE_FORMATS)))]
            new = pd.Timestamp(orig).strftime(fmt)
            df.at[i, "ORDATE"] = new
            self._record(f, i + 1, "ORDATE", "mixed_date_format", orig, new)

    def file_defect(self, file: str, kind: str) -> None:
        self._record(file, None, None, kind, None, None)

    # --- cases and their events (every Parquet chunk gets its share, from its own random stream) ---------------
    def cases(self, df: pd.DataFrame, file: str, row_offset: int = 0,
              rng: np.random.Generator | None = None) -> pd.DataFrame:
        """Defects in one chunk of cases; ``row_offset`` = rows of the file written before this chunk."""
        rng = self.rng if rng is None else rng
        df = df.copy()
        closed = np.flatnonzero(df["closed_at"].notna().to_numpy())
        rows = rng.permutation(len(df))
        k = self._how_many(len(df))
        used: set[int] = set()
        picks = [int(i) for i in rng.permutation(closed)[:k]]
        for i in picks:
            orig = df.at[i, "closed_at"]
            new = df.at[i, "reported_at"] - pd.Timedelta(seconds=int(rng.integers(3600, 72 * 3600)))
            df.at[i, "closed_at"] = new
            used.add(i)
            self._record(file, row_offset + i + 1, "closed_at", "closed_before_opened", orig, new)
        free = [int(i) for i in rows if int(i) not in used]
        for i in free[:k]:
            orig = df.at[i, "grid_code"]
            df.at[i, "grid_code"] = None
            self._record(file, row_offset + i + 1, "grid_code", "missing_field", orig, None)
        for i in free[k:2 * k]:
            orig = str(df.at[i, "grid_code"])
            bad = orig[:12] + "999"
            df.at[i, "grid_code"] = bad
            self._record(file, row_offset + i + 1, "grid_code", "wrong_code", orig, bad)
        return df

    def case_events(self, events: pd.DataFrame, file: str, row_offset: int,
                    rng: np.random.Generator) -> pd.DataFrame:
        """Event-level defects in one chunk (rows ordered by case, then seq): a 结案 timed before the case's
        report, an event timed before the one preceding it, a missing actor."""
        ev = events.copy()
        k = self._how_many(len(ev))
        at = ev["at"].to_numpy()
        first = pd.Series(at).groupby(ev["case_id"].to_numpy()).transform("first").to_numpy()
        seq = ev["seq"].to_numpy()
        used: set[int] = set()

        def pick(candidates: np.ndarray) -> list[int]:
            got = [int(i) for i in rng.permutation(candidates) if int(i) not in used][:k]
            used.update(got)
            return got

        for i in pick(np.flatnonzero(ev["action"].to_numpy() == "close")):
            orig = ev.at[i, "at"]
            new = pd.Timestamp(first[i]) - pd.Timedelta(seconds=int(rng.integers(3600, 72 * 3600)))
            ev.at[i, "at"] = new
            self._record(file, row_offset + i + 1, "at", "closed_before_opened", orig, new)
        later = np.flatnonzero(seq > 1)
        later = later[ev["action"].to_numpy()[later] != "close"]
        # neighbours stay untouched, so "earlier than the event before it" holds against the written file
        later = later[[int(i) - 1 not in used and int(i) + 1 not in used for i in later]]
        shifted = [int(i) for i in rng.permutation(later)]
        chosen: list[int] = []
        for i in shifted:
            if len(chosen) == k:
                break
            if i in used or i - 1 in used or i + 1 in used:
                continue
            chosen.append(i)
            used.add(i)
        for i in chosen:
            orig = ev.at[i, "at"]
            new = pd.Timestamp(at[i - 1]) - pd.Timedelta(seconds=int(rng.integers(600, 24 * 3600)))
            ev.at[i, "at"] = new
            self._record(file, row_offset + i + 1, "at", "event_out_of_order", orig, new)
        for i in pick(np.flatnonzero(ev["actor_id"].notna().to_numpy())):
            orig = ev.at[i, "actor_id"]
            ev.at[i, "actor_id"] = None
            self._record(file, row_offset + i + 1, "actor_id", "missing_field", orig, None)
        return ev

    # --- hotline ------------------------------------------------------------------------------------------------
    def hotline(self, df: pd.DataFrame, files: list[str]) -> pd.DataFrame:
        """Same defects in every variant of one month's log (utf8, gbk, xlsx, raw)."""
        df = df.copy()
        rows = self.rng.permutation(len(df))
        k = self._how_many(len(df))
        for i in rows[:k]:
            i = int(i)
            orig = df.at[i, "called_at"]
            formats = ("%Y/%m/%d %H:%M", "%Y%m%d%H%M%S", "%Y年%m月%d日 %H:%M", "%d/%m/%Y %H:%M:%S")
            fmt = formats[int(self.rng.integers(0, len(formats)))]
            new = pd.Timestamp(orig).strftime(fmt)
            df.at[i, "called_at"] = new
            for f in files:
                self._record(f, i + 1, "called_at", "mixed_date_format", orig, new)
        for i in rows[k:2 * k]:
            i = int(i)
            orig = df.at[i, "text"]
            df.at[i, "text"] = ""
            for f in files:
                self._record(f, i + 1, "text", "missing_field", orig, "")
        return df

    def manifest(self, seed: int) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for e in self.entries:
            counts[e["kind"]] = counts.get(e["kind"], 0) + 1
        return {"synthetic": True, "seed": seed, "kinds": list(DEFECT_KINDS), "counts": counts,
                "defects": self.entries}
