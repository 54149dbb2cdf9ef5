"""The svcq metric definitions (docs/metrics.md) in Python polars — lazy
`scan_csv`, the way a polars user would write them — with the same validation of
types and rules as bench/duckdb_report.py, so the benchmark's second peer does
equal work. Written by hand from the definitions, not from svcq's code.

usage: polars_report.py DATA_DIR FROM_MS TO_MS AS_OF_MS  → JSON on stdout, the
shape duckdb_report.py writes:
  {"inputs": {source: {"read": N, "accepted": N}}, "metrics": {id: [value, n]}}
"""

import json
import sys

import polars as pl

import tomllib

# The time formats, lexicon and metric assembly are the DuckDB peer's: what both
# peers read and report must be the same; how they compute it is their own.
from duckdb_report import ASPECTS_TOML, HOUR, REGEX_META, SLA, TS_FORMATS, assemble

PRIORITY = {
    "urgent": "urgent", "red": "urgent", "p1": "urgent",
    "high": "high", "yellow": "high", "p2": "high",
    "normal": "normal", "green": "normal", "p3": "normal",
    "low": "low", "p4": "low",
}
STATUSES = ["in_transit", "delivered", "lost", "damaged", "cancelled", "unavailable", "pending"]
I64_MAX = 9223372036854775807


def blank(c):
    return pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "")


def ms(c):
    """UTC milliseconds, null when empty or unparseable; a time with an offset
    (+08:00) is tried with the offset format only."""
    x = pl.col(c).str.strip_chars()
    plain = pl.coalesce(
        [x.str.strptime(pl.Datetime("ms"), f, strict=False) for f in TS_FORMATS]
    ).dt.epoch("ms")
    offset = (
        x.str.strptime(pl.Datetime("ms", "UTC"), "%Y-%m-%dT%H:%M:%S%z", strict=False)
        .dt.epoch("ms")
    )
    return pl.when(x.str.contains(r"[+-][0-9][0-9]:?[0-9][0-9]$")).then(offset).otherwise(plain)


def bad_ts(c):
    """A present field that does not parse (its parse is the `_ms` column)."""
    return ~blank(c) & pl.col(f"{c}_ms").is_null()


def with_times(frame, columns):
    """Each timestamp column parsed once, as `<column>_ms`."""
    return frame.with_columns(**{f"{c}_ms": ms(c) for c in columns})


def int_in(c, lo, hi):
    x = pl.col(c).str.strip_chars()
    v = x.cast(pl.Int64, strict=False)
    return x.str.contains(r"^[+-]?[0-9]{1,18}$") & v.is_between(lo, hi)


def not_before(later, earlier):
    """True unless both parse and `later` is before `earlier`."""
    return (pl.col(f"{later}_ms") >= pl.col(f"{earlier}_ms")).fill_null(True)


def scan(path):
    return pl.scan_csv(path, infer_schema=False, quote_char='"').with_row_index("line")


def accepted(frame, id_col):
    """Valid rows, and the first valid row of each id (by line)."""
    first = pl.col("line") == pl.col("line").min().over([id_col, "valid"])
    return frame.with_columns(ok=pl.col("valid") & first)


def tickets(path):
    t = with_times(scan(path), ["created_at", "first_response_at", "resolved_at"]).with_columns(
        ticket_id=pl.col("ticket_id").str.strip_chars(),
        created=pl.col("created_at_ms"), first_at=pl.col("first_response_at_ms"),
        resolved_at=pl.col("resolved_at_ms"),
        priority=pl.col("priority").str.strip_chars().str.to_lowercase().replace_strict(
            PRIORITY, default=None),
        order_id=pl.col("order_id").str.strip_chars(),
        reopens=pl.when(blank("reopens")).then(0).otherwise(
            pl.col("reopens").str.strip_chars().cast(pl.Int64, strict=False)),
        replies=pl.when(blank("agent_replies")).then(0).otherwise(
            pl.col("agent_replies").str.strip_chars().cast(pl.Int64, strict=False)),
        valid=~blank("ticket_id") & ~blank("created_at") & ~bad_ts("created_at")
        & ~bad_ts("first_response_at") & ~bad_ts("resolved_at") & ~blank("priority")
        & pl.col("priority").str.strip_chars().str.to_lowercase().is_in(list(PRIORITY))
        & (blank("reopens") | int_in("reopens", 0, I64_MAX))
        & (blank("agent_replies") | int_in("agent_replies", 0, I64_MAX))
        & not_before("first_response_at", "created_at")
        & not_before("resolved_at", "created_at"),
    )
    return accepted(t, "ticket_id")


