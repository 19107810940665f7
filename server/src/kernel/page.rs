//! Keyset paging, once for every listing: [`Page`] (the rows, whether more follow, the
//! listing's total) and the opaque cursor codec every listing's cursor type uses
//! ([`encode_cursor`], [`decode_cursor`]) with its time part ([`micros`], [`parse_micros`]).
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// More rows follow.
    pub has_next_page: bool,
    /// Rows in the whole (filtered) listing.
    pub total_count: u64,
}

impl<T> Page<T> {
    /// The page of a keyset listing fetched with `limit first + 1`: the extra row only says
    /// that another page follows.
    pub fn from_rows<R: Into<T>>(rows: Vec<R>, first: u64, total_count: u64) -> Self {
        let has_next_page = rows.len() as u64 > first;
        Self {
            items: rows
                .into_iter()
                .take(usize::try_from(first).unwrap_or(usize::MAX))
                .map(Into::into)
                .collect(),
            has_next_page,
            total_count,
        }
    }
}

/// An opaque cursor for clients: the keyset's parts joined by `|`, base64url without padding.
/// Only the last part may contain `|` (put free text such as a name last).
pub fn encode_cursor(parts: &[&str]) -> String {
    URL_SAFE_NO_PAD.encode(parts.join("|"))
}

/// The `N` parts of a cursor made by [`encode_cursor`] (the last keeps any `|`); `None` for
/// anything this API did not issue.
pub fn decode_cursor<const N: usize>(cursor: &str) -> Option<[String; N]> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let parts: Vec<String> = raw.splitn(N, '|').map(str::to_owned).collect();
    parts.try_into().ok()
}

/// A time as a cursor part: microseconds since the epoch, `-` for none.
pub fn micros(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(|| "-".to_owned(), |t| t.timestamp_micros().to_string())
}

/// Reads a part made by [`micros`]: `Some(None)` for `-`, `None` for anything else invalid.
pub fn parse_micros(part: &str) -> Option<Option<DateTime<Utc>>> {
    match part {
        "-" => Some(None),
        micros => Some(Some(DateTime::from_timestamp_micros(micros.parse().ok()?)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_its_parts_and_the_last_keeps_separators() {
        let cursor = encode_cursor(&["n", "42", "Acme | Co"]);

        let parts = decode_cursor::<3>(&cursor);

        assert_eq!(
            parts,
            Some(["n".to_owned(), "42".to_owned(), "Acme | Co".to_owned()])
        );
    }

    #[test]
    fn a_cursor_with_too_few_parts_or_not_ours_is_refused() {
        assert_eq!(decode_cursor::<3>(&encode_cursor(&["n", "42"])), None);
        assert_eq!(decode_cursor::<2>("not a cursor!"), None);
    }

    #[test]
    fn times_round_trip_and_none_is_a_dash() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456);

        assert_eq!(parse_micros(&micros(at)), Some(at));
        assert_eq!(parse_micros(&micros(None)), Some(None));
        assert_eq!(parse_micros("soon"), None);
    }
}
