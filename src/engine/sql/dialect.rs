//! What differs between the SQL engines svcq writes for: literals, percentiles,
//! regular expressions, table references, raising an error.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    /// Spark SQL (tested on Spark 4.3, local and through Spark Connect).
    Spark,
    /// DuckDB (tested on DuckDB 2.0).
    Duckdb,
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Spark => "spark",
            Dialect::Duckdb => "duckdb",
        })
    }
}

impl Dialect {
    /// A string literal. Spark SQL reads backslash escapes in literals; DuckDB
    /// does not.
    pub fn text(self, value: &str) -> String {
        match self {
            Dialect::Spark => format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'")),
            Dialect::Duckdb => format!("'{}'", value.replace('\'', "''")),
        }
    }

    /// An identifier (a column or alias name).
    pub fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            Dialect::Duckdb => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// The exact `p` quantile with linear interpolation between closest ranks (the
    /// catalogue's definition; Spark's `percentile`, not `percentile_approx`).
    pub fn quantile(self, expr: &str, p: f64) -> String {
        match self {
            Dialect::Spark => format!("percentile({expr}, {p:?})"),
            Dialect::Duckdb => format!("quantile_cont({expr}, {p:?})"),
        }
    }

    /// Whether `text` matches the regular expression `pattern` anywhere.
    pub fn matches(self, text: &str, pattern: &str) -> String {
        match self {
            Dialect::Spark => format!("({text} RLIKE {})", self.text(pattern)),
            Dialect::Duckdb => format!("regexp_matches({text}, {})", self.text(pattern)),
        }
    }

    /// The class of CJK ideographs in this engine's regular expressions (Java's
    /// script property, RE2's).
    pub fn han_class(self) -> &'static str {
        match self {
            Dialect::Spark => r"\p{IsHan}",
            Dialect::Duckdb => r"\p{Han}",
        }
    }

    /// `expr` with every run of whitespace made one space.
    pub fn collapse_spaces(self, expr: &str) -> String {
        match self {
            Dialect::Spark => format!("trim(regexp_replace({expr}, {}, ' '))", self.text(r"\s+")),
            Dialect::Duckdb => format!(
                "trim(regexp_replace({expr}, {}, ' ', 'g'))",
                self.text(r"\s+")
            ),
        }
    }

    /// A timestamp column as UTC milliseconds since the epoch.
    pub fn millis(self, column: &str) -> String {
        match self {
            Dialect::Spark => format!("unix_millis(CAST({column} AS TIMESTAMP))"),
            Dialect::Duckdb => format!("epoch_ms(CAST({column} AS TIMESTAMPTZ))"),
        }
    }

    /// A directory of Parquet files in Hive-style partitions, as a table.
    pub fn parquet(self, path: &str) -> String {
        match self {
            Dialect::Spark => format!("parquet.{}", self.ident(path)),
            Dialect::Duckdb if path.ends_with(".parquet") => {
                format!("read_parquet({})", self.text(path))
            }
            Dialect::Duckdb => format!(
                "read_parquet({}, hive_partitioning = true, union_by_name = true)",
                self.text(&format!("{}/**/*.parquet", path.trim_end_matches('/')))
            ),
        }
    }

    /// A constant table of rows (each row already a parenthesised tuple).
    pub fn values(self, rows: &[String], names: &[&str]) -> String {
        format!(
            "(SELECT * FROM (VALUES {}) AS v({}))",
            rows.join(", "),
            names.join(", ")
        )
    }

    /// An expression that fails the statement with `message` when evaluated.
    pub fn raise(self, message: &str) -> String {
        match self {
            Dialect::Spark => format!("raise_error({})", self.text(message)),
            Dialect::Duckdb => format!("error({})", self.text(message)),
        }
    }

    pub fn string_type(self) -> &'static str {
        match self {
            Dialect::Spark => "STRING",
            Dialect::Duckdb => "VARCHAR",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Dialect;

    #[test]
    fn literals_escape_what_each_engine_reads() {
        assert_eq!(Dialect::Spark.text(r"it's \p{L}"), r"'it\'s \\p{L}'");
        assert_eq!(Dialect::Duckdb.text(r"it's \p{L}"), r"'it''s \p{L}'");
        assert_eq!(Dialect::Spark.ident("a`b"), "`a``b`");
        assert_eq!(Dialect::Duckdb.ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn quantiles_are_the_exact_linear_ones() {
        assert_eq!(Dialect::Spark.quantile("x", 0.9), "percentile(x, 0.9)");
        assert_eq!(Dialect::Duckdb.quantile("x", 0.5), "quantile_cont(x, 0.5)");
    }
}
