//! Campaigns for the UI: the listing, the editor with its segment (its draft travels in the
//! page's URL, like the offer builder's), the lifecycle and the report.
// The editors' server functions take one argument per form field.
#![allow(clippy::too_many_arguments)]
pub mod segments;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::records::ContactRef;
#[cfg(feature = "ssr")]
use crate::api::{
    convert::{self, go},
    text::draft_url,
};
use segments::{ConditionDraft, SegmentDraft};

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

/// Placeholders a campaign's message may use.
pub const TEMPLATE_PLACEHOLDERS: &[&str] = &["{{name}}", "{{first_name}}", "{{company}}"];

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

/// The capability's typed GraphQL operations (both builds: pages render their types).
pub mod ops {
    operations!("graphql/campaigns.graphql":
        PreviewSegmentQuery,
        SaveCampaignSegmentMutation,
        CampaignsQuery,
        CampaignQuery,
        CreateCampaignMutation,
        UpdateCampaignMutation,
        SubmitCampaignMutation,
        ApproveCampaignMutation,
        RejectCampaignMutation,
        StartCampaignMutation,
        PauseCampaignMutation,
        ResumeCampaignMutation,
        CancelCampaignMutation,
    );
}

// --- campaigns -------------------------------------------------------------------------------

/// A page of the working project's campaigns; `status` a CampaignStatus name, blank for any.
#[server(endpoint = "campaigns/list")]
pub async fn list_campaigns(
    status: Option<String>,
    after: Option<String>,
) -> Result<CampaignPage, ServerFnError> {
    use convert::*;
    use ops::*;

    let (status, after) = status_filter(status, after, CAMPAIGN_STATUSES)?;
    let page = crate::api::executor::run::<CampaignsQuery>(campaigns_query::Variables {
        status,
        first: Some(LISTING_PAGE),
        after,
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
#[server(endpoint = "campaigns/load")]
pub async fn load_campaign(id: String) -> Result<CampaignView, ServerFnError> {
    use convert::*;
    use ops::*;

    let c = crate::api::executor::run::<CampaignQuery>(campaign_query::Variables {
        id,
        bucket: Some(campaign_query::CampaignReportBucket::HOUR),
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
#[server(endpoint = "campaigns/preview-segment")]
pub async fn preview_segment(definition: String) -> Result<SegmentPreviewView, ServerFnError> {
    use ops::*;

    let definition: serde_json::Value = serde_json::from_str(&definition).map_err(|_| {
        crate::api::executor::invalid_input(
            "Invalid input: definition: is not valid JSON".to_owned(),
        )
    })?;
    let p = crate::api::executor::run::<PreviewSegmentQuery>(preview_segment_query::Variables {
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
#[server(endpoint = "campaigns/save-form")]
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
) -> Result<String, (&'static str, crate::api::ApiError)> {
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
    let segment = run_mutation::<SaveCampaignSegmentMutation>(
        save_campaign_segment_mutation::Variables {
            input: save_campaign_segment_mutation::SaveCampaignSegmentInput {
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
        None => Ok(run_mutation::<CreateCampaignMutation>(
            create_campaign_mutation::Variables {
                input: create_campaign_mutation::CreateCampaignInput {
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
        Some(id) => Ok(run_mutation::<UpdateCampaignMutation>(
            update_campaign_mutation::Variables {
                id: id.to_owned(),
                input: update_campaign_mutation::UpdateCampaignInput {
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
#[server(endpoint = "campaigns/action")]
pub async fn campaign_action(
    id: String,
    action: String,
    comment: Option<String>,
    scheduled_at: Option<String>,
    csrf: String,
) -> Result<String, ServerFnError> {
    use crate::api::executor::run_mutation;
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
            SubmitCampaignMutation,
            submit_campaign_mutation,
            submit_campaign
        ),
        "approve" => {
            let scheduled_at = nonblank(scheduled_at)
                .map(|t| utc_time("scheduledAt", &t))
                .transpose()?;
            name(
                &run_mutation::<ApproveCampaignMutation>(
                    approve_campaign_mutation::Variables { id, scheduled_at },
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
                &run_mutation::<RejectCampaignMutation>(
                    reject_campaign_mutation::Variables { id, comment },
                    &csrf,
                )
                .await?
                .reject_campaign
                .status,
            )
        }
        "start" => simple!(
            StartCampaignMutation,
            start_campaign_mutation,
            start_campaign
        ),
        "pause" => simple!(
            PauseCampaignMutation,
            pause_campaign_mutation,
            pause_campaign
        ),
        "resume" => simple!(
            ResumeCampaignMutation,
            resume_campaign_mutation,
            resume_campaign
        ),
        "cancel" => simple!(
            CancelCampaignMutation,
            cancel_campaign_mutation,
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

#[cfg(test)]
mod tests {
    use super::*;

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
