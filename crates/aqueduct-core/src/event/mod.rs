//! Channel-layer messages: a map with a `"type"` key, encoded once as msgpack.

mod no_events;
mod scan;
mod unknown;

use std::any::type_name;
use std::fmt;
use std::ops::Range;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use self::no_events::NoEvents;
use self::scan::ScanError;

/// A channel-layer message: Channels' `{"type": "chat.message", …}`.
///
/// The payload is encoded once, as msgpack with text and binary kept
/// distinct (the bytes Python `channels_redis` speaks), when the event is
/// made. Sending it to a group of any size clones a reference-counted buffer
/// per member; each receiver decodes it into whatever serde type it names.
///
/// The documented way to name a consumer's events is one serde enum tagged
/// on `"type"`, each variant renamed to its Channels type. The same enum
/// makes the events ([`Event::from_message`]) and, as the consumer's
/// [`Event`](crate::WebsocketConsumer::Event) type, decodes them:
///
/// ```
/// use aqueduct_core::{Event, EventError};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// #[serde(tag = "type")]
/// enum ChatEvent {
///     #[serde(rename = "chat.message")]
///     ChatMessage { message: String },
/// }
///
/// let event = Event::from_message(&ChatEvent::ChatMessage { message: "hi".into() })?;
/// assert_eq!(event.event_type(), "chat.message");
/// assert_eq!(event.decode::<ChatEvent>()?, ChatEvent::ChatMessage { message: "hi".into() });
///
/// // The wire format is Channels': the type travels inside the message.
/// let raw: serde_json::Value = event.decode()?;
/// assert_eq!(raw, serde_json::json!({"type": "chat.message", "message": "hi"}));
///
/// // A type the enum does not know is told apart from a payload that does not fit.
/// let other = Event::new("chat.typo", &serde_json::json!({"message": "hi"}))?;
/// assert!(matches!(other.decode::<ChatEvent>(), Err(EventError::UnknownType { .. })));
/// let misfit = Event::new("chat.message", &serde_json::json!({"text": "hi"}))?;
/// assert!(matches!(misfit.decode::<ChatEvent>(), Err(EventError::Decode(_))));
/// # Ok::<(), EventError>(())
/// ```
///
/// [`Event::new`] makes an event from a type and a payload struct or map,
/// for code that has no enum at hand.
#[derive(Clone, PartialEq, Eq)]
pub struct Event {
    body: Bytes,
    event_type: Range<usize>,
}

/// Why an event could not be made or decoded.
#[derive(Debug)]
#[non_exhaustive]
pub enum EventError {
    /// The payload did not serialize to a map (use a struct or a map).
    NotAMap,
    /// The message has no string `"type"` key.
    MissingType,
    /// The payload carries a `"type"` that differs from the one given.
    TypeMismatch {
        /// The type passed to [`Event::new`].
        expected: String,
        /// The type found in the payload.
        found: String,
    },
    /// Serializing the payload failed.
    Encode(String),
    /// The message's `"type"` names no variant of the enum it was decoded
    /// into: Channels' "No handler for message type".
    UnknownType {
        /// The type found in the message.
        event_type: String,
        /// The name of the Rust type it was decoded into.
        target: &'static str,
        /// The types `target` knows, as its variants are renamed.
        known: &'static [&'static str],
    },
    /// The message is not valid msgpack, or does not fit the requested type.
    Decode(String),
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAMap => f.write_str(
                "an event payload must serialize to a map: use a struct with named fields or a map",
            ),
            Self::MissingType => f.write_str("a channel-layer message needs a string \"type\" key"),
            Self::TypeMismatch { expected, found } => write!(
                f,
                "the payload's \"type\" is {found:?} but the event was made as {expected:?}; \
                 drop the field or make them agree"
            ),
            Self::UnknownType {
                event_type,
                target,
                known: [],
            } => write!(
                f,
                "no handler for event type {event_type:?}: {target} has no variants"
            ),
            Self::UnknownType {
                event_type,
                target,
                known,
            } => write!(
                f,
                "no handler for event type {event_type:?}: {target} knows {known:?}; \
                 add a variant renamed to {event_type:?}"
            ),
            Self::Encode(err) => write!(f, "cannot encode event: {err}"),
            Self::Decode(err) => write!(f, "cannot decode event: {err}"),
        }
    }
}

