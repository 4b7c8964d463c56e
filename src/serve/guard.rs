//! The statement policy both protocols share: what a client may run, and for how long.
//!
//! The server only reads. Statements are classified on the parsed SQL (PostgreSQL dialect plus
//! DataFusion's own `CREATE EXTERNAL TABLE` and `COPY ... TO`), before anything is planned.
//! Session-level statements clients send on their own (`SET application_name`, `BEGIN`, `SHOW`,
//! cursors) pass; changing DataFusion's settings, which the whole server shares, does not.

use std::pin::Pin;
use std::task::Poll;

use datafusion::sql::parser::{DFParser, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{Set, Statement};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use futures::{Stream, StreamExt};
use tokio::time::Instant;

/// Why `sql` is refused, or `None` when the server may run it.
pub fn refusal(sql: &str) -> Option<String> {
    match DFParser::parse_sql_with_dialect(sql, &PostgreSqlDialect {}) {
        Ok(statements) => statements.iter().find_map(refusal_of),
        // Clients send catalog queries DataFusion's parser cannot read but the Postgres
        // compatibility layer rewrites; let the engine report real syntax errors, except for
        // statements that do not even start like a read.
        Err(_) if starts_like_a_read(sql) => None,
        Err(_) => Some(refused(first_keyword(sql))),
    }
}

fn refusal_of(statement: &DfStatement) -> Option<String> {
    match statement {
        DfStatement::Statement(statement) => refusal_of_sql(statement),
        DfStatement::Explain(explain) => refusal_of(&explain.statement),
        DfStatement::CreateExternalTable(_) => Some(
            "fundq serve is read-only: CREATE EXTERNAL TABLE would read files on the server and \
             is refused; import data with `fundq import` on the server"
                .into(),
        ),
        DfStatement::CopyTo(_) => Some(
            "fundq serve is read-only: COPY would write files on the server and is refused; use \
             `fundq export` on the server, or read the rows with SELECT"
                .into(),
        ),
        DfStatement::Reset(_) => Some(shared_setting_refused()),
    }
}

fn refusal_of_sql(statement: &Statement) -> Option<String> {
    match statement {
        Statement::Query(_)
        | Statement::ExplainTable { .. }
        | Statement::ShowVariable { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowCatalogs { .. }
        | Statement::ShowSchemas { .. }
        | Statement::ShowViews { .. }
        | Statement::ShowFunctions { .. }
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Declare { .. }
        | Statement::Fetch { .. }
        | Statement::Close { .. }
        | Statement::Deallocate { .. }
        | Statement::Discard { .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. } => None,
        Statement::Explain { statement, .. } => refusal_of_sql(statement),
        Statement::Set(set) if changes_shared_setting(set) => Some(shared_setting_refused()),
        Statement::Set(_) => None,
        Statement::Copy { .. } => Some(
            "fundq serve is read-only: COPY reads or writes files on the server and is refused; \
             read the rows with SELECT"
                .into(),
        ),
        other => Some(refused(first_keyword(&other.to_string()))),
    }
}

/// `SET datafusion.…` would change the engine for every client of the server.
fn changes_shared_setting(set: &Set) -> bool {
    match set {
        Set::SingleAssignment { variable, .. } => variable
            .to_string()
            .to_lowercase()
            .starts_with("datafusion."),
        _ => false,
    }
}

fn shared_setting_refused() -> String {
    "fundq serve: engine settings (datafusion.*) are shared by every client and fixed by the \
     server; set query_timeout_secs and memory_limit_mb in fundq.toml instead"
        .into()
}

fn refused(kind: String) -> String {
    format!(
        "fundq serve is read-only: `{kind}` is refused; only SELECT (and SHOW, EXPLAIN, SET of \
         session options) may run; change data with `fundq import` on the server"
    )
}

fn first_keyword(sql: &str) -> String {
    sql.split_whitespace().next().unwrap_or("").to_uppercase()
}

fn starts_like_a_read(sql: &str) -> bool {
    let sql = sql.trim_start_matches(|c: char| c.is_whitespace() || c == '(');
    ["SELECT", "WITH", "SHOW", "VALUES", "EXPLAIN"]
        .iter()
        .any(|word| sql.len() >= word.len() && sql[..word.len()].eq_ignore_ascii_case(word))
}

/// Passes `rows` through until `deadline`, then yields `expired` once and stops; dropping the
/// inner stream cancels the query's execution.
pub fn until_deadline<S, T, E>(
    rows: S,
    deadline: Instant,
    expired: E,
) -> impl Stream<Item = Result<T, E>> + Send
where
    S: Stream<Item = Result<T, E>> + Send + Unpin,
    T: Send,
    E: Send,
{
    let mut rows = Some(rows);
    let mut expired = Some(expired);
    let mut timer = Box::pin(tokio::time::sleep_until(deadline));
    futures::stream::poll_fn(move |cx| {
        let Some(stream) = rows.as_mut() else {
            return Poll::Ready(None);
        };
        if Pin::new(&mut timer).poll(cx).is_ready() {
            rows = None;
            return Poll::Ready(expired.take().map(Err));
        }
        stream.poll_next_unpin(cx)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pass() {
        for sql in [
            "SELECT * FROM budget_execution",
            "WITH t AS (SELECT 1) SELECT * FROM t",
            "EXPLAIN SELECT 1",
            "SHOW TABLES",
            "SET application_name = 'psql'",
            "SET statement_timeout = 1000",
            "BEGIN",
            "COMMIT",
        ] {
            assert_eq!(refusal(sql), None, "{sql}");
        }
    }

    #[test]
    fn writes_and_file_access_are_refused() {
        for (sql, expected) in [
            ("INSERT INTO ledger VALUES (1)", "`INSERT` is refused"),
            ("DELETE FROM ledger", "`DELETE` is refused"),
            ("DROP TABLE ledger", "`DROP` is refused"),
            ("CREATE TABLE t AS SELECT 1", "`CREATE` is refused"),
            ("CREATE VIEW v AS SELECT 1", "`CREATE` is refused"),
            ("COPY ledger TO '/tmp/x.csv'", "COPY"),
            ("COPY ledger FROM '/etc/passwd'", "COPY"),
            (
                "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/etc/passwd'",
                "CREATE EXTERNAL TABLE",
            ),
            ("SET datafusion.execution.batch_size = 1", "engine settings"),
            ("SELECT 1; DROP TABLE ledger", "`DROP` is refused"),
            ("EXPLAIN ANALYZE DELETE FROM ledger", "`DELETE` is refused"),
            ("VACUUM", "`VACUUM` is refused"),
        ] {
            let why = refusal(sql).unwrap_or_default();
            assert!(why.contains(expected), "{sql}: {why}");
        }
    }

    #[tokio::test]
    async fn a_stream_past_its_deadline_ends_with_the_error() {
        let slow = futures::stream::iter(0..)
            .then(|i| async move {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                Ok::<_, &str>(i)
            })
            .boxed();
        let deadline = Instant::now() + std::time::Duration::from_millis(100);
        let items: Vec<_> = until_deadline(slow, deadline, "late").collect().await;
        assert_eq!(items.last(), Some(&Err("late")));
        assert!(items.len() < 10, "{} items", items.len());
    }
}
