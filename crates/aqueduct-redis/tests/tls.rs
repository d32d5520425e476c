//! `rediss://`: the layer over TLS, to a real redis-server serving TLS with
//! a certificate the test makes.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aqueduct_core::{ChannelLayer, Event};
use aqueduct_redis::{ConfigError, RedisChannelLayer, RedisConfig};
use aqueduct_test::service_available;

/// A redis-server that speaks only TLS, with a self-signed certificate for
/// `localhost`. Killed when dropped.
struct TlsRedis {
    port: u16,
    certificate: String,
    child: Child,
    dir: std::path::PathBuf,
}

impl TlsRedis {
    fn start() -> Option<Self> {
        if !service_available("redis-server (for TLS)", support::which("redis-server")) {
            return None;
        }
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let dir = std::env::temp_dir().join(format!("aqueduct-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert_path, cert.cert.pem()).unwrap();
        std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--tls-port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .arg("--tls-cert-file")
            .arg(&cert_path)
            .arg("--tls-key-file")
            .arg(&key_path)
            .arg("--tls-ca-cert-file")
            .arg(&cert_path)
            .args([
                "--tls-auth-clients",
                "no",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server with TLS did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Self {
            port,
            certificate: cert.cert.pem(),
            child,
            dir,
        })
    }

    fn url(&self) -> String {
        format!("rediss://localhost:{}", self.port)
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_carries_messages_to_a_server_the_given_authority_vouches_for() {
    let Some(server) = TlsRedis::start() else {
        return;
    };
    let config = RedisConfig::new()
        .host(server.url())
        .tls_root_certificate(server.certificate.clone());
    let layer = RedisChannelLayer::connect(config).await.unwrap();
    let channel = layer.new_channel("specific").await.unwrap();
    layer.group_add("chat_tls", &channel).await.unwrap();
    let event = Event::new("chat.message", &serde_json::json!({"message": "sealed"})).unwrap();
    layer.group_send("chat_tls", event.clone()).await.unwrap();
    layer.send("named", event.clone()).await.unwrap();
    assert_eq!(layer.receive(&channel).await.unwrap(), event);
    assert_eq!(layer.receive("named").await.unwrap(), event);

    // Without the authority, the system's roots do not trust it.
    let untrusted = RedisChannelLayer::connect(RedisConfig::new().host(server.url())).await;
    match untrusted {
        Err(ConfigError::Unreachable { host, .. }) => {
            assert_eq!(host, format!("localhost:{}", server.port))
        }
        other => panic!("expected the certificate to be refused, got {other:?}"),
    }
}
