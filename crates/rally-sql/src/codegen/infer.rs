//! Type and nullability inference over the parsed statement.
//!
//! Result columns: column references take the declared type and nullability of the schema
//! column (or CTE / derived-table column), made nullable when their table is on the outer side
//! of a join that no top-level `WHERE` predicate reduces; expressions follow the rules in
//! `docs/sql.md` (aggregates, `COALESCE`, `CASE`, `CAST`, scalar subqueries, …).
//!
//! Parameters: a parameter takes the type of what it is compared with, assigned to, inserted
//! into or cast to. Read positions are non-null; write positions (`INSERT` values, `UPDATE …
//! SET`) follow the target column; `:p IS NULL` and a non-last `COALESCE` argument make it
//! nullable.

use std::collections::HashMap;

use sqlparser::ast::{
    AssignmentTarget, BinaryOperator, Delete, Expr, FromTable, Function, FunctionArg,
    FunctionArgExpr, FunctionArguments, GroupByExpr, InTarget, Insert, JoinConstraint,
    JoinOperator, LimitClause, ObjectName, ObjectNamePart, OnConflictAction, OnInsert, Query,
    Select, SelectItem, SelectItemQualifiedWildcardKind, SetExpr, Spanned, Statement, TableFactor,
    TableObject, TableWithJoins, UnaryOperator, Update, UpdateTableFromKind, Value,
};

use super::schema::{Schema, SqlType, Ty};

/// One output column before naming: the inferred type and the name the analyser saw (SQLite's
/// own column names are used for the generated fields).
#[derive(Debug, Clone, PartialEq)]
pub struct OutCol {
    /// The column or alias name, when there is one.
    pub name: Option<String>,
    /// Inferred type.
    pub ty: Ty,
}

/// What the statement's uses say about one parameter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParamEvidence {
    /// The first concrete type seen.
    pub ty: Option<SqlType>,
    /// A position accepts NULL.
    pub nullable: bool,
    /// 1-based line and column of the first use.
    pub location: Option<(u64, u64)>,
    /// The column it is first compared with or written to (names anonymous parameters).
    pub column: Option<String>,
}

/// The analysis of one statement.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// Result columns (empty for statements that return no rows).
    pub columns: Vec<OutCol>,
    /// Evidence per placeholder, keyed by the placeholder as written (`:id`).
    pub params: HashMap<String, ParamEvidence>,
}

/// Analyses `statement` against `schema`.
pub fn analyse(schema: &Schema, statement: &Statement) -> Analysis {
    let mut a = Analyser {
        schema,
        ctes: Vec::new(),
        params: HashMap::new(),
    };
    let columns = a.statement(statement);
    Analysis {
        columns,
        params: a.params,
    }
}

/// A relation in a `FROM` clause.
#[derive(Debug, Clone)]
struct Rel {
    /// Lowercase alias (or table name).
    alias: String,
    columns: Vec<(String, Ty)>,
    /// On the nullable side of an outer join.
    outer_null: bool,
    /// Columns unknown (table-valued function): any name resolves to a nullable `Value`.
    open: bool,
}

#[derive(Default)]
struct Scope<'p> {
    rels: Vec<Rel>,
    parent: Option<&'p Scope<'p>>,
}

impl Scope<'_> {
    fn resolve(&self, qualifier: Option<&str>, column: &str) -> Option<Ty> {
        let column = column.to_lowercase();
        let wanted = |rel: &&Rel| qualifier.is_none_or(|q| q.to_lowercase() == rel.alias);
        for rel in self.rels.iter().filter(wanted) {
            if let Some((_, ty)) = rel
                .columns
                .iter()
                .find(|(name, _)| name.to_lowercase() == column)
            {
                return Some(ty.or_null(rel.outer_null));
            }
            if !rel.open && matches!(column.as_str(), "rowid" | "oid" | "_rowid_") {
                return Some(Ty::not_null(SqlType::Integer).or_null(rel.outer_null));
            }
        }
        if self
            .rels
            .iter()
            .filter(wanted)
            .any(|rel| rel.open || qualifier.is_some())
        {
            return Some(Ty::nullable(SqlType::Value));
        }
        self.parent.and_then(|p| p.resolve(qualifier, &column))
    }

    fn rel_mut(&mut self, qualifier: Option<&str>, column: &str) -> Option<&mut Rel> {
        let column = column.to_lowercase();
        self.rels.iter_mut().find(|rel| match qualifier {
            Some(q) => q.to_lowercase() == rel.alias,
            None => rel
                .columns
                .iter()
                .any(|(name, _)| name.to_lowercase() == column),
        })
    }
}

struct Analyser<'s> {
    schema: &'s Schema,
    /// Common table expressions in scope, innermost last.
    ctes: Vec<(String, Vec<(String, Ty)>)>,
    params: HashMap<String, ParamEvidence>,
}

/// The placeholder an expression is (looking through parentheses), as its key in
/// [`Analysis::params`], with its position.
fn placeholder(e: &Expr) -> Option<(String, (u64, u64))> {
    match e {
        Expr::Nested(inner) => placeholder(inner),
        Expr::Value(v) => match &v.value {
            Value::Placeholder(p) => {
                let location = (v.span.start.line, v.span.start.column);
                let key = if p == "?" {
                    anonymous_key(location)
                } else {
                    p.clone()
                };
                Some((key, location))
            }
            _ => None,
        },
        _ => None,
    }
}

/// `e` without the casts around it (`:p::text` → `:p`).
fn uncast(e: &Expr) -> &Expr {
    match e {
        Expr::Cast { expr, .. } => uncast(expr),
        Expr::Nested(inner) => uncast(inner),
        other => other,
    }
}

