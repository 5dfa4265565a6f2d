//! Who may act as an operator over HTTP. Operator actions (a resolution, which records money
//! and copies as settled by hand) are not for whoever can reach the port: a request must carry
//! `Authorization: Bearer <token>` with the token `checkout serve` was started with
//! (`--operator-token-file`). Without one, the operator routes answer 403 and nothing else
//! changes. The token is compared in constant time and never logged or echoed.

use std::path::Path;

use axum::http::{header, HeaderMap};
use subtle::ConstantTimeEq;

use super::ApiError;

/// The fewest characters an operator token may have: long enough not to be guessed over HTTP.
pub const MIN_TOKEN_CHARS: usize = 24;

/// The token operators present.
#[derive(Clone)]
pub struct OperatorToken(String);

/// Why an operator token file was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    #[error("cannot read the operator token file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the operator token in {path} has {chars} characters; at least {MIN_TOKEN_CHARS} are needed")]
    TooShort { path: String, chars: usize },
    #[error("the operator token in {path} holds a character other than visible ASCII")]
    NotVisibleAscii { path: String },
}

impl OperatorToken {
    /// Reads the token from `path`: its whole content, without surrounding whitespace.
    pub fn from_file(path: &Path) -> Result<OperatorToken, TokenFileError> {
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| TokenFileError::Read { path: shown.clone(), source })?;
        let token = text.trim();
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(TokenFileError::NotVisibleAscii { path: shown });
        }
        if token.len() < MIN_TOKEN_CHARS {
            return Err(TokenFileError::TooShort { path: shown, chars: token.len() });
        }
        Ok(OperatorToken(token.to_string()))
    }
}

impl std::fmt::Debug for OperatorToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OperatorToken(…)")
    }
}

/// Lets an operator request through: 403 if this server takes no operator actions, 401 if the
/// request carries no bearer token or another one.
pub(super) fn admit(expected: Option<&OperatorToken>, headers: &HeaderMap) -> Result<(), ApiError> {
    let expected = expected.ok_or(ApiError::OperatorActionsOff)?;
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or(ApiError::NotAnOperator)?;
    if bool::from(presented.trim().as_bytes().ct_eq(expected.0.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::NotAnOperator)
    }
}
