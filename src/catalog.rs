//! The view catalog: the SQL files under `sql/` and how names resolve to them.
//!
//! A view version is one file `sql/views/<name>/v<N>.sql` holding a single `SELECT` whose leading
//! `--` comment is its description. `<name>` means the highest version and `<name>@v<N>` (on the
//! command line) or `<name>_v<N>` (inside SQL) pins one. Named queries are `sql/queries/<name>.sql`
//! with `$param` placeholders. This module reads files and works out dependencies and their
//! order; it never plans or runs SQL (that is `session`'s job), so it needs no tables.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::resolve::resolve_table_references;

use crate::error::{Error, Result, closest_names};

/// A line `-- fundq: stands in for table <table>` in a view makes it answer for `<table>` in a
/// data folder without that table; see [`Catalog::stand_in_for`].
pub const STAND_IN_MARK: &str = "-- fundq: stands in for table ";

/// One version of a view: one file.
#[derive(Debug, Clone)]
pub struct ViewVersion {
    pub name: String,
    pub version: u32,
    pub path: PathBuf,
    pub sql: String,
    pub description: String,
}

/// A named query with `$param` placeholders.
#[derive(Debug, Clone)]
pub struct NamedQuery {
    pub name: String,
    pub path: PathBuf,
    pub sql: String,
    pub description: String,
}

/// What a name given on the command line stands for.
#[derive(Debug, Clone, Copy)]
pub enum Runnable<'a> {
    View(&'a ViewVersion),
    Query(&'a NamedQuery),
}

/// A relation named in a piece of SQL, with the line it first appears on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub name: String,
    pub line: usize,
}

/// A relation that is not a view, where a view reads it: a table, present or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableUse {
    pub table: String,
    pub file: PathBuf,
    pub line: usize,
}

/// All views and named queries found under one `sql/` folder.
#[derive(Debug, Default)]
pub struct Catalog {
    pub sql_dir: PathBuf,
    /// Versions of each view, lowest first.
    views: BTreeMap<String, Vec<ViewVersion>>,
    queries: BTreeMap<String, NamedQuery>,
    /// Files that do not follow the layout; reported by `fundq views` and `fundq check`.
    pub problems: Vec<String>,
}

impl Catalog {
    /// Reads every view and query file under `sql_dir`. Missing sub-folders mean "none".
    pub fn load(sql_dir: &Path) -> Result<Catalog> {
        let mut catalog = Catalog {
            sql_dir: sql_dir.to_path_buf(),
            ..Catalog::default()
        };
        catalog.load_views(&sql_dir.join("views"))?;
        catalog.load_queries(&sql_dir.join("queries"))?;
        for name in catalog.queries.keys() {
            if catalog.views.contains_key(name) {
                catalog.problems.push(format!(
                    "`{name}` is both a view and a query; the view wins, rename {}",
                    catalog.queries[name].path.display()
                ));
            }
        }
        Ok(catalog)
    }

    fn load_views(&mut self, views_dir: &Path) -> Result<()> {
        for view_dir in sorted_entries(views_dir)? {
            if !view_dir.is_dir() {
                continue;
            }
            let name = file_name(&view_dir);
            let mut versions = Vec::new();
            for file in sorted_entries(&view_dir)? {
                if file.extension().is_none_or(|e| e != "sql") {
                    continue;
                }
                let Some(version) = parse_version_file_name(&file_name(&file)) else {
                    self.problems.push(format!(
                        "{}: view files are named v1.sql, v2.sql, …; this one is ignored",
                        file.display()
                    ));
                    continue;
                };
                let sql = read_to_string(&file)?;
                versions.push(ViewVersion {
                    description: header_description(&sql),
                    name: name.clone(),
                    version,
                    path: file,
                    sql,
                });
            }
            versions.sort_by_key(|v| v.version);
            if !versions.is_empty() {
                self.views.insert(name, versions);
            }
        }
        Ok(())
    }

