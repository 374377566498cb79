//! "Did you mean …?" for misspelt role and scope names, usable in `const`
//! evaluation so that a typo in `#[requires]` fails the build.

/// Names longer than this are never suggested (the edit distance is computed
/// on a fixed-size row so that it can run in `const` evaluation).
pub const MAX_SUGGEST_LEN: usize = 64;

/// Levenshtein distance between two byte strings, ASCII case differences
/// counting as half an edit (so `Admin` is close to `admin`). Returns
/// `usize::MAX` when either is longer than [`MAX_SUGGEST_LEN`]. The result is
/// in half-edits.
pub const fn distance(a: &str, b: &str) -> usize {
    let a = a.as_bytes();
    let b = b.as_bytes();
    if a.len() > MAX_SUGGEST_LEN || b.len() > MAX_SUGGEST_LEN {
        return usize::MAX;
    }
    let mut row = [0usize; MAX_SUGGEST_LEN + 1];
    let mut j = 0;
    while j <= b.len() {
        row[j] = 2 * j;
        j += 1;
    }
    let mut i = 0;
    while i < a.len() {
        let mut diagonal = row[0];
        row[0] = 2 * (i + 1);
        let mut j = 0;
        while j < b.len() {
            let cost = if a[i] == b[j] {
                0
            } else if a[i].eq_ignore_ascii_case(&b[j]) {
                1
            } else {
                2
            };
            let substitute = diagonal + cost;
            let delete = row[j + 1] + 2;
            let insert = row[j] + 2;
            diagonal = row[j + 1];
            row[j + 1] = min(substitute, min(delete, insert));
            j += 1;
        }
        i += 1;
    }
    row[b.len()]
}

const fn min(a: usize, b: usize) -> usize {
    if a < b { a } else { b }
}

/// The index of the declared name closest to `name`, if one is close enough
/// to be a plausible typo: at most a third of the name's length in edits,
/// and at least one edit allowed. Ties go to the first declared.
pub const fn closest(declared: &[&str], name: &str) -> Option<usize> {
    let allowed = 2 * if name.len() / 3 > 1 { name.len() / 3 } else { 1 };
    let mut best: Option<usize> = None;
    let mut best_distance = usize::MAX;
    let mut i = 0;
    while i < declared.len() {
        let d = distance(declared[i], name);
        if d <= allowed && d < best_distance {
            best = Some(i);
            best_distance = d;
        }
        i += 1;
    }
    best
}

/// A fixed-capacity string built in `const` evaluation, for panic messages.
/// Text past the capacity is cut at a character boundary.
#[derive(Debug, Clone, Copy)]
pub struct ConstMessage {
    buf: [u8; 512],
    len: usize,
}

impl ConstMessage {
    /// An empty message.
    pub const fn new() -> Self {
        Self { buf: [0; 512], len: 0 }
    }

    /// The message with `text` appended.
    #[must_use]
    pub const fn push(mut self, text: &str) -> Self {
        let bytes = text.as_bytes();
        let room = self.buf.len() - self.len;
        // Cut `text` at its last character boundary that fits: never inside a
        // character, and never into what is already in the buffer.
        let mut end = if bytes.len() < room { bytes.len() } else { room };
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mut i = 0;
        while i < end {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    /// The text so far.
    pub const fn as_str(&self) -> &str {
        let (used, _) = self.buf.split_at(self.len);
        match core::str::from_utf8(used) {
            Ok(text) => text,
            Err(_) => "",
        }
    }
}

impl Default for ConstMessage {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_edit_is_suggested() {
        assert_eq!(closest(&["admin", "editor", "viewer"], "admn"), Some(0));
        assert_eq!(closest(&["admin", "editor", "viewer"], "Admin"), Some(0));
        assert_eq!(closest(&["users:read", "users:write"], "users:wirte"), Some(1));
    }

    #[test]
    fn far_names_are_not_suggested() {
        assert_eq!(closest(&["admin", "editor", "viewer"], "superuser"), None);
        assert_eq!(closest(&["a"], "zzzz"), None);
    }

    #[test]
    fn message_is_cut_at_a_character_boundary() {
        let mut message = ConstMessage::new();
        for _ in 0..200 {
            message = message.push("é");
        }
        assert_eq!(message.as_str().len() % 2, 0);
        assert!(message.as_str().len() <= 512);
    }
}
