"""svcq's SQL session (written out and run by `svcq --engine spark|duckdb`).

Connects back to svcq at --svcq HOST:PORT (spark-submit does not pass stdin on
to a Python driver), reads one JSON object a line, {"sql": "..."}, runs the
statement and answers with one JSON line: {"columns": [...], "rows": [[...]]} or
{"error": "..."}. The first line it writes is {"ready": "<engine and version>"}.
Spark's own output stays on stdout and stderr.

    spark-submit [options] svcq_sql_session.py --engine spark --svcq 127.0.0.1:PORT
    python svcq_sql_session.py --engine spark --remote sc://host:15002 --svcq ...
    python svcq_sql_session.py --engine duckdb --svcq ...
"""
import argparse
import json
import math
import socket
import sys


def plain(value):
    """A JSON value: NaN and infinities (never an svcq aggregate) as null, other
    numbers as they are, anything else as text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def spark_session(remote):
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("svcq")
    if remote:
        builder = builder.remote(remote)
    spark = builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
    if not remote:
        spark.sparkContext.setLogLevel("WARN")

    def run(sql):
        frame = spark.sql(sql)
        columns = [f.name for f in frame.schema.fields]
        return columns, [list(row) for row in frame.collect()]

    return "spark " + spark.version, run


def duckdb_session():
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")

    def run(sql):
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description]
        return columns, [list(row) for row in cursor.fetchall()]

    return "duckdb " + duckdb.__version__, run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["spark", "duckdb"], required=True)
    parser.add_argument("--remote", help="a Spark Connect URL (sc://host:15002)")
    parser.add_argument("--svcq", required=True, help="HOST:PORT svcq listens on")
    args = parser.parse_args()
    host, port = args.svcq.rsplit(":", 1)
    channel = socket.create_connection((host, int(port)))
    answers = channel.makefile("w", encoding="utf-8")
    requests = channel.makefile("r", encoding="utf-8")
    try:
        version, run = spark_session(args.remote) if args.engine == "spark" else duckdb_session()
    except Exception as e:  # noqa: BLE001 - reported to svcq, which exits 2
        answers.write(json.dumps({"error": f"{type(e).__name__}: {e}"}) + "\n")
        answers.flush()
        return 2
    answers.write(json.dumps({"ready": version}) + "\n")
    answers.flush()
    for line in requests:
        if not line.strip():
            continue
        try:
            columns, rows = run(json.loads(line)["sql"])
            answer = {"columns": columns, "rows": [[plain(v) for v in row] for row in rows]}
        except Exception as e:  # noqa: BLE001 - the engine's own message goes back
            answer = {"error": f"{type(e).__name__}: {e}"}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
