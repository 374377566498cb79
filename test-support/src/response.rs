//! A response as a client received it: the status, every header line in
//! order (duplicates kept), the body (de-chunked), and the `Bearer`
//! challenge's auth-params (RFC 6750 §3).

use serde_json::Value;

/// A parsed response; headers in order, duplicates kept.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Every header line, name as sent and value trimmed, in order.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked when it was sent chunked.
    pub body: Vec<u8>,
}

impl std::fmt::Display for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?} {}", self.status, self.headers, String::from_utf8_lossy(&self.body))
    }
}

impl Response {
    /// Parses a whole response as received (status line, headers, body).
    pub fn parse(bytes: &[u8]) -> Response {
        parse(bytes)
    }

    /// Every value of header `name` (case-insensitive), in order.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The only value of header `name`, if present; panics on duplicates.
    pub fn header(&self, name: &str) -> Option<&str> {
        let values = self.header_values(name);
        assert!(values.len() <= 1, "header {name} is repeated: {self}");
        values.first().copied()
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {self}"))
    }

    /// The JSON body's `error` member (empty when it has none).
    pub fn error_code(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }

    /// The `WWW-Authenticate` challenge, parsed; panics when absent or not
    /// a `Bearer` challenge.
    pub fn challenge(&self) -> Challenge {
        let value = self
            .header("WWW-Authenticate")
            .unwrap_or_else(|| panic!("no WWW-Authenticate header: {self}"));
        Challenge::parse(value).unwrap_or_else(|| panic!("not a Bearer challenge: {value:?}"))
    }
}

/// A `Bearer` challenge's auth-params (RFC 6750 §3).
#[derive(Debug, Clone)]
pub struct Challenge {
    /// Each `name="value"` pair, in order.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    fn parse(value: &str) -> Option<Self> {
        let rest = value.strip_prefix("Bearer ")?;
        let mut params = Vec::new();
        let mut rest = rest.trim_start();
        while !rest.is_empty() {
            let (name, after) = rest.split_once('=')?;
            let after = after.strip_prefix('"')?;
            let end = after.find('"')?;
            params.push((name.trim().to_owned(), after[..end].to_owned()));
            rest = after[end + 1..].trim_start();
            rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        }
        Some(Self { params })
    }

    /// The value of auth-param `name`; panics if it appears twice.
    pub fn param(&self, name: &str) -> Option<&str> {
        let mut found = self.params.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str());
        let first = found.next();
        assert!(found.next().is_none(), "auth-param {name} is repeated: {self:?}");
        first
    }
}

/// Parses a whole HTTP/1.1 response, as read to the end of the stream.
pub(crate) fn parse(bytes: &[u8]) -> Response {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers in {:?}", String::from_utf8_lossy(bytes)));
    let head = std::str::from_utf8(&bytes[..split]).expect("response head is ASCII");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("a status line");
    let mut words = status_line.splitn(3, ' ');
    assert_eq!(words.next(), Some("HTTP/1.1"), "status line {status_line:?}");
    let status = words
        .next()
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status code in {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').expect("header line has a colon");
            (name.to_owned(), value.trim().to_owned())
        })
        .collect();
    let raw_body = &bytes[split + 4..];
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked { dechunk(raw_body) } else { raw_body.to_vec() };
    Response { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").expect("chunk size line");
        let size_text = std::str::from_utf8(&data[..line_end]).expect("chunk size is ASCII");
        let size_text = size_text.split(';').next().unwrap_or(size_text).trim();
        let size = usize::from_str_radix(size_text, 16).expect("chunk size is hex");
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}
