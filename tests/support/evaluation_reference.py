"""A pandas implementation of the same indicators, for the benchmark (speed ratio) and as an independent check
of the SQL models' fact derivation. Not used in production: the DuckDB models are the definition."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from standards.calendar import WorkingCalendar
from standards.handbook import Handbook
from transforms.evaluation.indicators import REGION_LEVELS, Indicator, indicators_of
from transforms.evaluation.period import Period

_POST_OBJECTS = ("supervisor", "operator", "shift_leader", "dispatcher")


def _expr(sql: str) -> str:
    """The catalogue's SQL predicate as a pandas ``eval`` expression."""
    out = re.sub(r"(\w+) IS NOT NULL", r"(\1 == \1)", sql)
    out = out.replace(" AND ", " & ").replace(" OR ", " | ").replace("NOT ", "~").replace("TRUE", "True")
    return out


def _mask(df: pd.DataFrame, sql: str) -> pd.Series:
    if sql == "TRUE":
        return pd.Series(True, index=df.index)
    return df.eval(_expr(sql), engine="python").fillna(False).astype(bool)


def _last_where(ev: pd.DataFrame, cond: pd.Series, column: str) -> pd.Series:
    rows = ev.loc[cond, ["case_id", column]]
    return rows.groupby("case_id", sort=False)[column].last()


def _working_minutes(ts: pd.Series, cal: pd.DataFrame, periods: tuple[tuple[int, int], ...]) -> pd.Series:
    days = ts.dt.normalize()
    info = cal.reindex(days.to_numpy())
    minute = (ts - days).dt.total_seconds().to_numpy() / 60.0
    within = sum(np.clip(minute - a, 0, b - a) for a, b in periods)
    return pd.Series(info["cum"].to_numpy() + np.where(info["working"].to_numpy(dtype=bool), within, 0),
                     index=ts.index)


