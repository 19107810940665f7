//! The outbound queue for the UI (messages written by hand, from offers, campaigns or
//! next-best-actions, with their attempts), and contacts' channel policies.
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::convert;

/// Outbound message states (API value, label).
pub const OUTBOUND_STATUSES: &[(&str, &str)] = &[
    ("DRAFT", "Draft"),
    ("PENDING_APPROVAL", "Pending approval"),
    ("APPROVED", "Approved"),
    ("QUEUED", "Queued"),
    ("SENT", "Sent"),
    ("FAILED", "Failed"),
    ("BLOCKED", "Blocked"),
    ("CANCELLED", "Cancelled"),
];

/// The display id of a conversation (`cw:<project>:<account>:<display id>`).
pub fn conversation_display_id(id: &str) -> Option<i64> {
    id.strip_prefix("cw:")?.rsplit(':').next()?.parse().ok()
}

use self::ops::{
    contact_channel_policies_query::ContactChannelPoliciesQueryContactChannelPolicies,
    outbound_messages_query::{
        OutboundMessagesQueryOutboundMessages, OutboundMessagesQueryOutboundMessagesEdgesNode,
    },
};
use crate::api::{
    records::contact_ref_label,
    text::{name, origin_href},
};

paged!(OutboundMessagesQueryOutboundMessages);

impl OutboundMessagesQueryOutboundMessages {
    /// The messages of the page, newest first.
    pub fn into_rows(self) -> Vec<OutboundMessagesQueryOutboundMessagesEdgesNode> {
        self.edges.into_iter().map(|e| e.node).collect()
    }
}

impl OutboundMessagesQueryOutboundMessagesEdgesNode {
    /// OutboundStatus value.
    pub fn status_name(&self) -> String {
        name(&self.status)
    }

    /// MANUAL | CAMPAIGN | OFFER | NBA.
    pub fn origin_name(&self) -> String {
        name(&self.origin_kind)
    }

    /// Where the origin is seen.
    pub fn origin_href(&self) -> Option<String> {
        origin_href(&self.origin_name(), self.origin_id.as_deref())
    }

    /// The Chatwoot display id of the conversation it goes (went) into.
    pub fn conversation_display_id(&self) -> Option<i64> {
        self.conversation_id
            .as_deref()
            .and_then(conversation_display_id)
    }

    /// The recipient's name, else email, else id.
    pub fn contact_label(&self) -> String {
        let contact = self.contact.as_ref();
        contact_ref_label(
            &self.contact_id,
            contact.and_then(|c| c.name.as_deref()),
            contact.and_then(|c| c.email.as_deref()),
        )
    }
}

/// `604800` → `7 days`, `3600` → `1 hour`.
pub fn window_words(seconds: i64) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    if seconds % 86_400 == 0 {
        plural(seconds / 86_400, "day")
    } else if seconds % 3_600 == 0 {
        plural(seconds / 3_600, "hour")
    } else {
        plural(seconds, "second")
    }
}

/// The capability's typed GraphQL operations (both builds: pages render their types).
pub mod ops {
    operations!("graphql/outbound.graphql":
        OutboundMessagesQuery,
        CreateOutboundMessageMutation,
        SubmitOutboundMessageMutation,
        ApproveOutboundMessageMutation,
        RejectOutboundMessageMutation,
        CancelOutboundMessageMutation,
        ContactChannelPoliciesQuery,
        OptOutContactMutation,
        OptInContactMutation,
        SetContactFrequencyCapMutation,
    );
}

// --- outbound --------------------------------------------------------------------------------

/// The outbound messages of one origin (e.g. an offer's sending attempts), newest first.
#[cfg(feature = "ssr")]
pub(crate) async fn list_outbound_of(
    kind: &str,
    origin_id: &str,
) -> Result<Vec<OutboundMessagesQueryOutboundMessagesEdgesNode>, crate::api::ApiError> {
    use ops::*;

    let origin_kind: outbound_messages_query::OutboundOrigin =
        serde_json::from_value(serde_json::Value::String(kind.to_owned()))
            .map_err(|_| crate::api::ApiError::Internal)?;
    let page = fetch_outbound(
        outbound_messages_query::OutboundMessageFilter {
            status: None,
            origin_kind: Some(origin_kind),
            origin_id: Some(origin_id.to_owned()),
            contact_id: None,
        },
        None,
        20,
    )
    .await?;
    Ok(page.into_rows())
}

#[cfg(feature = "ssr")]
async fn fetch_outbound(
    filter: ops::outbound_messages_query::OutboundMessageFilter,
    after: Option<String>,
    first: i64,
) -> Result<OutboundMessagesQueryOutboundMessages, crate::api::ApiError> {
    use ops::*;

    let page =
        crate::api::executor::run::<OutboundMessagesQuery>(outbound_messages_query::Variables {
            filter: Some(filter),
            first: Some(first),
            after,
        })
        .await?
        .outbound_messages;
    Ok(page)
}

/// A page of the outbound queue; `status` an OutboundStatus name, blank for any.
#[server(endpoint = "outbound/list")]
pub async fn list_outbound(
    status: Option<String>,
    after: Option<String>,
) -> Result<OutboundMessagesQueryOutboundMessages, ServerFnError> {
    use convert::*;
    use ops::*;

    let status = nonblank(status)
        .map(|s| parse("status", &s, OUTBOUND_STATUSES))
        .transpose()?;
    Ok(fetch_outbound(
        outbound_messages_query::OutboundMessageFilter {
            status,
            origin_kind: None,
            origin_id: None,
            contact_id: None,
        },
        nonblank(after),
        25,
    )
    .await?)
}

