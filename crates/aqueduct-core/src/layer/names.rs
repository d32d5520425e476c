//! Channel and group name rules, as Channels checks them.

use super::LayerError;

/// The longest valid name is one character under this.
const MAX_NAME_LEN: usize = 100;

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// Checks a channel name: `^[a-zA-Z\d\-_.]+(![\d\w\-_.]*)?$`, under 100 characters.
///
/// A name with a `!` is process-local: the part up to and including the `!`
/// names the process that reads it.
///
/// ```
/// use aqueduct_core::validate_channel_name;
///
/// assert!(validate_channel_name("specific.inmemory!abcDEF123").is_ok());
/// assert!(validate_channel_name("chat!").is_ok());
/// assert!(validate_channel_name("no spaces").is_err());
/// ```
pub fn validate_channel_name(name: &str) -> Result<(), LayerError> {
    let invalid = |reason| LayerError::InvalidChannelName {
        name: name.to_owned(),
        reason,
    };
    if name.len() >= MAX_NAME_LEN {
        return Err(invalid("names must be under 100 characters"));
    }
    let (head, local) = match name.split_once('!') {
        Some((head, local)) => (head, Some(local)),
        None => (name, None),
    };
    if head.is_empty() {
        return Err(invalid(
            "names must start with at least one letter, digit, '-', '_' or '.'",
        ));
    }
    if !head.chars().all(is_name_char) {
        return Err(invalid(
            "only ASCII letters, digits, '-', '_' and '.' are allowed before '!'",
        ));
    }
    if let Some(local) = local
        && !local.chars().all(is_name_char)
    {
        return Err(invalid(
            "only ASCII letters, digits, '-', '_' and '.' are allowed after '!'",
        ));
    }
    Ok(())
}

/// Checks a group name: `^[a-zA-Z\d\-_.]+$`, under 100 characters.
///
/// ```
/// use aqueduct_core::validate_group_name;
///
/// assert!(validate_group_name("chat_lobby").is_ok());
/// assert!(validate_group_name("chat_caf\u{e9}").is_err());
/// ```
pub fn validate_group_name(name: &str) -> Result<(), LayerError> {
    let invalid = |reason| LayerError::InvalidGroupName {
        name: name.to_owned(),
        reason,
    };
    if name.len() >= MAX_NAME_LEN {
        return Err(invalid("names must be under 100 characters"));
    }
    if name.is_empty() {
        return Err(invalid("names must not be empty"));
    }
    if !name.chars().all(is_name_char) {
        return Err(invalid(
            "only ASCII letters, digits, '-', '_' and '.' are allowed",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names() {
        let long = "a".repeat(99);
        let too_long = "a".repeat(100);
        let table: &[(&str, bool)] = &[
            ("chat", true),
            ("specific.abc123!def456", true),
            ("a-b_c.d", true),
            ("trailing!", true),
            (&long, true),
            (&too_long, false),
            ("", false),
            ("!local", false),
            ("two!bangs!", false),
            ("space name", false),
            ("caf\u{e9}", false),
            ("slash/", false),
        ];
        for (name, ok) in table {
            assert_eq!(validate_channel_name(name).is_ok(), *ok, "{name:?}");
        }
    }

    #[test]
    fn group_names() {
        let table: &[(&str, bool)] = &[
            ("chat_lobby", true),
            ("a.b-c", true),
            ("", false),
            ("with!bang", false),
            ("white space", false),
        ];
        for (name, ok) in table {
            assert_eq!(validate_group_name(name).is_ok(), *ok, "{name:?}");
        }
    }
}