/// The key of an anonymous `?` in [`Analysis::params`]: each occurrence is its own parameter,
/// told apart by its 1-based line and column.
pub fn anonymous_key((line, column): (u64, u64)) -> String {
    format!("?@{line}:{column}")
}

/// The column a parameter is compared with or written to, which names an anonymous one.
fn column_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Nested(inner) => column_name(inner),
        Expr::Identifier(ident) => Some(ident.value.as_str()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|p| p.value.as_str()),
        _ => None,
    }
}

fn last_ident(name: &ObjectName) -> String {
    match name.0.last() {
        Some(ObjectNamePart::Identifier(ident)) => ident.value.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn function_args(f: &Function) -> Vec<&Expr> {
    match &f.args {
        FunctionArguments::List(list) => list
            .args
            .iter()
            .filter_map(|arg| match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e))
                | FunctionArg::Named {
                    arg: FunctionArgExpr::Expr(e),
                    ..
                }
                | FunctionArg::ExprNamed {
                    arg: FunctionArgExpr::Expr(e),
                    ..
                } => Some(e),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn is_comparison(op: &BinaryOperator) -> bool {
    use BinaryOperator as B;
    matches!(
        op,
        B::Eq
            | B::NotEq
            | B::Lt
            | B::Gt
            | B::LtEq
            | B::GtEq
            | B::Spaceship
            | B::Glob
            | B::Match
            | B::Regexp
            | B::Is
            | B::IsNot
    )
}

/// The common type of two branch types (`None` when they disagree).
/// The type every one of `types` fits (`Value` when they disagree or there are none).
fn common_of(types: &[Ty]) -> SqlType {
    types
        .iter()
        .map(|t| t.ty)
        .reduce(|a, b| common(a, b).unwrap_or(SqlType::Value))
        .unwrap_or(SqlType::Value)
}

fn common(a: SqlType, b: SqlType) -> Option<SqlType> {
    match (a, b) {
        _ if a == b => Some(a),
        (SqlType::Integer, SqlType::Real) | (SqlType::Real, SqlType::Integer) => {
            Some(SqlType::Real)
        }
        _ => None,
    }
}

const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "total",
    "avg",
    "min",
    "max",
    "group_concat",
    "string_agg",
];

impl Analyser<'_> {
    fn note(&mut self, e: &Expr, ty: Option<SqlType>, nullable: bool) {
        if let Some((name, location)) = placeholder(e) {
            let entry = self.params.entry(name).or_default();
            entry.location.get_or_insert(location);
            if entry.ty.is_none() || entry.ty == Some(SqlType::Value) {
                entry.ty = ty.or(entry.ty);
            }
            entry.nullable |= nullable;
        }
    }

    /// A read position: the parameter gets `ty`'s type, non-null.
    fn hint_read(&mut self, e: &Expr, ty: Ty) {
        self.note(e, Some(ty.ty).filter(|t| *t != SqlType::Value), false);
    }

    /// A write position: the parameter follows the target column.
    fn hint_write(&mut self, e: &Expr, ty: Ty) {
        self.note(e, Some(ty.ty), ty.nullable);
    }

    /// Remembers that the parameter `e` meets `column` (first one wins).
    fn name_after(&mut self, e: &Expr, column: Option<&str>) {
        if let (Some((name, _)), Some(column)) = (placeholder(e), column) {
            let entry = self.params.entry(name).or_default();
            entry.column.get_or_insert_with(|| column.to_owned());
        }
    }

    // ----- statements -----

    fn statement(&mut self, statement: &Statement) -> Vec<OutCol> {
        match statement {
            Statement::Query(q) => self.query(q, None),
            Statement::Insert(insert) => self.insert(insert),
            Statement::Update(update) => self.update(update),
            Statement::Delete(delete) => self.delete(delete),
            _ => Vec::new(),
        }
    }

    fn table_rel(&self, name: &str, alias: Option<&str>) -> Rel {
        let key = name.to_lowercase();
        let alias = alias.map_or_else(|| key.clone(), str::to_lowercase);
        if let Some((_, columns)) = self.ctes.iter().rev().find(|(cte, _)| *cte == key) {
            return Rel {
                alias,
                columns: columns.clone(),
                outer_null: false,
                open: false,
            };
        }
        match self.schema.table(name) {
            Some(table) => Rel {
                alias,
                columns: table
                    .columns
                    .iter()
                    .map(|c| (c.name.clone(), c.ty))
                    .collect(),
                outer_null: false,
                open: false,
            },
            None => Rel {
                alias,
                columns: Vec::new(),
                outer_null: false,
                open: true,
            },
        }
    }

    fn insert(&mut self, insert: &Insert) -> Vec<OutCol> {
        let TableObject::TableName(name) = &insert.table else {
            return Vec::new();
        };
        let table_name = last_ident(name);
        let table = self.schema.table(&table_name).cloned();
        let targets: Vec<(String, Ty)> = match &table {
            Some(t) if insert.columns.is_empty() => t
                .columns
                .iter()
                .filter(|c| !c.generated)
                .map(|c| (c.name.clone(), c.ty.or_null(c.rowid_alias)))
                .collect(),
            Some(t) => insert
                .columns
                .iter()
                .map(|col| {
                    let col = last_ident(col);
                    let ty = t
                        .columns
                        .iter()
                        .find(|c| c.name.eq_ignore_ascii_case(&col))
                        .map_or(Ty::nullable(SqlType::Value), |c| {
                            c.ty.or_null(c.rowid_alias)
                        });
                    (col, ty)
                })
                .collect(),
            None => Vec::new(),
        };
        if let Some(source) = &insert.source {
            self.insert_source(source, &targets);
        }
        let alias = insert.table_alias.as_ref().map(|a| a.alias.value.clone());
        let mut scope = Scope::default();
        scope
            .rels
            .push(self.table_rel(&table_name, alias.as_deref()));
        if let Some(OnInsert::OnConflict(on_conflict)) = &insert.on
            && let OnConflictAction::DoUpdate(update) = &on_conflict.action
        {
            let mut excluded = self.table_rel(&table_name, Some("excluded"));
            excluded.alias = "excluded".into();
            scope.rels.push(excluded);
            for assignment in &update.assignments {
                self.assignment(&assignment.target, &assignment.value, &scope);
            }
            if let Some(selection) = &update.selection {
                self.expr(selection, &scope);
            }
            scope.rels.pop();
        }
        match &insert.returning {
            Some(items) => self.projection(items, &scope),
            None => Vec::new(),
        }
    }

    fn insert_source(&mut self, source: &Query, targets: &[(String, Ty)]) {
        match source.body.as_ref() {
            SetExpr::Values(values) => {
                let scope = Scope::default();
                for row in &values.rows {
                    for (i, e) in row.content.iter().enumerate() {
                        match targets.get(i) {
                            Some((column, target)) if placeholder(e).is_some() => {
                                self.hint_write(e, *target);
                                self.name_after(e, Some(column));
                            }
                            Some((_, target)) => {
                                self.expr_expect(e, &scope, *target);
                            }
                            None => {
                                self.expr(e, &scope);
                            }
                        }
                    }
                }
            }
            SetExpr::Select(select) => {
                for (i, item) in select.projection.iter().enumerate() {
                    let e = match item {
                        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
                        _ => continue,
                    };
                    if let (Some((column, target)), Some(_)) = (targets.get(i), placeholder(e)) {
                        self.hint_write(e, *target);
                        self.name_after(e, Some(column));
                    }
                }
                self.query(source, None);
            }
            _ => {
                self.query(source, None);
            }
        }
    }

    fn assignment(&mut self, target: &AssignmentTarget, value: &Expr, scope: &Scope) {
        let AssignmentTarget::ColumnName(column) = target else {
            self.expr(value, scope);
            return;
        };
        let column = last_ident(column);
        let ty = scope
            .rels
            .first()
            .and_then(|rel| {
                rel.columns
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(&column))
            })
            .map_or(Ty::nullable(SqlType::Value), |(_, ty)| *ty);
        if placeholder(value).is_some() {
            self.hint_write(value, ty);
            self.name_after(value, Some(&column));
        } else {
            self.expr_expect(value, scope, ty);
        }
    }

    fn update(&mut self, update: &Update) -> Vec<OutCol> {
        let mut scope = Scope::default();
        self.join_tree(&update.table, &mut scope);
        if let Some(from) = &update.from {
            let (UpdateTableFromKind::BeforeSet(tables) | UpdateTableFromKind::AfterSet(tables)) =
                from;
            for twj in tables {
                self.join_tree(twj, &mut scope);
            }
        }
        for assignment in &update.assignments {
            self.assignment(&assignment.target, &assignment.value, &scope);
        }
        if let Some(selection) = &update.selection {
            self.expr(selection, &scope);
        }
        if let Some(limit) = &update.limit {
            self.expr_expect(limit, &scope, Ty::not_null(SqlType::Integer));
        }
        match &update.returning {
            Some(items) => {
                scope.rels.truncate(1);
                self.projection(items, &scope)
            }
            None => Vec::new(),
        }
    }

    fn delete(&mut self, delete: &Delete) -> Vec<OutCol> {
        let mut scope = Scope::default();
        let (FromTable::WithFromKeyword(tables) | FromTable::WithoutKeyword(tables)) = &delete.from;
        for twj in tables {
            self.join_tree(twj, &mut scope);
        }
        if let Some(selection) = &delete.selection {
            self.expr(selection, &scope);
        }
        if let Some(limit) = &delete.limit {
            self.expr_expect(limit, &scope, Ty::not_null(SqlType::Integer));
        }
        match &delete.returning {
            Some(items) => self.projection(items, &scope),
            None => Vec::new(),
        }
    }

    // ----- queries -----

    fn query(&mut self, q: &Query, outer: Option<&Scope>) -> Vec<OutCol> {
        let pushed = self.ctes.len();
        if let Some(with) = &q.with {
            for cte in &with.cte_tables {
                let name = cte.alias.name.value.to_lowercase();
                let explicit: Vec<String> = cte
                    .alias
                    .columns
                    .iter()
                    .map(|c| c.name.value.clone())
                    .collect();
                if with.recursive
                    && let SetExpr::SetOperation { left, .. } = cte.query.body.as_ref()
                {
                    // The anchor defines the columns the recursive part refers to.
                    let anchor = self.set_expr(left, outer);
                    self.ctes.push((name.clone(), named(&explicit, &anchor)));
                    let full = self.query(&cte.query, outer);
                    self.ctes.pop();
                    self.ctes.push((name, named(&explicit, &full)));
                } else {
                    let cols = self.query(&cte.query, outer);
                    self.ctes.push((name, named(&explicit, &cols)));
                }
            }
        }
        let cols = self.set_expr(&q.body, outer);
        if let Some(limit) = &q.limit_clause {
            let scope = Scope::default();
            let int = Ty::not_null(SqlType::Integer);
            match limit {
                LimitClause::LimitOffset { limit, offset, .. } => {
                    if let Some(l) = limit {
                        self.expr_expect(l, &scope, int);
                    }
                    if let Some(o) = offset {
                        self.expr_expect(&o.value, &scope, int);
                    }
                }
                LimitClause::OffsetCommaLimit { offset, limit } => {
                    self.expr_expect(offset, &scope, int);
                    self.expr_expect(limit, &scope, int);
                }
            }
        }
        self.ctes.truncate(pushed);
        cols
    }

    fn set_expr(&mut self, body: &SetExpr, outer: Option<&Scope>) -> Vec<OutCol> {
        match body {
            SetExpr::Select(select) => self.select(select, outer),
            SetExpr::Query(q) => self.query(q, outer),
            SetExpr::SetOperation { left, right, .. } => {
                let mut l = self.set_expr(left, outer);
                let r = self.set_expr(right, outer);
                for (lc, rc) in l.iter_mut().zip(&r) {
                    lc.ty = Ty {
                        ty: common(lc.ty.ty, rc.ty.ty).unwrap_or(SqlType::Value),
                        nullable: lc.ty.nullable || rc.ty.nullable,
                    };
                }
                l
            }
            SetExpr::Values(values) => {
                let scope = Scope::default();
                let mut cols: Vec<OutCol> = Vec::new();
                for row in &values.rows {
                    for (i, e) in row.content.iter().enumerate() {
                        let ty = self.expr(e, &scope);
                        match cols.get_mut(i) {
                            Some(col) => {
                                col.ty = Ty {
                                    ty: common(col.ty.ty, ty.ty).unwrap_or(SqlType::Value),
                                    nullable: col.ty.nullable || ty.nullable,
                                }
                            }
                            None => cols.push(OutCol {
                                name: Some(format!("column{}", i + 1)),
                                ty,
                            }),
                        }
                    }
                }
                cols
            }
            SetExpr::Insert(s) | SetExpr::Update(s) | SetExpr::Delete(s) => self.statement(s),
            _ => Vec::new(),
        }
    }

    fn join_tree(&mut self, twj: &TableWithJoins, scope: &mut Scope) {
        self.factor(&twj.relation, scope);
        for join in &twj.joins {
            let before = scope.rels.len();
            self.factor(&join.relation, scope);
            let (left_null, right_null, constraint) = match &join.join_operator {
                JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (false, true, Some(c)),
                JoinOperator::Right(c) | JoinOperator::RightOuter(c) => (true, false, Some(c)),
                JoinOperator::FullOuter(c) => (true, true, Some(c)),
                JoinOperator::Join(c) | JoinOperator::Inner(c) | JoinOperator::CrossJoin(c) => {
                    (false, false, Some(c))
                }
                _ => (false, false, None),
            };
            for (i, rel) in scope.rels.iter_mut().enumerate() {
                if (i < before && left_null) || (i >= before && right_null) {
                    rel.outer_null = true;
                }
            }
            if let Some(JoinConstraint::On(on)) = constraint {
                self.expr(on, scope);
            }
        }
    }

    fn factor(&mut self, factor: &TableFactor, scope: &mut Scope) {
        match factor {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                let alias = alias.as_ref().map(|a| a.name.value.clone());
                let mut rel = self.table_rel(&last_ident(name), alias.as_deref());
                if let Some(args) = args {
                    // A table-valued function such as json_each(:doc).
                    for arg in &args.args {
                        if let FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) = arg {
                            self.note(e, Some(SqlType::Text), false);
                            self.expr(e, scope);
                        }
                    }
                    rel.open = true;
                }
                scope.rels.push(rel);
            }
            TableFactor::Derived {
                subquery, alias, ..
            } => {
                let cols = self.query(subquery, scope.parent);
                let explicit: Vec<String> = alias
                    .as_ref()
                    .map(|a| a.columns.iter().map(|c| c.name.value.clone()).collect())
                    .unwrap_or_default();
                scope.rels.push(Rel {
                    alias: alias
                        .as_ref()
                        .map(|a| a.name.value.to_lowercase())
                        .unwrap_or_default(),
                    columns: named(&explicit, &cols),
                    outer_null: false,
                    open: false,
                });
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => self.join_tree(table_with_joins, scope),
            TableFactor::Function {
                name, args, alias, ..
            } => {
                for arg in args {
                    if let FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) = arg {
                        self.note(e, Some(SqlType::Text), false);
                    }
                }
                let alias = alias
                    .as_ref()
                    .map_or_else(|| last_ident(name), |a| a.name.value.clone());
                scope.rels.push(Rel {
                    alias: alias.to_lowercase(),
                    columns: Vec::new(),
                    outer_null: false,
                    open: true,
                });
            }
            _ => {}
        }
    }

    fn select(&mut self, select: &Select, outer: Option<&Scope>) -> Vec<OutCol> {
        let mut scope = Scope {
            rels: Vec::new(),
            parent: outer,
        };
        for twj in &select.from {
            self.join_tree(twj, &mut scope);
        }
        if let Some(selection) = &select.selection {
            self.expr(selection, &scope);
            reduce_outer_joins(selection, &mut scope);
        }
        if let GroupByExpr::Expressions(exprs, _) = &select.group_by {
            for e in exprs {
                self.expr(e, &scope);
            }
        }
        if let Some(having) = &select.having {
            self.expr(having, &scope);
        }
        self.projection(&select.projection, &scope)
    }

    fn projection(&mut self, items: &[SelectItem], scope: &Scope) -> Vec<OutCol> {
        let mut cols = Vec::new();
        for item in items {
            match item {
                SelectItem::UnnamedExpr(e) => {
                    let name = match e {
                        Expr::Identifier(ident) => Some(ident.value.clone()),
                        Expr::CompoundIdentifier(parts) => parts.last().map(|p| p.value.clone()),
                        _ => None,
                    };
                    cols.push(OutCol {
                        name,
                        ty: self.expr(e, scope),
                    });
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    cols.push(OutCol {
                        name: Some(alias.value.clone()),
                        ty: self.expr(expr, scope),
                    });
                }
                SelectItem::ExprWithAliases { expr, .. } => {
                    cols.push(OutCol {
                        name: None,
                        ty: self.expr(expr, scope),
                    });
                }
                SelectItem::Wildcard(_) => {
                    for rel in &scope.rels {
                        cols.extend(rel_columns(rel));
                    }
                }
                SelectItem::QualifiedWildcard(kind, _) => {
                    let qualifier = match kind {
                        SelectItemQualifiedWildcardKind::ObjectName(name) => {
                            last_ident(name).to_lowercase()
                        }
                        SelectItemQualifiedWildcardKind::Expr(e) => e.to_string().to_lowercase(),
                    };
                    if let Some(rel) = scope.rels.iter().find(|r| r.alias == qualifier) {
                        cols.extend(rel_columns(rel));
                    }
                }
            }
        }
        cols
    }

    // ----- expressions -----

    /// Infers `e`; a parameter in `e`'s place gets `expected` (read position).
    fn expr_expect(&mut self, e: &Expr, scope: &Scope, expected: Ty) -> Ty {
        if placeholder(e).is_some() {
            self.hint_read(e, expected);
        }
        self.expr(e, scope)
    }

    /// Two operands compared or combined: each parameter side takes the other side's type.
    fn pair(&mut self, l: &Expr, r: &Expr, scope: &Scope) -> (Ty, Ty) {
        let lt = self.expr(l, scope);
        let rt = self.expr(r, scope);
        if placeholder(l).is_some() && placeholder(r).is_none() {
            self.hint_read(l, rt);
            self.name_after(l, column_name(r));
        }
        if placeholder(r).is_some() && placeholder(l).is_none() {
            self.hint_read(r, lt);
            self.name_after(r, column_name(l));
        }
        (
            self.param_ty(l).unwrap_or(lt),
            self.param_ty(r).unwrap_or(rt),
        )
    }

    /// The type recorded so far for a parameter expression.
    fn param_ty(&self, e: &Expr) -> Option<Ty> {
        let (name, _) = placeholder(e)?;
        let evidence = self.params.get(&name)?;
        Some(Ty {
            ty: evidence.ty?,
            nullable: false,
        })
    }

    fn expr(&mut self, e: &Expr, scope: &Scope) -> Ty {
        use SqlType as T;
        match e {
            Expr::Identifier(ident) => scope
                .resolve(None, &ident.value)
                .unwrap_or(Ty::nullable(T::Value)),
            Expr::CompoundIdentifier(parts) => {
                let column = parts.last().map_or("", |p| p.value.as_str());
                let qualifier = parts
                    .len()
                    .checked_sub(2)
                    .and_then(|i| parts.get(i))
                    .map(|p| p.value.as_str());
                scope
                    .resolve(qualifier, column)
                    .unwrap_or(Ty::nullable(T::Value))
            }
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) => {
                    let real =
                        n.contains(['.', 'e', 'E']) && !n.starts_with("0x") && !n.starts_with("0X");
                    Ty::not_null(if real { T::Real } else { T::Integer })
                }
                Value::Boolean(_) => Ty::not_null(T::Bool),
                Value::Null => Ty::nullable(T::Value),
                Value::HexStringLiteral(_) => Ty::not_null(T::Blob),
                Value::Placeholder(_) => {
                    let (name, location) = placeholder(e).unzip();
                    let entry = self.params.entry(name.unwrap_or_default()).or_default();
                    if entry.location.is_none() {
                        entry.location = location;
                    }
                    Ty {
                        ty: entry.ty.unwrap_or(T::Value),
                        nullable: entry.nullable,
                    }
                }
                _ => Ty::not_null(T::Text),
            },
            Expr::Nested(inner) => self.expr(inner, scope),
            Expr::BinaryOp { left, op, right } => self.binary(left, op, right, scope),
            Expr::UnaryOp { op, expr } => {
                let ty = self.expr(expr, scope);
                match op {
                    UnaryOperator::Not | UnaryOperator::BangNot => Ty {
                        ty: T::Bool,
                        nullable: ty.nullable,
                    },
                    UnaryOperator::BitwiseNot => Ty {
                        ty: T::Integer,
                        nullable: ty.nullable,
                    },
                    _ => ty,
                }
            }
            Expr::IsNull(inner) => {
                // The optional-filter idiom `(:p IS NULL OR col = :p)`; Postgres needs the
                // parameter's type spelled out there (`:p::text IS NULL`).
                self.note(uncast(inner), None, true);
                self.expr(inner, scope);
                Ty::not_null(T::Bool)
            }
            Expr::IsNotNull(inner)
            | Expr::IsTrue(inner)
            | Expr::IsFalse(inner)
            | Expr::IsNotTrue(inner)
            | Expr::IsNotFalse(inner)
            | Expr::IsUnknown(inner)
            | Expr::IsNotUnknown(inner) => {
                self.expr(inner, scope);
                Ty::not_null(T::Bool)
            }
            Expr::IsDistinctFrom(l, r) | Expr::IsNotDistinctFrom(l, r) => {
                self.pair(l, r, scope);
                Ty::not_null(T::Bool)
            }
            Expr::In { expr, target, .. } => self.in_expr(expr, target, scope),
            Expr::Between {
                expr, low, high, ..
            } => {
                let (t, l) = self.pair(expr, low, scope);
                let (_, h) = self.pair(expr, high, scope);
                Ty {
                    ty: T::Bool,
                    nullable: t.nullable || l.nullable || h.nullable,
                }
            }
            Expr::Like {
                expr,
                pattern,
                escape_char,
                ..
            }
            | Expr::ILike {
                expr,
                pattern,
                escape_char,
                ..
            } => {
                let text = Ty::not_null(T::Text);
                let a = self.expr_expect(expr, scope, text);
                let b = self.expr_expect(pattern, scope, text);
                if let Some(escape) = escape_char {
                    self.expr_expect(escape, scope, text);
                }
                Ty {
                    ty: T::Bool,
                    nullable: a.nullable || b.nullable,
                }
            }
            Expr::Cast {
                expr, data_type, ..
            } => {
                let target = SqlType::from_declared(&data_type.to_string());
                self.note(expr, Some(target), false);
                let inner = self.expr(expr, scope);
                Ty {
                    ty: target,
                    nullable: inner.nullable,
                }
            }
            Expr::Collate { expr, .. } => self.expr(expr, scope),
            Expr::Function(f) => self.function(f, scope),
            Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.case(
                operand.as_deref(),
                conditions,
                else_result.as_deref(),
                scope,
            ),
            Expr::Exists { subquery, .. } => {
                self.query(subquery, Some(scope));
                Ty::not_null(T::Bool)
            }
            Expr::Subquery(q) => {
                let cols = self.query(q, Some(scope));
                let ty = cols.first().map_or(Ty::nullable(T::Value), |c| c.ty);
                ty.or_null(!always_one_row(q))
            }
            Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let ty = self.expr(expr, scope);
                for e in [substring_from, substring_for].into_iter().flatten() {
                    self.expr_expect(e, scope, Ty::not_null(T::Integer));
                }
                Ty {
                    ty: T::Text,
                    nullable: ty.nullable,
                }
            }
            Expr::Trim {
                expr, trim_what, ..
            } => {
                let ty = self.expr_expect(expr, scope, Ty::not_null(T::Text));
                if let Some(what) = trim_what {
                    self.expr_expect(what, scope, Ty::not_null(T::Text));
                }
                Ty {
                    ty: T::Text,
                    nullable: ty.nullable,
                }
            }
            Expr::Tuple(items) => {
                for item in items {
                    self.expr(item, scope);
                }
                Ty::nullable(T::Value)
            }
            _ => Ty::nullable(T::Value),
        }
    }

    fn binary(&mut self, left: &Expr, op: &BinaryOperator, right: &Expr, scope: &Scope) -> Ty {
        use BinaryOperator as B;
        use SqlType as T;
        if is_comparison(op) {
            let (l, r) = self.pair(left, right, scope);
            let is_op = matches!(op, B::Is | B::IsNot);
            return Ty {
                ty: T::Bool,
                nullable: !is_op && (l.nullable || r.nullable),
            };
        }
        match op {
            B::And | B::Or | B::Xor => {
                let l = self.expr(left, scope);
                let r = self.expr(right, scope);
                Ty {
                    ty: T::Bool,
                    nullable: l.nullable || r.nullable,
                }
            }
            B::StringConcat => {
                let text = Ty::not_null(T::Text);
                let l = self.expr_expect(left, scope, text);
                let r = self.expr_expect(right, scope, text);
                Ty {
                    ty: T::Text,
                    nullable: l.nullable || r.nullable,
                }
            }
            B::Plus | B::Minus | B::Multiply | B::Divide | B::Modulo => {
                let (l, r) = self.pair(left, right, scope);
                let ty = match (l.ty, r.ty) {
                    _ if *op == B::Modulo => T::Integer,
                    (T::Integer, T::Integer) => T::Integer,
                    (a, b) if a.is_numeric() && b.is_numeric() => T::Real,
                    (a, T::Value) if a.is_numeric() => a,
                    (T::Value, b) if b.is_numeric() => b,
                    _ => T::Value,
                };
                Ty {
                    ty,
                    nullable: l.nullable || r.nullable,
                }
            }
            B::BitwiseAnd | B::BitwiseOr | B::PGBitwiseShiftLeft | B::PGBitwiseShiftRight => {
                let int = Ty::not_null(T::Integer);
                let l = self.expr_expect(left, scope, int);
                let r = self.expr_expect(right, scope, int);
                Ty {
                    ty: T::Integer,
                    nullable: l.nullable || r.nullable,
                }
            }
            B::Arrow => {
                self.expr(left, scope);
                self.expr_expect(right, scope, Ty::not_null(T::Text));
                Ty::nullable(T::Text)
            }
            _ => {
                self.expr(left, scope);
                self.expr(right, scope);
                Ty::nullable(T::Value)
            }
        }
    }

    fn in_expr(&mut self, expr: &Expr, target: &InTarget, scope: &Scope) -> Ty {
        let t = self.expr(expr, scope);
        let mut nullable = t.nullable;
        match target {
            InTarget::List(items) => {
                for item in items {
                    let (_, it) = self.pair(expr, item, scope);
                    nullable |= it.nullable;
                }
            }
            InTarget::Subquery(q) => {
                let cols = self.query(q, Some(scope));
                if let Some(col) = cols.first() {
                    self.hint_read(expr, col.ty);
                    nullable |= col.ty.nullable;
                }
            }
            _ => {}
        }
        Ty {
            ty: SqlType::Bool,
            nullable,
        }
    }

    fn case(
        &mut self,
        operand: Option<&Expr>,
        conditions: &[sqlparser::ast::CaseWhen],
        else_result: Option<&Expr>,
        scope: &Scope,
    ) -> Ty {
        let operand_ty = operand.map(|o| self.expr(o, scope));
        for when in conditions {
            match (operand, operand_ty) {
                (Some(o), Some(_)) => {
                    self.pair(o, &when.condition, scope);
                }
                _ => {
                    self.expr(&when.condition, scope);
                }
            }
        }
        let results: Vec<&Expr> = conditions
            .iter()
            .map(|w| &w.result)
            .chain(else_result)
            .collect();
        let mut types = Vec::with_capacity(results.len());
        for r in &results {
            types.push(self.expr(r, scope));
        }
        let mut ty: Option<SqlType> = None;
        let mut mixed = false;
        for (r, t) in results.iter().zip(&types) {
            if placeholder(r).is_some()
                || (t.ty == SqlType::Value && t.nullable && matches!(r, Expr::Value(_)))
            {
                continue;
            }
            ty = match ty {
                None => Some(t.ty),
                Some(prev) => match common(prev, t.ty) {
                    Some(c) => Some(c),
                    None => {
                        mixed = true;
                        Some(prev)
                    }
                },
            };
        }
        let ty = if mixed {
            SqlType::Value
        } else {
            ty.unwrap_or(SqlType::Value)
        };
        for r in &results {
            if placeholder(r).is_some() {
                self.hint_read(r, Ty::not_null(ty));
            }
        }
        let nullable = else_result.is_none() || types.iter().any(|t| t.nullable);
        Ty { ty, nullable }
    }

    fn function(&mut self, f: &Function, scope: &Scope) -> Ty {
        use SqlType as T;
        let name = last_ident(&f.name).to_lowercase();
        let args = function_args(f);
        if let Some(filter) = &f.filter {
            self.expr(filter, scope);
        }
        if let FunctionArguments::Subquery(q) = &f.args {
            self.query(q, Some(scope));
        }
        let any_null = |types: &[Ty]| types.iter().any(|t| t.nullable);
        match name.as_str() {
            "coalesce" | "ifnull" => {
                let types: Vec<Ty> = args.iter().map(|a| self.expr(a, scope)).collect();
                let ty = types
                    .iter()
                    .zip(&args)
                    .find(|(t, a)| t.ty != T::Value && placeholder(a).is_none())
                    .map_or(T::Value, |(t, _)| t.ty);
                let mut nullable = true;
                for (i, (a, t)) in args.iter().zip(&types).enumerate() {
                    let last = i + 1 == args.len();
                    if placeholder(a).is_some() {
                        self.note(a, Some(ty).filter(|t| *t != T::Value), !last);
                        nullable &= !last;
                    } else {
                        nullable &= t.nullable;
                    }
                }
                Ty { ty, nullable }
            }
            "nullif" => {
                let types: Vec<Ty> = args.iter().map(|a| self.expr(a, scope)).collect();
                if let [a, b] = args.as_slice() {
                    self.pair(a, b, scope);
                }
                Ty::nullable(types.first().map_or(T::Value, |t| t.ty))
            }
            "iif" | "if" => {
                let types: Vec<Ty> = args.iter().map(|a| self.expr(a, scope)).collect();
                let branches = types.get(1..).unwrap_or(&[]);
                Ty {
                    ty: common_of(branches),
                    nullable: any_null(branches) || branches.len() < 2,
                }
            }
            "count" => {
                self.args(&args, scope);
                Ty::not_null(T::Integer)
            }
            "sum" => {
                let t = self
                    .args(&args, scope)
                    .first()
                    .copied()
                    .unwrap_or(Ty::nullable(T::Value));
                Ty::nullable(if t.ty == T::Integer || t.ty == T::Bool {
                    T::Integer
                } else {
                    T::Real
                })
            }
            "total" => {
                self.args(&args, scope);
                Ty::not_null(T::Real)
            }
            "avg" => {
                self.args(&args, scope);
                Ty::nullable(T::Real)
            }
            "min" | "max" if args.len() == 1 => {
                let t = self.args(&args, scope)[0];
                Ty::nullable(t.ty)
            }
            "min" | "max" => {
                let types = self.args(&args, scope);
                Ty {
                    ty: common_of(&types),
                    nullable: any_null(&types),
                }
            }
            "row_number" | "rank" | "dense_rank" | "ntile" | "changes" | "total_changes"
            | "last_insert_rowid" | "random" => {
                self.args(&args, scope);
                Ty::not_null(T::Integer)
            }
            "percent_rank" | "cume_dist" => Ty::not_null(T::Real),
            "lag" | "lead" | "first_value" | "last_value" | "nth_value" => {
                let t = self
                    .args(&args, scope)
                    .first()
                    .copied()
                    .unwrap_or(Ty::nullable(T::Value));
                Ty::nullable(t.ty)
            }
            "length" | "octet_length" | "instr" | "unicode" | "sign" => {
                let types = self.args(&args, scope);
                Ty {
                    ty: T::Integer,
                    nullable: any_null(&types),
                }
            }
            "abs" => {
                let types = self.args_expect(&args, scope, T::Real);
                types.first().copied().unwrap_or(Ty::nullable(T::Value))
            }
            "round" | "ceil" | "ceiling" | "floor" | "sqrt" | "pow" | "power" | "exp" | "ln"
            | "log" | "log10" | "log2" => {
                let types = self.args_expect(&args, scope, T::Real);
                Ty {
                    ty: T::Real,
                    nullable: any_null(&types),
                }
            }
            "lower" | "upper" | "trim" | "ltrim" | "rtrim" | "replace" | "substr" | "substring"
            | "hex" | "quote" | "char" | "printf" | "format" | "soundex" | "concat"
            | "concat_ws" | "unhex" => {
                let types = self.args_text(&name, &args, scope);
                let nullable = if name == "concat" {
                    false
                } else {
                    any_null(&types)
                };
                Ty {
                    ty: if name == "unhex" { T::Blob } else { T::Text },
                    nullable,
                }
            }
            "group_concat" | "string_agg" => {
                self.args_expect(&args, scope, T::Text);
                Ty::nullable(T::Text)
            }
            "typeof" | "sqlite_version" => {
                self.args(&args, scope);
                Ty::not_null(T::Text)
            }
            "date" | "time" | "datetime" | "julianday" | "unixepoch" | "strftime" | "timediff" => {
                let types = self.args_expect(&args, scope, T::Text);
                let ty = match name.as_str() {
                    "date" => T::Date,
                    "time" => T::Time,
                    "datetime" => T::DateTime,
                    "julianday" => T::Real,
                    "unixepoch" => T::Integer,
                    _ => T::Text,
                };
                // Invalid input gives NULL; literals and columns of date types are trusted.
                Ty {
                    ty,
                    nullable: any_null(&types),
                }
            }
            "json" | "json_array" | "json_object" | "json_insert" | "json_replace" | "json_set"
            | "json_remove" | "json_patch" | "json_quote" | "json_group_array"
            | "json_group_object" => {
                let types = self.args(&args, scope);
                let nullable = name.starts_with("json_group")
                    || name == "json_array"
                    || name == "json_object"
                    || name == "json_quote";
                Ty {
                    ty: T::Text,
                    nullable: !nullable && any_null(&types),
                }
            }
            "json_type" => {
                self.args_expect(&args, scope, T::Text);
                Ty::nullable(T::Text)
            }
            "json_valid" => {
                self.args(&args, scope);
                Ty::not_null(T::Bool)
            }
            "json_array_length" => {
                self.args_expect(&args, scope, T::Text);
                Ty::nullable(T::Integer)
            }
            "like" | "glob" => {
                self.args_expect(&args, scope, T::Text);
                Ty::nullable(T::Bool)
            }
            _ => {
                self.args(&args, scope);
                Ty::nullable(T::Value)
            }
        }
    }

    fn args(&mut self, args: &[&Expr], scope: &Scope) -> Vec<Ty> {
        args.iter().map(|a| self.expr(a, scope)).collect()
    }

    fn args_expect(&mut self, args: &[&Expr], scope: &Scope, ty: SqlType) -> Vec<Ty> {
        args.iter()
            .map(|a| self.expr_expect(a, scope, Ty::not_null(ty)))
            .collect()
    }

    fn args_text(&mut self, name: &str, args: &[&Expr], scope: &Scope) -> Vec<Ty> {
        args.iter()
            .enumerate()
            .map(|(i, a)| {
                let numeric = matches!(name, "substr" | "substring") && i > 0 || name == "char";
                let expected = if numeric {
                    SqlType::Integer
                } else {
                    SqlType::Text
                };
                self.expr_expect(a, scope, Ty::not_null(expected))
            })
            .collect()
    }
}