def indicators(events: pd.DataFrame, cases: pd.DataFrame, period: Period, calendar: WorkingCalendar,
               public_sources: tuple[str, ...] = ("public", "hotline"), as_of: datetime | None = None,
               handbook: Handbook | None = None) -> pd.DataFrame:
    """``events``: core.case_event columns (deadline_at only needed with 延期 deadlines); ``cases``: case_id, source,
    the four area codes and, with ``handbook``, kind and subclass_code."""
    cutoff = pd.Timestamp(as_of or period.end_at)
    start, window_end = pd.Timestamp(period.start_at), min(pd.Timestamp(period.end_at), cutoff)
    in_window = (events["occurred_at"] >= start) & (events["occurred_at"] < window_end)
    scope = events.loc[in_window, "case_id"].unique()
    ev = events[events["case_id"].isin(scope) & (events["occurred_at"] < cutoff)]
    ev = ev.sort_values(["case_id", "seq"], kind="stable").reset_index(drop=True)
    a, o, role = ev["action"], ev["outcome"], ev["actor_role"]
    act = np.select(
        [(a == "check") & (o == "failed"), (a == "verify") & o.isin(["not_found", "rejected"]),
         (a == "reject") & (role == "supervisor"),
         a.isin(["return", "extend", "shelve", "void"]) & o.isin(["requested", "denied"])],
        ["rework", "verify_not_found", "verify_not_found", a + "_" + o.fillna("")], default=a)
    ev["act"] = act
    ev["resp_dept"] = ev["department_code"].where(ev["act"] == "dispatch").groupby(ev["case_id"]).ffill()
    met = ev["deadline_met"]
    is_ = {name: ev["act"] == name for name in ("register", "void", "close", "dispatch", "feedback", "rework")}
    late = is_["feedback"] & (met == False)  # noqa: E712 - NULL must stay not-late; 反馈 carries the 处置 judgement
    g = ev.assign(
        any_register=is_["register"], voided=is_["void"], closed=is_["close"], dispatched=is_["dispatch"],
        handled=is_["feedback"], reworked=is_["rework"], overdue=late,
        rejected_at_register=(ev["act"] == "reject") & (role == "shift_leader"),
        reg_at=ev["occurred_at"].where(is_["register"]), disp_at=ev["occurred_at"].where(is_["dispatch"]),
        fb_at=ev["occurred_at"].where(is_["feedback"]),
        verify_seq=ev["seq"].where(ev["act"].isin(["verify", "verify_not_found"])),
    ).groupby("case_id", sort=False)
    s = g.agg(any_register=("any_register", "any"), voided=("voided", "any"), closed=("closed", "any"),
              dispatched=("dispatched", "any"), handled=("handled", "any"), reworked=("reworked", "any"),
              overdue=("overdue", "any"), rejected_at_register=("rejected_at_register", "any"),
              registered_at=("reg_at", "min"), first_dispatch_at=("disp_at", "min"),
              last_feedback_at=("fb_at", "max"), last_verify_seq=("verify_seq", "max"))
    shelf = ev["act"].isin(["shelve", "unshelve"])
    s["shelved"] = (_last_where(ev, shelf, "act") == "shelve").reindex(s.index, fill_value=False)
    s["shelved_dept"] = _last_where(ev, ev["act"] == "shelve", "resp_dept").reindex(s.index)
    s["last_dept"] = _last_where(ev, is_["dispatch"], "resp_dept").reindex(s.index)
    s["close_dept"] = _last_where(ev, is_["close"], "resp_dept").reindex(s.index)
    dr_last = _last_where(ev, ev["act"].isin(["dispatch", "return"]), "act")
    s["awaiting_redispatch"] = (dr_last == "return").reindex(s.index, fill_value=False)
    # --- region facts ---
    c = cases.set_index("case_id")
    f = s[(s["registered_at"] >= start) & (s["registered_at"] < window_end)].copy()
    for col in ("district_code", "street_code", "community_code", "grid_code"):
        f[col] = c[col].reindex(f.index)
    f["is_public"] = c["source"].reindex(f.index).isin(public_sources)
    f["is_due"] = ~f["voided"] & ~f["shelved"]
    f["is_closed"], f["is_dispatched"], f["is_handled"] = f["closed"], f["dispatched"], f["handled"]
    f["is_reworked"], f["is_overdue"] = f["reworked"], f["overdue"]
    f["is_on_time_closed"] = f["closed"] & ~f["overdue"]
    f["is_on_time_handled"] = f["dispatched"] & f["handled"] & ~f["overdue"]
    days = pd.concat([f["first_dispatch_at"], f["last_feedback_at"]]).dropna().dt.normalize()
    lo = days.min() if len(days) else start
    hi = max(days.max() if len(days) else start, cutoff.normalize())  # open cases are judged at the cut-off
    rng = pd.date_range(lo, hi, freq="D")
    working = np.array([calendar.is_working_day(d.date()) for d in rng], dtype=bool)
    per_day = sum(b - a for a, b in calendar.periods)
    cum = np.concatenate([[0], np.cumsum(np.where(working, per_day, 0))[:-1]]).astype(float)
    cal = pd.DataFrame({"working": working, "cum": cum}, index=rng)
    ok = f["handled"] & f["first_dispatch_at"].notna()
    f["handle_minutes"] = np.nan
    if ok.any():
        f.loc[ok, "handle_minutes"] = (_working_minutes(f.loc[ok, "last_feedback_at"], cal, calendar.periods)
                                       - _working_minutes(f.loc[ok, "first_dispatch_at"], cal, calendar.periods))
    _open_overdue(f, ev, c, cal, calendar, cutoff, handbook)
    f["is_overdue"] = f["overdue"] | f["open_overdue"]
    out: list[pd.DataFrame] = []
    region = indicators_of("region")
    for lv in REGION_LEVELS:
        out.append(_aggregate(f.reset_index(), f"{lv}_code", region, "region", lv))
    # --- department facts ---
    de = ev[ev["resp_dept"].notna() & ev["case_id"].isin(f.index)]
    dg = de.assign(is_returned=de["act"] == "return", is_handled=de["act"] == "feedback",
                   is_overdue=(de["act"] == "feedback") & (de["deadline_met"] == False),  # noqa: E712
                   is_reworked=de["act"] == "rework", is_shelved=de["act"] == "shelve",
                   is_extended=de["act"] == "extend")
    dg["om"] = dg["overdue_multiple"].where(dg["is_overdue"])
    d = dg.groupby(["case_id", "resp_dept"], sort=False).agg(
        is_returned=("is_returned", "any"), is_handled=("is_handled", "any"), is_overdue=("is_overdue", "any"),
        is_reworked=("is_reworked", "any"), is_shelved=("is_shelved", "any"), is_extended=("is_extended", "any"),
        overdue_multiple=("om", "max")).reset_index().rename(columns={"resp_dept": "department_code"})
    ff = f.reindex(d["case_id"])
    same = lambda col: (ff[col].to_numpy() == d["department_code"].to_numpy())  # noqa: E731
    d["is_due"] = (~ff["voided"].to_numpy() & ~(ff["shelved"].to_numpy() & same("shelved_dept"))
                   & (~d["is_returned"].to_numpy()
                      | (same("last_dept") & ~ff["awaiting_redispatch"].to_numpy(dtype=bool))))
    d["is_on_time"] = d["is_handled"] & ~d["is_overdue"]
    still = ff["open_overdue"].to_numpy() & same("last_dept")  # 超期未处置 while with this department
    d["is_overdue"] = d["is_overdue"].to_numpy() | still
    d["overdue_multiple"] = np.where(still, np.fmax(d["overdue_multiple"].to_numpy(dtype=float),
                                                    ff["open_multiple"].to_numpy(dtype=float)),
                                     d["overdue_multiple"].to_numpy(dtype=float))
    d["is_closed"] = ff["closed"].to_numpy() & same("close_dept")
    out.append(_aggregate(d, "department_code", indicators_of("department"), "department", "department"))
    # --- post facts ---
    dr = ev[ev["act"].isin(["dispatch", "return"])]
    next_act = dr.groupby("case_id", sort=False)["act"].shift(-1)
    ev["next_act"] = next_act.reindex(ev.index)
    p = ev[(ev["occurred_at"] >= start) & (ev["occurred_at"] < window_end) & ev["actor_id"].notna()].copy()
    r, x, oc = p["actor_role"], p["act"], p["outcome"]
    keep = (((r == "supervisor") & x.isin(["report", "verify", "verify_not_found", "check", "rework"]))
            | ((r == "operator") & ((x == "accept") | (oc == "send_check")))
            | ((r == "shift_leader") & x.isin(["register", "reject", "close"]))
            | ((r == "dispatcher") & (x == "dispatch")))
    p = p[keep]
    r, x, oc = p["actor_role"], p["act"], p["outcome"]
    ss = s.reindex(p["case_id"])
    judged = p["deadline_met"].notna().to_numpy()
    metv = p["deadline_met"].fillna(False).astype(bool).to_numpy()
    public = c["source"].reindex(p["case_id"]).isin(public_sources).to_numpy()
    p = p.assign(
        is_report=(r == "supervisor") & (x == "report"), is_valid_report=ss["any_register"].to_numpy(),
        is_missed=(r == "supervisor") & (x == "verify") & public,
        verify_judged=(r == "supervisor") & x.isin(["verify", "verify_not_found"]) & judged, verify_met=metv,
        check_judged=(r == "supervisor") & x.isin(["check", "rework"]) & judged, check_met=metv,
        is_accept=(r == "operator") & (x == "accept"),
        is_accurate_accept=~ss["rejected_at_register"].to_numpy() & ~ss["voided"].to_numpy(),
        vdispatch_judged=(r == "operator") & (x == "accept") & judged
        & ((oc == "sent_to_verify") | (ss["last_verify_seq"].to_numpy() > p["seq"].to_numpy())),
        vdispatch_met=metv,
        cdispatch_judged=(r == "operator") & (oc == "send_check") & judged, cdispatch_met=metv,
        is_register=(r == "shift_leader") & (x == "register"), is_voided=ss["voided"].to_numpy(),
        register_judged=(r == "shift_leader") & x.isin(["register", "reject"]) & judged, register_met=metv,
        close_judged=(r == "shift_leader") & (x == "close") & judged, close_met=metv,
        is_dispatch=(r == "dispatcher") & (x == "dispatch"), is_returned=(p["next_act"] == "return"),
        dispatch_judged=(r == "dispatcher") & (x == "dispatch") & judged, dispatch_met=metv,
    )
    for obj in _POST_OBJECTS:
        out.append(_aggregate(p[p["actor_role"] == obj], "actor_id", indicators_of(obj), obj, obj))
    return pd.concat(out, ignore_index=True)


