"""``szcg standards …``: look up subclasses, check codes, map codes between editions, validate a city's config."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from szcg import clock
from szcg.cliutil import EXIT_REJECTED, Outcome, add_command, add_group
from szcg.settings import Settings
from szcg.vocabulary import CASE_KINDS as KINDS


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = add_group(subparsers, "standards", help="catalogues, code validators, crosswalk, city configuration")

    p = add_command(group, "show", _show, help="show a subclass (name, provenance, 指挥手册 rule, crosswalk)")
    p.add_argument("code", help="subclass code, e.g. 0101 (CJ/T 214-2007) or 01001 (GB/T 47678.5-2026)")
    p.add_argument("--edition", help="edition key or title (default: the city's edition)")
    p.add_argument("--kind", choices=KINDS, help="component or event (default: both)")

    p = add_command(group, "search", _search, help="find subclasses by name (any edition, or --edition)")
    p.add_argument("text", help="part of a subclass or major class name, e.g. 路灯 or 井盖")
    p.add_argument("--edition", help="only this edition (key or title)")
    p.add_argument("--kind", choices=KINDS, help="component or event (default: both)")

    p = add_command(group, "check", _check, help="check a component id, grid code or event code (exit 1 if invalid)")
    p.add_argument("what", choices=("component-id", "grid-code", "event-code"))
    p.add_argument("value")
    p.add_argument("--edition", help="edition key or title (default: the city's edition)")
    p.add_argument("--allow-legacy-14", action="store_true", help="accept 14-digit CJ/T 213-2005 grid codes")
    p.add_argument("--on", help="check area codes as valid on this date (YYYY-MM-DD)")

    p = add_command(group, "crosswalk", _crosswalk, help="map subclass codes between editions (unknown stays unknown)")
    p.add_argument("--from", dest="from_edition", help="source edition (key or title)")
    p.add_argument("--to", dest="to_edition", help="target edition (key or title)")
    p.add_argument("--code", help="only this source code")

    p = add_command(group, "validate-config", _validate, help="load and check a city's configuration folder")
    p.add_argument("--city-dir", type=Path, help="city folder (default: the configured city)")


def _city(settings: Settings) -> Any:
    from standards.city import load_city

    return load_city(settings)


def _catalogue(args: argparse.Namespace, settings: Settings) -> Any:
    from standards.catalogue import edition_key, load_catalogue

    if args.edition:
        city = _city(settings)
        key = edition_key(args.edition)
        return load_catalogue(key, city.catalogue_table if key == city.edition else None)
    city = _city(settings)
    return load_catalogue(city.edition, city.catalogue_table)


def _show(args: argparse.Namespace, settings: Settings) -> Outcome:
    from standards.catalogue import EDITIONS, translate
    from standards.handbook import load_handbook
    from szcg.errors import InputRejected

    catalogue = _catalogue(args, settings)
    kinds = (args.kind,) if args.kind else KINDS
    found = [s for k in kinds if (s := catalogue.get(args.code, k)) is not None]
    if not found:
        hint = "" if args.code.isdigit() else f"; to find a code by name: szcg standards search {args.code}"
        raise InputRejected(f"{args.code}: no {args.kind or 'component or event'} subclass with this code in "
                            f"{catalogue.title}{hint}")
    city = _city(settings)
    items, lines = [], []
    for s in found:
        item: dict[str, Any] = {"edition": s.edition, "kind": s.kind, "code": s.code, "name": s.name,
                                "major_code": s.major_code, "major_name": s.major_name,
                                "provenance": s.provenance, "derived_from": s.derived_from,
                                "source_note": s.source_note}
        lines.append(f"{catalogue.title} {s.kind} {s.code} {s.name}  [{s.major_code} {s.major_name}]  "
                     f"provenance: {s.provenance}" + (f" (derived from {s.derived_from})" if s.derived_from else ""))
        if s.edition == city.edition:
            rule = load_handbook(city).rule_for(s.code, s.kind)
            item["handbook"] = {"handling_class": rule.handling_class, "department_code": rule.department_code,
                                "register_condition": rule.register_condition,
                                "close_condition": rule.close_condition, "value_origin": rule.value_origin,
                                "limits": {k: {"hours": v.hours, "basis": v.basis, "source": v.source}
                                           for k, v in rule.limits.items()}}
            lines.append(f"  指挥手册: {rule.handling_class}, department {rule.department_code}, 处置 "
                         f"{rule.limits['handle'].source} ({rule.value_origin})")
            lines.append(f"  立案条件: {rule.register_condition}")
            lines.append(f"  结案条件: {rule.close_condition}")
        maps = []
        for other in EDITIONS:
            if other == s.edition:
                continue
            for e in translate(s.code, s.edition, other, s.kind):
                maps.append({"to_edition": e.to_edition, "to_code": e.to_code, "to_name": e.to_name,
                             "relation": e.relation, "note": e.note})
                target = f"{e.to_code} {e.to_name}" if e.to_code else "(unknown)"
                lines.append(f"  → {EDITIONS[e.to_edition]} {target}  [{e.relation}]")
        item["crosswalk"] = maps
        items.append(item)
    return Outcome(summary={"subclasses": items}, text="\n".join(lines))


def _search(args: argparse.Namespace, settings: Settings) -> Outcome:
    from standards.catalogue import EDITIONS, edition_key, load_catalogue
    from szcg.errors import InputRejected

    text = args.text.strip().casefold()
    if not text:
        raise InputRejected("search: give part of a name, e.g. 路灯")
    editions = [edition_key(args.edition)] if args.edition else list(EDITIONS)
    found = [s for e in editions for s in load_catalogue(e).subclasses
             if (not args.kind or s.kind == args.kind)
             and (text in s.name.casefold() or text in s.major_name.casefold())]
    items = [{"edition": s.edition, "edition_title": EDITIONS[s.edition], "kind": s.kind, "code": s.code,
              "name": s.name, "major_code": s.major_code, "major_name": s.major_name} for s in found]
    lines = [f"{EDITIONS[s.edition]}  {s.kind} {s.code} {s.name}  [{s.major_code} {s.major_name}]" for s in found]
    lines.append(f"{len(found)} subclasses match {args.text!r}")
    return Outcome(summary={"text": args.text, "count": len(items), "subclasses": items}, text="\n".join(lines),
                   exit_code=0 if found else EXIT_REJECTED)


def _check(args: argparse.Namespace, settings: Settings) -> Outcome:
    from datetime import date

    from standards.areas import load_area_tree
    from standards.codes import check_component_id, check_event_code, check_grid_code
    from szcg.errors import InputRejected

    on = None
    if args.on:
        try:
            on = date.fromisoformat(args.on)
        except ValueError as exc:
            raise InputRejected(f"--on {args.on!r}: expected a date YYYY-MM-DD") from exc
    if args.what == "grid-code":
        result = check_grid_code(args.value, load_area_tree(_city(settings)), allow_legacy_14=args.allow_legacy_14,
                                 on=on)
    elif args.what == "component-id":
        result = check_component_id(args.value, _catalogue(args, settings), load_area_tree(_city(settings)), on=on)
    else:
        result = check_event_code(args.value, _catalogue(args, settings))
    summary = {"what": args.what, "value": result.value, "valid": result.valid, "reasons": result.reasons,
               "parts": result.parts}
    return Outcome(summary=summary, text=str(result), exit_code=0 if result.valid else EXIT_REJECTED)


def _crosswalk(args: argparse.Namespace, settings: Settings) -> Outcome:
    from standards.catalogue import EDITIONS, crosswalk

    entries = crosswalk(args.from_edition, args.to_edition)
    if args.code:
        entries = [e for e in entries if e.from_code == args.code]
    rows = [{"from_edition": e.from_edition, "kind": e.kind, "from_code": e.from_code, "from_name": e.from_name,
             "to_edition": e.to_edition, "to_code": e.to_code, "to_name": e.to_name, "relation": e.relation,
             "note": e.note} for e in entries]
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.relation] = counts.get(e.relation, 0) + 1
    lines = [f"{EDITIONS[e.from_edition]} {e.kind} {e.from_code} {e.from_name} → {EDITIONS[e.to_edition]} "
             f"{e.to_code or '(unknown)'} {e.to_name}  [{e.relation}]" for e in entries]
    lines.append(f"{len(entries)} entries: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return Outcome(summary={"entries": rows, "count": len(rows), "relations": counts}, text="\n".join(lines))


def _validate(args: argparse.Namespace, settings: Settings) -> Outcome:
    from standards.areas import load_area_tree
    from standards.calendar import load_calendar
    from standards.catalogue import load_catalogue
    from standards.city import load_city_dir
    from standards.departments import load_departments
    from standards.handbook import load_handbook

    city = load_city_dir(args.city_dir) if args.city_dir else _city(settings)
    calendar = load_calendar(city)
    catalogue = load_catalogue(city.edition, city.catalogue_table)
    tree = load_area_tree(city)
    departments = load_departments(city)
    handbook = load_handbook(city)
    geometry_missing = [d.code for d in tree.districts() if tree.district_geometry(d.code) is None]

    this_year = clock.today().year
    holidays_missing = [y for y in (this_year, this_year + 1) if not calendar.knows_holidays_for(y)]
    summary = {
        "city": city.key, "name": city.name, "config_dir": str(city.config_dir), "edition": city.edition,
        "components": len(catalogue.components()), "events": len(catalogue.events()),
        "catalogue_complete": catalogue.complete, "districts": len(tree.districts()),
        "management_areas": len(tree.management_areas()), "streets": len(tree.streets()),
        "departments": len(departments), "handbook_version": handbook.version,
        "handbook_rules": len(handbook.rules()), "hours_per_day": calendar.hours_per_day,
        "districts_without_geometry": geometry_missing, "holiday_years_missing": holidays_missing,
        "handbook_examples": sum(1 for r in handbook.rules() if r.value_origin == "EXAMPLE"),
    }
    text = (f"{city.name} ({city.key}) configuration is valid: {catalogue.title} "
            f"({summary['components']} components, {summary['events']} events), {summary['districts']} districts, "
            f"{summary['streets']} streets, {summary['departments']} departments, 指挥手册 {handbook.version} "
            f"({summary['handbook_rules']} rules), {calendar.hours_per_day:g} working hours a day")
    for year in holidays_missing:
        text += (f"\nwarning: public holidays of {year} are unknown (chinese-calendar has no schedule and "
                 f"{city.calendar_file.name}'s overrides list none); only weekends count as rest days")
    if not catalogue.complete:
        text += f"\nwarning: {catalogue.title} is incomplete here; add the city's table as files.catalogue_table"
    return Outcome(summary=summary, text=text)
