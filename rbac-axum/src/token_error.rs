//! Why a token was refused: [`TokenError`] for callers, and the failures
//! verification reports inside the crate, some of which a key fetch cures.

use std::borrow::Cow;

/// Why a token was not accepted. The messages never include the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TokenError {
    message: Cow<'static, str>,
    kind: TokenErrorKind,
}

/// Whose fault a [`TokenError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenErrorKind {
    /// The token is not acceptable (401 `invalid_token`).
    Invalid,
    /// The server cannot decide now: no keys were fetched yet, or a
    /// user-provided claims mapper failed (500).
    Server,
    /// The revocation store cannot vouch for its answers now (it lost
    /// touch with its source for too long, or never loaded): 503, to be
    /// tried again after `retry_after`.
    Unavailable {
        /// When to try again.
        retry_after: std::time::Duration,
    },
}

impl TokenError {
    pub(crate) fn new(message: &'static str) -> Self {
        Self { message: Cow::Borrowed(message), kind: TokenErrorKind::Invalid }
    }

    pub(crate) fn server(message: impl Into<Cow<'static, str>>) -> Self {
        Self { message: message.into(), kind: TokenErrorKind::Server }
    }

    pub(crate) fn unavailable(message: &'static str, retry_after: std::time::Duration) -> Self {
        Self { message: Cow::Borrowed(message), kind: TokenErrorKind::Unavailable { retry_after } }
    }

    /// The reason, in words a client developer can act on.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the token or the server is at fault.
    pub fn kind(&self) -> TokenErrorKind {
        self.kind
    }

    pub(crate) fn into_message(self) -> Cow<'static, str> {
        self.message
    }
}

/// The refusal for a `kid` no key of the server has.
pub(crate) const UNKNOWN_KID: &str = "no key of this server matches the token's `kid`";

/// A failed verification, with what a fetch might cure.
pub(crate) enum Failure {
    Token(TokenError),
    /// The issuer's fetched keys have the algorithm but not the `kid`.
    UnknownKid {
        issuer: usize,
        generation: u64,
    },
    /// The issuer's keys were never fetched successfully.
    NoKeysYet {
        issuer: usize,
        generation: u64,
    },
}

impl From<TokenError> for Failure {
    fn from(error: TokenError) -> Self {
        Failure::Token(error)
    }
}

impl Failure {
    pub(crate) fn into_error(self) -> TokenError {
        match self {
            Failure::Token(error) => error,
            Failure::UnknownKid { .. } => TokenError::new(UNKNOWN_KID),
            Failure::NoKeysYet { .. } => TokenError::server(
                "the server has no keys from its identity provider yet; try again later",
            ),
        }
    }
}
