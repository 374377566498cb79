//! One request, one connection: write the bytes, read to the end of the
//! stream, parse. Over plain TCP ([`send`]) or any stream a test has set up,
//! such as a TLS session ([`exchange`]).

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::response::{self, Response};

/// Longest an exchange may take before the test fails instead of hanging.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Writes `raw` to a new connection to `addr` and reads the response to
/// the end of the stream (send `Connection: close`, as
/// [`Request::to_bytes`](crate::Request::to_bytes) does).
pub async fn send(addr: SocketAddr, raw: &[u8]) -> Response {
    let stream = TcpStream::connect(addr).await.expect("connect to the test server");
    exchange(stream, raw).await
}

/// Writes `raw` to `stream` and reads the response to the end of the
/// stream; panics when none arrives within 30 s.
pub async fn exchange<S>(mut stream: S, raw: &[u8]) -> Response
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let io = async {
        // The server may answer and close before reading everything (a
        // head over its limit): what it answered is still read below.
        if stream.write_all(raw).await.is_ok() {
            let _ = stream.flush().await;
        }
        read_to_end(&mut stream).await
    };
    let bytes = tokio::time::timeout(TIMEOUT, io).await.expect("the server answers in time");
    response::parse(&bytes)
}

async fn read_to_end<S: AsyncRead + Unpin>(stream: &mut S) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            // A reset after the response has arrived still leaves a response.
            Err(e) if !out.is_empty() && e.kind() == ErrorKind::ConnectionReset => return out,
            Err(e) => panic!("reading the response failed: {e}"),
        }
    }
}
