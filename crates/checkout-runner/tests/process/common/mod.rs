//! What the runner's process tests share: the `checkout` binary, scratch files, and the shop a
//! test works on (a SQLite file, or the AWS backend on moto server).

#![allow(dead_code)] // Without the aws feature, some helpers go unused.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub mod serve;

pub const BIN: &str = env!("CARGO_BIN_EXE_checkout");

/// A fresh path in cargo's scratch directory for this test binary, removed first if a previous
/// run left it (with its SQLite side files).
pub fn scratch(folder: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(folder);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}-{name}", std::process::id()));
    for stale in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{stale}", path.display()));
    }
    path
}

/// The shop a test's `checkout` commands work on: the arguments that name it.
#[derive(Clone, Debug)]
pub struct Shop {
    pub args: Vec<String>,
}

impl Shop {
    /// A shop in the SQLite file `db`.
    pub fn sqlite(db: &Path) -> Shop {
        Shop { args: vec!["--db".into(), db.to_str().unwrap().into()] }
    }

    /// A new shop on DynamoDB, SQS and SNS in this test binary's moto server, provisioned with
    /// `checkout aws provision`.
    #[cfg(feature = "aws")]
    pub fn aws() -> Shop {
        let endpoint = checkout_aws::moto::MotoServer::shared().fresh_endpoint();
        let aws: Vec<String> = vec![
            "--endpoint-url".into(),
            endpoint.url.clone().unwrap(),
            "--region".into(),
            "us-east-1".into(),
            "--prefix".into(),
            endpoint.names.prefix.clone(),
        ];
        let mut provision = Command::new(BIN);
        provision.args(["aws", "provision"]).args(&aws);
        let output = with_test_credentials(&mut provision).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let mut args = vec!["--backend".to_string(), "aws".into()];
        args.extend(aws);
        Shop { args }
    }

    /// `checkout <subcommand>` on this shop, output captured; more arguments may follow.
    pub fn command(&self, subcommand: &str) -> Command {
        let mut command = Command::new(BIN);
        command.arg(subcommand).args(&self.args).stdout(Stdio::piped()).stderr(Stdio::piped());
        with_test_credentials(&mut command);
        command
    }
}

/// moto accepts any credentials; without some, the SDK would look for a profile.
fn with_test_credentials(command: &mut Command) -> &mut Command {
    command.env("AWS_ACCESS_KEY_ID", "test").env("AWS_SECRET_ACCESS_KEY", "test")
}
