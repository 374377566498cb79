//! Principals reused instead of reallocated: each thread keeps handles on
//! the last few principals it built, and once every other handle on one is
//! gone (its request is over), the next verification on that thread writes
//! into it, decoding the payload into the buffer it already has. In the
//! steady state a verification without the token cache then allocates
//! nothing.
//!
//! A kept principal is exclusively ours once its strong count is one: we
//! never hand out `Weak` handles to principals, and a count cannot rise
//! again without a handle to clone. `Arc::get_mut` checks it once more
//! before anything is written.
//!
//! Trade-off: a kept principal holds the claims of the last token it was
//! built from until it is reused or its thread ends (at most
//! `KEPT_PER_THREAD` per thread). It holds no signature, so never a usable
//! token.

use std::cell::RefCell;
use std::sync::Arc;

use crate::principal::Principal;

/// Principals kept per thread. Each holds at most one payload, and payloads
/// are bounded by the longest token accepted.
const KEPT_PER_THREAD: usize = 8;

thread_local! {
    static KEPT: RefCell<Vec<Arc<Principal>>> = const { RefCell::new(Vec::new()) };
}

/// A kept principal nobody else holds any more, taken out of the pool: the
/// caller is its only owner.
pub(crate) fn take() -> Option<Arc<Principal>> {
    KEPT.try_with(|kept| {
        let mut kept = kept.try_borrow_mut().ok()?;
        let index = kept.iter().position(|principal| Arc::strong_count(principal) == 1)?;
        Some(kept.swap_remove(index))
    })
    .ok()
    .flatten()
}

/// Keeps a handle on `principal`, if this thread has room, to reuse it
/// once the request holding it is over.
pub(crate) fn keep(principal: &Arc<Principal>) {
    let _ = KEPT.try_with(|kept| {
        if let Ok(mut kept) = kept.try_borrow_mut()
            && kept.len() < KEPT_PER_THREAD
        {
            kept.push(Arc::clone(principal));
        }
    });
}

/// `principal`, written into `spare` when the caller owns it alone.
pub(crate) fn into_shared(spare: Option<Arc<Principal>>, principal: Principal) -> Arc<Principal> {
    match spare {
        Some(mut shared) => match Arc::get_mut(&mut shared) {
            Some(slot) => {
                *slot = principal;
                shared
            }
            None => Arc::new(principal),
        },
        None => Arc::new(principal),
    }
}

/// The payload buffer of a principal the caller owns alone, emptied.
pub(crate) fn buffer_of(spare: &mut Option<Arc<Principal>>) -> Vec<u8> {
    spare.as_mut().and_then(Arc::get_mut).map(Principal::take_payload).unwrap_or_default()
}
