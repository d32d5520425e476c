//! What authentication middleware leaves in a scope: the user, and the
//! groups every connection of that user joins.

use super::Scope;

/// The user an authentication middleware found, kept under a type of its
/// own so that it cannot collide with another extension of the same type.
#[derive(Clone)]
struct AuthenticatedUser<U>(U);

impl Scope {
    /// The user authentication middleware found for this connection, or
    /// `None` for an anonymous one: Channels' `scope["user"]`.
    ///
    /// `U` is the application's own user type, the one its authenticator
    /// returns; asking for another type gives `None`.
    ///
    /// ```
    /// use aqueduct_core::{Scope, ScopeKind};
    ///
    /// #[derive(Clone, Debug, PartialEq)]
    /// struct User {
    ///     id: u64,
    /// }
    ///
    /// let mut scope = Scope::new(ScopeKind::Websocket, "/ws/");
    /// assert_eq!(scope.user::<User>(), None);
    /// scope.set_user(User { id: 42 });
    /// assert_eq!(scope.user::<User>(), Some(&User { id: 42 }));
    /// assert_eq!(scope.user::<String>(), None);
    /// ```
    pub fn user<U: Clone + Send + Sync + 'static>(&self) -> Option<&U> {
        self.extensions()
            .get::<AuthenticatedUser<U>>()
            .map(|user| &user.0)
    }

    /// Records the connection's user; done by authentication middleware.
    pub fn set_user<U: Clone + Send + Sync + 'static>(&mut self, user: U) {
        self.extensions_mut().insert(AuthenticatedUser(user));
    }

    /// Groups the connection joins before its consumer's `connect`, on top
    /// of the consumer's own [`groups`](crate::WebsocketConsumer::groups),
    /// and leaves when it ends. Middleware adds them: an authentication
    /// middleware adds the user's own group, which is how code outside the
    /// consumers reaches every tab a user has open.
    pub fn groups(&self) -> &[String] {
        &self.0.groups
    }

    /// Adds a group for the connection to join (see [`groups`](Self::groups)).
    /// Adding one twice joins it once.
    ///
    /// ```
    /// use aqueduct_core::{Scope, ScopeKind};
    ///
    /// let mut scope = Scope::new(ScopeKind::Websocket, "/ws/");
    /// scope.add_group("user.42");
    /// scope.add_group("everyone");
    /// scope.add_group("user.42");
    /// assert_eq!(scope.groups(), ["user.42", "everyone"]);
    /// ```
    pub fn add_group(&mut self, group: impl Into<String>) {
        let group = group.into();
        if !self.0.groups.contains(&group) {
            self.0.groups.push(group);
        }
    }
}