def _open_overdue(f: pd.DataFrame, ev: pd.DataFrame, c: pd.DataFrame, cal: pd.DataFrame,
                  calendar: WorkingCalendar, cutoff: pd.Timestamp, handbook: Handbook | None) -> None:
    """f.open_overdue / f.open_multiple: cohort cases still 超期未处置 at the cut-off (see 04_case_fact.sql)."""
    f["open_overdue"], f["open_multiple"] = False, np.nan
    candidates = f.index[f["dispatched"] & ~f["closed"] & ~f["voided"] & ~f["shelved"]]
    if len(candidates) == 0:
        return
    sub = ev[ev["case_id"].isin(candidates)]  # ev is sorted by (case_id, seq)
    # the 处置 clock (casework.workflow.handle_clock_effects): the latest start, and whether a completion or stop
    # follows it; an approved 延期 after the start sets the deadline recorded on the latest one
    starts = sub[sub["act"].isin(["dispatch", "rework", "unshelve"])]
    # a start may record the 处置 deadline itself (step 'handle': a legacy export's due time); a live 派遣's
    # deadline is the 派遣 step's own and is not the 处置 clock's
    handle_deadline = (starts["deadline_at"].where(starts["step"] == "handle") if "step" in starts
                       else pd.Series(pd.NaT, index=starts.index))
    # the latest start's own values (groupby.last() would skip a NaT and take an earlier start's deadline)
    start = starts.assign(start_deadline=handle_deadline).groupby("case_id", sort=False).tail(1).set_index(
        "case_id")[["seq", "occurred_at", "start_deadline"]]
    after = sub["seq"] > sub["case_id"].map(start["seq"])
    done = sub[after & sub["act"].isin(["feedback", "return", "shelve"])]["case_id"].unique()
    ext = sub[after & (sub["act"] == "extend")]
    ext_deadline = (ext.groupby("case_id")["deadline_at"].last() if "deadline_at" in ext
                    else pd.Series(dtype="datetime64[ns]"))
    o = f.loc[candidates[candidates.isin(start.index) & ~candidates.isin(done)]]
    if o.empty:
        return
    at = start["occurred_at"].reindex(o.index)
    extended = o.index.isin(ext["case_id"].unique())
    limits: dict[tuple[Any, Any], tuple[float, str]] = {}
    if handbook is not None:
        for rule in handbook.rules():
            limits[(rule.kind, rule.subclass_code)] = (rule.limits["handle"].hours, rule.limits["handle"].basis)
            kindless = handbook.rule_for(rule.subclass_code).limits["handle"]
            limits.setdefault((None, rule.subclass_code), (kindless.hours, kindless.basis))
    kind = c["kind"].reindex(o.index) if "kind" in c else pd.Series(None, index=o.index)
    sub = c["subclass_code"].reindex(o.index) if "subclass_code" in c else pd.Series(None, index=o.index)
    found = [limits.get((None if pd.isna(k) else k, s)) for k, s in zip(kind, sub, strict=True)]
    hours = np.array([x[0] if x else np.nan for x in found], dtype=float)
    natural = np.array([x is not None and x[1] == "natural" for x in found])
    now = pd.Series(cutoff, index=o.index)
    worked = (_working_minutes(now, cal, calendar.periods) - _working_minutes(at, cal, calendar.periods)) / 60.0
    elapsed = np.where(natural, (cutoff - at).dt.total_seconds().to_numpy() / 3600.0, worked.to_numpy())
    late = elapsed > hours  # NaN limit: not judged
    by_deadline = (cutoff > ext_deadline.reindex(o.index)).to_numpy()
    recorded = start["start_deadline"].reindex(o.index)
    by_recorded = (cutoff > recorded).to_numpy()
    has_recorded = recorded.notna().to_numpy()
    f.loc[o.index, "open_overdue"] = np.where(extended, by_deadline, np.where(has_recorded, by_recorded, late))
    f.loc[o.index, "open_multiple"] = np.where(~extended & ~has_recorded & late, elapsed / hours - 1, np.nan)


