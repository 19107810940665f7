//! Segments: who a campaign reaches, as a typed filter tree over the project's Chatwoot
//! contacts, compiled to one parameterised SQL condition (no value is ever spliced into the
//! SQL text).
//!
//! The tree itself (its nodes, JSON form, parsing and validation) is defined once in the
//! `segment-tree` crate, shared with the app's builder; this module compiles it to SQL and
//! keeps the saved segments.
use chrono::{DateTime, Utc};
use entity::{campaign_segments, cw_contacts};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set, Statement, TransactionTrait,
};
use segment_tree::{AccountField, ContactKey, Op};
pub use segment_tree::{Segment, to_json};
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

/// Contacts in a preview's sample.
pub const SAMPLE_SIZE: u64 = 10;
/// Longest segment description.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;

/// The column of an account field (a fixed name, never caller text).
fn account_column(field: AccountField) -> &'static str {
    match field {
        AccountField::Name => "a.name",
        AccountField::Domain => "a.domain",
        AccountField::Industry => "a.industry",
        AccountField::Status => "a.status",
    }
}

/// Checks a tree's limits and leaves (see `segment_tree::validate`).
pub fn validate(segment: &Segment) -> Result<(), FieldError> {
    segment_tree::validate(segment).map_err(|message| FieldError::new("definition", message))
}

/// Reads and validates a tree given as JSON.
pub fn parse(definition: &Value) -> Result<Segment, FieldError> {
    segment_tree::parse(definition).map_err(|message| FieldError::new("definition", message))
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
            let expr = match segment_tree::contact_key(key) {
                Some(ContactKey::Column(column)) => format!("c.{column}"),
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
            let condition = compare(param, account_column(*field), *op, value.as_deref());
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
            let p = param(band.name().into());
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
            let t = param(signal_type.name().into());
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

    #[test]
    fn values_become_parameters_never_sql_text() {
        let scope_values = 2;
        let parsed = parse(&json!({ "or": [
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
