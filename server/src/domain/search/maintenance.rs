//! Keeping the ivfflat index right for the table.
//!
//! An ivfflat index is a k-means clustering of the rows present when it was built: built on
//! the empty table by the migration, or on a tenth of today's rows, its lists are badly placed
//! and recall drops. [`maybe_rebuild_ivfflat`] rebuilds it (`REINDEX CONCURRENTLY`: reads and
//! writes go on) when the number of vectors has changed by a factor of [`REBUILD_FACTOR`]
//! either way since the last build (or was never recorded) and there are at least
//! [`MIN_ROWS`]; before rebuilding it sets `lists` to pgvector's rule of thumb (rows / 1000 up
//! to 1M rows, sqrt(rows) above). `rag_index_builds` records each build and doubles as a lease
//! so only one process rebuilds at a time.
//!
//! The HNSW index is incremental, but each insert walks the graph (~1 ms of CPU at 1536-d):
//! maintained row by row it caps the embed worker at ~900 vectors/s on two cores, while a
//! build costs ~0.4 ms per row of the whole table (with [`BUILD_MAINTENANCE_WORK_MEM`]; with
//! PostgreSQL's default 64 MB the graph does not fit and a build is three times slower).
//! Rebuilding pays only when the backlog is at least as large as what is already indexed: a
//! first backfill, or a model switch re-embedding everything. [`manage_hnsw`] therefore runs a
//! bulk mode: when at least [`BULK_ENTER_PENDING`] chunks wait and no fewer than the vectors
//! already present, it drops the HNSW index (search keeps the ivfflat index and the exact path
//! meanwhile), and once fewer than [`BULK_EXIT_PENDING`] wait it builds it again
//! (`CREATE INDEX CONCURRENTLY`). The `rag_index_builds` row of the
//! HNSW index marks "dropped by bulk mode", so an index the migration never created (no
//! `hnsw` access method) is never created here, and a crash in between is resumed.
use std::time::Instant;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

/// The ivfflat index of `rag_chunks.embedding` (migration 0002).
pub const IVFFLAT_INDEX: &str = "rag_chunks_embedding_ivfflat_idx";
/// The HNSW index of `rag_chunks.embedding` (migration 0002, where `hnsw` exists).
pub const HNSW_INDEX: &str = "rag_chunks_embedding_hnsw_idx";
/// Pending chunks that switch the table to bulk mode (HNSW dropped).
pub const BULK_ENTER_PENDING: i64 = 20_000;
/// Pending chunks below which bulk mode ends (HNSW built again).
pub const BULK_EXIT_PENDING: i64 = 1_000;
/// `maintenance_work_mem` of the session that builds the HNSW index: the graph of 1536-d
/// vectors takes ~6 KB a row, and a build that does not fit in memory is ~3x slower.
pub const BUILD_MAINTENANCE_WORK_MEM: &str = "1GB";
/// Rebuild when the row count grew or shrank by this factor since the last build.
pub const REBUILD_FACTOR: f64 = 2.0;
/// Below this many vectors a rebuild would cluster no better.
pub const MIN_ROWS: i64 = 1_000;

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildReport {
    /// Vectors indexed.
    pub rows: i64,
    /// Vectors at the previous recorded build (none: only the migration's build).
    pub previous_rows: Option<i64>,
    /// `lists` now.
    pub lists: i32,
    /// How long it took.
    pub millis: u128,
}

/// pgvector's rule of thumb for `lists`.
pub fn desired_lists(rows: i64) -> i32 {
    let lists = if rows <= 1_000_000 {
        rows / 1_000
    } else {
        (rows as f64).sqrt() as i64
    };
    i32::try_from(lists.clamp(10, 10_000)).unwrap_or(10_000)
}

/// Whether an index built on `previous` rows is wrong for `rows`.
pub fn needs_rebuild(rows: i64, previous: Option<i64>) -> bool {
    if rows < MIN_ROWS {
        return false;
    }
    match previous {
        None => true,
        Some(p) => {
            let (rows, p) = (rows as f64, p.max(1) as f64);
            rows >= p * REBUILD_FACTOR || rows * REBUILD_FACTOR <= p
        }
    }
}

async fn one_i64(db: &DatabaseConnection, sql: &str, name: &str) -> Result<Option<i64>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            [name.into()],
        ))
        .await?;
    match row {
        Some(row) => row.try_get_by_index::<Option<i64>>(0),
        None => Ok(None),
    }
}

