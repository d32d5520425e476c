//! What can go wrong setting up the server.

use std::path::PathBuf;

/// TLS could not be set up from the files given.
///
/// Each message names the file and says what it should hold.
///
/// ```
/// use aqueduct_server::TlsError;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let server = aqueduct_server::Server::bind("127.0.0.1:0").await.unwrap();
/// let err = server.tls_pem_files("/nonexistent/cert.pem", "/nonexistent/key.pem").unwrap_err();
/// assert!(matches!(err, TlsError::Pem { .. }));
/// assert!(err.to_string().contains("/nonexistent/cert.pem"));
/// # });
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A PEM file could not be read or parsed.
    #[error(
        "cannot read {path:?} as PEM: {reason}; pass the certificate chain and the private key as PEM files"
    )]
    Pem {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// The certificate file holds no certificate.
    #[error(
        "no certificate in {path:?}; it should hold `-----BEGIN CERTIFICATE-----` blocks, the server's first"
    )]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The key file holds no private key.
    #[error(
        "no private key in {path:?}; it should hold one `-----BEGIN PRIVATE KEY-----` (or RSA / EC PRIVATE KEY) block"
    )]
    NoPrivateKey {
        /// The file.
        path: PathBuf,
    },
    /// rustls refused the certificate and key together.
    #[error(
        "rustls refused the certificate and key: {0}; check that the key belongs to the certificate"
    )]
    Rejected(String),
}

/// A list of trusted proxies could not be read.
///
/// ```
/// use aqueduct_server::{TrustedProxies, TrustedProxiesError};
///
/// let err = "10.0.0.0/8, nginx".parse::<TrustedProxies>().unwrap_err();
/// assert!(matches!(err, TrustedProxiesError::NotAnAddress { .. }));
/// assert!(err.to_string().contains("\"nginx\""));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustedProxiesError {
    /// An entry is neither an IP address, a network nor `*`.
    #[error(
        "{entry:?} is not an IP address or network; write an address as `10.0.0.1` or `::1`, a network as `10.0.0.0/8` or `fd00::/8`, or `*` to trust every sender"
    )]
    NotAnAddress {
        /// The entry, as written.
        entry: String,
    },
    /// A network's prefix is longer than its address.
    #[error("{entry:?}: a network's prefix length is at most 32 for IPv4 and 128 for IPv6")]
    PrefixTooLong {
        /// The entry, as written.
        entry: String,
    },
}
