//! Functions that describe catalog objects by OID, as Postgres clients call them, answered from
//! what one catalog snapshot knows (see [`super::pg_catalog`]): `pg_get_viewdef` (SQLAlchemy's
//! `get_view_definition`, psql `\d+ view`), `obj_description` and `col_description` (psql
//! `\dt+`, `\d+`, DBeaver), `pg_get_indexdef` and `pg_get_constraintdef` (pgjdbc
//! `getIndexInfo`, psql `\d table`, SQLAlchemy), `pg_get_function_result` and
//! `pg_get_function_arguments` (pgjdbc `getFunctions`, DBeaver, pgAdmin), `pg_get_ruledef`
//! (psql `\d+ view`), and `_pg_regtypes`, the type names of a `pg_proc` argument vector (the
//! target of [`super::pg_compat`]'s rewrite of pgcli's `proargtypes::regtype[]`). An OID the
//! snapshot does not know gives NULL, as in Postgres.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int32Array, Int64Array, ListBuilder, RecordBatch, StringArray,
    StringBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Int32Type};
use datafusion::common::cast::{as_int64_array, as_string_array};
use datafusion::common::exec_datafusion_err;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use datafusion::prelude::SessionContext;

/// A primary key's index, as `pg_get_indexdef` spells it.
#[derive(Debug, Clone)]
pub struct IndexDef {
    /// `ledger_pkey`
    pub name: String,
    /// `public.ledger`
    pub table: String,
    pub columns: Vec<String>,
}

