//! URL parameters captured by a router (Channels' `scope["url_route"]["kwargs"]`).

/// One captured URL parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    name: String,
    value: String,
    int: Option<i64>,
}

impl Param {
    /// Creates a text parameter (`<name>`, `<str:…>`, `<slug:…>`, `<uuid:…>`, `<path:…>`).
    pub fn text(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            int: None,
        }
    }

    /// Creates an integer parameter (`<int:…>`), keeping the text it was parsed from.
    pub fn int(name: impl Into<String>, value: impl Into<String>, int: i64) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            int: Some(int),
        }
    }

    /// The parameter's name, as written in the pattern.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The matched text, percent-decoded.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The integer value, for a parameter captured by `<int:…>`.
    pub fn as_int(&self) -> Option<i64> {
        self.int
    }
}

/// The parameters captured from the URL path by the routers, in pattern order.
///
/// ```
/// use aqueduct_core::{Param, UrlParams};
///
/// let mut params = UrlParams::default();
/// params.insert(Param::text("room_name", "lobby"));
/// params.insert(Param::int("id", "42", 42));
/// assert_eq!(params.get("room_name"), Some("lobby"));
/// assert_eq!(params.get_int("id"), Some(42));
/// assert_eq!(params.get("id"), Some("42"));
/// assert_eq!(params.get_int("room_name"), None);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UrlParams {
    params: Vec<Param>,
}

impl UrlParams {
    /// Returns the text of the parameter called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.find(name).map(Param::value)
    }

    /// Returns the integer value of an `<int:…>` parameter called `name`.
    pub fn get_int(&self, name: &str) -> Option<i64> {
        self.find(name).and_then(Param::as_int)
    }

    /// Parses the parameter called `name` into any `FromStr` type.
    ///
    /// Returns `None` when there is no such parameter.
    pub fn parse<T: std::str::FromStr>(&self, name: &str) -> Option<Result<T, T::Err>> {
        self.get(name).map(str::parse)
    }

    /// Adds a parameter; one with the same name is replaced, as an inner
    /// router's capture replaces an outer one in Channels.
    pub fn insert(&mut self, param: Param) {
        match self.params.iter_mut().find(|p| p.name == param.name) {
            Some(existing) => *existing = param,
            None => self.params.push(param),
        }
    }

    /// Iterates over the parameters in pattern order.
    pub fn iter(&self) -> impl Iterator<Item = &Param> {
        self.params.iter()
    }

    /// Returns the number of parameters.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Returns whether no parameter was captured.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    fn find(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

impl Extend<Param> for UrlParams {
    fn extend<I: IntoIterator<Item = Param>>(&mut self, iter: I) {
        for param in iter {
            self.insert(param);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_capture_replaces_outer() {
        let mut params = UrlParams::default();
        params.insert(Param::text("id", "outer"));
        params.insert(Param::text("room", "lobby"));
        params.insert(Param::int("id", "7", 7));
        assert_eq!(params.get("id"), Some("7"));
        assert_eq!(params.get_int("id"), Some(7));
        assert_eq!(params.len(), 2);
    }

    #[test]
    fn parse_reports_bad_values() {
        let mut params = UrlParams::default();
        params.insert(Param::text("n", "x"));
        assert!(params.parse::<u8>("n").unwrap().is_err());
        assert!(params.parse::<u8>("missing").is_none());
    }
}