def _aggregate(df: pd.DataFrame, key: str, inds: list[Indicator], obj: str, level: str) -> pd.DataFrame:
    df = df[df[key].notna()]
    cols: dict[str, Any] = {}
    for ind in inds:
        num = _mask(df, ind.numerator) if ind.kind != "mean" else None
        den = _mask(df, ind.denominator) if ind.denominator else None
        if ind.kind == "count":
            assert num is not None
            cols[ind.key] = (num, None)
        elif ind.kind == "rate":
            assert num is not None and den is not None
            cols[ind.key] = (num & den, den)
        else:
            assert den is not None
            cols[ind.key] = (df.eval(_expr(ind.numerator), engine="python").where(den, 0.0).fillna(0.0), den)
    frame = pd.DataFrame({key: df[key]})
    for k, (n, d) in cols.items():
        frame[f"n:{k}"] = n.astype(float)
        if d is not None:
            frame[f"d:{k}"] = d.astype(float)
    sums = frame.groupby(key, sort=False).sum()
    rows = []
    for ind in inds:
        n = sums[f"n:{ind.key}"]
        d = sums[f"d:{ind.key}"] if ind.denominator else None
        value = n if d is None else (n / d.where(d > 0))
        rows.append(pd.DataFrame({"object": obj, "level": level, "entity_code": sums.index, "indicator": ind.key,
                                  "numerator": n.to_numpy(), "denominator": None if d is None else d.to_numpy(),
                                  "value": value.to_numpy()}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