    fn load_queries(&mut self, queries_dir: &Path) -> Result<()> {
        for file in sorted_entries(queries_dir)? {
            if file.extension().is_none_or(|e| e != "sql") {
                continue;
            }
            let name = file_name(&file).trim_end_matches(".sql").to_string();
            let sql = read_to_string(&file)?;
            self.queries.insert(
                name.clone(),
                NamedQuery {
                    description: header_description(&sql),
                    name,
                    path: file,
                    sql,
                },
            );
        }
        Ok(())
    }

    /// All views, by name, each with its versions lowest first.
    pub fn views(&self) -> impl Iterator<Item = (&String, &Vec<ViewVersion>)> {
        self.views.iter()
    }

    /// All named queries, by name.
    pub fn queries(&self) -> impl Iterator<Item = &NamedQuery> {
        self.queries.values()
    }

    /// Every version of every view.
    pub fn all_versions(&self) -> impl Iterator<Item = &ViewVersion> {
        self.views.values().flatten()
    }

    /// Resolves `name`, `name@vN` (a view) or a query name, as typed on the command line.
    pub fn runnable(&self, reference: &str) -> Result<Runnable<'_>> {
        let (name, version) = parse_reference(reference)?;
        if self.views.contains_key(name) {
            return self.view(name, version).map(Runnable::View);
        }
        match (self.queries.get(name), version) {
            (Some(query), None) => Ok(Runnable::Query(query)),
            (Some(_), Some(_)) => Err(Error::Usage(format!(
                "`{name}` is a named query; queries have no versions, drop `@v{}`",
                version.unwrap_or_default()
            ))),
            (None, _) => Err(self.unknown("view or query", name)),
        }
    }

    /// A view's version `version`, or its latest when `None`.
    pub fn view(&self, name: &str, version: Option<u32>) -> Result<&ViewVersion> {
        let versions = self
            .views
            .get(name)
            .ok_or_else(|| self.unknown("view", name))?;
        match version {
            None => Ok(versions.last().expect("a view has at least one version")),
            Some(v) => {
                versions
                    .iter()
                    .find(|vv| vv.version == v)
                    .ok_or_else(|| Error::UnknownVersion {
                        name: name.to_string(),
                        version: v,
                        available: versions
                            .iter()
                            .map(|vv| format!("v{}", vv.version))
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            }
        }
    }

    /// The view version a relation name inside SQL stands for: `name` (latest) or `name_vN`.
    pub fn view_for_relation(&self, relation: &str) -> Option<&ViewVersion> {
        if let Some(versions) = self.views.get(relation) {
            return versions.last();
        }
        let (name, version) = split_versioned_relation(relation)?;
        self.views
            .get(name)?
            .iter()
            .find(|vv| vv.version == version)
    }

    /// The view whose latest version is marked [`STAND_IN_MARK`] for `table`: it answers for
    /// the table when the data folder lacks it (`ledger_from_detail` for `ledger` on detail data).
    pub fn stand_in_for(&self, table: &str) -> Option<&ViewVersion> {
        let mark = format!("{STAND_IN_MARK}{table}");
        self.views
            .values()
            .filter_map(|versions| versions.last())
            .find(|view| view.sql.lines().any(|line| line.trim() == mark))
    }

    /// Names a view can be reached by inside SQL: every `name` and `name_vN`.
    pub fn relation_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for (name, versions) in &self.views {
            names.push(name.clone());
            names.extend(versions.iter().map(|v| relation_name(name, v.version)));
        }
        names
    }

    /// The views `roots` need, dependencies first, each once; plus the tables they read.
    ///
    /// Fails on a parse error or a cycle, naming the files and lines involved.
    pub fn dependency_order<'a>(
        &'a self,
        roots: &[&'a ViewVersion],
    ) -> Result<(Vec<&'a ViewVersion>, Vec<TableUse>)> {
        let mut walk = Walk::default();
        for root in roots {
            self.visit(root, &mut walk)?;
        }
        Ok((walk.ordered, walk.tables))
    }

    fn visit<'a>(&'a self, view: &'a ViewVersion, walk: &mut Walk<'a>) -> Result<()> {
        let key = relation_name(&view.name, view.version);
        if walk.done.contains(&key) {
            return Ok(());
        }
        if let Some(pos) = walk.stack.iter().position(|(k, _)| *k == key) {
            return Err(cycle_error(&walk.stack[pos..], view));
        }
        for relation in sql_relations(&view.sql, &view.path)? {
            match self.view_for_relation(&relation.name) {
                Some(dep) => {
                    walk.stack.push((key.clone(), (view, relation.line)));
                    let result = self.visit(dep, walk);
                    walk.stack.pop();
                    result?;
                }
                None => {
                    if !walk.tables.iter().any(|t| t.table == relation.name) {
                        walk.tables.push(TableUse {
                            table: relation.name,
                            file: view.path.clone(),
                            line: relation.line,
                        });
                    }
                }
            }
        }
        walk.done.insert(key);
        walk.ordered.push(view);
        Ok(())
    }

    fn unknown(&self, kind: &'static str, name: &str) -> Error {
        let candidates = self.views.keys().chain(self.queries.keys());
        Error::UnknownName {
            kind,
            name: name.to_string(),
            closest: closest_names(name, candidates.map(String::as_str)),
        }
    }
}

