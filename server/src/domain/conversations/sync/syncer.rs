//! One pass of the sync: fetching contacts, conversations and messages page by page, storing each page with its watermark in one transaction.
use super::*;

/// Rows of one page, ready to commit.
#[derive(Default)]
pub(super) struct PageRows {
    pub(super) contacts: Vec<normalize::ContactRow>,
    pub(super) conversations: Vec<normalize::ConversationRow>,
    pub(super) messages: Vec<normalize::MessageRow>,
}

pub(super) struct Syncer<'a> {
    pub(super) db: &'a DatabaseConnection,
    pub(super) scope: &'a Scope,
    pub(super) account: AccountRef,
    pub(super) source: &'a ChatwootSource,
    pub(super) client: ChatwootClient,
    pub(super) options: &'a SyncOptions,
    pub(super) run_id: i64,
    pub(super) token: String,
    pub(super) counts: SyncCounts,
}

impl Syncer<'_> {
    pub(super) fn source_name(&self) -> String {
        watermark_source(self.source.account_id)
    }

    pub(super) async fn run(&mut self) -> Result<PassMode, SyncError> {
        let mut pass = self.claim().await?;
        let mode = pass.mode;
        while pass.phase == Phase::Contacts {
            pass = self.contacts_page(pass).await?;
        }
        self.conversations_phase(pass).await?;
        Ok(mode)
    }

    /// Takes the watermark for this run (fencing off older runs) and resumes or starts a pass.
    pub(super) async fn claim(&self) -> Result<Pass, SyncError> {
        let txn = self.db.begin().await?;
        txn.execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "insert into sync_watermarks (project_id, account_scope_id, source) \
             values ($1, $2, $3) on conflict (project_id, source) do nothing",
            [
                self.scope.project_id().into(),
                self.scope.account_scope_id().into(),
                self.source_name().into(),
            ],
        ))
        .await?;
        let mut row = lock_watermark(&txn, self.scope, &self.source_name()).await?;
        let now = Utc::now();
        let resume = row.meta.pass.clone().filter(|p| {
            // An explicit full request replaces an unfinished incremental pass.
            !(self.options.mode == SyncMode::Full && p.mode == PassMode::Incremental)
        });
        let pass = match resume {
            Some(pass) => pass,
            None => {
                let overlap = self.options.overlap.as_secs() as i64;
                let full_due = row.meta.last_full_at.is_none_or(|at| {
                    (now - at).to_std().unwrap_or_default() >= self.options.full_rescan_after
                });
                let full =
                    self.options.mode == SyncMode::Full || row.cursor_ts.is_none() || full_due;
                Pass {
                    mode: if full {
                        PassMode::Full
                    } else {
                        PassMode::Incremental
                    },
                    phase: Phase::Contacts,
                    page: 1,
                    started_at: now,
                    contacts_since: (!full)
                        .then(|| row.meta.contacts_cursor.map(|c| c - overlap))
                        .flatten(),
                    conversations_since: (!full)
                        .then(|| row.cursor_ts.map(|t| t.timestamp() - overlap))
                        .flatten(),
                    contacts_high: None,
                    conversations_high: None,
                    max_page_len: 0,
                }
            }
        };
        row.meta.run_token = Some(self.token.clone());
        row.meta.pass = Some(pass.clone());
        write_watermark(&txn, self.scope, &self.source_name(), &row).await?;
        txn.execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "update job_runs set status = 'failed', finished_at = now(), error = $5 \
             where project_id = $2 and source_id = $3 and job_name = $4 \
               and status = 'running' and id <> $1",
            [
                self.run_id.into(),
                self.scope.project_id().into(),
                self.source.id.into(),
                SYNC_JOB.into(),
                format!("interrupted: superseded by run {}", self.run_id).into(),
            ],
        ))
        .await?;
        txn.commit().await?;
        tracing::info!(
            source_id = %self.source.id,
            mode = ?pass.mode,
            phase = ?pass.phase,
            page = pass.page,
            "chatwoot sync pass"
        );
        Ok(pass)
    }

    /// Reads one contacts page; returns the pass to continue with.
    pub(super) async fn contacts_page(&mut self, mut pass: Pass) -> Result<Pass, SyncError> {
        let page = self.client.contacts(pass.page, Some(CONTACT_SORT)).await?;
        let len = page.payload.len();
        let mut rows = PageRows::default();
        let mut counts = self.counts.clone();
        // The list is newest activity first, so the page's last item says whether older ones
        // follow (checking the last rather than any also tolerates pinned items on top).
        let reached_old = pass.contacts_since.is_some_and(|since| {
            page.payload
                .last()
                .is_some_and(|raw| normalize::contact_activity(raw).is_none_or(|a| a < since))
        });
        for raw in &page.payload {
            counts.contacts.seen += 1;
            pass.contacts_high = pass.contacts_high.max(normalize::contact_activity(raw));
            match normalize::contact(&self.account, raw) {
                Ok(row) => rows.contacts.push(row),
                Err(e) => {
                    counts.contacts.skipped += 1;
                    tracing::warn!(error = %e, "skipping a Chatwoot contact");
                }
            }
        }
        pass.max_page_len = pass.max_page_len.max(len);
        let done = len == 0
            || len < pass.max_page_len
            || page.count.is_some_and(|count| {
                (pass.page as u64 - 1) * pass.max_page_len as u64 + len as u64 >= count
            })
            || (pass.mode == PassMode::Incremental && reached_old);
        let next = if done {
            Pass {
                phase: Phase::Conversations,
                page: 1,
                max_page_len: 0,
                ..pass
            }
        } else {
            Pass {
                page: pass.page + 1,
                ..pass
            }
        };
        self.commit(rows, counts, Some(next.clone()), None).await?;
        Ok(next)
    }

    /// Reads the conversation pages from `pass.page` on and commits them. While a page
    /// commits, the next one is already being fetched: Chatwoot (the network) and PostgreSQL
    /// work at the same time, and the commit order (hence the watermark) is unchanged.
    pub(super) async fn conversations_phase(&mut self, mut pass: Pass) -> Result<(), SyncError> {
        let mut fetched = self.fetch_conversations(&pass).await?;
        loop {
            let (rows, counts, done) = self.prepare_conversations(&mut pass, fetched);
            if done {
                return self.commit(rows, counts, None, Some(&pass)).await;
            }
            let next = Pass {
                page: pass.page + 1,
                ..pass.clone()
            };
            let prefetch = self.fetch_conversations(&next);
            // Not try_join: a failed prefetch must not cancel the commit of a good page.
            let (committed, page) = tokio::join!(
                self.commit(rows, counts, Some(next.clone()), None),
                prefetch
            );
            committed?;
            fetched = page?;
            pass = next;
        }
    }

    /// A future reading page `pass.page` with the messages to (re)read, owning what it needs
    /// so it can run while `self` commits.
    pub(super) fn fetch_conversations(
        &self,
        pass: &Pass,
    ) -> impl Future<Output = Result<FetchedConversations, SyncError>> + use<> {
        let client = self.client.clone();
        let db = self.db.clone();
        let scope = *self.scope;
        let account = self.account;
        let concurrency = self.options.message_concurrency.max(1);
        let (page_number, mode, since) = (pass.page, pass.mode, pass.conversations_since);
        async move {
            let page = client.conversations(page_number).await?;
            let mut skipped = 0;
            let mut conversations = Vec::with_capacity(page.payload.len());
            for raw in &page.payload {
                match normalize::conversation(&account, raw) {
                    Ok(c) => conversations.push(c),
                    Err(e) => {
                        skipped += 1;
                        tracing::warn!(error = %e, "skipping a Chatwoot conversation");
                    }
                }
            }
            let touched: Vec<ConversationLink> = conversations
                .iter()
                .filter(|c| match (mode, since) {
                    (PassMode::Incremental, Some(since)) => c.activity.is_none_or(|a| a >= since),
                    _ => true,
                })
                .map(NormalizedConversation::link)
                .collect();
            let starts = message_starts(&db, &scope, &touched, mode, since).await?;
            let client = &client;
            let messages: Vec<(ConversationLink, Vec<Value>)> = stream::iter(touched)
                .map(|link| {
                    let after = starts.get(&link.global_id).copied().unwrap_or(0);
                    async move {
                        let messages = fetch_messages(client, link.display_id, after).await?;
                        Ok::<_, ChatwootError>((link, messages))
                    }
                })
                .buffer_unordered(concurrency)
                .try_collect()
                .await?;
            Ok(FetchedConversations {
                len: page.payload.len(),
                all_count: page.all_count,
                skipped,
                conversations,
                messages,
            })
        }
    }

    /// Turns a fetched page into rows and counts, advancing `pass`; true when it is the last.
    pub(super) fn prepare_conversations(
        &self,
        pass: &mut Pass,
        fetched: FetchedConversations,
    ) -> (PageRows, SyncCounts, bool) {
        let FetchedConversations {
            len,
            all_count,
            skipped,
            conversations,
            messages,
        } = fetched;
        let mut counts = self.counts.clone();
        counts.conversations.seen += len as u64;
        counts.conversations.skipped += skipped;
        let reached_old = pass.conversations_since.is_some_and(|since| {
            conversations
                .last()
                .is_some_and(|c| c.activity.is_none_or(|a| a < since))
        });
        for c in &conversations {
            pass.conversations_high = pass.conversations_high.max(c.activity);
        }
        let mut rows = PageRows::default();
        for (link, raws) in &messages {
            for raw in raws {
                counts.messages.seen += 1;
                match normalize::message(&self.account, raw, Some(link)) {
                    Ok(row) => rows.messages.push(row),
                    Err(e) => {
                        counts.messages.skipped += 1;
                        tracing::warn!(error = %e, "skipping a Chatwoot message");
                    }
                }
            }
        }
        // Messages sorted by id make batches deterministic and index-friendly.
        rows.messages.sort_by_key(|m| m.message_id);
        for c in conversations {
            if let Some(sender) = c.sender {
                counts.contacts.seen += 1;
                rows.contacts.push(sender);
            }
            rows.conversations.push(c.row);
        }
        pass.max_page_len = pass.max_page_len.max(len);
        let done = len == 0
            || len < pass.max_page_len
            || all_count.is_some_and(|count| {
                (pass.page as u64 - 1) * pass.max_page_len as u64 + len as u64 >= count
            })
            || (pass.mode == PassMode::Incremental && reached_old);
        (rows, counts, done)
    }

    /// Commits a page: rows, the watermark (the next page, or the finished pass's cursors)
    /// and the run's progress, in one transaction guarded by the run token.
    pub(super) async fn commit(
        &mut self,
        rows: PageRows,
        mut counts: SyncCounts,
        next: Option<Pass>,
        finished: Option<&Pass>,
    ) -> Result<(), SyncError> {
        let txn = self.db.begin().await?;
        let mut row = lock_watermark(&txn, self.scope, &self.source_name()).await?;
        if row.meta.run_token.as_deref() != Some(self.token.as_str()) {
            return Err(SyncError::Superseded);
        }
        let max_message_id = rows.messages.iter().map(|m| m.message_id).max();
        let contacts = store::upsert_contacts(&txn, self.scope, rows.contacts).await?;
        let conversations =
            store::upsert_conversations(&txn, self.scope, &rows.conversations).await?;
        let messages = store::upsert_messages(&txn, self.scope, &rows.messages).await?;
        counts.contacts.add_written(contacts);
        counts.conversations.add_written(conversations);
        counts.messages.add_written(messages.written);
        counts.pages += 1;
        counts.requests = self.client.requests();

        let previous_max = row.cursor_id.as_deref().and_then(|s| s.parse::<i64>().ok());
        if let Some(max) = max_message_id.max(previous_max) {
            row.cursor_id = Some(max.to_string());
        }
        match finished {
            Some(pass) => {
                let now = Utc::now();
                row.meta.pass = None;
                if let Some(high) = pass.contacts_high {
                    row.meta.contacts_cursor =
                        Some(high.max(row.meta.contacts_cursor.unwrap_or(0)));
                }
                if let Some(high) = pass
                    .conversations_high
                    .and_then(|h| DateTime::from_timestamp(h, 0))
                {
                    row.cursor_ts = Some(row.cursor_ts.map_or(high, |t| t.max(high)));
                }
                row.meta.last_completed_at = Some(now);
                if pass.mode == PassMode::Full {
                    row.meta.last_full_at = Some(now);
                }
            }
            None => row.meta.pass = next.clone(),
        }
        write_watermark(&txn, self.scope, &self.source_name(), &row).await?;
        txn.execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "update job_runs set processed_count = $1, meta = meta || $2 \
             where id = $3 and project_id = $4",
            [
                count_i32(counts.processed()).into(),
                DbValue::Json(Some(Box::new(run_meta(
                    &counts,
                    next.as_ref().or(finished),
                )))),
                self.run_id.into(),
                self.scope.project_id().into(),
            ],
        ))
        .await?;
        txn.commit().await?;
        self.counts = counts;
        Ok(())
    }
}