impl std::error::Error for EventError {}

impl Event {
    /// Makes an event of type `event_type` whose other keys come from `payload`.
    ///
    /// `payload` must serialize to a map (a struct with named fields, a
    /// `HashMap`, a `serde_json::json!({…})` object). If it already has a
    /// `"type"` key, it must equal `event_type`.
    pub fn new<T: Serialize + ?Sized>(event_type: &str, payload: &T) -> Result<Self, EventError> {
        // The payload is encoded after room for the message's own map header
        // and `"type"` entry, which then go just in front of its entries:
        // one buffer, one pass over the payload, no copy.
        let room = MAP_HEADER_MAX + TYPE_KEY.len() + STR_HEADER_MAX + event_type.len();
        // Room for a typical payload too, so encoding seldom reallocates.
        let mut buf = Vec::with_capacity(room + 128);
        buf.resize(room, 0);
        rmp_serde::encode::write_named(&mut buf, payload)
            .map_err(|err| EventError::Encode(err.to_string()))?;
        let (entries, header_len) = map_header(&buf[room..])?;
        if let Some(found) = find_type_in(&buf[room..], header_len, entries)? {
            let found_text = std::str::from_utf8(&buf[room..][found.clone()]).unwrap_or_default();
            if found_text != event_type {
                return Err(EventError::TypeMismatch {
                    expected: event_type.to_owned(),
                    found: found_text.to_owned(),
                });
            }
            let body = Bytes::from(buf).slice(room..);
            return Ok(Self {
                body,
                event_type: found,
            });
        }
        let mut head = Vec::with_capacity(room);
        write(rmp::encode::write_map_len(&mut head, entries + 1))?;
        write(rmp::encode::write_str(&mut head, TYPE_KEY))?;
        write(rmp::encode::write_str(&mut head, event_type))?;
        let start = room + header_len - head.len();
        buf[start..room + header_len].copy_from_slice(&head);
        let type_end = head.len();
        Ok(Self {
            body: Bytes::from(buf).slice(start..),
            event_type: type_end - event_type.len()..type_end,
        })
    }

    /// Makes an event from a complete message that has its own `"type"` key.
    ///
    /// ```
    /// use aqueduct_core::Event;
    ///
    /// let event = Event::from_message(&serde_json::json!({"type": "user.joined", "name": "ada"}))?;
    /// assert_eq!(event.event_type(), "user.joined");
    /// # Ok::<(), aqueduct_core::EventError>(())
    /// ```
    pub fn from_message<T: Serialize + ?Sized>(message: &T) -> Result<Self, EventError> {
        let body =
            rmp_serde::to_vec_named(message).map_err(|err| EventError::Encode(err.to_string()))?;
        Self::from_msgpack(Bytes::from(body))
    }

    /// Wraps an encoded message, as a channel layer reads it off the wire.
    ///
    /// Fails unless `body` is a msgpack map with a string `"type"` key.
    pub fn from_msgpack(body: Bytes) -> Result<Self, EventError> {
        let event_type = find_type(&body)?.ok_or(EventError::MissingType)?;
        Ok(Self { body, event_type })
    }

    /// The message's `"type"`, such as `"chat.message"`.
    pub fn event_type(&self) -> &str {
        std::str::from_utf8(&self.body[self.event_type.clone()]).unwrap_or_default()
    }

