//! Segments: who a campaign reaches, as a typed filter tree over the project's Chatwoot
//! contacts, compiled to one parameterised SQL condition (no value is ever spliced into the
//! SQL text).
//!
//! The tree is JSON with one key per node (serde's externally tagged enum, snake_case):
//!
//! ```json
//! { "and": [
//!     { "contact_attribute": { "key": "additional.city", "op": "eq", "value": "Berlin" } },
//!     { "or": [ { "chatwoot_label": { "label": "vip" } }, { "inbox": { "inbox_id": 3 } } ] },
//!     { "not": { "health_band": { "band": "critical" } } },
//!     { "signal": { "type": "buying_intent", "within_days": 30 } },
//!     { "last_activity": { "within_days": 14 } },
//!     { "account_attribute": { "field": "industry", "op": "contains", "value": "retail" } },
//!     { "has_email": {} }
//! ] }
//! ```
//!
//! | node | matches a contact ... |
//! |---|---|
//! | `and: [..]` | matching every child (an empty list matches everyone) |
//! | `or: [..]` | matching at least one child (at least one child required) |
//! | `not: {..}` | not matching the child |
//! | `contact_attribute {key, op, value}` | whose attribute `key` (`name`, `email`, `phone_number`, `identifier`, `custom.<attr>` for Chatwoot custom attributes, `additional.<attr>` for additional attributes such as `company_name` or `city`) equals `value` (`eq`, case-insensitive, trimmed), contains it (`contains`, case-insensitive) or is present and not blank (`exists`, no value) |
//! | `account_attribute {field, op, value}` | confirmed on a CRM account whose `name`, `domain`, `industry` or `status` matches the same way (`status`: `eq` only) |
//! | `chatwoot_label {label}` | with a conversation carrying that Chatwoot label (exact) |
//! | `inbox {inbox_id}` | with a conversation in that Chatwoot inbox |
//! | `health_band {band}` | confirmed on an account whose latest health score has that band (`healthy`, `at_risk`, `critical`) |
//! | `signal {type, within_days}` | with a signal of that type (not dismissed) about them in the last `within_days` days |
//! | `last_activity {within_days}` | who wrote or was written to (public messages) in the last `within_days` days |
//! | `last_activity {older_than_days}` | whose last such message is older than that (contacts never written to do not match; use `not` + `within_days` to include them) |
//! | `has_email {}` | with a non-blank email |
//!
//! Limits: depth at most 6 (a lone leaf has depth 1), at most 50 leaves and 100 nodes, values
//! 1-200 characters, days 1-3650. Unknown node names, fields, operators, bands and signal types
//! are refused with the path of the offending node.
use chrono::{DateTime, Utc};
use entity::{
    campaign_segments, cw_contacts,
    enums::{HealthBand, SignalType},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set, Statement, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    domain::conversations::query::Contact,
    kernel::{
        Actor, DomainError, Scope,
        audit::{self, AuditEntry, EvidenceRef},
        checks::{Checks, MAX_NAME_CHARS, optional_text, required_text},
        error::{DomainResult, FieldError},
        sql::{Sql, count_rows, like_pattern, violates_unique},
    },
};

/// Deepest tree (a lone leaf has depth 1).
pub const MAX_DEPTH: usize = 6;
/// Most leaves in one tree.
pub const MAX_LEAVES: usize = 50;
/// Most nodes (leaves and and/or/not) in one tree.
pub const MAX_NODES: usize = 100;
/// Longest value or label.
pub const MAX_VALUE_CHARS: usize = 200;
/// Largest `within_days` / `older_than_days`.
pub const MAX_DAYS: i32 = 3_650;
/// Contacts in a preview's sample.
pub const SAMPLE_SIZE: u64 = 10;
/// Longest segment description.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;

/// How a leaf compares a text attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Equal, ignoring case and surrounding whitespace.
    Eq,
    /// Contains, ignoring case.
    Contains,
    /// Present and not blank (no value).
    Exists,
}

