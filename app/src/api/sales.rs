//! Offers (builder, approval, sending, the customer's answer), campaigns (editor with its
//! segment, lifecycle, report), the outbound queue and contacts' channel policies, for the UI.
//!
//! The offer and campaign editors keep a half-finished form in the page's URL (`?draft=` JSON):
//! "Add line", "Remove" and the like post the form to the server, which answers with a
//! redirect to the editor holding the changed draft, so they work without JavaScript (with it,
//! the router follows the redirect in place). Saving redirects to the saved record, or back
//! to the editor with the draft and the API's error.
// The editors' server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::segments::{ConditionDraft, SegmentDraft};

/// Offer states (API value, label).
pub const OFFER_STATUSES: &[(&str, &str)] = &[
    ("DRAFT", "Draft"),
    ("PENDING_APPROVAL", "Pending approval"),
    ("APPROVED", "Approved"),
    ("REJECTED", "Rejected"),
    ("SENT", "Sent"),
    ("ACCEPTED", "Accepted"),
    ("DECLINED", "Declined"),
    ("EXPIRED", "Expired"),
];

/// Campaign states (API value, label).
pub const CAMPAIGN_STATUSES: &[(&str, &str)] = &[
    ("DRAFT", "Draft"),
    ("PENDING_APPROVAL", "Pending approval"),
    ("SCHEDULED", "Scheduled"),
    ("RUNNING", "Running"),
    ("PAUSED", "Paused"),
    ("CANCELLED", "Cancelled"),
    ("FINISHED", "Finished"),
];

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

/// Placeholders a campaign's message may use.
pub const TEMPLATE_PLACEHOLDERS: &[&str] = &["{{name}}", "{{first_name}}", "{{company}}"];

/// The label of an API value in `table`, else the value in words.
pub fn status_label(table: &[(&str, &str)], value: &str) -> String {
    table
        .iter()
        .find(|(v, _)| *v == value)
        .map(|(_, l)| (*l).to_owned())
        .unwrap_or_else(|| super::insights::words(value))
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

/// The display id of a conversation (`cw:<project>:<account>:<display id>`).
pub fn conversation_display_id(id: &str) -> Option<i64> {
    id.strip_prefix("cw:")?.rsplit(':').next()?.parse().ok()
}

/// A record other records point at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
}

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
    #[cfg(feature = "ssr")]
    fn new(id: String, name: Option<String>, email: Option<String>) -> Self {
        let label = name
            .filter(|n| !n.trim().is_empty())
            .or_else(|| email.clone())
            .unwrap_or_else(|| id.clone());
        Self { id, label, email }
    }
}

// ---------------------------------------------------------------------------------------------
// Offers

/// An offer in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferRow {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// OfferStatus value.
    pub status: String,
    /// Currency.
    pub currency: String,
    /// Total (decimal text).
    pub total: String,
    /// Largest line discount in percent.
    pub max_discount_pct: String,
    /// Needs another member's approval.
    pub requires_approval: bool,
    /// End of validity (RFC 3339).
    pub valid_until: Option<String>,
    /// Last change (RFC 3339).
    pub updated_at: String,
    /// Account.
    pub account: Option<Named>,
    /// Recipient.
    pub contact: Option<ContactRef>,
}

/// A page of offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferPage {
    /// Most recently changed first.
    pub rows: Vec<OfferRow>,
    /// Cursor of the next page.
    pub next: Option<String>,
    /// Matching offers.
    pub total: i64,
}

/// A line of an offer, as the server computed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferItemRow {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Quantity.
    pub quantity: String,
    /// Unit price.
    pub unit_price: String,
    /// Discount in percent.
    pub discount_pct: String,
    /// Line total.
    pub line_total: String,
}

/// An approval decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferApprovalRow {
    /// APPROVED | REJECTED.
    pub decision: String,
    /// Who decided (user id).
    pub decided_by: String,
    /// Decided by the offer's author (an automatic approval at submit).
    pub by_author: bool,
    /// auto | manual | submit.
    pub mode: Option<String>,
    /// The threshold (percent) applied.
    pub threshold: Option<String>,
    /// Comment.
    pub comment: Option<String>,
    /// When (RFC 3339).
    pub created_at: String,
}

/// An offer with everything its page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferView {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// OfferStatus value.
    pub status: String,
    /// Currency.
    pub currency: String,
    /// Sum of gross line amounts.
    pub subtotal: String,
    /// Subtotal minus total.
    pub discount_total: String,
    /// Sum of line totals.
    pub total: String,
    /// Largest line discount.
    pub max_discount_pct: String,
    /// Needs another member's approval (set at submit).
    pub requires_approval: bool,
    /// End of validity (RFC 3339).
    pub valid_until: Option<String>,
    /// Terms.
    pub terms: Option<String>,
    /// Internal notes.
    pub notes: Option<String>,
    /// Key times (label, RFC 3339), in lifecycle order.
    pub timeline: Vec<(String, String)>,
    /// The text sending queues for the customer.
    pub message_preview: String,
    /// Lines.
    pub items: Vec<OfferItemRow>,
    /// Approval decisions, oldest first.
    pub approvals: Vec<OfferApprovalRow>,
    /// Account.
    pub account: Option<Named>,
    /// Recipient.
    pub contact: Option<ContactRef>,
    /// Opportunity.
    pub opportunity: Option<Named>,
    /// Its outbound messages (sending attempts), newest first.
    pub messages: Vec<OutboundRow>,
    /// The builder's state for this offer (for "Edit").
    pub draft: OfferDraft,
}

/// A line as typed into the builder.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemDraft {
    /// Name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Quantity.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub quantity: String,
    /// Unit price.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub unit_price: String,
    /// Discount in percent.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub discount_pct: String,
}

impl ItemDraft {
    /// A new line: one unit, no discount.
    pub fn blank() -> Self {
        Self {
            quantity: "1".to_owned(),
            discount_pct: "0".to_owned(),
            ..Self::default()
        }
    }

    /// Nothing typed that matters (a fresh line left alone).
    pub fn is_blank(&self) -> bool {
        self.name.trim().is_empty() && self.unit_price.trim().is_empty()
    }
}

/// The offer builder's state.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OfferDraft {
    /// Account id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub account_id: String,
    /// Opportunity id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub opportunity_id: String,
    /// Recipient contact id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub contact_id: String,
    /// Title.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Currency.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub currency: String,
    /// End of validity (YYYY-MM-DD).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub valid_until: String,
    /// Terms.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub terms: String,
    /// Internal notes.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Lines.
    pub items: Vec<ItemDraft>,
}