    /// The message with one more top-level entry, `key: value`, after its
    /// own.
    ///
    /// Channel layers add their routing this way: channels_redis puts the
    /// target channel under `__asgi_channel__`. `key` must not be in the
    /// message already.
    ///
    /// ```
    /// use aqueduct_core::Event;
    ///
    /// let event = Event::new("chat.message", &serde_json::json!({"message": "hi"}))?;
    /// let routed = event.with_entry("__asgi_channel__", &["specific.a!b"])?;
    /// let (back, channels) = routed.remove_entry::<Vec<String>>("__asgi_channel__")?;
    /// assert_eq!(channels, Some(vec!["specific.a!b".to_owned()]));
    /// assert_eq!(back, event);
    /// # Ok::<(), aqueduct_core::EventError>(())
    /// ```
    pub fn with_entry<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<Self, EventError> {
        let (entries, header_len) = map_header(&self.body)?;
        let mut buf = Vec::with_capacity(self.body.len() + MAP_HEADER_MAX + key.len() + 64);
        write(rmp::encode::write_map_len(&mut buf, entries + 1))?;
        let shift = buf.len() as isize - header_len as isize;
        buf.extend_from_slice(&self.body[header_len..]);
        write(rmp::encode::write_str(&mut buf, key))?;
        rmp_serde::encode::write_named(&mut buf, value)
            .map_err(|err| EventError::Encode(err.to_string()))?;
        let event_type = self.event_type.start.wrapping_add_signed(shift)
            ..self.event_type.end.wrapping_add_signed(shift);
        Ok(Self {
            body: Bytes::from(buf),
            event_type,
        })
    }

    /// Takes the top-level entry `key` out of the message: the message
    /// without it, and the entry's value decoded into `T` (`None` if the
    /// message has no such key).
    ///
    /// The counterpart of [`with_entry`](Self::with_entry), for a layer
    /// reading its routing back off the wire. The `"type"` entry cannot be
    /// taken out: without it the message is no event.
    pub fn remove_entry<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<(Self, Option<T>), EventError> {
        if key == TYPE_KEY {
            return Err(EventError::MissingType);
        }
        let (entries, header_len) = map_header(&self.body)?;
        let entry = scan::find_entry(&self.body, header_len, entries, key.as_bytes())
            .map_err(|_| EventError::Decode("malformed msgpack".to_owned()))?;
        let Some(entry) = entry else {
            return Ok((self.clone(), None));
        };
        let value = rmp_serde::from_slice(&self.body[entry.value.clone()])
            .map_err(|err| EventError::Decode(err.to_string()))?;
        let mut buf = Vec::with_capacity(self.body.len());
        write(rmp::encode::write_map_len(&mut buf, entries - 1))?;
        buf.extend_from_slice(&self.body[header_len..entry.start]);
        buf.extend_from_slice(&self.body[entry.value.end..]);
        let event = Self::from_msgpack(Bytes::from(buf))?;
        Ok((event, Some(value)))
    }

    /// Decodes the whole message, `"type"` included, into `T`.
    ///
    /// Keys that `T` does not name are ignored, as serde does by default.
    /// When `T` is an enum tagged on `"type"` with no variant for this
    /// event's type, the error is [`EventError::UnknownType`], whatever
    /// the payload; any other failure is [`EventError::Decode`].
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, EventError> {
        rmp_serde::from_slice(&self.body).map_err(|err| self.decode_error::<T>(&err))
    }

    /// Why decoding into `T` failed: the type, or the rest.
    #[cold]
    fn decode_error<T: DeserializeOwned>(&self, err: &rmp_serde::decode::Error) -> EventError {
        match unknown::known_types::<T>(self.event_type()) {
            Some(known) => EventError::UnknownType {
                event_type: self.event_type().to_owned(),
                target: type_name::<T>(),
                known,
            },
            None => EventError::Decode(err.to_string()),
        }
    }

    /// The encoded message: a msgpack map.
    pub fn as_msgpack(&self) -> &Bytes {
        &self.body
    }

    /// Converts into the encoded message.
    pub fn into_msgpack(self) -> Bytes {
        self.body
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("type", &self.event_type())
            .field("len", &self.body.len())
            .finish()
    }
}

