"""The svcq metric definitions (docs/metrics.md) as DuckDB SQL, with the same
validation of types and rules, so the benchmark compares equal work.

usage: duckdb_report.py DATA_DIR FROM_MS TO_MS AS_OF_MS  → JSON on stdout:
  {"inputs": {source: {"read": N, "accepted": N}}, "metrics": {id: [value, n]}}

Timestamps: the forms svcq accepts without an offset (ISO with Z, 'T' or space,
slashes, bare dates), read as UTC. Offsets such as +08:00 are not parsed here; the
generated benchmark data does not use them.
"""

import glob
import json
import os
import sys

import tomllib

import duckdb

TS_FORMATS = [
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
]

SETUP = f"""
CREATE MACRO blank(x) AS x IS NULL OR trim(x) = '';
-- Milliseconds since the epoch, NULL when empty or unparseable.
-- A time with an offset (+08:00) is tried with the offset format only.
CREATE MACRO ms(x) AS CASE WHEN regexp_matches(trim(x), '[+-][0-9][0-9]:?[0-9][0-9]$')
    THEN epoch_ms(try_strptime(trim(x), '%Y-%m-%dT%H:%M:%S%z'))
    ELSE epoch_ms(try_strptime(trim(x), {TS_FORMATS!r})) END;
-- A present field that does not parse.
CREATE MACRO bad_ts(x) AS NOT blank(x) AND ms(x) IS NULL;
CREATE MACRO int_in(x, lo, hi) AS
    regexp_full_match(trim(x), '[+-]?[0-9]{{1,18}}') AND TRY_CAST(trim(x) AS BIGINT) BETWEEN lo AND hi;
"""

TICKETS = """
CREATE TABLE tickets AS
WITH raw AS (
    SELECT row_number() OVER () AS line, *
    FROM read_csv(?, header = true, all_varchar = true, quote = '"', escape = '"')
),
typed AS (
    SELECT line, trim(ticket_id) AS ticket_id,
        ms(created_at) AS created, ms(first_response_at) AS first_at, ms(resolved_at) AS resolved_at,
        lower(trim(channel)) AS channel,
        CASE lower(trim(priority))
            WHEN 'urgent' THEN 'urgent' WHEN 'red' THEN 'urgent' WHEN 'p1' THEN 'urgent'
            WHEN 'high' THEN 'high' WHEN 'yellow' THEN 'high' WHEN 'p2' THEN 'high'
            WHEN 'normal' THEN 'normal' WHEN 'green' THEN 'normal' WHEN 'p3' THEN 'normal'
            WHEN 'low' THEN 'low' WHEN 'p4' THEN 'low' END AS priority,
        trim(order_id) AS order_id,
        CASE WHEN blank(reopens) THEN 0 ELSE TRY_CAST(trim(reopens) AS BIGINT) END AS reopens,
        CASE WHEN blank(agent_replies) THEN 0 ELSE TRY_CAST(trim(agent_replies) AS BIGINT) END AS replies,
        NOT blank(ticket_id) AND NOT blank(created_at) AND NOT bad_ts(created_at)
            AND NOT bad_ts(first_response_at) AND NOT bad_ts(resolved_at)
            AND NOT blank(priority)
            AND lower(trim(priority)) IN ('urgent','high','normal','low','red','yellow','green','p1','p2','p3','p4')
            AND (blank(reopens) OR int_in(reopens, 0, 9223372036854775807))
            AND (blank(agent_replies) OR int_in(agent_replies, 0, 9223372036854775807))
            AND coalesce(ms(first_response_at) >= ms(created_at), true)
            AND coalesce(ms(resolved_at) >= ms(created_at), true) AS valid
    FROM raw
)
-- Every row read, and whether it is accepted: valid, and the first valid row of its id.
SELECT *, valid AND row_number() OVER (PARTITION BY ticket_id, valid ORDER BY line) = 1 AS ok
FROM typed
"""

