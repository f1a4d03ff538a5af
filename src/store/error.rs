//! Typed errors of the audit store. The gateway maps every variant of
//! [`StoreError`] that can come out of `append` to 503 (fail closed).

/// Errors from the audit store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process (usually a running server) holds the data directory.
    #[error("audit store at {path} is locked by another process (is `mamori serve` running on this data dir?)")]
    Locked {
        /// The sled directory.
        path: String,
    },
    /// No store exists at the path and the config forbids creating one.
    #[error("no audit store at {path}")]
    NotFoundStore {
        /// The sled directory.
        path: String,
    },
    /// The underlying database failed (I/O error, disk full, corruption detected by sled).
    #[error("audit store write/read failed: {0}")]
    Db(String),
    /// A write failure injected for testing the fail-closed path.
    #[error("audit store write failed: injected fault")]
    Injected,
    /// The store refuses writes after an earlier failure that has not yet recovered (batched mode).
    #[error("audit store unavailable: {0}")]
    Unavailable(String),
    /// The queue stayed full for longer than the enqueue timeout.
    #[error("audit queue full")]
    QueueFull,
    /// The writer task is not running (never spawned, or shut down).
    #[error("audit writer is not running")]
    Closed,
    /// Stored bytes could not be decoded; the chain is damaged (run `mamori logs verify`).
    #[error("corrupt audit data: {0}")]
    Corrupt(String),
    /// The record id does not exist.
    #[error("no audit record with id {0}")]
    NoSuchRecord(String),
    /// Invalid argument (bad cursor, bad rating, …).
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// Serialising or writing an export failed.
    #[error("export failed: {0}")]
    Export(String),
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        StoreError::Db(e.to_string())
    }
}

impl From<sled::transaction::TransactionError<StoreError>> for StoreError {
    fn from(e: sled::transaction::TransactionError<StoreError>) -> Self {
        match e {
            sled::transaction::TransactionError::Abort(e) => e,
            sled::transaction::TransactionError::Storage(e) => e.into(),
        }
    }
}