/// An account column a segment may filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountField {
    /// `crm_accounts.name`.
    Name,
    /// `crm_accounts.domain`.
    Domain,
    /// `crm_accounts.industry`.
    Industry,
    /// `crm_accounts.status` (`active`, `archived`, `merged`).
    Status,
}

impl AccountField {
    /// The column (a fixed name, never caller text).
    fn column(self) -> &'static str {
        match self {
            Self::Name => "a.name",
            Self::Domain => "a.domain",
            Self::Industry => "a.industry",
            Self::Status => "a.status",
        }
    }
}

/// A segment: a filter tree over contacts (see the module docs for the JSON format).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Segment {
    /// Every child matches.
    And(Vec<Segment>),
    /// At least one child matches.
    Or(Vec<Segment>),
    /// The child does not match.
    Not(Box<Segment>),
    /// A contact attribute compared with `value`.
    ContactAttribute {
        /// `name`, `email`, `phone_number`, `identifier`, `custom.<attr>`, `additional.<attr>`.
        key: String,
        /// Comparison.
        op: Op,
        /// Required for `eq` and `contains`, absent for `exists`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
    },
    /// An attribute of the contact's confirmed account compared with `value`.
    AccountAttribute {
        /// The account column.
        field: AccountField,
        /// Comparison.
        op: Op,
        /// Required for `eq` and `contains`, absent for `exists`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
    },
    /// A Chatwoot label on one of the contact's conversations.
    ChatwootLabel {
        /// The label, exactly.
        label: String,
    },
    /// One of the contact's conversations is in this Chatwoot inbox.
    Inbox {
        /// Chatwoot inbox id.
        inbox_id: i64,
    },
    /// The latest health band of the contact's confirmed account.
    HealthBand {
        /// healthy | at_risk | critical.
        band: HealthBand,
    },
    /// A (not dismissed) signal about the contact within the last days.
    Signal {
        /// The signal type.
        #[serde(rename = "type")]
        signal_type: SignalType,
        /// 1-3650.
        within_days: i32,
    },
    /// The contact's last public message, either direction.
    LastActivity {
        /// Active within the last N days.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        within_days: Option<i32>,
        /// Last active more than N days ago.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        older_than_days: Option<i32>,
    },
    /// The contact has a non-blank email.
    HasEmail {},
}

