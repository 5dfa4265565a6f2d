//! Sorting the SDK's errors into what the engine needs to know: did the call surely not happen
//! (throttled), may it have happened (a timeout, a 5xx, a dropped connection), or is something the
//! shop needs missing (a table, queue or topic)? Conditional-check failures are not errors here:
//! the keyed commands and the repository read them as answers.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use checkout_domain::protocol::CallError;
use checkout_ports::StorageError;

/// Why the shop could not be reached or set up; one line that names what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error("{kind} {name} does not exist; create it first (`checkout aws provision`)")]
    Missing { kind: &'static str, name: String },
    #[error("no AWS region is set: pass --region or set AWS_REGION")]
    NoRegion,
    #[error("cannot reach AWS: {0}")]
    Unreachable(String),
}

/// What a failed call means for the effect it asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// It surely did not happen: throttled, or refused before it was sent.
    NotDone(String),
    /// It may have happened: a timeout, a server error, a connection lost mid-call.
    Unknown(String),
    /// The table, queue or topic it names does not exist.
    Missing(String),
}

/// Error codes of the three services that mean "slow down": the request was turned away
/// before it took effect.
const THROTTLED: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "TransactionInProgressException",
    "KMSThrottling",
];

/// Error codes that mean a resource the shop needs is not there.
const MISSING: &[&str] = &[
    "ResourceNotFoundException",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "NotFound",
    "NotFoundException",
];

/// What `error` means for the effect of the call that got it.
pub fn classify<E, R>(error: &SdkError<E, R>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let line = describe(error);
    match error {
        SdkError::ConstructionFailure(_) => Failure::NotDone(line),
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or_default();
            if THROTTLED.contains(&code) {
                Failure::NotDone(line)
            } else if MISSING.contains(&code) {
                Failure::Missing(line)
            } else {
                // Server errors may have applied the write; client errors (validation, access)
                // did not, but retrying them is harmless, and the engine's budget bounds it.
                Failure::Unknown(line)
            }
        }
        // A timeout, a connection lost before the answer, an answer that could not be read.
        _ => Failure::Unknown(line),
    }
}

/// `error` as one line: the service's code and message, or the chain of causes.
pub fn describe<E: std::error::Error + Send + Sync + 'static>(error: &E) -> String {
    DisplayErrorContext(error).to_string().replace('\n', " ")
}

impl From<Failure> for CallError {
    fn from(failure: Failure) -> CallError {
        match failure {
            Failure::NotDone(line) | Failure::Missing(line) => CallError::NotDone(line),
            Failure::Unknown(line) => CallError::Unknown(line),
        }
    }
}

impl From<Failure> for StorageError {
    fn from(failure: Failure) -> StorageError {
        match failure {
            Failure::NotDone(line) | Failure::Missing(line) | Failure::Unknown(line) => StorageError::Failed(line),
        }
    }
}

#[cfg(test)]
mod tests {
    //! The mapping, on errors built with the SDK's own constructors (no server).

    use aws_sdk_dynamodb::config::http::HttpResponse;
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    use super::*;

    type Error = SdkError<TransactWriteItemsError, HttpResponse>;

    fn service(code: &str, status: u16) -> Error {
        let error = TransactWriteItemsError::generic(ErrorMetadata::builder().code(code).message("said so").build());
        let raw = HttpResponse::new(StatusCode::try_from(status).expect("a status"), SdkBody::empty());
        SdkError::service_error(error, raw)
    }

    #[test]
    fn throttling_means_not_done() {
        for code in ["ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded"] {
            let failure = classify(&service(code, 400));
            assert!(matches!(&failure, Failure::NotDone(line) if line.contains(code)), "{code}: {failure:?}");
            assert!(matches!(CallError::from(failure), CallError::NotDone(_)));
        }
    }

    #[test]
    fn server_errors_timeouts_and_lost_connections_may_have_happened() {
        let cases: Vec<Error> = vec![
            service("InternalServerError", 500),
            service("ServiceUnavailable", 503),
            SdkError::timeout_error("no answer within 3 s"),
            SdkError::dispatch_failure(ConnectorError::io("connection reset".into())),
        ];
        for error in cases {
            let failure = classify(&error);
            assert!(matches!(failure, Failure::Unknown(_)), "{error:?}: {failure:?}");
            assert!(matches!(CallError::from(failure), CallError::Unknown(_)));
        }
    }

    #[test]
    fn a_missing_table_is_named_and_a_request_never_sent_is_not_done() {
        let failure = classify(&service("ResourceNotFoundException", 400));
        assert!(
            matches!(&failure, Failure::Missing(line) if line.contains("ResourceNotFoundException")),
            "{failure:?}"
        );
        let unsent: Error = SdkError::construction_failure("no region");
        assert!(matches!(classify(&unsent), Failure::NotDone(_)));
    }

    #[test]
    fn every_failure_is_one_line() {
        let error = service("ValidationException", 400);
        assert!(!describe(&error).contains('\n'));
        assert_eq!(StorageError::from(classify(&error)).to_string().lines().count(), 1);
    }
}
