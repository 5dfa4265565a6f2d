//! moto server for tests: a real AWS-protocol server on 127.0.0.1, installed into the project's
//! own virtualenv on first use (`scripts/aws-local/install.sh`, pinned) and started on a port the
//! system picks. It exits with the process that started it (it watches its standard input).
//!
//! Tests share one server per test binary and keep apart by giving every shop its own resource
//! prefix ([`MotoServer::fresh_endpoint`]), so they can run at once; [`MotoServer::reset`] empties
//! the whole server, for a test that runs alone.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

pub use crate::deploy::Deployed;
use crate::{Endpoint, ResourceNames};

/// Why an emulator could not be installed, started or deployed to.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("installing {0} failed ({1}); run scripts/aws-local/install.sh {0} to see why")]
    Install(&'static str, String),
    #[error("{0} did not start: {1}")]
    Start(&'static str, String),
    #[error("deploying the template failed: {0}")]
    Deploy(String),
}

/// A running moto server.
#[derive(Debug)]
pub struct MotoServer {
    port: u16,
    child: Mutex<Child>,
}

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The virtualenv's Python, after installing moto (and cargo-lambda) into it if needed.
pub fn python() -> Result<PathBuf, EmulatorError> {
    installed("moto", "AWS_LOCAL_VENV", "venv")
}

/// The `bin` directory of emulator `name`'s virtualenv (`$variable`, or `target/aws-local/{dir}`),
/// after installing it if needed.
pub(crate) fn installed(name: &'static str, variable: &str, dir: &str) -> Result<PathBuf, EmulatorError> {
    let script = root().join("scripts/aws-local/install.sh");
    let status = Command::new("bash")
        .arg(&script)
        .arg(name)
        .status()
        .map_err(|e| EmulatorError::Install(name, e.to_string()))?;
    if !status.success() {
        return Err(EmulatorError::Install(name, status.to_string()));
    }
    let venv =
        std::env::var_os(variable).map(PathBuf::from).unwrap_or_else(|| root().join("target/aws-local").join(dir));
    Ok(venv.join("bin/python"))
}

impl MotoServer {
    /// Starts a new server.
    pub fn start() -> Result<MotoServer, EmulatorError> {
        MotoServer::start_with(None)
    }

    /// Starts a new server whose Lambda invocations go to `cargo lambda watch` on `lambda_port`
    /// (Step Functions executions then run the functions it serves).
    pub fn start_with(lambda_port: Option<u16>) -> Result<MotoServer, EmulatorError> {
        MotoServer::start_serving(lambda_port, &[])
    }

    /// Starts a new server whose Lambda invocations (from Step Functions, from the SQS event
    /// sources it polls, or from a client) go to `cargo lambda watch`: function `name` to the
    /// port `functions` gives it, any other to `lambda_port`.
    pub fn start_serving(lambda_port: Option<u16>, functions: &[(&str, u16)]) -> Result<MotoServer, EmulatorError> {
        // moto logs every request; the log is kept for a failing test to be looked into.
        let logs = root().join("target/aws-local");
        std::fs::create_dir_all(&logs).map_err(|e| EmulatorError::Start("moto server", e.to_string()))?;
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let log_name = format!("moto-{}-{}.log", std::process::id(), STARTED.fetch_add(1, Ordering::Relaxed));
        let log = std::fs::File::create(logs.join(log_name))
            .map_err(|e| EmulatorError::Start("moto server", e.to_string()))?;
        let mut command = Command::new(python()?);
        command.arg(root().join("scripts/aws-local/moto_server.py"));
        if let Some(port) = lambda_port {
            command.arg("--lambda-port").arg(port.to_string());
        }
        for (name, port) in functions {
            command.arg("--function-port").arg(format!("{name}={port}"));
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|e| EmulatorError::Start("moto server", e.to_string()))?;
        let stdout = child.stdout.take().ok_or_else(|| EmulatorError::Start("moto server", "no output".into()))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map_err(|e| EmulatorError::Start("moto server", e.to_string()))?;
        let port = line
            .strip_prefix("ready ")
            .and_then(|p| p.trim().parse().ok())
            .ok_or_else(|| EmulatorError::Start("moto server", format!("it said {line:?}")))?;
        Ok(MotoServer { port, child: Mutex::new(child) })
    }

    /// The server this test binary shares, started on first use.
    pub fn shared() -> &'static MotoServer {
        static SERVER: OnceLock<MotoServer> = OnceLock::new();
        SERVER.get_or_init(|| MotoServer::start().unwrap_or_else(|e| panic!("{e}")))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The process id of the server, to stop it by.
    pub fn pid(&self) -> u32 {
        self.child.lock().map(|c| c.id()).unwrap_or(0)
    }

    /// An endpoint on this server with resource names no other test uses.
    pub fn fresh_endpoint(&self) -> Endpoint {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let prefix = format!("t{}-{}", std::process::id(), COUNT.fetch_add(1, Ordering::Relaxed));
        self.endpoint(ResourceNames::new(prefix))
    }

    /// A shop of its own on this server: a fresh endpoint, provisioned and connected.
    pub async fn fresh_shop(&self) -> Result<crate::AwsShop, crate::ConnectError> {
        let endpoint = self.fresh_endpoint();
        crate::AwsShop::provision(&endpoint).await?;
        crate::AwsShop::connect(&endpoint).await
    }

    pub fn endpoint(&self, names: ResourceNames) -> Endpoint {
        Endpoint { url: Some(self.url()), region: Some("us-east-1".into()), names, test_credentials: true }
    }

    /// Deploys `template` (a SAM template) on this server as stack `stack`, with stand-ins for
    /// the functions' code: moto stores it but does not run it (`cargo lambda watch` does).
    pub fn deploy(&self, template: &std::path::Path, stack: &str) -> Result<Deployed, EmulatorError> {
        crate::deploy::deploy(&self.url(), template, stack, &crate::deploy::Code::Placeholder)
    }

    /// Empties the server: every table, queue and topic of every test goes.
    pub fn reset(&self) -> std::io::Result<()> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        write!(
            stream,
            "POST /moto-api/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        if answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200") {
            Ok(())
        } else {
            Err(std::io::Error::other(format!("reset answered {}", answer.lines().next().unwrap_or_default())))
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        if let Ok(child) = self.child.get_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