impl OfferDraft {
    /// A new offer: EUR, one empty line, for `account` when given.
    pub fn new_for(account: Option<String>) -> Self {
        Self {
            account_id: account.unwrap_or_default(),
            currency: "EUR".to_owned(),
            items: vec![ItemDraft::blank()],
            ..Self::default()
        }
    }
}

/// What the builder offers for one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountChoices {
    /// Confirmed contacts.
    pub contacts: Vec<ContactRef>,
    /// Opportunities (name with currency).
    pub opportunities: Vec<Named>,
}

// ---------------------------------------------------------------------------------------------
// Campaigns

/// A campaign in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// CampaignStatus value.
    pub status: String,
    /// Its segment's name.
    pub segment: Option<String>,
    /// Contacts the segment matched when last saved.
    pub audience: Option<i64>,
    /// Start (or planned start).
    pub scheduled_at: Option<String>,
    /// Last change.
    pub updated_at: String,
}

/// A page of campaigns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignPage {
    /// Rows.
    pub rows: Vec<CampaignRow>,
    /// Cursor of the next page.
    pub next: Option<String>,
    /// Matching campaigns.
    pub total: i64,
}

/// Members per latest state.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MemberCounts {
    /// Every member.
    pub total: i64,
    /// Not handled yet.
    pub pending: i64,
    /// Queued.
    pub queued: i64,
    /// Sent.
    pub sent: i64,
    /// Delivered.
    pub delivered: i64,
    /// Replied.
    pub replied: i64,
    /// Failed.
    pub failed: i64,
    /// Opted out.
    pub opted_out: i64,
    /// Skipped.
    pub skipped: i64,
}

impl MemberCounts {
    /// (key, label, count) in display order.
    pub fn entries(&self) -> Vec<(&'static str, &'static str, i64)> {
        vec![
            ("total", "Members", self.total),
            ("pending", "Pending", self.pending),
            ("queued", "Queued", self.queued),
            ("sent", "Sent", self.sent),
            ("delivered", "Delivered", self.delivered),
            ("replied", "Replied", self.replied),
            ("failed", "Failed", self.failed),
            ("opted-out", "Opted out", self.opted_out),
            ("skipped", "Skipped", self.skipped),
        ]
    }
}

/// Campaign events in one time bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// Start of the bucket (RFC 3339).
    pub bucket: String,
    /// Seconds since the epoch of the bucket.
    pub at: i64,
    /// Queued.
    pub queued: i64,
    /// Sent.
    pub sent: i64,
    /// Delivered.
    pub delivered: i64,
    /// Replied.
    pub replied: i64,
    /// Failed.
    pub failed: i64,
    /// Opted out.
    pub opted_out: i64,
}

/// A saved segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Definition, as JSON text.
    pub definition: String,
    /// Contacts matched when last saved.
    pub last_count: Option<i64>,
}

/// A campaign with its segment and report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// CampaignStatus value.
    pub status: String,
    /// Message template.
    pub template: String,
    /// Messages per minute.
    pub rate: Option<i64>,
    /// Its segment.
    pub segment: Option<SegmentView>,
    /// The definition frozen at submit (JSON text).
    pub snapshot: Option<String>,
    /// Key times (label, RFC 3339), in lifecycle order.
    pub timeline: Vec<(String, String)>,
    /// Members per state.
    pub counts: MemberCounts,
    /// Events per hour, oldest first.
    pub series: Vec<SeriesPoint>,
    /// The editor's state for this campaign.
    pub draft: CampaignDraft,
}

/// A segment's matches right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentPreviewView {
    /// Matching contacts.
    pub count: i64,
    /// Up to ten of them.
    pub sample: Vec<ContactRef>,
}

/// The campaign editor's state.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CampaignDraft {
    /// Name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Description.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Message template.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub template: String,
    /// Messages per minute (blank: unthrottled).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub rate: String,
    /// The saved segment it edits.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub segment_id: String,
    /// The segment's name.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub segment_name: String,
    /// "builder" (conditions) or "json" (the advanced text).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub mode: String,
    /// The conditions.
    pub segment: SegmentDraft,
    /// The definition as JSON text (advanced mode).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub advanced: String,
}

impl CampaignDraft {
    /// A new campaign: one condition on the contact's city.
    pub fn new_default() -> Self {
        Self {
            mode: "builder".to_owned(),
            segment: SegmentDraft {
                combine: "all".to_owned(),
                conditions: vec![ConditionDraft::new_default()],
            },
            ..Self::default()
        }
    }

    /// Whether the advanced JSON is used instead of the conditions.
    pub fn uses_json(&self) -> bool {
        self.mode == "json"
    }

    /// The segment tree the draft describes (`definition: …` message when it cannot).
    pub fn definition(&self) -> Result<serde_json::Value, String> {
        if self.uses_json() {
            let value: serde_json::Value = serde_json::from_str(self.advanced.trim())
                .map_err(|e| format!("the JSON does not parse: {e}"))?;
            if !value.is_object() {
                return Err("the JSON must be an object".to_owned());
            }
            Ok(value)
        } else {
            self.segment.to_definition()
        }
    }

    /// The editor's state for a saved definition: conditions when the builder can show it,
    /// else the JSON.
    pub fn with_definition(mut self, definition: &serde_json::Value) -> Self {
        self.advanced = serde_json::to_string_pretty(definition).unwrap_or_default();
        match SegmentDraft::from_definition(definition) {
            Some(segment) => {
                self.mode = "builder".to_owned();
                self.segment = segment;
            }
            None => {
                self.mode = "json".to_owned();
                self.segment = SegmentDraft {
                    combine: "all".to_owned(),
                    conditions: Vec::new(),
                };
            }
        }
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Outbound

/// One send attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRow {
    /// 1, 2, …
    pub attempt_no: i64,
    /// RUNNING | SENT | FAILED | BLOCKED.
    pub status: String,
    /// Whether a failure is tried again.
    pub retryable: Option<bool>,
    /// What Chatwoot answered.
    pub http_status: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// Started (RFC 3339).
    pub started_at: String,
}

/// An outbound message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundRow {
    /// Id.
    pub id: String,
    /// Channel.
    pub channel: String,
    /// Recipient.
    pub contact: ContactRef,
    /// The conversation it goes (went) into.
    pub conversation_id: Option<String>,
    /// That conversation's Chatwoot display id.
    pub conversation_display_id: Option<i64>,
    /// MANUAL | CAMPAIGN | OFFER | NBA.
    pub origin_kind: String,
    /// Where the origin is seen.
    pub origin_href: Option<String>,
    /// Text.
    pub content: String,
    /// OutboundStatus value.
    pub status: String,
    /// Why it was blocked or rejected.
    pub blocked_reason: Option<String>,
    /// Tries so far.
    pub attempt_count: i64,
    /// Tries before it fails for good.
    pub max_attempts: i64,
    /// Not tried again before (RFC 3339).
    pub next_attempt_at: Option<String>,
    /// Error of the last failed try.
    pub last_error: Option<String>,
    /// Sent (RFC 3339).
    pub sent_at: Option<String>,
    /// A sender holds it.
    pub sending: bool,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Attempts, oldest first.
    pub attempts: Vec<AttemptRow>,
}

