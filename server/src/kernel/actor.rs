//! `Actor`: who performs a write, as the audit trail and the `*_by` columns record it.
use uuid::Uuid;

use crate::auth::UserRef;

/// Who performs a write: the audit actor and, for a person, the user stored in the
/// `*_by` columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `user:<id>`, `token:<id>` or `system:<component>`.
    pub audit: String,
    /// The person behind it; `None` for the system.
    pub user_id: Option<Uuid>,
}

impl Actor {
    /// A signed-in user acting in the app.
    pub fn user(user: &UserRef) -> Self {
        Self {
            audit: user.actor(),
            user_id: Some(user.id),
        }
    }

    /// A user acting through another channel (`audit` is e.g. `token:<id>`).
    pub fn new(audit: impl Into<String>, user_id: Option<Uuid>) -> Self {
        Self {
            audit: audit.into(),
            user_id,
        }
    }

    /// A background component.
    pub fn system(component: &str) -> Self {
        Self {
            audit: format!("system:{component}"),
            user_id: None,
        }
    }
}
