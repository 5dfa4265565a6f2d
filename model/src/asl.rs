//! What the model of the state machine reads of an Amazon States Language definition: each
//! state's routing (Task, Retry, Catch, timeout, Next/End, Fail, Succeed) and its data flow
//! (`Parameters` and `ResultPath`, and the paths they name), as Step Functions applies them.

use serde_json::{json, Map, Value};

/// What Step Functions reports when a Task times out.
pub const TIMEOUT: &str = "States.Timeout";
/// What Step Functions reports when a path names nothing, and fails the execution with.
pub const RUNTIME: &str = "States.Runtime";

/// What a Task state does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Work {
    /// Invokes the step function with its `Parameters`.
    Invoke,
    /// Sends `Parameters.MessageBody` to the courier queue with the task's token, and waits for
    /// an answer to that token.
    CourierWait { times_out: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retrier {
    pub errors: Vec<String>,
    pub max_attempts: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catcher {
    pub errors: Vec<String>,
    pub next: String,
    pub result_path: Option<String>,
}

/// One state of the definition, as far as routing and data flow go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AslState {
    Task {
        work: Work,
        parameters: Value,
        result_path: Option<String>,
        next: Option<String>,
        retry: Vec<Retrier>,
        catch: Vec<Catcher>,
    },
    Fail {
        error: String,
    },
    Succeed,
}

/// The definition's routing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routing {
    pub start: String,
    pub states: std::collections::BTreeMap<String, AslState>,
}

fn names(errors: &Value) -> Vec<String> {
    errors.as_array().into_iter().flatten().filter_map(|e| e.as_str().map(str::to_string)).collect()
}

/// Whether an error list matches `error`, as Step Functions matches them.
pub fn matches(errors: &[String], error: &str) -> bool {
    errors.iter().any(|e| e == error || e == "States.ALL" || (e == "States.TaskFailed" && error != TIMEOUT))
}

/// What a definition has that the model cannot read, or a path that names nothing (which fails
/// the execution, as `States.Runtime` does).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AslError {
    #[error("the definition has no {0}")]
    Missing(&'static str),
    #[error("{state}: no Next and no End")]
    NoNext { state: String },
    #[error("{state}: state type {kind:?} is not modelled")]
    Unmodelled { state: String, kind: Option<String> },
    #[error("{key}: a path must be a string")]
    PathNotString { key: String },
    #[error("the path {0} names nothing")]
    NamesNothing(String),
    #[error("ResultPath {0:?}: not an object")]
    NotAnObject(String),
}

impl Routing {
    /// Reads the routing of an Amazon States Language definition.
    pub fn parse(definition: &Value) -> Result<Routing, AslError> {
        let start = definition["StartAt"].as_str().ok_or(AslError::Missing("StartAt"))?.to_string();
        let mut states = std::collections::BTreeMap::new();
        for (name, body) in definition["States"].as_object().ok_or(AslError::Missing("States"))? {
            let state = match body["Type"].as_str() {
                Some("Fail") => AslState::Fail { error: body["Error"].as_str().unwrap_or_default().to_string() },
                Some("Succeed") => AslState::Succeed,
                Some("Task") => {
                    let work = if body["Resource"].as_str().is_some_and(|r| r.contains("waitForTaskToken")) {
                        // A heartbeat alone bounds nothing: a worker that keeps beating holds the
                        // wait open.
                        Work::CourierWait { times_out: body["TimeoutSeconds"].is_u64() }
                    } else {
                        Work::Invoke
                    };
                    let next = if body["End"] == Value::Bool(true) {
                        None
                    } else {
                        Some(body["Next"].as_str().ok_or_else(|| AslError::NoNext { state: name.clone() })?.to_string())
                    };
                    let retry = body["Retry"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|r| Retrier {
                            errors: names(&r["ErrorEquals"]),
                            // Step Functions' default when a retrier gives none.
                            max_attempts: r["MaxAttempts"].as_u64().unwrap_or(3),
                        })
                        .collect();
                    let catch = body["Catch"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|c| Catcher {
                            errors: names(&c["ErrorEquals"]),
                            next: c["Next"].as_str().unwrap_or_default().to_string(),
                            result_path: c["ResultPath"].as_str().map(str::to_string),
                        })
                        .collect();
                    AslState::Task {
                        work,
                        parameters: body["Parameters"].clone(),
                        result_path: body["ResultPath"].as_str().map(str::to_string),
                        next,
                        retry,
                        catch,
                    }
                }
                other => return Err(AslError::Unmodelled { state: name.clone(), kind: other.map(str::to_string) }),
            };
            states.insert(name.clone(), state);
        }
        Ok(Routing { start, states })
    }
}

/// What a path is read against.
pub struct Context<'a> {
    pub input: &'a Value,
    pub data: &'a Value,
    pub task_token: &'a str,
}

/// The value `path` names (`$$.Execution.Input`, `$$.Task.Token`, `$`, `$.a.b`), if any.
pub fn read(path: &str, context: &Context) -> Option<Value> {
    match path {
        "$$.Execution.Input" => return Some(context.input.clone()),
        "$$.Task.Token" => return Some(Value::from(context.task_token)),
        "$" => return Some(context.data.clone()),
        _ => {}
    }
    let mut at = context.data;
    for field in path.strip_prefix("$.")?.split('.') {
        at = at.get(field)?;
    }
    Some(at.clone())
}

/// `Parameters` with every `"key.$": path` replaced by `"key": value`; a path naming nothing
/// fails the execution (`States.Runtime`).
pub fn resolve(parameters: &Value, context: &Context) -> Result<Value, AslError> {
    let Value::Object(fields) = parameters else { return Ok(parameters.clone()) };
    let mut resolved = Map::new();
    for (key, value) in fields {
        match key.strip_suffix(".$") {
            Some(key) => {
                let path = value.as_str().ok_or_else(|| AslError::PathNotString { key: key.to_string() })?;
                let value = read(path, context).ok_or_else(|| AslError::NamesNothing(path.to_string()))?;
                resolved.insert(key.to_string(), value);
            }
            None => {
                resolved.insert(key.clone(), resolve(value, context)?);
            }
        }
    }
    Ok(Value::Object(resolved))
}

/// `data` with `result` placed at `result_path` (`None` or `$`: the result replaces it).
pub fn place(data: &Value, result_path: Option<&str>, result: Value) -> Result<Value, AslError> {
    let Some(fields) = result_path.and_then(|p| p.strip_prefix("$.")) else { return Ok(result) };
    let mut data = data.clone();
    let mut at = &mut data;
    let fields: Vec<&str> = fields.split('.').collect();
    for (i, field) in fields.iter().enumerate() {
        let object =
            at.as_object_mut().ok_or_else(|| AslError::NotAnObject(result_path.unwrap_or_default().to_string()))?;
        if i + 1 == fields.len() {
            object.insert((*field).to_string(), result);
            break;
        }
        at = object.entry(*field).or_insert_with(|| json!({}));
    }
    Ok(data)
}
