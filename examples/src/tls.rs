//! HTTPS with rustls (aws-lc-rs, already in the tree for the JWTs): the
//! certificate from the configured PEM files or, for development, a
//! self-signed one generated on first start and kept beside the database.
//! Handshakes happen in the accept loop (`accept.rs`), each on its
//! connection's own task and within the header timeout.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::config::Tls;
use crate::private_file;
use crate::start_error::StartError;

/// Names of the generated certificate and key in the data directory.
pub(crate) const CERT_FILE: &str = "tls-cert.pem";
pub(crate) const KEY_FILE: &str = "tls-key.pem";

/// Days a generated certificate is valid for.
const SELF_SIGNED_DAYS: i64 = 365;

/// What serving HTTPS needs, ready at start.
#[derive(Clone)]
pub(crate) struct TlsSetup {
    /// Accepts TLS connections with the certificate.
    pub(crate) acceptor: TlsAcceptor,
    /// The certificate file served.
    pub(crate) cert_path: PathBuf,
    /// Whether it was generated here (and so is trusted by nobody yet).
    pub(crate) self_signed: bool,
    /// SHA-256 of the leaf certificate, as `AB:CD:…`.
    pub(crate) fingerprint: String,
}

impl std::fmt::Debug for TlsSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSetup")
            .field("cert_path", &self.cert_path)
            .field("self_signed", &self.self_signed)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// The TLS setup `tls` asks for, or `None` for plain HTTP. Blocking.
pub(crate) fn load(
    tls: &Tls,
    data_dir: &Path,
    addr: SocketAddr,
) -> Result<Option<TlsSetup>, StartError> {
    let (cert_path, key_path, self_signed) = match tls {
        Tls::Off => return Ok(None),
        Tls::Files { cert, key } => (cert.clone(), key.clone(), false),
        Tls::SelfSigned => {
            let (cert, key) = (data_dir.join(CERT_FILE), data_dir.join(KEY_FILE));
            create_self_signed(&cert, &key, addr)?;
            (cert, key, true)
        }
    };
    let bad = |path: &Path, message: String| StartError::Tls { path: path.to_owned(), message };

    let certs = CertificateDer::pem_file_iter(&cert_path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|error| bad(&cert_path, error.to_string()))?;
    let Some(leaf) = certs.first() else {
        return Err(bad(&cert_path, "holds no certificate".to_owned()));
    };
    let fingerprint = fingerprint(leaf);
    // Read through `private_file` so that a key others can read is refused.
    let key_pem =
        private_file::read(&key_path).map_err(|error| bad(&key_path, error.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|error| bad(&key_path, error.to_string()))?;

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| bad(&cert_path, error.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|error| bad(&cert_path, error.to_string()))?;
    // axum here speaks HTTP/1.1 only; say so in ALPN.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];

    Ok(Some(TlsSetup {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        cert_path,
        self_signed,
        fingerprint,
    }))
}

/// Generates a self-signed certificate for `localhost`, the loopback
/// addresses and the listening address, unless one exists.
fn create_self_signed(
    cert_path: &Path,
    key_path: &Path,
    addr: SocketAddr,
) -> Result<(), StartError> {
    if cert_path.exists() && key_path.exists() {
        return Ok(());
    }
    let failed = |message: String| StartError::Tls { path: cert_path.to_owned(), message };
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    if !addr.ip().is_unspecified() && !addr.ip().is_loopback() {
        names.push(addr.ip().to_string());
    }
    let mut params = rcgen::CertificateParams::new(names).map_err(|e| failed(e.to_string()))?;
    params.distinguished_name.push(rcgen::DnType::CommonName, "rbac-example development");
    let today = days_since_epoch();
    let (year, month, day) = civil_date(today - 1);
    params.not_before = rcgen::date_time_ymd(year, month, day);
    let (year, month, day) = civil_date(today + SELF_SIGNED_DAYS);
    params.not_after = rcgen::date_time_ymd(year, month, day);
    let key = rcgen::KeyPair::generate().map_err(|e| failed(e.to_string()))?;
    let cert = params.self_signed(&key).map_err(|e| failed(e.to_string()))?;

    let io_error = |path: &Path| {
        let path = path.to_owned();
        move |source| StartError::Io { path, source }
    };
    // Key first: a certificate without its key is useless, the reverse is
    // regenerated below on the next start.
    let _ = std::fs::remove_file(cert_path);
    let _ = std::fs::remove_file(key_path);
    private_file::create_new(key_path, key.serialize_pem().as_bytes())
        .map_err(io_error(key_path))?;
    private_file::create_new(cert_path, cert.pem().as_bytes()).map_err(io_error(cert_path))?;
    tracing::info!(path = %cert_path.display(), "generated a self-signed TLS certificate");
    Ok(())
}

/// SHA-256 of a certificate, the form browsers and `openssl x509
/// -fingerprint -sha256` show.
pub(crate) fn fingerprint(cert: &CertificateDer<'_>) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, cert.as_ref());
    digest.as_ref().iter().map(|byte| format!("{byte:02X}")).collect::<Vec<_>>().join(":")
}

fn days_since_epoch() -> i64 {
    crate::db::unix_now() / 86_400
}

/// The UTC date `days` after 1970-01-01 as (year, month, day): Howard
/// Hinnant's `civil_from_days`.
fn civil_date(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (
        i32::try_from(year).unwrap_or(i32::MAX),
        u8::try_from(month).unwrap_or(1),
        u8::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_computed_from_days() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(19_782), (2024, 2, 29));
        assert_eq!(civil_date(20_453), (2025, 12, 31));
        assert_eq!(civil_date(-1), (1969, 12, 31));
    }

    #[test]
    fn a_generated_certificate_is_reused_and_its_key_private() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let addr: SocketAddr = "127.0.0.1:0".parse().expect("literal address");
        let first = load(&Tls::SelfSigned, dir.path(), addr).expect("generated").expect("TLS on");
        let again = load(&Tls::SelfSigned, dir.path(), addr).expect("loaded").expect("TLS on");
        assert_eq!(first.fingerprint, again.fingerprint);
        assert_eq!(first.fingerprint.len(), 32 * 3 - 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).expect("key").permissions();
            assert_eq!(mode.mode() & 0o777, 0o600);
        }
    }
}