SHIPMENTS = """
CREATE TABLE shipments AS
WITH raw AS (
    SELECT row_number() OVER () AS line, *
    FROM read_csv(?, header = true, all_varchar = true, quote = '"', escape = '"')
),
typed AS (
    SELECT line, trim(order_id) AS order_id,
        ms(shipped_at) AS shipped, ms(promised_at) AS promised, ms(delivered_at) AS delivered,
        ms(return_requested_at) AS requested, ms(refunded_at) AS refunded,
        ms(ordered_at) AS ordered,
        replace(lower(trim(status)), 'canceled', 'cancelled') AS status,
        NOT blank(order_id)
            -- no ship time only when the status says why; shipped needs a promise
            AND (NOT blank(shipped_at) OR replace(lower(trim(status)), 'canceled', 'cancelled')
                 IN ('cancelled', 'unavailable', 'pending'))
            AND (blank(shipped_at) OR NOT blank(promised_at))
            AND NOT bad_ts(shipped_at) AND NOT bad_ts(promised_at) AND NOT bad_ts(delivered_at)
            AND NOT bad_ts(return_requested_at) AND NOT bad_ts(refunded_at)
            AND NOT bad_ts(ordered_at)
            AND coalesce(ms(shipped_at) >= ms(ordered_at), true)
            AND coalesce(ms(delivered_at) >= ms(shipped_at), true)
            AND NOT (NOT blank(refunded_at) AND blank(return_requested_at))
            AND coalesce(ms(refunded_at) >= ms(return_requested_at), true)
            AND (blank(status) OR replace(lower(trim(status)), 'canceled', 'cancelled') IN
                 ('in_transit','delivered','lost','damaged','cancelled','unavailable','pending')) AS valid
    FROM raw
)
-- Every row read, and whether it is accepted: valid, and the first valid row of its id.
SELECT *, valid AND row_number() OVER (PARTITION BY order_id, valid ORDER BY line) = 1 AS ok
FROM typed
"""

REVIEWS = """
CREATE TABLE reviews AS
WITH raw AS (
    SELECT row_number() OVER () AS line, *
    FROM read_csv(?, header = true, all_varchar = true, quote = '"', escape = '"')
),
typed AS (
    SELECT line, trim(review_id) AS review_id, ms(created_at) AS created,
        TRY_CAST(trim(rating) AS BIGINT) AS rating,
        CASE WHEN blank(nps) THEN NULL ELSE TRY_CAST(trim(nps) AS BIGINT) END AS nps,
        trim(order_id) AS order_id, trim(ticket_id) AS ticket_id, ms(replied_at) AS replied,
        CASE WHEN blank(text) THEN NULL ELSE text END AS text,
        NOT blank(review_id) AND NOT blank(created_at) AND NOT bad_ts(created_at)
            AND NOT blank(rating) AND int_in(rating, 1, 5)
            AND (blank(nps) OR int_in(nps, 0, 10))
            AND NOT bad_ts(replied_at)
            AND coalesce(ms(replied_at) >= ms(created_at), true) AS valid
    FROM raw
)
-- Every row read, and whether it is accepted: valid, and the first valid row of its id.
SELECT *, valid AND row_number() OVER (PARTITION BY review_id, valid ORDER BY line) = 1 AS ok
FROM typed
"""

TICKET_METRICS = """
WITH c AS (
    SELECT *, first_at - created AS frt, resolved_at - created AS rt,
        CASE priority WHEN 'urgent' THEN $urgent WHEN 'high' THEN $high
                      WHEN 'normal' THEN $normal ELSE $low END * 3600000.0 AS sla
    FROM tickets WHERE ok AND created >= $start AND created < $end
)
SELECT count(*) AS n,
    count(first_at) AS answered,
    avg(frt) AS frt_mean, quantile_cont(frt, 0.5) AS frt_p50, quantile_cont(frt, 0.9) AS frt_p90,
    count(resolved_at) AS resolved,
    avg(rt) AS rt_mean, quantile_cont(rt, 0.5) AS rt_p50, quantile_cont(rt, 0.9) AS rt_p90,
    count(*) FILTER (resolved_at IS NOT NULL AND reopens = 0 AND replies <= 1) AS fcr,
    count(*) FILTER (resolved_at IS NOT NULL AND reopens > 0) AS reopened,
    count(*) FILTER (first_at IS NOT NULL AND frt <= sla) AS sla_met,
    count(*) FILTER (first_at IS NOT NULL OR ($as_of - created) > sla) AS sla_judged,
    count(*) FILTER (($as_of - created) > $resolution_window AND rt <= $resolution_window) AS res_within,
    count(*) FILTER (($as_of - created) > $resolution_window) AS res_judged,
    count(*) FILTER (resolved_at IS NOT NULL AND rt <= $resolution_window) AS sla_res_met,
    count(*) FILTER (resolved_at IS NOT NULL OR ($as_of - created) > $resolution_window)
        AS sla_res_judged
FROM c
"""

