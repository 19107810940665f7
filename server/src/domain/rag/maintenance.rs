//! Keeping the ivfflat index right for the table.
//!
//! An ivfflat index is a k-means clustering of the rows present when it was built: built on
//! the empty table by the migration, or on a tenth of today's rows, its lists are badly placed
//! and recall drops. [`maybe_rebuild_ivfflat`] rebuilds it (`REINDEX CONCURRENTLY`: reads and
//! writes go on) when the number of vectors has changed by a factor of [`REBUILD_FACTOR`]
//! either way since the last build (or was never recorded) and there are at least
//! [`MIN_ROWS`]; before rebuilding it sets `lists` to pgvector's rule of thumb (rows / 1000 up
//! to 1M rows, sqrt(rows) above). `rag_index_builds` records each build and doubles as a lease
//! so only one process rebuilds at a time. The HNSW index needs none of this: it is
//! incremental.
use std::time::Instant;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

/// The ivfflat index of `rag_chunks.embedding` (migration 0002).
pub const IVFFLAT_INDEX: &str = "rag_chunks_embedding_ivfflat_idx";
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
