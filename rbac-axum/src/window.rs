//! Time: the window a token is accepted in, and the clock it is read with.

use std::time::{SystemTime, UNIX_EPOCH};

/// The times a token is accepted in (RFC 7519 §4.1.4, §4.1.5), widened by
/// the issuer's leeway; verification and the verified-token cache both
/// decide with it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    /// `exp`, in seconds.
    pub(crate) exp: f64,
    /// `nbf`, if the token has one.
    pub(crate) nbf: Option<f64>,
    /// The issuer's leeway, in seconds.
    pub(crate) leeway: f64,
}

impl Window {
    /// Not accepted "on or after" the expiry.
    pub(crate) fn expired(&self, now: f64) -> bool {
        now >= self.exp + self.leeway
    }

    /// Not accepted before `nbf`.
    pub(crate) fn early(&self, now: f64) -> bool {
        self.nbf.is_some_and(|nbf| now + self.leeway < nbf)
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
