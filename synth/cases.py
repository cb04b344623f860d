"""Cases through the seven-step loop (上报→受理→[核实]→立案→派遣→处置→反馈→核查→结案), vectorised per chunk.

Every transition is a row in ``case_events`` with its time, the person who did it and, for the steps the 指挥手册
limits, the deadline and whether it was met. Paths include 作废 (void), 回退 (return), 延期 (extend), 挂账 (shelve)
and 返工 (rework). Times follow the city's working calendar; cases still open at the horizon keep their last state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import shapely

from synth.geography import CityGeography
from synth.organisation import Organisation
from synth.workcal import VectorCalendar, to_seconds
from szcg.vocabulary import SOURCE_LABELS

# Action → (from_state, to_state); the glossary identifiers shared with the case service.
TRANSITIONS: dict[str, tuple[tuple[str | None, ...], str]] = {
    "report": ((None,), "reported"),
    "accept": (("reported",), "accepted"),
    "verify": (("accepted",), "verified"),
    "register": (("accepted", "verified"), "registered"),
    "dispatch": (("registered",), "dispatched"),
    "return": (("dispatched",), "registered"),
    "extend": (("dispatched",), "dispatched"),
    "shelve": (("dispatched",), "shelved"),
    "handle": (("dispatched",), "handled"),
    "feedback": (("handled",), "fed_back"),
    "rework": (("fed_back",), "dispatched"),
    "check": (("fed_back",), "checked"),
    "close": (("checked",), "closed"),
    "void": (("accepted", "verified", "registered"), "voided"),
}
TERMINAL_STATES = ("closed", "voided", "shelved")
SOURCE_ZH = {str(source): label for source, label in SOURCE_LABELS.items()}
# The 指挥手册 step each action completes (its event records the deadline and whether it was met). 处置 (step handle)
# is complete at 反馈, as in the case service (casework.workflow.handle_clock_effects); handle judges nothing.
STEP_OF_ACTION = {"accept": "accept", "verify": "verify", "register": "register", "dispatch": "dispatch",
                  "feedback": "handle", "check": "check", "close": "close"}
CHUNK_CASES = 200_000
_TS = ("reported_at", "accepted_at", "registered_at", "dispatched_at", "handled_at", "closed_at", "voided_at",
       "shelved_at", "handle_deadline_at", "patrolled_at", "at", "deadline_at")
CASE_COLUMNS = ("case_id", "source", "source_zh", "reported_at", "kind", "major_code", "subclass_code",
                "subclass_name", "component_id", "district_code", "street_code", "community_code", "grid_code",
                "lon", "lat", "description", "reporter_id", "reporter_role", "handling_class", "department_code",
                "status", "status_zh", "accepted_at", "registered_at", "dispatched_at", "handled_at", "closed_at",
                "voided_at", "shelved_at", "handle_deadline_at", "handled_on_time", "rework_count", "return_count",
                "extend_count", "missed_by_supervisor", "missed_supervisor_id", "patrolled_at")
EVENT_COLUMNS = ("case_id", "seq", "action", "from_state", "to_state", "at", "actor_id", "actor_role",
                 "department_code", "deadline_at", "met", "step")


def arrow_schema(columns: tuple[str, ...]) -> Any:
    """Fixed Parquet types, so every chunk (even one where a column is all null) writes the same schema."""
    import pyarrow as pa

    special = {"lon": pa.float64(), "lat": pa.float64(), "seq": pa.int32(), "met": pa.bool_(),
               "handled_on_time": pa.bool_(), "missed_by_supervisor": pa.bool_(), "rework_count": pa.int32(),
               "return_count": pa.int32(), "extend_count": pa.int32()}
    return pa.schema([(c, pa.timestamp("s") if c in _TS else special.get(c, pa.string()))
                      for c in columns])  # fixed so output never depends on memory settings
# Hour-of-day weights per source (0..23).
HOUR_WEIGHTS = {  # public: the live hotline log (synth.hotline_live) calls with the same profile
    "supervisor": [0, 0, 0, 0, 0, 0, 0, 1, 8, 10, 10, 9, 3, 2, 8, 10, 10, 9, 3, 1, 0, 0, 0, 0],
    "hotline": [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 1, 3, 6, 8, 8, 7, 5, 4, 6, 7, 7, 6, 5, 5, 4, 3, 1.5, 0.7],
    "public": [0.5, 0.3, 0.2, 0.1, 0.1, 0.3, 1, 3, 5, 6, 6, 6, 5, 5, 6, 6, 6, 6, 6, 7, 7, 5, 3, 1],
    "video": [2] * 24,
    "leader": [0, 0, 0, 0, 0, 0, 0, 0, 6, 8, 8, 5, 0, 0, 6, 8, 8, 5, 0, 0, 0, 0, 0, 0],
}


@dataclass
class CaseContext:
    """Everything the case generator looks up, as arrays indexed by subclass / grid / department."""

    geo: CityGeography
    org: Organisation
    vcal: VectorCalendar
    start: date
    end: date  # exclusive
    params: dict[str, Any]
    admin_code: str
    # subclasses used for cases (events then components)
    sub_code: np.ndarray
    sub_name: np.ndarray
    sub_kind: np.ndarray
    sub_major: np.ndarray
    sub_weight: np.ndarray
    sub_class: np.ndarray  # handling class
    limit_s: dict[str, np.ndarray]  # step -> seconds per subclass
    natural: dict[str, np.ndarray]  # step -> bool per subclass
    dept_of: dict[str, np.ndarray]  # district -> department code per subclass
    components: pd.DataFrame  # OBJCODE, subclass_code, grid_index, X, Y
    comp_weight: np.ndarray
    grid_weight: np.ndarray
    grid_rep: np.ndarray  # projected representative point per grid (n, 2)
    community_name_of_grid: np.ndarray
    all_departments: np.ndarray


def build_context(geo: CityGeography, org: Organisation, calendar: Any, handbook: Any, catalogue: Any,
                  departments: list[Any], responsible: Any, components: pd.DataFrame, params: dict[str, Any],
                  admin_code: str, months: int, rng: np.random.Generator) -> CaseContext:
    cfg = params["cases"]
    start = date.fromisoformat(str(cfg["start"]))
    y, m = divmod(start.month - 1 + months, 12)
    end = date(start.year + y, m + 1, min(start.day, 28))
    vcal = VectorCalendar(calendar, start - timedelta(days=3), end + timedelta(days=800))
    comp_subs = catalogue.components()
    comp_codes = {s.code for s in comp_subs}
    # 管理事项 that merely mirror a component ("…异常") are component problems, not events.
    events = [s for s in catalogue.events() if not (s.code in comp_codes and s.name.endswith("异常"))]
    subs = events + comp_subs
    kinds = np.array(["event"] * len(events) + ["component"] * len(comp_subs))
    ew, cw = cfg.get("event_weights", {}), cfg.get("component_weights", {})

    def weight(name: str, table: dict[str, float]) -> float:
        return float(next((w for k, w in table.items() if k in name), 1.0))

    weights = np.array([weight(s.name, ew) for s in events] + [weight(s.name, cw) for s in comp_subs])
    limit_s: dict[str, list[float]] = {}
    natural: dict[str, list[bool]] = {}
    hclass = []
    dept: dict[str, list[str]] = {d.district_code: [] for d in geo.districts}
    for s, k in zip(subs, kinds, strict=True):
        rule = handbook.rule_for(s.code, str(k))
        hclass.append(rule.handling_class)
        for step, lim in rule.limits.items():
            limit_s.setdefault(step, []).append(lim.hours * 3600)
            natural.setdefault(step, []).append(lim.basis == "natural")
        for dcode in dept:
            dept[dcode].append(responsible(departments, rule.department_code, dcode).code)
    grids = geo.grids
    gw = rng.lognormal(0.0, float(cfg["hotspot_sigma"]), len(grids)) * grids["area_m2"].to_numpy()
    rep = np.array([[p.x, p.y] for p in shapely.point_on_surface(np.array(grids["geometry_xy"], dtype=object))])
    cname = grids["community_code"].map(geo.communities.set_index("community_code")["community_name"]).to_numpy()
    sub_index = {c: i for i, c in enumerate(s.code for s in comp_subs)}
    comp_w = np.array([weight(n, cw) for n in components["OBJNAME"]]) * gw[components["grid_index"].to_numpy()]
    comp_w *= np.isin(components["subclass_code"].to_numpy(), list(sub_index))
    return CaseContext(
        geo=geo, org=org, vcal=vcal, start=start, end=end, params=params, admin_code=admin_code,
        sub_code=np.array([s.code for s in subs]), sub_name=np.array([s.name for s in subs], dtype=object),
        sub_kind=kinds, sub_major=np.array([s.major_code for s in subs]), sub_weight=weights,
        sub_class=np.array(hclass), limit_s={k: np.array(v) for k, v in limit_s.items()},
        natural={k: np.array(v) for k, v in natural.items()},
        dept_of={k: np.array(v, dtype=object) for k, v in dept.items()},
        components=components[["OBJCODE", "subclass_code", "grid_index", "X", "Y"]].reset_index(drop=True),
        comp_weight=comp_w, grid_weight=gw, grid_rep=rep, community_name_of_grid=cname,
        all_departments=np.array(sorted(d.code for d in departments), dtype=object),
    )


def daily_counts(ctx: CaseContext, total: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Cases per day over the horizon: season × weekday profile (a multinomial draw of ``total``)."""
    cfg = ctx.params["cases"]
    days = pd.date_range(ctx.start, ctx.end - timedelta(days=1), freq="D")
    w = np.array(cfg["month_factor"])[days.month - 1] * np.array(cfg["weekday_factor"])[days.day_of_week]
    return days.to_numpy().astype("datetime64[D]"), rng.multinomial(total, w / w.sum())


