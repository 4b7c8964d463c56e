//! `SHOW name` of a server-wide setting (`server_version`, `max_identifier_length`, …) reads
//! the row of fundq's `pg_settings`: `SELECT setting AS name FROM pg_catalog.pg_settings WHERE
//! name = 'name'`. datafusion-postgres answers `server_version` with its own name
//! (`datafusion 55.2.0 on datafusion-postgres 0.19.0`), not the version `version()` and the
//! catalog report, and answers names it does not know with an empty value (psqlODBC asks for
//! `max_identifier_length`). Settings a connection can change stay with datafusion-postgres,
//! which answers the connection's own value.

use datafusion::sql::sqlparser::ast::Statement;
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use super::super::pg_settings;

/// Turns a `SHOW` of a server-wide setting into a query; true when it did.
pub fn rewrite(statement: &mut Statement) -> bool {
    let Statement::ShowVariable { variable } = statement else {
        return false;
    };
    let [name] = variable.as_slice() else {
        return false;
    };
    if !pg_settings::is_server_wide(&name.value) {
        return false;
    }
    let name = name.value.to_ascii_lowercase();
    let query = format!(
        "SELECT setting AS \"{name}\" FROM pg_catalog.pg_settings WHERE lower(name) = '{name}'"
    );
    match Parser::parse_sql(&PostgreSqlDialect {}, &query) {
        Ok(mut parsed) if parsed.len() == 1 => {
            *statement = parsed.remove(0);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::rewrite;

    #[test]
    fn server_settings_are_read_from_pg_settings() {
        assert_eq!(
            rewrite("SHOW server_version"),
            "SELECT setting AS \"server_version\" FROM pg_catalog.pg_settings \
             WHERE lower(name) = 'server_version'"
        );
        assert_eq!(
            rewrite("show MAX_IDENTIFIER_LENGTH"),
            "SELECT setting AS \"max_identifier_length\" FROM pg_catalog.pg_settings \
             WHERE lower(name) = 'max_identifier_length'"
        );
    }

    #[test]
    fn connection_settings_stay_with_the_session() {
        for sql in [
            "SHOW search_path",
            "SHOW TimeZone",
            "SHOW transaction_isolation",
        ] {
            assert_eq!(rewrite(sql), sql);
        }
    }
}
