//! Wording shared by every capability: API values as labels, and values in URLs.
use serde::Serialize;

/// The label of an API enum value found in `table`, else the value in words.
pub fn label_of(table: &[(&str, &str)], value: &str) -> String {
    table
        .iter()
        .find(|(v, _)| *v == value)
        .map(|(_, l)| (*l).to_owned())
        .unwrap_or_else(|| words(value))
}

/// `AT_RISK` → `At risk`.
pub fn words(value: &str) -> String {
    let lower = value.to_lowercase().replace('_', " ");
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// How a contact is shown: the name, else the email, else "Unknown contact".
pub fn contact_label(name: Option<&str>, email: Option<&str>) -> String {
    name.filter(|n| !n.is_empty())
        .or(email)
        .unwrap_or("Unknown contact")
        .to_owned()
}

/// An API enum value as its name (`PENDING_APPROVAL`).
pub fn name<E: Serialize>(value: &E) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The page of an outbound message's origin.
pub fn origin_href(kind: &str, id: Option<&str>) -> Option<String> {
    let id = id?;
    match kind {
        "OFFER" => Some(format!("/offers/{id}")),
        "CAMPAIGN" => Some(format!("/campaigns/{id}")),
        _ => None,
    }
}

/// The date (YYYY-MM-DD) of an RFC 3339 time.
pub fn date(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}

/// A query-string value, percent-encoded.
pub fn query_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `path?draft=<json>` plus the given extra parameters.
pub fn draft_url<T: Serialize>(path: &str, draft: &T, extra: &[(&str, &str)]) -> String {
    let json = serde_json::to_string(draft).unwrap_or_default();
    let mut url = format!("{path}?draft={}", query_escape(&json));
    for (k, v) in extra {
        url.push_str(&format!("&{k}={}", query_escape(v)));
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_is_labelled_by_name_then_email() {
        assert_eq!(contact_label(Some("Ann"), Some("a@x.io")), "Ann");
        assert_eq!(contact_label(Some(""), Some("a@x.io")), "a@x.io");
        assert_eq!(contact_label(None, None), "Unknown contact");
    }
}
