"""Mapped and GBK exports against svcq's own layout: the same tickets rewritten as
a help desk would export them (other column names, priority labels, day-first
times, `?` for empty), once in UTF-8 and once in GBK with Chinese headers, read
through a mapping in svcq.toml. Every ticket metric must equal the canonical
run's; the time ratio is the cost of mapping and decoding."""

import csv
import json
import os

PRIORITY = {"urgent": "1 - Critical", "high": "2 - High", "normal": "3 - Moderate", "low": "4 - Low"}
# Labels svcq knows without a value map; any other (a malformed row) becomes empty,
# so the row is rejected in both shapes.
ALIASES = {"red", "yellow", "green", "p1", "p2", "p3", "p4"}
TIMES = ("created_at", "first_response_at", "resolved_at")
ENGLISH = {
    "ticket_id": "number", "created_at": "opened_at", "first_response_at": "first_reply_at",
    "resolved_at": "resolved_at", "channel": "contact_type", "priority": "priority",
    "category": "category", "agent": "assigned_to", "order_id": "order", "reopens": "reopen_count",
    "agent_replies": "replies",
}
CHINESE = {
    "ticket_id": "工单编号", "created_at": "创建时间", "first_response_at": "首次响应时间",
    "resolved_at": "解决时间", "channel": "渠道", "priority": "优先级", "category": "类别",
    "agent": "客服", "order_id": "订单编号", "reopens": "重开次数", "agent_replies": "回复次数",
}


def day_first(text):
    # 2026-10-29T14:25:55Z -> 29-10-2026 14:25:55 (the mapping's zone is UTC)
    if not text or "T" not in text:
        return text or "?"
    date, time = text.rstrip("Z").split("T")
    y, m, d = date.split("-")
    return f"{d}-{m}-{y} {time}"


def write_shape(src, dst, names, encoding):
    with open(src, newline="", encoding="utf-8") as f, \
            open(dst, "w", newline="", encoding=encoding, errors="replace") as g:
        reader = csv.reader(f)
        header = next(reader)
        writer = csv.writer(g, lineterminator="\r\n")
        writer.writerow([names.get(h, h) for h in header])
        idx = {h: i for i, h in enumerate(header)}
        for row in reader:
            if len(row) == len(header):
                for t in TIMES:
                    row[idx[t]] = day_first(row[idx[t]])
                p = row[idx["priority"]]
                row[idx["priority"]] = PRIORITY.get(p.lower(), p if p.lower() in ALIASES else "")
            writer.writerow(row)


def config(path, names, encoding):
    lines = ["[sources.tickets]", f'encoding = "{encoding}"',
             'timestamp_formats = ["%d-%m-%Y %H:%M:%S"]', 'null = ["?"]',
             "[sources.tickets.columns]"]
    lines += [f'{field} = "{column}"' for field, column in names.items()]
    lines += ["[sources.tickets.values.priority]"]
    lines += [f'"{label}" = "{value}"' for value, label in PRIORITY.items()]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def ticket_metrics(path):
    with open(path) as f:
        report = json.load(f)
    return {m["id"]: (m["value"], m["n"]) for m in report["metrics"]
            if m["group"] is None and m["source"] == "tickets"}, report["inputs"]["tickets"]


def run_shapes(svcq, data, work, tickets, period, runs, timed, compare):
    """Returns {shape: (wall, peak)} with "canonical" first; exits on disagreement."""
    results = {}
    base_json = os.path.join(work, f"shape-canonical-{tickets}.json")
    rejects = os.path.join(work, f"rejects-shapes-{tickets}")
    src = os.path.join(data, "tickets.csv")
    results["canonical"] = timed(
        [svcq, "report", "--tickets", src, "--rejects", rejects, *period], runs, base_json)
    base, base_inputs = ticket_metrics(base_json)
    for shape, names, encoding in (("mapped", ENGLISH, "utf-8"), ("gbk", CHINESE, "gbk")):
        path = os.path.join(work, f"tickets-{shape}-{tickets}.csv")
        toml = os.path.join(work, f"svcq-{shape}.toml")
        write_shape(src, path, names, encoding)
        config(toml, names, encoding)
        out = os.path.join(work, f"shape-{shape}-{tickets}.json")
        results[shape] = timed([svcq, "report", "--tickets", path, "--targets", toml,
                                "--rejects", rejects, *period], runs, out)
        got, inputs = ticket_metrics(out)
        compare("canonical", base, shape, got)
        for key in ("read", "accepted", "rejected"):
            if inputs[key] != base_inputs[key]:
                raise SystemExit(f"{shape}: {key} {inputs[key]} vs canonical {base_inputs[key]}")
    return results