/// One conversations page, normalised, with the messages read for it.
pub(super) struct FetchedConversations {
    pub(super) len: usize,
    pub(super) all_count: Option<u64>,
    pub(super) skipped: u64,
    pub(super) conversations: Vec<NormalizedConversation>,
    pub(super) messages: Vec<(ConversationLink, Vec<Value>)>,
}

/// Where each conversation's message read starts: 0 in a full pass; otherwise the newest
/// message already stored from before the overlap window (everything after it is re-read,
/// which also covers messages a webhook stored out of order).
pub(super) async fn message_starts(
    db: &DatabaseConnection,
    scope: &Scope,
    touched: &[ConversationLink],
    mode: PassMode,
    since: Option<i64>,
) -> Result<HashMap<String, i64>, DbErr> {
    let Some(since) = since.filter(|_| mode == PassMode::Incremental) else {
        return Ok(HashMap::new());
    };
    if touched.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<&str> = touched.iter().map(|l| l.global_id.as_str()).collect();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select conversation_global_id as id, max(message_id) as start from cw_messages \
             where project_id = $1 \
               and conversation_global_id in (select jsonb_array_elements_text($2::jsonb)) \
               and created_at < to_timestamp($3) \
             group by conversation_global_id",
            [
                scope.project_id().into(),
                DbValue::Json(Some(Box::new(json!(ids)))),
                (since as f64).into(),
            ],
        ))
        .await?;
    let mut starts = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: String = row.try_get("", "id")?;
        let start: Option<i64> = row.try_get("", "start")?;
        starts.insert(id, start.unwrap_or(0));
    }
    Ok(starts)
}

