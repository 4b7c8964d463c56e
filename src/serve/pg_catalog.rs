//! fundq's own rows in the Postgres catalog, over the `pg_catalog` schema of
//! datafusion-pg-catalog.
//!
//! That schema lists fundq's tables and views (`pg_class`, `pg_attribute`) but knows nothing of
//! what `sql/` declares: the primary keys of `sql/tables/*.sql`, the descriptions heading each
//! view and table file, the views' SQL, the precision and scale of decimal columns. Its
//! `pg_index` and `pg_constraint` are snapshots of an empty Postgres whose OIDs match nothing,
//! and its `pg_settings` has one row. Clients read keys (pgjdbc `getPrimaryKeys`, psqlODBC
//! `SQLPrimaryKeys`, SQLAlchemy `get_pk_constraint`, psql `\d`), descriptions (pgjdbc
//! `REMARKS`, SQLAlchemy `get_table_comment`) and settings from exactly those tables.
//!
//! [`install`] wraps the schema: `pg_class`, `pg_attribute`, `pg_index`, `pg_constraint`
//! ([`super::pg_keys`]), `pg_description` and `pg_settings` ([`super::pg_settings`]) become
//! fundq's; every other name is served by the wrapped schema. A snapshot's catalog never
//! changes while it serves (a change to `sql/` or the data builds a new one), so fundq's tables
//! are computed once, when the snapshot is built, from the wrapped schema's own rows: the OIDs
//! it gave relations stay as they were. It also registers the functions that describe these
//! objects ([`super::pg_describe`]).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, AsArray, Int32Array, RecordBatch, new_null_array};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef};
use datafusion::catalog::{MemTable, SchemaProvider};
use datafusion::common::{ScalarValue, exec_datafusion_err};
use datafusion::datasource::TableProvider;
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

use super::pg_describe::{self, Descriptions, IndexDef};
use super::pg_keys::{self, Key};
use super::pg_settings;
use crate::catalog::header_description;
use crate::session::Session;
use crate::tabledef::TableDef;

/// The catalog (database) fundq's relations are served in, and their schema.
const CATALOG: &str = "datafusion";
const SCHEMA: &str = "public";

/// Postgres' OIDs of the system catalogs that the static `pg_description` rows name.
const SYSTEM_CATALOG_OIDS: [(i32, &str); 12] = [
    (1247, "pg_type"),
    (1255, "pg_proc"),
    (1259, "pg_class"),
    (1262, "pg_database"),
    (2601, "pg_am"),
    (2605, "pg_cast"),
    (2612, "pg_language"),
    (2615, "pg_namespace"),
    (2616, "pg_opclass"),
    (2617, "pg_operator"),
    (2753, "pg_opfamily"),
    (3079, "pg_extension"),
];

/// What `sql/` says about one relation the server serves.
#[derive(Debug, Clone, Default)]
pub struct Described {
    pub name: String,
    /// The leading comment of its file.
    pub description: Option<String>,
    /// A view's query, without its leading comment.
    pub definition: Option<String>,
    /// A table's primary key, as `sql/tables/<table>.sql` declares it.
    pub key: Vec<String>,
}

/// What `sql/` says about each relation `session` serves.
pub async fn describe(session: &Session, sql_dir: &Path) -> Vec<Described> {
    let mut described = Vec::new();
    for name in served_relations(session.context()) {
        if let Some(view) = session.catalog().view_for_relation(&name) {
            described.push(Described {
                description: Some(view.description.clone()).filter(|d| !d.is_empty()),
                definition: Some(query_text(&view.sql)),
                name,
                key: Vec::new(),
            });
            continue;
        }
        let file = sql_dir.join("tables").join(format!("{name}.sql"));
        let description = std::fs::read_to_string(&file)
            .ok()
            .map(|sql| header_description(&sql))
            .filter(|d| !d.is_empty());
        let key = match TableDef::load(sql_dir, &name).await {
            Ok(table) => table.key_columns().iter().map(|c| c.to_string()).collect(),
            Err(_) => Vec::new(),
        };
        described.push(Described {
            name,
            description,
            definition: None,
            key,
        });
    }
    described
}

fn served_relations(context: &SessionContext) -> Vec<String> {
    let mut names = context
        .catalog(CATALOG)
        .and_then(|c| c.schema(SCHEMA))
        .map(|s| s.table_names())
        .unwrap_or_default();
    names.sort();
    names
}

