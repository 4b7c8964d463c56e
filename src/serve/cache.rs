//! What one catalog snapshot remembers for the Postgres server: the statements it has planned,
//! and the answers of statements that will answer the same again.
//!
//! An answer can change only when the catalog changes: an import, a new or edited view (see
//! [`super::live`]). Each catalog snapshot owns one [`Statements`] and one [`Answers`], and a new
//! snapshot starts with empty ones, so nothing kept here is ever stale and nothing needs to be
//! invalidated by hand. A prepared statement planned on an older snapshot is planned again on
//! the current one before it runs.
//!
//! An answer is kept only for one `SELECT` that reads nothing but fundq's own tables and views
//! (not `pg_catalog` or `information_schema`, which describe the connection too) and calls only
//! immutable functions (not `now()`, `random()` or `current_setting()`). It is keyed by the
//! statement's text, its parameters exactly as the client sent them (types, formats, bytes),
//! the result formats asked for, and the client settings that change how values are written.
//! What is kept are the encoded rows, so a repeated dashboard query costs a lookup and a copy.
//!
//! Memory: the kept answers of a snapshot take at most `result_cache_mb` (fundq.toml), counted
//! as their encoded bytes; the least recently used go first, and an answer larger than an
//! eighth of that is streamed without being kept. At most [`PLANNED_STATEMENTS`] planned
//! statements are kept per snapshot.

use std::num::NonZeroUsize;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use datafusion::common::TableReference;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{Expr, LogicalPlan, Volatility};
use datafusion::sql::parser::DFParser;
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion_postgres::pgwire;
use datafusion_postgres::{DfSessionService, Parser};
use futures::{Stream, StreamExt};
use lru::LruCache;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::ExtendedQueryHandler;
use pgwire::api::results::{FieldInfo, QueryResponse, SendableRowStream};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::{ClientInfo, Type};
use pgwire::error::PgWireResult;
use pgwire::messages::data::DataRow;

/// The prepared-statement type of `datafusion-postgres`.
pub type PgStatement = <DfSessionService as ExtendedQueryHandler>::Statement;

/// How many planned statements one snapshot keeps.
pub const PLANNED_STATEMENTS: usize = 1024;

/// Client settings that change how values are written (pgwire's `FormatOptions` and the time
/// zone), and so belong in an answer's key.
const FORMAT_SETTINGS: [&str; 5] = [
    "datestyle",
    "intervalstyle",
    "bytea_output",
    "extra_float_digits",
    "timezone",
];

/// The names a snapshot serves in its default schema, and that schema's full name, to tell
/// fundq's relations from the catalog's.
#[derive(Clone)]
pub struct ServedNames {
    pub catalog: String,
    pub schema: String,
    pub relations: std::collections::HashSet<String>,
}

impl ServedNames {
    fn contains(&self, reference: &TableReference) -> bool {
        let schema_is_default = reference.schema().is_none_or(|s| s == self.schema);
        let catalog_is_default = reference.catalog().is_none_or(|c| c == self.catalog);
        schema_is_default && catalog_is_default && self.relations.contains(reference.table())
    }
}

/// A statement planned on this snapshot (none for an empty one).
pub struct Planned {
    pub statement: Option<Arc<StoredStatement<PgStatement>>>,
    /// One `SELECT` that gives the same rows while the catalog stays the same
    /// ([`is_repeatable`]): its answers may be kept, and it runs on fundq's own path.
    pub repeatable: bool,
}

impl Planned {
    /// The logical plan, for a statement that has one (not an empty or a hooked one).
    pub fn plan(&self) -> Option<&LogicalPlan> {
        let (_, parsed) = &self.statement.as_ref()?.statement;
        parsed.as_ref().map(|(_, plan)| plan)
    }

