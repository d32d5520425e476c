//! TLS for the baselines that serve it, as aqueduct's server does: rustls
//! with the ring provider, certificates from PEM files.

use std::io;
use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The ALPN name of HTTP/1.1, the one protocol target i's clients offer:
/// a WebSocket handshake is an HTTP/1.1 upgrade.
pub(crate) const HTTP_1_1: &[u8] = b"http/1.1";

/// A server config with the certificate chain and private key in these
/// PEM files, offering HTTP/1.1 by ALPN.
///
/// Fails, naming the file, when one cannot be read or holds nothing
/// usable, or when the key does not fit the certificate.
pub fn tls_server_config(cert: &Path, key: &Path) -> io::Result<Arc<ServerConfig>> {
    let unusable = |path: &Path, reason: String| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("cannot serve TLS with {}: {reason}", path.display()),
        )
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|err| unusable(cert, err.to_string()))?;
    if chain.is_empty() {
        return Err(unusable(cert, "no certificate in it".into()));
    }
    let private_key =
        PrivateKeyDer::from_pem_file(key).map_err(|err| unusable(key, err.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| {
            builder
                .with_no_client_auth()
                .with_single_cert(chain, private_key)
        })
        .map_err(|err| unusable(key, err.to_string()))?;
    config.alpn_protocols = vec![HTTP_1_1.to_vec()];
    Ok(Arc::new(config))
}
