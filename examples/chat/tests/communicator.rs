//! The chat, tested in memory with `aqueduct-test`: no sockets, no ports,
//! the same consumer code the server runs.

use aqueduct::CloseCode;
use aqueduct::http::StatusCode;
use aqueduct_test::{Connected, HttpCommunicator, WebsocketCommunicator};
use serde_json::{Value, json};

/// Opens a chat socket to `room` on `app`, and checks it was accepted.
async fn join(app: &aqueduct::ProtocolTypeRouter, room: &str) -> WebsocketCommunicator {
    let mut communicator = WebsocketCommunicator::new(app.clone(), &format!("/ws/chat/{room}/"));
    communicator.connect().await.assert_accepted();
    communicator
}

#[tokio::test]
async fn everyone_in_the_room_hears_a_message_and_other_rooms_do_not() {
    // One app, cloned: every communicator shares its channel layer.
    let app = mysite::app();
    let mut alice = join(&app, "lobby").await;
    let mut bob = join(&app, "lobby").await;
    let mut carol = join(&app, "kitchen").await;

    alice.send_json_to(&json!({"message": "hi"})).await;
    // The sender hears its own message too, through the group.
    assert_eq!(
        alice.receive_json_from::<Value>().await,
        json!({"message": "hi"})
    );
    assert_eq!(
        bob.receive_json_from::<Value>().await,
        json!({"message": "hi"})
    );
    assert!(carol.receive_nothing().await);

    carol.send_json_to(&json!({"message": "anyone?"})).await;
    assert_eq!(
        carol.receive_json_from::<Value>().await,
        json!({"message": "anyone?"})
    );
    assert!(alice.receive_nothing().await);
    assert!(bob.receive_nothing().await);

    for mut communicator in [alice, bob, carol] {
        communicator.disconnect(CloseCode::NORMAL).await;
    }
}

#[tokio::test]
async fn bad_frames_close_only_their_sender() {
    let app = mysite::app();
    let mut polite = join(&app, "lobby").await;
    #[rustfmt::skip]
    let table: [(aqueduct::Message, CloseCode); 3] = [
        ("this is not JSON".into(),        CloseCode::INVALID_PAYLOAD),
        (r#"{"text": "wrong key"}"#.into(), CloseCode::INVALID_PAYLOAD),
        (vec![1, 2, 3].into(),              CloseCode::UNSUPPORTED_DATA),
    ];
    for (frame, code) in table {
        let mut rude = join(&app, "lobby").await;
        rude.send_to(frame.clone()).await;
        assert_eq!(rude.receive_close().await, code, "{frame:?}");
        rude.disconnect(CloseCode::NORMAL).await;
        // The room saw nothing of it, and still works.
        assert!(polite.receive_nothing().await, "{frame:?}");
    }
    polite.send_json_to(&json!({"message": "still here"})).await;
    assert_eq!(
        polite.receive_json_from::<Value>().await,
        json!({"message": "still here"})
    );
}

#[tokio::test]
async fn room_names_that_cannot_be_a_group_are_refused_with_400() {
    let app = mysite::app();
    for room in ["caf%C3%A9", "two%20words", &"x".repeat(120)] {
        let mut communicator =
            WebsocketCommunicator::new(app.clone(), &format!("/ws/chat/{room}/"));
        let Connected::Rejected { status, body, .. } = communicator.connect().await else {
            panic!("{room}: the handshake was accepted");
        };
        assert_eq!(status, StatusCode::BAD_REQUEST, "{room}");
        assert!(body.contains("room names may use"), "{room}: {body}");
    }
    // Every character a group name allows is fine in a room name.
    join(&app, "room-1.b_c").await;
}

#[tokio::test]
async fn the_pages_are_served_over_http() {
    let app = mysite::app();
    #[rustfmt::skip]
    let table = [
        ("/chat/",       StatusCode::OK,        Some("room-name-input")),
        ("/chat/lobby/", StatusCode::OK,        Some("/ws/chat/")),
        ("/",            StatusCode::SEE_OTHER, None),
        ("/nowhere",     StatusCode::NOT_FOUND, None),
    ];
    for (path, status, contains) in table {
        let response = HttpCommunicator::new(app.clone(), "GET", path)
            .get_response()
            .await;
        assert_eq!(response.status, status, "{path}");
        if let Some(text) = contains {
            assert!(
                response.text().contains(text),
                "{path}: {}",
                response.text()
            );
            assert_eq!(
                response.header("content-type"),
                Some("text/html; charset=utf-8"),
                "{path}"
            );
        }
    }
}
