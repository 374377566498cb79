//! Base64url segments of a compact JWS, decoded onto the stack when they fit.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::token_error::TokenError;

/// Decodes a base64url segment into `stack` when it fits, else into `heap`.
pub(crate) fn decode_segment<'b>(
    segment: &str,
    stack: &'b mut [u8],
    heap: &'b mut Vec<u8>,
    error: &'static str,
) -> Result<&'b [u8], TokenError> {
    if base64::decoded_len_estimate(segment.len()) <= stack.len() {
        let len = URL_SAFE_NO_PAD.decode_slice(segment, &mut *stack);
        Ok(&stack[..len.map_err(|_| TokenError::new(error))?])
    } else {
        URL_SAFE_NO_PAD.decode_vec(segment, &mut *heap).map_err(|_| TokenError::new(error))?;
        Ok(heap)
    }
}
