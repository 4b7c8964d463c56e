//! Primary keys in the Postgres catalog: the keys `sql/tables/*.sql` declares, as Postgres
//! would list them for a table created from that file.
//!
//! Each key is an index relation `<table>_pkey` (a `pg_class` row of kind `i`, btree, with a
//! `pg_attribute` row per key column), a `pg_index` row (`indisprimary`, `indkey` the table's
//! column numbers, the default btree operator class of each column's type in `indclass`) and a
//! `pg_constraint` row of type `p`. fundq declares no foreign keys, so there are no rows of type
//! `f`. The vector columns (`indkey`, `conkey`, …) are lists here, text in the static tables.
//! Also here: the `pg_attribute` type modifiers of decimal columns (`numeric(18,2)`).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, BooleanArray, Int32Array, RecordBatch};
use datafusion::arrow::compute::{cast, concat_batches};
use datafusion::arrow::datatypes::{DataType, Field, Int16Type, Int32Type, Schema, SchemaRef};
use datafusion::catalog::SchemaProvider;
use datafusion::common::{ScalarValue, exec_datafusion_err};
use datafusion::error::Result;
use datafusion::prelude::SessionContext;

use super::pg_catalog::{Served, appended, changed_row, column, int32s, row_where, with_column};

/// The first OID of fundq's index and constraint objects: two per primary key, above anything
/// datafusion-pg-catalog hands out for a catalog this size (it counts up from 16384).
const KEY_OID_BASE: i32 = 1_000_000;

/// `pg_am.oid` of `btree`.
const BTREE: i32 = 403;

/// A primary key and the OIDs of its index and constraint.
pub struct Key {
    pub table: String,
    pub table_oid: i32,
    pub index_oid: i32,
    pub constraint_oid: i32,
    pub columns: Vec<String>,
    /// `pg_attribute.attnum` of each key column in the table.
    pub attnums: Vec<i16>,
}

impl Key {
    pub fn index_name(&self) -> String {
        format!("{}_pkey", self.table)
    }
}

/// The primary keys whose columns the served table has, with OIDs in table-name order.
pub fn keys(served: &[Served]) -> Vec<Key> {
    let mut keyed: Vec<(&Served, Vec<i16>)> = served
        .iter()
        .filter(|s| !s.described.key.is_empty())
        .filter_map(|s| Some((s, column_numbers(s)?)))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| a.described.name.cmp(&b.described.name));
    keyed
        .into_iter()
        .enumerate()
        .map(|(i, (s, attnums))| {
            let index_oid = KEY_OID_BASE + 2 * i as i32;
            Key {
                table: s.described.name.clone(),
                table_oid: s.oid,
                index_oid,
                constraint_oid: index_oid + 1,
                columns: s.described.key.clone(),
                attnums,
            }
        })
        .collect()
}

/// `pg_attribute.attnum` of each key column of `s`; `None` when the served table lacks one.
fn column_numbers(s: &Served) -> Option<Vec<i16>> {
    s.described
        .key
        .iter()
        .map(|c| {
            let index = s.schema.index_of(c).ok()?;
            i16::try_from(index + 1).ok()
        })
        .collect()
}

/// `(pg_type OID of a column)` → its default btree operator class, from `pg_opclass`.
pub async fn default_opclasses(context: &SessionContext) -> Result<HashMap<i32, i32>> {
    let batches = context
        .sql(&format!(
            "SELECT CAST(opcintype AS INT) AS t, CAST(oid AS INT) AS o FROM pg_catalog.pg_opclass \
             WHERE opcmethod = {BTREE} AND opcdefault"
        ))
        .await?
        .collect()
        .await?;
    let mut opclasses = HashMap::new();
    for batch in &batches {
        let types = int32s(batch, "t")?;
        let classes = int32s(batch, "o")?;
        for row in 0..batch.num_rows() {
            opclasses.insert(types.value(row), classes.value(row));
        }
    }
    Ok(opclasses)
}

/// `pg_class` with a `reloptions` column (always NULL), `relhasindex` set for tables with a
/// key, and a row per key index.
pub fn class_rows(pg_class: &RecordBatch, keys: &[Key]) -> Result<RecordBatch> {
    let oids = int32s(pg_class, "oid")?;
    let keyed: Vec<i32> = keys.iter().map(|k| k.table_oid).collect();
    let has_index: BooleanArray = (0..pg_class.num_rows())
        .map(|row| Some(keyed.contains(&oids.value(row))))
        .collect();
    let mut batch = with_column(pg_class, "relhasindex", Arc::new(has_index))?;
    let options = Field::new(
        "reloptions",
        DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        true,
    );
    batch = appended(&batch, options)?;
    let mut batches = vec![batch.clone()];
    for key in keys {
        let row = row_where(&batch, "oid", key.table_oid)?;
        batches.push(changed_row(
            &batch,
            row,
            &[
                ("oid", ScalarValue::Int32(Some(key.index_oid))),
                ("relname", ScalarValue::from(key.index_name())),
                ("reltype", ScalarValue::Int32(Some(0))),
                ("relam", ScalarValue::Int32(Some(BTREE))),
                ("relfilenode", ScalarValue::Int32(Some(key.index_oid))),
                ("relhasindex", ScalarValue::Boolean(Some(false))),
                ("relkind", ScalarValue::from("i")),
                (
                    "relnatts",
                    ScalarValue::Int16(Some(key.attnums.len() as i16)),
                ),
            ],
        )?);
    }
    Ok(concat_batches(&batch.schema(), &batches)?)
}

