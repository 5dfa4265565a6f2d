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

use crate::{Endpoint, ResourceNames};

/// Why moto server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    #[error("installing moto server failed ({0}); run scripts/aws-local/install.sh to see why")]
    Install(String),
    #[error("moto server did not start: {0}")]
    Start(String),
    #[error("deploying the template failed: {0}")]
    Deploy(String),
}

/// What a deployed stack is made of, as `scripts/aws-local/deploy.py` reports it.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Deployed {
    /// The stack's outputs by name.
    pub outputs: std::collections::BTreeMap<String, String>,
    /// Each resource's physical id (a name, URL or ARN) by its logical id in the template.
    pub resources: std::collections::BTreeMap<String, String>,
    /// Each function's configuration, by function name.
    pub functions: std::collections::BTreeMap<String, DeployedFunction>,
}

/// A deployed Lambda function's configuration.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeployedFunction {
    /// The ARN of the role it runs under.
    pub role: String,
    /// Its environment variables.
    pub environment: std::collections::BTreeMap<String, String>,
}

/// A running moto server.
pub struct MotoServer {
    port: u16,
    child: Mutex<Child>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The virtualenv's Python, after installing moto (and cargo-lambda) into it if needed.
pub fn python() -> Result<PathBuf, MotoError> {
    let script = root().join("scripts/aws-local/install.sh");
    let status = Command::new("bash").arg(&script).status().map_err(|e| MotoError::Install(e.to_string()))?;
    if !status.success() {
        return Err(MotoError::Install(status.to_string()));
    }
    let venv =
        std::env::var_os("AWS_LOCAL_VENV").map(PathBuf::from).unwrap_or_else(|| root().join("target/aws-local/venv"));
    Ok(venv.join("bin/python"))
}

impl MotoServer {
    /// Starts a new server.
    pub fn start() -> Result<MotoServer, MotoError> {
        MotoServer::start_with(None)
    }

    /// Starts a new server whose Lambda invocations go to `cargo lambda watch` on `lambda_port`
    /// (Step Functions executions then run the functions it serves).
    pub fn start_with(lambda_port: Option<u16>) -> Result<MotoServer, MotoError> {
        MotoServer::start_serving(lambda_port, &[])
    }

    /// Starts a new server whose Lambda invocations (from Step Functions, from the SQS event
    /// sources it polls, or from a client) go to `cargo lambda watch`: function `name` to the
    /// port `functions` gives it, any other to `lambda_port`.
    pub fn start_serving(lambda_port: Option<u16>, functions: &[(&str, u16)]) -> Result<MotoServer, MotoError> {
        // moto logs every request; the log is kept for a failing test to be looked into.
        let logs = root().join("target/aws-local");
        std::fs::create_dir_all(&logs).map_err(|e| MotoError::Start(e.to_string()))?;
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let log_name = format!("moto-{}-{}.log", std::process::id(), STARTED.fetch_add(1, Ordering::Relaxed));
        let log = std::fs::File::create(logs.join(log_name)).map_err(|e| MotoError::Start(e.to_string()))?;
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
            .map_err(|e| MotoError::Start(e.to_string()))?;
        let stdout = child.stdout.take().ok_or_else(|| MotoError::Start("no output".into()))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map_err(|e| MotoError::Start(e.to_string()))?;
        let port = line
            .strip_prefix("ready ")
            .and_then(|p| p.trim().parse().ok())
            .ok_or_else(|| MotoError::Start(format!("it said {line:?}")))?;
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

    /// Deploys `template` (a SAM template) on this server as CloudFormation stack `stack`, the way
    /// `sam deploy` would (`scripts/aws-local/deploy.py`), with stand-ins for the functions' code:
    /// moto stores it but does not run it (`cargo lambda watch` does).
    pub fn deploy(&self, template: &std::path::Path, stack: &str) -> Result<Deployed, MotoError> {
        let output = Command::new(python()?)
            .arg(root().join("scripts/aws-local/deploy.py"))
            .args(["--endpoint-url", &self.url(), "--stack", stack, "--placeholder-code", "--template"])
            .arg(template)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .output()
            .map_err(|e| MotoError::Deploy(e.to_string()))?;
        if !output.status.success() {
            return Err(MotoError::Deploy(String::from_utf8_lossy(&output.stderr).trim().to_string()));
        }
        serde_json::from_slice(&output.stdout).map_err(|e| MotoError::Deploy(format!("its report: {e}")))
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
