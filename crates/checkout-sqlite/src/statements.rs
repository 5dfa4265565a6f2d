//! Every statement the writer runs is compiled once and kept: SQLite's parser was a quarter of
//! the writer thread's time when each call compiled its SQL afresh. `execute_cached` and
//! `query_row_cached` are `execute` and `query_row` over the connection's statement cache.

use rusqlite::{Connection, Params, Row};

/// How many compiled statements a connection keeps: more than the crate has, so none is ever
/// compiled twice.
pub const CACHE_CAPACITY: usize = 64;

/// `execute` and `query_row` through the statement cache.
pub trait Cached {
    fn execute_cached<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    fn query_row_cached<T, P: Params, F: FnOnce(&Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn execute_cached<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn query_row_cached<T, P: Params, F: FnOnce(&Row<'_>) -> rusqlite::Result<T>>(
        &self,
        sql: &str,
        params: P,
        f: F,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}
