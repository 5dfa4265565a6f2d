//! Which shop a command works on: the `--backend`, `--db` and AWS arguments, and the shop they
//! open. The SQLite shop is always built in; the AWS one only with the `aws` feature, so the
//! embedded program builds without the AWS SDK (`cargo build --features aws` for both).

use std::path::PathBuf;

use checkout_sqlite::{Durability, SqliteShop};
use clap::Args;

use crate::commands::CliError;

/// Where the shop is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// One SQLite file (`--db`).
    Sqlite,
    /// DynamoDB, SQS and SNS (`--endpoint-url`, `--region`, `--prefix`, or the usual AWS
    /// environment variables).
    Aws,
}

/// The shop on AWS: where, and the names of its resources.
#[derive(Clone, Debug, Args)]
pub struct AwsArgs {
    /// An AWS-protocol endpoint (moto, LocalStack); without it, AWS itself (or AWS_ENDPOINT_URL).
    #[arg(long)]
    endpoint_url: Option<String>,
    /// The AWS region; without it, the region the AWS configuration names (AWS_REGION).
    #[arg(long)]
    region: Option<String>,
    /// The prefix of the shop's tables, queues and topic.
    #[arg(long, default_value = "checkout")]
    prefix: String,
}

#[cfg(feature = "aws")]
impl AwsArgs {
    pub fn endpoint(&self) -> checkout_aws::Endpoint {
        checkout_aws::Endpoint {
            url: self.endpoint_url.clone(),
            region: self.region.clone(),
            names: checkout_aws::ResourceNames::new(self.prefix.clone()),
            test_credentials: false,
        }
    }
}

/// Which shop a command works on.
#[derive(Clone, Debug, Args)]
pub struct ShopArgs {
    /// Where the shop is kept.
    #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
    backend: Backend,
    /// The shop's database file (the sqlite backend).
    #[arg(long)]
    db: Option<PathBuf>,
    #[command(flatten)]
    aws: AwsArgs,
}

/// A shop opened on one backend or the other.
pub enum Opened {
    Sqlite(SqliteShop),
    #[cfg(feature = "aws")]
    Aws(checkout_aws::AwsShop),
}

/// Runs `$body` with `$shop` bound to the opened shop, whichever backend it is on.
#[cfg(feature = "aws")]
macro_rules! with_shop {
    ($opened:expr, $shop:ident => $body:expr) => {
        match $opened {
            $crate::backend::Opened::Sqlite($shop) => $body,
            $crate::backend::Opened::Aws($shop) => $body,
        }
    };
}

/// Runs `$body` with `$shop` bound to the opened shop (only SQLite, without the `aws` feature).
#[cfg(not(feature = "aws"))]
macro_rules! with_shop {
    ($opened:expr, $shop:ident => $body:expr) => {
        match $opened {
            $crate::backend::Opened::Sqlite($shop) => $body,
        }
    };
}
pub(crate) use with_shop;

impl ShopArgs {
    /// Opens the shop; `create` makes a new SQLite file (AWS resources are made by
    /// `checkout aws provision`).
    pub async fn open(&self, create: bool, durability: Durability) -> Result<Opened, CliError> {
        match self.backend {
            Backend::Sqlite => {
                let db = self.db.as_ref().ok_or(CliError::NoDatabase)?;
                Ok(Opened::Sqlite(SqliteShop::open(db, create, durability)?))
            }
            Backend::Aws => {
                if self.db.is_some() {
                    return Err(CliError::DatabaseWithAws);
                }
                self.open_aws().await
            }
        }
    }

    #[cfg(feature = "aws")]
    async fn open_aws(&self) -> Result<Opened, CliError> {
        Ok(Opened::Aws(checkout_aws::AwsShop::connect(&self.aws.endpoint()).await?))
    }

    #[cfg(not(feature = "aws"))]
    async fn open_aws(&self) -> Result<Opened, CliError> {
        Err(CliError::WithoutAws)
    }

    /// The shop, as a line of output names it.
    pub fn describe(&self) -> String {
        match (self.backend, &self.db) {
            (Backend::Sqlite, Some(db)) => db.display().to_string(),
            (Backend::Sqlite, None) => "(no database)".into(),
            (Backend::Aws, _) => {
                format!("the {} shop on {}", self.aws.prefix, self.aws.endpoint_url.as_deref().unwrap_or("AWS"))
            }
        }
    }
}
