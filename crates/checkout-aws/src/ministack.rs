//! ministack for tests: a second AWS emulator, written apart from moto (whose Step Functions
//! engine is LocalStack's), installed into a virtualenv of the project's own on first use
//! (`scripts/aws-local/install.sh ministack`, pinned) and started on 127.0.0.1 with IAM enforced
//! (`AUTH=true`): every request is held to its caller's policies, and the Lambda functions it runs
//! (the real binaries, as `provided.al2023` bootstraps, without Docker) call AWS under sessions of
//! their execution roles, as on AWS. The tests' own credentials (`test`) are the account's root.
//! `scripts/aws-local/ministack_server.py` starts it, with what it lacks added (see there).
//!
//! It stops with the process that started it: a small Python parent holds it and ends it when
//! its standard input closes.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::deploy::{Code, Deployed};
use crate::moto::{installed, root, EmulatorError};
use crate::{Endpoint, ResourceNames};

/// A running ministack.
pub struct Ministack {
    port: u16,
    child: Child,
}

/// Runs the command in `sys.argv[1:]` until standard input closes, then ends it.
const HOLDER: &str = "import subprocess, sys\n\
    child = subprocess.Popen(sys.argv[1:])\n\
    sys.stdin.read()\n\
    child.terminate()\n\
    child.wait()\n";

fn failed(e: impl std::fmt::Display) -> EmulatorError {
    EmulatorError::Start("ministack", e.to_string())
}

impl Ministack {
    /// Starts a new ministack, with IAM enforced, and waits until it answers.
    pub fn start() -> Result<Ministack, EmulatorError> {
        let python = installed("ministack", "MINISTACK_VENV", "ministack-venv")?;
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(failed)?.port();
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let run = format!("ministack-{}-{}", std::process::id(), STARTED.fetch_add(1, Ordering::Relaxed));
        let dir = root().join("target/aws-local").join(&run);
        std::fs::create_dir_all(&dir).map_err(failed)?;
        let log = std::fs::File::create(dir.join("ministack.log")).map_err(failed)?;
        let url = format!("http://127.0.0.1:{port}");
        let level = std::env::var("MINISTACK_LOG_LEVEL").unwrap_or_else(|_| "INFO".into());
        let child = Command::new(&python)
            .arg("-c")
            .arg(HOLDER)
            .arg(&python)
            .arg(root().join("scripts/aws-local/ministack_server.py"))
            .envs([
                ("BIND_HOST", "127.0.0.1"),
                ("GATEWAY_PORT", &port.to_string()),
                ("MINISTACK_HOST", "127.0.0.1"),
                ("AUTH", "true"),
                // DEBUG names each request's service and action, to look into a denial.
                ("LOG_LEVEL", &level),
                // What the functions it runs are told to call: this server.
                ("AWS_ENDPOINT_URL", &url),
                ("AWS_ACCESS_KEY_ID", "test"),
                ("AWS_SECRET_ACCESS_KEY", "test"),
                ("AWS_DEFAULT_REGION", "us-east-1"),
            ])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(log.try_clone().map_err(failed)?)
            .stderr(log)
            .spawn()
            .map_err(failed)?;
        let ministack = Ministack { port, child };
        let begun = Instant::now();
        while !ministack.healthy() {
            if begun.elapsed() > Duration::from_secs(60) {
                return Err(failed(format!("no answer on port {port} within 60 s; see {}", dir.display())));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(ministack)
    }

    fn healthy(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else { return false };
        let asked = write!(stream, "GET /_ministack/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        let mut answer = String::new();
        asked.is_ok() && stream.read_to_string(&mut answer).is_ok() && answer.starts_with("HTTP/1.1 200")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The endpoint of resources named with `names`' prefix on this server, as its root.
    pub fn endpoint(&self, names: ResourceNames) -> Endpoint {
        Endpoint { url: Some(self.url()), region: Some("us-east-1".into()), names, test_credentials: true }
    }

    /// Deploys `template` as stack `stack`, each function's code the binary `binaries` names.
    pub fn deploy(
        &self,
        template: &std::path::Path,
        stack: &str,
        binaries: Vec<(String, std::path::PathBuf)>,
    ) -> Result<Deployed, EmulatorError> {
        crate::deploy::deploy(&self.url(), template, stack, &Code::Binaries(binaries))
    }
}

impl Drop for Ministack {
    fn drop(&mut self) {
        // Closing its standard input makes the holder end ministack, and then itself.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}