/// The longest msgpack map header (map 32) and string header (str 32).
const MAP_HEADER_MAX: usize = 5;
const STR_HEADER_MAX: usize = 5;
/// The key every channel-layer message carries.
const TYPE_KEY: &str = "type";

fn write<E: fmt::Display>(result: Result<impl Sized, E>) -> Result<(), EventError> {
    result
        .map(drop)
        .map_err(|err| EventError::Encode(err.to_string()))
}

/// Reads a map header: the number of entries and the header's length in bytes.
fn map_header(body: &[u8]) -> Result<(u32, usize), EventError> {
    let mut cursor = body;
    let entries = rmp::decode::read_map_len(&mut cursor).map_err(|_| EventError::NotAMap)?;
    Ok((entries, body.len() - cursor.len()))
}

/// Finds the byte range of the string value under the top-level `"type"` key.
fn find_type(body: &[u8]) -> Result<Option<Range<usize>>, EventError> {
    let (entries, header_len) = map_header(body)?;
    find_type_in(body, header_len, entries)
}

/// [`find_type`] for a map whose header has been read already.
fn find_type_in(
    body: &[u8],
    header_len: usize,
    entries: u32,
) -> Result<Option<Range<usize>>, EventError> {
    scan::find_type(body, header_len, entries).map_err(|err| match err {
        ScanError::NotString => EventError::MissingType,
        ScanError::Malformed => EventError::Decode("malformed msgpack".to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Blob {
        #[serde(with = "serde_bytes_compat")]
        data: Vec<u8>,
        name: String,
    }

    mod serde_bytes_compat {
        pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }
        pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
            let bytes: rmpv::Value = serde::Deserialize::deserialize(d)?;
            match bytes {
                rmpv::Value::Binary(b) => Ok(b),
                other => Err(serde::de::Error::custom(format!(
                    "expected bytes, got {other}"
                ))),
            }
        }
    }

    #[test]
    fn text_and_binary_stay_distinct() {
        let event = Event::new(
            "file.upload",
            &Blob {
                data: vec![0, 159, 146, 150],
                name: "x".into(),
            },
        )
        .unwrap();
        let value = rmpv::decode::read_value(&mut &event.as_msgpack()[..]).unwrap();
        let map: BTreeMap<String, rmpv::Value> = value
            .as_map()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str().unwrap().to_owned(), v.clone()))
            .collect();
        assert!(map["data"].is_bin());
        assert!(map["name"].is_str());
        assert_eq!(map["type"].as_str(), Some("file.upload"));
        let back: Blob = event.decode().unwrap();
        assert_eq!(back.data, vec![0, 159, 146, 150]);
    }

    #[test]
    fn constructors_agree_on_type() {
        let table = [
            (json!({"message": "hi"}), Ok("chat.message")),
            (
                json!({"type": "chat.message", "message": "hi"}),
                Ok("chat.message"),
            ),
            (json!({"type": "other"}), Err("TypeMismatch")),
            (json!(["not", "a", "map"]), Err("NotAMap")),
        ];
        for (payload, expected) in table {
            let got = Event::new("chat.message", &payload)
                .map(|e| e.event_type().to_owned())
                .map_err(|e| format!("{e:?}"));
            match expected {
                Ok(ty) => assert_eq!(got.unwrap(), ty, "{payload}"),
                Err(kind) => assert!(got.unwrap_err().starts_with(kind), "{payload}"),
            }
        }
    }

    /// Event::new writes the type in front of the payload's own entries; the
    /// bytes must be exactly the msgpack of the whole map, type first,
    /// whatever the sizes of the map and string headers.
    #[test]
    fn new_encodes_the_type_first_in_one_msgpack_map() {
        let many: serde_json::Map<String, serde_json::Value> =
            (0..20).map(|i| (format!("k{i:02}"), json!(i))).collect();
        let long_type = "t".repeat(300);
        let table = [
            ("chat.message", json!({"message": "hi"})),
            ("chat.message", json!({})),
            ("chat.message", serde_json::Value::Object(many)),
            (long_type.as_str(), json!({"message": "hi"})),
        ];
        for (event_type, payload) in table {
            let event = Event::new(event_type, &payload).unwrap();
            let mut bytes = &event.as_msgpack()[..];
            let rmpv::Value::Map(entries) = rmpv::decode::read_value(&mut bytes).unwrap() else {
                panic!("not a map: {payload}");
            };
            assert!(bytes.is_empty(), "trailing bytes after the map");
            let payload_bytes = rmp_serde::to_vec_named(&payload).unwrap();
            let rmpv::Value::Map(payload_entries) =
                rmpv::decode::read_value(&mut &payload_bytes[..]).unwrap()
            else {
                panic!("payload is not a map");
            };
            assert_eq!(entries[0], ("type".into(), event_type.into()), "{payload}");
            assert_eq!(entries[1..], payload_entries[..], "{payload}");
            assert_eq!(event.event_type(), event_type);
        }
    }

    #[test]
    fn from_msgpack_needs_a_string_type() {
        let no_type = rmp_serde::to_vec_named(&json!({"message": "hi"})).unwrap();
        assert!(matches!(
            Event::from_msgpack(no_type.into()),
            Err(EventError::MissingType)
        ));
        let int_type = rmp_serde::to_vec_named(&json!({"type": 3})).unwrap();
        assert!(matches!(
            Event::from_msgpack(int_type.into()),
            Err(EventError::MissingType)
        ));
        assert!(matches!(
            Event::from_msgpack(Bytes::from_static(b"\xc1")),
            Err(EventError::NotAMap)
        ));
    }

    /// A layer's routing entry goes in and comes back out wherever it sits
    /// and whatever the map header's size (15 entries is the largest
    /// fixmap, 16 the smallest map 16).
    #[test]
    fn entries_added_and_removed_round_trip() {
        let wide: serde_json::Map<String, serde_json::Value> =
            (0..14).map(|i| (format!("k{i:02}"), json!(i))).collect();
        let table = [
            json!({"type": "a"}),
            json!({"type": "a", "message": "hi"}),
            serde_json::Value::Object(wide.clone()),
        ];
        for payload in table {
            let event = Event::new("a", &payload).unwrap();
            let routed = event.with_entry("__asgi_channel__", "x!y").unwrap();
            assert_eq!(routed.event_type(), "a");
            let value: serde_json::Value = routed.decode().unwrap();
            assert_eq!(value["__asgi_channel__"], "x!y", "{payload}");
            let (back, channel) = routed.remove_entry::<String>("__asgi_channel__").unwrap();
            assert_eq!(channel.as_deref(), Some("x!y"));
            assert_eq!(back, event, "{payload}");
        }
        // An entry in the middle, as a Python dict may order it.
        let python = json!({"type": "t", "__asgi_channel__": ["a!1", "a!2"], "n": 1});
        let event = Event::from_message(&python).unwrap();
        let (rest, channels) = event
            .remove_entry::<Vec<String>>("__asgi_channel__")
            .unwrap();
        assert_eq!(channels.unwrap(), ["a!1", "a!2"]);
        assert_eq!(
            rest.decode::<serde_json::Value>().unwrap(),
            json!({"type": "t", "n": 1})
        );
        let (same, none) = rest.remove_entry::<String>("missing").unwrap();
        assert!(none.is_none());
        assert_eq!(same, rest);
        assert!(matches!(
            rest.remove_entry::<String>("type"),
            Err(EventError::MissingType)
        ));
    }

    #[test]
    fn decode_into_wrong_type_is_an_error() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Wants {
            count: u32,
        }
        let event = Event::new("x", &json!({"count": "many"})).unwrap();
        assert!(matches!(
            event.decode::<Wants>(),
            Err(EventError::Decode(_))
        ));
    }
}
