//! TLS with rustls: certificates from PEM files, and ALPN for HTTP/2.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::TlsError;

/// ALPN names, best first: a client that speaks HTTP/2 gets it.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Builds a server config from a PEM certificate chain and a PEM private
/// key (PKCS#8, PKCS#1 or SEC1), offering HTTP/2 and HTTP/1.1 by ALPN.
pub(crate) fn from_pem_files(cert: &Path, key: &Path) -> Result<ServerConfig, TlsError> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|err| TlsError::Pem {
            path: cert.to_owned(),
            reason: err.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: cert.to_owned(),
        });
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|err| match err {
        rustls::pki_types::pem::Error::NoItemsFound => TlsError::NoPrivateKey {
            path: key.to_owned(),
        },
        err => TlsError::Pem {
            path: key.to_owned(),
            reason: err.to_string(),
        },
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key))
        .map_err(|err| TlsError::Rejected(err.to_string()))?;
    Ok(with_alpn(config))
}

/// Offers HTTP/2 and HTTP/1.1 unless the config chose its own protocols.
pub(crate) fn with_alpn(mut config: ServerConfig) -> ServerConfig {
    if config.alpn_protocols.is_empty() {
        config.alpn_protocols = ALPN.iter().map(|name| name.to_vec()).collect();
    }
    config
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    #[test]
    fn pem_files_that_cannot_serve_say_which_file_and_why() {
        let dir = std::env::temp_dir().join(format!("aqueduct-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let cert_pem = write(&dir, "cert.pem", &cert.cert.pem());
        let key_pem = write(&dir, "key.pem", &cert.signing_key.serialize_pem());
        let empty = write(&dir, "empty.pem", "");
        let missing = dir.join("missing.pem");

        assert!(from_pem_files(&cert_pem, &key_pem).is_ok());
        #[rustfmt::skip]
        let cases: [(&Path, &Path, &str); 4] = [
            (&empty,    &key_pem, "no certificate"),
            (&cert_pem, &empty,   "no private key"),
            (&cert_pem, &cert_pem, "no private key"),
            (&missing,  &key_pem, "cannot read"),
        ];
        for (cert, key, expected) in cases {
            let err = from_pem_files(cert, key).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn alpn_offers_http2_first_unless_the_config_chose() {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.cert.der().clone()],
                PrivateKeyDer::try_from(cert.signing_key.serialize_der()).unwrap(),
            )
            .unwrap();
        let mut chosen = config.clone();
        chosen.alpn_protocols = vec![b"http/1.1".to_vec()];
        assert_eq!(
            with_alpn(config).alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
        assert_eq!(with_alpn(chosen).alpn_protocols, [b"http/1.1".to_vec()]);
    }
}
