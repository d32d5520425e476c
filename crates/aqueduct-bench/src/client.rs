//! The generator's WebSocket clients: connecting many, over TLS if asked,
//! reading data frames, closing cleanly.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, stream};
use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::error::Error;
use crate::progress::Progress;
use crate::serving::{HTTP_1_1, websocket_config};

/// One client connection.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a close handshake may take before the socket is just dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// How the generator's clients open connections: `ws://` only, or also
/// `wss://` to a server whose certificate is the one trusted.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dialer {
    tls: Option<Arc<ClientConfig>>,
}

/// The connections that opened, and what became of the rest.
#[derive(Debug)]
pub(crate) struct Opened {
    pub(crate) sockets: Vec<Socket>,
    pub(crate) failures: usize,
    pub(crate) first_error: Option<String>,
}

impl Dialer {
    /// `ws://` only.
    pub(crate) const PLAIN: Self = Self { tls: None };

    /// A dialer that also opens `wss://` to a server whose certificate is
    /// the PEM file `certificate` (a self-signed one), and trusts nothing
    /// else. It offers HTTP/1.1 alone by ALPN, as WebSockets need.
    pub(crate) fn trusting(certificate: &Path) -> Result<Self, Error> {
        let unusable = |reason: String| {
            Error::Usage(format!(
                "cannot trust --tls-ca {}: {reason}",
                certificate.display()
            ))
        };
        let mut roots = rustls::RootCertStore::empty();
        for cert in
            CertificateDer::pem_file_iter(certificate).map_err(|err| unusable(err.to_string()))?
        {
            let cert = cert.map_err(|err| unusable(err.to_string()))?;
            roots.add(cert).map_err(|err| unusable(err.to_string()))?;
        }
        if roots.is_empty() {
            return Err(unusable("no certificate in it".into()));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| unusable(err.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![HTTP_1_1.to_vec()];
        Ok(Self {
            tls: Some(Arc::new(config)),
        })
    }

    /// Opens one WebSocket to `url`, with `TCP_NODELAY` and the servers'
    /// small buffers.
    pub(crate) async fn connect(&self, url: &str) -> Result<Socket, String> {
        let connector = self.tls.clone().map(Connector::Rustls);
        let config = Some(websocket_config());
        tokio_tungstenite::connect_async_tls_with_config(url, config, true, connector)
            .await
            .map(|(socket, _response)| socket)
            .map_err(|err| err.to_string())
    }

    /// Opens and closes one connection, to fail early and clearly when
    /// nothing listens at `url`.
    pub(crate) async fn probe(&self, url: &str) -> Result<(), Error> {
        let socket = self
            .connect(url)
            .await
            .map_err(|reason| Error::Unreachable {
                url: url.to_owned(),
                reason,
            })?;
        close(socket).await;
        Ok(())
    }

    /// Opens a connection to each of `urls`, at most `concurrency`
    /// handshakes at a time, reporting progress on stderr under `label`.
    pub(crate) async fn connect_many(
        &self,
        label: &str,
        urls: Vec<String>,
        concurrency: usize,
    ) -> Opened {
        let progress = Progress::start(format!("{label}: connected"), urls.len() as u64);
        let results: Vec<_> = stream::iter(urls)
            .map(|url| {
                let progress = &progress;
                async move {
                    let result = self.connect(&url).await;
                    progress.step();
                    result
                }
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        let mut opened = Opened {
            sockets: Vec::with_capacity(results.len()),
            failures: 0,
            first_error: None,
        };
        for result in results {
            match result {
                Ok(socket) => opened.sockets.push(socket),
                Err(err) => {
                    opened.failures += 1;
                    opened.first_error.get_or_insert(err);
                }
            }
        }
        opened
    }
}

/// The next text or binary message, or `None` once the connection is over.
/// tungstenite answers pings by itself; pongs are of no interest.
pub(crate) async fn next_data(socket: &mut Socket) -> Option<Message> {
    loop {
        match socket.next().await? {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => return Some(message),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}

/// Closes `socket` with a close handshake, waiting a bounded time for the
/// server's half. Returns whether the handshake completed.
pub(crate) async fn close(mut socket: Socket) -> bool {
    let handshake = async {
        socket.close(None).await.ok()?;
        while let Some(frame) = socket.next().await {
            frame.ok()?;
        }
        Some(())
    };
    matches!(
        tokio::time::timeout(CLOSE_TIMEOUT, handshake).await,
        Ok(Some(()))
    )
}

/// `url` with its last path segment replaced by `r<index>`: the room of
/// connection `index` when a chat route is used as echo.
pub(crate) fn room_url(url: &str, index: usize) -> String {
    let base = url.trim_end_matches('/');
    let base = base.rsplit_once('/').map_or(base, |(base, _room)| base);
    format!("{base}/r{index}/")
}

/// The text of a chat frame `{"message":"<text>"}`, read with plain string
/// slicing (a JSON parser per delivery would cost the generator more than
/// the server under test). Whitespace after the colon is allowed: Django
/// writes `{"message": "<text>"}`. The generator's texts need no escapes.
pub(crate) fn chat_text(frame: &str) -> Option<&str> {
    let value = frame.strip_prefix(r#"{"message":"#)?.trim_start();
    value.strip_prefix('"')?.strip_suffix(r#""}"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_texts() {
        let cases = [
            (r#"{"message":"hi"}"#, Some("hi")),
            (r#"{"message": "7:1234:xx"}"#, Some("7:1234:xx")),
            (r#"{"message":""}"#, Some("")),
            (r#"{"other":"hi"}"#, None),
            (r#"{"message":5}"#, None),
            ("", None),
        ];
        for (frame, expected) in cases {
            assert_eq!(chat_text(frame), expected, "{frame}");
        }
    }

    #[test]
    fn room_urls() {
        let cases = [
            (
                "ws://127.0.0.1:1/ws/chat/bench/",
                0,
                "ws://127.0.0.1:1/ws/chat/r0/",
            ),
            (
                "ws://127.0.0.1:1/ws/chat/r/",
                17,
                "ws://127.0.0.1:1/ws/chat/r17/",
            ),
            (
                "ws://127.0.0.1:1/ws/chat/x",
                2,
                "ws://127.0.0.1:1/ws/chat/r2/",
            ),
        ];
        for (url, index, expected) in cases {
            assert_eq!(room_url(url, index), expected, "{url}");
        }
    }
}
