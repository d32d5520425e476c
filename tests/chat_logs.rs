//! What the chat example logs for bad client input: warnings at most.
//!
//! A file of its own: the log is captured with a subscriber scoped to this
//! test's thread, and tracing caches whether a log line is wanted across
//! threads, so a test running beside it could hide lines from it.

use std::io::Write;
use std::sync::{Arc, Mutex};

use aqueduct_tests::{TestServer, connect, connect_refused, expect_close, send_text};

/// A log that keeps what `tracing` writes on this thread, as text.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn bad_client_input_is_logged_as_a_warning_at_most() {
    // Regression: a refused room name also ran `disconnect`, whose
    // group_discard of the invalid group name logged an ERROR.
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // The test's runtime has one thread, which runs the server too.
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = TestServer::start(example_chat::app()).await;
    let (status, _) = connect_refused(&server.ws("/ws/chat/caf%C3%A9/")).await;
    assert_eq!(status, 400);
    let mut rude = connect(&server.ws("/ws/chat/lobby/")).await;
    send_text(&mut rude, "this is not JSON").await;
    assert_eq!(expect_close(&mut rude).await, 1007);
    // Shutting down waits for every disconnect hook.
    server.shutdown().await;

    let text = log.text();
    assert!(text.contains("websocket rejected"), "{text}");
    assert!(text.contains("WARN"), "{text}");
    assert!(!text.contains("ERROR"), "{text}");
}
