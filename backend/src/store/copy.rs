//! Copying everything from one database into another (`tandem migrate`):
//! SQLite to PostgreSQL when a team outgrows one server, or back.
//!
//! Both sides are migrated to the same schema first (by `Store::connect`),
//! so the target's tables and column types say what to copy. Tables go in
//! the order their foreign keys need, rows of a table that refers to itself
//! parents first, each table streamed from the source, all of it in one
//! transaction on the target: a failure leaves the target as it was.
//! Afterwards every table's rows are counted on both sides.

use super::{Backend, Store, StoreError};
use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{Acquire, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

/// Rows per INSERT; well inside both databases' limits on bound values.
const ROWS_PER_INSERT: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the target database already holds data (table `{table}` has {rows} rows); migrate into an empty database")]
    TargetNotEmpty { table: String, rows: i64 },
    #[error("the source and the target are the same database")]
    SameDatabase,
    #[error("column `{table}.{column}` has type `{kind}`, which Tandem does not copy")]
    UnknownType {
        table: String,
        column: String,
        kind: String,
    },
    #[error(
        "the foreign keys of {0} refer to each other in a circle; they cannot be copied in order"
    )]
    Circular(String),
    #[error("a row of `{table}` could not be read: {source}")]
    Row { table: String, source: sqlx::Error },
    #[error(
        "after the copy `{table}` has {copied} rows in the target but {source_rows} in the source"
    )]
    CountDiffers {
        table: String,
        copied: i64,
        source_rows: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
}

#[derive(Debug, Clone)]
struct Table {
    name: String,
    columns: Vec<(String, Kind)>,
    /// Primary key columns, in order: the order rows are read in.
    key: Vec<String>,
    /// Tables its foreign keys refer to (itself included).
    refers_to: BTreeSet<String>,
    /// Its columns that refer to its own key (a parent row).
    self_refs: Vec<String>,
}

/// How many rows each table copied, in the order copied.
pub type Copied = Vec<(String, i64)>;

impl Store {
    /// Copies every table of `self` into `target`, which must be empty.
    pub async fn copy_into(&self, target: &Store) -> Result<Copied, CopyError> {
        if self.url() == target.url() {
            return Err(CopyError::SameDatabase);
        }
        let tables = target.tables().await?;
        for table in &tables {
            let rows = target.count_rows(&table.name).await?;
            if rows > 0 {
                return Err(CopyError::TargetNotEmpty {
                    table: table.name.clone(),
                    rows,
                });
            }
        }
        let order = copy_order(&tables)?;
        let mut conn = target.writer.acquire().await?;
        let mut tx = conn.begin().await?;
        let mut copied = Vec::new();
        for table in &order {
            let rows = self.copy_table(table, &mut tx).await?;
            copied.push((table.name.clone(), rows));
        }
        tx.commit().await?;
        for (name, rows) in &copied {
            let source_rows = self.count_rows(name).await?;
            let in_target = target.count_rows(name).await?;
            if in_target != source_rows || *rows != source_rows {
                return Err(CopyError::CountDiffers {
                    table: name.clone(),
                    copied: in_target,
                    source_rows,
                });
            }
        }
        Ok(copied)
    }

    async fn count_rows(&self, table: &str) -> Result<i64, StoreError> {
        let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {}", quoted(table)))
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")?)
    }

