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

/// The shop a test's `checkout` commands work on: the arguments that name it, and on the AWS
/// backend the moto server it is on, stopped when the last copy of the shop is dropped.
#[derive(Clone, Debug)]
pub struct Shop {
    pub args: Vec<String>,
    #[cfg(feature = "aws")]
    _moto: Option<std::sync::Arc<checkout_aws::moto::MotoServer>>,
}

impl Shop {
    /// A shop in the SQLite file `db`.
    pub fn sqlite(db: &Path) -> Shop {
        Shop {
            args: vec!["--db".into(), db.to_str().unwrap().into()],
            #[cfg(feature = "aws")]
            _moto: None,
        }
    }

    /// A new shop on DynamoDB, SQS and SNS in a moto server of its own, provisioned with
    /// `checkout aws provision`. Of its own: the tests run side by side, and moto serves one
    /// request at a time per server (one Python interpreter), so a shared one would make every
    /// test's calls wait on every other's, and the lease renewals of the takeover tests late.
    #[cfg(feature = "aws")]
    pub fn aws() -> Shop {
        let moto = std::sync::Arc::new(checkout_aws::moto::MotoServer::start().expect("moto starts"));
        let endpoint = moto.fresh_endpoint();
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
        Shop { args, _moto: Some(moto) }
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
