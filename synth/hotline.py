"""12319 热线 call log: one call per hotline case, repeat calls about open cases, and consultations that create
no case. Callers are masked (139****1234); the raw number only goes to the separate 'raw' variant."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

CONSULTATION_TOPICS = ("垃圾清运时间", "占道经营审批办理", "户外广告设置审批", "渣土运输证办理", "门前三包责任",
                       "停车收费标准", "绿化带养护责任单位", "路灯开关时间", "共享单车投放点", "施工许可公示")
_COMPLAINTS = ("，已经好几天了，没人管", "，影响出行，要求尽快处理", "，存在安全隐患", "，味道很大", "，希望尽快解决")

CALL_LEAD_MAX_S = 600  # a hotline case is reported at most this long after its call

HOTLINE_COLUMNS = ("call_id", "called_at", "caller", "caller_type", "category", "text", "district_code", "grid_code",
                   "linked_case_id", "is_duplicate", "callback_at", "satisfaction")


def calls_for_chunk(cases: pd.DataFrame, params: dict[str, Any], first_call: int, admin_code: str,
                    rng: np.random.Generator) -> pd.DataFrame:
    cfg = params["hotline"]
    hot = cases[cases["source"] == "hotline"]
    n = len(hot)
    rep = hot["reported_at"].to_numpy().astype("datetime64[s]").astype(np.int64)
    primary = pd.DataFrame({
        "called_at": rep - rng.integers(60, CALL_LEAD_MAX_S, n), "linked_case_id": hot["case_id"].to_numpy(),
        "is_duplicate": False, "subject": hot["description"].to_numpy(),
        "district_code": hot["district_code"].to_numpy(), "grid_code": hot["grid_code"].to_numpy(),
        "closed": hot["closed_at"].to_numpy().astype("datetime64[s]"),
    })
    n_dup = rng.poisson(float(cfg["duplicate_rate"]), n)
    di = np.repeat(np.arange(n), n_dup)
    dups = primary.iloc[di].copy()
    dups["called_at"] = dups["called_at"].to_numpy() + rng.integers(1800, 72 * 3600, len(di))
    dups["is_duplicate"] = True
    n_con = int(rng.poisson(float(cfg["consultations_per_case"]) * max(n, 1)))
    lo, hi = (int(rep.min()), int(rep.max())) if n else (0, 1)
    consult = pd.DataFrame({
        "called_at": rng.integers(lo, hi + 1, n_con), "linked_case_id": None, "is_duplicate": False,
        "subject": "市民来电咨询" + np.array(CONSULTATION_TOPICS, dtype=object)[
            rng.integers(0, len(CONSULTATION_TOPICS), n_con)],
        "district_code": None, "grid_code": None, "closed": np.datetime64("NaT", "s"),
    })
    calls = pd.concat([primary, dups, consult], ignore_index=True)
    m = len(calls)
    cats = list(cfg["categories"])
    p = np.array([cfg["categories"][c] for c in cats], dtype=float)
    linked = calls["linked_case_id"].notna().to_numpy()
    cat = np.array(cats, dtype=object)[rng.choice(len(cats), m, p=p / p.sum())]
    cat = np.where(linked & np.isin(cat, ["咨询", "建议"]), "投诉", cat)
    cat = np.where(~linked, np.where(rng.random(m) < 0.8, "咨询", "建议"), cat)
    complaint = np.array(_COMPLAINTS, dtype=object)[rng.integers(0, len(_COMPLAINTS), m)]
    text = np.where(linked, "市民来电反映：" + calls["subject"].to_numpy().astype(object) + complaint,
                    calls["subject"].to_numpy().astype(object) + "，已答复。")
    text = np.where(calls["is_duplicate"].to_numpy(),
                    "市民再次来电催办：" + calls["subject"].to_numpy().astype(object), text)
    # caller numbers
    landline = rng.random(m) < float(cfg["landline_share"])
    prefixes = np.array(cfg["mobile_prefixes"], dtype=object)[rng.integers(0, len(cfg["mobile_prefixes"]), m)]
    body = rng.integers(0, 10**8, m)
    mobile = prefixes + pd.Series(body).map("{:08d}".format).to_numpy()
    local = str(cfg["landline_prefix"]) + "-" + pd.Series(rng.integers(2 * 10**6, 9 * 10**6, m)).astype(str).to_numpy()
    raw = np.where(landline, local, mobile)
    masked = mask_numbers(raw)
    sat = list(cfg["satisfaction"])
    sp = np.array([cfg["satisfaction"][s] for s in sat], dtype=float)
    closed = calls["closed"].to_numpy()
    has_closed = ~pd.isna(closed) & ~calls["is_duplicate"].to_numpy()
    satisfaction = np.where(has_closed, np.array(sat, dtype=object)[rng.choice(len(sat), m, p=sp / sp.sum())], "未回访")
    cb = np.where(has_closed & (satisfaction != "未回访"),
                  np.where(has_closed, closed.astype("datetime64[s]").astype(np.int64), 0)
                  + rng.integers(3600, 48 * 3600, m),
                  np.iinfo(np.int64).min)
    order = np.argsort(calls["called_at"].to_numpy(), kind="stable")
    out = pd.DataFrame({
        "call_id": [f"RX{admin_code}{first_call + i:09d}" for i in range(m)],
        "called_at": calls["called_at"].to_numpy()[order].astype("datetime64[s]"),
        "caller": masked[order], "caller_raw": raw[order],
        "caller_type": np.where(landline, "固话", "手机")[order], "category": cat[order], "text": text[order],
        "district_code": calls["district_code"].to_numpy()[order], "grid_code": calls["grid_code"].to_numpy()[order],
        "linked_case_id": calls["linked_case_id"].to_numpy()[order],
        "is_duplicate": calls["is_duplicate"].to_numpy()[order],
        "callback_at": pd.Series(np.where(cb[order] == np.iinfo(np.int64).min, np.datetime64("NaT"),
                                          cb[order].astype("datetime64[s]")), dtype="datetime64[s]").to_numpy(),
        "satisfaction": satisfaction[order],
    })
    return out


def mask_numbers(raw: np.ndarray) -> np.ndarray:
    """139****1234 for mobiles, 0349-***4567 for landlines."""
    s = pd.Series(raw, dtype=object)
    is_land = s.str.contains("-")
    mob = s.str[:3] + "****" + s.str[-4:]
    land = s.str.split("-").str[0] + "-***" + s.str[-4:]
    return np.where(is_land, land, mob).astype(object)


def hotline_text_frame(calls: pd.DataFrame, raw: bool) -> pd.DataFrame:
    """The file layout: ISO-like 'YYYY-MM-DD HH:MM:SS' strings; the raw variant adds caller_number."""
    df = pd.DataFrame({
        "call_id": calls["call_id"], "called_at": _fmt(calls["called_at"]), "caller": calls["caller"],
        "caller_type": calls["caller_type"], "category": calls["category"], "text": calls["text"],
        "district_code": calls["district_code"].fillna(""), "grid_code": calls["grid_code"].fillna(""),
        "linked_case_id": calls["linked_case_id"].fillna(""),
        "is_duplicate": calls["is_duplicate"].map({True: "是", False: "否"}),
        "callback_at": _fmt(calls["callback_at"]), "satisfaction": calls["satisfaction"],
    })
    if raw:
        df.insert(3, "caller_number", calls["caller_raw"])
    return df.reset_index(drop=True)


def _fmt(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