/// Where a contact attribute lives.
enum ContactKey<'a> {
    /// A `cw_contacts` column (a fixed name).
    Column(&'static str),
    /// `custom_attributes ->> key`.
    Custom(&'a str),
    /// `data -> 'additional_attributes' ->> key`.
    Additional(&'a str),
}

fn contact_key(key: &str) -> Option<ContactKey<'_>> {
    let attribute = |name: &str| {
        !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    match key {
        "name" => Some(ContactKey::Column("c.name")),
        "email" => Some(ContactKey::Column("c.email")),
        "phone_number" => Some(ContactKey::Column("c.phone_number")),
        "identifier" => Some(ContactKey::Column("c.identifier")),
        _ => {
            if let Some(name) = key.strip_prefix("custom.") {
                attribute(name).then_some(ContactKey::Custom(name))
            } else if let Some(name) = key.strip_prefix("additional.") {
                attribute(name).then_some(ContactKey::Additional(name))
            } else {
                None
            }
        }
    }
}

fn check_value(path: &str, op: Op, value: Option<&str>) -> Result<(), String> {
    match (op, value) {
        (Op::Exists, None) => Ok(()),
        (Op::Exists, Some(_)) => Err(format!("{path}: `exists` takes no value")),
        (_, None) => Err(format!("{path}: give a value")),
        (_, Some(v)) if v.trim().is_empty() || v.chars().count() > MAX_VALUE_CHARS => Err(format!(
            "{path}: the value must have 1-{MAX_VALUE_CHARS} characters"
        )),
        _ => Ok(()),
    }
}

fn check_days(path: &str, days: i32) -> Result<(), String> {
    if (1..=MAX_DAYS).contains(&days) {
        Ok(())
    } else {
        Err(format!("{path}: days must be between 1 and {MAX_DAYS}"))
    }
}

#[derive(Default)]
struct Counts {
    nodes: usize,
    leaves: usize,
}

fn check_node(node: &Segment, path: &str, depth: usize, counts: &mut Counts) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("{path}: nest at most {MAX_DEPTH} levels"));
    }
    counts.nodes += 1;
    if counts.nodes > MAX_NODES {
        return Err(format!("use at most {MAX_NODES} conditions and groups"));
    }
    match node {
        Segment::And(children) | Segment::Or(children) => {
            let name = if matches!(node, Segment::And(_)) {
                "and"
            } else {
                "or"
            };
            if name == "or" && children.is_empty() {
                return Err(format!("{path}.or: give at least one condition"));
            }
            for (n, child) in children.iter().enumerate() {
                check_node(child, &format!("{path}.{name}[{n}]"), depth + 1, counts)?;
            }
            return Ok(());
        }
        Segment::Not(child) => return check_node(child, &format!("{path}.not"), depth + 1, counts),
        _ => {}
    }
    counts.leaves += 1;
    if counts.leaves > MAX_LEAVES {
        return Err(format!("use at most {MAX_LEAVES} conditions"));
    }
    match node {
        Segment::ContactAttribute { key, op, value } => {
            let path = format!("{path}.contact_attribute");
            if contact_key(key).is_none() {
                return Err(format!(
                    "{path}: unknown key `{key}`; use name, email, phone_number, identifier, \
                     custom.<attribute> or additional.<attribute>"
                ));
            }
            check_value(&path, *op, value.as_deref())
        }
        Segment::AccountAttribute { field, op, value } => {
            let path = format!("{path}.account_attribute");
            check_value(&path, *op, value.as_deref())?;
            if *field == AccountField::Status {
                let known = ["active", "archived", "merged"];
                if *op != Op::Eq || !value.as_deref().is_some_and(|v| known.contains(&v.trim())) {
                    return Err(format!(
                        "{path}: status takes `eq` with active, archived or merged"
                    ));
                }
            }
            Ok(())
        }
        Segment::ChatwootLabel { label } => {
            if label.trim().is_empty() || label.chars().count() > MAX_VALUE_CHARS {
                Err(format!(
                    "{path}.chatwoot_label: the label must have 1-{MAX_VALUE_CHARS} characters"
                ))
            } else {
                Ok(())
            }
        }
        Segment::Inbox { inbox_id } => {
            if *inbox_id > 0 {
                Ok(())
            } else {
                Err(format!("{path}.inbox: inbox_id must be a positive number"))
            }
        }
        Segment::HealthBand { .. } | Segment::HasEmail {} => Ok(()),
        Segment::Signal { within_days, .. } => check_days(&format!("{path}.signal"), *within_days),
        Segment::LastActivity {
            within_days,
            older_than_days,
        } => {
            let path = format!("{path}.last_activity");
            match (within_days, older_than_days) {
                (Some(days), None) | (None, Some(days)) => check_days(&path, *days),
                _ => Err(format!(
                    "{path}: give exactly one of within_days and older_than_days"
                )),
            }
        }
        Segment::And(_) | Segment::Or(_) | Segment::Not(_) => Ok(()),
    }
}

/// Checks a tree's limits and leaves (see the module docs).
pub fn validate(segment: &Segment) -> Result<(), FieldError> {
    check_node(segment, "definition", 1, &mut Counts::default())
        .map_err(|message| FieldError::new("definition", message))
}

/// Reads and validates a tree given as JSON.
pub fn parse(definition: &Value) -> Result<Segment, FieldError> {
    let segment: Segment = serde_json::from_value(definition.clone())
        .map_err(|e| FieldError::new("definition", format!("is not a valid segment: {e}")))?;
    validate(&segment)?;
    Ok(segment)
}

/// The tree as stored (canonical JSON).
pub fn to_json(segment: &Segment) -> Value {
    serde_json::to_value(segment).unwrap_or_else(|_| json!({ "and": [] }))
}

