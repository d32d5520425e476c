//! What both routers do with the applications they hold.

use std::any::Any;
use std::sync::Arc;

use aqueduct_core::__private::expect_connect;
use aqueduct_core::{BoxWebsocketApp, Deny, Outbound, WebsocketApp, WebsocketIo};
use http::StatusCode;

/// Returns `value` as a `T` if it is one, or gives it back.
///
/// Routers take `impl WebsocketApp`; this is how they notice that the app is
/// already boxed, so as not to box it twice.
pub(crate) fn downcast<T: Any, A: Any>(value: A) -> Result<T, A> {
    let mut slot = Some(value);
    let as_t = (&mut slot as &mut dyn Any).downcast_mut::<Option<T>>();
    match as_t.and_then(Option::take) {
        Some(t) => Ok(t),
        None => Err(slot.take().expect("the value is still in its slot")),
    }
}

/// Shares an application, without wrapping one that is already shared.
pub(crate) fn boxed<A: WebsocketApp>(app: A) -> BoxWebsocketApp {
    downcast::<BoxWebsocketApp, A>(app).unwrap_or_else(|app| Arc::new(app))
}

/// Refuses the handshake with 404 and `body`.
///
/// Waits for the client's `Connect` first, as the conversation requires;
/// a client that already left gets nothing.
pub(crate) async fn deny_not_found(mut io: Box<dyn WebsocketIo>, body: String) {
    if expect_connect(&mut *io).await {
        let deny = Deny::new(StatusCode::NOT_FOUND).with_body(body);
        // A failed send means the client is gone: nobody is left to tell.
        let _ = io.send(Outbound::Deny(deny)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::Probes;

    #[test]
    fn downcast_finds_the_type_or_returns_the_value() {
        assert_eq!(downcast::<u32, u32>(7), Ok(7));
        assert_eq!(downcast::<u64, u32>(7), Err(7));
    }

    #[test]
    fn boxed_does_not_wrap_a_shared_app_twice() {
        let probes = Probes::new();
        let shared: BoxWebsocketApp = Arc::new(probes.app("chat"));
        let again = boxed(shared.clone());
        assert!(Arc::ptr_eq(&shared, &again));
    }
}