/// A view file's query as `pg_get_viewdef` gives it: without the leading comment, ending in `;`.
fn query_text(sql: &str) -> String {
    let body: Vec<&str> = sql
        .lines()
        .skip_while(|line| line.trim().is_empty() || line.trim_start().starts_with("--"))
        .collect();
    let body = body.join("\n");
    let body = body.trim().trim_end_matches(';').trim_end();
    format!("{body};")
}

/// One served relation with the OID `pg_class` gave it.
pub struct Served<'a> {
    pub oid: i32,
    pub schema: SchemaRef,
    pub described: &'a Described,
}

/// Wraps the `pg_catalog` schema of `context`'s catalog with fundq's tables and registers the
/// functions that describe them.
pub async fn install(context: &SessionContext, described: &[Described]) -> Result<()> {
    let catalog = context
        .catalog(CATALOG)
        .ok_or_else(|| exec_datafusion_err!("no catalog {CATALOG}"))?;
    let inner = catalog
        .schema("pg_catalog")
        .ok_or_else(|| exec_datafusion_err!("no pg_catalog schema in {CATALOG}"))?;
    let rows = WrappedRows::read(context, &inner).await?;
    let relation_oids = relation_oids(&rows.pg_class, &rows.pg_namespace)?;
    let served = served(context, described, &relation_oids).await?;
    let keys = pg_keys::keys(&served);
    let replaced = replaced_tables(context, &inner, &rows, &served, &keys).await?;
    catalog.register_schema("pg_catalog", Arc::new(FundqPgCatalog { inner, replaced }))?;
    pg_settings::register(context);
    let descriptions = descriptions(context, &served, &keys, &rows.pg_description).await?;
    pg_describe::register(context, descriptions);
    Ok(())
}

/// The rows of the wrapped tables fundq's are made from.
struct WrappedRows {
    pg_class: RecordBatch,
    pg_namespace: RecordBatch,
    pg_attribute: RecordBatch,
    pg_description: RecordBatch,
}

impl WrappedRows {
    async fn read(context: &SessionContext, inner: &Arc<dyn SchemaProvider>) -> Result<Self> {
        Ok(WrappedRows {
            pg_class: rows_of(context, inner, "pg_class").await?,
            pg_namespace: rows_of(context, inner, "pg_namespace").await?,
            pg_attribute: rows_of(context, inner, "pg_attribute").await?,
            pg_description: rows_of(context, inner, "pg_description").await?,
        })
    }
}

/// fundq's tables, by the names they replace.
async fn replaced_tables(
    context: &SessionContext,
    inner: &Arc<dyn SchemaProvider>,
    rows: &WrappedRows,
    served: &[Served<'_>],
    keys: &[Key],
) -> Result<HashMap<&'static str, Arc<dyn TableProvider>>> {
    let relation_oids = relation_oids(&rows.pg_class, &rows.pg_namespace)?;
    let class_of_classes = relation_oids
        .get(&("pg_catalog".to_string(), "pg_class".to_string()))
        .copied()
        .unwrap_or(0);
    let namespace = namespace_oid(&rows.pg_namespace, SCHEMA)?;
    let opclasses = pg_keys::default_opclasses(context).await?;
    let index = pg_keys::index_rows(inner, keys, &rows.pg_attribute, &opclasses).await?;
    let constraint = pg_keys::constraint_rows(inner, keys, namespace).await?;
    let description = description_rows(&rows.pg_description, served, class_of_classes)?;
    let mut replaced: HashMap<&'static str, Arc<dyn TableProvider>> = HashMap::new();
    replaced.insert(
        "pg_class",
        memory(pg_keys::class_rows(&rows.pg_class, keys)?)?,
    );
    let attributes = pg_keys::attribute_rows(&rows.pg_attribute, served, keys)?;
    replaced.insert("pg_attribute", memory(attributes)?);
    replaced.insert("pg_index", memory(index)?);
    replaced.insert("pg_constraint", memory(constraint)?);
    replaced.insert("pg_description", memory(description)?);
    replaced.insert("pg_settings", pg_settings::table()?);
    Ok(replaced)
}

/// `pg_catalog` with some tables replaced by fundq's.
#[derive(Debug)]
struct FundqPgCatalog {
    inner: Arc<dyn SchemaProvider>,
    replaced: HashMap<&'static str, Arc<dyn TableProvider>>,
}

#[async_trait]
impl SchemaProvider for FundqPgCatalog {
    fn table_names(&self) -> Vec<String> {
        self.inner.table_names()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        match self.replaced.get(name.to_ascii_lowercase().as_str()) {
            Some(table) => Ok(Some(table.clone())),
            None => self.inner.table(name).await,
        }
    }

