//! Per-user groups: how code outside the consumers reaches every
//! connection of one user, or every connection.

use aqueduct_core::{ChannelLayer, Event, GroupSendReport, LayerError, validate_group_name};

/// An application's user, as its [`Authenticator`](crate::Authenticator)
/// returns it.
///
/// ```
/// use aqueduct_middleware::User;
///
/// #[derive(Clone, Debug)]
/// struct Account {
///     id: u64,
///     name: String,
/// }
///
/// impl User for Account {
///     fn id(&self) -> String {
///         self.id.to_string()
///     }
/// }
/// ```
pub trait User: Clone + Send + Sync + 'static {
    /// The user's identity, the same on every connection and in every
    /// process, such as a primary key. It names the user's own group.
    fn id(&self) -> String;
}

/// The groups [`AuthMiddleware`](crate::AuthMiddleware) puts connections
/// in, and how code outside the consumers sends to them.
///
/// By default every connection of the user with id `42` joins the group
/// `user.42`, and every connection through the middleware, anonymous
/// ones included, joins `everyone`. An id keeps its ASCII letters, digits
/// and `-`; every other byte is written `_` and two hex digits, so that
/// any id makes a valid group name and no two ids make the same one
/// (`alice@example.com` is `user.alice_40example_2ecom`). A Django worker
/// on the same Redis sends to the same names.
///
/// An HTTP handler finds the channel layer in its request's extensions
/// (`ProtocolTypeRouter` puts it there), and sends:
///
/// ```
/// use aqueduct_core::{ChannelLayer, Event, InMemoryChannelLayer};
/// use aqueduct_middleware::UserGroups;
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let layer = InMemoryChannelLayer::new();
/// let groups = UserGroups::new();
/// assert_eq!(groups.group_for("42").as_deref(), Some("user.42"));
///
/// let event = Event::new("notify", &serde_json::json!({"text": "You have mail"}))?;
/// let report = groups.send_to_user(&layer, "42", event).await?;
/// assert_eq!(report.delivered, 0, "user 42 has no connection open");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct UserGroups {
    prefix: Option<String>,
    everyone: Option<String>,
}

impl Default for UserGroups {
    fn default() -> Self {
        Self {
            prefix: Some("user".to_owned()),
            everyone: Some("everyone".to_owned()),
        }
    }
}

impl UserGroups {
    /// `user.<id>` for each user, and `everyone` for every connection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Names each user's group `<prefix>.<id>`, or gives users no group
    /// of their own with `None`.
    ///
    /// # Panics
    ///
    /// Panics when `prefix` is no valid group name.
    #[track_caller]
    pub fn user_prefix(mut self, prefix: Option<&str>) -> Self {
        if let Some(prefix) = prefix
            && let Err(err) = validate_group_name(prefix)
        {
            panic!("UserGroups::user_prefix: {err}");
        }
        self.prefix = prefix.map(str::to_owned);
        self
    }

    /// Names the group every connection joins, or has none with `None`.
    ///
    /// # Panics
    ///
    /// Panics when `group` is no valid group name.
    #[track_caller]
    pub fn everyone(mut self, group: Option<&str>) -> Self {
        if let Some(group) = group
            && let Err(err) = validate_group_name(group)
        {
            panic!("UserGroups::everyone: {err}");
        }
        self.everyone = group.map(str::to_owned);
        self
    }

    /// The group of the user `user_id`: `None` when users have no groups,
    /// or when the id is too long for a group name (over about 90
    /// letters and digits, or 30 other bytes).
    pub fn group_for(&self, user_id: &str) -> Option<String> {
        let prefix = self.prefix.as_deref()?;
        let mut group = String::with_capacity(prefix.len() + 1 + user_id.len());
        group.push_str(prefix);
        group.push('.');
        for byte in user_id.bytes() {
            if byte.is_ascii_alphanumeric() || byte == b'-' {
                group.push(char::from(byte));
            } else {
                group.push_str(&format!("_{byte:02x}"));
            }
        }
        validate_group_name(&group).is_ok().then_some(group)
    }

    /// Whether users have groups of their own (`user_prefix` is not `None`).
    pub(crate) fn per_user(&self) -> bool {
        self.prefix.is_some()
    }

    /// The group every connection joins, if any.
    pub fn everyone_group(&self) -> Option<&str> {
        self.everyone.as_deref()
    }

    /// Sends `event` to every connection of the user `user_id`, in every
    /// process on the layer.
    ///
    /// # Panics
    ///
    /// Panics when users have no groups (`user_prefix(None)`), which makes
    /// this a mistake in the program rather than a failure to report.
    pub async fn send_to_user(
        &self,
        layer: &dyn ChannelLayer,
        user_id: &str,
        event: Event,
    ) -> Result<GroupSendReport, LayerError> {
        assert!(
            self.per_user(),
            "UserGroups::send_to_user: users have no groups (user_prefix(None))"
        );
        match self.group_for(user_id) {
            Some(group) => layer.group_send(&group, event).await,
            None => Err(LayerError::InvalidGroupName {
                name: format!("{}.{user_id}", self.prefix.as_deref().unwrap_or_default()),
                reason: "the user id is too long for a group name",
            }),
        }
    }

    /// Sends `event` to every connection that came through the middleware.
    ///
    /// # Panics
    ///
    /// Panics when there is no such group (`everyone(None)`).
    pub async fn send_to_everyone(
        &self,
        layer: &dyn ChannelLayer,
        event: Event,
    ) -> Result<GroupSendReport, LayerError> {
        let group = self.everyone.as_deref().expect(
            "UserGroups::send_to_everyone: there is no group for everyone (everyone(None))",
        );
        layer.group_send(group, event).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_make_distinct_valid_group_names() {
        let groups = UserGroups::new();
        #[rustfmt::skip]
        let table = [
            ("42",                 Some("user.42")),
            ("b9c1-77ae",          Some("user.b9c1-77ae")),
            ("alice@example.com",  Some("user.alice_40example_2ecom")),
            ("a_b",                Some("user.a_5fb")),
            ("a.b",                Some("user.a_2eb")),
            ("é",                  Some("user._c3_a9")),
            ("",                   Some("user.")),
        ];
        for (id, expected) in table {
            assert_eq!(groups.group_for(id).as_deref(), expected, "{id:?}");
        }
        assert_eq!(groups.group_for(&"x".repeat(200)), None);
        assert_ne!(groups.group_for("a_5fb"), groups.group_for("a_b"));
    }

    #[test]
    fn groups_can_be_renamed_or_turned_off() {
        let groups = UserGroups::new()
            .user_prefix(Some("account"))
            .everyone(None);
        assert_eq!(groups.group_for("7").as_deref(), Some("account.7"));
        assert_eq!(groups.everyone_group(), None);
        assert_eq!(UserGroups::new().user_prefix(None).group_for("7"), None);
    }
}
