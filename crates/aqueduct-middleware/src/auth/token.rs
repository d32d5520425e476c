//! Where a connection's credential is found.

use std::borrow::Cow;

use aqueduct_core::Scope;
use http::{HeaderValue, header};

/// Where [`AuthMiddleware`](crate::AuthMiddleware) looks for a
/// connection's token, in the order it is given the sources.
///
/// A browser's `WebSocket` can set neither headers nor a body, so browser
/// code sends a token in the query string, in the subprotocol list, or
/// as a cookie; other clients usually send `Authorization: Bearer`.
///
/// ```
/// use aqueduct_middleware::TokenSource;
///
/// let sources = [
///     TokenSource::query("token"),
///     TokenSource::Bearer,
///     TokenSource::subprotocol("access_token"),
///     TokenSource::cookie("sessionid"),
/// ];
/// assert_eq!(sources[0], TokenSource::Query("token".into()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenSource {
    /// The query parameter of this name, percent-decoded: `?token=…`.
    /// Easy from a browser, but the URL, token included, can end up in
    /// proxies' access logs; prefer a short-lived token.
    Query(Cow<'static, str>),
    /// An `Authorization: Bearer …` header (RFC 6750), which clients that
    /// are not browsers can send.
    Bearer,
    /// The subprotocol after this marker in `Sec-WebSocket-Protocol`:
    /// `new WebSocket(url, ["access_token", token])` in a browser.
    ///
    /// The token is taken out of the scope's subprotocols and headers, so
    /// no consumer logs it or answers with it, and a handshake accepted
    /// without a subprotocol answers with the marker, which browsers
    /// require once they offered any. The token must be a valid header
    /// token: base64url or hex, not standard base64 (no `/` or `=`).
    Subprotocol(Cow<'static, str>),
    /// The raw value of the cookie of this name, such as a session id to
    /// look up; for a signed or encrypted session, read the scope with
    /// [`CookieSessions::load`](crate::CookieSessions::load) instead.
    Cookie(Cow<'static, str>),
}

impl TokenSource {
    /// The query parameter `name`.
    pub fn query(name: impl Into<Cow<'static, str>>) -> Self {
        Self::Query(name.into())
    }

    /// The subprotocol after `marker`.
    pub fn subprotocol(marker: impl Into<Cow<'static, str>>) -> Self {
        Self::Subprotocol(marker.into())
    }

    /// The cookie `name`.
    pub fn cookie(name: impl Into<Cow<'static, str>>) -> Self {
        Self::Cookie(name.into())
    }

    /// The sources [`AuthMiddleware`](crate::AuthMiddleware) uses unless
    /// told otherwise: `?token=`, then `Authorization: Bearer`, then the
    /// subprotocol after `access_token`.
    pub fn defaults() -> Vec<Self> {
        vec![
            Self::query("token"),
            Self::Bearer,
            Self::subprotocol("access_token"),
        ]
    }

    /// The token this source finds in `scope`, if any, with the
    /// subprotocol to answer with when it came as one.
    fn find(&self, scope: &Scope) -> Option<Found> {
        let (token, subprotocol) = match self {
            Self::Query(name) => (scope.query_param(name)?.into_owned(), None),
            Self::Bearer => (bearer(scope)?.to_owned(), None),
            Self::Cookie(name) => (scope.cookie(name)?.to_owned(), None),
            Self::Subprotocol(marker) => {
                let offered = scope.subprotocols();
                let at = offered.iter().position(|p| p == marker)?;
                (offered.get(at + 1)?.clone(), Some(marker.to_string()))
            }
        };
        (!token.is_empty()).then_some(Found { token, subprotocol })
    }
}

/// A token found in a scope.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) token: String,
    /// The marker to answer with, when the token came as a subprotocol.
    pub(crate) subprotocol: Option<String>,
}

/// The first token any of `sources` finds in `scope`. A token sent as a
/// subprotocol is taken out of the scope's subprotocols and headers.
pub(crate) fn find_token(scope: &mut Scope, sources: &[TokenSource]) -> Option<Found> {
    let found = sources.iter().find_map(|source| source.find(scope))?;
    if found.subprotocol.is_some() {
        remove_subprotocol(scope, &found.token);
    }
    Some(found)
}

/// The credentials of an `Authorization: Bearer` header; the scheme is
/// case-insensitive (RFC 9110 section 11.1).
fn bearer(scope: &Scope) -> Option<&str> {
    let value = scope.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Takes `token` out of the offered subprotocols, in the scope's list and
/// in its `Sec-WebSocket-Protocol` header.
fn remove_subprotocol(scope: &mut Scope, token: &str) {
    scope.subprotocols_mut().retain(|p| p != token);
    let rest = scope.subprotocols().join(", ");
    let headers = scope.headers_mut();
    headers.remove(header::SEC_WEBSOCKET_PROTOCOL);
    if let Ok(value) = HeaderValue::try_from(rest)
        && !value.is_empty()
    {
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aqueduct_core::ScopeKind;

    /// A path, request headers, the sources, and the token expected.
    type Case<'a> = (
        &'a str,
        &'a [(&'a str, &'a str)],
        &'a [TokenSource],
        Option<&'a str>,
    );

    fn scope(path: &str, headers: &[(&str, &str)]) -> Scope {
        let mut request = http::Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let (parts, ()) = request.body(()).unwrap().into_parts();
        Scope::from_request_parts(ScopeKind::Websocket, &parts)
    }

    #[test]
    fn each_source_finds_its_token_and_the_first_source_wins() {
        let defaults = TokenSource::defaults();
        let cookie = [TokenSource::cookie("sessionid")];
        #[rustfmt::skip]
        let table: &[Case<'_>] = &[
            ("/ws/?token=a%2Bb",  &[],                                            &defaults, Some("a+b")),
            ("/ws/",              &[("authorization", "Bearer xyz")],             &defaults, Some("xyz")),
            ("/ws/",              &[("authorization", "bearer  xyz ")],           &defaults, Some("xyz")),
            ("/ws/",              &[("authorization", "Basic eHl6")],             &defaults, None),
            ("/ws/",              &[("sec-websocket-protocol", "access_token, t.1")], &defaults, Some("t.1")),
            ("/ws/",              &[("sec-websocket-protocol", "access_token")],  &defaults, None),
            ("/ws/?token=",       &[],                                            &defaults, None),
            ("/ws/?token=q",      &[("authorization", "Bearer h")],               &defaults, Some("q")),
            ("/ws/",              &[("cookie", "a=1; sessionid=s3")],             &cookie,   Some("s3")),
            ("/ws/?token=q",      &[],                                            &cookie,   None),
        ];
        for (path, headers, sources, expected) in table {
            let found = find_token(&mut scope(path, headers), sources);
            assert_eq!(
                found.map(|f| f.token).as_deref(),
                *expected,
                "{path} {headers:?}"
            );
        }
    }

    #[test]
    fn a_subprotocol_token_leaves_the_scope_and_the_marker_stays() {
        let mut scope = scope(
            "/ws/",
            &[("sec-websocket-protocol", "chat.v1, access_token, s3cret")],
        );
        let found = find_token(&mut scope, &TokenSource::defaults()).unwrap();
        assert_eq!(found.token, "s3cret");
        assert_eq!(found.subprotocol.as_deref(), Some("access_token"));
        assert_eq!(scope.subprotocols(), ["chat.v1", "access_token"]);
        assert_eq!(
            scope.headers()["sec-websocket-protocol"],
            "chat.v1, access_token"
        );
    }
}
