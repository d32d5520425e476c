//! TLS for the workspace tests: a certificate made for the test, and
//! clients that trust it and nothing else.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ClientConfig;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::Connector;

use crate::{Client, WAIT};

/// A self-signed certificate for `localhost` and `127.0.0.1`, written as
/// PEM files into a directory of its own that is removed on drop.
#[derive(Debug)]
pub struct TestCert {
    dir: PathBuf,
    der: CertificateDer<'static>,
    spki: Vec<u8>,
}

impl TestCert {
    pub fn new() -> Self {
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let made = rcgen::generate_simple_self_signed(names).expect("make a certificate");
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("aqueduct-cert-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cert.pem"), made.cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), made.signing_key.serialize_pem()).unwrap();
        Self {
            dir,
            der: made.cert.der().clone(),
            spki: rcgen::PublicKeyData::subject_public_key_info(&made.signing_key),
        }
    }

    pub fn cert_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir.join("key.pem")
    }

    /// The directory holding both files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The base64 SHA-256 of the certificate's public key, as Chromium's
    /// `--ignore-certificate-errors-spki-list` takes it: a browser started
    /// with it trusts this certificate, and no other unknown one.
    pub fn spki_sha256_base64(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.spki);
        data_encoding::BASE64.encode(digest.as_ref())
    }

    /// A client config that trusts this certificate only and offers `alpn`.
    pub fn client_config(&self, alpn: &[&[u8]]) -> Arc<ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.der.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|name| name.to_vec()).collect();
        Arc::new(config)
    }

    /// Opens TLS to `addr` as `localhost`, offering `alpn`.
    pub async fn connect(&self, addr: SocketAddr, alpn: &[&[u8]]) -> TlsStream<TcpStream> {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let name = ServerName::try_from("localhost").unwrap();
        let connector = TlsConnector::from(self.client_config(alpn));
        tokio::time::timeout(WAIT, connector.connect(name, tcp))
            .await
            .expect("TLS handshake timed out")
            .expect("TLS handshake")
    }

    /// Opens a WebSocket to a `wss://` URL, trusting this certificate.
    pub async fn connect_websocket(&self, url: &str) -> Client {
        let addr = url
            .trim_start_matches("wss://")
            .split('/')
            .next()
            .unwrap()
            .replace("localhost", "127.0.0.1");
        let tcp = TcpStream::connect(&addr).await.expect("connect");
        let connector = Connector::Rustls(self.client_config(&[b"http/1.1"]));
        let connect =
            tokio_tungstenite::client_async_tls_with_config(url, tcp, None, Some(connector));
        let (client, response) = tokio::time::timeout(WAIT, connect)
            .await
            .expect("wss handshake timed out")
            .expect("wss handshake");
        assert_eq!(response.status(), 101);
        client
    }
}

impl Default for TestCert {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestCert {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
