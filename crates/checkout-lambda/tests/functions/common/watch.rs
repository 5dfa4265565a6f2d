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

/// A running `cargo lambda watch`, stopped when dropped, however the test ends.
pub struct Watch {
    child: Child,
    pub port: u16,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Watch {
    /// Serves this crate's functions on `port` with `env` (the functions' environment as Lambda
    /// would set it), once both are built; its log goes to `target/aws-local/{log}.log`.
    pub async fn start(port: u16, env: &[(String, String)], log: &str) -> Watch {
        let cargo_lambda = python().unwrap().with_file_name("cargo-lambda");
        let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let log_path = crate_dir.join(format!("../../target/aws-local/{log}.log"));
        let log_file = std::fs::File::create(&log_path).unwrap();
        let mut watch = Command::new(cargo_lambda);
        watch.args(["lambda", "watch", "-A", "127.0.0.1", "-P", &port.to_string(), "--ignore-changes"]);
        for (name, value) in env {
            watch.arg("--env-var").arg(format!("{name}={value}"));
        }
        // The functions log to standard output: both streams go to the log.
        let child =
            watch.current_dir(&crate_dir).stdout(log_file.try_clone().unwrap()).stderr(log_file).spawn().unwrap();
        let watch = Watch { child, port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(120), "cargo lambda watch did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        // watch builds a function on its first invocation (with the features this package alone
        // asks for, which may rebuild dependencies): do that now, not inside an execution.
        let client = reqwest::Client::builder().timeout(Duration::from_secs(1_200)).build().unwrap();
        for function in ["checkout-step", "checkout-courier"] {
            let url = format!("http://127.0.0.1:{port}/2015-03-31/functions/{function}/invocations");
            let warmed = client.post(url).json(&json!({ "action": "none", "order": {}, "Records": [] })).send().await;
            assert!(warmed.is_ok(), "{function} did not build: see {}", log_path.display());
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