/// Adds a value to the statement and returns its placeholder (`Sql::param`).
pub(crate) type Param<'a> = dyn FnMut(sea_orm::Value) -> String + 'a;

/// A text comparison of `expr` (an SQL expression built from fixed names and placeholders).
fn compare(param: &mut Param<'_>, expr: &str, op: Op, value: Option<&str>) -> String {
    let value = value.map(str::trim).unwrap_or_default();
    match op {
        Op::Eq => {
            let p = param(value.to_owned().into());
            format!("lower(btrim({expr})) = lower({p}::text)")
        }
        Op::Contains => {
            let p = param(like_pattern(value).into());
            format!("{expr} ilike {p}::text")
        }
        Op::Exists => format!("btrim(coalesce({expr}, '')) <> ''"),
    }
}

/// The contact's conversations (alias `v`).
const CONVERSATIONS: &str = "select 1 from cw_conversations v \
     where v.project_id = c.project_id and v.account_scope_id = c.account_scope_id \
       and v.contact_global_id = c.id";

/// The contact's confirmed account (alias `a`).
const CONFIRMED_ACCOUNT: &str = "select 1 from crm_account_contacts l \
     join crm_accounts a on a.project_id = l.project_id and a.id = l.account_id \
     where l.project_id = c.project_id and l.contact_global_id = c.id \
       and l.link_status = 'confirmed'";

/// The time of the contact's last public message, either direction.
const LAST_ACTIVITY: &str = "(select max(m.created_at) from cw_messages m \
     join cw_conversations v on v.project_id = m.project_id and v.id = m.conversation_global_id \
     where v.project_id = c.project_id and v.contact_global_id = c.id \
       and not m.private and m.message_type in ('incoming', 'outgoing'))";

/// Compiles `segment` to a condition on `cw_contacts c`, adding its values to `sql`. Every
/// leaf is wrapped in `coalesce(.., false)` so `not` over a missing value matches.
pub(crate) fn compile(segment: &Segment, param: &mut Param<'_>) -> String {
    let leaf = |condition: String| format!("coalesce(({condition}), false)");
    match segment {
        Segment::And(children) if children.is_empty() => "true".to_owned(),
        Segment::Or(children) if children.is_empty() => "false".to_owned(),
        Segment::And(children) | Segment::Or(children) => {
            let joiner = if matches!(segment, Segment::And(_)) {
                " and "
            } else {
                " or "
            };
            let parts: Vec<String> = children.iter().map(|c| compile(c, param)).collect();
            format!("({})", parts.join(joiner))
        }
        Segment::Not(child) => format!("(not {})", compile(child, param)),
        Segment::ContactAttribute { key, op, value } => {
            let expr = match contact_key(key) {
                Some(ContactKey::Column(column)) => column.to_owned(),
                Some(ContactKey::Custom(name)) => {
                    let p = param(name.to_owned().into());
                    format!("(c.custom_attributes ->> {p}::text)")
                }
                Some(ContactKey::Additional(name)) => {
                    let p = param(name.to_owned().into());
                    format!("(c.data -> 'additional_attributes' ->> {p}::text)")
                }
                // validate() refuses unknown keys; an unchecked tree matches nobody.
                None => return "false".to_owned(),
            };
            leaf(compare(param, &expr, *op, value.as_deref()))
        }
        Segment::AccountAttribute { field, op, value } => {
            let condition = compare(param, field.column(), *op, value.as_deref());
            leaf(format!("exists ({CONFIRMED_ACCOUNT} and {condition})"))
        }
        Segment::ChatwootLabel { label } => {
            let p = param(label.trim().to_owned().into());
            leaf(format!(
                "exists ({CONVERSATIONS} and coalesce(v.data -> 'labels', '[]'::jsonb) \
                 @> jsonb_build_array({p}::text))"
            ))
        }
        Segment::Inbox { inbox_id } => {
            let p = param((*inbox_id).into());
            leaf(format!(
                "exists ({CONVERSATIONS} and v.inbox_id = {p}::bigint)"
            ))
        }
        Segment::HealthBand { band } => {
            let p = param(sea_orm::ActiveEnum::to_value(band).into());
            leaf(format!(
                "exists ({CONFIRMED_ACCOUNT} and ( \
                   select h.band from health_scores h \
                   where h.project_id = a.project_id and h.account_id = a.id \
                   order by h.computed_at desc, h.id desc limit 1) = {p}::text)"
            ))
        }
        Segment::Signal {
            signal_type,
            within_days,
        } => {
            let t = param(sea_orm::ActiveEnum::to_value(signal_type).into());
            let d = param((*within_days).into());
            leaf(format!(
                "exists (select 1 from signals s \
                   where s.project_id = c.project_id and s.contact_global_id = c.id \
                     and s.signal_type = {t}::text and s.status <> 'dismissed' \
                     and s.occurred_at >= now() - make_interval(days => {d}::int))"
            ))
        }
        Segment::LastActivity {
            within_days,
            older_than_days,
        } => match (within_days, older_than_days) {
            (Some(days), _) => {
                let d = param((*days).into());
                leaf(format!(
                    "{LAST_ACTIVITY} >= now() - make_interval(days => {d}::int)"
                ))
            }
            (None, Some(days)) => {
                let d = param((*days).into());
                leaf(format!(
                    "{LAST_ACTIVITY} < now() - make_interval(days => {d}::int)"
                ))
            }
            (None, None) => "false".to_owned(),
        },
        Segment::HasEmail {} => leaf("btrim(coalesce(c.email, '')) <> ''".to_owned()),
    }
}

