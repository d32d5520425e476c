//! Reading just enough msgpack to find a message's `"type"`.
//!
//! Every event is scanned once when it is made or read off a wire; a full
//! decoder would build a value for every entry only to drop it.

use std::ops::Range;

use rmp::Marker;

/// Where one top-level entry of a map lies: the entry starts at `start`
/// (its key) and its value spans `value`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) start: usize,
    pub(super) value: Range<usize>,
}

/// Finds the top-level entry whose key is the string `key`, in the map
/// whose entries start at `entries_at`.
pub(super) fn find_entry(
    body: &[u8],
    entries_at: usize,
    entries: u32,
    key: &[u8],
) -> Result<Option<Entry>, ScanError> {
    let mut cursor = &body[entries_at..];
    for _ in 0..entries {
        let start = body.len() - cursor.len();
        let is_key = string(&mut cursor)? == Some(key);
        let value_start = body.len() - cursor.len();
        skip(&mut cursor)?;
        if is_key {
            let value = value_start..body.len() - cursor.len();
            return Ok(Some(Entry { start, value }));
        }
    }
    Ok(None)
}

/// The byte range of the string under the top-level `"type"` key of the
/// map whose entries start at `entries_at`: `Ok(None)` without such a key,
/// `Err(NotString)` if its value is not a UTF-8 string.
pub(super) fn find_type(
    body: &[u8],
    entries_at: usize,
    entries: u32,
) -> Result<Option<Range<usize>>, ScanError> {
    let Some(entry) = find_entry(body, entries_at, entries, super::TYPE_KEY.as_bytes())? else {
        return Ok(None);
    };
    let mut value = &body[entry.value.clone()];
    let text = string(&mut value)?.ok_or(ScanError::NotString)?;
    std::str::from_utf8(text).map_err(|_| ScanError::NotString)?;
    let end = entry.value.end;
    Ok(Some(end - text.len()..end))
}

/// Why a scan failed.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum ScanError {
    /// The bytes end in the middle of a value, or hold a reserved marker.
    Malformed,
    /// The `"type"` value is not a UTF-8 string.
    NotString,
}

/// Reads one value: its bytes if it is a string, else `None` (the value is
/// skipped either way).
fn string<'a>(cursor: &mut &'a [u8]) -> Result<Option<&'a [u8]>, ScanError> {
    let len = match cursor.first().map(|&byte| Marker::from_u8(byte)) {
        Some(Marker::FixStr(len)) => {
            take(cursor, 1)?;
            usize::from(len)
        }
        Some(Marker::Str8) => length(cursor, 1)?,
        Some(Marker::Str16) => length(cursor, 2)?,
        Some(Marker::Str32) => length(cursor, 4)?,
        _ => return skip(cursor).map(|()| None),
    };
    take(cursor, len).map(Some)
}

/// Skips one value, however deeply nested, without recursion: a hostile
/// message cannot exhaust the stack.
fn skip(cursor: &mut &[u8]) -> Result<(), ScanError> {
    let mut pending: usize = 1;
    while pending > 0 {
        pending -= 1;
        let marker = Marker::from_u8(take(cursor, 1)?[0]);
        let (bytes, children) = match marker {
            Marker::FixPos(_) | Marker::FixNeg(_) | Marker::Null | Marker::True | Marker::False => {
                (0, 0)
            }
            Marker::U8 | Marker::I8 => (1, 0),
            Marker::U16 | Marker::I16 => (2, 0),
            Marker::U32 | Marker::I32 | Marker::F32 => (4, 0),
            Marker::U64 | Marker::I64 | Marker::F64 => (8, 0),
            Marker::FixStr(len) => (usize::from(len), 0),
            Marker::Str8 | Marker::Bin8 => (be(cursor, 1)?, 0),
            Marker::Str16 | Marker::Bin16 => (be(cursor, 2)?, 0),
            Marker::Str32 | Marker::Bin32 => (be(cursor, 4)?, 0),
            Marker::FixExt1 => (2, 0),
            Marker::FixExt2 => (3, 0),
            Marker::FixExt4 => (5, 0),
            Marker::FixExt8 => (9, 0),
            Marker::FixExt16 => (17, 0),
            Marker::Ext8 => (be(cursor, 1)? + 1, 0),
            Marker::Ext16 => (be(cursor, 2)? + 1, 0),
            Marker::Ext32 => (be(cursor, 4)? + 1, 0),
            Marker::FixArray(len) => (0, usize::from(len)),
            Marker::Array16 => (0, be(cursor, 2)?),
            Marker::Array32 => (0, be(cursor, 4)?),
            Marker::FixMap(len) => (0, 2 * usize::from(len)),
            Marker::Map16 => (0, 2 * be(cursor, 2)?),
            Marker::Map32 => (0, 2 * be(cursor, 4)?),
            Marker::Reserved => return Err(ScanError::Malformed),
        };
        take(cursor, bytes)?;
        pending += children;
        // Every value takes at least a byte: more pending values than
        // bytes left means the message lies about its lengths.
        if pending > cursor.len() {
            return Err(ScanError::Malformed);
        }
    }
    Ok(())
}

