//! Chatwoot global ids of test data: each project gets its own Chatwoot account number, since
//! Chatwoot ids are unique per account across projects.
use server::kernel::Scope;

/// Chatwoot account id of a project's mirror rows (derived from the project id).
pub fn chatwoot_account(scope: &Scope) -> i64 {
    i64::from_str_radix(&scope.project_id().simple().to_string()[..7], 16).expect("hex")
}

/// `cwc:` id of contact `number` in `scope`.
pub fn contact_id(scope: &Scope, number: i64) -> String {
    format!(
        "cwc:{}:{}:{number}",
        scope.project_id(),
        chatwoot_account(scope)
    )
}

/// `cw:` id of conversation `number` in `scope`.
pub fn conversation_id(scope: &Scope, number: i64) -> String {
    format!(
        "cw:{}:{}:{number}",
        scope.project_id(),
        chatwoot_account(scope)
    )
}

/// `cwmsg:` id of message `number` in `scope`.
pub fn message_id(scope: &Scope, number: i64) -> String {
    format!(
        "cwmsg:{}:{}:{number}",
        scope.project_id(),
        chatwoot_account(scope)
    )
}
