#!/usr/bin/env bash
# The Python environment of the SQL engine tests (tests/sql_engines.rs): PySpark
# with its Spark Connect client (local Spark; Java 17 must be on the machine) and
# DuckDB, from PyPI, into target/sql-venv. Prints the venv's path. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/sql-venv
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
# pyspark[connect] brings the Spark Connect client (grpcio, pandas, pyarrow).
if ! "$venv/bin/python" -c "import pyspark.sql.connect.session, duckdb" 2>/dev/null; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check "pyspark[connect]==4.3.0" duckdb==2.0.0 >&2
fi
if ! command -v java >/dev/null; then
    echo "tests/sql/setup.sh: Spark needs Java 17 (apt-get install openjdk-17-jre-headless)" >&2
    exit 1
fi
echo "$PWD/$venv"
