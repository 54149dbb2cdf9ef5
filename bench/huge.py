"""The larger-than-memory stage (issue 17): `bench/run --huge [TICKETS,...]`.

For each size, `svcq sample` streams the exports to disk (rows are written as they
are drawn, never held), then svcq's report and DuckDB's run once each on the same
files; their read/accepted counts and every metric must agree. The wall time and
peak memory of both go into the section of bench/RESULTS.md between HUGE_BEGIN and
HUGE_END (in the notes part, so a full benchmark run keeps it). A size whose CSV
would not fit the free disk space is recorded with the measured reason instead of
being run. The generated files are deleted afterwards.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

from limited import Limiter
from bench import AS_OF, AS_OF_MS, FROM, FROM_MS, HERE, TO, TO_MS, WEEKS, compare, run, svcq_metrics

HUGE_BEGIN = "<!-- huge: written by bench/run --huge -->"
HUGE_END = "<!-- /huge -->"
# CSV bytes per ticket with its shipments and reviews, measured at 4 M tickets
# (1,511 MiB): the disk a size needs, before generating it.
CSV_BYTES_PER_TICKET = 396
# DuckDB may spill to its temporary folder; leave it a third of the CSV size.
HEADROOM = 1.34
# The CSV's size varies a little with the draws.
CSV_SLACK = 1.02


def free_bytes(path):
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def one_size(svcq, duckdb_cmd, work, tickets, memory_mib):
    """Runs one size; returns a dict of figures, or one with `skipped` and the reason.
    Where the disk holds the CSV but not DuckDB's spill, svcq runs alone and the
    figures say why DuckDB did not. svcq runs under a memory limit a little below
    the machine's, so a size that does not fit is recorded as killed, not swapped."""
    csv_needed = int(tickets * CSV_BYTES_PER_TICKET * CSV_SLACK)
    needed = int(tickets * CSV_BYTES_PER_TICKET * HEADROOM)
    free = free_bytes(work)
    where = os.path.abspath(work)
    if csv_needed > free:
        return dict(tickets=tickets, skipped=(
            f"its CSV alone needs about {csv_needed / 2**30:.1f} GiB of disk "
            f"({CSV_BYTES_PER_TICKET} B a ticket with its shipments and reviews); "
            f"{free / 2**30:.1f} GiB free in {where}"))
    duck_why_not = None if needed <= free else (
        f"DuckDB not run: with room for it to spill the size needs about "
        f"{needed / 2**30:.1f} GiB of disk, {free / 2**30:.1f} GiB free in {where}")
    data = os.path.join(work, f"huge-{tickets}")
    try:
        print(f"== --huge: {tickets:,} tickets, generating", flush=True)
        gen, gen_peak = run([svcq, "sample", "--out", data, "--tickets", str(tickets),
                             "--weeks", str(WEEKS), "--seed", "7"])
        csv_bytes = sum(os.path.getsize(os.path.join(data, f"{s}.csv"))
                        for s in ("tickets", "shipments", "reviews"))
        period = ["--from", FROM, "--to", TO, "--as-of", AS_OF, "--format", "json"]
        s_json = os.path.join(work, f"svcq-huge-{tickets}.json")
        d_json = os.path.join(work, f"duckdb-huge-{tickets}.json")
        print(f"   svcq report (under {memory_mib:,} MiB)", flush=True)
        cmd = [os.path.abspath(svcq), "report", "--data", os.path.abspath(data), *period]
        limiter = Limiter(memory_mib)
        try:
            with open(s_json, "wb") as out:
                if limiter.how:
                    finished, s_wall, s_peak, what = limiter.run(cmd, out, os.getcwd())
                else:
                    (s_wall, s_peak), finished = run(cmd, stdout=out), True
        finally:
            limiter.close()
        figures = dict(tickets=tickets, csv_mib=csv_bytes / 2**20, gen=gen, gen_peak=gen_peak,
                       svcq=s_wall, svcq_peak=s_peak,
                       limit=limiter.how or f"no memory limit ({limiter.why_not})")
        if not finished:
            print(f"   svcq: {what} after {s_wall:.1f} s ({s_peak:,.0f} MiB)", flush=True)
            return dict(figures, svcq_failed=what, duck_why_not="svcq did not finish")
        s_inputs, s_metrics = svcq_metrics(s_json)
        figures["rows"] = sum(v["read"] for v in s_inputs.values())
        if duck_why_not:
            print(f"   svcq {s_wall:.1f} s / {s_peak:,.0f} MiB; {duck_why_not}", flush=True)
            return dict(figures, duck_why_not=duck_why_not)
        print("   DuckDB", flush=True)
        # DuckDB spills into the folder it runs in: the work folder, not the caller's.
        with open(d_json, "wb") as out:
            d_wall, d_peak = run_in(work, [*duckdb_cmd, os.path.abspath(data), str(FROM_MS),
                                           str(TO_MS), str(AS_OF_MS)], out)
        with open(d_json) as f:
            duck = json.load(f)
        if s_inputs != duck["inputs"]:
            sys.exit(f"--huge: read/accepted rows differ: svcq {s_inputs} vs DuckDB {duck['inputs']}")
        compared = compare("svcq (huge)", s_metrics, "DuckDB (huge)",
                           {k: tuple(v) for k, v in duck["metrics"].items()})
        print(f"   svcq {s_wall:.1f} s / {s_peak:,.0f} MiB, DuckDB {d_wall:.1f} s / "
              f"{d_peak:,.0f} MiB; {compared} metrics agree", flush=True)
        return dict(figures, duck=d_wall, duck_peak=d_peak, compared=compared)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def run_in(folder, cmd, out):
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        return run(cmd, stdout=out)
    finally:
        os.chdir(cwd)