fn rel_columns(rel: &Rel) -> impl Iterator<Item = OutCol> + '_ {
    rel.columns.iter().map(|(name, ty)| OutCol {
        name: Some(name.clone()),
        ty: ty.or_null(rel.outer_null),
    })
}

/// Names output columns: explicit names first, then the columns' own names.
fn named(explicit: &[String], cols: &[OutCol]) -> Vec<(String, Ty)> {
    cols.iter()
        .enumerate()
        .map(|(i, c)| {
            let name = explicit
                .get(i)
                .cloned()
                .or_else(|| c.name.clone())
                .unwrap_or_else(|| format!("column{}", i + 1));
            (name, c.ty)
        })
        .collect()
}

/// A scalar subquery that always yields exactly one row: a single `SELECT` whose one column is
/// an aggregate, with no `GROUP BY`, `HAVING` or `LIMIT`.
fn always_one_row(q: &Query) -> bool {
    let SetExpr::Select(select) = q.body.as_ref() else {
        return false;
    };
    let no_group = matches!(&select.group_by, GroupByExpr::Expressions(e, _) if e.is_empty());
    let aggregate = match select.projection.as_slice() {
        [
            SelectItem::UnnamedExpr(Expr::Function(f))
            | SelectItem::ExprWithAlias {
                expr: Expr::Function(f),
                ..
            },
        ] => f.over.is_none() && AGGREGATES.contains(&last_ident(&f.name).to_lowercase().as_str()),
        _ => false,
    };
    (aggregate || select.from.is_empty())
        && no_group
        && select.having.is_none()
        && q.limit_clause.is_none()
}

