//! channels_redis's `symmetric_encryption_keys`: Fernet, keys derived the
//! way it derives them.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use fernet::Fernet;
use sha2::{Digest, Sha256};

/// Encrypts with the first key and decrypts with any, as Python's
/// `MultiFernet` does, so keys can be rotated one process at a time.
pub(crate) struct Crypter {
    fernets: Vec<Fernet>,
}

impl Crypter {
    /// `None` when there are no keys: messages then travel in the clear.
    pub(crate) fn new<K: AsRef<[u8]>>(keys: &[K]) -> Option<Self> {
        if keys.is_empty() {
            return None;
        }
        let fernets = keys.iter().map(|key| derive(key.as_ref())).collect();
        Some(Self { fernets })
    }

    /// The Fernet token of `plain`, in its base64 text form as Python writes it.
    pub(crate) fn encrypt(&self, plain: &[u8]) -> String {
        self.fernets[0].encrypt(plain)
    }

    /// The plain text of `token`, if one of the keys made it and, with a
    /// `ttl` in seconds, it is not older than that.
    pub(crate) fn decrypt(&self, token: &[u8], ttl: Option<u64>) -> Option<Vec<u8>> {
        let token = std::str::from_utf8(token).ok()?;
        self.fernets.iter().find_map(|fernet| match ttl {
            Some(ttl) => fernet.decrypt_with_ttl(token, ttl).ok(),
            None => fernet.decrypt(token).ok(),
        })
    }
}

impl fmt::Debug for Crypter {
    // Never print key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Crypter")
            .field("keys", &self.fernets.len())
            .finish()
    }
}

/// Python: `Fernet(base64.urlsafe_b64encode(hashlib.sha256(key).digest()))`.
/// Any string is a key; its SHA-256 is the Fernet key.
fn derive(key: &[u8]) -> Fernet {
    let encoded = URL_SAFE.encode(Sha256::digest(key));
    // 32 bytes of SHA-256, base64-encoded, are always a valid Fernet key.
    Fernet::new(&encoded).expect("a SHA-256 digest is a valid Fernet key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rotates() {
        let old = Crypter::new(&["old-key"]).unwrap();
        let rotated = Crypter::new(&["new-key", "old-key"]).unwrap();
        let token = old.encrypt(b"hello");
        assert_eq!(rotated.decrypt(token.as_bytes(), None).unwrap(), b"hello");
        let token = rotated.encrypt(b"hi");
        assert!(old.decrypt(token.as_bytes(), None).is_none());
        assert_eq!(rotated.decrypt(token.as_bytes(), Some(70)).unwrap(), b"hi");
        assert!(Crypter::new::<&str>(&[]).is_none());
        assert!(rotated.decrypt(b"\xff not a token", None).is_none());
    }

    /// The key a Python process derives from "secret", computed there with
    /// `base64.urlsafe_b64encode(hashlib.sha256(b"secret").digest())`.
    #[test]
    fn derives_the_key_python_derives() {
        let encoded = URL_SAFE.encode(Sha256::digest(b"secret"));
        assert_eq!(encoded, "K7gNU3sdo-OL0wNhqoVWhr3g6s1xYv72ol_pe_Unols=");
    }
}