impl IndexDef {
    fn definition(&self) -> String {
        format!(
            "CREATE UNIQUE INDEX {} ON {} USING btree ({})",
            quote_ident(&self.name),
            self.table,
            self.columns
                .iter()
                .map(|c| quote_ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    /// `PRIMARY KEY (a, b)`, the constraint this index implements.
    pub fn constraint(&self) -> String {
        let columns: Vec<String> = self.columns.iter().map(|c| quote_ident(c)).collect();
        format!("PRIMARY KEY ({})", columns.join(", "))
    }
}

/// What the functions answer, by OID.
#[derive(Debug, Default)]
pub struct Descriptions {
    /// A view's SQL, by the view's OID.
    pub views: HashMap<i64, String>,
    /// The same, by the view's name (`pg_get_viewdef('budget_execution')`).
    pub views_by_name: HashMap<String, String>,
    /// Comments by (catalog name, object OID): `("pg_class", 16458)`.
    pub comments: HashMap<(String, i64), String>,
    pub indexes: HashMap<i64, IndexDef>,
    /// Constraint definitions, by the constraint's OID.
    pub constraints: HashMap<i64, String>,
    /// `SETOF integer`, by the function's OID.
    pub function_results: HashMap<i64, String>,
    /// `integer, integer`, by the function's OID.
    pub function_arguments: HashMap<i64, String>,
    /// `format_type(oid, NULL)` of every type, by its OID.
    pub type_names: HashMap<i64, String>,
}

/// Registers the functions over `descriptions`.
pub fn register(context: &SessionContext, descriptions: Descriptions) {
    let d = Arc::new(descriptions);
    let functions: [(&'static str, &[usize], Answer); 9] = [
        ("pg_get_viewdef", &[1, 2], view_definition(&d)),
        ("obj_description", &[1, 2], comment(&d)),
        (
            "col_description",
            &[2],
            Arc::new(|args: &[ArrayRef]| Ok(nulls(args[0].len()))),
        ),
        ("pg_get_indexdef", &[1, 3], index_definition(&d)),
        (
            "pg_get_constraintdef",
            &[1, 2],
            by_oid(&d, |d, oid| d.constraints.get(&oid).cloned()),
        ),
        (
            "pg_get_function_result",
            &[1],
            by_oid(&d, |d, oid| d.function_results.get(&oid).cloned()),
        ),
        (
            "pg_get_function_arguments",
            &[1],
            by_oid(&d, |d, oid| d.function_arguments.get(&oid).cloned()),
        ),
        // fundq has no rules; the static `pg_rewrite` rows describe Postgres' own views.
        (
            "pg_get_ruledef",
            &[1, 2],
            Arc::new(|args: &[ArrayRef]| Ok(nulls(args[0].len()))),
        ),
        (
            "shobj_description",
            &[2],
            Arc::new(|args: &[ArrayRef]| Ok(nulls(args[0].len()))),
        ),
    ];
    for (name, arities, answer) in functions {
        context.register_udf(ScalarUDF::from(Describe::new(name, arities, answer)));
    }
    let names = Describe::new("_pg_regtypes", &[1], type_names(&d));
    context.register_udf(ScalarUDF::from(names.returning(text_list())));
}

fn text_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// `_pg_regtypes(vector)`: the names of the types of a `pg_proc` vector (`2275 26 23`, `[25,
/// 18]`), as `vector::regtype[]` lists them; NULL for NULL.
fn type_names(d: &Arc<Descriptions>) -> Answer {
    let d = d.clone();
    Arc::new(move |args: &[ArrayRef]| {
        let vectors = cast(&args[0], &DataType::Utf8)?;
        let vectors = as_string_array(&vectors)?;
        let mut names = ListBuilder::new(StringBuilder::new());
        for vector in vectors.iter() {
            let Some(vector) = vector else {
                names.append_null();
                continue;
            };
            for oid in vector_elements(vector) {
                let name = oid.parse::<i64>().ok().and_then(|o| d.type_names.get(&o));
                names
                    .values()
                    .append_value(name.map_or(oid.as_str(), String::as_str));
            }
            names.append(true);
        }
        Ok(Arc::new(names.finish()))
    })
}

/// The elements of a vector as the static `pg_proc` writes them: `2275 26 23`, `[25, 18]`,
/// `['o', 'o']`, `{i,o}`.
pub fn vector_elements(text: &str) -> Vec<String> {
    text.trim_matches(|c| matches!(c, '[' | ']' | '{' | '}'))
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|e| e.trim().trim_matches(|c| c == '\'' || c == '"').to_string())
        .filter(|e| !e.is_empty())
        .collect()
}

/// Computes a function's answer from its arguments as arrays of one length.
type Answer = Arc<dyn Fn(&[ArrayRef]) -> Result<ArrayRef> + Send + Sync>;

fn nulls(rows: usize) -> ArrayRef {
    Arc::new(StringArray::new_null(rows))
}

fn by_oid(d: &Arc<Descriptions>, find: fn(&Descriptions, i64) -> Option<String>) -> Answer {
    let d = d.clone();
    Arc::new(move |args: &[ArrayRef]| {
        let oids = oids(&args[0])?;
        let answers: StringArray = oids
            .iter()
            .map(|oid| oid.and_then(|o| find(&d, o)))
            .collect();
        Ok(Arc::new(answers))
    })
}

/// `pg_get_viewdef(oid | name [, pretty])`.
fn view_definition(d: &Arc<Descriptions>) -> Answer {
    let d = d.clone();
    Arc::new(move |args: &[ArrayRef]| {
        if matches!(
            args[0].data_type(),
            DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8
        ) {
            let names = cast(&args[0], &DataType::Utf8)?;
            let names = as_string_array(&names)?;
            let answers: StringArray = names
                .iter()
                .map(|n| n.and_then(|n| d.views_by_name.get(n.trim_matches('"')).cloned()))
                .collect();
            return Ok(Arc::new(answers));
        }
        let oids = oids(&args[0])?;
        let answers: StringArray = oids
            .iter()
            .map(|o| o.and_then(|o| d.views.get(&o).cloned()))
            .collect();
        Ok(Arc::new(answers))
    })
}

/// `obj_description(oid [, catalog])`; with no catalog, any catalog's comment.
fn comment(d: &Arc<Descriptions>) -> Answer {
    let d = d.clone();
    Arc::new(move |args: &[ArrayRef]| {
        let oids = oids(&args[0])?;
        let catalogs = match args.get(1) {
            Some(catalogs) => Some(cast(catalogs, &DataType::Utf8)?),
            None => None,
        };
        let catalogs = catalogs.as_ref().map(|c| as_string_array(c)).transpose()?;
        let answers: StringArray = (0..oids.len())
            .map(|row| {
                let oid = oids.is_valid(row).then(|| oids.value(row))?;
                match catalogs {
                    Some(catalogs) => {
                        let catalog = catalogs.is_valid(row).then(|| catalogs.value(row))?;
                        let catalog = catalog.strip_prefix("pg_catalog.").unwrap_or(catalog);
                        d.comments.get(&(catalog.to_string(), oid)).cloned()
                    }
                    None => d
                        .comments
                        .iter()
                        .find(|((_, o), _)| *o == oid)
                        .map(|(_, text)| text.clone()),
                }
            })
            .collect();
        Ok(Arc::new(answers))
    })
}

/// `pg_get_indexdef(oid)` and `pg_get_indexdef(oid, column, pretty)`: the whole definition
/// for column 0, else the column's name.
fn index_definition(d: &Arc<Descriptions>) -> Answer {
    let d = d.clone();
    Arc::new(move |args: &[ArrayRef]| {
        let oids = oids(&args[0])?;
        let columns = match args.get(1) {
            Some(columns) => Some(cast(columns, &DataType::Int64)?),
            None => None,
        };
        let columns = columns.as_ref().map(|c| as_int64_array(c)).transpose()?;
        let answers: StringArray = (0..oids.len())
            .map(|row| {
                let index = d
                    .indexes
                    .get(&oids.is_valid(row).then(|| oids.value(row))?)?;
                let column = match columns {
                    Some(columns) => columns.is_valid(row).then(|| columns.value(row))?,
                    None => 0,
                };
                if column == 0 {
                    return Some(index.definition());
                }
                let name = index.columns.get(usize::try_from(column - 1).ok()?)?;
                Some(quote_ident(name))
            })
            .collect();
        Ok(Arc::new(answers))
    })
}

/// Each function's result and argument list, as `pg_get_function_result` and
/// `pg_get_function_arguments` print them (without `DEFAULT` clauses, whose expressions the
/// static `pg_proc` does not keep in readable form).
pub async fn function_texts(context: &SessionContext, d: &mut Descriptions) -> Result<()> {
    let type_names = format_types(context).await?;
    let batches = context
        .sql(
            "SELECT CAST(oid AS INT) AS oid, proretset, CAST(prorettype AS INT) AS rettype, \
             proargtypes, proallargtypes, proargmodes, proargnames FROM pg_catalog.pg_proc",
        )
        .await?
        .collect()
        .await?;
    for batch in &batches {
        let oids = int32s(batch, "oid")?;
        let sets = batch
            .column_by_name("proretset")
            .and_then(|c| c.as_boolean_opt())
            .ok_or_else(|| exec_datafusion_err!("pg_proc.proretset is missing"))?;
        let results = int32s(batch, "rettype")?;
        let [types, all_types, modes, names] = [
            "proargtypes",
            "proallargtypes",
            "proargmodes",
            "proargnames",
        ]
        .map(|c| texts(batch, c));
        let (types, all_types, modes, names) = (types?, all_types?, modes?, names?);
        for row in 0..batch.num_rows() {
            let arguments = Arguments {
                types: vector(all_types[row].as_deref().or(types[row].as_deref())),
                modes: vector(modes[row].as_deref()),
                names: vector(names[row].as_deref()),
            };
            let oid = i64::from(oids.value(row));
            let name_of = |t: &str| {
                t.parse::<i32>()
                    .ok()
                    .and_then(|t| type_names.get(&t).cloned())
                    .unwrap_or_else(|| t.to_string())
            };
            let result = arguments.result(
                sets.value(row),
                &name_of(&results.value(row).to_string()),
                &name_of,
            );
            d.function_results.insert(oid, result);
            d.function_arguments.insert(oid, arguments.list(&name_of));
        }
    }
    d.type_names = type_names
        .into_iter()
        .map(|(oid, name)| (i64::from(oid), name))
        .collect();
    Ok(())
}

/// Each type's name as `format_type(oid, NULL)` prints it; datafusion-pg-catalog's
/// `format_type` knows the common types, the others are named from `pg_type` as Postgres names
/// them (`record`, `"any"`, `anyelement[]`).
async fn format_types(context: &SessionContext) -> Result<HashMap<i32, String>> {
    let batches = context
        .sql(
            "SELECT CAST(oid AS INT) AS oid, CAST(typelem AS INT) AS elem, typname, \
             format_type(oid, NULL) AS formatted FROM pg_catalog.pg_type",
        )
        .await?
        .collect()
        .await?;
    let mut types: HashMap<i32, (i32, String, Option<String>)> = HashMap::new();
    for batch in &batches {
        let oids = int32s(batch, "oid")?;
        let elements = int32s(batch, "elem")?;
        let names = texts(batch, "typname")?;
        let formatted = texts(batch, "formatted")?;
        for row in 0..batch.num_rows() {
            let known = formatted[row].clone().filter(|f| !f.starts_with("oid("));
            let name = names[row].clone().unwrap_or_default();
            types.insert(oids.value(row), (elements.value(row), name, known));
        }
    }
    let name_of = |oid: i32| -> Option<String> {
        let (_, name, known) = types.get(&oid)?;
        Some(known.clone().unwrap_or_else(|| type_name(name)))
    };
    Ok(types
        .iter()
        .map(|(&oid, (element, name, known))| {
            let printed = match known {
                Some(known) => known.clone(),
                None if *element != 0 && name.starts_with('_') => match name_of(*element) {
                    Some(element) => format!("{element}[]"),
                    None => type_name(name),
                },
                None => type_name(name),
            };
            (oid, printed)
        })
        .collect())
}

/// A type name as Postgres quotes it: `any` is a keyword.
fn type_name(name: &str) -> String {
    if name == "any" {
        "\"any\"".to_string()
    } else {
        quote_ident(name)
    }
}

fn vector(text: Option<&str>) -> Vec<String> {
    text.map(vector_elements).unwrap_or_default()
}

fn int32s<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a Int32Array> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_primitive_opt::<Int32Type>())
        .ok_or_else(|| exec_datafusion_err!("pg_catalog column {name} is missing or not int4"))
}

fn texts(batch: &RecordBatch, name: &str) -> Result<Vec<Option<String>>> {
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| exec_datafusion_err!("pg_catalog column {name} is missing"))?;
    let text = cast(column, &DataType::Utf8)?;
    Ok(text
        .as_string::<i32>()
        .iter()
        .map(|t| t.map(str::to_string))
        .collect())
}