    fn table_exist(&self, name: &str) -> bool {
        self.inner.table_exist(name)
    }
}

/// All rows of one table of the wrapped schema, in one batch of its declared schema (whose
/// field metadata marks OID columns).
async fn rows_of(
    context: &SessionContext,
    schema: &Arc<dyn SchemaProvider>,
    name: &str,
) -> Result<RecordBatch> {
    let table = schema
        .table(name)
        .await?
        .ok_or_else(|| exec_datafusion_err!("pg_catalog.{name} is missing"))?;
    let declared = table.schema();
    let batches = context.read_table(table)?.collect().await?;
    let batches = batches
        .into_iter()
        .map(|b| RecordBatch::try_new(declared.clone(), b.columns().to_vec()))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(concat_batches(&declared, &batches)?)
}

fn memory(batch: RecordBatch) -> Result<Arc<dyn TableProvider>> {
    Ok(Arc::new(MemTable::try_new(
        batch.schema(),
        vec![vec![batch]],
    )?))
}

pub fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef> {
    batch
        .column_by_name(name)
        .ok_or_else(|| exec_datafusion_err!("pg_catalog column {name} is missing"))
}

pub fn int32s<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a Int32Array> {
    column(batch, name)?
        .as_primitive_opt::<Int32Type>()
        .ok_or_else(|| exec_datafusion_err!("pg_catalog column {name} is not int4"))
}

fn texts(batch: &RecordBatch, name: &str) -> Result<Vec<Option<String>>> {
    let text = cast(column(batch, name)?, &DataType::Utf8)?;
    Ok(text
        .as_string::<i32>()
        .iter()
        .map(|t| t.map(str::to_string))
        .collect())
}

/// `(schema, relation)` → OID, as `pg_class` and `pg_namespace` list them.
fn relation_oids(
    pg_class: &RecordBatch,
    namespaces: &RecordBatch,
) -> Result<HashMap<(String, String), i32>> {
    let namespace_names: HashMap<i32, String> = int32s(namespaces, "oid")?
        .iter()
        .zip(texts(namespaces, "nspname")?)
        .filter_map(|(oid, name)| Some((oid?, name?)))
        .collect();
    let oids = int32s(pg_class, "oid")?;
    let spaces = int32s(pg_class, "relnamespace")?;
    let names = texts(pg_class, "relname")?;
    Ok((0..pg_class.num_rows())
        .filter_map(|row| {
            let schema = namespace_names.get(&spaces.value(row))?.clone();
            Some(((schema, names[row].clone()?), oids.value(row)))
        })
        .collect())
}

fn namespace_oid(namespaces: &RecordBatch, name: &str) -> Result<i32> {
    let oids = int32s(namespaces, "oid")?;
    texts(namespaces, "nspname")?
        .iter()
        .position(|n| n.as_deref() == Some(name))
        .map(|row| oids.value(row))
        .ok_or_else(|| exec_datafusion_err!("pg_namespace has no {name}"))
}

/// The served relations `pg_class` lists, with their Arrow schemas.
async fn served<'a>(
    context: &SessionContext,
    described: &'a [Described],
    oids: &HashMap<(String, String), i32>,
) -> Result<Vec<Served<'a>>> {
    let mut served = Vec::new();
    for relation in described {
        let Some(&oid) = oids.get(&(SCHEMA.to_string(), relation.name.clone())) else {
            continue;
        };
        let schema = context
            .table_provider(relation.name.as_str())
            .await?
            .schema();
        served.push(Served {
            oid,
            schema,
            described: relation,
        });
    }
    Ok(served)
}

/// The static `pg_description` rows and one per described relation (`objsubid` 0, the
/// relation's `pg_class` OID in `classoid`).
fn description_rows(
    static_rows: &RecordBatch,
    served: &[Served],
    class_of_classes: i32,
) -> Result<RecordBatch> {
    let described: Vec<(i32, &str)> = served
        .iter()
        .filter_map(|s| Some((s.oid, s.described.description.as_deref()?)))
        .collect();
    let schema = static_rows.schema();
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let values: Vec<ScalarValue> = described
                .iter()
                .map(|(oid, text)| match field.name().as_str() {
                    "objoid" => ScalarValue::Int32(Some(*oid)),
                    "classoid" => ScalarValue::Int32(Some(class_of_classes)),
                    "objsubid" => ScalarValue::Int32(Some(0)),
                    _ => ScalarValue::from(*text),
                })
                .collect();
            if values.is_empty() {
                return Ok(new_null_array(field.data_type(), 0));
            }
            Ok(cast(
                &ScalarValue::iter_to_array(values)?,
                field.data_type(),
            )?)
        })
        .collect::<Result<Vec<ArrayRef>>>()?;
    let fundq = RecordBatch::try_new(schema.clone(), columns)?;
    Ok(concat_batches(&schema, &[static_rows.clone(), fundq])?)
}

