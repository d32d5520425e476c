//! The request head both communicators build: path, query string, headers.

use http::header::{HeaderName, HeaderValue};
use http::request::Parts;
use http::{Method, Request, Uri};

/// Builds the head of a request for `path`, which may carry a query string.
///
/// # Panics
///
/// Panics with a fix when `path` is not a valid origin-form request path.
#[track_caller]
pub(crate) fn head(method: Method, path: &str) -> Parts {
    let uri = uri(path, None);
    let (mut parts, ()) = Request::new(()).into_parts();
    parts.method = method;
    parts.uri = uri;
    parts
}

/// Replaces the query string of `parts`.
#[track_caller]
pub(crate) fn set_query(parts: &mut Parts, query: &str) {
    let query = query.strip_prefix('?').unwrap_or(query);
    parts.uri = uri(parts.uri.path(), Some(query));
}

/// Appends a header to `parts`.
///
/// # Panics
///
/// Panics when `name` or `value` is not valid in an HTTP header.
#[track_caller]
pub(crate) fn append_header(parts: &mut Parts, name: &str, value: &str) {
    let name = HeaderName::try_from(name)
        .unwrap_or_else(|_| panic!("{name:?} is not a valid HTTP header name"));
    let value = HeaderValue::try_from(value)
        .unwrap_or_else(|_| panic!("{value:?} is not a valid HTTP header value"));
    parts.headers.append(name, value);
}

#[track_caller]
fn uri(path: &str, query: Option<&str>) -> Uri {
    assert!(
        path.starts_with('/'),
        "request paths start with `/`: use \"/{path}\" rather than {path:?}"
    );
    let text = match query {
        Some(query) if !query.is_empty() => format!("{path}?{query}"),
        _ => path.to_owned(),
    };
    text.parse().unwrap_or_else(|err| {
        panic!(
            "{text:?} is not a valid request path ({err}): percent-encode it as a browser \
             does (a space becomes `%20`)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_queries() {
        #[rustfmt::skip]
        let table = [
            ("/ws/echo/",          None,          "/ws/echo/"),
            ("/ws/echo/?a=1",      None,          "/ws/echo/?a=1"),
            ("/ws/echo/?a=1",      Some("b=2"),   "/ws/echo/?b=2"),
            ("/ws/echo/",          Some("?b=2"),  "/ws/echo/?b=2"),
            ("/ws/caf%C3%A9/",     None,          "/ws/caf%C3%A9/"),
        ];
        for (path, query, expected) in table {
            let mut parts = head(Method::GET, path);
            if let Some(query) = query {
                set_query(&mut parts, query);
            }
            assert_eq!(parts.uri, expected, "{path} {query:?}");
        }
    }

    #[test]
    #[should_panic(expected = "request paths start with `/`: use \"/ws/echo/\"")]
    fn a_path_without_a_slash_is_refused_with_a_fix() {
        head(Method::GET, "ws/echo/");
    }

    #[test]
    #[should_panic(expected = "percent-encode it as a browser does")]
    fn a_path_that_is_not_a_uri_is_refused_with_a_fix() {
        head(Method::GET, "/ws/chat/a room/");
    }
}
