//! `cargo lambda watch` serving this crate's functions on loopback, as Lambda would run them.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use checkout_aws::moto::python;
use serde_json::json;

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `cargo lambda watch` serving the Lambda APIs, and this crate's functions as cargo
/// built them for the tests, each a process of its own polling it as Lambda's runtime API: all
/// stopped when dropped, however the test ends. (Left to build the functions itself, watch would
/// build them again with this package's own features, a rebuild of the AWS SDK: 76 s in CI.)
pub struct Watch {
    children: Vec<Child>,
    pub port: u16,
}

impl Drop for Watch {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The function binaries this crate builds, by name.
fn binary(function: &str) -> PathBuf {
    match function {
        "checkout-step" => PathBuf::from(env!("CARGO_BIN_EXE_checkout-step")),
        "checkout-courier" => PathBuf::from(env!("CARGO_BIN_EXE_checkout-courier")),
        other => panic!("this crate has no function {other}"),
    }
}

impl Watch {
    /// Serves `functions` on `port` with `env` (the functions' environment as Lambda would set
    /// it); the log of watch and the functions goes to `target/aws-local/{log}.log`.
    pub async fn start(port: u16, functions: &[&str], env: &[(String, String)], log: &str) -> Watch {
        let cargo_lambda = python().unwrap().with_file_name("cargo-lambda");
        let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let log_path = crate_dir.join(format!("../../target/aws-local/{log}.log"));
        let log_file = std::fs::File::create(&log_path).unwrap();
        let mut watch = Command::new(cargo_lambda);
        watch.args(["lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", &port.to_string()]);
        watch.arg("--ignore-changes");
        let child =
            watch.current_dir(&crate_dir).stdout(log_file.try_clone().unwrap()).stderr(log_file.try_clone().unwrap());
        let mut watch = Watch { children: vec![child.spawn().unwrap()], port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(120), "cargo lambda watch did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        for function in functions {
            let mut process = Command::new(binary(function));
            process
                .envs(env.iter().map(|(name, value)| (name, value)))
                .env("AWS_LAMBDA_RUNTIME_API", format!("http://127.0.0.1:{port}/.rt/{function}"))
                .env("AWS_LAMBDA_FUNCTION_NAME", function)
                .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512");
            // The functions log to standard output: both streams go to the log.
            let process = process.stdout(log_file.try_clone().unwrap()).stderr(log_file.try_clone().unwrap());
            watch.children.push(process.spawn().unwrap());
        }
        // Each function answers an invocation that asks for nothing before the test begins.
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        for function in functions {
            let url = format!("http://127.0.0.1:{port}/2015-03-31/functions/{function}/invocations");
            let warmed = client.post(url).json(&json!({ "action": "none", "order": {}, "Records": [] })).send().await;
            assert!(warmed.is_ok(), "{function} did not answer: see {}", log_path.display());
        }
        watch
    }
}

/// A Step Functions client for the emulator at `url`, with its test credentials.
pub fn sfn_client(url: &str) -> aws_sdk_sfn::Client {
    let config = aws_sdk_sfn::config::Builder::new()
        .behavior_version(aws_sdk_sfn::config::BehaviorVersion::latest())
        .endpoint_url(url)
        .region(aws_sdk_sfn::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sfn::config::Credentials::new("test", "test", None, None, "test"))
        .build();
    aws_sdk_sfn::Client::from_conf(config)
}
