//! What the generated Postgres query functions run on: a connection that prepares each query
//! once and reuses the statement for every later call (docs/adr/0027).
//!
//! Why a cache at all: a statement sent with its types but no name (`query_typed`) is parsed
//! and planned by the server on every call. For the short queries a page runs, that made the
//! generated functions 1.6–1.8× slower than hand-written code that prepares once per connection
//! (`bench/sql`). A named statement costs one extra round trip on first use and nothing after.
//!
//! Why here and not on `postgres::Client`: the client has no room for a cache and
//! `GenericClient` is sealed, so the cache lives beside the client in [`Connection`], and a
//! [`Transaction`] borrows both. The generated functions take `&mut impl Executor`, which both
//! are — and so are a plain `postgres::Client` and `postgres::Transaction`, which run each call
//! as one unnamed round trip, for code that has no [`Connection`] at hand (a one-off script, a
//! test). `rally::postgres::PgDb` pools [`Connection`]s, so an app's handlers get the cache.
//!
//! Only `&'static str` SQL is cached: the cache holds at most one statement per query written
//! in the program, so nothing a request sends can make it grow.
//!
//! A cached statement goes stale when a migration changes what it reads (Postgres refuses it
//! with "cached plan must not change result type") or when something deallocates it (`DISCARD
//! ALL`). Either error drops the statement from the cache; outside a transaction the call is
//! prepared again and retried once, inside one the error is returned (the transaction is
//! aborted by then) and the next call prepares afresh.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};

use ::postgres::error::SqlState;
use ::postgres::types::{ToSql, Type};
use ::postgres::{Client, Error, GenericClient, Row, Statement};

/// A query's parameters with their Postgres types, as the generated functions pass them.
pub type Params<'a> = [(&'a (dyn ToSql + Sync), Type)];

/// Runs queries whose SQL is fixed at compile time: what generated query functions take.
///
/// [`Connection`] and [`Transaction`] prepare each query once per connection; a plain
/// `postgres::Client` or `postgres::Transaction` sends it unprepared every time.
pub trait Executor {
    /// Every row of the result.
    fn query_static(&mut self, sql: &'static str, params: &Params<'_>) -> Result<Vec<Row>, Error>;

    /// The result's only row; an error when there is none or more than one.
    fn query_one_static(&mut self, sql: &'static str, params: &Params<'_>) -> Result<Row, Error>;