    /// `portal` with this snapshot's plan of its statement, to run here rather than on the
    /// snapshot it was prepared on.
    pub fn rebound(&self, portal: &Portal<PgStatement>) -> Option<Portal<PgStatement>> {
        let statement = self.statement.as_ref()?;
        let mut rebound = Portal::default();
        rebound.name = portal.name.clone();
        rebound.statement = statement.clone();
        rebound.parameter_format = portal.parameter_format.clone();
        rebound.parameters = portal.parameters.clone();
        rebound.result_column_format = portal.result_column_format.clone();
        Some(rebound)
    }
}

/// Statements planned on one snapshot, by their text and declared parameter types.
pub struct Statements {
    served: ServedNames,
    planned: Mutex<LruCache<Vec<u8>, Arc<Planned>>>,
}

impl Statements {
    pub fn new(served: ServedNames) -> Statements {
        let capacity = NonZeroUsize::new(PLANNED_STATEMENTS).expect("a positive constant");
        Statements {
            served,
            planned: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// `sql` planned on this snapshot with `types` declared for its parameters, planning it
    /// now when it was not yet.
    pub async fn plan<C>(
        &self,
        parser: &Parser,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Arc<Planned>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let key = statement_key(sql, types);
        if let Some(planned) = lock(&self.planned).get(&key) {
            return Ok(planned.clone());
        }
        let statement = parser.parse_sql(client, sql, types).await?;
        let repeatable = is_one_statement(sql)
            && statement
                .as_ref()
                .and_then(|(_, parsed)| parsed.as_ref())
                .is_some_and(|(statement, plan)| {
                    matches!(statement, SqlStatement::Query(_)) && is_repeatable(plan, &self.served)
                });
        let normalised = statement.as_ref().map(|(text, _)| text.clone());
        let planned = Arc::new(Planned {
            statement: statement
                .map(|s| Arc::new(StoredStatement::new(String::new(), s, types.to_vec()))),
            repeatable,
        });
        let mut kept = lock(&self.planned);
        kept.put(key, planned.clone());
        // Execute finds the statement by the text the parser normalised it to.
        if let Some(normalised) = normalised {
            kept.put(statement_key(&normalised, types), planned.clone());
        }
        Ok(planned)
    }
}

/// Whether `sql` is a single statement (the simple protocol allows several in one text).
fn is_one_statement(sql: &str) -> bool {
    DFParser::parse_sql_with_dialect(sql, &PostgreSqlDialect {}).is_ok_and(|s| s.len() == 1)
}

/// Whether every run of `plan` gives the same rows while the catalog stays the same: it reads
/// only fundq's relations and calls only immutable functions.
pub fn is_repeatable(plan: &LogicalPlan, served: &ServedNames) -> bool {
    let mut repeatable = true;
    let _ = plan.apply_with_subqueries(|node| {
        let node_ok = match node {
            LogicalPlan::TableScan(scan) => served.contains(&scan.table_name),
            LogicalPlan::Projection(_)
            | LogicalPlan::Filter(_)
            | LogicalPlan::Window(_)
            | LogicalPlan::Aggregate(_)
            | LogicalPlan::Sort(_)
            | LogicalPlan::Join(_)
            | LogicalPlan::Repartition(_)
            | LogicalPlan::Union(_)
            | LogicalPlan::EmptyRelation(_)
            | LogicalPlan::Subquery(_)
            | LogicalPlan::SubqueryAlias(_)
            | LogicalPlan::Limit(_)
            | LogicalPlan::Values(_)
            | LogicalPlan::Distinct(_)
            | LogicalPlan::Unnest(_) => true,
            // EXPLAIN ANALYZE reports timings; DDL, DML and extensions are not plain reads.
            _ => false,
        };
        repeatable = node_ok && node.expressions().iter().all(calls_only_immutable);
        Ok(if repeatable {
            TreeNodeRecursion::Continue
        } else {
            TreeNodeRecursion::Stop
        })
    });
    repeatable
}

fn calls_only_immutable(expr: &Expr) -> bool {
    let mut immutable = true;
    let _ = expr.apply(|e| {
        immutable = match e {
            Expr::ScalarFunction(f) => f.func.signature().volatility == Volatility::Immutable,
            Expr::ScalarVariable(..) => false,
            _ => true,
        };
        Ok(if immutable {
            TreeNodeRecursion::Continue
        } else {
            TreeNodeRecursion::Stop
        })
    });
    immutable
}

/// One kept answer: the row description and the encoded rows.
pub struct Answer {
    fields: Arc<Vec<FieldInfo>>,
    rows: Vec<DataRow>,
}

impl Answer {
    pub fn response(&self) -> QueryResponse {
        let rows: Vec<PgWireResult<DataRow>> = self.rows.iter().cloned().map(Ok).collect();
        QueryResponse::new(self.fields.clone(), futures::stream::iter(rows))
    }
}

/// The answers kept for one snapshot, least recently used first out.
pub struct Answers {
    budget_bytes: usize,
    kept: Mutex<Kept>,
}

struct Kept {
    answers: LruCache<Vec<u8>, (Arc<Answer>, usize)>,
    bytes: usize,
}

/// The bytes one row costs besides its data (the `DataRow` and its buffer's header).
const ROW_OVERHEAD: usize = 48;

impl Answers {
    /// Answers within `budget_bytes` in all; 0 keeps none.
    pub fn new(budget_bytes: usize) -> Answers {
        Answers {
            budget_bytes,
            kept: Mutex::new(Kept {
                answers: LruCache::unbounded(),
                bytes: 0,
            }),
        }
    }

    pub fn get(&self, key: &[u8]) -> Option<Arc<Answer>> {
        if self.budget_bytes == 0 {
            return None;
        }
        lock(&self.kept).answers.get(key).map(|(a, _)| a.clone())
    }

    /// The largest answer worth keeping: one may not crowd out all others.
    fn largest_kept(&self) -> usize {
        self.budget_bytes / 8
    }

    fn put(&self, key: Vec<u8>, answer: Answer, bytes: usize) {
        let mut kept = lock(&self.kept);
        if let Some((_, replaced)) = kept.answers.put(key, (Arc::new(answer), bytes)) {
            kept.bytes -= replaced;
        }
        kept.bytes += bytes;
        while kept.bytes > self.budget_bytes {
            match kept.answers.pop_lru() {
                Some((_, (_, freed))) => kept.bytes -= freed,
                None => break,
            }
        }
    }

    /// `response` as it is, keeping its rows under `key` once all of them have been sent.
    pub fn keep(self: &Arc<Self>, key: Vec<u8>, response: QueryResponse) -> QueryResponse {
        if self.budget_bytes == 0 {
            return response;
        }
        let command_tag = response.command_tag;
        let row_schema = response.row_schema;
        let keeping = Keeping {
            rows: response.data_rows,
            kept: Some(Vec::new()),
            bytes: key.len(),
            key,
            fields: row_schema.clone(),
            answers: self.clone(),
        };
        let mut response = QueryResponse::new(row_schema, keeping);
        response.command_tag = command_tag;
        response
    }
}

/// A row stream that copies its rows aside and keeps them as an answer when it ends without
/// an error and within the size limit.
struct Keeping {
    rows: SendableRowStream,
    kept: Option<Vec<DataRow>>,
    bytes: usize,
    key: Vec<u8>,
    fields: Arc<Vec<FieldInfo>>,
    answers: Arc<Answers>,
}

impl Stream for Keeping {
    type Item = PgWireResult<DataRow>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let next = match this.rows.poll_next_unpin(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(next) => next,
        };
        match &next {
            Some(Ok(row)) => {
                this.bytes += row.data.len() + ROW_OVERHEAD;
                if this.bytes > this.answers.largest_kept() {
                    this.kept = None;
                }
                if let Some(kept) = &mut this.kept {
                    kept.push(row.clone());
                }
            }
            Some(Err(_)) => this.kept = None,
            None => {
                if let Some(rows) = this.kept.take() {
                    let answer = Answer {
                        fields: this.fields.clone(),
                        rows,
                    };
                    let key = std::mem::take(&mut this.key);
                    this.answers.put(key, answer, this.bytes);
                }
            }
        }
        Poll::Ready(next)
    }
}

/// The key of a planned statement: its text and declared parameter types.
fn statement_key(sql: &str, types: &[Option<Type>]) -> Vec<u8> {
    let mut key = KeyWriter::default();
    key.statement(sql, types);
    key.0
}

/// The key of a bound statement's answer (extended protocol).
pub fn bound_key<S>(
    sql: &str,
    portal: &Portal<S>,
    settings: &std::collections::HashMap<String, String>,
) -> Vec<u8> {
    let mut key = KeyWriter::default();
    key.part(b"extended");
    key.statement(sql, &portal.statement.parameter_types);
    key.format(&portal.parameter_format);
    for parameter in &portal.parameters {
        match parameter {
            Some(bytes) => key.part(bytes),
            None => key.part(b"\xffNULL"),
        }
    }
    key.format(&portal.result_column_format);
    key.settings(settings);
    key.0
}

/// The key of a simple-protocol statement's answer (always text).
pub fn simple_key(sql: &str, settings: &std::collections::HashMap<String, String>) -> Vec<u8> {
    let mut key = KeyWriter::default();
    key.part(b"simple");
    key.part(sql.as_bytes());
    key.settings(settings);
    key.0
}

/// Writes length-prefixed parts, so that no two different part lists give the same key.
#[derive(Default)]
struct KeyWriter(Vec<u8>);

impl KeyWriter {
    fn part(&mut self, bytes: &[u8]) {
        self.0
            .extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        self.0.extend_from_slice(bytes);
    }

