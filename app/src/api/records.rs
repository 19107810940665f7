//! References one record makes to another, shared by the capabilities that show them.
use serde::{Deserialize, Serialize};

/// A record other records point at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// An account as other records point at it.
pub type AccountRef = Named;

/// A contact as listed: its name, else its email, else its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRef {
    /// Global id (`cwc:`).
    pub id: String,
    /// Name or email.
    pub label: String,
    /// Email.
    pub email: Option<String>,
}

impl ContactRef {
    /// The reference to contact `id`, labelled by its name, else its email.
    #[cfg(feature = "ssr")]
    pub fn new(id: String, name: Option<String>, email: Option<String>) -> Self {
        let label = contact_ref_label(&id, name.as_deref(), email.as_deref());
        Self { id, label, email }
    }
}

/// How a listed contact is named: its name, else its email, else its id.
pub fn contact_ref_label(id: &str, name: Option<&str>, email: Option<&str>) -> String {
    name.filter(|n| !n.trim().is_empty())
        .or(email)
        .unwrap_or(id)
        .to_owned()
}