def shipments(path):
    status = pl.col("status").str.strip_chars().str.to_lowercase().str.replace("canceled", "cancelled")
    times = ["shipped_at", "promised_at", "delivered_at", "return_requested_at", "refunded_at",
             "ordered_at"]
    s = with_times(scan(path), times).with_columns(
        order_id=pl.col("order_id").str.strip_chars(),
        shipped=pl.col("shipped_at_ms"), promised=pl.col("promised_at_ms"),
        delivered=pl.col("delivered_at_ms"), requested=pl.col("return_requested_at_ms"),
        refunded=pl.col("refunded_at_ms"), ordered=pl.col("ordered_at_ms"),
        status=status,
        valid=~blank("order_id")
        & (~blank("shipped_at") | status.is_in(["cancelled", "unavailable", "pending"]).fill_null(False))
        & (blank("shipped_at") | ~blank("promised_at"))
        & ~bad_ts("shipped_at") & ~bad_ts("promised_at") & ~bad_ts("delivered_at")
        & ~bad_ts("return_requested_at") & ~bad_ts("refunded_at") & ~bad_ts("ordered_at")
        & not_before("shipped_at", "ordered_at") & not_before("delivered_at", "shipped_at")
        & ~(~blank("refunded_at") & blank("return_requested_at"))
        & not_before("refunded_at", "return_requested_at")
        & (blank("status") | status.is_in(STATUSES).fill_null(False)),
    )
    return accepted(s, "order_id")


def reviews(path):
    r = with_times(scan(path), ["created_at", "replied_at"]).with_columns(
        review_id=pl.col("review_id").str.strip_chars(), created=pl.col("created_at_ms"),
        rating=pl.col("rating").str.strip_chars().cast(pl.Int64, strict=False),
        nps=pl.when(blank("nps")).then(None).otherwise(
            pl.col("nps").str.strip_chars().cast(pl.Int64, strict=False)),
        order_id=pl.col("order_id").str.strip_chars(),
        ticket_id=pl.col("ticket_id").str.strip_chars(),
        replied=pl.col("replied_at_ms"),
        text=pl.when(blank("text")).then(None).otherwise(pl.col("text")),
        valid=~blank("review_id") & ~blank("created_at") & ~bad_ts("created_at")
        & ~blank("rating") & int_in("rating", 1, 5).fill_null(False)
        & (blank("nps") | int_in("nps", 0, 10).fill_null(False))
        & ~bad_ts("replied_at") & not_before("replied_at", "created_at"),
    )
    return accepted(r, "review_id")


def count(cond):
    return cond.fill_null(False).sum()


def km(samples):
    """Kaplan–Meier p50/p90 over (dur, ended) samples: at risk counts every
    record with dur ≥ t; the estimate multiplies (at risk − events)/at risk over
    the event times in order; a quantile is the first time it is ≤ 1 − p."""
    g = (
        samples.group_by("dur")
        .agg(events=pl.col("ended").sum(), total=pl.len())
        .sort("dur", descending=True)
        .with_columns(at_risk=pl.col("total").cum_sum())
        .sort("dur")
        .filter(pl.col("events") > 0)
        .with_columns(surv=((pl.col("at_risk") - pl.col("events")) / pl.col("at_risk")).cum_prod())
        .collect()
    )
    n = samples.select(pl.len()).collect().item()

    def first(p):
        hit = g.filter(pl.col("surv") <= 1 - p + 1e-12)
        return hit["dur"].min() if hit.height else None

    return {"n": n, "p50": first(0.5), "p90": first(0.9)}


