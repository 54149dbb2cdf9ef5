"""Incremental ingest: a year of exports in the store, then a weekly export of 1 %
of its rows (the latest week's, as a shop's weekly export would be) ingested into
it, against rebuilding the store from scratch. The store's report after the
weekly ingest must equal the full one (the weekly rows are the same rows)."""

import csv
from collections import Counter
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta

ANCHOR = {"tickets": "created_at", "shipments": "shipped_at", "reviews": "created_at"}


def parse(text):
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None


def weekly_export(data, out, share):
    """The rows of each source anchored in the last 7 days of the data, cut to
    `share` of the source's rows."""
    os.makedirs(out, exist_ok=True)
    rows_out = 0
    for source, anchor in ANCHOR.items():
        with open(os.path.join(data, f"{source}.csv"), newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader)
            i = header.index(anchor)
            rows = [r for r in reader if len(r) == len(header)]
        # Ids the full export repeats (the generator's deliberate duplicates) are
        # left out: which of their rows the store holds depends on the order.
        counts = Counter(r[0] for r in rows)
        times = [parse(r[i]) for r in rows]
        cutoff = max(t for t in times if t) - timedelta(days=7)
        week = [r for r, t in zip(rows, times) if t and t >= cutoff and counts[r[0]] == 1]
        week = week[: int(len(rows) * share)]
        rows_out += len(week)
        with open(os.path.join(out, f"{source}.csv"), "w", newline="", encoding="utf-8") as g:
            w = csv.writer(g)
            w.writerow(header)
            w.writerows(week)
    return rows_out


def run_incremental(svcq, work, tickets, runs, run, compare, svcq_metrics, period):
    data = os.path.join(work, f"year-{tickets}")
    weekly = os.path.join(work, f"year-{tickets}-weekly")
    base = os.path.join(work, f"year-store-{tickets}")
    rejects = os.path.join(work, "rejects-year")
    run([svcq, "sample", "--out", data, "--tickets", str(tickets), "--weeks", "52", "--seed", "11"])
    # In a process of its own: the rows it holds would otherwise stay in this
    # process, and every child forked from it would start with them in its peak
    # memory (the first run measured 8 GB for a 285 MiB ingest).
    weekly_rows = int(subprocess.run(
        [sys.executable, __file__, data, weekly, "0.01"], check=True, capture_output=True, text=True,
    ).stdout)
    full = []
    for _ in range(runs):
        shutil.rmtree(base, ignore_errors=True)
        wall, _ = run([svcq, "ingest", "--data", data, "--store", base, "--rejects", rejects])
        full.append(wall)
    before_json = os.path.join(work, "year-before.json")
    with open(before_json, "wb") as f:
        subprocess.run([svcq, "report", "--store", base, *period], stdout=f, check=True)
    inc = []
    peak = 0
    for k in range(runs):
        store = os.path.join(work, f"year-store-{tickets}-inc")
        shutil.rmtree(store, ignore_errors=True)
        shutil.copytree(base, store)
        wall, p = run([svcq, "ingest", "--data", weekly, "--store", store, "--rejects", rejects])
        inc.append(wall)
        peak = max(peak, p)
    after_json = os.path.join(work, "year-after.json")
    with open(after_json, "wb") as f:
        subprocess.run([svcq, "report", "--store", store, *period], stdout=f, check=True)
    compare("store", svcq_metrics(before_json)[1], "store after the weekly ingest", svcq_metrics(after_json)[1])
    full.sort()
    inc.sort()
    return dict(tickets=tickets, weekly_rows=weekly_rows, full=full[len(full) // 2],
                incremental=inc[len(inc) // 2], peak=peak)


if __name__ == "__main__":
    print(weekly_export(sys.argv[1], sys.argv[2], float(sys.argv[3])))
