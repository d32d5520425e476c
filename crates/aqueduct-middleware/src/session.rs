//! Signed and encrypted cookie sessions, shared by the HTTP arm and the
//! WebSockets.

use std::borrow::Cow;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cookie::{Cookie, CookieJar, SameSite};
use http::{HeaderMap, HeaderValue, header};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::SessionError;

pub use cookie::Key;

/// Sessions kept in the client's browser, in a cookie that only the
/// server can read ([`private`](Self::private)) or that only the server
/// can write ([`signed`](Self::signed)), with the `cookie` crate.
///
/// The HTTP arm writes the cookie when a user logs in
/// ([`save`](Self::save), as a `Set-Cookie` header); the browser sends it
/// with every request and with the WebSocket handshake, where an
/// [`Authenticator`](crate::Authenticator) reads it back
/// ([`load`](Self::load)). A user who logged in over HTTP is the same user
/// on the WebSocket, with no session store to share.
///
/// The session is any serde type. It is written as JSON with the time it
/// expires, which `load` checks, so a stolen old cookie stops working
/// after [`max_age`](Self::max_age) (two weeks by default, Django's
/// `SESSION_COOKIE_AGE`) even if the browser kept it. Cookies hold at most
/// about 4 KB: keep a user id, not a profile.
///
/// ```
/// use aqueduct_middleware::{CookieSessions, Key};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Login {
///     user_id: u64,
/// }
///
/// // One key for every process: from your settings, 64 bytes or more.
/// let sessions = CookieSessions::private(Key::generate());
///
/// // The HTTP login handler answers with this header.
/// let set_cookie = sessions.save(&Login { user_id: 42 })?;
///
/// // The browser sends the cookie back; the WebSocket handshake's
/// // headers (`scope.headers()`) have it.
/// let cookie = set_cookie.to_str()?.split(';').next().unwrap().to_owned();
/// let mut headers = http::HeaderMap::new();
/// headers.insert("cookie", cookie.parse()?);
/// assert_eq!(sessions.load::<Login>(&headers), Some(Login { user_id: 42 }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct CookieSessions {
    key: Key,
    sealing: Sealing,
    name: Cow<'static, str>,
    max_age: Duration,
    secure: bool,
    same_site: SameSite,
}

/// How the cookie's value is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sealing {
    /// Encrypted and authenticated: the client can neither read nor change it.
    Private,
    /// Authenticated only: the client can read it but not change it.
    Signed,
}

/// What the cookie holds: the session, and when it stops being valid.
#[derive(Serialize, Deserialize)]
struct Stored<T> {
    /// Seconds since the Unix epoch.
    exp: u64,
    data: T,
}

impl CookieSessions {
    /// Sessions the client can neither read nor change (AES-256-GCM).
    pub fn private(key: Key) -> Self {
        Self::with(key, Sealing::Private)
    }

    /// Sessions the client can read but not change (HMAC-SHA256), as
    /// Django's `signed_cookies` session backend.
    pub fn signed(key: Key) -> Self {
        Self::with(key, Sealing::Signed)
    }

    fn with(key: Key, sealing: Sealing) -> Self {
        Self {
            key,
            sealing,
            name: Cow::Borrowed("aqueduct_session"),
            max_age: Duration::from_secs(14 * 24 * 60 * 60),
            secure: false,
            same_site: SameSite::Lax,
        }
    }

