//! Runs the Postgres server's statements over fundq's own tables and views: from the plan kept
//! for the catalog snapshot ([`super::cache::Planned`]), optimised once.
//!
//! datafusion-postgres 0.19 optimises a bound plan and then again while making its physical
//! plan, and parses simple-protocol text a second time; for the view stacks fundq serves, that
//! planning is most of a statement's cost. Statements over the Postgres catalog
//! (`pg_catalog`, `information_schema`), and those whose parameter types are not all known,
//! still run through datafusion-postgres, which knows their special column types.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::execute_stream;
use datafusion::prelude::SessionContext;
use datafusion_postgres::arrow_pg::datatypes::df::deserialize_parameters_with_server_types;
use datafusion_postgres::arrow_pg::datatypes::{arrow_schema_to_pg_fields, encode_recordbatch};
use datafusion_postgres::pgwire;
use futures::StreamExt;
use pgwire::api::Type;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::results::QueryResponse;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::data::DataRow;

use super::cache::PgStatement;

/// Runs `plan` with the parameters bound in `portal`; `None` when a parameter's type is not
/// known from the plan (the engine's own path then infers it from casts).
pub async fn run_bound(
    context: &SessionContext,
    plan: &LogicalPlan,
    portal: &Portal<PgStatement>,
) -> PgWireResult<Option<QueryResponse>> {
    let Some(types) = parameter_types(plan)? else {
        return Ok(None);
    };
    let inferred: Vec<Option<&DataType>> = types.iter().map(Some).collect();
    let no_overrides: Vec<Option<&Type>> = vec![None; types.len()];
    let values = deserialize_parameters_with_server_types(portal, &inferred, &no_overrides)?;
    let bound = plan
        .clone()
        .replace_params_with_values(&values)
        .map_err(engine_error)?;
    run(context, &bound, &portal.result_column_format)
        .await
        .map(Some)
}

/// Runs a plan without parameters, its rows encoded in `format`.
pub async fn run(
    context: &SessionContext,
    plan: &LogicalPlan,
    format: &Format,
) -> PgWireResult<QueryResponse> {
    let fields = Arc::new(arrow_schema_to_pg_fields(
        plan.schema().as_arrow(),
        format,
        None,
    )?);
    let state = context.state();
    let physical = state
        .create_physical_plan(plan)
        .await
        .map_err(engine_error)?;
    let batches = execute_stream(physical, state.task_ctx()).map_err(engine_error)?;
    let row_fields = fields.clone();
    let rows = batches.flat_map(move |batch| {
        let rows: Box<dyn Iterator<Item = PgWireResult<DataRow>> + Send + Sync> = match batch {
            Ok(batch) => encode_recordbatch(row_fields.clone(), batch),
            Err(e) => Box::new(std::iter::once(Err(engine_error(e)))),
        };
        futures::stream::iter(rows)
    });
    Ok(QueryResponse::new(fields, rows))
}

/// The types of `$1 … $n` in order, when the plan knows every one.
fn parameter_types(plan: &LogicalPlan) -> PgWireResult<Option<Vec<DataType>>> {
    let mut numbered: Vec<(Option<usize>, Option<DataType>)> = plan
        .get_parameter_types()
        .map_err(engine_error)?
        .into_iter()
        .map(|(id, ty)| (id.trim_start_matches('$').parse().ok(), ty))
        .collect();
    numbered.sort_by_key(|(number, _)| *number);
    let complete = numbered
        .iter()
        .enumerate()
        .all(|(i, (number, ty))| *number == Some(i + 1) && ty.is_some());
    Ok(complete.then(|| numbered.into_iter().filter_map(|(_, ty)| ty).collect()))
}

fn engine_error(e: DataFusionError) -> PgWireError {
    PgWireError::ApiError(Box::new(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn plan(sql: &str) -> LogicalPlan {
        let context = SessionContext::new();
        context
            .state()
            .create_logical_plan(sql)
            .await
            .expect("plans")
    }

    #[tokio::test]
    async fn parameters_are_numbered_in_order_with_known_types() {
        let typed = plan("SELECT * FROM (VALUES (1, 'a')) t(n, s) WHERE s = $2 AND n = $1").await;
        assert_eq!(
            parameter_types(&typed).expect("types"),
            Some(vec![DataType::Int64, DataType::Utf8])
        );
        let none = plan("SELECT 1").await;
        assert_eq!(parameter_types(&none).expect("types"), Some(vec![]));
        // `$1` alone has no type to infer from: the engine's own path decides.
        let untyped = plan("SELECT $1").await;
        assert_eq!(parameter_types(&untyped).expect("types"), None);
    }

    #[tokio::test]
    async fn a_plan_runs_to_encoded_rows() {
        let context = SessionContext::new();
        let plan = plan("SELECT 'x' AS s, 2 AS n").await;
        let response = run(&context, &plan, &Format::UnifiedText)
            .await
            .expect("runs");
        assert_eq!(response.row_schema.len(), 2);
        let rows: Vec<DataRow> = response
            .data_rows
            .map(|row| row.expect("a row"))
            .collect()
            .await;
        assert_eq!(rows.len(), 1);
        // Text format: each field is a 4-byte length, then its text.
        assert_eq!(&rows[0].data[..], b"\0\0\0\x01x\0\0\0\x012");
    }
}