    /// Streams one table's rows into the target's transaction.
    async fn copy_table(
        &self,
        table: &Table,
        tx: &mut sqlx::AnyConnection,
    ) -> Result<i64, CopyError> {
        let names: Vec<&str> = table
            .columns
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        let columns = names
            .iter()
            .map(|n| quoted(n))
            .collect::<Vec<_>>()
            .join(", ");
        let order = if table.key.is_empty() {
            columns.clone()
        } else {
            table
                .key
                .iter()
                .map(|k| quoted(k))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let select = format!(
            "SELECT {columns} FROM {} ORDER BY {order}",
            quoted(&table.name)
        );
        let mut count = 0i64;
        if table.self_refs.is_empty() {
            let mut rows = sqlx::query(&select).fetch(&self.pool);
            let mut batch = Vec::with_capacity(ROWS_PER_INSERT);
            while let Some(row) = rows.try_next().await.map_err(|source| CopyError::Row {
                table: table.name.clone(),
                source,
            })? {
                batch.push(values_of(table, &row)?);
                if batch.len() == ROWS_PER_INSERT {
                    count += insert(tx, table, &batch).await?;
                    batch.clear();
                }
            }
            count += insert(tx, table, &batch).await?;
        } else {
            // Parents before the rows that name them: the whole table in
            // memory (tasks, which a team counts in thousands, not millions).
            let rows = sqlx::query(&select).fetch_all(&self.pool).await?;
            let values: Vec<Vec<Value>> = rows
                .iter()
                .map(|row| values_of(table, row))
                .collect::<Result<_, _>>()?;
            for chunk in parents_first(table, values).chunks(ROWS_PER_INSERT) {
                count += insert(tx, table, chunk).await?;
            }
        }
        Ok(count)
    }

    /// Every table of Tandem's schema (not the migrations' own), with its
    /// columns, key and foreign keys.
    async fn tables(&self) -> Result<Vec<Table>, CopyError> {
        match self.backend {
            Backend::Postgres => self.postgres_tables().await,
            Backend::Sqlite => self.sqlite_tables().await,
        }
    }

    async fn postgres_tables(&self) -> Result<Vec<Table>, CopyError> {
        let columns = sqlx::query(
            "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS k \
             FROM information_schema.columns WHERE table_schema = current_schema() \
             ORDER BY table_name, ordinal_position",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut tables: BTreeMap<String, Table> = BTreeMap::new();
        for row in &columns {
            let name: String = row.try_get("t")?;
            if name.starts_with("_sqlx") {
                continue;
            }
            let column: String = row.try_get("c")?;
            let kind_text: String = row.try_get("k")?;
            let kind = match kind_text.as_str() {
                "bigint" | "integer" | "smallint" => Kind::Int,
                "text" | "character varying" => Kind::Text,
                _ => {
                    return Err(CopyError::UnknownType {
                        table: name,
                        column,
                        kind: kind_text,
                    })
                }
            };
            tables
                .entry(name.clone())
                .or_insert_with(|| Table::named(&name))
                .columns
                .push((column, kind));
        }
        let keys = sqlx::query(
            "SELECT k.table_name::text AS t, k.column_name::text AS c \
             FROM information_schema.table_constraints c \
             JOIN information_schema.key_column_usage k \
             ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema \
             WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema() \
             ORDER BY k.table_name, k.ordinal_position",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in &keys {
            let name: String = row.try_get("t")?;
            if let Some(table) = tables.get_mut(&name) {
                table.key.push(row.try_get("c")?);
            }
        }
        let foreign = sqlx::query(
            "SELECT k.table_name::text AS t, k.column_name::text AS c, u.table_name::text AS r \
             FROM information_schema.table_constraints c \
             JOIN information_schema.key_column_usage k \
             ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema \
             JOIN information_schema.constraint_column_usage u \
             ON u.constraint_name = c.constraint_name AND u.table_schema = c.table_schema \
             WHERE c.constraint_type = 'FOREIGN KEY' AND c.table_schema = current_schema()",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in &foreign {
            let name: String = row.try_get("t")?;
            let refers: String = row.try_get("r")?;
            if let Some(table) = tables.get_mut(&name) {
                if refers == name {
                    table.self_refs.push(row.try_get("c")?);
                }
                table.refers_to.insert(refers);
            }
        }
        Ok(tables.into_values().collect())
    }

    async fn sqlite_tables(&self) -> Result<Vec<Table>, CopyError> {
        let names = sqlx::query(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut tables = Vec::new();
        for row in &names {
            let name: String = row.try_get("name")?;
            let mut table = Table::named(&name);
            let columns =
                sqlx::query("SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid")
                    .bind(&name)
                    .fetch_all(&self.pool)
                    .await?;
            let mut key: Vec<(i64, String)> = Vec::new();
            for column in &columns {
                let column_name: String = column.try_get("name")?;
                let declared: String = column.try_get("type")?;
                let kind = if declared.to_ascii_uppercase().contains("INT") {
                    Kind::Int
                } else if declared.to_ascii_uppercase().contains("TEXT") {
                    Kind::Text
                } else {
                    return Err(CopyError::UnknownType {
                        table: name,
                        column: column_name,
                        kind: declared,
                    });
                };
                let pk: i64 = column.try_get("pk")?;
                if pk > 0 {
                    key.push((pk, column_name.clone()));
                }
                table.columns.push((column_name, kind));
            }
            key.sort();
            table.key = key.into_iter().map(|(_, column)| column).collect();
            let foreign = sqlx::query(
                "SELECT \"table\" AS r, \"from\" AS c FROM pragma_foreign_key_list($1)",
            )
            .bind(&name)
            .fetch_all(&self.pool)
            .await?;
            for row in &foreign {
                let refers: String = row.try_get("r")?;
                if refers == name {
                    table.self_refs.push(row.try_get("c")?);
                }
                table.refers_to.insert(refers);
            }
            tables.push(table);
        }
        Ok(tables)
    }
}

impl Table {
    fn named(name: &str) -> Table {
        Table {
            name: name.to_owned(),
            columns: Vec::new(),
            key: Vec::new(),
            refers_to: BTreeSet::new(),
            self_refs: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

fn values_of(table: &Table, row: &AnyRow) -> Result<Vec<Value>, CopyError> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| {
            let value = match kind {
                Kind::Int => row.try_get::<Option<i64>, _>(i).map(Value::Int),
                Kind::Text => row.try_get::<Option<String>, _>(i).map(Value::Text),
            };
            value.map_err(|source| CopyError::Row {
                table: table.name.clone(),
                source,
            })
        })
        .collect()
}

async fn insert(
    tx: &mut sqlx::AnyConnection,
    table: &Table,
    rows: &[Vec<Value>],
) -> Result<i64, CopyError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let width = table.columns.len();
    let columns = table
        .columns
        .iter()
        .map(|(name, _)| quoted(name))
        .collect::<Vec<_>>()
        .join(", ");
    let mut sql = format!("INSERT INTO {} ({columns}) VALUES ", quoted(&table.name));
    for r in 0..rows.len() {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            let _ = write!(sql, "${}", r * width + c + 1);
        }
        sql.push(')');
    }
    let mut query = sqlx::query(&sql);
    for row in rows {
        for value in row {
            query = match value {
                Value::Int(v) => query.bind(*v),
                Value::Text(v) => query.bind(v.clone()),
            };
        }
    }
    let done = query.execute(&mut *tx).await?;
    Ok(i64::try_from(done.rows_affected()).unwrap_or(i64::MAX))
}

/// Tables in an order where each comes after those its foreign keys name.
fn copy_order(tables: &[Table]) -> Result<Vec<Table>, CopyError> {
    let mut left: Vec<Table> = tables.to_vec();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut order = Vec::new();
    while !left.is_empty() {
        let before = left.len();
        let (ready, waiting): (Vec<Table>, Vec<Table>) = left.into_iter().partition(|table| {
            table
                .refers_to
                .iter()
                .all(|other| other == &table.name || done.contains(other))
        });
        for table in ready {
            done.insert(table.name.clone());
            order.push(table);
        }
        left = waiting;
        if left.len() == before {
            let names = left
                .iter()
                .map(|t| format!("`{}`", t.name))
                .collect::<Vec<_>>();
            return Err(CopyError::Circular(names.join(", ")));
        }
    }
    Ok(order)
}

/// A self-referring table's rows, each after the row it names. The key is
/// its first key column; a row naming a row that is not there keeps its
/// place at the end (the target's foreign key then says so).
fn parents_first(table: &Table, rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    let index = |name: &str| table.columns.iter().position(|(c, _)| c == name);
    let (Some(key), parents) = (
        table.key.first().and_then(|k| index(k)),
        table
            .self_refs
            .iter()
            .filter_map(|c| index(c))
            .collect::<Vec<_>>(),
    ) else {
        return rows;
    };
    let id_of = |row: &Vec<Value>, at: usize| match &row[at] {
        Value::Text(Some(text)) => Some(text.clone()),
        Value::Int(Some(n)) => Some(n.to_string()),
        _ => None,
    };
    let present: HashMap<String, ()> = rows
        .iter()
        .filter_map(|row| id_of(row, key).map(|id| (id, ())))
        .collect();
    let mut placed: BTreeSet<String> = BTreeSet::new();
    let mut left = rows;
    let mut order = Vec::new();
    loop {
        let before = left.len();
        let (ready, waiting): (Vec<_>, Vec<_>) = left.into_iter().partition(|row| {
            parents.iter().all(|&p| match id_of(row, p) {
                None => true,
                Some(parent) => placed.contains(&parent) || !present.contains_key(&parent),
            })
        });
        for row in ready {
            if let Some(id) = id_of(&row, key) {
                placed.insert(id);
            }
            order.push(row);
        }
        left = waiting;
        if left.is_empty() || left.len() == before {
            order.extend(left);
            return order;
        }
    }
}

/// A name as SQL quotes it (both databases take double quotes).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, refers: &[&str]) -> Table {
        let mut t = Table::named(name);
        t.refers_to = refers.iter().map(|r| r.to_string()).collect();
        t
    }

    #[test]
    fn tables_come_after_what_they_refer_to() {
        let order = copy_order(&[
            table("events", &["sessions"]),
            table("sessions", &["assistants"]),
            table("tasks", &["tasks", "assistants"]),
            table("assistants", &[]),
        ])
        .unwrap();
        let names: Vec<&str> = order.iter().map(|t| t.name.as_str()).collect();
        let at = |n: &str| names.iter().position(|x| *x == n).unwrap();
        assert!(at("assistants") < at("sessions"));
        assert!(at("sessions") < at("events"));
        assert!(at("assistants") < at("tasks"));
        let circle = copy_order(&[table("a", &["b"]), table("b", &["a"])]);
        assert!(matches!(circle, Err(CopyError::Circular(names)) if names == "`a`, `b`"));
    }

    #[test]
    fn children_follow_their_parents() {
        let mut tasks = Table::named("tasks");
        tasks.columns = vec![("id".into(), Kind::Text), ("parent_id".into(), Kind::Text)];
        tasks.key = vec!["id".into()];
        tasks.self_refs = vec!["parent_id".into()];
        let row = |id: &str, parent: Option<&str>| {
            vec![
                Value::Text(Some(id.into())),
                Value::Text(parent.map(str::to_owned)),
            ]
        };
        let ordered = parents_first(
            &tasks,
            vec![
                row("c", Some("b")),
                row("b", Some("a")),
                row("a", None),
                row("x", Some("gone")),
            ],
        );
        let ids: Vec<_> = ordered
            .iter()
            .map(|r| match &r[0] {
                Value::Text(Some(id)) => id.clone(),
                _ => String::new(),
            })
            .collect();
        assert_eq!(ids, ["a", "x", "b", "c"]);
    }

    #[test]
    fn names_are_quoted() {
        assert_eq!(quoted("events"), "\"events\"");
        assert_eq!(quoted("a\"b"), "\"a\"\"b\"");
    }
}
