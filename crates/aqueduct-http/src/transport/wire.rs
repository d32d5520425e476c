//! The transports' messages on the wire: JSON for long-polling, events for
//! SSE. `docs/topics/client.md` describes them for people writing clients.

use aqueduct_core::{CloseCode, CloseFrame, Message};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// One thing the server sends the client, numbered.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub(crate) seq: u64,
    pub(crate) payload: Payload,
}

#[derive(Clone, Debug)]
pub(crate) enum Payload {
    Message(Message),
    Close(CloseFrame),
}

/// What a message holds in memory, for the queue's byte bound.
pub(crate) fn message_size(message: &Message) -> usize {
    match message {
        Message::Text(text) => text.len(),
        Message::Binary(bytes) => bytes.len(),
    }
}

impl Item {
    /// What the item holds in memory, for the queue's byte bound.
    pub(crate) fn size(&self) -> usize {
        match &self.payload {
            Payload::Message(message) => message_size(message),
            Payload::Close(frame) => frame.reason.len(),
        }
    }

    pub(crate) fn is_close(&self) -> bool {
        matches!(self.payload, Payload::Close(_))
    }

    /// The item as the long-poll answer lists it.
    fn json(&self) -> ItemJson<'_> {
        let mut json = ItemJson {
            seq: self.seq,
            text: None,
            binary: None,
            close: None,
        };
        match &self.payload {
            Payload::Message(Message::Text(text)) => json.text = Some(text.as_str()),
            Payload::Message(Message::Binary(bytes)) => json.binary = Some(BASE64.encode(bytes)),
            Payload::Close(frame) => json.close = Some(close_json(frame)),
        }
        json
    }

    /// The item as one Server-Sent Event. Text goes as a JSON string, so
    /// that carriage returns and line feeds, which SSE would turn into
    /// line ends, arrive as they were sent.
    pub(crate) fn write_sse(&self, out: &mut Vec<u8>) {
        let (event, data) = match &self.payload {
            Payload::Message(Message::Text(text)) => (
                "text",
                serde_json::to_string(text.as_str()).unwrap_or_default(),
            ),
            Payload::Message(Message::Binary(bytes)) => ("binary", BASE64.encode(bytes)),
            Payload::Close(frame) => (
                "close",
                serde_json::to_string(&close_json(frame)).unwrap_or_default(),
            ),
        };
        out.extend_from_slice(
            format!("id: {}\nevent: {event}\ndata: {data}\n\n", self.seq).as_bytes(),
        );
    }
}

fn close_json(frame: &CloseFrame) -> CloseJson<'_> {
    CloseJson {
        code: frame.code.as_u16(),
        reason: &frame.reason,
    }
}

#[derive(Serialize)]
struct ItemJson<'a> {
    seq: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    binary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    close: Option<CloseJson<'a>>,
}

#[derive(Serialize)]
struct CloseJson<'a> {
    code: u16,
    reason: &'a str,
}

/// The answer to a poll: `{"messages": [...]}`.
pub(crate) fn polled<'a>(items: impl Iterator<Item = &'a Item>) -> Bytes {
    #[derive(Serialize)]
    struct Polled<'a> {
        messages: Vec<ItemJson<'a>>,
    }
    let polled = Polled {
        messages: items.map(Item::json).collect(),
    };
    serde_json::to_vec(&polled).unwrap_or_default().into()
}

/// The answer to an open the application accepted.
#[derive(Serialize)]
pub(crate) struct Opened<'a> {
    pub(crate) session: &'a str,
    pub(crate) subprotocol: Option<&'a str>,
    pub(crate) poll_timeout_ms: u64,
}

/// The body of an open: `{"subprotocols": [...]}`, or nothing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Open {
    #[serde(default)]
    pub(crate) subprotocols: Vec<String>,
}

/// The body of a send.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Send {
    /// The client's number for the first message of `messages`.
    pub(crate) seq: u64,
    #[serde(default)]
    pub(crate) messages: Vec<Sent>,
    #[serde(default)]
    pub(crate) close: Option<ClientClose>,
}

/// One message from the client: `{"text": ...}` or `{"binary": ...}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Sent {
    text: Option<String>,
    binary: Option<String>,
}

impl Sent {
    pub(crate) fn into_message(self) -> Result<Message, &'static str> {
        match (self.text, self.binary) {
            (Some(text), None) => Ok(Message::from(text)),
            (None, Some(binary)) => BASE64
                .decode(binary)
                .map(|bytes| Message::Binary(bytes.into()))
                .map_err(|_| "a binary message is not standard base64"),
            _ => Err("a message has one of `text` and `binary`"),
        }
    }
}

/// A close from the client.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClientClose {
    #[serde(default = "normal")]
    pub(crate) code: u16,
    #[serde(default)]
    #[allow(dead_code)] // Read by nobody yet: a consumer sees only the code, as on WebSocket.
    pub(crate) reason: String,
}

fn normal() -> u16 {
    CloseCode::NORMAL.as_u16()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(seq: u64, payload: Payload) -> Item {
        Item { seq, payload }
    }

    #[test]
    fn polls_list_text_binary_and_close() {
        let items = [
            item(1, Payload::Message(Message::from("hé\r\n"))),
            item(
                2,
                Payload::Message(Message::Binary(Bytes::from_static(b"\x00\xff"))),
            ),
            item(
                3,
                Payload::Close(CloseFrame::new(CloseCode::NORMAL).with_reason("bye")),
            ),
        ];
        assert_eq!(
            std::str::from_utf8(&polled(items.iter())).unwrap(),
            r#"{"messages":[{"seq":1,"text":"hé\r\n"},{"seq":2,"binary":"AP8="},{"seq":3,"close":{"code":1000,"reason":"bye"}}]}"#
        );
    }

    #[test]
    fn sse_events_keep_line_ends_inside_a_json_string() {
        let mut out = Vec::new();
        item(7, Payload::Message(Message::from("a\r\nb"))).write_sse(&mut out);
        item(8, Payload::Close(CloseFrame::new(CloseCode::GOING_AWAY))).write_sse(&mut out);
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "id: 7\nevent: text\ndata: \"a\\r\\nb\"\n\nid: 8\nevent: close\ndata: {\"code\":1001,\"reason\":\"\"}\n\n"
        );
    }

    #[test]
    fn sent_messages_are_text_or_base64_binary() {
        let send: Send = serde_json::from_str(
            r#"{"seq":4,"messages":[{"text":"hi"},{"binary":"AP8="}],"close":{"code":4000}}"#,
        )
        .unwrap();
        assert_eq!(send.seq, 4);
        assert_eq!(send.close.as_ref().unwrap().code, 4000);
        let messages: Vec<_> = send.messages.into_iter().map(Sent::into_message).collect();
        assert_eq!(messages[0], Ok(Message::from("hi")));
        assert_eq!(
            messages[1],
            Ok(Message::Binary(Bytes::from_static(b"\x00\xff")))
        );

        for bad in [
            r#"{}"#,
            r#"{"text":"a","binary":"AA=="}"#,
            r#"{"binary":"%%"}"#,
        ] {
            let sent: Sent = serde_json::from_str(bad).unwrap();
            assert!(sent.into_message().is_err(), "{bad}");
        }
    }
}
