//! Relay cursor helpers shared by every connection: opaque cursors and `first` validation.
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::kernel::page::{decode_cursor, encode_cursor, micros, parse_micros};

/// Page size when `first` is omitted.
pub const DEFAULT_PAGE_SIZE: i32 = 20;
/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: i32 = 100;

/// Why a pagination argument was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PaginationError {
    /// `first` outside 1..=MAX_PAGE_SIZE.
    #[error("must be between 1 and {MAX_PAGE_SIZE}")]
    FirstOutOfRange,
    /// `after` is not a cursor this API issued.
    #[error("is not a valid cursor")]
    BadCursor,
}

/// What a field that runs a search or evaluates a filter tree over every contact costs on top
/// of its rows, so a request can hold only a few of them.
pub const EXPENSIVE_FIELD_COST: usize = 1_000;

/// The complexity of a page: its selection once per row it may return (`first`, or the
/// default page size). async-graphql adds up fields, so without this a hundred aliases of a
/// hundred-row page inside a hundred-row page would cost as much as one row.
pub fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    rows_cost(first, DEFAULT_PAGE_SIZE, child_complexity)
}

/// [`page_cost`] for a list whose own default length is `default_rows`.
pub fn rows_cost(first: Option<i32>, default_rows: i32, child_complexity: usize) -> usize {
    let rows = first.unwrap_or(default_rows).max(1) as usize;
    rows.saturating_mul(child_complexity.max(1))
}

/// Validates `first`, defaulting when absent.
pub fn page_size(first: Option<i32>) -> Result<u64, PaginationError> {
    match first.unwrap_or(DEFAULT_PAGE_SIZE) {
        n if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(n as u64),
        _ => Err(PaginationError::FirstOutOfRange),
    }
}

/// Encodes a (timestamp, id) keyset position as an opaque cursor.
pub fn encode_time_id(at: DateTime<Utc>, id: Uuid) -> String {
    encode_cursor(&[&micros(Some(at)), &id.to_string()])
}

/// Decodes a cursor made by [`encode_time_id`].
pub fn decode_time_id(cursor: &str) -> Result<(DateTime<Utc>, Uuid), PaginationError> {
    let [at, id] = decode_cursor::<2>(cursor).ok_or(PaginationError::BadCursor)?;
    let at = parse_micros(&at)
        .flatten()
        .ok_or(PaginationError::BadCursor)?;
    let id = Uuid::parse_str(&id).map_err(|_| PaginationError::BadCursor)?;
    Ok((at, id))
}

/// A Relay connection over one page: `cursor` positions each item, `node` turns it into its
/// API type.
pub fn connection<T, N>(
    items: Vec<T>,
    has_previous_page: bool,
    has_next_page: bool,
    total_count: u64,
    cursor: impl Fn(&T) -> String,
    node: impl Fn(T) -> N,
) -> async_graphql::connection::Connection<String, N, crate::graphql::pagination::ConnectionTotals>
where
    N: async_graphql::OutputType,
{
    let mut connection = async_graphql::connection::Connection::with_additional_fields(
        has_previous_page,
        has_next_page,
        crate::graphql::pagination::ConnectionTotals {
            total_count: total_count as i64,
        },
    );
    connection.edges.extend(items.into_iter().map(|item| {
        let at = cursor(&item);
        async_graphql::connection::Edge::new(at, node(item))
    }));
    connection
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_to_the_same_position() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        let id = Uuid::new_v4();
        assert_eq!(decode_time_id(&encode_time_id(at, id)), Ok((at, id)));
    }

    #[test]
    fn a_forged_cursor_is_refused() {
        assert_eq!(
            decode_time_id("not-a-cursor"),
            Err(PaginationError::BadCursor)
        );
    }

    #[test]
    fn page_size_defaults_and_is_bounded() {
        assert_eq!(page_size(None), Ok(20));
        assert_eq!(page_size(Some(100)), Ok(100));
        assert_eq!(page_size(Some(0)), Err(PaginationError::FirstOutOfRange));
        assert_eq!(page_size(Some(101)), Err(PaginationError::FirstOutOfRange));
    }
}

/// Extra fields every connection carries.
#[derive(async_graphql::SimpleObject, Debug, Clone, Copy)]
pub struct ConnectionTotals {
    /// Items in the whole filtered listing, across all pages.
    pub total_count: i64,
}
