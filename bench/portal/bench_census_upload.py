"""A 1,000-row census batch through the portal: from the end of its upload to its report page, on a warm portal.

    python bench/portal/bench_census_upload.py [--rows 1000] [--rounds 5] [--from-data-dir DIR] [--back-to-back]

The portal runs in this process (uvicorn in a thread, as in the tests) on a fresh small city — the census tests'
lattice of 48 unit grids in 朔城区 — or on a copy of an existing data directory (``--from-data-dir var`` after
``make demo``: the publish then copies a demo-size warehouse). A warm-up batch goes first (imports, first GX
context). Each round uploads a new file of ``--rows`` components (about 3 % of them dirty) over HTTP as the page
does (multipart, CSRF header), then times, from the end of the upload, the polling of the batch's status until its
report is ready and the fetch of its report page (the publish for the warehouse's readers follows; its seconds
are reported apart). Same-run baseline: the bare use case called as the portal calls it
(``usecases.census.ingest_batch(..., report=False, report_data=True, publish=False)``, in this warm process) on
another file of the same size; the ratio is the portal's own cost on top. Target: ≤ 3 s. ``--back-to-back``: each
round's batch arrives right after another batch (queued behind it, as when two teams upload at once).
Prints one JSON object: per round the portal's seconds, its stages, the baseline's seconds; medians; load average.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

DISTRICT = "140602"
USER = f"surveyor-{DISTRICT}"


def write_batch(path: Path, rows: int, serial0: int, seed: int) -> Path:
    """``rows`` manhole covers at random places in the lattice's cells; every 33rd row carries a defect."""
    from tests.census_loaders.cityfiles import COLS, DLAT, DLON, HEADER, LAT0, LON0, ROWS, grid_code, write_csv

    rng = random.Random(seed)
    records = []
    for i in range(rows):
        col, row = rng.randrange(COLS), rng.randrange(ROWS)
        lon, lat = LON0 + (col + rng.uniform(0.05, 0.95)) * DLON, LAT0 + (row + rng.uniform(0.05, 0.95)) * DLAT
        record = dict.fromkeys(HEADER, "")
        record.update({"OBJCODE": f"{DISTRICT}01001{serial0 + i:06d}", "OBJNAME": "供水井盖",
                       "DEPTCODE1": "14060005", "DEPTNAME1": "朔州市市政设施服务中心", "BGCODE": grid_code(col, row),
                       "OBJSTATE": "完好", "ORDATE": "20260801", "PHOTO": f"p{i}.jpg", "X": f"{lon:.7f}",
                       "Y": f"{lat:.7f}"})
        if i % 33 == 5:
            record["OBJCODE"] = record["OBJCODE"][:-3] + "ABC"
        records.append(record)
    return write_csv(path, records)


def start(settings: Any) -> tuple[str, Any, Any]:
    import uvicorn

    from casework.cli import seed_demo_users
    from portal.app import create_portal
    from portal.config import PortalConfig

    seed_demo_users(settings)
    app = create_portal(settings, config=PortalConfig(b"bench-portal-secret-key-0123456789abcdef"))
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", app, server


def signed_in(url: str) -> tuple[Any, str]:
    import httpx

    from casework.cli import DEMO_PASSWORD

    client = httpx.Client(base_url=url, timeout=120)
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF field on the login page"
    client.post("/login", data={"username": USER, "password": DEMO_PASSWORD, "csrf_token": token.group(1)})
    census = client.get("/census")
    header = re.search(r'"X-CSRF-Token": "([^"]+)"', census.text)
    assert census.status_code == 200 and header, f"not signed in as {USER}: {census.status_code}"
    return client, header.group(1)