/// Rebuilds the ivfflat index if the table outgrew (or shrank away from) it; `None` when
/// nothing was needed, the index does not exist, or another process is rebuilding.
pub async fn maybe_rebuild_ivfflat(
    db: &DatabaseConnection,
) -> Result<Option<RebuildReport>, DbErr> {
    let backend = db.get_database_backend();
    let exists = one_i64(
        db,
        "select 1::bigint from pg_class where relname = $1 and relkind = 'i'",
        IVFFLAT_INDEX,
    )
    .await?;
    if exists.is_none() {
        return Ok(None);
    }
    let rows = db
        .query_one_raw(Statement::from_string(
            backend,
            "select count(*) from rag_chunks where embedding is not null",
        ))
        .await?
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0);
    let previous = one_i64(
        db,
        "select rows_at_build from rag_index_builds where index_name = $1",
        IVFFLAT_INDEX,
    )
    .await?;
    if !needs_rebuild(rows, previous) {
        return Ok(None);
    }
    let lists = desired_lists(rows);
    let claimed = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "insert into rag_index_builds as b (index_name, rows_at_build, lists, building_since) \
             values ($1, 0, $2, now()) \
             on conflict (index_name) do update set building_since = now() \
             where b.building_since is null or b.building_since < now() - interval '1 hour' \
             returning 1",
            [IVFFLAT_INDEX.into(), lists.into()],
        ))
        .await?;
    if claimed.is_none() {
        return Ok(None);
    }
    let started = Instant::now();
    // Identifiers are our constants, never input: formatting them into DDL is safe.
    let rebuild = async {
        db.execute_unprepared(&format!(
            "alter index {IVFFLAT_INDEX} set (lists = {lists})"
        ))
        .await?;
        db.execute_unprepared(&format!("reindex index concurrently {IVFFLAT_INDEX}"))
            .await
    }
    .await;
    let finish_sql = if rebuild.is_ok() {
        "update rag_index_builds set rows_at_build = $2, lists = $3, built_at = now(), \
         building_since = null where index_name = $1"
    } else {
        "update rag_index_builds set building_since = null where index_name = $1 \
         and $2::bigint is not null and $3::int is not null"
    };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        finish_sql,
        [IVFFLAT_INDEX.into(), rows.into(), lists.into()],
    ))
    .await?;
    rebuild?;
    Ok(Some(RebuildReport {
        rows,
        previous_rows: previous,
        lists,
        millis: started.elapsed().as_millis(),
    }))
}

/// What [`manage_hnsw`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HnswChange {
    /// Nothing to do.
    Unchanged,
    /// A large backlog: the index was dropped until it drains.
    Deferred {
        /// Pending chunks seen (bounded count).
        pending: i64,
    },
    /// The backlog drained: the index was built again.
    Rebuilt {
        /// How long the build took.
        millis: u128,
    },
}

/// Pending chunks, counted up to `limit` (an index-only walk of the pending partial index).
async fn pending_up_to(db: &DatabaseConnection, limit: i64) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select count(*) from (select 1 from rag_chunks \
               where embedding_status = 'pending' limit $1) t",
            [limit.into()],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0))
}

/// Vectors present, counted up to `limit` (an index-only walk of the partial index).
async fn vectors_up_to(db: &DatabaseConnection, limit: i64) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select count(*) from (select 1 from rag_chunks \
               where embedding is not null limit $1) t",
            [limit.into()],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0))
}

/// Builds the HNSW index on one dedicated connection whose session gets
/// [`BUILD_MAINTENANCE_WORK_MEM`] (a pooled statement could land on any connection).
async fn build_hnsw(db: &DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm::sqlx;
    let failed = |what: &str, e: sqlx::Error| DbErr::Custom(format!("HNSW build: {what}: {e}"));
    let mut conn = db
        .get_postgres_connection_pool()
        .acquire()
        .await
        .map_err(|e| failed("no connection", e))?;
    sqlx::query("select set_config('maintenance_work_mem', $1, false)")
        .bind(BUILD_MAINTENANCE_WORK_MEM)
        .execute(&mut *conn)
        .await
        .map_err(|e| failed("maintenance_work_mem", e))?;
    // Identifiers are our constants, never input: formatting them into DDL is safe.
    let built = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "create index concurrently if not exists {HNSW_INDEX} on rag_chunks \
         using hnsw (embedding vector_cosine_ops)"
    )))
    .execute(&mut *conn)
    .await
    .map_err(|e| failed("create index", e));
    // The connection goes back to the pool: leave its session as it found it.
    let reset = sqlx::query("reset maintenance_work_mem")
        .execute(&mut *conn)
        .await
        .map_err(|e| failed("reset", e));
    built?;
    reset.map(|_| ())
}

/// Drops the HNSW index into bulk mode (marker first: if we die after the drop, the marker
/// still says to build it again).
async fn defer_hnsw(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "insert into rag_index_builds (index_name, rows_at_build, lists) values ($1, 0, 1) \
         on conflict (index_name) do nothing",
        [HNSW_INDEX.into()],
    ))
    .await?;
    db.execute_unprepared(&format!("drop index concurrently if exists {HNSW_INDEX}"))
        .await?;
    Ok(())
}

