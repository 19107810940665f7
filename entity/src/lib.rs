//! SeaORM entities for the revintel schema (`migration/sql`), one module per table.
//!
//! - Status/kind columns are ActiveEnums from [`enums`] (text columns with CHECK constraints).
//! - Generated columns (`evidence_items.search_tsv`, `rag_chunks.search_tsv`) are not mapped:
//!   SeaORM would try to write them. Query them with raw SQL.
//! - Money is `numeric(18,2)` mapped to [`sea_orm::prelude::Decimal`] with a `char(3)` currency.
//! - Every scoped table carries `project_id` and `account_scope_id`; the database rejects a
//!   row whose scope is not its project's (SQLSTATE 23514, constraint `project_scope_match`).
//!   [`PROJECT_SCOPE_MATCH`] and the other constant names below let callers map errors.

pub mod enums;
pub mod prelude;

/// `account_scopes`: Account-level isolation boundary that projects belong to.
pub mod account_scopes;
/// `analytics_revenue_snapshots`: Periodic revenue/pipeline snapshots per project and currency.
pub mod analytics_revenue_snapshots;
/// `api_tokens`: Personal API tokens for external tools, scoped to one project; only hashes are stored.
pub mod api_tokens;
/// `app_settings`: Instance-wide key/value settings (e.g. the Telegram owner binding).
pub mod app_settings;
/// `app_users`: Application users.
pub mod app_users;
/// `audit_events`: Append-only audit trail of critical actions, each with evidence references.
pub mod audit_events;
/// `campaign_events`: Per-member campaign events (queued, sent, delivered, ...).
pub mod campaign_events;
/// `campaign_members`: Contacts snapshotted into a campaign when it starts.
pub mod campaign_members;
/// `campaign_segments`: Reusable contact segments defined by a typed filter tree.
pub mod campaign_segments;
/// `campaigns`: Outbound campaigns.
pub mod campaigns;
/// `case_evidence_refs`: Evidence cited by a case library entry.
pub mod case_evidence_refs;
/// `case_library_entries`: Curated case stories (won/lost deals, churn, saves) with evidence.
pub mod case_library_entries;
/// `contact_channel_policies`: Per contact and channel opt-out and frequency cap.
pub mod contact_channel_policies;
/// `crm_account_contacts`: Links between Chatwoot contacts and CRM accounts (suggested, confirmed or rejected).
pub mod crm_account_contacts;
/// `crm_accounts`: CRM accounts (companies/customers).
pub mod crm_accounts;
/// `crm_health_weights`: Health measure weights per project (they sum to 100, checked at commit).
pub mod crm_health_weights;
/// `crm_opportunities`: Opportunities (deals) in the pipeline.
pub mod crm_opportunities;
/// `crm_opportunity_stage_events`: History of opportunity stage changes.
pub mod crm_opportunity_stage_events;
/// `crm_pipeline_stages`: A project's ordered pipeline stages, with won/lost terminals.
pub mod crm_pipeline_stages;
/// `cw_contacts`: Normalized Chatwoot contacts.
pub mod cw_contacts;
/// `cw_conversations`: Raw Chatwoot conversations.
pub mod cw_conversations;
/// `cw_messages`: Raw Chatwoot messages.
pub mod cw_messages;
/// `evidence_items`: Normalized evidence index with full-text search over `search_text`.
pub mod evidence_items;
/// `health_scores`: Account health score history (one row per computation).
pub mod health_scores;
/// `job_runs`: Audit of job executions (one row per sync/chunk/embed run).
pub mod job_runs;
/// `next_best_actions`: Suggested next-best-actions with reason, evidence and lifecycle.
pub mod next_best_actions;
/// `offer_approvals`: Approval decisions on offers (an author cannot approve their own offer when approval is required).
pub mod offer_approvals;
/// `offer_items`: Line items of an offer (money in the offer's currency).
pub mod offer_items;
/// `offers`: Commercial offers with server-computed totals and an approval workflow.
pub mod offers;
/// `outbound_attempts`: One row per send attempt of an outbound message.
pub mod outbound_attempts;
/// `outbound_messages`: Outbound messages: approval, send, retry pipeline (nothing unapproved is sent).
pub mod outbound_messages;
/// `project_members`: Who may see a project, and with which role.
pub mod project_members;
/// `project_settings`: Per-project settings (absent row = defaults).
pub mod project_settings;
/// `project_sources`: External source bindings per project (a Chatwoot account feeds one project only).
pub mod project_sources;
/// `projects`: Project registry; every scoped row belongs to one project.
pub mod projects;
/// `rag_chunks`: Chunked message text and its embedding lifecycle.
pub mod rag_chunks;
/// `rag_index_builds`: vector index build records and rebuild leases.
pub mod rag_index_builds;
/// `rate_limits`: Fixed-window counters shared by all replicas (login and PIN throttling).
pub mod rate_limits;
/// `risk_radar_items`: Accounts on the risk radar, each with an explanation and evidence.
pub mod risk_radar_items;
/// `scheduled_jobs`: Postgres-backed job queue (claimed with `FOR UPDATE SKIP LOCKED` under a lease).
pub mod scheduled_jobs;
/// `sessions`: Cookie-backed login sessions.
pub mod sessions;
/// `signal_example_phrases`: Editable per-type example phrases for similarity-based signal detection.
pub mod signal_example_phrases;
/// `signals`: Signals detected from conversations (buying intent, churn risk, ...), with evidence.
pub mod signals;
/// `signup_requests`: Pending signups confirmed with a PIN sent to the owner over Telegram.
pub mod signup_requests;
/// `sync_watermarks`: Ingestion cursor per project and source.
pub mod sync_watermarks;
/// `webhook_deliveries`: Received Chatwoot webhook deliveries, deduplicated on `X-Chatwoot-Delivery`.
pub mod webhook_deliveries;
/// `worker_runs`: One row per execution attempt of a scheduled job.
pub mod worker_runs;

/// Constraint name reported by the scope trigger (`enforce_project_scope_match`).
pub const PROJECT_SCOPE_MATCH: &str = "project_scope_match";
/// Constraint name reported when `audit_events` is updated, deleted or truncated.
pub const AUDIT_EVENTS_APPEND_ONLY: &str = "audit_events_append_only";
/// Check constraint requiring at least one evidence reference on `audit_events`.
pub const AUDIT_EVENTS_EVIDENCE_REQUIRED: &str = "audit_events_evidence_required";
/// Unique constraint: a Chatwoot account can feed one project only.
pub const PROJECT_SOURCES_SOURCE_KIND_EXTERNAL_ID_KEY: &str =
    "project_sources_source_kind_external_id_key";
/// Unique constraint: one source of each kind per project.
pub const PROJECT_SOURCES_PROJECT_ID_SOURCE_KIND_KEY: &str =
    "project_sources_project_id_source_kind_key";
/// Unique constraint on `app_users.username`.
pub const APP_USERS_USERNAME_KEY: &str = "app_users_username_key";
/// Four-eyes rule on offers (an author cannot approve their own offer when approval is required).
pub const OFFER_APPROVALS_NOT_SELF_APPROVED: &str = "offer_approvals_not_self_approved";
/// Deferred check that a project's health weights sum to 100.
pub const CRM_HEALTH_WEIGHTS_SUM_100: &str = "crm_health_weights_sum_100";
/// Postgres NOTIFY channel raised when a job is queued (payload: the job kind).
pub const SCHEDULED_JOBS_CHANNEL: &str = "scheduled_jobs";