/// The scope's contacts `segment` matches, as a WHERE clause on `cw_contacts c`.
pub(crate) fn matching(scope: &Scope, segment: &Segment) -> Sql {
    let mut sql = Sql::scoped(scope, "c");
    let condition = compile(segment, &mut |value| sql.param(value));
    sql.and(condition);
    sql
}

/// How many of the scope's contacts `segment` matches, now.
pub async fn count_segment<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    segment: &Segment,
) -> DomainResult<u64> {
    count_rows(db, "cw_contacts c", &matching(scope, segment)).await
}

/// Up to [`SAMPLE_SIZE`] matching contacts, by name.
pub async fn sample_segment<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    segment: &Segment,
) -> DomainResult<Vec<Contact>> {
    let mut sql = matching(scope, segment);
    let limit = sql.param(SAMPLE_SIZE as i64);
    Ok(cw_contacts::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select c.* from cw_contacts c where {} \
                 order by lower(coalesce(c.name, '')), c.id limit {limit}",
                sql.where_clause()
            ),
            sql.values,
        ))
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// A live preview of a tree given as JSON.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The tree as understood (canonical JSON).
    pub definition: Value,
    /// Matching contacts now.
    pub count: u64,
    /// Up to ten of them, by name.
    pub sample: Vec<Contact>,
}

/// Validates `definition` and counts and samples the contacts it matches now.
pub async fn preview<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    definition: &Value,
) -> DomainResult<Preview> {
    let segment = parse(definition).map_err(|e| DomainError::Validation(vec![e]))?;
    Ok(Preview {
        definition: to_json(&segment),
        count: count_segment(db, scope, &segment).await?,
        sample: sample_segment(db, scope, &segment).await?,
    })
}

/// A saved segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedSegment {
    /// Segment id.
    pub id: Uuid,
    /// Unique name within the project.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// The tree (canonical JSON).
    pub definition: Value,
    /// Matching contacts when it was last saved.
    pub last_count: Option<i32>,
    /// When that count was taken.
    pub last_counted_at: Option<DateTime<Utc>>,
    /// Who created it.
    pub created_by: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<campaign_segments::Model> for SavedSegment {
    fn from(m: campaign_segments::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            description: m.description,
            definition: m.definition,
            last_count: m.last_count,
            last_counted_at: m.last_counted_at.map(|t| t.to_utc()),
            created_by: m.created_by,
            created_at: m.created_at.to_utc(),
            updated_at: m.updated_at.to_utc(),
        }
    }
}