/// A function's arguments: types, modes (`i`, `o`, `b`, `v`, `t`) and names.
struct Arguments {
    types: Vec<String>,
    modes: Vec<String>,
    names: Vec<String>,
}

impl Arguments {
    fn mode(&self, i: usize) -> &str {
        self.modes.get(i).map_or("i", String::as_str)
    }

    fn argument(&self, i: usize, type_name: &str) -> String {
        match self.names.get(i).filter(|n| !n.is_empty()) {
            Some(name) => format!("{name} {type_name}"),
            None => type_name.to_string(),
        }
    }

    /// `pg_get_function_arguments`: every argument but `TABLE` columns, with its mode.
    fn list(&self, name_of: &dyn Fn(&str) -> String) -> String {
        (0..self.types.len())
            .filter(|&i| self.mode(i) != "t")
            .map(|i| {
                let prefix = match self.mode(i) {
                    "o" => "OUT ",
                    "b" => "INOUT ",
                    "v" => "VARIADIC ",
                    _ => "",
                };
                format!("{prefix}{}", self.argument(i, &name_of(&self.types[i])))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `pg_get_function_result`: `TABLE(…)` for a function returning a table, else the type,
    /// after `SETOF` when it returns a set.
    fn result(&self, set: bool, result: &str, name_of: &dyn Fn(&str) -> String) -> String {
        let table: Vec<String> = (0..self.types.len())
            .filter(|&i| self.mode(i) == "t")
            .map(|i| self.argument(i, &name_of(&self.types[i])))
            .collect();
        if set && !table.is_empty() {
            format!("TABLE({})", table.join(", "))
        } else if set {
            format!("SETOF {result}")
        } else {
            result.to_string()
        }
    }
}

/// An OID argument as 64-bit integers (columns are `Int32`, literals `Int64`, psql sends
/// `'16479'` text).
fn oids(array: &ArrayRef) -> Result<Int64Array> {
    let oids = cast(array, &DataType::Int64)?;
    Ok(as_int64_array(&oids)?.clone())
}

/// An identifier as Postgres prints it: quoted unless it is lower-case letters, digits and
/// underscores, not starting with a digit.
fn quote_ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// One of the functions above: any argument types (cast inside), text answers unless said.
struct Describe {
    name: &'static str,
    signature: Signature,
    answer: Answer,
    returns: DataType,
}

impl Describe {
    fn new(name: &'static str, arities: &[usize], answer: Answer) -> Self {
        let signature = Signature::one_of(
            arities.iter().map(|&n| TypeSignature::Any(n)).collect(),
            Volatility::Stable,
        );
        Describe {
            name,
            signature,
            answer,
            returns: DataType::Utf8,
        }
    }

    fn returning(self, returns: DataType) -> Self {
        Describe { returns, ..self }
    }
}

impl std::fmt::Debug for Describe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Describe {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.answer, &other.answer)
    }
}

impl Eq for Describe {}

impl Hash for Describe {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for Describe {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.returns.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<_>>()?;
        Ok(ColumnarValue::Array((self.answer)(&arrays)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> SessionContext {
        let context = SessionContext::new();
        let mut d = Descriptions::default();
        d.views.insert(16500, "SELECT 1 AS one;".into());
        d.views_by_name
            .insert("one".into(), "SELECT 1 AS one;".into());
        d.comments
            .insert(("pg_class".into(), 16500), "One row.".into());
        let index = IndexDef {
            name: "ledger_pkey".into(),
            table: "public.ledger".into(),
            columns: vec!["region_code".into(), "year".into()],
        };
        d.constraints.insert(1_000_001, index.constraint());
        d.indexes.insert(1_000_000, index);
        register(&context, d);
        context
    }

    async fn answer(sql: &str) -> String {
        let rows = context().sql(sql).await.unwrap().collect().await.unwrap();
        datafusion::arrow::util::pretty::pretty_format_batches(&rows)
            .unwrap()
            .to_string()
    }

    #[tokio::test]
    async fn views_and_comments_by_oid() {
        let text = answer(
            "SELECT pg_get_viewdef(16500) AS a, pg_get_viewdef(CAST(16500 AS INT), true) AS b, \
             pg_get_viewdef('one') AS c, obj_description(16500, 'pg_class') AS d, \
             obj_description(16500) AS e, col_description(16500, 1) AS f, pg_get_viewdef(1) AS g",
        )
        .await;
        assert!(
            text.contains("| SELECT 1 AS one; | SELECT 1 AS one; | SELECT 1 AS one; | One row. | One row. |   |   |"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn index_and_constraint_definitions() {
        let text = answer(
            "SELECT pg_get_indexdef(1000000) AS a, pg_get_indexdef(1000000, 2, false) AS b, \
             pg_get_constraintdef(1000001, true) AS c, pg_get_indexdef(5) AS d",
        )
        .await;
        assert!(
            text.contains(
                "CREATE UNIQUE INDEX ledger_pkey ON public.ledger USING btree (region_code, year)"
            ),
            "{text}"
        );
        assert!(text.contains("| year |"), "{text}");
        assert!(text.contains("PRIMARY KEY (region_code, year)"), "{text}");
    }

    #[tokio::test]
    async fn argument_vectors_name_their_types() {
        let context = SessionContext::new();
        let mut d = Descriptions::default();
        d.type_names.insert(23, "integer".into());
        d.type_names.insert(25, "text".into());
        register(&context, d);
        let rows = context
            .sql("SELECT _pg_regtypes('23 25') AS a, _pg_regtypes('[25, 23]') AS b, _pg_regtypes(NULL) AS c")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&rows)
            .unwrap()
            .to_string();
        assert!(
            text.contains("| [integer, text] | [text, integer] |   |"),
            "{text}"
        );
    }

    #[test]
    fn static_vectors_are_read_in_every_spelling() {
        assert_eq!(vector(Some("2275 26 23")), ["2275", "26", "23"]);
        assert_eq!(vector(Some("[25, 18]")), ["25", "18"]);
        assert_eq!(vector(Some("['o', 'o']")), ["o", "o"]);
        assert!(vector(None).is_empty());
    }

    #[test]
    fn function_signatures_print_as_postgres_prints_them() {
        let name_of = |t: &str| match t {
            "23" => "integer".to_string(),
            "25" => "text".to_string(),
            other => other.to_string(),
        };
        let keywords = Arguments {
            types: vector(Some("[25, 23]")),
            modes: vector(Some("['o', 'o']")),
            names: vector(Some("['word', 'code']")),
        };
        assert_eq!(keywords.list(&name_of), "OUT word text, OUT code integer");
        assert_eq!(keywords.result(true, "record", &name_of), "SETOF record");
        let table = Arguments {
            types: vector(Some("[23, 25]")),
            modes: vector(Some("['i', 't']")),
            names: vector(Some("['n', 'word']")),
        };
        assert_eq!(table.list(&name_of), "n integer");
        assert_eq!(table.result(true, "record", &name_of), "TABLE(word text)");
        let plain = Arguments {
            types: vector(Some("23 23")),
            modes: Vec::new(),
            names: Vec::new(),
        };
        assert_eq!(plain.list(&name_of), "integer, integer");
        assert_eq!(plain.result(false, "integer", &name_of), "integer");
    }

    #[test]
    fn identifiers_are_quoted_as_postgres_quotes_them() {
        assert_eq!(quote_ident("region_code"), "region_code");
        assert_eq!(quote_ident("Year"), "\"Year\"");
        assert_eq!(quote_ident("1st"), "\"1st\"");
    }
}