# Kaplan-Meier quantiles: durations of unfinished records are censored at their age
# at the as-of time; the estimate multiplies (at risk - events) / at risk over the
# event times in order. A quantile is the first time the estimate is <= 1 - p.
KM = """
WITH samples AS ({samples}),
g AS (
    SELECT dur, count(*) FILTER (ended) AS events, count(*) AS total FROM samples GROUP BY dur
),
r AS (
    SELECT dur, events,
        sum(total) OVER (ORDER BY dur DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS at_risk
    FROM g
),
s AS (
    SELECT dur, product((at_risk - events)::DOUBLE / at_risk)
        OVER (ORDER BY dur ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS surv
    FROM r WHERE events > 0
)
SELECT (SELECT count(*) FROM samples) AS n,
    min(dur) FILTER (surv <= 0.5 + 1e-12) AS p50, min(dur) FILTER (surv <= 0.1 + 1e-12) AS p90
FROM s
"""

RESOLUTION_SAMPLES = """
SELECT coalesce(resolved_at, $as_of) - created AS dur, resolved_at IS NOT NULL AS ended
FROM tickets WHERE ok AND created >= $start AND created < $end
"""

REFUND_SAMPLES = """
SELECT coalesce(refunded, $as_of) - requested AS dur, refunded IS NOT NULL AS ended
FROM shipments WHERE ok AND requested >= $start AND requested < $end
"""

CLOCKED = [
    "first_response_business_hours_mean", "first_response_business_hours_p50",
    "first_response_business_hours_p90", "resolution_business_hours_mean",
    "resolution_business_hours_p50", "resolution_business_hours_p90",
    "delivery_working_days_p50", "delivery_working_days_p90",
    "refund_working_days_p50", "refund_working_days_p90", "refund_within_sla_rate",
]

# Returns by when they were requested, whenever they shipped.
REFUND_METRICS = """
SELECT count(*) AS n, count(refunded) AS refunded,
    quantile_cont(refunded - requested, 0.5) AS ft_p50,
    quantile_cont(refunded - requested, 0.9) AS ft_p90
FROM shipments WHERE ok AND requested >= $start AND requested < $end
"""

SHIPMENT_METRICS = """
WITH c AS (
    SELECT *, delivered - shipped AS dt
    FROM shipments WHERE ok AND shipped >= $start AND shipped < $end
)
SELECT count(*) AS n, count(delivered) AS delivered,
    count(*) FILTER (delivered <= promised) AS on_time,
    avg(dt) AS dt_mean, quantile_cont(dt, 0.5) AS dt_p50, quantile_cont(dt, 0.9) AS dt_p90,
    count(*) FILTER (delivered IS NOT NULL AND requested IS NOT NULL) AS returned,
    count(*) FILTER (status IN ('lost', 'damaged')) AS exceptions,
    count(*) FILTER (($as_of - delivered) > $return_window
                     AND requested - delivered <= $return_window) AS ret_within,
    count(*) FILTER (($as_of - delivered) > $return_window) AS ret_judged
FROM c
"""