#[derive(Default)]
struct Walk<'a> {
    done: BTreeSet<String>,
    /// The views being visited, with the line in each that leads to the next one.
    stack: Vec<(String, (&'a ViewVersion, usize))>,
    ordered: Vec<&'a ViewVersion>,
    tables: Vec<TableUse>,
}

fn cycle_error(cycle: &[(String, (&ViewVersion, usize))], back_to: &ViewVersion) -> Error {
    let steps: Vec<String> = cycle
        .iter()
        .map(|(key, (view, line))| format!("{key} ({}:{line})", view.path.display()))
        .collect();
    let (_, (first, line)) = &cycle[0];
    Error::SqlFile {
        file: first.path.clone(),
        line: *line,
        message: format!(
            "views depend on each other in a cycle: {} -> {}; break it by pinning an older version (`name_vN`) or removing a reference",
            steps.join(" -> "),
            relation_name(&back_to.name, back_to.version)
        ),
    }
}

/// The SQL name of a pinned view version, such as `budget_execution_v1`.
/// The `.sql` files of a folder (rules of `sql/checks/`, `sql/import/<table>/`), sorted by name;
/// none when the folder does not exist.
pub fn sql_files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    Ok(files)
}

pub fn relation_name(name: &str, version: u32) -> String {
    format!("{name}_v{version}")
}

/// The relations (tables or views) a single-statement SQL text reads, CTE names excluded.
pub fn sql_relations(sql: &str, path: &Path) -> Result<Vec<Relation>> {
    let statement = parse_single_statement(sql, path)?;
    let (relations, _ctes) =
        resolve_table_references(&statement, true).map_err(|e| Error::SqlFile {
            file: path.to_path_buf(),
            line: 1,
            message: e.to_string(),
        })?;
    Ok(relations
        .into_iter()
        .map(|r| {
            let name = r.table().to_string();
            Relation {
                line: first_line_mentioning(sql, &name),
                name,
            }
        })
        .collect())
}

/// Parses `sql` as exactly one statement, reporting parse errors at their line in `path`.
pub fn parse_single_statement(sql: &str, path: &Path) -> Result<Statement> {
    let mut statements = DFParser::parse_sql(sql).map_err(|e| parse_error(e, path))?;
    match (statements.pop_front(), statements.is_empty()) {
        (Some(statement), true) => Ok(statement),
        (None, _) => Err(Error::SqlFile {
            file: path.to_path_buf(),
            line: 1,
            message: "the file holds no SQL statement; write one SELECT".into(),
        }),
        (Some(_), false) => Err(Error::SqlFile {
            file: path.to_path_buf(),
            line: 1,
            message: "the file holds more than one statement; a view or query is a single SELECT"
                .into(),
        }),
    }
}

