//! The spec's constraints and indexes, the vector indexes and full-text search.
use super::*;

// ---------------------------------------------------------------------------------------------
// Constraints and indexes of the spec
// ---------------------------------------------------------------------------------------------

#[tokio::test]
pub(super) async fn the_listed_unique_constraints_hold() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let t = two_tenants(&test_db.db).await;
    let source = |p: Uuid, s: Uuid, key: &str, account: &str| {
        format!(
            "insert into project_sources (project_id, account_scope_id, source_kind, external_id, source_key, base_url, api_access_token)
             values ('{p}', '{s}', 'chatwoot_account', '{account}', '{key}', 'http://127.0.0.1:3100', 'secret')"
        )
    };
    let contact = |p: Uuid, s: Uuid| {
        format!(
            "insert into cw_contacts (id, project_id, account_scope_id, account_id, contact_id, data)
             values ('cwc:{p}:7:42', '{p}', '{s}', 7, 42, '{{}}')"
        )
    };
    let chunk = |p: Uuid, s: Uuid| {
        format!(
            "insert into rag_chunks (project_id, account_scope_id, message_global_id, chunk_index, text)
             values ('{p}', '{s}', 'cwmsg:{p}:7:1', 0, 'hello')"
        )
    };
    exec(&test_db.db, &source(t.project_a, t.scope_a, "key-a", "7")).await;
    exec(&test_db.db, &contact(t.project_a, t.scope_a)).await;
    exec(&test_db.db, &chunk(t.project_a, t.scope_a)).await;
    exec(
        &test_db.db,
        "insert into app_users (username, password_hash) values ('alice', 'x')",
    )
    .await;

    // Act
    let same_account_other_project =
        exec_err(&test_db.db, &source(t.project_b, t.scope_b, "key-b", "7")).await;
    let second_source_same_project =
        exec_err(&test_db.db, &source(t.project_a, t.scope_a, "key-c", "8")).await;
    let same_contact_other_project = exec_err(&test_db.db, &contact(t.project_b, t.scope_b)).await;
    let same_chunk = exec_err(&test_db.db, &chunk(t.project_a, t.scope_a)).await;
    let same_username = exec_err(
        &test_db.db,
        "insert into app_users (username, password_hash) values ('alice', 'y')",
    )
    .await;

    // Assert
    for (err, constraint) in [
        (
            &same_account_other_project,
            "project_sources_source_kind_external_id_key",
        ),
        (
            &second_source_same_project,
            "project_sources_project_id_source_kind_key",
        ),
        (
            &same_contact_other_project,
            "cw_contacts_account_id_contact_id_key",
        ),
        (&same_chunk, "rag_chunks_message_global_id_chunk_index_key"),
        (&same_username, "app_users_username_key"),
    ] {
        assert_eq!(err.code, "23505", "{constraint}: {err:?}");
        assert_eq!(err.constraint.as_deref(), Some(constraint), "{err:?}");
    }
}

#[tokio::test]
pub(super) async fn the_spec_indexes_exist() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let expected = [
        ("cw_contacts", "(account_id, contact_id)", true),
        ("cw_contacts", "(updated_at DESC NULLS LAST)", false),
        ("cw_messages", "(conversation_id)", false),
        ("cw_messages", "(created_at DESC)", false),
        ("cw_messages", "(conversation_global_id)", false),
        ("cw_messages", "(contact_global_id)", false),
        ("cw_messages", "(account_id, created_at DESC)", false),
        ("rag_chunks", "(conversation_global_id)", false),
        ("rag_chunks", "(message_global_id)", false),
        ("rag_chunks", "(embedding_status, created_at DESC)", false),
        ("rag_chunks", "(text_hash)", false),
        ("rag_chunks", "(message_global_id, chunk_index)", true),
        ("signup_requests", "(username, created_at DESC)", false),
        ("signup_requests", "(expires_at)", false),
        (
            "cw_conversations",
            "(project_id, updated_at DESC NULLS LAST)",
            false,
        ),
        (
            "cw_messages",
            "(project_id, conversation_global_id, created_at)",
            false,
        ),
        ("rag_chunks", "(project_id, embedding_status)", false),
    ];

    // Act
    let definitions = strings(
        &test_db.db,
        "select indexdef from pg_indexes where schemaname = 'public'",
    )
    .await;

    // Assert
    for (table, columns, unique) in expected {
        let suffix = format!(" ON public.{table} USING btree {columns}");
        let found = definitions
            .iter()
            .any(|d| d.ends_with(&suffix) && d.starts_with("CREATE UNIQUE INDEX") == unique);
        assert!(
            found,
            "missing {}index on {table} {columns}",
            if unique { "unique " } else { "" }
        );
    }
}

#[tokio::test]
pub(super) async fn the_vector_indexes_exist_with_cosine_ops() {
    // Arrange
    let test_db = TestDb::migrated().await;

    // Act
    let ivfflat: String = scalar(
        &test_db.db,
        "select indexdef from pg_indexes where indexname = 'rag_chunks_embedding_ivfflat_idx'",
    )
    .await;
    let ivfflat_options: String = scalar(
        &test_db.db,
        "select array_to_string(reloptions, ',') from pg_class where relname = 'rag_chunks_embedding_ivfflat_idx'",
    )
    .await;
    let has_hnsw: bool = scalar(
        &test_db.db,
        "select exists (select 1 from pg_am where amname = 'hnsw')",
    )
    .await;
    let hnsw: Option<String> = scalar(
        &test_db.db,
        "select (select indexdef from pg_indexes where indexname = 'rag_chunks_embedding_hnsw_idx')",
    )
    .await;

    // Assert
    assert!(
        ivfflat.contains("USING ivfflat (embedding vector_cosine_ops)"),
        "{ivfflat}"
    );
    assert_eq!(ivfflat_options, "lists=100");
    assert!(has_hnsw, "pgvector 0.8 provides the hnsw access method");
    let hnsw = hnsw.expect("the hnsw index is created when hnsw exists");
    assert!(
        hnsw.contains("USING hnsw (embedding vector_cosine_ops)"),
        "{hnsw}"
    );
}

#[tokio::test]
pub(super) async fn evidence_items_are_searchable_by_full_text() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let t = two_tenants(&test_db.db).await;
    exec(
        &test_db.db,
        &format!(
            "insert into evidence_items (project_id, account_scope_id, source_kind, source_id, search_text) values
               ('{p}', '{s}', 'message', 'm1', 'The blender arrived broken, I want a refund'),
               ('{p}', '{s}', 'message', 'm2', 'Thanks, the delivery was quick')",
            p = t.project_a,
            s = t.scope_a
        ),
    )
    .await;

    // Act
    let hits = strings(
        &test_db.db,
        "select source_id from evidence_items where search_tsv @@ plainto_tsquery('simple', 'refund blender')",
    )
    .await;
    let gin: i64 = scalar(
        &test_db.db,
        "select count(*) from pg_indexes where tablename = 'evidence_items' and indexdef like '%USING gin (search_tsv)%'",
    )
    .await;

    // Assert
    assert_eq!(hits, ["m1"]);
    assert_eq!(gin, 1);
}
