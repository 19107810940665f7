//! The entities agree with the schema: columns, status enums, round trips.
use super::*;

// ---------------------------------------------------------------------------------------------
// Entities agree with the schema
// ---------------------------------------------------------------------------------------------

/// The Postgres type (as `format_type` prints it) a SeaORM column type stands for.
pub(super) fn pg_type_of(column_type: &ColumnType) -> String {
    match column_type {
        ColumnType::Text => "text".into(),
        ColumnType::Uuid => "uuid".into(),
        ColumnType::Integer => "integer".into(),
        ColumnType::BigInteger => "bigint".into(),
        ColumnType::Boolean => "boolean".into(),
        ColumnType::JsonBinary => "jsonb".into(),
        ColumnType::TimestampWithTimeZone => "timestamp with time zone".into(),
        ColumnType::Date => "date".into(),
        ColumnType::Double => "double precision".into(),
        ColumnType::Decimal(Some((precision, scale))) => format!("numeric({precision},{scale})"),
        ColumnType::Char(Some(len)) => format!("character({len})"),
        ColumnType::Vector(Some(dims)) => format!("vector({dims})"),
        // sea-orm maps `Vec<String>` to an array of unsized strings; the tables use text[].
        ColumnType::Array(inner) => match inner.as_ref() {
            ColumnType::String(sea_orm::sea_query::StringLen::None) => "text[]".into(),
            other => format!("{}[]", pg_type_of(other)),
        },
        other => format!("{other:?}"),
    }
}

/// Differences between an entity and its table: columns, types, nullability, primary key.
pub(super) async fn entity_mismatches<E: EntityTrait + Default>(
    db: &DatabaseConnection,
) -> Vec<String> {
    let table = E::default().table_name().to_owned();
    let mut problems = Vec::new();
    let mut db_columns: BTreeMap<String, (String, bool, bool)> = rows(
        db,
        &format!(
            "select attname::text, format_type(atttypid, atttypmod), attnotnull, attgenerated <> ''
             from pg_attribute
             where attrelid = to_regclass('public.{table}') and attnum > 0 and not attisdropped"
        ),
    )
    .await
    .iter()
    .map(|row| {
        (
            row.try_get_by_index(0).expect("name"),
            (
                row.try_get_by_index(1).expect("type"),
                row.try_get_by_index(2).expect("notnull"),
                row.try_get_by_index(3).expect("generated"),
            ),
        )
    })
    .collect();
    if db_columns.is_empty() {
        return vec![format!("{table}: no such table")];
    }
    for column in E::Column::iter() {
        let name = column.as_str();
        let def = column.def();
        match db_columns.remove(name) {
            None => problems.push(format!("{table}.{name}: not in the database")),
            Some((pg_type, not_null, generated)) => {
                if generated {
                    problems.push(format!("{table}.{name}: generated column mapped"));
                }
                let expected = pg_type_of(def.get_column_type());
                if expected != pg_type {
                    problems.push(format!(
                        "{table}.{name}: entity says {expected}, database has {pg_type}"
                    ));
                }
                if def.is_null() == not_null {
                    problems.push(format!(
                        "{table}.{name}: entity nullable = {}, database not null = {not_null}",
                        def.is_null()
                    ));
                }
            }
        }
    }
    for (name, (_, _, generated)) in db_columns {
        if !generated {
            problems.push(format!("{table}.{name}: missing from the entity"));
        }
    }
    let entity_pk: BTreeSet<String> = E::PrimaryKey::iter()
        .map(|key| key.into_column().as_str().to_owned())
        .collect();
    let db_pk: BTreeSet<String> = strings(
        db,
        &format!(
            "select a.attname::text from pg_index i
             join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
             where i.indrelid = 'public.{table}'::regclass and i.indisprimary"
        ),
    )
    .await
    .into_iter()
    .collect();
    if entity_pk != db_pk {
        problems.push(format!(
            "{table}: primary key {entity_pk:?} in the entity, {db_pk:?} in the database"
        ));
    }
    problems
}