/// Top-level `WHERE` conjuncts that reject NULL on an outer-joined table make it non-null:
/// `t.col = …` (any comparison), `t.col IS NOT NULL`, `t.col LIKE …`, `t.col IN (…)`,
/// `t.col BETWEEN …`.
fn reduce_outer_joins(selection: &Expr, scope: &mut Scope) {
    let mut conjuncts = Vec::new();
    flatten_and(selection, &mut conjuncts);
    for c in conjuncts {
        let columns: Vec<&Expr> = match c {
            Expr::BinaryOp { left, op, right }
                if is_comparison(op)
                    && !matches!(op, BinaryOperator::Is | BinaryOperator::IsNot) =>
            {
                vec![left, right]
            }
            Expr::IsNotNull(e) => vec![e],
            Expr::Like {
                expr, negated: _, ..
            }
            | Expr::In { expr, .. }
            | Expr::Between { expr, .. } => vec![expr],
            _ => Vec::new(),
        };
        for col in columns {
            let (qualifier, name) = match col {
                Expr::Identifier(i) => (None, i.value.as_str()),
                Expr::CompoundIdentifier(parts) if parts.len() >= 2 => (
                    Some(parts[parts.len() - 2].value.as_str()),
                    parts[parts.len() - 1].value.as_str(),
                ),
                _ => continue,
            };
            if let Some(rel) = scope.rel_mut(qualifier, name) {
                rel.outer_null = false;
            }
        }
    }
}

fn flatten_and<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            flatten_and(left, out);
            flatten_and(right, out);
        }
        Expr::Nested(inner) => flatten_and(inner, out),
        other => out.push(other),
    }
}

/// The position of an expression, for error messages.
pub fn location(e: &Expr) -> (u64, u64) {
    let span = e.span();
    (span.start.line, span.start.column)
}