/// A page of outbound messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundPage {
    /// Newest first.
    pub rows: Vec<OutboundRow>,
    /// Cursor of the next page.
    pub next: Option<String>,
    /// Matching messages.
    pub total: i64,
}

/// A contact's policy on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRow {
    /// `all` or a channel.
    pub channel: String,
    /// Opted out.
    pub opted_out: bool,
    /// Why.
    pub opt_out_reason: Option<String>,
    /// When it opted out (RFC 3339).
    pub opted_out_at: Option<String>,
    /// When a person opted it in again (RFC 3339).
    pub opted_in_at: Option<String>,
    /// Who last changed it.
    pub changed_by: Option<String>,
    /// Own cap.
    pub frequency_cap: Option<i64>,
    /// Own window in seconds.
    pub frequency_window_seconds: Option<i64>,
}

/// A contact's channel policies with the project defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoliciesView {
    /// By channel.
    pub policies: Vec<PolicyRow>,
    /// The project's default cap.
    pub default_cap: i64,
    /// The project's default window in seconds.
    pub default_window_seconds: i64,
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

#[cfg(feature = "ssr")]
mod ops {
    use graphql_client::GraphQLQuery;

    /// DateTime arrives as RFC 3339.
    pub type DateTime = String;
    /// Free-form JSON.
    #[allow(clippy::upper_case_acronyms)]
    pub type JSON = serde_json::Value;

    macro_rules! op {
        ($name:ident) => {
            /// An operation of app/graphql/sales.graphql.
            #[derive(GraphQLQuery)]
            #[graphql(
                schema_path = "../server/schema.graphql",
                query_path = "graphql/sales.graphql",
                response_derives = "Debug"
            )]
            pub struct $name;
        };
    }
    op!(SalesOffersQuery);
    op!(SalesOfferQuery);
    op!(SalesOfferApprovalInboxQuery);
    op!(SalesOfferAccountsQuery);
    op!(SalesOfferAccountQuery);
    op!(SalesCreateOfferMutation);
    op!(SalesUpdateOfferMutation);
    op!(SalesSubmitOfferMutation);
    op!(SalesApproveOfferMutation);
    op!(SalesRejectOfferMutation);
    op!(SalesSendOfferMutation);
    op!(SalesRecordOfferAnswerMutation);
    op!(SalesPreviewSegmentQuery);
    op!(SalesSaveCampaignSegmentMutation);
    op!(SalesCampaignsQuery);
    op!(SalesCampaignQuery);
    op!(SalesCreateCampaignMutation);
    op!(SalesUpdateCampaignMutation);
    op!(SalesSubmitCampaignMutation);
    op!(SalesApproveCampaignMutation);
    op!(SalesRejectCampaignMutation);
    op!(SalesStartCampaignMutation);
    op!(SalesPauseCampaignMutation);
    op!(SalesResumeCampaignMutation);
    op!(SalesCancelCampaignMutation);
    op!(SalesOutboundMessagesQuery);
    op!(SalesCreateOutboundMessageMutation);
    op!(SalesSubmitOutboundMessageMutation);
    op!(SalesApproveOutboundMessageMutation);
    op!(SalesRejectOutboundMessageMutation);
    op!(SalesCancelOutboundMessageMutation);
    op!(SalesContactChannelPoliciesQuery);
    op!(SalesOptOutContactMutation);
    op!(SalesOptInContactMutation);
    op!(SalesSetContactFrequencyCapMutation);
}

#[cfg(feature = "ssr")]
mod convert {
    //! From form text and generated types to the API's and the UI's.
    use serde::{Serialize, de::DeserializeOwned};

    use crate::api::ApiError;

