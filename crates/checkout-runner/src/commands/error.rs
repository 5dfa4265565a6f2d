//! [`CliError`]: why a command failed, as the one line the user reads.

use std::path::PathBuf;

use checkout_domain::OrderError;
use checkout_ports::{AdminError, StorageError};

use crate::catalog::CatalogError;
use crate::lookup::Named;
use crate::worker::CourierError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("--db is needed with the sqlite backend")]
    NoDatabase,
    #[error("--db names a SQLite file; the aws backend does not use one")]
    DatabaseWithAws,
    #[error("this checkout was built without the AWS backend: build it with `--features aws`")]
    WithoutAws,
    #[error(transparent)]
    Open(#[from] checkout_sqlite::OpenError),
    #[cfg(feature = "aws")]
    #[error(transparent)]
    Connect(#[from] checkout_aws::ConnectError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Courier(#[from] CourierError),
    /// An order or checkout id given on the command line that no checkout can have.
    #[error(transparent)]
    BadName(#[from] OrderError),
    #[error("no {0} in this shop")]
    NotFound(Named),
    /// The checkout refused the cancel or the resolution (`action`: `cancelled`, `resolved`).
    #[error("{named} cannot be {action}: {reason}")]
    Refused { named: Named, action: &'static str, reason: checkout_domain::TransitionError },
    /// The checkout stopped being driven before it ended (another process claimed it).
    #[error(transparent)]
    Drive(#[from] checkout_drive::DriveError),
    #[error("{} exists: the demo makes a new shop, give it another --db", .0.display())]
    DemoExists(PathBuf),
    #[error("cannot {action} {}: {source}", path.display())]
    File { action: &'static str, path: PathBuf, source: std::io::Error },
    #[error("cannot listen on {address}: {source}")]
    Listen { address: String, source: std::io::Error },
    #[error("cannot write the output: {0}")]
    Output(#[source] std::io::Error),
    #[error(transparent)]
    List(#[from] checkout_ports::listing::ListError),
    #[error(transparent)]
    OperatorToken(#[from] crate::serve::operator::TokenFileError),
    #[error("cannot start the metrics recorder: {0}")]
    Metrics(#[from] metrics_exporter_prometheus::BuildError),
}
