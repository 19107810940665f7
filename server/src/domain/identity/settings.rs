//! Project settings: the rules owners and admins set for their project (four eyes on outbound
//! messages, the offer discount that needs a second approver, default frequency caps, the
//! phrases that opt a contact out, how often Chatwoot is synced). Every change is audited.
use entity::{enums::MemberRole, project_settings, project_sources};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Statement, TransactionTrait,
};
use serde_json::{Value, json};

use crate::kernel::{
    DomainError, Scope,
    audit::{self, AuditEntry, EvidenceRef},
    error::{DomainResult, FieldError},
};

/// The project's settings as they apply now.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectSettings {
    /// An outbound message needs an approver other than its author.
    pub outbound_four_eyes: bool,
    /// An offer whose largest line discount exceeds this percentage needs a second approver.
    pub offer_discount_approval_threshold: f64,
    /// Messages per contact and channel within the window, when a contact has no own cap.
    pub default_frequency_cap: i32,
    /// The cap's window in seconds.
    pub default_frequency_window_seconds: i32,
    /// The project's own opt-out phrases (empty: the built-in ones apply).
    pub opt_out_phrases: Vec<String>,
    /// Seconds between scheduled syncs of the bound Chatwoot account (none bound: `None`).
    pub sync_interval_seconds: Option<i32>,
}

/// A change to the settings; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct SettingsChange {
    /// See [`ProjectSettings::outbound_four_eyes`].
    pub outbound_four_eyes: Option<bool>,
    /// See [`ProjectSettings::offer_discount_approval_threshold`] (0-100).
    pub offer_discount_approval_threshold: Option<f64>,
    /// See [`ProjectSettings::default_frequency_cap`] (0-1000).
    pub default_frequency_cap: Option<i32>,
    /// See [`ProjectSettings::default_frequency_window_seconds`] (an hour to a year).
    pub default_frequency_window_seconds: Option<i32>,
    /// See [`ProjectSettings::opt_out_phrases`] (at most 50, each 1-80 characters).
    pub opt_out_phrases: Option<Vec<String>>,
    /// See [`ProjectSettings::sync_interval_seconds`] (a minute to a day).
    pub sync_interval_seconds: Option<i32>,
}

fn validate(change: &SettingsChange) -> Result<Option<Vec<String>>, Vec<FieldError>> {
    let mut errors = Vec::new();
    if change
        .offer_discount_approval_threshold
        .is_some_and(|t| !(0.0..=100.0).contains(&t) || t.is_nan())
    {
        errors.push(FieldError::new(
            "offerDiscountApprovalThreshold",
            "must be a percentage between 0 and 100",
        ));
    }
    if change
        .default_frequency_cap
        .is_some_and(|c| !(0..=1000).contains(&c))
    {
        errors.push(FieldError::new(
            "defaultFrequencyCap",
            "must be between 0 and 1000 messages",
        ));
    }
    if change
        .default_frequency_window_seconds
        .is_some_and(|w| !(3_600..=31_536_000).contains(&w))
    {
        errors.push(FieldError::new(
            "defaultFrequencyWindowSeconds",
            "must be between an hour (3600) and a year (31536000)",
        ));
    }
    if change
        .sync_interval_seconds
        .is_some_and(|s| !(60..=86_400).contains(&s))
    {
        errors.push(FieldError::new(
            "syncIntervalSeconds",
            "must be between a minute (60) and a day (86400)",
        ));
    }
    let phrases = change.opt_out_phrases.as_ref().map(|phrases| {
        let mut kept: Vec<String> = phrases
            .iter()
            .map(|p| p.trim().to_lowercase())
            .filter(|p| !p.is_empty())
            .collect();
        kept.dedup();
        kept
    });
    if phrases
        .as_ref()
        .is_some_and(|p| p.len() > 50 || p.iter().any(|p| p.chars().count() > 80))
    {
        errors.push(FieldError::new(
            "optOutPhrases",
            "use at most 50 phrases of at most 80 characters",
        ));
    }
    if errors.is_empty() {
        Ok(phrases)
    } else {
        Err(errors)
    }
}

