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

from bench import AS_OF, AS_OF_MS, FROM, FROM_MS, HERE, TO, TO_MS, WEEKS, compare, run, svcq_metrics

HUGE_BEGIN = "<!-- huge: written by bench/run --huge -->"
HUGE_END = "<!-- /huge -->"
# CSV bytes per ticket with its shipments and reviews, measured at 4 M tickets
# (1,511 MiB): the disk a size needs, before generating it.
CSV_BYTES_PER_TICKET = 396
# DuckDB may spill to its temporary folder; leave it a third of the CSV size.
HEADROOM = 1.34


def free_bytes(path):
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def one_size(svcq, duckdb_cmd, work, tickets):
    """Runs one size; returns a dict of figures, or one with `skipped` and the reason."""
    needed = int(tickets * CSV_BYTES_PER_TICKET * HEADROOM)
    free = free_bytes(work)
    if needed > free:
        return dict(tickets=tickets, skipped=(
            f"needs about {needed / 2**30:.1f} GiB of disk ({CSV_BYTES_PER_TICKET} B of CSV a "
            f"ticket with its shipments and reviews, plus room for DuckDB to spill); "
            f"{free / 2**30:.1f} GiB free in {os.path.abspath(work)}"))
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
        print("   svcq report", flush=True)
        with open(s_json, "wb") as out:
            s_wall, s_peak = run([svcq, "report", "--data", data, *period], stdout=out)
        print("   DuckDB", flush=True)
        # DuckDB spills into the folder it runs in: the work folder, not the caller's.
        with open(d_json, "wb") as out:
            d_wall, d_peak = run_in(work, [*duckdb_cmd, os.path.abspath(data), str(FROM_MS),
                                           str(TO_MS), str(AS_OF_MS)], out)
        s_inputs, s_metrics = svcq_metrics(s_json)
        with open(d_json) as f:
            duck = json.load(f)
        if s_inputs != duck["inputs"]:
            sys.exit(f"--huge: read/accepted rows differ: svcq {s_inputs} vs DuckDB {duck['inputs']}")
        compared = compare("svcq (huge)", s_metrics, "DuckDB (huge)",
                           {k: tuple(v) for k, v in duck["metrics"].items()})
        rows = sum(v["read"] for v in s_inputs.values())
        print(f"   svcq {s_wall:.1f} s / {s_peak:,.0f} MiB, DuckDB {d_wall:.1f} s / "
              f"{d_peak:,.0f} MiB; {compared} metrics agree", flush=True)
        return dict(tickets=tickets, rows=rows, csv_mib=csv_bytes / 2**20, gen=gen,
                    gen_peak=gen_peak, svcq=s_wall, svcq_peak=s_peak, duck=d_wall,
                    duck_peak=d_peak, compared=compared)
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
             "period spans all the data; svcq's and DuckDB's read/accepted counts and every "
             "metric agree (to 1e-9) before a row is written.", "",
             "| tickets | rows (all sources) | CSV | `svcq sample` (streamed) | svcq report | "
             "svcq peak | peak / CSV | DuckDB | DuckDB peak | svcq / DuckDB |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    skipped = []
    for r in results:
        if "skipped" in r:
            skipped.append(f"- {r['tickets']:,} tickets: not run — {r['skipped']}.")
            continue
        lines.append(
            f"| {r['tickets']:,} | {r['rows']:,} | {r['csv_mib']:,.0f} MiB | {r['gen']:.0f} s "
            f"({r['gen_peak']:,.0f} MiB) | {r['svcq']:.1f} s | {r['svcq_peak']:,.0f} MiB | "
            f"{r['svcq_peak'] / r['csv_mib']:.2f} | {r['duck']:.1f} s | {r['duck_peak']:,.0f} MiB | "
            f"{r['svcq'] / r['duck']:.2f} |")
    if skipped:
        lines += ["", *skipped]
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
    results = [one_size(args.svcq, duckdb_cmd, args.work, int(s)) for s in args.sizes.split(",")]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    cores = os.cpu_count()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    write_section(args.out, section(results, commit, f"{cores} cores, {mem:.1f} GiB of memory"))
    print(f"wrote the --huge section of {args.out}")


if __name__ == "__main__":
    main()
