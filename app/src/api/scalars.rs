//! How the schema's custom scalars arrive in the generated operation types.

/// DateTime arrives as RFC 3339.
pub type DateTime = String;
/// NaiveDate arrives as YYYY-MM-DD.
pub type NaiveDate = String;
/// Free-form JSON.
#[allow(clippy::upper_case_acronyms)]
pub type JSON = serde_json::Value;