REVIEW_METRICS = """
WITH named AS (
    SELECT r.review_id, greatest(t.created, r.created) AS at
    FROM reviews r JOIN tickets t ON t.ok AND t.ticket_id = r.ticket_id
    WHERE r.ok AND r.rating <= 2
),
on_order AS (
    SELECT r.review_id, min(t.created) AS at
    FROM reviews r JOIN tickets t
        ON t.ok AND r.order_id <> '' AND t.order_id = r.order_id AND t.created >= r.created
    WHERE r.ok AND r.rating <= 2
    GROUP BY r.review_id
),
c AS (
    SELECT r.*, least(n.at, o.at) AS followed_at, least(n.at, o.at) IS NOT NULL AS followed
    FROM reviews r
    LEFT JOIN named n ON n.review_id = r.review_id
    LEFT JOIN on_order o ON o.review_id = r.review_id
    WHERE r.ok AND r.created >= $start AND r.created < $end
)
SELECT count(*) AS n, avg(rating) AS rating_mean,
    count(*) FILTER (rating >= 4) AS csat, count(*) FILTER (rating <= 2) AS negative,
    count(nps) AS nps_n, count(*) FILTER (nps >= 9) AS promoters,
    count(*) FILTER (nps <= 6) AS detractors,
    count(*) FILTER (rating <= 2 AND followed) AS followed_up,
    count(*) FILTER (rating <= 2 AND ($as_of - created) > $followup_window
                     AND followed_at - created <= $followup_window) AS fu_within,
    count(*) FILTER (rating <= 2 AND ($as_of - created) > $followup_window) AS fu_judged,
    count(replied) AS replied,
    quantile_cont(replied - created, 0.5) AS reply_p50,
    quantile_cont(replied - created, 0.9) AS reply_p90
FROM c
"""

# Orders by when they were placed, shipped or not.
CANCELS = """
SELECT count(*) AS n, count(*) FILTER (status IN ('cancelled', 'unavailable')) AS cancelled
FROM shipments WHERE ok AND ordered >= $start AND ordered < $end
"""

# Open at the snapshot: the period's end, capped at the as-of time.
BACKLOG = """
WITH o AS (
    SELECT $snap - created AS age FROM tickets
    WHERE ok AND created < $snap AND (resolved_at IS NULL OR resolved_at > $snap)
)
SELECT count(*) AS n, quantile_cont(age, 0.5) AS p50, quantile_cont(age, 0.9) AS p90 FROM o
"""

ASPECTS_TOML = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "text", "aspects.toml")
REGEX_META = set("\\.^$|?*+()[]{}")


def sql_text(s):
    return s.replace("'", "''")


def aspect_sql():
    """Negative reviews with a text that mention each aspect of the lexicon (data,
    docs/complaints.md), written here with DuckDB's own string and regex functions:
    a Chinese term anywhere, any other term between non-word characters."""
    with open(ASPECTS_TOML, "rb") as f:
        lexicon = tomllib.load(f)
    # An edge is not a letter or digit; an apostrophe is one unless a letter or
    # digit is on its far side ("don't" is one word, "'refund'" a quoted one).
    edge_before = r"(^|[^\p{L}\p{N}']|\p{Han}|(^|[^\p{L}\p{N}]|\p{Han})')"
    edge_after = r"($|[^\p{L}\p{N}']|\p{Han}|'($|[^\p{L}\p{N}]|\p{Han}))"
    columns = []
    for aspect, terms in lexicon.items():
        tests = []
        for term in terms:
            t = " ".join(term.lower().split())
            if any("\u4e00" <= ch <= "\u9fff" for ch in t):
                tests.append(f"contains(t, '{sql_text(t)}')")
            else:
                pattern = "".join("\\" + ch if ch in REGEX_META else ch for ch in t)
                tests.append(f"regexp_matches(t, '{sql_text(edge_before + pattern + edge_after)}')")
        columns.append(f"count(*) FILTER ({' OR '.join(tests)}) AS {aspect}")
    return (
        "WITH a AS (SELECT regexp_replace(lower(text), '\\s+', ' ', 'g') AS t FROM reviews "
        "WHERE ok AND created >= $start AND created < $end AND rating <= 2 AND text IS NOT NULL) "
        f"SELECT count(*) AS n, {', '.join(columns)} FROM a"
    ), list(lexicon)


HOUR = 3_600_000.0
SLA = {"urgent": 0.5, "high": 2.0, "normal": 6.0, "low": 24.0}


def ratio(a, b):
    return a / b if b else None


def hours(v, n):
    return v / HOUR if n and v is not None else None


