//! What can go wrong setting up the server.

use std::path::PathBuf;

/// TLS could not be set up from the files given.
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