/// Before a model switch re-queues every vector of other models: if those are at least
/// [`BULK_ENTER_PENDING`] and no fewer than the current model's, enter bulk mode first.
/// Re-queueing rewrites each row, and with the HNSW index live every rewrite is a graph
/// insert: 103k rows took 315 s that way.
pub async fn prepare_model_switch(
    db: &DatabaseConnection,
    current_model: &str,
) -> Result<HnswChange, DbErr> {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return Ok(HnswChange::Unchanged);
    }
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select \
               (select count(*) from (select 1 from rag_chunks where embedding is not null \
                  and embedding_status = 'ready' and embedding_model is distinct from $1 \
                  limit $2) s) as stale, \
               (select count(*) from (select 1 from rag_chunks where embedding is not null \
                  and embedding_model = $1 limit $2) c) as current, \
               exists (select 1 from pg_class c join pg_index i on i.indexrelid = c.oid \
                 where c.relname = $3 and i.indisvalid) as indexed",
            [current_model.into(), i64::MAX.into(), HNSW_INDEX.into()],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(HnswChange::Unchanged);
    };
    let (stale, current, indexed): (i64, i64, bool) = (
        row.try_get("", "stale")?,
        row.try_get("", "current")?,
        row.try_get("", "indexed")?,
    );
    if !indexed || stale < BULK_ENTER_PENDING || stale < current {
        return Ok(HnswChange::Unchanged);
    }
    defer_hnsw(db).await?;
    tracing::info!(
        stale,
        "HNSW index dropped before re-embedding for a model switch"
    );
    Ok(HnswChange::Deferred { pending: stale })
}

/// Bulk mode for the HNSW index (see the module docs): drops it under a large backlog, builds
/// it again once the backlog drained. Safe to call from several processes at once.
pub async fn manage_hnsw(db: &DatabaseConnection) -> Result<HnswChange, DbErr> {
    manage_hnsw_with(db, BULK_ENTER_PENDING, BULK_EXIT_PENDING).await
}

/// [`manage_hnsw`] with explicit thresholds (`exit` below `enter`).
pub async fn manage_hnsw_with(
    db: &DatabaseConnection,
    enter: i64,
    exit: i64,
) -> Result<HnswChange, DbErr> {
    let backend = db.get_database_backend();
    if backend != sea_orm::DbBackend::Postgres {
        return Ok(HnswChange::Unchanged);
    }
    // Valid index present? (A crashed concurrent build leaves an invalid one behind.)
    let state = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "select \
               (select i.indisvalid from pg_class c join pg_index i on i.indexrelid = c.oid \
                 where c.relname = $1) as valid, \
               exists (select 1 from rag_index_builds where index_name = $1) as deferred, \
               exists (select 1 from pg_am where amname = 'hnsw') as available",
            [HNSW_INDEX.into()],
        ))
        .await?;
    let Some(state) = state else {
        return Ok(HnswChange::Unchanged);
    };
    let valid: Option<bool> = state.try_get("", "valid")?;
    let deferred: bool = state.try_get("", "deferred")?;
    let available: bool = state.try_get("", "available")?;

    if valid == Some(true) {
        let pending = pending_up_to(db, enter).await?;
        if pending < enter {
            return Ok(HnswChange::Unchanged);
        }
        // Only a backlog at least as large as the indexed table repays a rebuild.
        let pending = pending_up_to(db, i64::MAX).await?;
        if vectors_up_to(db, pending.saturating_add(1)).await? > pending {
            return Ok(HnswChange::Unchanged);
        }
        defer_hnsw(db).await?;
        tracing::info!(pending, "HNSW index dropped for a bulk backlog");
        return Ok(HnswChange::Deferred { pending });
    }
    if !(deferred && available) {
        return Ok(HnswChange::Unchanged);
    }
    if pending_up_to(db, exit).await? >= exit {
        return Ok(HnswChange::Unchanged);
    }
    let claimed = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "update rag_index_builds set building_since = now() where index_name = $1 \
               and (building_since is null or building_since < now() - interval '1 hour') \
             returning 1",
            [HNSW_INDEX.into()],
        ))
        .await?;
    if claimed.is_none() {
        return Ok(HnswChange::Unchanged);
    }
    let started = Instant::now();
    // Identifiers are our constants, never input: formatting them into DDL is safe.
    let built = async {
        if valid == Some(false) {
            db.execute_unprepared(&format!("drop index concurrently if exists {HNSW_INDEX}"))
                .await?;
        }
        build_hnsw(db).await
    }
    .await;
    let finish_sql = if built.is_ok() {
        "delete from rag_index_builds where index_name = $1"
    } else {
        "update rag_index_builds set building_since = null where index_name = $1"
    };
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        finish_sql,
        [HNSW_INDEX.into()],
    ))
    .await?;
    built?;
    let millis = started.elapsed().as_millis();
    tracing::info!(millis, "HNSW index built again after a bulk backlog");
    Ok(HnswChange::Rebuilt { millis })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_follow_the_row_count() {
        assert_eq!(desired_lists(0), 10);
        assert_eq!(desired_lists(100_000), 100);
        assert_eq!(desired_lists(4_000_000), 2_000);
    }

    #[test]
    fn rebuilds_happen_on_a_factor_of_change() {
        assert!(!needs_rebuild(500, None), "too few rows");
        assert!(
            needs_rebuild(5_000, None),
            "only the migration's empty build"
        );
        assert!(!needs_rebuild(15_000, Some(10_000)));
        assert!(needs_rebuild(20_000, Some(10_000)));
        assert!(needs_rebuild(4_000, Some(10_000)));
    }
}