/// `pg_attribute` with the type modifier of each decimal column (`numeric(p, s)`) and the
/// columns of each key index.
pub fn attribute_rows(
    pg_attribute: &RecordBatch,
    served: &[Served],
    keys: &[Key],
) -> Result<RecordBatch> {
    let schemas: HashMap<i32, &SchemaRef> = served.iter().map(|s| (s.oid, &s.schema)).collect();
    let relations = int32s(pg_attribute, "attrelid")?;
    let numbers = cast(column(pg_attribute, "attnum")?, &DataType::Int32)?;
    let numbers = numbers.as_primitive::<Int32Type>();
    let modifiers = int32s(pg_attribute, "atttypmod")?;
    let typmods: Int32Array = (0..pg_attribute.num_rows())
        .map(|row| {
            let field = schemas.get(&relations.value(row)).and_then(|s| {
                s.fields()
                    .get(usize::try_from(numbers.value(row) - 1).ok()?)
            });
            Some(
                field
                    .and_then(|f| type_modifier(f.data_type()))
                    .unwrap_or(modifiers.value(row)),
            )
        })
        .collect();
    let batch = with_column(pg_attribute, "atttypmod", Arc::new(typmods))?;
    let mut batches = vec![batch.clone()];
    for key in keys {
        for (position, attnum) in key.attnums.iter().enumerate() {
            let row = (0..batch.num_rows())
                .find(|&r| {
                    relations.value(r) == key.table_oid && numbers.value(r) == i32::from(*attnum)
                })
                .ok_or_else(|| {
                    exec_datafusion_err!("pg_attribute lacks a column of {}", key.table)
                })?;
            batches.push(changed_row(
                &batch,
                row,
                &[
                    ("attrelid", ScalarValue::Int32(Some(key.index_oid))),
                    ("attnum", ScalarValue::Int16(Some(position as i16 + 1))),
                ],
            )?);
        }
    }
    Ok(concat_batches(&batch.schema(), &batches)?)
}

/// Postgres' `atttypmod` of a column of this type: `((precision << 16) | scale) + 4` for
/// `numeric`; `None` (no modifier, -1) for the others.
fn type_modifier(data_type: &DataType) -> Option<i32> {
    match data_type {
        DataType::Decimal128(precision, scale) | DataType::Decimal256(precision, scale) => {
            let scale = i32::from(*scale).max(0);
            Some(((i32::from(*precision) << 16) | scale) + 4)
        }
        _ => None,
    }
}

fn int16_list(values: &[i16]) -> ScalarValue {
    let values: Vec<ScalarValue> = values
        .iter()
        .map(|v| ScalarValue::Int16(Some(*v)))
        .collect();
    ScalarValue::List(ScalarValue::new_list_nullable(&values, &DataType::Int16))
}

fn int32_list(values: &[i32]) -> ScalarValue {
    let values: Vec<ScalarValue> = values
        .iter()
        .map(|v| ScalarValue::Int32(Some(*v)))
        .collect();
    ScalarValue::List(ScalarValue::new_list_nullable(&values, &DataType::Int32))
}

/// The schema of a static catalog table with the given columns retyped (text there, arrays
/// here), keeping each column's metadata.
async fn retyped(
    schema: &Arc<dyn SchemaProvider>,
    table: &str,
    types: &[(&str, DataType)],
) -> Result<SchemaRef> {
    let declared = schema
        .table(table)
        .await?
        .ok_or_else(|| exec_datafusion_err!("pg_catalog.{table} is missing"))?
        .schema();
    let fields: Vec<Field> = declared
        .fields()
        .iter()
        .map(|f| match types.iter().find(|(name, _)| name == f.name()) {
            Some((_, data_type)) => f.as_ref().clone().with_data_type(data_type.clone()),
            None => f.as_ref().clone(),
        })
        .collect();
    Ok(Arc::new(Schema::new_with_metadata(
        fields,
        declared.metadata().clone(),
    )))
}

fn list_of(element: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("item", element, true)))
}