    /// Names the cookie (default `aqueduct_session`, not Django's
    /// `sessionid`, so as not to overwrite a Django session on the same
    /// domain).
    pub fn cookie_name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets how long a session lasts after it is saved (default two weeks).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Marks the cookie `Secure`, so browsers send it over HTTPS only:
    /// Django's `SESSION_COOKIE_SECURE`. Off by default, as in Django, so
    /// that development over plain HTTP works; turn it on in production.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Sets the cookie's `SameSite` (default `Lax`, as in Django).
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// The name of the cookie.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The session in the request's `Cookie` headers, if there is one this
    /// server wrote and it has not expired. A cookie that was changed,
    /// sealed with another key, or holds another type reads as none.
    pub fn load<T: DeserializeOwned>(&self, headers: &HeaderMap) -> Option<T> {
        let sealed = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|cookie| cookie.name() == self.name)?
            .into_owned();
        let mut jar = CookieJar::new();
        jar.add_original(sealed);
        let opened = match self.sealing {
            Sealing::Private => jar.private(&self.key).get(&self.name)?,
            Sealing::Signed => jar.signed(&self.key).get(&self.name)?,
        };
        let stored: Stored<T> = serde_json::from_str(opened.value()).ok()?;
        (stored.exp > now()).then_some(stored.data)
    }

    /// The `Set-Cookie` header value that keeps `session` in the browser.
    ///
    /// Fails only when `session` cannot be written as JSON.
    pub fn save<T: Serialize>(&self, session: &T) -> Result<HeaderValue, SessionError> {
        let stored = Stored {
            exp: now().saturating_add(self.max_age.as_secs()),
            data: session,
        };
        let value = serde_json::to_string(&stored).map_err(SessionError::new)?;
        let mut jar = CookieJar::new();
        let cookie = self.cookie(value, self.max_age);
        match self.sealing {
            Sealing::Private => jar.private_mut(&self.key).add(cookie),
            Sealing::Signed => jar.signed_mut(&self.key).add(cookie),
        }
        let sealed = jar.get(&self.name).expect("the cookie was just added");
        Ok(header_value(sealed))
    }

    /// The `Set-Cookie` header value that removes the session: log out.
    pub fn clear(&self) -> HeaderValue {
        header_value(&self.cookie(String::new(), Duration::ZERO))
    }

    fn cookie(&self, value: String, max_age: Duration) -> Cookie<'static> {
        Cookie::build((self.name.clone(), value))
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(self.same_site)
            .max_age(cookie::time::Duration::seconds(
                i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
            ))
            .build()
    }
}

/// A cookie as a `Set-Cookie` value. A sealed value is base64 and the
/// attributes are ours, so it is always a valid header value.
fn header_value(cookie: &Cookie<'_>) -> HeaderValue {
    HeaderValue::try_from(cookie.to_string()).expect("a sealed cookie is a valid header value")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

impl fmt::Debug for CookieSessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key.
        f.debug_struct("CookieSessions")
            .field("sealing", &self.sealing)
            .field("name", &self.name)
            .field("max_age", &self.max_age)
            .field("secure", &self.secure)
            .field("same_site", &self.same_site)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with(set_cookie: &HeaderValue) -> HeaderMap {
        let pair = set_cookie.to_str().unwrap().split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=1; {pair}")).unwrap(),
        );
        headers
    }

    #[test]
    fn a_saved_session_loads_only_with_its_key_its_sealing_and_in_time() {
        let key = Key::generate();
        let private = CookieSessions::private(key.clone());
        let saved = request_with(&private.save(&42u64).unwrap());
        assert_eq!(private.load::<u64>(&saved), Some(42));
        assert_eq!(
            CookieSessions::private(Key::generate()).load::<u64>(&saved),
            None
        );
        assert_eq!(
            CookieSessions::signed(key.clone()).load::<u64>(&saved),
            None
        );
        assert_eq!(private.load::<String>(&saved), None);

        let signed = CookieSessions::signed(key.clone());
        let saved = request_with(&signed.save(&7u64).unwrap());
        assert_eq!(signed.load::<u64>(&saved), Some(7));

        let expired = CookieSessions::private(key).max_age(Duration::ZERO);
        let saved = request_with(&expired.save(&1u64).unwrap());
        assert_eq!(expired.load::<u64>(&saved), None);
    }

    #[test]
    fn a_changed_cookie_reads_as_no_session() {
        let sessions = CookieSessions::signed(Key::generate());
        let saved = sessions.save(&1u64).unwrap();
        let tampered = saved.to_str().unwrap().replace(":1}", ":2}");
        assert_ne!(
            tampered,
            saved.to_str().unwrap(),
            "the signed value is readable"
        );
        let headers = request_with(&HeaderValue::from_str(&tampered).unwrap());
        assert_eq!(sessions.load::<u64>(&headers), None);
    }

    #[test]
    fn the_cookie_has_django_like_attributes() {
        let sessions = CookieSessions::private(Key::generate()).secure(true);
        let saved = sessions.save(&1u64).unwrap();
        let saved = saved.to_str().unwrap();
        for attribute in [
            "aqueduct_session=",
            "HttpOnly",
            "SameSite=Lax",
            "Secure",
            "Path=/",
            "Max-Age=1209600",
        ] {
            assert!(saved.contains(attribute), "{attribute} in {saved}");
        }
        let cleared = sessions.clear();
        assert!(
            cleared.to_str().unwrap().contains("Max-Age=0"),
            "{cleared:?}"
        );
    }
}
