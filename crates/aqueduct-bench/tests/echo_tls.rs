//! bench-raw-echo's server over TLS, with a real loopback client.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream};

#[tokio::test]
async fn a_client_trusting_the_certificate_gets_its_echo_over_http_1_1() {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let dir = std::env::temp_dir().join(format!("aqueduct-bench-echo-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let config = aqueduct_bench::serving::tls_server_config(&cert, &key).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(aqueduct_bench::raw::serve_echo_tls(listener, config));

    let mut roots = rustls::RootCertStore::empty();
    roots.add(made.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    // Offer HTTP/2 as well: the server must still choose HTTP/1.1.
    client.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let connector = Some(Connector::Rustls(Arc::new(client)));
    let url = format!("wss://{addr}/ws/echo/");
    let (mut socket, _) =
        tokio_tungstenite::connect_async_tls_with_config(url, None, true, connector)
            .await
            .unwrap();

    let MaybeTlsStream::Rustls(tls) = socket.get_ref() else {
        panic!("not TLS");
    };
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    socket.send(Message::text("hi")).await.unwrap();
    assert_eq!(socket.next().await.unwrap().unwrap(), Message::text("hi"));
}
