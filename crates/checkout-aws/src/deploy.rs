//! The SAM template deployed on an emulator as `sam package` and `sam deploy` would, by
//! `scripts/aws-local/deploy.py` (it runs in moto's virtualenv, which holds the SAM translator),
//! and what the stack it made is made of.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::moto::{python, root, EmulatorError};

/// What is deployed as each function's code.
pub enum Code {
    /// A stand-in, for an emulator that stores code but does not run it (moto).
    Placeholder,
    /// Each named function's binary, as its `bootstrap` (an emulator that runs it here).
    Binaries(Vec<(String, std::path::PathBuf)>),
}

/// What a deployed stack is made of, as the deploy script reports it.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Deployed {
    /// The stack's outputs by name.
    pub outputs: BTreeMap<String, String>,
    /// Each resource's physical id (a name, URL or ARN) by its logical id in the template.
    pub resources: BTreeMap<String, String>,
    /// Each function's configuration, by function name.
    pub functions: BTreeMap<String, DeployedFunction>,
}

/// A deployed Lambda function's configuration.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeployedFunction {
    /// The ARN of the role it runs under.
    pub role: String,
    /// Its environment variables.
    pub environment: BTreeMap<String, String>,
}

/// Deploys `template` (a SAM template) as stack `stack` on the emulator at `url`.
pub fn deploy(url: &str, template: &Path, stack: &str, code: &Code) -> Result<Deployed, EmulatorError> {
    let mut command = Command::new(python()?);
    command.arg(root().join("scripts/aws-local/deploy.py")).args(["--endpoint-url", url, "--stack", stack]);
    match code {
        Code::Placeholder => {
            command.arg("--placeholder-code");
        }
        Code::Binaries(binaries) => {
            for (function, binary) in binaries {
                command.arg("--code").arg(format!("{function}={}", binary.display()));
            }
        }
    }
    let output = command
        .arg("--template")
        .arg(template)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .output()
        .map_err(|e| EmulatorError::Deploy(e.to_string()))?;
    if !output.status.success() {
        return Err(EmulatorError::Deploy(String::from_utf8_lossy(&output.stderr).trim().to_string()));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| EmulatorError::Deploy(format!("its report: {e}")))
}
