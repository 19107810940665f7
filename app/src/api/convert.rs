//! From form text and generated types to the API's and the UI's, shared by the server
//! functions.
use serde::de::DeserializeOwned;

use crate::api::ApiError;

// Both builds name enum values and link origins (the pages read the generated types).
pub use crate::api::text::{name, origin_href};

/// An API enum of a name the form sent; unknown names are rejected.
pub fn parse<E: DeserializeOwned>(
    field: &str,
    value: &str,
    table: &[(&str, &str)],
) -> Result<E, ApiError> {
    let value = value.trim();
    if !table.iter().any(|(v, _)| *v == value) {
        return Err(crate::api::executor::invalid_input(format!(
            "Invalid input: {field}: is not one of the choices"
        )));
    }
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| ApiError::Internal)
}

/// Rows a listing page asks for.
pub const LISTING_PAGE: i64 = 25;

/// A listing's filter from its page's query: the status (one of `table`, blank for any) and
/// the cursor (blank for the first page).
pub fn status_filter<E: DeserializeOwned>(
    status: Option<String>,
    after: Option<String>,
    table: &[(&str, &str)],
) -> Result<(Option<E>, Option<String>), ApiError> {
    let status = nonblank(status)
        .map(|s| parse("status", &s, table))
        .transpose()?;
    Ok((status, nonblank(after)))
}

/// Blank form fields mean "not given".
pub fn nonblank(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A form field's text, trimmed.
pub fn text(value: Option<String>) -> String {
    value.map(|v| v.trim().to_owned()).unwrap_or_default()
}

/// The next page's cursor, when there is one.
pub fn next(has_next: bool, end: Option<String>) -> Option<String> {
    end.filter(|_| has_next)
}

/// The end of a day (`YYYY-MM-DD`, UTC) as RFC 3339.
pub fn end_of_day(field: &str, date: &str) -> Result<String, ApiError> {
    chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map(|d| format!("{}T23:59:59Z", d.format("%Y-%m-%d")))
        .map_err(|_| {
            crate::api::executor::invalid_input(format!("Invalid input: {field}: enter a date"))
        })
}

/// A `datetime-local` value (taken as UTC) as RFC 3339.
pub fn utc_time(field: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .map(|t| t.and_utc().to_rfc3339())
        .map_err(|_| {
            crate::api::executor::invalid_input(format!(
                "Invalid input: {field}: enter a date and time"
            ))
        })
}

/// A whole number typed into a form (blank: none).
pub fn int(field: &str, value: Option<String>) -> Result<Option<i64>, ApiError> {
    nonblank(value)
        .map(|v| {
            v.parse::<i64>().map_err(|_| {
                crate::api::executor::invalid_input(format!(
                    "Invalid input: {field}: enter a whole number"
                ))
            })
        })
        .transpose()
}

/// Seconds since the epoch of an RFC 3339 time (0 when it does not parse).
pub fn epoch(at: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|d| d.timestamp())
        .unwrap_or_default()
}

/// `(label, time)` pairs of the times that are set.
pub fn timeline(times: &[(&str, &Option<String>)]) -> Vec<(String, String)> {
    times
        .iter()
        .filter_map(|(label, at)| (*at).clone().map(|at| ((*label).to_owned(), at)))
        .collect()
}

/// Sends the browser to `url` (with JavaScript, the router follows it in place).
pub fn go(url: &str) {
    leptos_axum::redirect(url);
}