/// Reads a string marker and its big-endian length of `width` bytes.
fn length(cursor: &mut &[u8], width: usize) -> Result<usize, ScanError> {
    take(cursor, 1)?;
    be(cursor, width)
}

/// Reads a big-endian unsigned integer of `width` bytes.
fn be(cursor: &mut &[u8], width: usize) -> Result<usize, ScanError> {
    let bytes = take(cursor, width)?;
    Ok(bytes
        .iter()
        .fold(0usize, |value, &byte| (value << 8) | usize::from(byte)))
}

fn take<'a>(cursor: &mut &'a [u8], len: usize) -> Result<&'a [u8], ScanError> {
    if cursor.len() < len {
        return Err(ScanError::Malformed);
    }
    let (taken, rest) = cursor.split_at(len);
    *cursor = rest;
    Ok(taken)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn scan(value: &serde_json::Value) -> Result<Option<String>, ScanError> {
        let body = rmp_serde::to_vec_named(value).unwrap();
        let mut cursor = &body[..];
        let entries = rmp::decode::read_map_len(&mut cursor).unwrap();
        let at = body.len() - cursor.len();
        find_type(&body, at, entries)
            .map(|range| range.map(|r| String::from_utf8(body[r].to_vec()).unwrap()))
    }

    #[test]
    fn finds_the_type_after_values_of_every_shape() {
        let long = "x".repeat(70_000);
        let table = [
            (json!({"type": "a"}), Some("a")),
            (json!({"n": 1, "type": "b"}), Some("b")),
            (
                json!({"nested": {"type": "inner", "list": [1, [2, {"k": null}]]}, "type": "c"}),
                Some("c"),
            ),
            (
                json!({"f": 1.5, "neg": -7, "big": 1u64 << 40, "t": true, "type": "d"}),
                Some("d"),
            ),
            (json!({"long": long, "type": "e"}), Some("e")),
            (json!({"message": "hi"}), None),
            (json!({}), None),
        ];
        for (value, expected) in table {
            assert_eq!(scan(&value).unwrap().as_deref(), expected, "{value}");
        }
    }

    #[test]
    fn binary_and_ext_values_are_skipped() {
        let mut body = Vec::new();
        rmp::encode::write_map_len(&mut body, 3).unwrap();
        rmp::encode::write_str(&mut body, "blob").unwrap();
        rmp::encode::write_bin(&mut body, &[0xff; 300]).unwrap();
        rmp::encode::write_str(&mut body, "ext").unwrap();
        rmp::encode::write_ext_meta(&mut body, 4, 7).unwrap();
        body.extend_from_slice(&[1, 2, 3, 4]);
        rmp::encode::write_str(&mut body, "type").unwrap();
        rmp::encode::write_str(&mut body, "f").unwrap();
        let range = find_type(&body, 1, 3).unwrap().unwrap();
        assert_eq!(&body[range], b"f");
    }

    #[test]
    fn a_type_that_is_not_a_string_is_an_error() {
        assert_eq!(scan(&json!({"type": 5})), Err(ScanError::NotString));
    }

    #[test]
    fn truncated_or_lying_messages_are_malformed_not_a_panic() {
        let body = rmp_serde::to_vec_named(&json!({"a": [1, 2, 3], "type": "x"})).unwrap();
        for cut in 1..body.len() {
            let result = find_type(&body[..cut], 1, 2);
            assert!(result.is_err(), "cut at {cut}: {result:?}");
        }
        // An array that claims four billion items in a few bytes.
        let lying = [0x81, 0xa1, b'a', 0xdd, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(find_type(&lying, 1, 1), Err(ScanError::Malformed));
    }
}