    /// A statement's text and declared parameter types, their count first.
    fn statement(&mut self, sql: &str, types: &[Option<Type>]) {
        self.part(sql.as_bytes());
        self.part(&(types.len() as u64).to_be_bytes());
        for ty in types {
            self.part(&ty.as_ref().map_or(0, Type::oid).to_be_bytes());
        }
    }

    fn format(&mut self, format: &Format) {
        match format {
            Format::UnifiedText => self.part(b"text"),
            Format::UnifiedBinary => self.part(b"binary"),
            Format::Individual(codes) => {
                let codes: Vec<u8> = codes.iter().flat_map(|c| c.to_be_bytes()).collect();
                self.part(&codes);
            }
        }
    }

    fn settings(&mut self, settings: &std::collections::HashMap<String, String>) {
        for name in FORMAT_SETTINGS {
            self.part(settings.get(name).map_or(&b"\xff"[..], |v| v.as_bytes()));
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(text: &str) -> DataRow {
        DataRow::new(text.as_bytes().into(), 1)
    }

    fn response(rows: &[&str]) -> QueryResponse {
        let rows: Vec<PgWireResult<DataRow>> = rows.iter().map(|r| Ok(row(r))).collect();
        QueryResponse::new(Arc::new(Vec::new()), futures::stream::iter(rows))
    }

    async fn drain(response: QueryResponse) -> Vec<DataRow> {
        response
            .data_rows
            .map(|r| r.expect("a row"))
            .collect()
            .await
    }

    #[tokio::test]
    async fn an_answer_is_kept_once_all_rows_were_sent() {
        let answers = Arc::new(Answers::new(1 << 20));
        let streamed = answers.keep(b"k".to_vec(), response(&["a", "b"]));
        assert!(answers.get(b"k").is_none(), "kept before it was sent");
        assert_eq!(drain(streamed).await, vec![row("a"), row("b")]);
        let kept = answers.get(b"k").expect("kept after it was sent");
        assert_eq!(drain(kept.response()).await, vec![row("a"), row("b")]);
    }

    #[tokio::test]
    async fn the_budget_evicts_the_least_recently_used_and_skips_large_answers() {
        // Each answer below costs its key (1 byte) + one row (1 byte + 48 overhead) = 50 bytes;
        // a budget of 800 keeps answers up to 100 bytes and 800 bytes in all, so 16 of them.
        let answers = Arc::new(Answers::new(800));
        for i in 0..16u8 {
            drain(answers.keep(vec![i], response(&["x"]))).await;
        }
        answers.get(&[0]).expect("16 fit"); // 0 becomes the most recently used
        drain(answers.keep(vec![16], response(&["x"]))).await;
        assert!(
            answers.get(&[1]).is_none(),
            "the least recently used goes first"
        );
        assert!(answers.get(&[0]).is_some() && answers.get(&[16]).is_some());
        // Three rows: 1 + 3 × 49 = 148 bytes, over an eighth of the budget.
        drain(answers.keep(b"L".to_vec(), response(&["a", "b", "c"]))).await;
        assert!(answers.get(b"L").is_none());
    }

    #[tokio::test]
    async fn a_zero_budget_keeps_nothing() {
        let answers = Arc::new(Answers::new(0));
        drain(answers.keep(b"k".to_vec(), response(&["a"]))).await;
        assert!(answers.get(b"k").is_none());
    }

    #[test]
    fn keys_tell_parameters_and_formats_apart() {
        let settings = std::collections::HashMap::new();
        let mut portal: Portal<PgStatement> = Portal::default();
        portal.parameters = vec![Some("2021".into())];
        let first = bound_key("SELECT $1", &portal, &settings);
        portal.parameters = vec![Some("2022".into())];
        let second = bound_key("SELECT $1", &portal, &settings);
        portal.result_column_format = Format::UnifiedBinary;
        let binary = bound_key("SELECT $1", &portal, &settings);
        assert!(first != second && second != binary);
        // Length prefixes: "ab" + "c" is not "a" + "bc".
        let mut one = KeyWriter::default();
        one.part(b"ab");
        one.part(b"c");
        let mut other = KeyWriter::default();
        other.part(b"a");
        other.part(b"bc");
        assert_ne!(one.0, other.0);
    }

    #[tokio::test]
    async fn only_plain_reads_of_fundq_relations_are_repeatable() {
        use datafusion::arrow::datatypes::{DataType, Field, Schema};
        use datafusion::datasource::empty::EmptyTable;
        use datafusion::prelude::SessionContext;
        let context = SessionContext::new_with_config(
            datafusion::prelude::SessionConfig::new().with_information_schema(true),
        );
        let schema = Arc::new(Schema::new(vec![Field::new(
            "year",
            DataType::Int32,
            false,
        )]));
        context
            .register_table("ledger", Arc::new(EmptyTable::new(schema)))
            .expect("registered");
        let served = ServedNames {
            catalog: "datafusion".into(),
            schema: "public".into(),
            relations: ["ledger".to_string()].into(),
        };
        let repeatable = |sql: &'static str| {
            let context = context.clone();
            let served = served.clone();
            async move {
                let plan = context.state().create_logical_plan(sql).await.expect(sql);
                is_repeatable(&plan, &served)
            }
        };
        assert!(
            repeatable("SELECT year, count(*) FROM ledger WHERE year = 2022 GROUP BY year").await
        );
        assert!(
            repeatable("SELECT * FROM public.ledger WHERE year IN (SELECT max(year) FROM ledger)")
                .await
        );
        assert!(!repeatable("SELECT year, random() FROM ledger").await);
        assert!(!repeatable("SELECT now()").await);
        assert!(!repeatable("SELECT * FROM information_schema.tables").await);
        assert!(
            !repeatable(
                "SELECT * FROM ledger WHERE year IN (SELECT 1 FROM information_schema.tables)"
            )
            .await
        );
        assert!(!repeatable("EXPLAIN ANALYZE SELECT * FROM ledger").await);
    }
}