macro_rules! check_entities {
    ($db:expr, $problems:ident, $tables:ident, [$($module:ident),* $(,)?]) => {
        $(
            $tables.insert(stringify!($module).to_owned());
            $problems.extend(entity_mismatches::<entity::$module::Entity>($db).await);
        )*
    };
}

#[tokio::test]
pub(super) async fn entities_match_the_database_schema() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let mut problems = Vec::new();
    let mut entity_tables = BTreeSet::new();

    // Act
    check_entities!(
        &test_db.db,
        problems,
        entity_tables,
        [
            account_scopes,
            analytics_revenue_snapshots,
            api_tokens,
            app_settings,
            app_users,
            audit_events,
            campaign_events,
            campaign_members,
            campaign_segments,
            campaigns,
            case_evidence_refs,
            case_library_entries,
            contact_channel_policies,
            crm_account_contacts,
            crm_accounts,
            crm_health_weights,
            crm_opportunities,
            crm_opportunity_stage_events,
            crm_pipeline_stages,
            cw_contacts,
            cw_conversations,
            cw_messages,
            evidence_items,
            health_scores,
            job_runs,
            next_best_actions,
            offer_approvals,
            offer_items,
            offers,
            outbound_attempts,
            outbound_messages,
            project_members,
            project_settings,
            project_sources,
            projects,
            rag_chunks,
            rag_index_builds,
            rate_limits,
            risk_radar_items,
            scheduled_jobs,
            sessions,
            signal_example_phrases,
            signals,
            signup_requests,
            sync_watermarks,
            webhook_deliveries,
            worker_runs,
        ]
    );
    let db_tables: BTreeSet<String> = strings(
        &test_db.db,
        "select table_name::text from information_schema.tables
         where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'schema_migrations'",
    )
    .await
    .into_iter()
    .collect();

    // Assert
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(entity_tables, db_tables, "one entity per table");
}

/// Allowed values of the single-column CHECK constraint on `table.column`.
pub(super) async fn check_values(
    db: &DatabaseConnection,
    table: &str,
    column: &str,
) -> BTreeSet<String> {
    let definitions = strings(
        db,
        &format!(
            "select pg_get_constraintdef(c.oid) from pg_constraint c
             join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
             where c.conrelid = 'public.{table}'::regclass and c.contype = 'c'
               and array_length(c.conkey, 1) = 1 and a.attname = '{column}'"
        ),
    )
    .await;
    let mut values = BTreeSet::new();
    for definition in definitions {
        for piece in definition.split("'::text").filter(|p| p.contains('\'')) {
            let value = &piece[piece.rfind('\'').expect("a quote") + 1..];
            values.insert(value.to_owned());
        }
    }
    values
}

macro_rules! check_enums {
    ($db:expr, $problems:ident, [$(($table:literal, $column:literal, $enum:ty)),* $(,)?]) => {
        $(
            let in_db = check_values($db, $table, $column).await;
            let in_rust: BTreeSet<String> = <$enum>::iter().map(|v| v.to_value()).collect();
            if in_db != in_rust {
                $problems.push(format!(
                    "{}.{}: CHECK allows {:?}, {} has {:?}",
                    $table, $column, in_db, stringify!($enum), in_rust
                ));
            }
        )*
    };
}

