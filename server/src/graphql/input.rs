//! Input helpers every capability's mutations share: patch fields and evidence kinds.
use async_graphql::MaybeUndefined;

/// A patch field: omitted keeps (`None`), null clears (`Some(None)`).
pub fn patch<T>(value: MaybeUndefined<T>) -> Option<Option<T>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

/// The evidence kinds a person may attach to a stage change (audit kinds are static names).
pub fn evidence_kind(kind: &str) -> Option<&'static str> {
    match kind.trim() {
        "message" => Some("message"),
        "conversation" => Some("conversation"),
        "contact" => Some("contact"),
        "url" => Some("url"),
        _ => None,
    }
}