/// `pg_index`: one row per primary key.
pub async fn index_rows(
    schema: &Arc<dyn SchemaProvider>,
    keys: &[Key],
    pg_attribute: &RecordBatch,
    opclasses: &HashMap<i32, i32>,
) -> Result<RecordBatch> {
    let retyped = retyped(
        schema,
        "pg_index",
        &[
            ("indkey", list_of(DataType::Int16)),
            ("indoption", list_of(DataType::Int16)),
            ("indclass", list_of(DataType::Int32)),
            ("indcollation", list_of(DataType::Int32)),
        ],
    )
    .await?;
    let column_types = column_types(pg_attribute)?;
    rows(&retyped, keys, |name, key| {
        let types: Vec<i32> = key
            .attnums
            .iter()
            .map(|a| column_types.get(&(key.table_oid, *a)).copied().unwrap_or(0))
            .collect();
        Some(match name {
            "indexrelid" => ScalarValue::Int32(Some(key.index_oid)),
            "indrelid" => ScalarValue::Int32(Some(key.table_oid)),
            "indnatts" | "indnkeyatts" => ScalarValue::Int16(Some(key.attnums.len() as i16)),
            "indisunique" | "indisprimary" | "indimmediate" | "indisvalid" | "indisready"
            | "indislive" => ScalarValue::Boolean(Some(true)),
            "indkey" => int16_list(&key.attnums),
            "indoption" => int16_list(&vec![0; key.attnums.len()]),
            "indclass" => int32_list(
                &types
                    .iter()
                    .map(|t| opclasses.get(t).copied().unwrap_or(0))
                    .collect::<Vec<_>>(),
            ),
            "indcollation" => int32_list(&types.iter().map(|t| collation(*t)).collect::<Vec<_>>()),
            _ => return None,
        })
    })
}

/// The default collation (100) for text types, none (0) for the others.
fn collation(type_oid: i32) -> i32 {
    match type_oid {
        25 | 1042 | 1043 => 100,
        _ => 0,
    }
}

/// `(attrelid, attnum)` → `atttypid`.
fn column_types(pg_attribute: &RecordBatch) -> Result<HashMap<(i32, i16), i32>> {
    let relations = int32s(pg_attribute, "attrelid")?;
    let numbers = cast(column(pg_attribute, "attnum")?, &DataType::Int16)?;
    let numbers = numbers.as_primitive::<Int16Type>();
    let types = int32s(pg_attribute, "atttypid")?;
    Ok((0..pg_attribute.num_rows())
        .map(|r| ((relations.value(r), numbers.value(r)), types.value(r)))
        .collect())
}

/// `pg_constraint`: one primary-key row per key.
pub async fn constraint_rows(
    schema: &Arc<dyn SchemaProvider>,
    keys: &[Key],
    namespace: i32,
) -> Result<RecordBatch> {
    let retyped = retyped(
        schema,
        "pg_constraint",
        &[
            ("conkey", list_of(DataType::Int16)),
            ("confkey", list_of(DataType::Int16)),
            ("confdelsetcols", list_of(DataType::Int16)),
            ("conpfeqop", list_of(DataType::Int32)),
            ("conppeqop", list_of(DataType::Int32)),
            ("conffeqop", list_of(DataType::Int32)),
            ("conexclop", list_of(DataType::Int32)),
        ],
    )
    .await?;
    rows(&retyped, keys, |name, key| {
        Some(match name {
            "oid" => ScalarValue::Int32(Some(key.constraint_oid)),
            "conname" => ScalarValue::from(key.index_name()),
            "connamespace" => ScalarValue::Int32(Some(namespace)),
            "contype" => ScalarValue::from("p"),
            "convalidated" | "conislocal" | "connoinherit" => ScalarValue::Boolean(Some(true)),
            "conrelid" => ScalarValue::Int32(Some(key.table_oid)),
            "conindid" => ScalarValue::Int32(Some(key.index_oid)),
            "confupdtype" | "confdeltype" | "confmatchtype" => ScalarValue::from(" "),
            "conkey" => int16_list(&key.attnums),
            _ => return None,
        })
    })
}

/// A batch of `schema` with a row per key: the value `value` gives for a column, else false,
/// zero or NULL by the column's type.
fn rows(
    schema: &SchemaRef,
    keys: &[Key],
    value: impl Fn(&str, &Key) -> Option<ScalarValue>,
) -> Result<RecordBatch> {
    if keys.is_empty() {
        return Ok(RecordBatch::new_empty(schema.clone()));
    }
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let values = keys
                .iter()
                .map(|key| match value(field.name(), key) {
                    Some(v) => Ok(v),
                    None => default_value(field.data_type()),
                })
                .collect::<Result<Vec<_>>>()?;
            let array = ScalarValue::iter_to_array(values)?;
            Ok(cast(&array, field.data_type())?)
        })
        .collect::<Result<Vec<ArrayRef>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

fn default_value(data_type: &DataType) -> Result<ScalarValue> {
    match data_type {
        DataType::Boolean => Ok(ScalarValue::Boolean(Some(false))),
        DataType::Int16 | DataType::Int32 | DataType::Int64 => ScalarValue::new_zero(data_type),
        other => ScalarValue::try_from(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_columns_carry_precision_and_scale() {
        assert_eq!(type_modifier(&DataType::Decimal128(18, 2)), Some(1_179_654));
        assert_eq!(type_modifier(&DataType::Utf8), None);
    }

    #[test]
    fn text_types_have_the_default_collation() {
        assert_eq!(collation(25), 100);
        assert_eq!(collation(23), 0);
    }
}
