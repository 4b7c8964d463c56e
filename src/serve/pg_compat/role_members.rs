//! A recursive walk up role memberships from a role of `pg_roles` keeps just its start: pgAdmin
//! asks on connect whether the user may signal backends with
//! `ARRAY(WITH RECURSIVE cte AS (SELECT … FROM pg_roles WHERE pg_roles.oid = roles.oid UNION ALL
//! SELECT … FROM cte JOIN pg_auth_members m ON m.member = cte.oid JOIN pg_roles …) SELECT rolname
//! FROM cte)`, a recursive CTE correlated with the outer row, which DataFusion 55 cannot plan.
//! In fundq's catalog `pg_auth_members` only relates Postgres' built-in roles (`pg_monitor` and
//! its members), none of which is in `pg_roles` (its one role is `postgres`), so the recursive
//! step joins nothing and the CTE is its first term alone: `WITH cte AS (SELECT … FROM pg_roles
//! WHERE …)`, which plans.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::Statement;
use datafusion::sql::sqlparser::ast::{
    Query, SetExpr, SetOperator, SetQuantifier, TableFactor, TableWithJoins, VisitMut, VisitorMut,
};

use super::last_name;

/// Drops the membership step of such CTEs; true when it did.
pub fn rewrite(statement: &mut Statement) -> bool {
    struct Walks(bool);
    impl VisitorMut for Walks {
        type Break = ();
        fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
            let Some(with) = query.with.as_mut().filter(|w| w.recursive) else {
                return ControlFlow::Continue(());
            };
            let mut kept_start = false;
            for cte in &mut with.cte_tables {
                if let Some(start) = start_of_membership_walk(&cte.query.body) {
                    *cte.query.body = start;
                    kept_start = true;
                }
            }
            if kept_start && with.cte_tables.iter().all(|cte| !is_union(&cte.query.body)) {
                with.recursive = false;
            }
            self.0 |= kept_start;
            ControlFlow::Continue(())
        }
    }
    let mut walks = Walks(false);
    let _ = statement.visit(&mut walks);
    walks.0
}

/// The first term of `start UNION ALL step`, when `start` reads `pg_roles` and `step` reads
/// `pg_auth_members`.
fn start_of_membership_walk(body: &SetExpr) -> Option<SetExpr> {
    let SetExpr::SetOperation {
        op: SetOperator::Union,
        set_quantifier: SetQuantifier::All,
        left,
        right,
    } = body
    else {
        return None;
    };
    let (SetExpr::Select(start), SetExpr::Select(step)) = (left.as_ref(), right.as_ref()) else {
        return None;
    };
    let reads = |from: &[TableWithJoins], table: &str| {
        from.iter()
            .flat_map(|f| std::iter::once(&f.relation).chain(f.joins.iter().map(|j| &j.relation)))
            .any(|relation| matches!(relation, TableFactor::Table { name, .. } if last_name(name).as_deref() == Some(table)))
    };
    let only_pg_roles =
        start.from.len() == 1 && start.from[0].joins.is_empty() && reads(&start.from, "pg_roles");
    (only_pg_roles && reads(&step.from, "pg_auth_members")).then(|| left.as_ref().clone())
}

fn is_union(body: &SetExpr) -> bool {
    matches!(body, SetExpr::SetOperation { .. })
}

#[cfg(test)]
mod tests {
    use super::super::rewrite;

    #[test]
    fn pgadmins_membership_walk_keeps_its_start() {
        let sql = "SELECT CASE WHEN 'pg_signal_backend' = ANY(ARRAY(WITH RECURSIVE cte AS (\
             SELECT pg_roles.oid, pg_roles.rolname FROM pg_catalog.pg_roles WHERE pg_roles.oid = roles.oid \
             UNION ALL SELECT m.roleid, pgr.rolname FROM cte cte_1 \
             JOIN pg_catalog.pg_auth_members m ON m.member = cte_1.oid \
             JOIN pg_catalog.pg_roles pgr ON pgr.oid = m.roleid) SELECT rolname FROM cte)) \
             THEN true ELSE false END FROM pg_catalog.pg_roles AS roles";
        let rewritten = rewrite(sql);
        assert!(
            rewritten.contains("WITH cte AS (SELECT pg_roles.oid, pg_roles.rolname FROM pg_catalog.pg_roles WHERE pg_roles.oid = roles.oid)"),
            "{rewritten}"
        );
        assert!(!rewritten.contains("RECURSIVE") && !rewritten.contains("pg_auth_members"));
    }

    #[test]
    fn other_recursive_queries_pass_unchanged() {
        let sql = "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3) SELECT n FROM t";
        assert_eq!(rewrite(sql), sql);
    }
}