/// Every message of a conversation after message id `after`, oldest first.
pub(super) async fn fetch_messages(
    client: &ChatwootClient,
    display_id: i64,
    after: i64,
) -> Result<Vec<Value>, ChatwootError> {
    let mut out = Vec::new();
    let mut cursor = after;
    loop {
        let page = client
            .messages(display_id, MessagesCursor::After(cursor))
            .await?;
        let n = page.payload.len();
        let max_id = page
            .payload
            .iter()
            .filter_map(|m| m.get("id").and_then(lenient_i64))
            .max();
        out.extend(page.payload);
        match max_id {
            Some(max) if max > cursor && n >= MESSAGES_AFTER_LIMIT => cursor = max,
            _ => return Ok(out),
        }
    }
}

pub(super) async fn lock_watermark<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    source: &str,
) -> Result<WatermarkRow, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select cursor_ts, cursor_id, meta from sync_watermarks \
             where project_id = $1 and source = $2 for update",
            [scope.project_id().into(), source.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("sync watermark {source}")))?;
    let meta: Value = row.try_get("", "meta")?;
    Ok(WatermarkRow {
        cursor_ts: row
            .try_get::<Option<DateTime<chrono::FixedOffset>>>("", "cursor_ts")?
            .map(|t| t.with_timezone(&Utc)),
        cursor_id: row.try_get("", "cursor_id")?,
        // A meta this version cannot read restarts the pass rather than failing every run.
        meta: serde_json::from_value(meta).unwrap_or_default(),
    })
}

pub(super) async fn write_watermark<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    source: &str,
    row: &WatermarkRow,
) -> Result<(), DbErr> {
    let meta = serde_json::to_value(&row.meta).map_err(|e| DbErr::Custom(e.to_string()))?;
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "update sync_watermarks set cursor_ts = $1, cursor_id = $2, meta = $3 \
         where project_id = $4 and source = $5",
        [
            row.cursor_ts.into(),
            row.cursor_id.clone().into(),
            DbValue::Json(Some(Box::new(meta))),
            scope.project_id().into(),
            source.into(),
        ],
    ))
    .await?;
    Ok(())
}