def assemble(t, s, f, r, b, a, aspects, o, kr, kf):
    """Metric values and n from a peer's aggregates, by the same names in both
    peers: tickets `t`, shipments `s`, refunds `f`, reviews `r`, backlog `b`,
    aspects `a`, orders `o`, Kaplan–Meier of resolutions `kr` and refunds `kf`."""
    m = {
        "tickets": (t["n"], t["n"]),
        "response_rate": (ratio(t["answered"], t["n"]), t["n"]),
        "first_response_hours_mean": (hours(t["frt_mean"], t["answered"]), t["answered"]),
        "first_response_hours_p50": (hours(t["frt_p50"], t["answered"]), t["answered"]),
        "first_response_hours_p90": (hours(t["frt_p90"], t["answered"]), t["answered"]),
        "resolution_rate": (ratio(t["resolved"], t["n"]), t["n"]),
        "resolution_hours_mean": (hours(t["rt_mean"], t["resolved"]), t["resolved"]),
        "resolution_hours_p50": (hours(t["rt_p50"], t["resolved"]), t["resolved"]),
        "resolution_hours_p90": (hours(t["rt_p90"], t["resolved"]), t["resolved"]),
        "fcr_rate": (ratio(t["fcr"], t["resolved"]), t["resolved"]),
        "reopen_rate": (ratio(t["reopened"], t["resolved"]), t["resolved"]),
        "sla_response_rate": (ratio(t["sla_met"], t["sla_judged"]), t["sla_judged"]),
        "resolved_within_window_rate": (ratio(t["res_within"], t["res_judged"]), t["res_judged"]),
        "sla_resolution_rate": (ratio(t["sla_res_met"], t["sla_res_judged"]), t["sla_res_judged"]),
        "resolution_hours_km_p50": (hours(kr["p50"], kr["n"]), kr["n"]),
        "resolution_hours_km_p90": (hours(kr["p90"], kr["n"]), kr["n"]),
        "unresolved": (t["n"] - t["resolved"], t["n"]),
        "backlog": (b["n"], b["n"]),
        "backlog_age_hours_p50": (hours(b["p50"], b["n"]), b["n"]),
        "backlog_age_hours_p90": (hours(b["p90"], b["n"]), b["n"]),
        "shipments": (s["n"], s["n"]),
        "delivered": (s["delivered"], s["n"]),
        "on_time_rate": (ratio(s["on_time"], s["delivered"]), s["delivered"]),
        "delivery_hours_mean": (hours(s["dt_mean"], s["delivered"]), s["delivered"]),
        "delivery_hours_p50": (hours(s["dt_p50"], s["delivered"]), s["delivered"]),
        "delivery_hours_p90": (hours(s["dt_p90"], s["delivered"]), s["delivered"]),
        "return_rate": (ratio(s["returned"], s["delivered"]), s["delivered"]),
        "return_requests": (f["n"], f["n"]),
        "refund_hours_p50": (hours(f["ft_p50"], f["refunded"]), f["refunded"]),
        "refund_hours_p90": (hours(f["ft_p90"], f["refunded"]), f["refunded"]),
        "return_within_window_rate": (ratio(s["ret_within"], s["ret_judged"]), s["ret_judged"]),
        "refund_hours_km_p50": (hours(kf["p50"], kf["n"]), kf["n"]),
        "refund_hours_km_p90": (hours(kf["p90"], kf["n"]), kf["n"]),
        "exception_rate": (ratio(s["exceptions"], s["n"]), s["n"]),
        "cancel_rate": (ratio(o["cancelled"], o["n"]), o["n"]),
        "reviews": (r["n"], r["n"]),
        "rating_avg": (float(r["rating_mean"]) if r["n"] else None, r["n"]),
        "csat_rate": (ratio(r["csat"], r["n"]), r["n"]),
        "negative_rate": (ratio(r["negative"], r["n"]), r["n"]),
        "nps": (
            100.0 * (r["promoters"] - r["detractors"]) / r["nps_n"] if r["nps_n"] else None,
            r["nps_n"],
        ),
        "followup_rate": (ratio(r["followed_up"], r["negative"]), r["negative"]),
        **{f"negative_mentions_{x}_rate": (ratio(a[x], a["n"]), a["n"]) for x in aspects},
        "followup_within_window_rate": (ratio(r["fu_within"], r["fu_judged"]), r["fu_judged"]),
        "review_reply_hours_p50": (hours(r["reply_p50"], r["replied"]), r["replied"]),
        "review_reply_hours_p90": (hours(r["reply_p90"], r["replied"]), r["replied"]),
    }
    # Business hours and working days need schedules in svcq.toml; the benchmark
    # gives none, so these have no data in both tools.
    for clocked in CLOCKED:
        m[clocked] = (None, 0)
    return m