def section(results, commit, machine_words):
    lines = [HUGE_BEGIN, "## Larger than memory: the `--huge` stage", "",
             f"`bench/run --huge` on {machine_words}, commit {commit}. One run each; the "
             "period spans all the data. svcq runs under a memory limit a little below the "
             "machine's (so a size that does not fit is killed, not swapped); where DuckDB "
             "runs too, svcq's and DuckDB's read/accepted counts and every metric agree (to "
             "1e-9) before a row is written.", "",
             "| tickets | rows (all sources) | CSV | `svcq sample` (streamed) | svcq report | "
             "svcq peak | peak / CSV | DuckDB | DuckDB peak | svcq / DuckDB |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    notes = []
    for r in results:
        if "skipped" in r:
            notes.append(f"- {r['tickets']:,} tickets: not run — {r['skipped']}.")
            continue
        rows = f"{r['rows']:,}" if "rows" in r else "—"
        svcq = f"{r['svcq']:.1f} s" if "svcq_failed" not in r else f"{r['svcq_failed']} after {r['svcq']:.1f} s"
        if "duck" in r:
            duck = (f"{r['duck']:.1f} s | {r['duck_peak']:,.0f} MiB | "
                    f"{r['svcq'] / r['duck']:.2f}")
        else:
            duck = "not run | — | —"
            notes.append(f"- {r['tickets']:,} tickets: {r['duck_why_not']}; svcq's values "
                         "could not be checked against a peer at this size.")
        lines.append(
            f"| {r['tickets']:,} | {rows} | {r['csv_mib']:,.0f} MiB | {r['gen']:.0f} s "
            f"({r['gen_peak']:,.0f} MiB) | {svcq} | {r['svcq_peak']:,.0f} MiB | "
            f"{r['svcq_peak'] / r['csv_mib']:.2f} | {duck} |")
        if r.get("limit"):
            notes.append(f"- {r['tickets']:,} tickets: svcq ran under {r['limit']}.")
    if notes:
        lines += ["", *notes]
    lines.append(HUGE_END)
    return "\n".join(lines)


def write_section(path, text):
    with open(path) as f:
        old = f.read()
    if HUGE_BEGIN in old and HUGE_END in old:
        start = old.index(HUGE_BEGIN)
        end = old.index(HUGE_END) + len(HUGE_END)
        new = old[:start] + text + old[end:]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(new)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--svcq", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--sizes", default="100000000")
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    # Absolute: DuckDB runs in the work folder.
    duckdb_cmd = [os.path.abspath(args.python), os.path.join(HERE, "duckdb_report.py")]
    cores = os.cpu_count()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    # Room for the system and this script beside svcq.
    memory_mib = int(mem * 1024) - 1536
    results = [one_size(args.svcq, duckdb_cmd, args.work, int(s), memory_mib)
               for s in args.sizes.split(",")]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    write_section(args.out, section(results, commit, f"{cores} cores, {mem:.1f} GiB of memory"))
    print(f"wrote the --huge section of {args.out}")


if __name__ == "__main__":
    main()