def _pick(rng: np.random.Generator, values: np.ndarray, n: int) -> np.ndarray:
    return values[rng.integers(0, len(values), n)] if len(values) else np.full(n, "", dtype=object)


def _lognormal_ratio(rng: np.random.Generator, n: int, median: float, sigma: float = 0.5) -> np.ndarray:
    return np.exp(rng.normal(np.log(median), sigma, n))


def generate_chunk(ctx: CaseContext, days: np.ndarray, counts: np.ndarray, first_serial: int,
                   rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cases reported on ``days`` (``counts`` each) and their transitions."""
    cfg = ctx.params["cases"]
    n = int(counts.sum())
    horizon_end = to_seconds(datetime.combine(ctx.end, datetime.min.time()))
    # --- what, where, when -------------------------------------------------------------------------------------
    src_names = list(cfg["sources"])
    sp = np.array([cfg["sources"][s] for s in src_names], dtype=float)
    source = np.array(src_names)[rng.choice(len(src_names), n, p=sp / sp.sum())]
    day = np.repeat(days, counts)
    sec = np.zeros(n, dtype=np.int64)
    for s in src_names:
        sel = source == s
        hw = np.array(HOUR_WEIGHTS[s], dtype=float)
        sec[sel] = rng.choice(24, int(sel.sum()), p=hw / hw.sum()) * 3600 + rng.integers(0, 3600, int(sel.sum()))
    reported = day.astype("datetime64[s]").astype(np.int64) + sec
    order = np.argsort(reported, kind="stable")
    reported, source = reported[order], source[order]
    is_comp = rng.random(n) < float(cfg["component_share"])
    is_comp &= len(ctx.components) > 0
    sub = np.zeros(n, dtype=np.int64)
    grid = np.zeros(n, dtype=np.int64)
    comp_id = np.full(n, None, dtype=object)
    np.zeros(n)
    np.zeros(n)
    lon = np.zeros(n)
    lat = np.zeros(n)
    n_comp = int(is_comp.sum())
    if n_comp:
        cw = ctx.comp_weight
        pick = rng.choice(len(cw), n_comp, p=cw / cw.sum())
        comps = ctx.components
        sub_lookup = {c: i for i, c in enumerate(ctx.sub_code) if ctx.sub_kind[i] == "component"}
        sub[is_comp] = pd.Series(comps["subclass_code"].to_numpy()[pick]).map(sub_lookup).to_numpy()
        grid[is_comp] = comps["grid_index"].to_numpy()[pick]
        comp_id[is_comp] = comps["OBJCODE"].to_numpy()[pick]
        lon[is_comp] = comps["X"].to_numpy()[pick]
        lat[is_comp] = comps["Y"].to_numpy()[pick]
    ev = ~is_comp
    n_ev = int(ev.sum())
    ew = np.where(ctx.sub_kind == "event", ctx.sub_weight, 0.0)
    sub[ev] = rng.choice(len(ew), n_ev, p=ew / ew.sum())
    gw = ctx.grid_weight
    grid[ev] = rng.choice(len(gw), n_ev, p=gw / gw.sum())
    grids = ctx.geo.grids
    size = ctx.geo.size_m
    for d in ctx.geo.districts:
        sel = ev & (grids["district_code"].to_numpy()[grid] == d.district_code)
        g = grid[sel]
        gx = d.x0 + (grids["col"].to_numpy()[g] + rng.uniform(0.05, 0.95, len(g))) * size
        gy = d.y0 + (grids["row"].to_numpy()[g] + rng.uniform(0.05, 0.95, len(g))) * size
        polys = np.array(grids["geometry_xy"], dtype=object)[g]
        bad = ~shapely.contains_xy(polys, gx, gy) if len(g) else np.zeros(0, bool)
        gx[bad], gy[bad] = ctx.grid_rep[g[bad], 0], ctx.grid_rep[g[bad], 1]
        lo, la = d.to_geographic.transform(gx, gy)
        lon[sel], lat[sel] = np.round(lo, 7), np.round(la, 7)
    district = grids["district_code"].to_numpy()[grid]
    dept = np.empty(n, dtype=object)
    for dcode, arr in ctx.dept_of.items():
        sel = district == dcode
        dept[sel] = arr[sub[sel]]
    # --- people ------------------------------------------------------------------------------------------------
    people = ctx.org.people
    pid = people["person_id"].to_numpy()
    supervisor = pid[ctx.org.supervisor_of_grid[grid]]
    operators, leaders = ctx.org.ids("operator"), ctx.org.ids("shift_leader")
    reporter = np.where(source == "supervisor", supervisor, _pick(rng, operators, n))
    reporter = np.where(source == "leader", _pick(rng, leaders, n), reporter)
    reporter_role = np.where(source == "supervisor", "supervisor",
                             np.where(source == "leader", "shift_leader", "operator"))
    dispatcher_city = ctx.org.ids("dispatcher", district_code="")
    dis_people = people[people["role"] == "dispatcher"]
    dispatchers_by_d = {d: dis_people.loc[dis_people["district_code"] == d, "person_id"].to_numpy()
                        for d in dis_people["district_code"].unique()}
    hand = people[people["role"] == "handler"]
    handlers_by_dept = hand.groupby("department_code")["person_id"].agg(lambda s: s.to_numpy()).to_dict()
    dept_district = {r.department_code: r.district_code for r in hand.itertuples()}

    def dispatcher_for(depts: np.ndarray) -> np.ndarray:
        out = _pick(rng, dispatcher_city, len(depts))
        dd = np.array([dept_district.get(x, "") for x in depts], dtype=object)
        for dcode, ids in dispatchers_by_d.items():
            if dcode:
                sel = dd == dcode
                out[sel] = _pick(rng, ids, int(sel.sum()))
        return out

    def handler_for(depts: np.ndarray) -> np.ndarray:
        out = np.empty(len(depts), dtype=object)
        for code in np.unique(depts):
            sel = depts == code
            out[sel] = _pick(rng, handlers_by_dept.get(code, np.array([f"H-{code}-001"], dtype=object)), int(sel.sum()))
        return out

    # --- the loop ------------------------------------------------------------------------------------------------
    vc = ctx.vcal
    slots: list[dict[str, Any]] = []

    def emit(mask: np.ndarray, action: str, frm: Any, to: str, at: np.ndarray, actor: np.ndarray, role: Any,
             dep: Any = None, deadline: np.ndarray | None = None) -> None:
        slots.append({"mask": mask.copy(), "action": action, "from": frm, "to": to, "at": at.copy(),
                      "actor": actor, "role": role, "dept": dep, "deadline": deadline})

    def step(t: np.ndarray, name: str, median: float, late: float = 0.04) -> tuple[np.ndarray, np.ndarray]:
        """Next time for a limited step: mostly within the limit, sometimes late. Returns (done_at, deadline)."""
        lim = ctx.limit_s[name][sub]
        nat = ctx.natural[name][sub]
        ratio = np.where(rng.random(n) < late, 1.0 + rng.exponential(0.8, n), _lognormal_ratio(rng, n, median))
        ratio = np.minimum(ratio, np.where(ratio > 1, 50, 0.98))
        done = np.maximum(vc.add(t, lim * ratio, nat), t + 60)
        return done, vc.add(t, lim, nat)

    all_ = np.ones(n, bool)
    t = reported
    emit(all_, "report", None, "reported", t, reporter, reporter_role)
    t, dl = step(t, "accept", 0.3)
    emit(all_, "accept", "reported", "accepted", t, np.where(source == "hotline", reporter, _pick(rng, operators, n)),
         "operator", deadline=dl)
    needs_verify = source != "supervisor"
    tv, dl = step(t, "verify", 0.45)
    emit(needs_verify, "verify", "accepted", "verified", tv, supervisor, "supervisor", deadline=dl)
    t = np.where(needs_verify, tv, t)
    state_before_register = np.where(needs_verify, "verified", "accepted")
    void_v = needs_verify & (rng.random(n) < float(cfg["void_unverified"]))
    void_r = ~void_v & (rng.random(n) < float(cfg["void_at_register"]))
    voided = void_v | void_r
    tvoid = t + rng.integers(300, 3600, n)
    emit(voided, "void", state_before_register, "voided", tvoid, _pick(rng, leaders, n), "shift_leader")
    alive = ~voided
    t, dl = step(t, "register", 0.35)
    emit(alive, "register", state_before_register, "registered", t, _pick(rng, leaders, n), "shift_leader", deadline=dl)
    t, dl = step(t, "dispatch", 0.35)
    dept1 = dept.copy()
    returned = alive & (rng.random(n) < float(cfg["return_rate"]))
    # a returned case first went to a wrong department
    alld = ctx.all_departments
    widx = rng.integers(0, len(alld), n)
    wrong = alld[widx]
    same = wrong == dept
    wrong[same] = alld[(widx[same] + 1) % len(alld)]
    dept1 = np.where(returned, wrong, dept)
    emit(alive, "dispatch", "registered", "dispatched", t, dispatcher_for(dept1), "dispatcher", dept1, deadline=dl)
    t_ret = np.maximum(vc.add(t, rng.uniform(0.2, 2.0, n) * 3600), t + 60)
    emit(returned, "return", "dispatched", "registered", t_ret, dispatcher_for(dept1), "dispatcher", dept1)
    t2, dl2 = step(t_ret, "dispatch", 0.35)
    emit(returned, "dispatch", "registered", "dispatched", t2, dispatcher_for(dept), "dispatcher", dept, deadline=dl2)
    t = np.where(returned, t2, t)
    t_dispatch = t
    handle_lim = ctx.limit_s["handle"][sub]
    handle_nat = ctx.natural["handle"][sub]
    deadline_h = vc.add(t, handle_lim, handle_nat)
    extended = alive & (rng.random(n) < float(cfg["extend_rate"]))
    t_ext = np.maximum(vc.add(t, handle_lim * rng.uniform(0.3, 0.9, n), handle_nat), t + 60)
    deadline_ext = vc.add(deadline_h, handle_lim, handle_nat)
    emit(extended, "extend", "dispatched", "dispatched", t_ext, dispatcher_for(dept), "dispatcher", dept,
         deadline=deadline_ext)
    deadline_h = np.where(extended, deadline_ext, deadline_h)
    t = np.where(extended, t_ext, t)
    shelved = alive & (rng.random(n) < float(cfg["shelve_rate"]) * np.where(ctx.sub_class[sub] == "engineering", 4, 1))
    t_sh = np.maximum(vc.add(t, handle_lim * rng.uniform(0.5, 0.95, n), handle_nat), t + 60)
    emit(shelved, "shelve", "dispatched", "shelved", t_sh, dispatcher_for(dept), "dispatcher", dept)
    working = alive & ~shelved
    on_time = rng.random(n) < float(cfg["on_time_rate"])
    base_ratio = np.where(extended, rng.uniform(1.05, 1.9, n), rng.beta(2.2, 2.5, n) * 0.97 + 0.02)
    ratio = np.where(on_time | extended, base_ratio, 1.0 + rng.exponential(0.7, n) + 0.01)
    t_hand = np.maximum(vc.add(t_dispatch, handle_lim * ratio, handle_nat), t + 60)
    handler = handler_for(dept)
    n_rework = np.where(rng.random(n) < float(cfg["rework_rate"]), 1, 0)
    n_rework += (n_rework == 1) & (rng.random(n) < 0.15)
    first_handled = t_hand.copy()
    first_deadline = deadline_h.copy()
    t_chk = t_final = t_hand
    for r in range(3):
        active = working & (n_rework >= r)
        if r > 0:
            t_rw = t_chk
            emit(active, "rework", "fed_back", "dispatched", t_rw, dispatcher_for(dept), "dispatcher", dept,
                 deadline=None)
            deadline_h = vc.add(t_rw, handle_lim, handle_nat)
            t_hand = np.maximum(vc.add(t_rw, handle_lim * (rng.beta(2, 3, n) * 0.97 + 0.02), handle_nat), t_rw + 60)
        emit(active, "handle", "dispatched", "handled", t_hand, handler, "handler", dept)
        t_fb = t_hand + rng.integers(120, 1800, n)
        emit(active, "feedback", "handled", "fed_back", t_fb, handler, "handler", dept, deadline=deadline_h)
        t_chk, dl = step(t_fb, "check", 0.4)
        last = active & (n_rework == r)
        emit(last, "check", "fed_back", "checked", t_chk, supervisor, "supervisor", deadline=dl)
        t_final = np.where(last, t_chk, t_final)
    t_close, dl = step(t_final, "close", 0.3)
    emit(working, "close", "checked", "closed", t_close, _pick(rng, leaders, n), "shift_leader", deadline=dl)
    # --- assemble -----------------------------------------------------------------------------------------------
    case_id = np.array([f"{ctx.admin_code}{first_serial + i:010d}" for i in range(n)], dtype=object)
    rows = []
    for order_no, s in enumerate(slots):
        m = s["mask"] & (s["at"] < horizon_end)
        idx = np.flatnonzero(m)
        if not len(idx):
            continue

        def col(v: Any, idx: np.ndarray = idx) -> Any:
            return v[idx] if isinstance(v, np.ndarray) else np.full(len(idx), v, dtype=object)

        deadline = s["deadline"]
        at = s["at"][idx]
        rows.append(pd.DataFrame({
            "_case": idx, "_slot": order_no, "action": s["action"], "from_state": col(s["from"]),
            "to_state": s["to"], "at": at, "actor_id": col(s["actor"]), "actor_role": col(s["role"]),
            "department_code": col(s["dept"]) if s["dept"] is not None else None,
            "deadline_at": deadline[idx] if deadline is not None else np.full(len(idx), np.iinfo(np.int64).min),
            "met": (at <= deadline[idx]) if deadline is not None else None,
        }))
    events = pd.concat(rows, ignore_index=True).sort_values(["_case", "_slot"], kind="stable")
    events.insert(0, "case_id", case_id[events["_case"].to_numpy()])
    events.insert(1, "seq", events.groupby("_case").cumcount().to_numpy() + 1)
    events["step"] = events["action"].map(STEP_OF_ACTION)
    events["at"] = events["at"].to_numpy().astype("datetime64[s]")
    dl_raw = events["deadline_at"].to_numpy()
    events["deadline_at"] = pd.Series(np.where(dl_raw == np.iinfo(np.int64).min, np.datetime64("NaT"),
                                               dl_raw.astype("datetime64[s]")), dtype="datetime64[s]").to_numpy()
    events["met"] = events["met"].astype("boolean")
    last = events.groupby("_case").tail(1).set_index("_case")
    counts_by = events.groupby(["_case", "action"]).size().unstack(fill_value=0)

    def first_at(action: str) -> pd.Series:
        sel = events[events["action"] == action].groupby("_case")["at"].first()
        return sel.reindex(np.arange(n)).reset_index(drop=True)  # NaT where none (works when no case has one)

    handled_first = first_at("handle")
    status = pd.Series(np.arange(n)).map(last["to_state"])
    status_zh = {"reported": "待受理", "accepted": "待立案", "verified": "待立案", "registered": "待派遣",
                 "dispatched": "处置中", "handled": "待反馈", "fed_back": "待核查", "checked": "待结案",
                 "closed": "已结案", "voided": "已作废", "shelved": "已挂账"}
    missed = np.isin(source, ["hotline", "public"]) & (rng.random(n) < float(cfg["missed_by_supervisor"]))
    patrol = np.where(missed, reported - rng.integers(3600, 48 * 3600, n), np.iinfo(np.int64).min)
    cases = pd.DataFrame({
        "case_id": case_id, "source": source, "source_zh": pd.Series(source).map(SOURCE_ZH).to_numpy(),
        "reported_at": reported.astype("datetime64[s]"), "kind": ctx.sub_kind[sub], "major_code": ctx.sub_major[sub],
        "subclass_code": ctx.sub_code[sub], "subclass_name": ctx.sub_name[sub], "component_id": comp_id,
        "district_code": district, "street_code": grids["street_code"].to_numpy()[grid],
        "community_code": grids["community_code"].to_numpy()[grid], "grid_code": grids["grid_code"].to_numpy()[grid],
        "lon": lon, "lat": lat,
        "description": ctx.community_name_of_grid[grid] + "附近" + ctx.sub_name[sub] + _phrase(rng, n, is_comp),
        "reporter_id": reporter, "reporter_role": reporter_role, "handling_class": ctx.sub_class[sub],
        "department_code": np.where(alive, dept, np.array(None, dtype=object)), "status": status.to_numpy(),
        "status_zh": status.map(status_zh).to_numpy(),
        "accepted_at": first_at("accept").to_numpy(), "registered_at": first_at("register").to_numpy(),
        "dispatched_at": first_at("dispatch").to_numpy(), "handled_at": handled_first.to_numpy(),
        "closed_at": first_at("close").to_numpy(), "voided_at": first_at("void").to_numpy(),
        "shelved_at": first_at("shelve").to_numpy(),
        "handle_deadline_at": np.where(alive & ~shelved, first_deadline, np.iinfo(np.int64).min),
        "handled_on_time": np.where(handled_first.notna().to_numpy(), first_handled <= first_deadline, None),
        "rework_count": _count(counts_by, "rework", n), "return_count": _count(counts_by, "return", n),
        "extend_count": _count(counts_by, "extend", n),
        "missed_by_supervisor": missed, "missed_supervisor_id": np.where(missed, supervisor, None),
        "patrolled_at": patrol,
    })
    for c in ("handle_deadline_at", "patrolled_at"):
        raw = cases[c].to_numpy().astype(np.int64)
        cases[c] = pd.Series(np.where(raw == np.iinfo(np.int64).min, np.datetime64("NaT"),
                                      raw.astype("datetime64[s]")), dtype="datetime64[s]").to_numpy()
    for c in ("accepted_at", "registered_at", "dispatched_at", "handled_at", "closed_at", "voided_at", "shelved_at"):
        cases[c] = cases[c].astype("datetime64[s]")
    cases["handled_on_time"] = cases["handled_on_time"].astype("boolean")
    events = events.drop(columns=["_case", "_slot"]).reset_index(drop=True)
    return cases, events


def _count(table: pd.DataFrame, action: str, n: int) -> np.ndarray:
    if action not in table.columns:
        return np.zeros(n, dtype=np.int32)
    return table[action].reindex(np.arange(n), fill_value=0).to_numpy().astype(np.int32)


_PHRASES_EVENT = ("，影响市容，请尽快处理", "，群众反映强烈", "，需要处置", "，现场情况属实", "，已拍照取证")
_PHRASES_COMP = ("破损，存在安全隐患", "缺失，请尽快修复", "损坏，影响使用", "移位，请处理", "故障，需维修")


def _phrase(rng: np.random.Generator, n: int, is_comp: np.ndarray) -> np.ndarray:
    ev = np.array(_PHRASES_EVENT, dtype=object)[rng.integers(0, len(_PHRASES_EVENT), n)]
    co = np.array(_PHRASES_COMP, dtype=object)[rng.integers(0, len(_PHRASES_COMP), n)]
    return np.where(is_comp, co, ev)


def chunks(ctx: CaseContext, total: int, seed: int,
           chunk_cases: int = CHUNK_CASES) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Generate ``total`` cases in day-aligned chunks, each from its own random stream (same seed → same rows)."""
    master = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    days, counts = daily_counts(ctx, total, master)
    serial = 1
    i = 0
    chunk_no = 0
    while i < len(days):
        j = i
        acc = 0
        while j < len(days) and (acc == 0 or acc + counts[j] <= chunk_cases):
            acc += counts[j]
            j += 1
        if acc:
            rng = np.random.default_rng(np.random.SeedSequence([seed, 11, chunk_no]))
            yield generate_chunk(ctx, days[i:j], counts[i:j], serial, rng)
            serial += acc
        chunk_no += 1
        i = j
