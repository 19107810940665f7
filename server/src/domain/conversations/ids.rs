//! The spec's global ids: `cwc:<project_id>:<account_id>:<contact_id>`,
//! `cw:<project_id>:<account_id>:<conversation_id>`, `cwmsg:<project_id>:<account_id>:<message_id>`.
use uuid::Uuid;

/// A Chatwoot account as seen from one project: the prefix of every global id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountRef {
    /// The project the account feeds.
    pub project_id: Uuid,
    /// The Chatwoot account id.
    pub account_id: i64,
}

impl AccountRef {
    /// `cwc:` id of a contact.
    pub fn contact(&self, contact_id: i64) -> String {
        format!("cwc:{}:{}:{contact_id}", self.project_id, self.account_id)
    }

    /// `cw:` id of a conversation (by display id).
    pub fn conversation(&self, display_id: i64) -> String {
        format!("cw:{}:{}:{display_id}", self.project_id, self.account_id)
    }

    /// `cwmsg:` id of a message.
    pub fn message(&self, message_id: i64) -> String {
        format!("cwmsg:{}:{}:{message_id}", self.project_id, self.account_id)
    }
}

/// The `sync_watermarks.source` of a Chatwoot account.
pub fn watermark_source(account_id: i64) -> String {
    format!("chatwoot:{account_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_spec_formats() {
        let project_id = Uuid::parse_str("6f1c2a44-0b7e-4c35-9d8e-2f0a1b3c4d5e").expect("uuid");
        let account = AccountRef {
            project_id,
            account_id: 3,
        };
        assert_eq!(
            account.contact(17),
            "cwc:6f1c2a44-0b7e-4c35-9d8e-2f0a1b3c4d5e:3:17"
        );
        assert_eq!(
            account.conversation(4),
            "cw:6f1c2a44-0b7e-4c35-9d8e-2f0a1b3c4d5e:3:4"
        );
        assert_eq!(
            account.message(900),
            "cwmsg:6f1c2a44-0b7e-4c35-9d8e-2f0a1b3c4d5e:3:900"
        );
        assert_eq!(watermark_source(3), "chatwoot:3");
    }
}
