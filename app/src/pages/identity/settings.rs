//! Project settings: the Chatwoot source (secrets write-only), Telegram binding status, API
//! tokens and the audit log.
use leptos::prelude::*;

use crate::{
    api::{
        conversations::{BindChatwoot, SyncNow, sync_status},
        error_text,
        identity::{
            CreateBindCode, CreateToken, RevokeToken, UpdateProjectSettings, audit_page,
            load_settings,
            ops::{audit_events_query::AuditEventsQueryAuditEventsEdgesNode, settings_query},
        },
    },
    components::{
        feedback::{EmptyState, Loading},
        forms::{Field, FormError, action_error},
    },
    session_state::use_session,
};

/// The settings page of the working project.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let state = use_session();
    view! {
        <h1>"Project settings"</h1>
        <Transition fallback=|| view! { <Loading label="Loading…"/> }>
            {move || Suspend::new(async move {
                match state.session.await {
                    Ok(Some(session)) if session.me.active_project.is_some() => {
                        view! { <Settings csrf=session.csrf_token()/> }.into_any()
                    }
                    Ok(Some(_)) => view! {
                        <EmptyState title="No project selected" hint="Create or switch to a project first."/>
                    }
                    .into_any(),
                    Ok(None) => view! {
                        <div class="empty-state"><p><a href="/login">"Sign in"</a>" to manage settings."</p></div>
                    }
                    .into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Settings(csrf: String) -> impl IntoView {
    let bind = ServerAction::<BindChatwoot>::new();
    let create_token = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let bind_code = ServerAction::<CreateBindCode>::new();
    let save_rules = ServerAction::<UpdateProjectSettings>::new();
    let state = use_session();
    let settings = Resource::new(
        move || {
            (
                state.version.get(),
                bind.version().get(),
                create_token.version().get(),
                revoke.version().get(),
                bind_code.version().get(),
                save_rules.version().get(),
            )
        },
        |_| load_settings(),
    );
    let csrf = StoredValue::new(csrf);
    view! {
        <Transition fallback=|| view! { <Loading label="Loading settings…"/> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(view) => view! {
                        <p class="muted">"Project: " <strong>{view.project_name()}</strong></p>
                        <SourceSection view=view.clone() bind csrf=csrf.get_value()/>
                        <RulesSection view=view.clone() save=save_rules csrf=csrf.get_value()/>
                        <TelegramSection view=view.clone() bind_code csrf=csrf.get_value()/>
                        <TokenSection view create_token revoke csrf=csrf.get_value()/>
                    }
                    .into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
        <SyncSection csrf=csrf.get_value()/>
        <AuditSection/>
    }
}

/// Sync status of each source, refreshed every two seconds while a sync is queued or running.
#[component]
fn SyncSection(csrf: String) -> impl IntoView {
    let sync = ServerAction::<SyncNow>::new();
    let tick = RwSignal::new(0u64);
    let status = Resource::new(
        move || (tick.get(), sync.version().get()),
        |_| sync_status(),
    );
    let busy = Memo::new(move |_| {
        status
            .get()
            .and_then(|r| r.ok())
            .is_some_and(|rows| rows.iter().any(|r| r.in_progress()))
    });
    // Polling only while something runs: an idle page makes no requests.
    Effect::new(move |_| {
        if busy.get() {
            set_timeout(
                move || tick.update(|t| *t += 1),
                std::time::Duration::from_secs(2),
            );
        }
    });
    let csrf = StoredValue::new(csrf);
    view! {
        <section class="panel" data-testid="sync-section">
            <h2>"Sync"</h2>
            <Transition fallback=|| view! { <Loading label="Loading sync status…"/> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(rows) if rows.is_empty() => view! {
                            <p class="muted">"Bind a Chatwoot account above to start syncing."</p>
                        }.into_any(),
                        Ok(rows) => rows.into_iter().map(|r| {
                            let state = match (&r.pending_status, r.last_status()) {
                                (Some(p), _) => format!("sync {p}"),
                                (None, Some(s)) => format!("last run {s}"),
                                (None, None) => "never synced".to_owned(),
                            };
                            view! {
                                <dl class="facts" data-testid="sync-row">
                                    <dt>"Account"</dt><dd>{format!("{} at {}", r.account_id, r.base_url)}</dd>
                                    <dt>"State"</dt><dd data-testid="sync-state">{state}</dd>
                                    <dt>"Last run"</dt><dd>{format!(
                                        "{} · {} rows{}",
                                        r.last_started().unwrap_or_else(|| "—".to_owned()).get(..19).unwrap_or("—").replace('T', " "),
                                        r.last_processed(),
                                        if r.last_counts().is_empty() { String::new() } else { format!(" ({})", r.last_counts()) }
                                    )}</dd>
                                    <dt>"Synced up to"</dt><dd>{r.watermark_at.clone().unwrap_or_else(|| "—".to_owned())}</dd>
                                    {r.last_error().or(r.pending_error.clone()).map(|e| view! {
                                        <dt>"Error"</dt><dd class="form-error">{e}</dd>
                                    })}
                                </dl>
                                <ActionForm action=sync>
                                    <input type="hidden" name="source_id" value=r.source_id.clone()/>
                                    <input type="hidden" name="csrf" value=csrf.get_value()/>
                                    <button type="submit" class="btn-small">"Sync now"</button>
                                </ActionForm>
                            }
                        }).collect_view().into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SourceSection(
    view: settings_query::ResponseData,
    bind: ServerAction<BindChatwoot>,
    csrf: String,
) -> impl IntoView {
    let error = action_error(bind.value());
    let bound = !view.project_sources.is_empty();
    view! {
        <section class="panel" data-testid="chatwoot-section">
            <h2>"Chatwoot account"</h2>
            {view.project_sources.into_iter().map(|s| view! {
                <dl class="facts">
                    <dt>"Account"</dt><dd>{s.account_id}" at "{s.base_url}</dd>
                    <dt>"Webhook URL"</dt><dd><code>{s.webhook_path}</code>" (on this server)"</dd>
                    <dt>"API access token"</dt><dd>{if s.has_api_access_token { "stored (hidden)" } else { "missing" }}</dd>
                    <dt>"Webhook secret"</dt><dd>{if s.has_webhook_secret { "stored (hidden)" } else { "not set" }}</dd>
                    <dt>"Signature check"</dt><dd>{if s.verify_signatures { "on" } else { "off" }}</dd>
                </dl>
            }).collect_view()}
            {(!bound).then(|| view! {
                <ActionForm action=bind attr:class="form">
                    <Field name="base_url" api_field="baseUrl" label="Chatwoot URL" kind="url" error/>
                    <Field name="account_id" api_field="accountId" label="Account id" error/>
                    <Field name="api_access_token" api_field="apiAccessToken" label="API access token"
                        kind="password" error/>
                    <Field name="webhook_secret" api_field="webhookSecret" label="Webhook secret"
                        kind="password" required=false error/>
                    <label class="check">
                        <input type="checkbox" name="verify_signatures" value="on" checked=true/>
                        " Require webhook signatures"
                    </label>
                    <input type="hidden" name="csrf" value=csrf.clone()/>
                    <FormError error fields=&["baseUrl", "accountId", "apiAccessToken", "webhookSecret"]/>
                    <button type="submit" class="btn-primary">"Bind account"</button>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
fn TelegramSection(
    view: settings_query::ResponseData,
    bind_code: ServerAction<CreateBindCode>,
    csrf: String,
) -> impl IntoView {
    let code = move || bind_code.value().get().and_then(|r| r.ok());
    let error = action_error(bind_code.value());
    let status = match (
        view.telegram_status.bot_configured,
        view.telegram_status.owner_bound,
    ) {
        (false, _) => {
            "No bot is configured on the server; sign-up is off (users are created with `server create-user`)."
        }
        (true, false) => {
            "A bot is configured but the owner's chat is not bound yet: sign-up PINs cannot be delivered."
        }
        (true, true) => "Connected: sign-up PINs go to the owner's Telegram chat.",
    };
    let is_admin = view.is_admin() && view.telegram_status.bot_configured;
    view! {
        <section class="panel" data-testid="telegram-section">
            <h2>"Telegram"</h2>
            <p>{status}</p>
            {is_admin.then(|| view! {
                <ActionForm action=bind_code attr:class="form inline">
                    <input type="hidden" name="csrf" value=csrf.clone()/>
                    <button type="submit" class="btn-small">"Create a bind code"</button>
                </ActionForm>
                <FormError error fields=&[]/>
                {move || code().map(|c| view! {
                    <p class="notice">"Send " <code>{c.bot_command}</code> " to the bot from the owner's chat."</p>
                })}
            })}
        </section>
    }
}

#[component]
fn TokenSection(
    view: settings_query::ResponseData,
    create_token: ServerAction<CreateToken>,
    revoke: ServerAction<RevokeToken>,
    csrf: String,
) -> impl IntoView {
    let error = action_error(create_token.value());
    let created = move || create_token.value().get().and_then(|r| r.ok());
    let tokens = view.api_tokens;
    let revoke_csrf = csrf.clone();
    view! {
        <section class="panel" data-testid="tokens-section">
            <h2>"API tokens"</h2>
            <p class="muted">"Send a token as " <code>"Authorization: Bearer <token>"</code> " to " <code>"/graphql"</code> "."</p>
            {move || created().map(|t| view! {
                <div class="notice" role="status" data-testid="new-token">
                    <p>"Token “" {t.api_token.name} "” created. Copy it now: it will not be shown again."</p>
                    <code class="secret">{t.token}</code>
                </div>
            })}
            <ActionForm action=create_token attr:class="form inline" attr:data-testid="create-token-form">
                <Field name="name" api_field="name" label="Token name" error/>
                <Field name="expires_in_days" api_field="expiresInDays" label="Expires in days (optional)"
                    required=false error/>
                <label class="check">
                    <input type="checkbox" name="can_write" value="on"/>
                    " Can change data (write); without it the token only reads"
                </label>
                <input type="hidden" name="csrf" value=csrf/>
                <FormError error fields=&["name", "expiresInDays"]/>
                <button type="submit" class="btn-primary">"Create token"</button>
            </ActionForm>
            {if tokens.is_empty() {
                view! { <p class="muted">"No tokens yet."</p> }.into_any()
            } else {
                view! {
                    <table class="data-table">
                        <thead><tr>
                            <th scope="col">"Name"</th><th scope="col">"Prefix"</th><th scope="col">"Access"</th><th scope="col">"Created"</th>
                            <th scope="col">"Last used"</th><th scope="col">"Status"</th><th scope="col"></th>
                        </tr></thead>
                        <tbody>
                            {tokens.into_iter().map(|t| {
                                let csrf = revoke_csrf.clone();
                                view! {
                                    <tr>
                                        <td>{t.name.clone()}</td>
                                        <td><code>{t.prefix.clone()}"…"</code></td>
                                        <td>{t.access()}</td>
                                        <td>{t.created_on().to_owned()}</td>
                                        <td>{t.last_used_on().unwrap_or("never").to_owned()}</td>
                                        <td>{if t.revoked() { "revoked".to_owned() } else {
                                            t.expires_on().map(|d| format!("active until {d}")).unwrap_or_else(|| "active".to_owned())
                                        }}</td>
                                        <td>
                                            {(!t.revoked()).then(|| view! {
                                                <ActionForm action=revoke>
                                                    <input type="hidden" name="id" value=t.id.clone()/>
                                                    <input type="hidden" name="csrf" value=csrf.clone()/>
                                                    <button type="submit" class="btn-small">"Revoke"</button>
                                                </ActionForm>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
    }
}

/// The project's rules: four eyes, the discount threshold, frequency caps, opt-out phrases and
/// the sync interval (owners and admins save; everyone sees them).
#[component]
fn RulesSection(
    view: settings_query::ResponseData,
    save: ServerAction<UpdateProjectSettings>,
    csrf: String,
) -> impl IntoView {
    let error = action_error(save.value());
    let saved = move || save.value().get().is_some_and(|r| r.is_ok());
    let rules = view.project_settings;
    let window_days = (rules.default_frequency_window_seconds / 86_400)
        .max(1)
        .to_string();
    let sync_minutes = rules.sync_interval_seconds.map(|s| (s / 60).to_string());
    let has_source = sync_minutes.is_some();
    view! {
        <section class="panel" data-testid="rules-section">
            <h2>"Rules"</h2>
            <p class="muted">"Owners and admins change these; every change is in the audit log."</p>
            {move || saved().then(|| view! { <p class="notice" role="status">"Rules saved."</p> })}
            <ActionForm action=save attr:class="form" attr:data-testid="rules-form">
                <label class="check">
                    <input type="checkbox" name="outbound_four_eyes" value="on"
                        checked=rules.outbound_four_eyes/>
                    " Outbound messages need an approver other than their author"
                </label>
                <Field name="offer_discount_approval_threshold" api_field="offerDiscountApprovalThreshold"
                    label="Offers with a discount above this % need a second approver"
                    value=rules.offer_discount_approval_threshold.to_string() error/>
                <Field name="default_frequency_cap" api_field="defaultFrequencyCap"
                    label="At most this many messages per contact…"
                    value=rules.default_frequency_cap.to_string() error/>
                <Field name="frequency_window_days" api_field="defaultFrequencyWindowSeconds"
                    label="…within this many days" value=window_days error/>
                <div class="field">
                    <label for="field-opt_out_phrases">"Opt-out phrases, one per line (empty: the built-in ones)"</label>
                    <textarea id="field-opt_out_phrases" name="opt_out_phrases" rows="4">{rules.opt_out_phrases.join("\n")}</textarea>
                </div>
                {has_source.then(|| view! {
                    <Field name="sync_interval_minutes" api_field="syncIntervalSeconds"
                        label="Sync Chatwoot every this many minutes"
                        value=sync_minutes.clone().unwrap_or_default() error/>
                })}
                <input type="hidden" name="csrf" value=csrf/>
                <FormError error fields=&["offerDiscountApprovalThreshold", "defaultFrequencyCap",
                    "defaultFrequencyWindowSeconds", "optOutPhrases", "syncIntervalSeconds"]/>
                <button type="submit" class="btn-primary">"Save rules"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn AuditSection() -> impl IntoView {
    let action_filter = RwSignal::new(String::new());
    let rows = RwSignal::new(Vec::<AuditEventsQueryAuditEventsEdgesNode>::new());
    let next = RwSignal::new(None::<String>);
    let total = RwSignal::new(0i64);
    let error = RwSignal::new(None::<String>);
    let load = Action::new(move |input: &(String, Option<String>)| {
        let (action, after) = input.clone();
        async move { (after.is_some(), audit_page(Some(action), after).await) }
    });
    Effect::new(move |_| {
        if let Some((appending, result)) = load.value().get() {
            match result {
                Ok(page) => {
                    rows.update(|r| {
                        if !appending {
                            r.clear();
                        }
                        r.extend(page.edges.iter().map(|e| e.node.clone()));
                    });
                    next.set(page.next());
                    total.set(page.total_count);
                    error.set(None);
                }
                Err(e) => error.set(Some(error_text(&e))),
            }
        }
    });
    // First page once hydrated.
    Effect::new(move |_| {
        load.dispatch((String::new(), None));
    });
    view! {
        <section class="panel" data-testid="audit-section">
            <h2>"Audit log"</h2>
            <form class="form inline" on:submit=move |ev| {
                ev.prevent_default();
                load.dispatch((action_filter.get_untracked(), None));
            }>
                <div class="field">
                    <label for="audit-action">"Action"</label>
                    <input id="audit-action" placeholder="e.g. token.created"
                        prop:value=move || action_filter.get()
                        on:input=move |ev| action_filter.set(event_target_value(&ev))/>
                </div>
                <button type="submit" class="btn-small">"Filter"</button>
            </form>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <p class="muted">{move || match total.get() {
                0 => "No events yet: logins, tokens, sources and project changes appear here.".to_owned(),
                1 => "1 event".to_owned(),
                n => format!("{n} events"),
            }}</p>
            <table class="data-table">
                <thead><tr>
                    <th scope="col">"When"</th><th scope="col">"Actor"</th><th scope="col">"Action"</th>
                    <th scope="col">"Target"</th><th scope="col">"Evidence"</th>
                </tr></thead>
                <tbody>
                    <For each=move || rows.get() key=|r| r.id.clone() let:row>
                        <tr>
                            <td><time datetime=row.created_at.clone()>{row.created_at.get(..19).unwrap_or(&row.created_at).replace('T', " ")}</time></td>
                            <td>{row.actor.clone()}</td>
                            <td><code>{row.action.clone()}</code></td>
                            <td>{row.target()}</td>
                            <td>{row.evidence_refs().join(", ")}</td>
                        </tr>
                    </For>
                </tbody>
            </table>
            <Show when=move || next.get().is_some()>
                <button class="btn-small" on:click=move |_| {
                    load.dispatch((action_filter.get_untracked(), next.get_untracked()));
                }>
                    "Load more"
                </button>
            </Show>
        </section>
    }
}
