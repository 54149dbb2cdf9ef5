"""Real export shapes of all three sources: the same rows with the ids real systems
use and in the order they come. svcq and DuckDB are timed on each shape and their
values checked equal; for the shapes that keep every row in its place (all but
`shuffled` and `rejects`), svcq's values must also equal the canonical run's. (The
sample repeats a few ids; the first row of an id is kept, so shuffling changes which.)

- unpadded: T0000123 → 123, ORD0001234 → 1234 (Zendesk, ServiceNow numbers)
- hex: 32-character MD5 hashes of the ids (Olist)
- uuid: UUIDs derived from the ids
- shuffled: rows in no order
- offset: times with a +08:00 offset instead of Z (the same instants)
- rejects: 5 % of the rows carry an impossible time and must be rejected
"""

import csv
import hashlib
import json
import os
import random
import shutil
import re
import subprocess
import sys
import uuid
from datetime import datetime, timedelta

SOURCES = ("tickets", "shipments", "reviews")
ID_COLUMNS = {"ticket_id", "order_id", "review_id"}
ZULU = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})Z$")
PADDED = re.compile(r"^[A-Z]+0*(\d+)$")
# The field each source's broken rows get: a time it requires or checks.
BROKEN = {"tickets": "created_at", "shipments": "shipped_at", "reviews": "created_at"}
SHAPES = ("unpadded", "hex", "uuid", "shuffled", "offset", "rejects")


def unpadded(v):
    m = PADDED.match(v)
    return m.group(1) if m else v


def hex_id(v):
    return hashlib.md5(v.encode()).hexdigest() if v else v


def uuid_id(v):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, v)) if v else v


def plus_eight(v):
    m = ZULU.match(v)
    if not m:
        return v
    local = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S") + timedelta(hours=8)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + "+08:00"


def write_shape(data, out, shape):
    os.makedirs(out, exist_ok=True)
    rng = random.Random(7)
    for source in SOURCES:
        with open(os.path.join(data, f"{source}.csv"), newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader)
            rows = list(reader)
        ids = [i for i, h in enumerate(header) if h in ID_COLUMNS]
        times = [i for i, h in enumerate(header) if h.endswith("_at")]
        broken = header.index(BROKEN[source])
        change = {"unpadded": unpadded, "hex": hex_id, "uuid": uuid_id}.get(shape)
        for row in rows:
            if len(row) != len(header):
                continue
            if change:
                for i in ids:
                    row[i] = change(row[i])
            elif shape == "offset":
                for i in times:
                    row[i] = plus_eight(row[i])
            elif shape == "rejects" and rng.random() < 0.05:
                row[broken] = "2026-13-45T25:00:00Z"
        if shape == "shuffled":
            rng.shuffle(rows)
        with open(os.path.join(out, f"{source}.csv"), "w", newline="", encoding="utf-8") as g:
            writer = csv.writer(g, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)


def write_in_child(data, out, shape):
    """Rewrites in a child process: the rows it holds would otherwise stay in this
    process, and every command it starts would count them in its peak memory."""
    subprocess.run([sys.executable, os.path.abspath(__file__), data, out, shape], check=True)


def run_realistic(svcq, peers, data, work, tickets, period, peer_args, runs,
                  timed, compare, svcq_metrics, canonical):
    """Runs svcq and each peer (`[(name, command prefix)]`) on every shape. Returns
    {shape: (svcq wall, svcq peak, {peer: (wall, peak)})}; exits on any
    disagreement."""
    results = {}
    for shape in SHAPES:
        out = os.path.join(work, f"shape-{shape}-{tickets}")
        write_in_child(data, out, shape)
        s_json = os.path.join(work, f"svcq-{shape}-{tickets}.json")
        s_wall, s_peak = timed([svcq, "report", "--data", out, *period], runs, s_json)
        inputs, s_metrics = svcq_metrics(s_json)
        timings = {}
        for name, command in peers:
            p_json = os.path.join(work, f"{name}-{shape}-{tickets}.json")
            timings[name] = timed([*command, out, *peer_args], runs, p_json)
            with open(p_json) as f:
                peer = json.load(f)
            if inputs != peer["inputs"]:
                raise SystemExit(f"{shape}: read/accepted rows differ: svcq {inputs} vs {name} {peer['inputs']}")
            compare(f"svcq ({shape})", s_metrics, f"{name} ({shape})",
                    {k: tuple(v) for k, v in peer["metrics"].items()})
        if shape not in ("shuffled", "rejects"):
            compare("svcq (canonical)", canonical, f"svcq ({shape})", s_metrics)
        results[shape] = (s_wall, s_peak, timings)
        if tickets >= 4_000_000:
            shutil.rmtree(out)  # about 1.5 GiB a shape at 4 M
    return results


if __name__ == "__main__":
    write_shape(*sys.argv[1:4])