    /// The result's row if there is one; an error when there is more than one.
    fn query_opt_static(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Option<Row>, Error>;

    /// Runs a statement; returns the number of rows it changed.
    fn execute_static(&mut self, sql: &'static str, params: &Params<'_>) -> Result<u64, Error>;
}

/// The prepared statements of one connection, by their SQL.
#[derive(Default)]
struct Statements(HashMap<&'static str, Statement>);

impl Statements {
    /// The statement for `sql`, prepared on `client` with the parameters' types on first use.
    fn get(
        &mut self,
        client: &mut impl GenericClient,
        sql: &'static str,
        params: &Params<'_>,
    ) -> Result<Statement, Error> {
        if let Some(statement) = self.0.get(sql) {
            // A `Statement` is a shared handle: cloning it copies a pointer.
            return Ok(statement.clone());
        }
        let types: Vec<Type> = params.iter().map(|(_, ty)| ty.clone()).collect();
        let statement = client.prepare_typed(sql, &types)?;
        self.0.insert(sql, statement.clone());
        Ok(statement)
    }

    /// Runs `sql` through its cached statement with `run`; see the module documentation for
    /// what happens when the statement went stale. `retry` is false inside a transaction.
    fn run<C: GenericClient, T>(
        &mut self,
        client: &mut C,
        sql: &'static str,
        params: &Params<'_>,
        retry: bool,
        run: impl Fn(&mut C, &Statement, &[&(dyn ToSql + Sync)]) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let values: Vec<&(dyn ToSql + Sync)> = params.iter().map(|(value, _)| *value).collect();
        let statement = self.get(client, sql, params)?;
        match run(client, &statement, &values) {
            Err(error) if is_stale(&error) => {
                self.0.remove(sql);
                if !retry {
                    return Err(error);
                }
                let statement = self.get(client, sql, params)?;
                run(client, &statement, &values)
            }
            result => result,
        }
    }
}

/// Whether the server refused a prepared statement because it no longer fits the schema, or
/// no longer exists.
fn is_stale(error: &Error) -> bool {
    let Some(db) = error.as_db_error() else {
        return false;
    };
    (*db.code() == SqlState::FEATURE_NOT_SUPPORTED && db.message().contains("cached plan"))
        || *db.code() == SqlState::INVALID_SQL_STATEMENT_NAME
}

/// Implements [`Executor`] for a client type and a way to reach its statement cache.
macro_rules! cached_executor {
    ($ty:ty, |$this:ident| ($client:expr, $statements:expr, $retry:expr)) => {
        impl Executor for $ty {
            fn query_static(
                &mut self,
                sql: &'static str,
                params: &Params<'_>,
            ) -> Result<Vec<Row>, Error> {
                let $this = self;
                $statements.run($client, sql, params, $retry, |c, s, v| c.query(s, v))
            }

            fn query_one_static(
                &mut self,
                sql: &'static str,
                params: &Params<'_>,
            ) -> Result<Row, Error> {
                let $this = self;
                $statements.run($client, sql, params, $retry, |c, s, v| c.query_one(s, v))
            }

            fn query_opt_static(
                &mut self,
                sql: &'static str,
                params: &Params<'_>,
            ) -> Result<Option<Row>, Error> {
                let $this = self;
                $statements.run($client, sql, params, $retry, |c, s, v| c.query_opt(s, v))
            }

            fn execute_static(
                &mut self,
                sql: &'static str,
                params: &Params<'_>,
            ) -> Result<u64, Error> {
                let $this = self;
                $statements.run($client, sql, params, $retry, |c, s, v| c.execute(s, v))
            }
        }
    };
}

/// A Postgres connection that prepares each generated query once; see the module
/// documentation. Everything else a `postgres::Client` does is reached through `Deref`.
pub struct Connection {
    client: Client,
    statements: Statements,
}

impl Connection {
    /// Wraps `client`, with an empty statement cache.
    pub fn new(client: Client) -> Connection {
        Connection {
            client,
            statements: Statements::default(),
        }
    }

    /// Starts a transaction whose queries share this connection's statement cache.
    pub fn transaction(&mut self) -> Result<Transaction<'_>, Error> {
        Ok(Transaction {
            tx: self.client.transaction()?,
            statements: &mut self.statements,
        })
    }

    /// How many statements this connection has prepared and kept.
    pub fn cached_statements(&self) -> usize {
        self.statements.0.len()
    }

    /// The client, without the cache (whose statements the server then frees when the client
    /// is dropped).
    pub fn into_client(self) -> Client {
        self.client
    }
}

impl From<Client> for Connection {
    fn from(client: Client) -> Self {
        Connection::new(client)
    }
}

impl Deref for Connection {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

cached_executor!(Connection, |this| (&mut this.client, this.statements, true));

/// A transaction (or a savepoint inside one) on a [`Connection`], sharing its statement cache.
/// Rolled back when dropped without [`Transaction::commit`].
pub struct Transaction<'a> {
    tx: ::postgres::Transaction<'a>,
    statements: &'a mut Statements,
}

impl Transaction<'_> {
    /// Commits the transaction (releases the savepoint).
    pub fn commit(self) -> Result<(), Error> {
        self.tx.commit()
    }

    /// Rolls the transaction (or the savepoint) back.
    pub fn rollback(self) -> Result<(), Error> {
        self.tx.rollback()
    }

    /// Starts a savepoint inside this transaction, sharing the statement cache.
    pub fn transaction(&mut self) -> Result<Transaction<'_>, Error> {
        Ok(Transaction {
            tx: self.tx.transaction()?,
            statements: self.statements,
        })
    }
}

impl<'a> Deref for Transaction<'a> {
    type Target = ::postgres::Transaction<'a>;

    fn deref(&self) -> &::postgres::Transaction<'a> {
        &self.tx
    }
}

impl DerefMut for Transaction<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

cached_executor!(Transaction<'_>, |this| (
    &mut this.tx,
    this.statements,
    false
));

/// Implements [`Executor`] for a plain client type: one unnamed round trip per call.
macro_rules! uncached_executor {
    ($ty:ty) => {
        impl Executor for $ty {
            fn query_static(
                &mut self,
                sql: &'static str,
                params: &Params<'_>,
            ) -> Result<Vec<Row>, Error> {
                self.query_typed(sql, params)
            }

            fn query_one_static(
                &mut self,
                sql: &'static str,
                params: &Params<'_>,
            ) -> Result<Row, Error> {
                self.query_typed_one(sql, params)
            }

            fn query_opt_static(
                &mut self,
                sql: &'static str,
                params: &Params<'_>,
            ) -> Result<Option<Row>, Error> {
                self.query_typed_opt(sql, params)
            }

            fn execute_static(
                &mut self,
                sql: &'static str,
                params: &Params<'_>,
            ) -> Result<u64, Error> {
                self.execute_typed(sql, params)
            }
        }
    };
}

uncached_executor!(Client);
uncached_executor!(::postgres::Transaction<'_>);