def post_upload(client: Any, csrf: str, path: Path) -> tuple[str, float]:
    """Upload ``path`` as the page does; → (the batch's page, the end of the upload)."""
    with path.open("rb") as handle:
        answer = client.post("/census/uploads", headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
                             data={"district": DISTRICT, "mapping": ""}, files={"file": (path.name, handle)})
    ended = time.perf_counter()  # the end of the upload: the portal has the file and queued its job
    target = answer.headers.get("HX-Redirect")
    assert answer.status_code == 204 and target, answer.text[:500]
    return target, ended


def upload_and_wait(client: Any, csrf: str, path: Path, *, queued_behind: Path | None = None) -> dict[str, Any]:
    """Upload ``path`` and time its report page from the end of the upload; ``queued_behind``: upload that file
    first, without waiting (a batch that arrives while another is being processed)."""
    if queued_behind is not None:
        post_upload(client, csrf, queued_behind)
    target, ended = post_upload(client, csrf, path)
    while True:
        status = client.get(target + "/status")
        if status.status_code == 204:
            break
        time.sleep(0.02)
    report = client.get(target)
    seconds = time.perf_counter() - ended
    assert "隔离原因（按规则）" in report.text, report.text[:1000]
    return {"seconds": round(seconds, 3), "upload_id": target.rsplit("/", 1)[-1]}


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class RssSampler(threading.Thread):
    """The process's resident memory every 20 ms: its highest value while running (ru_maxrss is the peak since
    the process began — the warm-up's imports would hide a rise)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.highest, self.stop = 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.highest = max(self.highest, current_rss_mib())
            time.sleep(0.02)


def big_upload(client: Any, csrf: str, work: Path, megabytes: int, app: Any) -> dict[str, Any]:
    """A ``megabytes`` MB CSV through the same route: the process's peak RSS before and after (the upload is
    streamed to disk, never held in memory). Its columns are not a census mapping's, so the ingest refuses it at
    the header after landing it — the measurement is of receiving and keeping the file, not of loading it."""
    path = work / "big.csv"
    line = ("A,B,C,D\n" + "1234567890," * 3 + "x" * 90 + "\n").encode()
    with path.open("wb") as handle:
        handle.write(b"A,B,C,D\n")
        block = line * (1 << 13)
        while handle.tell() + len(block) <= megabytes * 1024 * 1024:  # at most the limit: 500 MB is allowed
            handle.write(block)
    size = path.stat().st_size
    before, resident = rss_mib(), current_rss_mib()
    sampler = RssSampler()
    sampler.start()
    started = time.perf_counter()
    with path.open("rb") as handle:
        answer = client.post("/census/uploads", headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
                             data={"district": DISTRICT, "mapping": ""}, files={"file": (path.name, handle)})
    received = time.perf_counter() - started
    target = answer.headers.get("HX-Redirect", "")
    assert answer.status_code == 204 and target, answer.text[:500]
    job = app.state.census_jobs.get(target.rsplit("/", 1)[-1])
    job.ended.wait()
    sampler.stop.set()
    sampler.join()
    path.unlink()
    return {"bytes": size, "receive_s": round(received, 1), "rss_mib_before": round(resident),
            "rss_mib_highest_during": round(sampler.highest), "peak_rss_mib_before": round(before),
            "peak_rss_mib_after": round(rss_mib()), "job_stage": job.stage, "job_message": job.message[:120],
            "rows_quarantined": job.counts.get("rows_quarantined")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--from-data-dir", type=Path, default=None, help="copy this data directory and run on it")
    parser.add_argument("--back-to-back", action="store_true",
                        help="each round's batch is uploaded right after another one (queued behind it)")
    parser.add_argument("--big-upload-mb", type=int, default=0,
                        help="instead: upload one file of this many MB and report the peak RSS around it")
    args = parser.parse_args()
    os.environ.setdefault("SZCG_HASH_KEY", "bench-portal-hash-key-0123456789abcdef")

    from szcg.settings import Settings
    from usecases.wiring import wire

    wire()  # the areas' audits, which every publish runs (the portal's jobs publish through usecases.publish)
    work = Path(tempfile.mkdtemp(prefix="szcg-bench-portal-"))
    data_dir = work / "var"
    settings = Settings(data_dir=data_dir, hash_key=os.environ["SZCG_HASH_KEY"]).with_data_dir(data_dir)
    if args.from_data_dir:
        shutil.copytree(args.from_data_dir, data_dir, symlinks=True)
    else:
        from tests.portal.conftest import publish_small_city

        publish_small_city(settings, work)
    url, app, server = start(settings)
    started = time.perf_counter()
    app.state.census_jobs.warmed.result()
    warm_up_s = time.perf_counter() - started
    client, csrf = signed_in(url)
    if args.big_upload_mb:
        print(json.dumps({"big_upload": big_upload(client, csrf, work, args.big_upload_mb, app),
                          "load_average": os.getloadavg()}, ensure_ascii=False, indent=1))
        server.should_exit = True
        app.state.census_jobs.shutdown()
        shutil.rmtree(work, ignore_errors=True)
        return
    warm = upload_and_wait(client, csrf, write_batch(work / "warm-up.csv", args.rows, 900_000, 0))
    app.state.census_jobs.get(warm["upload_id"]).ended.wait()  # its publish: round 1 must not queue behind it

    from usecases.census import ingest_batch

    rounds = []
    for n in range(args.rounds):
        portal_file = write_batch(work / f"portal-{n}.csv", args.rows, 1 + 2 * n * args.rows, 10 + n)
        c0 = time.process_time()
        ahead = (write_batch(work / f"ahead-{n}.csv", args.rows, 500_000 + n * args.rows, 50 + n)
                 if args.back_to_back else None)
        portal = upload_and_wait(client, csrf, portal_file, queued_behind=ahead)
        portal_cpu = time.process_time() - c0  # every thread of this process: server, worker, client
        job = app.state.census_jobs.get(portal["upload_id"])
        for pending in app.state.census_jobs.jobs():
            pending.ended.wait()  # its publish, before the next round's writer
        bare_file = write_batch(work / f"bare-{n}.csv", args.rows, 1 + (2 * n + 1) * args.rows, 100 + n)
        t0, c0 = time.perf_counter(), time.process_time()
        outcome = ingest_batch(settings, bare_file, DISTRICT, report=False, report_data=True, publish=False)
        bare, bare_cpu = time.perf_counter() - t0, time.process_time() - c0
        rounds.append({"portal_s": portal["seconds"], "portal_cpu_s": round(portal_cpu, 3), "stages_s": job.seconds,
                       "baseline_use_case_s": round(bare, 3), "baseline_cpu_s": round(bare_cpu, 3),
                       "rows_in": job.counts["rows_in"], "rows_quarantined": job.counts["rows_quarantined"],
                       "baseline_rows_quarantined": outcome.rows_quarantined, "load_1min": os.getloadavg()[0]})
        print(json.dumps(rounds[-1], ensure_ascii=False), file=sys.stderr)
    server.should_exit = True
    app.state.census_jobs.shutdown()
    portal_median = statistics.median(r["portal_s"] for r in rounds)
    bare_median = statistics.median(r["baseline_use_case_s"] for r in rounds)
    cpu_median = statistics.median(r["portal_cpu_s"] for r in rounds)
    print(json.dumps({"rows": args.rows, "rounds": rounds, "warm_up_imports_s": round(warm_up_s, 2),
                      "portal_cpu_median_s": cpu_median,
                      "baseline_cpu_median_s": statistics.median(r["baseline_cpu_s"] for r in rounds),
                      "portal_median_s": portal_median, "baseline_median_s": bare_median,
                      "ratio_median": round(portal_median / bare_median, 2), "target_s": 3.0,
                      "met": portal_median <= 3.0, "load_average": os.getloadavg(),
                      "city": str(args.from_data_dir or "small test city (48 grids)"),
                      "back_to_back": args.back_to_back}, ensure_ascii=False, indent=1))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