def aspect_exprs():
    """Negative reviews with a text that mention each aspect: a Chinese term
    anywhere, any other term between non-word characters (polars' Rust regex)."""
    with open(ASPECTS_TOML, "rb") as f:
        lexicon = tomllib.load(f)
    before = r"(^|[^\p{L}\p{N}']|\p{Han}|(^|[^\p{L}\p{N}]|\p{Han})')"
    after = r"($|[^\p{L}\p{N}']|\p{Han}|'($|[^\p{L}\p{N}]|\p{Han}))"
    t = pl.col("t")
    exprs = []
    for aspect, terms in lexicon.items():
        tests = []
        for term in terms:
            term = " ".join(term.lower().split())
            if any("\u4e00" <= ch <= "\u9fff" for ch in term):
                tests.append(t.str.contains(term, literal=True))
            else:
                pattern = "".join("\\" + ch if ch in REGEX_META else ch for ch in term)
                tests.append(t.str.contains(before + pattern + after))
        any_test = tests[0]
        for x in tests[1:]:
            any_test = any_test | x
        exprs.append(count(any_test).alias(aspect))
    return exprs, list(lexicon)


def main():
    data, start, end, as_of = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    frames = {
        "tickets": tickets(f"{data}/tickets.csv").collect(),
        "shipments": shipments(f"{data}/shipments.csv").collect(),
        "reviews": reviews(f"{data}/reviews.csv").collect(),
    }
    inputs = {k: {"read": f.height, "accepted": int(f["ok"].sum())} for k, f in frames.items()}
    T, S, R = (frames[k].lazy().filter("ok") for k in ("tickets", "shipments", "reviews"))
    snap = min(end, as_of)
    res_w, ret_w, fu_w = 72 * HOUR, 7 * 24 * HOUR, 48 * HOUR

    def period(frame, col):
        return frame.filter((pl.col(col) >= start) & (pl.col(col) < end))

    sla = pl.col("priority").replace_strict(SLA, default=SLA["low"]) * HOUR
    frt, rt = pl.col("first_at") - pl.col("created"), pl.col("resolved_at") - pl.col("created")
    age = as_of - pl.col("created")
    t = period(T, "created").select(
        n=pl.len(), answered=pl.col("first_at").count(),
        frt_mean=frt.mean(), frt_p50=frt.quantile(0.5, "linear"), frt_p90=frt.quantile(0.9, "linear"),
        resolved=pl.col("resolved_at").count(),
        rt_mean=rt.mean(), rt_p50=rt.quantile(0.5, "linear"), rt_p90=rt.quantile(0.9, "linear"),
        fcr=count(pl.col("resolved_at").is_not_null() & (pl.col("reopens") == 0) & (pl.col("replies") <= 1)),
        reopened=count(pl.col("resolved_at").is_not_null() & (pl.col("reopens") > 0)),
        sla_met=count(pl.col("first_at").is_not_null() & (frt <= sla)),
        sla_judged=count(pl.col("first_at").is_not_null() | (age > sla)),
        res_within=count((age > res_w) & (rt <= res_w)),
        res_judged=count(age > res_w),
        sla_res_met=count(pl.col("resolved_at").is_not_null() & (rt <= res_w)),
        sla_res_judged=count(pl.col("resolved_at").is_not_null() | (age > res_w)),
    ).collect().row(0, named=True)
    dt = pl.col("delivered") - pl.col("shipped")
    s = period(S, "shipped").select(
        n=pl.len(), delivered=pl.col("delivered").count(),
        on_time=count(pl.col("delivered") <= pl.col("promised")),
        dt_mean=dt.mean(), dt_p50=dt.quantile(0.5, "linear"), dt_p90=dt.quantile(0.9, "linear"),
        returned=count(pl.col("delivered").is_not_null() & pl.col("requested").is_not_null()),
        exceptions=count(pl.col("status").is_in(["lost", "damaged"])),
        ret_within=count(((as_of - pl.col("delivered")) > ret_w)
                         & ((pl.col("requested") - pl.col("delivered")) <= ret_w)),
        ret_judged=count((as_of - pl.col("delivered")) > ret_w),
    ).collect().row(0, named=True)
    ft = pl.col("refunded") - pl.col("requested")
    f = period(S, "requested").select(
        n=pl.len(), refunded=pl.col("refunded").count(),
        ft_p50=ft.quantile(0.5, "linear"), ft_p90=ft.quantile(0.9, "linear"),
    ).collect().row(0, named=True)
    o = period(S, "ordered").select(
        n=pl.len(), cancelled=count(pl.col("status").is_in(["cancelled", "unavailable"])),
    ).collect().row(0, named=True)
    b_age = snap - pl.col("created")
    b = T.filter((pl.col("created") < snap)
                 & (pl.col("resolved_at").is_null() | (pl.col("resolved_at") > snap))).select(
        n=pl.len(), p50=b_age.quantile(0.5, "linear"), p90=b_age.quantile(0.9, "linear"),
    ).collect().row(0, named=True)
    # Follow-ups of negative reviews: the ticket a review names (at its creation,
    # or the review's own time when older), or a ticket on the same non-empty order
    # created at or after the review; the earliest.
    negative = R.filter(pl.col("rating") <= 2).select("review_id", "created", "ticket_id", "order_id")
    tk = T.select(pl.col("ticket_id"), pl.col("order_id").alias("t_order"), pl.col("created").alias("t_created"))
    named = negative.join(tk.select("ticket_id", "t_created"), on="ticket_id").select(
        "review_id", at=pl.max_horizontal("t_created", "created"))
    on_order = (
        negative.filter(pl.col("order_id").is_not_null() & (pl.col("order_id") != ""))
        .join(tk, left_on="order_id", right_on="t_order")
        .filter(pl.col("t_created") >= pl.col("created"))
        .group_by("review_id").agg(at=pl.col("t_created").min())
    )
    followed = (
        pl.concat([named, on_order]).group_by("review_id").agg(followed_at=pl.col("at").min())
    )
    c = period(R, "created").join(followed, on="review_id", how="left")
    neg = pl.col("rating") <= 2
    r_age = as_of - pl.col("created")
    reply = pl.col("replied") - pl.col("created")
    r = c.select(
        n=pl.len(), rating_mean=pl.col("rating").cast(pl.Float64).mean(),
        csat=count(pl.col("rating") >= 4), negative=count(neg),
        nps_n=pl.col("nps").count(), promoters=count(pl.col("nps") >= 9),
        detractors=count(pl.col("nps") <= 6),
        followed_up=count(neg & pl.col("followed_at").is_not_null()),
        fu_within=count(neg & (r_age > fu_w) & ((pl.col("followed_at") - pl.col("created")) <= fu_w)),
        fu_judged=count(neg & (r_age > fu_w)),
        replied=pl.col("replied").count(),
        reply_p50=reply.quantile(0.5, "linear"), reply_p90=reply.quantile(0.9, "linear"),
    ).collect().row(0, named=True)
    exprs, aspects = aspect_exprs()
    a = (
        period(R, "created").filter(neg & pl.col("text").is_not_null())
        .select(t=pl.col("text").str.to_lowercase().str.replace_all(r"\s+", " "))
        .select(pl.len().alias("n"), *exprs).collect().row(0, named=True)
    )
    kr = km(period(T, "created").select(
        dur=pl.coalesce("resolved_at", pl.lit(as_of)) - pl.col("created"),
        ended=pl.col("resolved_at").is_not_null()))
    kf = km(period(S, "requested").select(
        dur=pl.coalesce("refunded", pl.lit(as_of)) - pl.col("requested"),
        ended=pl.col("refunded").is_not_null()))
    m = assemble(t, s, f, r, b, a, aspects, o, kr, kf)
    json.dump({"inputs": inputs, "metrics": m}, sys.stdout)


if __name__ == "__main__":
    main()