# svcq's store: the same columns from its Parquet files, typed and validated
# already (every row accepted), with a blank count or text as the CSV queries read it.
STORE_TABLES = {
    "tickets": """
CREATE TABLE tickets AS SELECT ticket_id, epoch_ms(created_at) AS created,
    epoch_ms(first_response_at) AS first_at, epoch_ms(resolved_at) AS resolved_at,
    channel, priority, order_id, coalesce(reopens, 0) AS reopens,
    coalesce(agent_replies, 0) AS replies, true AS ok
FROM read_parquet(?)
""",
    "shipments": """
CREATE TABLE shipments AS SELECT order_id, epoch_ms(shipped_at) AS shipped,
    epoch_ms(promised_at) AS promised, epoch_ms(delivered_at) AS delivered,
    epoch_ms(return_requested_at) AS requested, epoch_ms(refunded_at) AS refunded,
    epoch_ms(ordered_at) AS ordered, status, true AS ok
FROM read_parquet(?)
""",
    "reviews": """
CREATE TABLE reviews AS SELECT review_id, epoch_ms(created_at) AS created, rating, nps,
    order_id, ticket_id, epoch_ms(replied_at) AS replied,
    CASE WHEN blank(text) THEN NULL ELSE text END AS text, true AS ok
FROM read_parquet(?)
""",
}


def store_files(store, name):
    """The Parquet files of `name` in the store's current version."""
    with open(os.path.join(store, "CURRENT")) as f:
        version = os.path.join(store, f.read().strip())
    files = sorted(glob.glob(os.path.join(version, name, "month=*", "part.parquet")))
    flat = os.path.join(version, f"{name}.parquet")
    return files or [flat]


def main():
    """`data` is a folder of the three CSV exports, or a svcq store (it has CURRENT)."""
    data, start, end, as_of = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    con = duckdb.connect()
    con.execute(SETUP)
    inputs = {}
    store = os.path.exists(os.path.join(data, "CURRENT"))
    for name, sql in [("tickets", TICKETS), ("shipments", SHIPMENTS), ("reviews", REVIEWS)]:
        if store:
            con.execute(STORE_TABLES[name], [store_files(data, name)])
        else:
            con.execute(sql, [f"{data}/{name}.csv"])
        read, accepted = con.execute(
            f"SELECT count(*), count(*) FILTER (ok) FROM {name}"
        ).fetchone()
        inputs[name] = {"read": read, "accepted": accepted}
    params = {
        "start": start, "end": end, "as_of": as_of, "snap": min(end, as_of), **SLA,
        "resolution_window": 72 * HOUR, "return_window": 7 * 24 * HOUR,
        "followup_window": 48 * HOUR,
    }

    def row(sql, keys):
        names = [p for p in keys if f"${p}" in sql]
        cur = con.execute(sql, {k: params[k] for k in names})
        cols = [d[0] for d in cur.description]
        return dict(zip(cols, cur.fetchone()))

    t = row(TICKET_METRICS, params)
    s = row(SHIPMENT_METRICS, params)
    f = row(REFUND_METRICS, params)
    r = row(REVIEW_METRICS, params)
    b = row(BACKLOG, params)
    aspects_sql, aspects = aspect_sql()
    a = row(aspects_sql, params)
    o = row(CANCELS, params)

    def km(samples_sql):
        return row(KM.replace("{samples}", samples_sql), params)

    kr = km(RESOLUTION_SAMPLES)
    kf = km(REFUND_SAMPLES)
    m = assemble(t, s, f, r, b, a, aspects, o, kr, kf)
    json.dump({"inputs": inputs, "metrics": m}, sys.stdout)


if __name__ == "__main__":
    main()
