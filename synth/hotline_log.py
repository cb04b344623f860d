"""Writes the 12319 call log month by month while cases are still being generated, so memory holds at most the
months that are not complete yet (calls wait in a small on-disk spool, never the whole log in memory)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synth.hotline import hotline_text_frame
from synth.writers import write_csv, write_xlsx

SPOOL = "hotline/.spool"


class HotlineLog:
    """``add`` each chunk's calls (in chunk order), then ``flush_before`` the first instant a later chunk's call
    can have; months wholly before it are written (utf8, gbk, xlsx, raw variants) and their spool deleted."""

    def __init__(self, out: Path, dirt: Any = None) -> None:
        self.out = out
        self.dirt = dirt
        self.spool = out / SPOOL
        self.pieces: dict[str, int] = {}  # month -> pieces spooled
        self.files: list[str] = []
        self._gbk_defect_done = False

    def add(self, calls: pd.DataFrame) -> None:
        if not len(calls):
            return
        months = pd.to_datetime(calls["called_at"]).dt.strftime("%Y-%m").to_numpy()
        for month in sorted(set(months)):
            folder = self.spool / month
            folder.mkdir(parents=True, exist_ok=True)
            n = self.pieces.get(month, 0)
            calls[months == month].reset_index(drop=True).to_parquet(folder / f"{n:05d}.parquet", index=False)
            self.pieces[month] = n + 1

    def flush_before(self, instant: np.datetime64 | None) -> None:
        """Write every spooled month that ends before ``instant`` (all months when None)."""
        limit = None if instant is None else pd.Timestamp(instant).strftime("%Y-%m")
        for month in sorted(self.pieces):
            if limit is not None and month >= limit:
                break
            self._write_month(month)

    def close(self) -> None:
        self.flush_before(None)
        shutil.rmtree(self.spool, ignore_errors=True)

    def _write_month(self, month: str) -> None:
        folder = self.spool / month
        n = self.pieces.pop(month)
        part = pd.concat([pd.read_parquet(folder / f"{i:05d}.parquet") for i in range(n)], ignore_index=True)
        shutil.rmtree(folder)
        names = {"utf8": f"hotline/utf8/{month}.csv", "gbk": f"hotline/gbk/{month}.csv",
                 "xlsx": f"hotline/xlsx/{month}.xlsx", "raw": f"hotline/raw/{month}.csv"}
        masked = hotline_text_frame(part, raw=False)
        raw = hotline_text_frame(part, raw=True)
        if self.dirt is not None:
            masked = self.dirt.hotline(masked, [names["utf8"], names["gbk"], names["xlsx"], names["raw"]])
            raw = raw.copy()
            for col in ("called_at", "text"):
                raw[col] = masked[col].to_numpy()
        gbk_here = self.dirt is not None and not self._gbk_defect_done
        write_csv(masked, self.out / names["utf8"], "gbk" if gbk_here else "utf-8")
        if gbk_here:
            self.dirt.file_defect(names["utf8"], "gbk_encoding")
            self._gbk_defect_done = True
        write_csv(masked, self.out / names["gbk"], "gbk")
        write_xlsx({"12319来电": masked}, self.out / names["xlsx"])
        write_csv(raw, self.out / names["raw"])
        self.files += list(names.values())