/// What the describing functions answer for this snapshot.
async fn descriptions(
    context: &SessionContext,
    served: &[Served<'_>],
    keys: &[Key],
    static_rows: &RecordBatch,
) -> Result<Descriptions> {
    let mut d = Descriptions::default();
    for relation in served {
        let oid = i64::from(relation.oid);
        if let Some(definition) = &relation.described.definition {
            d.views.insert(oid, definition.clone());
            d.views_by_name
                .insert(relation.described.name.clone(), definition.clone());
        }
        if let Some(description) = &relation.described.description {
            d.comments
                .insert(("pg_class".to_string(), oid), description.clone());
        }
    }
    for (catalog, oid, text) in static_comments(static_rows)? {
        d.comments.entry((catalog, oid)).or_insert(text);
    }
    for key in keys {
        let index = IndexDef {
            name: key.index_name(),
            table: format!("{SCHEMA}.{}", key.table),
            columns: key.columns.clone(),
        };
        d.constraints
            .insert(i64::from(key.constraint_oid), index.constraint());
        d.indexes.insert(i64::from(key.index_oid), index);
    }
    pg_describe::function_texts(context, &mut d).await?;
    Ok(d)
}

/// The static rows' comments on whole objects, by catalog name.
fn static_comments(rows: &RecordBatch) -> Result<Vec<(String, i64, String)>> {
    let objects = int32s(rows, "objoid")?;
    let classes = int32s(rows, "classoid")?;
    let parts = cast(column(rows, "objsubid")?, &DataType::Int32)?;
    let parts = parts.as_primitive::<Int32Type>();
    let texts = texts(rows, "description")?;
    Ok((0..rows.num_rows())
        .filter(|&r| parts.value(r) == 0)
        .filter_map(|r| {
            let (_, catalog) = SYSTEM_CATALOG_OIDS
                .iter()
                .find(|(oid, _)| *oid == classes.value(r))?;
            Some((
                catalog.to_string(),
                i64::from(objects.value(r)),
                texts[r].clone()?,
            ))
        })
        .collect())
}

/// The row of `batch` whose int4 column `name` is `value`.
pub fn row_where(batch: &RecordBatch, name: &str, value: i32) -> Result<usize> {
    let values = int32s(batch, name)?;
    (0..batch.num_rows())
        .find(|&r| values.value(r) == value)
        .ok_or_else(|| exec_datafusion_err!("no row with {name} {value}"))
}

/// `batch` with column `name` replaced by `values` (of the same type).
pub fn with_column(batch: &RecordBatch, name: &str, values: ArrayRef) -> Result<RecordBatch> {
    let index = batch.schema().index_of(name)?;
    let mut columns = batch.columns().to_vec();
    columns[index] = cast(&values, batch.schema().field(index).data_type())?;
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// `batch` with a NULL column `field` at the end.
pub fn appended(batch: &RecordBatch, field: Field) -> Result<RecordBatch> {
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut columns = batch.columns().to_vec();
    columns.push(new_null_array(field.data_type(), batch.num_rows()));
    fields.push(field);
    let schema = Schema::new_with_metadata(fields, batch.schema().metadata().clone());
    Ok(RecordBatch::try_new(Arc::new(schema), columns)?)
}

/// Row `row` of `batch` alone, with the given columns changed.
pub fn changed_row(
    batch: &RecordBatch,
    row: usize,
    changes: &[(&str, ScalarValue)],
) -> Result<RecordBatch> {
    let mut one = batch.slice(row, 1);
    for (name, value) in changes {
        one = with_column(&one, name, value.to_array_of_size(1)?)?;
    }
    Ok(one)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_files_read_as_definitions_and_descriptions() {
        let sql = "-- Budget execution: budget and actual.\n-- Second line.\n\n-- not this\nSELECT 1\nFROM t;\n";
        assert_eq!(
            header_description(sql),
            "Budget execution: budget and actual. Second line."
        );
        assert_eq!(query_text(sql), "SELECT 1\nFROM t;");
    }
}