#[tokio::test]
pub(super) async fn status_enums_match_the_check_constraints() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let mut problems: Vec<String> = Vec::new();

    // Act
    check_enums!(
        &test_db.db,
        problems,
        [
            ("project_sources", "source_kind", enums::SourceKind),
            ("rag_chunks", "embedding_status", enums::EmbeddingStatus),
            ("job_runs", "status", enums::JobRunStatus),
            ("project_members", "role", enums::MemberRole),
            ("evidence_items", "source_kind", enums::EvidenceSourceKind),
            (
                "case_evidence_refs",
                "source_kind",
                enums::EvidenceSourceKind
            ),
            ("webhook_deliveries", "status", enums::WebhookDeliveryStatus),
            ("scheduled_jobs", "status", enums::ScheduledJobStatus),
            ("worker_runs", "status", enums::WorkerRunStatus),
            ("outbound_messages", "status", enums::OutboundStatus),
            (
                "outbound_messages",
                "origin_kind",
                enums::OutboundOriginKind
            ),
            ("outbound_attempts", "status", enums::OutboundAttemptStatus),
            ("crm_accounts", "status", enums::CrmAccountStatus),
            (
                "crm_account_contacts",
                "link_status",
                enums::AccountContactLinkStatus
            ),
            (
                "crm_account_contacts",
                "link_source",
                enums::AccountContactLinkSource
            ),
            ("signals", "signal_type", enums::SignalType),
            ("signal_example_phrases", "signal_type", enums::SignalType),
            ("signals", "status", enums::SignalStatus),
            ("signals", "detector", enums::SignalDetector),
            ("next_best_actions", "status", enums::NbaStatus),
            ("crm_health_weights", "measure", enums::HealthMeasure),
            ("health_scores", "band", enums::HealthBand),
            ("health_scores", "previous_band", enums::HealthBand),
            ("health_scores", "trend", enums::HealthTrend),
            ("risk_radar_items", "kind", enums::RiskKind),
            ("risk_radar_items", "status", enums::RiskItemStatus),
            ("risk_radar_items", "from_band", enums::HealthBand),
            ("risk_radar_items", "to_band", enums::HealthBand),
            ("offers", "status", enums::OfferStatus),
            ("offer_approvals", "decision", enums::OfferDecision),
            ("campaigns", "status", enums::CampaignStatus),
            ("campaign_members", "status", enums::CampaignMemberStatus),
            ("campaign_events", "event_type", enums::CampaignEventType),
            ("case_library_entries", "case_type", enums::CaseType),
            ("case_library_entries", "status", enums::CaseStatus),
            (
                "analytics_revenue_snapshots",
                "granularity",
                enums::SnapshotGranularity
            ),
        ]
    );

    // Assert
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
pub(super) async fn entities_round_trip_vectors_enums_and_money() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let t = two_tenants(&test_db.db).await;
    let embedding: Vec<f32> = (0..1536).map(|i| i as f32 / 1536.0).collect();
    let chunk = entity::rag_chunks::ActiveModel {
        project_id: Set(t.project_a),
        account_scope_id: Set(t.scope_a),
        message_global_id: Set(Some(format!("cwmsg:{}:1:1", t.project_a))),
        chunk_index: Set(Some(0)),
        text: Set("hello".to_owned()),
        embedding: Set(Some(PgVector::from(embedding.clone()))),
        embedding_status: Set(enums::EmbeddingStatus::Ready),
        ..Default::default()
    };
    let offer = entity::offers::ActiveModel {
        project_id: Set(t.project_a),
        account_scope_id: Set(t.scope_a),
        title: Set("Annual plan".to_owned()),
        currency: Set("EUR".to_owned()),
        total: Set(Decimal::new(123_456, 2)),
        status: Set(enums::OfferStatus::Draft),
        ..Default::default()
    };

    // Act
    let chunk = chunk.insert(&test_db.db).await.expect("insert a chunk");
    let offer = offer.insert(&test_db.db).await.expect("insert an offer");
    let chunk = entity::rag_chunks::Entity::find_by_id(chunk.id)
        .one(&test_db.db)
        .await
        .expect("select")
        .expect("the chunk");
    let offer = entity::offers::Entity::find_by_id(offer.id)
        .one(&test_db.db)
        .await
        .expect("select")
        .expect("the offer");

    // Assert
    assert_eq!(chunk.embedding.expect("an embedding").to_vec(), embedding);
    assert_eq!(chunk.embedding_status, enums::EmbeddingStatus::Ready);
    assert_eq!(offer.total, Decimal::new(123_456, 2));
    assert_eq!(offer.currency, "EUR");
    assert_eq!(offer.status, enums::OfferStatus::Draft);
}
