//! The demo's users, how a connection proves to be one of them, and what
//! the session cookie holds.

use aqueduct::middleware::{Authenticated, Authenticator, CookieSessions, User};
use aqueduct::{CloseCode, Scope, async_trait};
use serde::{Deserialize, Serialize};

/// The demo's users and their tokens. A real application keeps users in
/// a database and hands out tokens that expire; these are fixed so that
/// the URLs in the docs work as written.
const USERS: [(&str, &str); 3] = [
    ("alice", "alice-token"),
    ("bob", "bob-token"),
    ("carol", "carol-token"),
];

/// The close code for a connection that is not a user's: in the
/// application range (4000-4999), so browser code can tell "log in" from
/// a network failure, which a refused handshake's 401 would look like.
pub const LOGIN_REQUIRED: CloseCode = CloseCode::new(4001);

/// One of the demo's users.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoUser {
    /// The user's name, which is also the id their group is named by:
    /// `user.alice`.
    pub name: String,
}

impl DemoUser {
    /// The user named `name`, if the demo has one.
    pub fn by_name(name: &str) -> Option<Self> {
        USERS
            .iter()
            .find(|(user, _)| *user == name)
            .map(|(user, _)| Self::named(user))
    }

    /// The user whose token is `token`, if any.
    pub fn by_token(token: &str) -> Option<Self> {
        USERS
            .iter()
            .find(|(_, known)| *known == token)
            .map(|(user, _)| Self::named(user))
    }

    fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
        }
    }
}

impl User for DemoUser {
    fn id(&self) -> String {
        self.name.clone()
    }
}

/// What the session cookie holds once a user has logged in over HTTP:
/// the user's name, not the user, so that a user removed since is
/// logged out, and the cookie stays small.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Session {
    pub(crate) user: String,
}

/// Finds the user of a WebSocket connection: by the token it sent
/// (`?token=`, `Authorization: Bearer` or the `access_token`
/// subprotocol), else by the session cookie the HTTP arm set at login.
#[derive(Debug)]
pub struct DemoAuthenticator {
    sessions: CookieSessions,
}

impl DemoAuthenticator {
    /// Reads session cookies with `sessions`, the same the login page
    /// writes them with.
    pub fn new(sessions: CookieSessions) -> Self {
        Self { sessions }
    }
}

#[async_trait]
impl Authenticator for DemoAuthenticator {
    type User = DemoUser;

    async fn authenticate(&self, token: Option<&str>, scope: &Scope) -> Authenticated<DemoUser> {
        // A token is the more deliberate of the two, so it wins over a
        // cookie the browser happens to send along: a tab opened with
        // `?token=bob-token` is bob's even after alice logged in.
        if let Some(token) = token {
            return match DemoUser::by_token(token) {
                Some(user) => Authenticated::User(user),
                None => Authenticated::closed(LOGIN_REQUIRED, "unknown token"),
            };
        }
        // A cookie that was changed, sealed with another key or expired
        // loads as none: the connection is anonymous, and login_required
        // turns it away.
        let session = self.sessions.load::<Session>(scope.headers());
        match session.and_then(|session| DemoUser::by_name(&session.user)) {
            Some(user) => Authenticated::User(user),
            None => Authenticated::Anonymous,
        }
    }
}