/// Input of [`save_segment`].
#[derive(Debug, Clone, Default)]
pub struct SegmentInput {
    /// The segment to change; a new one when `None`.
    pub id: Option<Uuid>,
    /// 1-200 characters, unique in the project.
    pub name: String,
    /// Up to 2000 characters.
    pub description: Option<String>,
    /// The tree as JSON.
    pub definition: Value,
}

pub(crate) async fn find<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> DomainResult<campaign_segments::Model> {
    scope
        .rows::<campaign_segments::Entity>()
        .filter(campaign_segments::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("segment"))
}

/// Creates (no `id`) or changes a segment, storing its current count; records
/// `campaign.segment_saved`. A duplicate name is a validation failure.
pub async fn save_segment(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: SegmentInput,
) -> DomainResult<SavedSegment> {
    let mut checks = Checks::default();
    let name = checks
        .take(required_text("name", &input.name, MAX_NAME_CHARS))
        .unwrap_or_default();
    let description = checks
        .take(optional_text(
            "description",
            input.description.as_deref(),
            MAX_DESCRIPTION_CHARS,
        ))
        .flatten();
    let segment = checks.take(parse(&input.definition));
    checks.finish()?;
    let Some(segment) = segment else {
        return Err(DomainError::Internal(
            "segment missing after checks".to_owned(),
        ));
    };
    let now = Utc::now();
    let txn = db.begin().await?;
    let count = i32::try_from(count_segment(&txn, scope, &segment).await?).unwrap_or(i32::MAX);
    let written = match input.id {
        Some(id) => {
            let mut active = find(&txn, scope, id).await?.into_active_model();
            active.name = Set(name);
            active.description = Set(description);
            active.definition = Set(to_json(&segment));
            active.last_count = Set(Some(count));
            active.last_counted_at = Set(Some(now.into()));
            active.update(&txn).await
        }
        None => {
            campaign_segments::ActiveModel {
                id: Set(Uuid::new_v4()),
                project_id: Set(scope.project_id()),
                account_scope_id: Set(scope.account_scope_id()),
                name: Set(name),
                description: Set(description),
                definition: Set(to_json(&segment)),
                last_count: Set(Some(count)),
                last_counted_at: Set(Some(now.into())),
                created_by: Set(actor.user_id),
                created_at: Set(now.into()),
                updated_at: Set(now.into()),
            }
            .insert(&txn)
            .await
        }
    };
    let row = match written {
        Ok(row) => row,
        Err(e) if violates_unique(&e, "campaign_segments_project_id_name_key") => {
            return Err(DomainError::Validation(vec![FieldError::new(
                "name",
                "a segment with this name exists",
            )]));
        }
        Err(e) => return Err(e.into()),
    };
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action: "campaign.segment_saved",
            target_kind: Some("campaign_segment"),
            target_id: Some(row.id.to_string()),
            evidence: vec![EvidenceRef::new("campaign_segment", row.id)],
            meta: json!({ "name": row.name, "count": count, "created": input.id.is_none() }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Deletes a segment. Campaigns in draft lose it (they need another before submitting);
/// submitted campaigns keep the definition they were approved with. Records
/// `campaign.segment_deleted`.
pub async fn delete_segment(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<()> {
    let txn = db.begin().await?;
    let row = find(&txn, scope, id).await?;
    campaign_segments::Entity::delete_many()
        .filter(scope.filter_for::<campaign_segments::Entity>())
        .filter(campaign_segments::Column::Id.eq(row.id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action: "campaign.segment_deleted",
            target_kind: Some("campaign_segment"),
            target_id: Some(row.id.to_string()),
            evidence: vec![EvidenceRef::new("campaign_segment", row.id)],
            meta: json!({ "name": row.name, "definition": row.definition }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// One segment of the scope.
pub async fn get_segment<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> DomainResult<SavedSegment> {
    Ok(find(db, scope, id).await?.into())
}

/// The scope's segments by name.
pub async fn list_segments<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
) -> DomainResult<Vec<SavedSegment>> {
    Ok(scope
        .rows::<campaign_segments::Entity>()
        .order_by_asc(campaign_segments::Column::Name)
        .order_by_asc(campaign_segments::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(value: Value) -> Result<Segment, FieldError> {
        parse(&value)
    }

    #[test]
    fn the_documented_example_parses_and_round_trips() {
        let example = json!({ "and": [
            { "contact_attribute": { "key": "additional.city", "op": "eq", "value": "Berlin" } },
            { "or": [ { "chatwoot_label": { "label": "vip" } }, { "inbox": { "inbox_id": 3 } } ] },
            { "not": { "health_band": { "band": "critical" } } },
            { "signal": { "type": "buying_intent", "within_days": 30 } },
            { "last_activity": { "within_days": 14 } },
            { "account_attribute": { "field": "industry", "op": "contains", "value": "retail" } },
            { "has_email": {} }
        ] });
        let parsed = segment(example.clone()).expect("valid");
        assert_eq!(to_json(&parsed), example);
    }

    #[test]
    fn unknown_keys_fields_and_shapes_are_refused() {
        for bad in [
            json!({ "contact_attribute": { "key": "password", "op": "eq", "value": "x" } }),
            json!({ "contact_attribute": { "key": "custom.a b", "op": "eq", "value": "x" } }),
            json!({ "contact_attribute": { "key": "email", "op": "like", "value": "x" } }),
            json!({ "contact_attribute": { "key": "email", "op": "eq" } }),
            json!({ "contact_attribute": { "key": "email", "op": "exists", "value": "x" } }),
            json!({ "account_attribute": { "field": "owner", "op": "eq", "value": "x" } }),
            json!({ "account_attribute": { "field": "status", "op": "contains", "value": "act" } }),
            json!({ "signal": { "type": "gossip", "within_days": 3 } }),
            json!({ "signal": { "type": "upsell", "within_days": 0 } }),
            json!({ "last_activity": { "within_days": 3, "older_than_days": 9 } }),
            json!({ "last_activity": {} }),
            json!({ "health_band": { "band": "meh" } }),
            json!({ "inbox": { "inbox_id": -1 } }),
            json!({ "has_email": {}, "or": [] }),
            json!({ "or": [] }),
            json!({ "chatwoot_label": { "label": " " } }),
            json!({ "chatwoot_label": { "label": "x", "colour": "red" } }),
            json!("has_email"),
        ] {
            assert!(segment(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn depth_and_leaf_limits_hold() {
        let mut deep = json!({ "has_email": {} });
        for _ in 0..5 {
            deep = json!({ "not": deep });
        }
        assert!(segment(deep.clone()).is_ok(), "depth 6");
        assert!(segment(json!({ "not": deep })).is_err(), "depth 7");
        let leaves = |n: usize| json!({ "and": vec![json!({ "has_email": {} }); n] });
        assert!(segment(leaves(50)).is_ok());
        let error = segment(leaves(51)).unwrap_err();
        assert!(error.message.contains("50"), "{error:?}");
    }

    #[test]
    fn values_become_parameters_never_sql_text() {
        let scope_values = 2;
        let parsed = segment(json!({ "or": [
            { "contact_attribute": { "key": "name", "op": "eq", "value": "x'); drop table cw_contacts; --" } },
            { "contact_attribute": { "key": "custom.plan", "op": "contains", "value": "50%_off" } }
        ] }))
        .unwrap();
        let mut values: Vec<sea_orm::Value> = vec![0i64.into(), 0i64.into()];
        let condition = compile(&parsed, &mut |value| {
            values.push(value);
            format!("${}", values.len())
        });
        assert!(!condition.contains("drop table"), "{condition}");
        assert!(!condition.contains("plan"), "{condition}");
        assert_eq!(values.len(), scope_values + 3);
        assert_eq!(values[4], sea_orm::Value::from("%50\\%\\_off%".to_owned()));
    }
}