    /// An API enum value as its name (`PENDING_APPROVAL`).
    pub fn name<E: Serialize>(value: &E) -> String {
        serde_json::to_value(value)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

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

    /// The page of an outbound message's origin.
    pub fn origin_href(kind: &str, id: Option<&str>) -> Option<String> {
        let id = id?;
        match kind {
            "OFFER" => Some(format!("/offers/{id}")),
            "CAMPAIGN" => Some(format!("/campaigns/{id}")),
            _ => None,
        }
    }
}

/// Sends the browser to `url` (with JavaScript, the router follows it in place).
#[cfg(feature = "ssr")]
fn go(url: &str) {
    leptos_axum::redirect(url);
}

// --- offers ----------------------------------------------------------------------------------

/// A page of the working project's offers; `status` an OfferStatus name, blank for any.
#[server(endpoint = "sales/offers")]
pub async fn list_offers(
    status: Option<String>,
    after: Option<String>,
) -> Result<OfferPage, ServerFnError> {
    use convert::*;
    use ops::*;

    let status = nonblank(status)
        .map(|s| parse("status", &s, OFFER_STATUSES))
        .transpose()?;
    let page = super::executor::run::<SalesOffersQuery>(sales_offers_query::Variables {
        status,
        first: Some(25),
        after: nonblank(after),
    })
    .await?
    .offers;
    Ok(OfferPage {
        next: next(page.page_info.has_next_page, page.page_info.end_cursor),
        total: page.total_count,
        rows: page
            .edges
            .into_iter()
            .map(|e| {
                let o = e.node;
                OfferRow {
                    id: o.id,
                    title: o.title,
                    status: name(&o.status),
                    currency: o.currency,
                    total: o.total,
                    max_discount_pct: o.max_discount_pct,
                    requires_approval: o.requires_approval,
                    valid_until: o.valid_until,
                    updated_at: o.updated_at,
                    account: o.account.map(|a| Named {
                        id: a.id,
                        name: a.name,
                    }),
                    contact: o.contact.map(|c| ContactRef::new(c.id, c.name, c.email)),
                }
            })
            .collect(),
    })
}

/// Offers waiting for the caller's approval.
#[server(endpoint = "sales/offer-inbox")]
pub async fn offer_approval_inbox() -> Result<Vec<OfferRow>, ServerFnError> {
    use convert::*;
    use ops::*;

    let rows = super::executor::run::<SalesOfferApprovalInboxQuery>(
        sales_offer_approval_inbox_query::Variables {},
    )
    .await?
    .offer_approval_inbox;
    Ok(rows
        .into_iter()
        .map(|o| OfferRow {
            id: o.id,
            title: o.title,
            status: name(&o.status),
            currency: o.currency,
            total: o.total,
            max_discount_pct: o.max_discount_pct,
            requires_approval: o.requires_approval,
            valid_until: o.valid_until,
            updated_at: o.submitted_at.unwrap_or(o.updated_at),
            account: o.account.map(|a| Named {
                id: a.id,
                name: a.name,
            }),
            contact: o.contact.map(|c| ContactRef::new(c.id, c.name, c.email)),
        })
        .collect())
}

/// One offer with its lines, approvals, message preview and sending attempts.
#[server(endpoint = "sales/offer")]
pub async fn load_offer(id: String) -> Result<OfferView, ServerFnError> {
    use convert::*;
    use ops::*;

    let o = super::executor::run::<SalesOfferQuery>(sales_offer_query::Variables { id })
        .await?
        .offer;
    let messages = list_outbound_of("OFFER", &o.id).await?;
    let author = o.created_by.clone();
    let draft = OfferDraft {
        account_id: o.account_id.clone().unwrap_or_default(),
        opportunity_id: o.opportunity_id.clone().unwrap_or_default(),
        contact_id: o.contact_id.clone().unwrap_or_default(),
        title: o.title.clone(),
        currency: o.currency.clone(),
        valid_until: o
            .valid_until
            .as_deref()
            .and_then(|v| v.get(..10))
            .unwrap_or_default()
            .to_owned(),
        terms: o.terms.clone().unwrap_or_default(),
        notes: o.notes.clone().unwrap_or_default(),
        items: o
            .items
            .iter()
            .map(|i| ItemDraft {
                name: i.name.clone(),
                quantity: i.quantity.clone(),
                unit_price: i.unit_price.clone(),
                discount_pct: i.discount_pct.clone(),
            })
            .collect(),
    };
    Ok(OfferView {
        timeline: timeline(&[
            ("Created", &Some(o.created_at.clone())),
            ("Submitted", &o.submitted_at),
            ("Approved", &o.approved_at),
            ("Rejected", &o.rejected_at),
            ("Sent", &o.sent_at),
            ("Closed", &o.closed_at),
        ]),
        id: o.id,
        title: o.title,
        status: name(&o.status),
        currency: o.currency,
        subtotal: o.subtotal,
        discount_total: o.discount_total,
        total: o.total,
        max_discount_pct: o.max_discount_pct,
        requires_approval: o.requires_approval,
        valid_until: o.valid_until,
        terms: o.terms,
        notes: o.notes,
        message_preview: o.message_preview,
        items: o
            .items
            .into_iter()
            .map(|i| OfferItemRow {
                name: i.name,
                description: i.description,
                quantity: i.quantity,
                unit_price: i.unit_price,
                discount_pct: i.discount_pct,
                line_total: i.line_total,
            })
            .collect(),
        approvals: o
            .approvals
            .into_iter()
            .map(|a| {
                let policy_text = |key: &str| {
                    a.policy.get(key).map(|v| match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                };
                OfferApprovalRow {
                    decision: name(&a.decision),
                    by_author: author.as_deref() == Some(a.decided_by.as_str()),
                    mode: policy_text("mode"),
                    threshold: policy_text("threshold"),
                    decided_by: a.decided_by,
                    comment: a.comment,
                    created_at: a.created_at,
                }
            })
            .collect(),
        account: o.account.map(|a| Named {
            id: a.id,
            name: a.name,
        }),
        contact: o.contact.map(|c| ContactRef::new(c.id, c.name, c.email)),
        opportunity: o.opportunity.map(|p| Named {
            id: p.id,
            name: p.name,
        }),
        messages,
        draft,
    })
}

/// The working project's active accounts, by name.
#[server(endpoint = "sales/offer-accounts")]
pub async fn offer_accounts() -> Result<Vec<Named>, ServerFnError> {
    use ops::*;

    let page =
        super::executor::run::<SalesOfferAccountsQuery>(sales_offer_accounts_query::Variables {})
            .await?
            .crm_accounts;
    Ok(page
        .edges
        .into_iter()
        .map(|e| Named {
            id: e.node.id,
            name: e.node.name,
        })
        .collect())
}

/// An account's confirmed contacts and its opportunities, for the builder's selects.
#[server(endpoint = "sales/offer-account")]
pub async fn offer_account_choices(account_id: String) -> Result<AccountChoices, ServerFnError> {
    use ops::*;

    let a = super::executor::run::<SalesOfferAccountQuery>(sales_offer_account_query::Variables {
        id: account_id,
    })
    .await?
    .crm_account;
    Ok(AccountChoices {
        contacts: a
            .contacts
            .into_iter()
            .map(|c| {
                let (name, email) = c.contact.map(|k| (k.name, k.email)).unwrap_or_default();
                ContactRef::new(c.contact_id, name, email)
            })
            .collect(),
        opportunities: a
            .opportunities
            .edges
            .into_iter()
            .map(|e| Named {
                id: e.node.id,
                name: format!("{} ({})", e.node.name, e.node.currency),
            })
            .collect(),
    })
}

/// The offer builder's form. `intent`: `add` (a line), `remove-<n>` (line n), `account` (the
/// account changed: pick its contact and opportunity again) redirect to the builder with the
/// changed draft; `save` (the default) creates or updates the offer and opens it, or returns
/// to the builder with the draft and the API's error.
#[server(endpoint = "sales/offer-form")]
pub async fn save_offer_form(
    offer_id: Option<String>,
    account_id: Option<String>,
    opportunity_id: Option<String>,
    contact_id: Option<String>,
    title: Option<String>,
    currency: Option<String>,
    valid_until: Option<String>,
    terms: Option<String>,
    notes: Option<String>,
    items: Option<Vec<ItemDraft>>,
    intent: Option<String>,
    csrf: String,
) -> Result<(), ServerFnError> {
    use convert::*;

    let offer_id = nonblank(offer_id);
    let mut draft = OfferDraft {
        account_id: text(account_id),
        opportunity_id: text(opportunity_id),
        contact_id: text(contact_id),
        title: title.unwrap_or_default(),
        currency: text(currency).to_uppercase(),
        valid_until: text(valid_until),
        terms: terms.unwrap_or_default(),
        notes: notes.unwrap_or_default(),
        items: items.unwrap_or_default(),
    };
    let base = match &offer_id {
        Some(id) => format!("/offers/{id}/edit"),
        None => "/offers/new".to_owned(),
    };
    let intent = intent.unwrap_or_default();
    if intent == "add" {
        draft.items.push(ItemDraft::blank());
        go(&draft_url(&base, &draft, &[("focus", "last-line")]));
        return Ok(());
    }
    if let Some(n) = intent.strip_prefix("remove-") {
        if let Ok(n) = n.parse::<usize>()
            && n < draft.items.len()
        {
            draft.items.remove(n);
        }
        go(&draft_url(&base, &draft, &[]));
        return Ok(());
    }
    if intent == "account" {
        draft.opportunity_id.clear();
        draft.contact_id.clear();
        go(&draft_url(&base, &draft, &[]));
        return Ok(());
    }
    draft.items.retain(|i| !i.is_blank());
    match save_offer(offer_id.as_deref(), &draft, &csrf).await {
        Ok(id) => go(&format!("/offers/{id}")),
        Err(e) => go(&draft_url(&base, &draft, &[("error", &e.to_string())])),
    }
    Ok(())
}

/// Creates (no `id`) or updates an offer from the builder's draft; returns its id.
#[cfg(feature = "ssr")]
async fn save_offer(
    id: Option<&str>,
    draft: &OfferDraft,
    csrf: &str,
) -> Result<String, super::ApiError> {
    use convert::*;
    use ops::*;

    let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let valid_until = some(&draft.valid_until)
        .map(|d| end_of_day("validUntil", &d))
        .transpose()?;
    macro_rules! items {
        ($module:ident) => {
            draft
                .items
                .iter()
                .map(|i| $module::OfferItemInput {
                    name: i.name.trim().to_owned(),
                    description: None,
                    sku: None,
                    quantity: i.quantity.trim().to_owned(),
                    unit_price: i.unit_price.trim().to_owned(),
                    discount_pct: some(&i.discount_pct),
                })
                .collect::<Vec<_>>()
        };
    }
    match id {
        None => {
            let input = sales_create_offer_mutation::CreateOfferInput {
                title: draft.title.trim().to_owned(),
                account_id: some(&draft.account_id),
                opportunity_id: some(&draft.opportunity_id),
                contact_id: some(&draft.contact_id),
                currency: some(&draft.currency),
                valid_until,
                terms: some(&draft.terms),
                notes: some(&draft.notes),
                items: items!(sales_create_offer_mutation),
            };
            Ok(super::executor::run_mutation::<SalesCreateOfferMutation>(
                sales_create_offer_mutation::Variables { input },
                csrf,
            )
            .await?
            .create_offer
            .id)
        }
        Some(id) => {
            let input = sales_update_offer_mutation::UpdateOfferInput {
                title: Some(draft.title.trim().to_owned()),
                account_id: some(&draft.account_id),
                opportunity_id: some(&draft.opportunity_id),
                contact_id: some(&draft.contact_id),
                currency: some(&draft.currency),
                valid_until,
                terms: some(&draft.terms),
                notes: some(&draft.notes),
                items: Some(items!(sales_update_offer_mutation)),
            };
            Ok(super::executor::run_mutation::<SalesUpdateOfferMutation>(
                sales_update_offer_mutation::Variables {
                    id: id.to_owned(),
                    input,
                },
                csrf,
            )
            .await?
            .update_offer
            .id)
        }
    }
}

/// Moves an offer on: `action` submit | approve | reject (with a comment) | send | accepted |
/// declined (the customer's answer). Returns its new status.
#[server(endpoint = "sales/offer-action")]
pub async fn offer_action(
    id: String,
    action: String,
    comment: Option<String>,
    csrf: String,
) -> Result<String, ServerFnError> {
    use super::executor::run_mutation;
    use convert::*;
    use ops::*;

    let comment = nonblank(comment);
    let status = match action.as_str() {
        "submit" => name(
            &run_mutation::<SalesSubmitOfferMutation>(
                sales_submit_offer_mutation::Variables { id },
                &csrf,
            )
            .await?
            .submit_offer
            .status,
        ),
        "approve" => name(
            &run_mutation::<SalesApproveOfferMutation>(
                sales_approve_offer_mutation::Variables { id, comment },
                &csrf,
            )
            .await?
            .approve_offer
            .status,
        ),
        "reject" => {
            let Some(comment) = comment else {
                return Err(crate::api::executor::invalid_input(
                    "Invalid input: comment: say why it is rejected".to_owned(),
                )
                .into());
            };
            name(
                &run_mutation::<SalesRejectOfferMutation>(
                    sales_reject_offer_mutation::Variables { id, comment },
                    &csrf,
                )
                .await?
                .reject_offer
                .status,
            )
        }
        "send" => name(
            &run_mutation::<SalesSendOfferMutation>(
                sales_send_offer_mutation::Variables { id },
                &csrf,
            )
            .await?
            .send_offer
            .status,
        ),
        "accepted" | "declined" => name(
            &run_mutation::<SalesRecordOfferAnswerMutation>(
                sales_record_offer_answer_mutation::Variables {
                    id,
                    accepted: action == "accepted",
                    comment,
                },
                &csrf,
            )
            .await?
            .record_offer_answer
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

// --- campaigns -------------------------------------------------------------------------------

/// A page of the working project's campaigns; `status` a CampaignStatus name, blank for any.
#[server(endpoint = "sales/campaigns")]
pub async fn list_campaigns(
    status: Option<String>,
    after: Option<String>,
) -> Result<CampaignPage, ServerFnError> {
    use convert::*;
    use ops::*;

    let status = nonblank(status)
        .map(|s| parse("status", &s, CAMPAIGN_STATUSES))
        .transpose()?;
    let page = super::executor::run::<SalesCampaignsQuery>(sales_campaigns_query::Variables {
        status,
        first: Some(25),
        after: nonblank(after),
    })
    .await?
    .campaigns;
    Ok(CampaignPage {
        next: next(page.page_info.has_next_page, page.page_info.end_cursor),
        total: page.total_count,
        rows: page
            .edges
            .into_iter()
            .map(|e| {
                let c = e.node;
                CampaignRow {
                    id: c.id,
                    name: c.name,
                    status: name(&c.status),
                    audience: c.segment.as_ref().and_then(|s| s.last_count),
                    segment: c.segment.map(|s| s.name),
                    scheduled_at: c.started_at.or(c.scheduled_at),
                    updated_at: c.updated_at,
                }
            })
            .collect(),
    })
}

/// One campaign with its segment and its report (hour buckets).
#[server(endpoint = "sales/campaign")]
pub async fn load_campaign(id: String) -> Result<CampaignView, ServerFnError> {
    use convert::*;
    use ops::*;

    let c = super::executor::run::<SalesCampaignQuery>(sales_campaign_query::Variables {
        id,
        bucket: Some(sales_campaign_query::CampaignReportBucket::HOUR),
    })
    .await?
    .campaign;
    let counts = &c.report.counts;
    let mut draft = CampaignDraft {
        name: c.name.clone(),
        description: c.description.clone().unwrap_or_default(),
        template: c.message_template.clone(),
        rate: c
            .send_rate_per_minute
            .map(|r| r.to_string())
            .unwrap_or_default(),
        ..CampaignDraft::new_default()
    };
    if let Some(s) = &c.segment {
        draft.segment_id = s.id.clone();
        draft.segment_name = s.name.clone();
        draft = draft.with_definition(&s.definition);
    }
    let mut series: Vec<SeriesPoint> = c
        .report
        .series
        .iter()
        .map(|p| SeriesPoint {
            at: epoch(&p.bucket),
            bucket: p.bucket.clone(),
            queued: p.queued,
            sent: p.sent,
            delivered: p.delivered,
            replied: p.replied,
            failed: p.failed,
            opted_out: p.opted_out,
        })
        .collect();
    series.sort_by_key(|p| p.at);
    Ok(CampaignView {
        timeline: timeline(&[
            ("Created", &Some(c.created_at.clone())),
            ("Approved", &c.approved_at),
            ("Scheduled for", &c.scheduled_at),
            ("Started", &c.started_at),
            ("Paused", &c.paused_at),
            ("Finished", &c.finished_at),
            ("Cancelled", &c.cancelled_at),
        ]),
        counts: MemberCounts {
            total: counts.total,
            pending: counts.pending,
            queued: counts.queued,
            sent: counts.sent,
            delivered: counts.delivered,
            replied: counts.replied,
            failed: counts.failed,
            opted_out: counts.opted_out,
            skipped: counts.skipped,
        },
        series,
        id: c.id,
        name: c.name,
        description: c.description,
        status: name(&c.status),
        template: c.message_template,
        rate: c.send_rate_per_minute,
        segment: c.segment.map(|s| SegmentView {
            id: s.id,
            name: s.name,
            definition: s.definition.to_string(),
            last_count: s.last_count,
        }),
        snapshot: c.segment_snapshot.map(|s| s.to_string()),
        draft,
    })
}

/// The contacts a segment (JSON text) matches right now: the count and up to ten of them.
#[server(endpoint = "sales/preview-segment")]
pub async fn preview_segment(definition: String) -> Result<SegmentPreviewView, ServerFnError> {
    use ops::*;

    let definition: serde_json::Value = serde_json::from_str(&definition).map_err(|_| {
        crate::api::executor::invalid_input(
            "Invalid input: definition: is not valid JSON".to_owned(),
        )
    })?;
    let p =
        super::executor::run::<SalesPreviewSegmentQuery>(sales_preview_segment_query::Variables {
            definition,
        })
        .await?
        .preview_segment;
    Ok(SegmentPreviewView {
        count: p.count,
        sample: p
            .sample
            .into_iter()
            .map(|c| ContactRef::new(c.id, c.name, c.email))
            .collect(),
    })
}

/// The campaign editor's form. `intent`: `add` (a condition), `remove-<n>`, `preview` (show
/// the segment's matches) redirect to the editor with the changed draft; `save` (the default)
/// saves the segment, then creates or updates the campaign and opens it, or returns to the
/// editor with the draft and the error (`segment_error` for the segment's).
#[server(endpoint = "sales/campaign-form")]
pub async fn save_campaign_form(
    campaign_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    template: Option<String>,
    rate: Option<String>,
    segment_id: Option<String>,
    segment_name: Option<String>,
    mode: Option<String>,
    combine: Option<String>,
    conditions: Option<Vec<ConditionDraft>>,
    advanced: Option<String>,
    intent: Option<String>,
    csrf: String,
) -> Result<(), ServerFnError> {
    use convert::{nonblank, text};

    let campaign_id = nonblank(campaign_id);
    let mut draft = CampaignDraft {
        name: name.unwrap_or_default(),
        description: description.unwrap_or_default(),
        template: template.unwrap_or_default(),
        rate: text(rate),
        segment_id: text(segment_id),
        segment_name: text(segment_name),
        mode: text(mode),
        segment: SegmentDraft {
            combine: nonblank(combine).unwrap_or_else(|| "all".to_owned()),
            conditions: conditions
                .unwrap_or_default()
                .into_iter()
                .map(ConditionDraft::normalized)
                .collect(),
        },
        advanced: advanced.unwrap_or_default(),
    };
    let base = match &campaign_id {
        Some(id) => format!("/campaigns/{id}"),
        None => "/campaigns/new".to_owned(),
    };
    let intent = intent.unwrap_or_default();
    if intent == "add" {
        draft.segment.conditions.push(ConditionDraft::new_default());
        go(&draft_url(&base, &draft, &[]));
        return Ok(());
    }
    if let Some(n) = intent.strip_prefix("remove-") {
        if let Ok(n) = n.parse::<usize>()
            && n < draft.segment.conditions.len()
        {
            draft.segment.conditions.remove(n);
        }
        go(&draft_url(&base, &draft, &[]));
        return Ok(());
    }
    if intent == "json" {
        // Switch to editing the JSON, starting from what the conditions say.
        if let Ok(tree) = draft.segment.to_definition()
            && let Ok(text) = serde_json::to_string_pretty(&tree)
        {
            draft.advanced = text;
        }
        draft.mode = "json".to_owned();
        go(&draft_url(&base, &draft, &[]));
        return Ok(());
    }
    if intent == "builder" {
        match serde_json::from_str::<serde_json::Value>(draft.advanced.trim())
            .ok()
            .and_then(|v| SegmentDraft::from_definition(&v))
        {
            Some(segment) => {
                draft.segment = segment;
                draft.mode = "builder".to_owned();
                go(&draft_url(&base, &draft, &[]));
            }
            None => go(&draft_url(
                &base,
                &draft,
                &[(
                    "segment_error",
                    "This JSON cannot be shown as a list of conditions; edit it as JSON.",
                )],
            )),
        }
        return Ok(());
    }
    if intent == "preview" {
        go(&draft_url(&base, &draft, &[("preview", "1")]));
        return Ok(());
    }
    match save_campaign(campaign_id.as_deref(), &mut draft, &csrf).await {
        Ok(id) => go(&format!("/campaigns/{id}")),
        Err((key, e)) => go(&draft_url(&base, &draft, &[(key, &e.to_string())])),
    }
    Ok(())
}

/// Saves the draft's segment, then the campaign; returns the campaign's id, or which part
/// failed (`segment_error` | `error`) with why. A new segment's id is kept in the draft.
#[cfg(feature = "ssr")]
async fn save_campaign(
    id: Option<&str>,
    draft: &mut CampaignDraft,
    csrf: &str,
) -> Result<String, (&'static str, super::ApiError)> {
    use super::{ApiError, executor::run_mutation};
    use convert::*;
    use ops::*;

    let campaign = |e: ApiError| ("error", e);
    let name = draft.name.trim().to_owned();
    if name.is_empty() {
        return Err(campaign(crate::api::executor::invalid_input(
            "Invalid input: name: enter a name".to_owned(),
        )));
    }
    let rate = int("sendRatePerMinute", Some(draft.rate.clone())).map_err(campaign)?;
    let definition = draft
        .definition()
        .map_err(|m| ("segment_error", ApiError::Api(m)))?;
    let segment_name = match draft.segment_name.trim() {
        "" => format!("{name} audience"),
        given => given.to_owned(),
    };
    let segment = run_mutation::<SalesSaveCampaignSegmentMutation>(
        sales_save_campaign_segment_mutation::Variables {
            input: sales_save_campaign_segment_mutation::SaveCampaignSegmentInput {
                id: Some(draft.segment_id.clone()).filter(|s| !s.is_empty()),
                name: segment_name.clone(),
                description: None,
                definition,
            },
        },
        csrf,
    )
    .await
    .map_err(|e| ("segment_error", e))?
    .save_campaign_segment;
    draft.segment_id = segment.id.clone();
    draft.segment_name = segment_name;
    let description = Some(draft.description.trim().to_owned()).filter(|d| !d.is_empty());
    match id {
        None => Ok(run_mutation::<SalesCreateCampaignMutation>(
            sales_create_campaign_mutation::Variables {
                input: sales_create_campaign_mutation::CreateCampaignInput {
                    name,
                    description,
                    channel: None,
                    segment_id: Some(segment.id),
                    message_template: draft.template.clone(),
                    send_rate_per_minute: rate,
                },
            },
            csrf,
        )
        .await
        .map_err(campaign)?
        .create_campaign
        .id),
        Some(id) => Ok(run_mutation::<SalesUpdateCampaignMutation>(
            sales_update_campaign_mutation::Variables {
                id: id.to_owned(),
                input: sales_update_campaign_mutation::UpdateCampaignInput {
                    name: Some(name),
                    description,
                    segment_id: Some(segment.id),
                    message_template: Some(draft.template.clone()),
                    send_rate_per_minute: rate,
                },
            },
            csrf,
        )
        .await
        .map_err(campaign)?
        .update_campaign
        .id),
    }
}

/// Moves a campaign on: `action` submit | approve (optionally at `scheduled_at`, a
/// `datetime-local` value in UTC) | reject (with a comment) | start | pause | resume |
/// cancel. Returns its new status.
#[server(endpoint = "sales/campaign-action")]
pub async fn campaign_action(
    id: String,
    action: String,
    comment: Option<String>,
    scheduled_at: Option<String>,
    csrf: String,
) -> Result<String, ServerFnError> {
    use super::executor::run_mutation;
    use convert::*;
    use ops::*;

    macro_rules! simple {
        ($op:ident, $module:ident, $field:ident) => {
            name(
                &run_mutation::<$op>($module::Variables { id }, &csrf)
                    .await?
                    .$field
                    .status,
            )
        };
    }
    let status = match action.as_str() {
        "submit" => simple!(
            SalesSubmitCampaignMutation,
            sales_submit_campaign_mutation,
            submit_campaign
        ),
        "approve" => {
            let scheduled_at = nonblank(scheduled_at)
                .map(|t| utc_time("scheduledAt", &t))
                .transpose()?;
            name(
                &run_mutation::<SalesApproveCampaignMutation>(
                    sales_approve_campaign_mutation::Variables { id, scheduled_at },
                    &csrf,
                )
                .await?
                .approve_campaign
                .status,
            )
        }
        "reject" => {
            let Some(comment) = nonblank(comment) else {
                return Err(crate::api::executor::invalid_input(
                    "Invalid input: comment: say why it is rejected".to_owned(),
                )
                .into());
            };
            name(
                &run_mutation::<SalesRejectCampaignMutation>(
                    sales_reject_campaign_mutation::Variables { id, comment },
                    &csrf,
                )
                .await?
                .reject_campaign
                .status,
            )
        }
        "start" => simple!(
            SalesStartCampaignMutation,
            sales_start_campaign_mutation,
            start_campaign
        ),
        "pause" => simple!(
            SalesPauseCampaignMutation,
            sales_pause_campaign_mutation,
            pause_campaign
        ),
        "resume" => simple!(
            SalesResumeCampaignMutation,
            sales_resume_campaign_mutation,
            resume_campaign
        ),
        "cancel" => simple!(
            SalesCancelCampaignMutation,
            sales_cancel_campaign_mutation,
            cancel_campaign
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

// --- outbound --------------------------------------------------------------------------------

/// The outbound messages of one origin (e.g. an offer's sending attempts), newest first.
#[cfg(feature = "ssr")]
async fn list_outbound_of(
    kind: &str,
    origin_id: &str,
) -> Result<Vec<OutboundRow>, super::ApiError> {
    use ops::*;

    let origin_kind: sales_outbound_messages_query::OutboundOrigin =
        serde_json::from_value(serde_json::Value::String(kind.to_owned()))
            .map_err(|_| super::ApiError::Internal)?;
    let page = fetch_outbound(
        sales_outbound_messages_query::OutboundMessageFilter {
            status: None,
            origin_kind: Some(origin_kind),
            origin_id: Some(origin_id.to_owned()),
            contact_id: None,
        },
        None,
        20,
    )
    .await?;
    Ok(page.rows)
}

#[cfg(feature = "ssr")]
async fn fetch_outbound(
    filter: ops::sales_outbound_messages_query::OutboundMessageFilter,
    after: Option<String>,
    first: i64,
) -> Result<OutboundPage, super::ApiError> {
    use convert::*;
    use ops::*;

    let page = super::executor::run::<SalesOutboundMessagesQuery>(
        sales_outbound_messages_query::Variables {
            filter: Some(filter),
            first: Some(first),
            after,
        },
    )
    .await?
    .outbound_messages;
    Ok(OutboundPage {
        next: next(page.page_info.has_next_page, page.page_info.end_cursor),
        total: page.total_count,
        rows: page
            .edges
            .into_iter()
            .map(|e| {
                let m = e.node;
                let origin_kind = name(&m.origin_kind);
                let (contact_name, contact_email) =
                    m.contact.map(|c| (c.name, c.email)).unwrap_or_default();
                OutboundRow {
                    origin_href: origin_href(&origin_kind, m.origin_id.as_deref()),
                    origin_kind,
                    conversation_display_id: m
                        .conversation_id
                        .as_deref()
                        .and_then(conversation_display_id),
                    conversation_id: m.conversation_id,
                    contact: ContactRef::new(m.contact_id, contact_name, contact_email),
                    id: m.id,
                    channel: m.channel,
                    content: m.content,
                    status: name(&m.status),
                    blocked_reason: m.blocked_reason,
                    attempt_count: m.attempt_count,
                    max_attempts: m.max_attempts,
                    next_attempt_at: m.next_attempt_at,
                    last_error: m.last_error,
                    sent_at: m.sent_at,
                    sending: m.sending,
                    created_at: m.created_at,
                    attempts: m
                        .attempts
                        .into_iter()
                        .map(|a| AttemptRow {
                            attempt_no: a.attempt_no,
                            status: name(&a.status),
                            retryable: a.retryable,
                            http_status: a.http_status,
                            error: a.error,
                            started_at: a.started_at,
                        })
                        .collect(),
                }
            })
            .collect(),
    })
}

/// A page of the outbound queue; `status` an OutboundStatus name, blank for any.
#[server(endpoint = "sales/outbound")]
pub async fn list_outbound(
    status: Option<String>,
    after: Option<String>,
) -> Result<OutboundPage, ServerFnError> {
    use convert::*;
    use ops::*;

    let status = nonblank(status)
        .map(|s| parse("status", &s, OUTBOUND_STATUSES))
        .transpose()?;
    Ok(fetch_outbound(
        sales_outbound_messages_query::OutboundMessageFilter {
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
#[server(endpoint = "sales/outbound-action")]
pub async fn outbound_action(
    id: String,
    action: String,
    reason: Option<String>,
    csrf: String,
) -> Result<String, ServerFnError> {
    use super::executor::run_mutation;
    use convert::*;
    use ops::*;

    let status = match action.as_str() {
        "submit" => name(
            &run_mutation::<SalesSubmitOutboundMessageMutation>(
                sales_submit_outbound_message_mutation::Variables { id },
                &csrf,
            )
            .await?
            .submit_outbound_message
            .status,
        ),
        "approve" => name(
            &run_mutation::<SalesApproveOutboundMessageMutation>(
                sales_approve_outbound_message_mutation::Variables { id },
                &csrf,
            )
            .await?
            .approve_outbound_message
            .status,
        ),
        "reject" => name(
            &run_mutation::<SalesRejectOutboundMessageMutation>(
                sales_reject_outbound_message_mutation::Variables {
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
            &run_mutation::<SalesCancelOutboundMessageMutation>(
                sales_cancel_outbound_message_mutation::Variables { id },
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
#[server(endpoint = "sales/write-message")]
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
    let id = run_mutation::<SalesCreateOutboundMessageMutation>(
        sales_create_outbound_message_mutation::Variables {
            input: sales_create_outbound_message_mutation::CreateOutboundMessageInput {
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
    run_mutation::<SalesSubmitOutboundMessageMutation>(
        sales_submit_outbound_message_mutation::Variables { id: id.clone() },
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
#[server(endpoint = "sales/channel-policies")]
pub async fn channel_policies(contact_id: String) -> Result<PoliciesView, ServerFnError> {
    use ops::*;

    let p = super::executor::run::<SalesContactChannelPoliciesQuery>(
        sales_contact_channel_policies_query::Variables { contact_id },
    )
    .await?
    .contact_channel_policies;
    Ok(PoliciesView {
        default_cap: p.default_frequency_cap,
        default_window_seconds: p.default_frequency_window_seconds,
        policies: p
            .policies
            .into_iter()
            .map(|r| PolicyRow {
                channel: r.channel,
                opted_out: r.opted_out,
                opt_out_reason: r.opt_out_reason,
                opted_out_at: r.opted_out_at,
                opted_in_at: r.opted_in_at,
                changed_by: r.changed_by,
                frequency_cap: r.frequency_cap,
                frequency_window_seconds: r.frequency_window_seconds,
            })
            .collect(),
    })
}

/// Changes a contact's policy on `channel`: `action` opt_out (optional reason) | opt_in |
/// cap (`cap` messages per `window_days` days; a blank cap returns to the project default).
#[server(endpoint = "sales/channel-policy")]
pub async fn set_channel_policy(
    contact_id: String,
    channel: String,
    action: String,
    reason: Option<String>,
    cap: Option<String>,
    window_days: Option<String>,
    csrf: String,
) -> Result<(), ServerFnError> {
    use super::executor::run_mutation;
    use convert::*;
    use ops::*;

    let channel = match channel.trim() {
        "" => "all".to_owned(),
        c => c.to_owned(),
    };
    match action.as_str() {
        "opt_out" => {
            run_mutation::<SalesOptOutContactMutation>(
                sales_opt_out_contact_mutation::Variables {
                    contact_id,
                    channel,
                    reason: nonblank(reason),
                },
                &csrf,
            )
            .await?;
        }
        "opt_in" => {
            run_mutation::<SalesOptInContactMutation>(
                sales_opt_in_contact_mutation::Variables {
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
            run_mutation::<SalesSetContactFrequencyCapMutation>(
                sales_set_contact_frequency_cap_mutation::Variables {
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
    fn drafts_travel_in_the_url_and_blank_lines_are_spotted() {
        let mut draft = OfferDraft::new_for(Some("acc-1".to_owned()));
        draft.title = "Q3 & more".to_owned();
        let url = draft_url("/offers/new", &draft, &[("error", "a b")]);
        assert!(url.starts_with("/offers/new?draft=%7B"));
        assert!(url.ends_with("&error=a%20b"));
        assert!(draft.items[0].is_blank());
        assert!(
            !ItemDraft {
                name: "Seats".to_owned(),
                ..ItemDraft::blank()
            }
            .is_blank()
        );
    }

    #[test]
    fn conversation_ids_give_their_display_id() {
        assert_eq!(conversation_display_id("cw:p-1:7:12"), Some(12));
        assert_eq!(conversation_display_id("cwc:p-1:7:12"), None);
        assert_eq!(window_words(604_800), "7 days");
        assert_eq!(window_words(3_600), "1 hour");
    }

    #[test]
    fn a_saved_definition_opens_in_the_builder_or_as_json() {
        let tree = serde_json::json!({ "and": [ { "has_email": {} } ] });
        let draft = CampaignDraft::new_default().with_definition(&tree);
        assert!(!draft.uses_json());
        assert_eq!(draft.definition().unwrap(), tree);
        let nested = serde_json::json!({ "or": [ { "and": [] } ] });
        let draft = CampaignDraft::new_default().with_definition(&nested);
        assert!(draft.uses_json());
        assert_eq!(draft.definition().unwrap(), nested);
    }
}
