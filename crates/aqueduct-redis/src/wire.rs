//! The bytes channels_redis keeps in Redis: a random prefix, then the
//! message as msgpack (bin type on), Fernet-encrypted when keys are set.

use aqueduct_core::{Event, LayerError};
use rand::RngCore;
use serde::Deserialize;

use crate::crypto::Crypter;

/// Where channels_redis records the target of a message that a process
/// hands on to its local channels: one name for `send`, a list for
/// `group_send` (every member behind the same Redis key).
pub(crate) const ASGI_CHANNEL: &str = "__asgi_channel__";

/// Random bytes in front of every message of the core layer, so that two
/// equal messages stay two members of one sorted set.
pub(crate) const CORE_PREFIX_LEN: usize = 12;

/// Encodes and decodes messages as one layer's settings say.
#[derive(Debug)]
pub(crate) struct Wire {
    crypter: Option<Crypter>,
    random_prefix: usize,
    /// How old an encrypted message may be, in seconds: channels_redis
    /// allows its expiry plus 10.
    ttl: Option<u64>,
}

/// The local channels a message read off Redis is for.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub(crate) enum Targets {
    /// A `send` to one process-local channel.
    One(String),
    /// A `group_send` to the members behind one key.
    Many(Vec<String>),
}

impl Wire {
    pub(crate) fn new(crypter: Option<Crypter>, random_prefix: usize, ttl: Option<u64>) -> Self {
        Self {
            crypter,
            random_prefix,
            ttl,
        }
    }

    /// The bytes to store for `event`.
    pub(crate) fn encode(&self, event: &Event) -> Vec<u8> {
        let body = event.as_msgpack();
        let mut out = Vec::with_capacity(self.random_prefix + body.len() * 2 + 64);
        out.resize(self.random_prefix, 0);
        rand::rng().fill_bytes(&mut out);
        match &self.crypter {
            Some(crypter) => out.extend_from_slice(crypter.encrypt(body).as_bytes()),
            None => out.extend_from_slice(body),
        }
        out
    }

    /// `event` with its targets under `__asgi_channel__`, encoded.
    pub(crate) fn encode_to<T: serde::Serialize + ?Sized>(
        &self,
        event: &Event,
        targets: &T,
    ) -> Result<Vec<u8>, LayerError> {
        Ok(self.encode(&event.with_entry(ASGI_CHANNEL, targets)?))
    }

    /// The event stored as `bytes`, and the local channels it names.
    pub(crate) fn decode(&self, bytes: &[u8]) -> Result<(Event, Option<Targets>), LayerError> {
        let Some(body) = bytes.get(self.random_prefix..) else {
            return Err(undecodable("shorter than its random prefix"));
        };
        let event = match &self.crypter {
            Some(crypter) => {
                let plain = crypter
                    .decrypt(body, self.ttl)
                    .ok_or_else(|| undecodable("no key decrypts it, or it is too old"))?;
                Event::from_msgpack(plain.into())?
            }
            None => Event::from_msgpack(bytes::Bytes::copy_from_slice(body))?,
        };
        Ok(event.remove_entry(ASGI_CHANNEL)?)
    }
}

fn undecodable(why: &str) -> LayerError {
    LayerError::Backend(format!("a message read from Redis is not readable: {why}").into())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event() -> Event {
        Event::new("chat.message", &json!({"message": "hi"})).unwrap()
    }

    #[test]
    fn plain_messages_are_prefix_then_msgpack() {
        let wire = Wire::new(None, CORE_PREFIX_LEN, None);
        let bytes = wire.encode(&event());
        assert_eq!(&bytes[CORE_PREFIX_LEN..], &event().as_msgpack()[..]);
        assert_ne!(wire.encode(&event()), bytes, "the prefix is random");
        let (back, targets) = wire.decode(&bytes).unwrap();
        assert_eq!(back, event());
        assert_eq!(targets, None);
    }

    #[test]
    fn targets_travel_as_channels_redis_writes_them() {
        let wire = Wire::new(None, CORE_PREFIX_LEN, None);
        let table = [
            (json!("specific.a!b"), Targets::One("specific.a!b".into())),
            (
                json!(["specific.a!b", "specific.a!c"]),
                Targets::Many(vec!["specific.a!b".into(), "specific.a!c".into()]),
            ),
        ];
        for (targets, expected) in table {
            let bytes = wire.encode_to(&event(), &targets).unwrap();
            let (back, read) = wire.decode(&bytes).unwrap();
            assert_eq!(back, event());
            assert_eq!(read, Some(expected));
        }
    }

    #[test]
    fn encrypted_messages_need_a_key() {
        let wire = Wire::new(Crypter::new(&["k1"]), CORE_PREFIX_LEN, Some(70));
        let bytes = wire.encode(&event());
        assert!(
            bytes[CORE_PREFIX_LEN..].starts_with(b"gAAAAA"),
            "a Fernet token"
        );
        assert_eq!(wire.decode(&bytes).unwrap().0, event());
        let other = Wire::new(Crypter::new(&["k2"]), CORE_PREFIX_LEN, Some(70));
        assert!(other.decode(&bytes).is_err());
        let clear = Wire::new(None, CORE_PREFIX_LEN, None);
        assert!(clear.decode(&bytes).is_err());
        assert!(clear.decode(b"short").is_err());
    }
}