fn parse_error(e: datafusion::error::DataFusionError, path: &Path) -> Error {
    let message = e.find_root().to_string();
    // sqlparser reports positions as "at Line: 3, Column: 7".
    let line = message
        .split("Line: ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(1);
    Error::SqlFile {
        file: path.to_path_buf(),
        line,
        message: message
            .trim_start_matches("SQL error: ")
            .trim_start_matches("ParserError(\"")
            .trim_end_matches("\")")
            .to_string(),
    }
}

/// The 1-based line where `word` first stands as a whole identifier outside `--` comments.
pub fn first_line_mentioning(sql: &str, word: &str) -> usize {
    let word = word.to_ascii_lowercase();
    for (index, line) in sql.lines().enumerate() {
        let code = line.split("--").next().unwrap_or("").to_ascii_lowercase();
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        if code
            .split(|c: char| !is_ident(c))
            .any(|token| token == word)
        {
            return index + 1;
        }
    }
    1
}

/// The description of a SQL file: its leading `--` comment lines, joined.
pub(crate) fn header_description(sql: &str) -> String {
    sql.lines()
        .map(str::trim)
        .take_while(|line| line.starts_with("--"))
        .map(|line| line.trim_start_matches('-').trim())
        .take_while(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Splits `name@vN` into its name and optional version.
pub fn parse_reference(reference: &str) -> Result<(&str, Option<u32>)> {
    match reference.split_once('@') {
        None => Ok((reference, None)),
        Some((name, version)) => {
            let number = version
                .strip_prefix('v')
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "`{reference}`: a version is written `@v<N>`, for example `{name}@v1`"
                    ))
                })?;
            Ok((name, Some(number)))
        }
    }
}

fn split_versioned_relation(relation: &str) -> Option<(&str, u32)> {
    let (name, version) = relation.rsplit_once("_v")?;
    Some((name, version.parse().ok()?))
}

fn parse_version_file_name(file_name: &str) -> Option<u32> {
    file_name
        .strip_suffix(".sql")?
        .strip_prefix('v')?
        .parse()
        .ok()
        .filter(|v| *v > 0)
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(dir, e))?;
    paths.sort();
    Ok(paths)
}

fn read_to_string(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_name_and_version() {
        assert_eq!(parse_reference("a").unwrap(), ("a", None));
        assert_eq!(parse_reference("a@v2").unwrap(), ("a", Some(2)));
        assert!(matches!(parse_reference("a@2"), Err(Error::Usage(_))));
        assert!(matches!(parse_reference("a@vx"), Err(Error::Usage(_))));
    }

    #[test]
    fn version_file_names() {
        assert_eq!(parse_version_file_name("v1.sql"), Some(1));
        assert_eq!(parse_version_file_name("v12.sql"), Some(12));
        assert_eq!(parse_version_file_name("v0.sql"), None);
        assert_eq!(parse_version_file_name("latest.sql"), None);
    }

    #[test]
    fn versioned_relations() {
        assert_eq!(
            split_versioned_relation("yoy_growth_v3"),
            Some(("yoy_growth", 3))
        );
        assert_eq!(split_versioned_relation("yoy_growth"), None);
    }

    #[test]
    fn description_is_the_leading_comment() {
        let sql = "-- Budget execution.\n-- One row per item.\n\n-- not this\nSELECT 1";
        assert_eq!(
            header_description(sql),
            "Budget execution. One row per item."
        );
    }

    #[test]
    fn relations_skip_ctes_and_report_lines() {
        let sql = "-- uses ledger\nWITH x AS (SELECT * FROM ledger)\nSELECT * FROM x\nJOIN item USING (item_code)";
        let relations = sql_relations(sql, Path::new("v1.sql")).unwrap();
        assert_eq!(
            relations,
            vec![
                Relation {
                    name: "item".into(),
                    line: 4
                },
                Relation {
                    name: "ledger".into(),
                    line: 2
                },
            ]
        );
    }

    #[test]
    fn parse_errors_carry_the_line() {
        let err = parse_single_statement("SELECT 1\nFROM t\nWHERE x = = 2", Path::new("v1.sql"))
            .unwrap_err();
        match err {
            Error::SqlFile { line, .. } => assert_eq!(line, 3),
            other => panic!("unexpected {other}"),
        }
    }
}