/// The scope's settings.
pub async fn get<C: ConnectionTrait>(db: &C, scope: &Scope) -> DomainResult<ProjectSettings> {
    let row = scope.rows::<project_settings::Entity>().one(db).await?;
    let source = scope
        .rows::<project_sources::Entity>()
        .one(db)
        .await?
        .map(|s| s.sync_interval_seconds);
    Ok(match row {
        Some(row) => ProjectSettings {
            outbound_four_eyes: row.settings.get("outbound_four_eyes") == Some(&json!(true)),
            // numeric(5,2): its text form always parses.
            offer_discount_approval_threshold: row
                .offer_discount_approval_threshold
                .to_string()
                .parse()
                .unwrap_or(10.0),
            default_frequency_cap: row.default_frequency_cap,
            default_frequency_window_seconds: row.default_frequency_window_seconds,
            opt_out_phrases: crate::domain::outbound::policies::stored_phrases(
                &row.opt_out_phrases,
            ),
            sync_interval_seconds: source,
        },
        // The table's defaults, before anyone saved settings.
        None => ProjectSettings {
            outbound_four_eyes: false,
            offer_discount_approval_threshold: 10.0,
            default_frequency_cap: 3,
            default_frequency_window_seconds: 604_800,
            opt_out_phrases: Vec::new(),
            sync_interval_seconds: source,
        },
    })
}

/// Changes the settings (owners and admins); bad input writes nothing. Audited with each
/// changed setting's old and new value.
pub async fn update(
    db: &DatabaseConnection,
    scope: &Scope,
    role: MemberRole,
    actor: &str,
    change: SettingsChange,
) -> DomainResult<ProjectSettings> {
    if role == MemberRole::Member {
        return Err(DomainError::Forbidden);
    }
    let phrases = validate(&change).map_err(DomainError::Validation)?;
    let txn = db.begin().await?;
    let before = get(&txn, scope).await?;
    if change.sync_interval_seconds.is_some() && before.sync_interval_seconds.is_none() {
        return Err(DomainError::Validation(vec![FieldError::new(
            "syncIntervalSeconds",
            "bind a Chatwoot account first",
        )]));
    }
    let sql = |text: &str, values: Vec<sea_orm::Value>| {
        Statement::from_sql_and_values(txn.get_database_backend(), text, values)
    };
    txn.execute_raw(sql(
        "insert into project_settings (project_id, account_scope_id) values ($1, $2) \
         on conflict (project_id) do nothing",
        vec![scope.project_id().into(), scope.account_scope_id().into()],
    ))
    .await?;
    txn.execute_raw(sql(
        "update project_settings set \
           settings = case when $2::boolean is null then settings \
                      else jsonb_set(settings, '{outbound_four_eyes}', to_jsonb($2::boolean)) end, \
           offer_discount_approval_threshold = \
             coalesce($3::float8::numeric(5,2), offer_discount_approval_threshold), \
           default_frequency_cap = coalesce($4, default_frequency_cap), \
           default_frequency_window_seconds = coalesce($5, default_frequency_window_seconds), \
           opt_out_phrases = coalesce($6, opt_out_phrases) \
         where project_id = $1",
        vec![
            scope.project_id().into(),
            change.outbound_four_eyes.into(),
            change.offer_discount_approval_threshold.into(),
            change.default_frequency_cap.into(),
            change.default_frequency_window_seconds.into(),
            phrases
                .map(|p| sea_orm::Value::Json(Some(Box::new(json!(p)))))
                .unwrap_or(sea_orm::Value::Json(None)),
        ],
    ))
    .await?;
    if let Some(seconds) = change.sync_interval_seconds {
        project_sources::Entity::update_many()
            .col_expr(
                project_sources::Column::SyncIntervalSeconds,
                sea_orm::sea_query::Expr::value(seconds),
            )
            .filter(scope.filter_for::<project_sources::Entity>())
            .exec(&txn)
            .await?;
    }
    let after = get(&txn, scope).await?;
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.to_owned(),
            action: "project.settings_updated",
            target_kind: Some("project"),
            target_id: Some(scope.project_id().to_string()),
            evidence: vec![EvidenceRef::new("project", scope.project_id())],
            meta: changes(&before, &after),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// `{setting: {from, to}}` for each setting that changed.
fn changes(before: &ProjectSettings, after: &ProjectSettings) -> Value {
    let mut out = serde_json::Map::new();
    let mut note = |name: &str, from: Value, to: Value| {
        if from != to {
            out.insert(name.to_owned(), json!({ "from": from, "to": to }));
        }
    };
    note(
        "outboundFourEyes",
        json!(before.outbound_four_eyes),
        json!(after.outbound_four_eyes),
    );
    note(
        "offerDiscountApprovalThreshold",
        json!(before.offer_discount_approval_threshold),
        json!(after.offer_discount_approval_threshold),
    );
    note(
        "defaultFrequencyCap",
        json!(before.default_frequency_cap),
        json!(after.default_frequency_cap),
    );
    note(
        "defaultFrequencyWindowSeconds",
        json!(before.default_frequency_window_seconds),
        json!(after.default_frequency_window_seconds),
    );
    note(
        "optOutPhrases",
        json!(before.opt_out_phrases),
        json!(after.opt_out_phrases),
    );
    note(
        "syncIntervalSeconds",
        json!(before.sync_interval_seconds),
        json!(after.sync_interval_seconds),
    );
    Value::Object(out)
}
