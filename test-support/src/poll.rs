//! Waiting for a condition that becomes true in the background (a key
//! fetched, a refresh done), checked again and again, within a bound.

use std::future::Future;
use std::time::Duration;

/// Checks `condition` every 50 ms until it holds or `limit` has passed;
/// whether it held.
pub async fn eventually<F>(limit: Duration, mut condition: impl FnMut() -> F) -> bool
where
    F: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if condition().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