/// Moves an outbound message on: `action` submit | approve | reject (optional reason) |
/// cancel. Returns its new status.
#[server(endpoint = "outbound/action")]
pub async fn outbound_action(
    id: String,
    action: String,
    reason: Option<String>,
    csrf: String,
) -> Result<String, ServerFnError> {
    use crate::api::executor::run_mutation;
    use convert::*;
    use ops::*;

    let status = match action.as_str() {
        "submit" => name(
            &run_mutation::<SubmitOutboundMessageMutation>(
                submit_outbound_message_mutation::Variables { id },
                &csrf,
            )
            .await?
            .submit_outbound_message
            .status,
        ),
        "approve" => name(
            &run_mutation::<ApproveOutboundMessageMutation>(
                approve_outbound_message_mutation::Variables { id },
                &csrf,
            )
            .await?
            .approve_outbound_message
            .status,
        ),
        "reject" => name(
            &run_mutation::<RejectOutboundMessageMutation>(
                reject_outbound_message_mutation::Variables {
                    id,
                    reason: nonblank(reason),
                },
                &csrf,
            )
            .await?
            .reject_outbound_message
            .status,
        ),
        "cancel" => name(
            &run_mutation::<CancelOutboundMessageMutation>(
                cancel_outbound_message_mutation::Variables { id },
                &csrf,
            )
            .await?
            .cancel_outbound_message
            .status,
        ),
        _ => {
            return Err(crate::api::executor::invalid_input(
                "Invalid input: action: is not one of the choices".to_owned(),
            )
            .into());
        }
    };
    Ok(status)
}

/// Writes a message to a contact and submits it for approval; returns its id.
#[server(endpoint = "outbound/write-message")]
pub async fn write_message(
    contact_id: String,
    content: String,
    csrf: String,
) -> Result<String, ServerFnError> {
    use super::{ApiError, executor::run_mutation};
    use ops::*;

    let contact_id = contact_id.trim().to_owned();
    if contact_id.is_empty() {
        return Err(crate::api::executor::invalid_input(
            "Invalid input: contactId: choose the recipient".to_owned(),
        )
        .into());
    }
    let id = run_mutation::<CreateOutboundMessageMutation>(
        create_outbound_message_mutation::Variables {
            input: create_outbound_message_mutation::CreateOutboundMessageInput {
                contact_id,
                conversation_id: None,
                channel: None,
                content,
                next_best_action_id: None,
            },
        },
        &csrf,
    )
    .await
    .map_err(|e| match e {
        ApiError::Api(m) if m == "contact not found" => crate::api::executor::invalid_input(
            "Invalid input: contactId: no contact of this project has this id".to_owned(),
        ),
        other => other,
    })?
    .create_outbound_message
    .id;
    run_mutation::<SubmitOutboundMessageMutation>(
        submit_outbound_message_mutation::Variables { id: id.clone() },
        &csrf,
    )
    .await
    .map_err(|e| {
        ApiError::Api(format!(
            "The message was saved as a draft but not submitted: {e}"
        ))
    })?;
    Ok(id)
}

/// A contact's channel policies.
#[server(endpoint = "outbound/channel-policies")]
pub async fn channel_policies(
    contact_id: String,
) -> Result<ContactChannelPoliciesQueryContactChannelPolicies, ServerFnError> {
    use ops::*;

    let policies = crate::api::executor::run::<ContactChannelPoliciesQuery>(
        contact_channel_policies_query::Variables { contact_id },
    )
    .await?
    .contact_channel_policies;
    Ok(policies)
}

/// Changes a contact's policy on `channel`: `action` opt_out (optional reason) | opt_in |
/// cap (`cap` messages per `window_days` days; a blank cap returns to the project default).
#[server(endpoint = "outbound/set-channel-policy")]
pub async fn set_channel_policy(
    contact_id: String,
    channel: String,
    action: String,
    reason: Option<String>,
    cap: Option<String>,
    window_days: Option<String>,
    csrf: String,
) -> Result<(), ServerFnError> {
    use crate::api::executor::run_mutation;
    use convert::*;
    use ops::*;

    let channel = match channel.trim() {
        "" => "all".to_owned(),
        c => c.to_owned(),
    };
    match action.as_str() {
        "opt_out" => {
            run_mutation::<OptOutContactMutation>(
                opt_out_contact_mutation::Variables {
                    contact_id,
                    channel,
                    reason: nonblank(reason),
                },
                &csrf,
            )
            .await?;
        }
        "opt_in" => {
            run_mutation::<OptInContactMutation>(
                opt_in_contact_mutation::Variables {
                    contact_id,
                    channel,
                },
                &csrf,
            )
            .await?;
        }
        "cap" => {
            let cap = int("cap", cap)?;
            let window = int("windowSeconds", window_days)?.map(|d| d * 86_400);
            run_mutation::<SetContactFrequencyCapMutation>(
                set_contact_frequency_cap_mutation::Variables {
                    contact_id,
                    channel,
                    cap,
                    window_seconds: cap.and(window),
                },
                &csrf,
            )
            .await?;
        }
        _ => {
            return Err(crate::api::executor::invalid_input(
                "Invalid input: action: is not one of the choices".to_owned(),
            )
            .into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_ids_give_their_display_id() {
        assert_eq!(conversation_display_id("cw:p-1:7:12"), Some(12));
        assert_eq!(conversation_display_id("cwc:p-1:7:12"), None);
        assert_eq!(window_words(604_800), "7 days");
        assert_eq!(window_words(3_600), "1 hour");
    }
}
