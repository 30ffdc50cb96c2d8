//! The Scoreboard's database: SQLite (`rally::db`) by default, Postgres (`rally::postgres`)
//! with the `postgres` feature. Both give the pages one call shape — `db.read_sync(|conn| …)`,
//! `db.write_sync(|tx| …)`, `db.read(…).await` — whose closures receive what the generated
//! functions of that database take, so the pages compile unchanged against either.

#[cfg(not(feature = "postgres"))]
pub use sqlite::{Db, Error};

#[cfg(feature = "postgres")]
pub use postgres::{Db, Error};

#[cfg(not(feature = "postgres"))]
mod sqlite {
    use rally::db::Tx;
    use rusqlite::Connection;

    /// A failed database call.
    pub type Error = rusqlite::Error;

    /// The app's SQLite database.
    #[derive(Clone)]
    pub struct Db(rally::db::Db);

    impl From<rally::db::Db> for Db {
        fn from(db: rally::db::Db) -> Self {
            Db(db)
        }
    }

    impl Db {
        /// Runs `f` with a reader on the calling thread.
        pub fn read_sync<T>(
            &self,
            f: impl FnOnce(&Connection) -> Result<T, Error>,
        ) -> Result<T, Error> {
            self.0.read_sync(f)
        }

        /// Runs `f` in a write transaction on the calling thread.
        pub fn write_sync<T>(
            &self,
            f: impl FnOnce(&Tx<'_>) -> Result<T, Error>,
        ) -> Result<T, Error> {
            self.0.write_sync(f)
        }

        /// Runs `f` with a reader on a blocking thread.
        pub async fn read<T: Send + 'static>(
            &self,
            f: impl FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
        ) -> Result<T, Error> {
            self.0.read(f).await
        }

        /// Whether the database answers a query (for `/healthz`).
        pub async fn ping(&self) -> Result<(), Error> {
            self.read(|conn| conn.query_row("SELECT 1", [], |row| row.get::<_, i64>(0)))
                .await
                .map(drop)
        }
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use rally::postgres::{Connection, PgConfig, PgDb, Transaction};

    /// A failed database call (Postgres's own errors, or the pool's).
    pub type Error = rally::postgres::Error;

    /// The app's Postgres database: a pool on `DATABASE_URL`.
    #[derive(Clone)]
    pub struct Db(PgDb);

    impl Db {
        /// Opens the pool on `url` (connecting once, so a wrong URL fails at start-up).
        pub fn open(url: &str) -> Result<Db, Error> {
            PgDb::open(PgConfig::new(url)).map(Db)
        }

        /// Runs `f` with a pooled connection on the calling thread.
        pub fn read_sync<T>(
            &self,
            f: impl FnOnce(&mut Connection) -> Result<T, ::postgres::Error>,
        ) -> Result<T, Error> {
            self.0.read_sync(|client| Ok(f(client)?))
        }

        /// Runs `f` in a transaction on the calling thread.
        pub fn write_sync<T>(
            &self,
            f: impl FnOnce(&mut Transaction<'_>) -> Result<T, ::postgres::Error>,
        ) -> Result<T, Error> {
            self.0.write_sync(|tx| Ok(f(tx)?))
        }

        /// Runs `f` with a pooled connection on a blocking thread.
        pub async fn read<T: Send + 'static>(
            &self,
            f: impl FnOnce(&mut Connection) -> Result<T, ::postgres::Error> + Send + 'static,
        ) -> Result<T, Error> {
            self.0.read(move |client| Ok(f(client)?)).await
        }

        /// Whether the database answers a query (for `/healthz`).
        pub async fn ping(&self) -> Result<(), Error> {
            self.read(|client| client.query_one("SELECT 1", &[]).map(drop))
                .await
        }
    }
}
