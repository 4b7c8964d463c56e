//! The one error type of the fundq library.
//!
//! Every variant is something a user can act on: it names what failed and where (view file and
//! line, table path, input file, row and column) and, where it can, what would fix it. `main.rs`
//! turns an [`Error`] into one message and an exit code; nothing here prints.

use std::path::PathBuf;

use datafusion::error::DataFusionError;

/// Result type of the fundq library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in terms a user of fundq understands.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asked for something malformed (exit code 2).
    #[error("{0}")]
    Usage(String),

    /// A view, query or table name that does not exist.
    #[error("no {kind} named `{name}`{}", did_you_mean(.closest))]
    UnknownName {
        kind: &'static str,
        name: String,
        closest: Vec<String>,
    },

    /// A pinned version that does not exist.
    #[error("view `{name}` has no version v{version} (it has {available})")]
    UnknownVersion {
        name: String,
        version: u32,
        available: String,
    },

    /// A view exists but cannot run with the tables at hand, or its file is broken.
    #[error("view `{name}` is unavailable: {reason}")]
    ViewUnavailable { name: String, reason: String },

    /// A problem located in a file under `sql/` (a view, a query, a table definition).
    #[error("{}:{line}: {message}", .file.display())]
    SqlFile {
        file: PathBuf,
        line: usize,
        message: String,
    },

    /// A table folder that cannot be read or written.
    #[error("table `{table}` ({}): {message}", .path.display())]
    Table {
        table: String,
        path: PathBuf,
        message: String,
    },

    /// Invalid rows in an input file; every problem is listed, nothing was written.
    #[error("{} problem(s) in {}, nothing was written:\n{}", .problems.len(), .file.display(), .problems.join("\n"))]
    InvalidInput {
        file: PathBuf,
        problems: Vec<String>,
    },

    /// An input file that is not what the command reads (audit's stated figures); every
    /// problem is listed.
    #[error("{} problem(s) in {}:\n{}", .problems.len(), .file.display(), .problems.join("\n"))]
    BadFile {
        file: PathBuf,
        problems: Vec<String>,
    },

    /// A check or audit ran and found what must be fixed before publishing (exit code 1); the
    /// findings themselves were already printed.
    #[error("{0}")]
    Findings(String),

    /// A file or folder that could not be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    /// Anything the query engine reports while planning or running a statement.
    #[error("{}", describe_datafusion(.0))]
    Query(#[from] DataFusionError),

    /// The Delta Lake layer failed (reading the log or committing a write).
    #[error("Delta table: {0}")]
    Delta(#[from] deltalake::DeltaTableError),

    /// A distributed engine (`--engine ballista://…`) could not be used.
    #[error("engine {engine}: {message}")]
    Cluster { engine: String, message: String },

    /// The output could not be encoded (CSV, JSON, Parquet, Arrow IPC).
    #[error("writing output: {0}")]
    Output(String),
}

impl Error {
    /// The process exit code for this error: 2 for usage errors, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            _ => 1,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<datafusion::arrow::error::ArrowError> for Error {
    fn from(e: datafusion::arrow::error::ArrowError) -> Self {
        Error::Output(e.to_string())
    }
}

impl From<datafusion::parquet::errors::ParquetError> for Error {
    fn from(e: datafusion::parquet::errors::ParquetError) -> Self {
        Error::Output(e.to_string())
    }
}

fn did_you_mean(closest: &[String]) -> String {
    match closest {
        [] => String::new(),
        [one] => format!("; did you mean `{one}`?"),
        many => format!(
            "; did you mean one of: {}?",
            many.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// DataFusion wraps errors in layers of context; the innermost one is what a user needs.
fn describe_datafusion(e: &DataFusionError) -> String {
    let root = e.find_root();
    let text = root.to_string();
    if text.contains("RecursionLimitReached") {
        return "the Ballista scheduler could not decode this query's plan: it nests deeper than \
                protobuf's default limit of 100 levels; build the scheduler and executors with \
                prost's `no-recursion-limit` feature (see docs/distributed.md), or run with \
                --engine local"
            .to_string();
    }
    // "Error during planning: ..." prefixes say where inside the engine, not what to fix.
    for prefix in [
        "Error during planning: ",
        "Schema error: ",
        "Execution error: ",
        "SQL error: ",
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    text
}

/// The names among `candidates` closest to `name`, best first (at most three).
pub fn closest_names<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, c)| *score >= 0.75 || c.contains(name) || name.contains(c))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(3)
        .map(|(_, c)| c.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scheduler's refusal as Ballista 55 returns it (shortened): a gRPC status wrapping
    /// prost's decode error. The person needs the limit and the fix, not the decoder's stack.
    #[test]
    fn a_plan_too_deep_for_the_scheduler_names_the_fix() {
        let refusal = DataFusionError::Execution(
            "Status { code: InvalidArgument, message: \"Could not parse plan: DataFusion error: \
             Internal error: failed to decode logical plan: DecodeError { description: \
             RecursionLimitReached, stack: [(\\\"ArrowType\\\", \\\"arrow_type_enum\\\")] }\" }"
                .to_string(),
        );
        let message = Error::Query(refusal).to_string();
        assert!(message.contains("limit of 100 levels"), "{message}");
        assert!(message.contains("no-recursion-limit"), "{message}");
        assert!(!message.contains("DecodeError"), "{message}");
    }

    #[test]
    fn closest_names_prefers_small_edits() {
        let names = ["budget_execution", "yoy_growth", "fund_balance"];
        assert_eq!(
            closest_names("budget_exec", names),
            vec!["budget_execution"]
        );
        assert_eq!(closest_names("yoy_grwth", names), vec!["yoy_growth"]);
        assert!(closest_names("zzz", names).is_empty());
    }

    #[test]
    fn usage_errors_exit_with_two() {
        assert_eq!(Error::Usage("x".into()).exit_code(), 2);
        assert_eq!(Error::Output("x".into()).exit_code(), 1);
    }
}
