//! The CRM: accounts (listing with a filter and a create form), one account (edit, archive,
//! merge a duplicate into it; contacts with suggest/confirm/reject and a link form;
//! opportunities and a create form), one opportunity (edit, move with a note, stage history),
//! the pipeline board and its stages (add, edit, reorder, delete). Every form is an ActionForm
//! with the CSRF token, so it works without JavaScript; ordering and moving use buttons and
//! selects, so nothing needs dragging.
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::{
        chatwoot::ConversationRow,
        crm::{
            AccountConversationsView, AccountDetail, AccountRef, ArchiveAccount, BoardView,
            CreateAccount, CreateOpportunity, CreateStage, DecideContact, DeleteStage, LinkContact,
            MemberChoice, MergeAccounts, MoveOpportunity, MoveOpportunityWithNote, MoveStage,
            OpportunityDetail, StageRow, SuggestContacts, TotalRow, UpdateAccount,
            UpdateOpportunity, UpdateStage, account_conversations, list_accounts, load_account,
            load_board, load_opportunity, load_stages, merge_candidates,
        },
        error_text, field_error,
        insights::{AccountInsightsView, RecomputeHealth, account_insights},
    },
    components::{
        feedback::{EmptyState, Loading},
        forms::{EditField, Field, FormError, action_error},
    },
    pages::insights::{AccountInsightsSections, when},
    session_state::use_session,
};

/// Renders `inner(csrf)` for a signed-in user with a working project, guidance otherwise.
pub(crate) fn with_project<V: IntoView + 'static>(
    inner: impl Fn(String) -> V + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let state = use_session();
    view! {
        <Transition fallback=|| view! { <Loading label="Loading…"/> }>
            {move || Suspend::new(async move {
                match state.session.await {
                    Ok(Some(session)) if session.active_project.is_some() => {
                        inner(session.csrf_token).into_any()
                    }
                    Ok(Some(_)) => view! {
                        <EmptyState title="No project selected" hint="Create or switch to a project first."/>
                    }
                    .into_any(),
                    Ok(None) => view! {
                        <div class="empty-state"><p><a href="/login">"Sign in"</a>" to see the CRM."</p></div>
                    }
                    .into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn totals_text(totals: &[TotalRow]) -> String {
    if totals.is_empty() {
        return "—".to_owned();
    }
    totals
        .iter()
        .map(|t| format!("{} {} (weighted {})", t.amount, t.currency, t.weighted))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The accounts page.
#[component]
pub fn AccountsPage() -> impl IntoView {
    view! {
        <h1>"Accounts"</h1>
        {with_project(|csrf| view! { <Accounts csrf/> })}
    }
}

#[component]
fn Accounts(csrf: String) -> impl IntoView {
    let create = ServerAction::<CreateAccount>::new();
    let query = use_query_map();
    let text = Memo::new(move |_| query.read().get("text").unwrap_or_default());
    let accounts = Resource::new(
        move || (text.get(), create.version().get()),
        |(text, _)| list_accounts(Some(text), None),
    );
    let error = action_error(create.value());
    view! {
        <form class="form inline" method="get" action="/accounts">
            <div class="field">
                <label for="accounts-text">"Filter"</label>
                <input id="accounts-text" name="text" placeholder="name or domain" value=move || text.get()/>
            </div>
            <button type="submit" class="btn-small">"Apply"</button>
        </form>
        <Transition fallback=|| view! { <Loading label="Loading accounts…"/> }>
            {move || Suspend::new(async move {
                match accounts.await {
                    Ok(page) if page.rows.is_empty() => view! {
                        <EmptyState title="No accounts" hint="Create one below, or change the filter."/>
                    }.into_any(),
                    Ok(page) => view! {
                        <p class="muted">{format!("{} account(s)", page.total)}</p>
                        <table class="data-table" data-testid="accounts-table">
                            <thead><tr>
                                <th scope="col">"Name"</th><th scope="col">"Domain"</th>
                                <th scope="col">"Industry"</th><th scope="col">"Status"</th>
                            </tr></thead>
                            <tbody>
                                {page.rows.into_iter().map(|a| view! {
                                    <tr>
                                        <td><a href=format!("/accounts/{}", a.id)>{a.name}</a></td>
                                        <td>{a.domain.unwrap_or_default()}</td>
                                        <td>{a.industry.unwrap_or_default()}</td>
                                        <td>{a.status.to_lowercase()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
        <section class="panel">
            <h2>"New account"</h2>
            <ActionForm action=create attr:class="form" attr:data-testid="create-account-form">
                <Field name="name" api_field="name" label="Name" error/>
                <Field name="domain" api_field="domain" label="Email domain" required=false error/>
                <input type="hidden" name="csrf" value=csrf/>
                <FormError error fields=&["name", "domain"]/>
                <button type="submit" class="btn-primary">"Create account"</button>
            </ActionForm>
        </section>
    }
}

/// Changes only when `action` completes successfully, so a failed submission does not reload
/// (and reset) the forms it came from.
pub(crate) fn ok_version<S>(action: ServerAction<S>) -> Memo<usize>
where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
    S::Error: Clone + Send + Sync + 'static,
{
    Memo::new(move |prev: Option<&usize>| {
        let version = action.version().get();
        if action.value().with(|v| matches!(v, Some(Ok(_)))) {
            version
        } else {
            prev.copied().unwrap_or(0)
        }
    })
}

/// One account: details, contacts and opportunities.
#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <p><a href="/accounts">"← Accounts"</a></p>
        {with_project(|csrf| view! { <Account csrf/> })}
    }
}

/// The account page's writes, shared by its sections.
#[derive(Clone, Copy)]
struct AccountActions {
    suggest: ServerAction<SuggestContacts>,
    decide: ServerAction<DecideContact>,
    create: ServerAction<CreateOpportunity>,
    update: ServerAction<UpdateAccount>,
    archive: ServerAction<ArchiveAccount>,
    merge: ServerAction<MergeAccounts>,
    link: ServerAction<LinkContact>,
}

#[component]
fn Account(csrf: String) -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let merged_query = Memo::new(move |_| query.read().get("merged").filter(|m| !m.is_empty()));
    let actions = AccountActions {
        suggest: ServerAction::new(),
        decide: ServerAction::new(),
        create: ServerAction::new(),
        update: ServerAction::new(),
        archive: ServerAction::new(),
        merge: ServerAction::new(),
        link: ServerAction::new(),
    };
    let AccountActions {
        suggest,
        decide,
        create,
        update,
        archive,
        merge,
        link,
    } = actions;
    let (suggested, decided, created, updated, archived, merged, linked) = (
        ok_version(suggest),
        ok_version(decide),
        ok_version(create),
        ok_version(update),
        ok_version(archive),
        ok_version(merge),
        ok_version(link),
    );
    let account = Resource::new(
        move || {
            (
                id.get(),
                suggested.get(),
                decided.get(),
                created.get(),
                updated.get(),
                archived.get(),
                merged.get(),
                linked.get(),
            )
        },
        |(id, ..)| load_account(id),
    );
    // Health, signals and actions; recomputed health, confirmed contacts, merges and new
    // opportunities change them.
    let recompute = ServerAction::<RecomputeHealth>::new();
    let insights = Resource::new(
        move || {
            (
                id.get(),
                recompute.version().get(),
                decided.get(),
                created.get(),
                merged.get(),
                linked.get(),
            )
        },
        |(id, ..)| account_insights(id),
    );
    let conversations = Resource::new(
        move || (id.get(), decided.get(), merged.get(), linked.get()),
        |(id, ..)| account_conversations(id),
    );
    let candidates = Resource::new(
        move || (id.get(), merged.get(), archived.get()),
        |(id, ..)| merge_candidates(id),
    );
    let csrf = StoredValue::new(csrf);
    view! {
        <MergeResult merge merged_query/>
        <Transition fallback=|| view! { <Loading label="Loading account…"/> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(detail) => view! {
                        <AccountBody detail csrf=csrf.get_value() actions insights recompute conversations candidates/>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What the last merge into this account did (or, without JavaScript, that one happened).
#[component]
fn MergeResult(
    merge: ServerAction<MergeAccounts>,
    merged_query: Memo<Option<String>>,
) -> impl IntoView {
    move || {
        match (merge.value().get(), merged_query.get()) {
        (Some(Ok(done)), _) => Some(view! {
            <p class="notice" role="status" data-testid="merge-result">
                {format!(
                    "Merged “{}” into “{}”: {} contact link(s) and {} opportunit{} moved. ",
                    done.source.name,
                    done.target.name,
                    done.moved_contacts,
                    done.moved_opportunities,
                    if done.moved_opportunities == 1 { "y" } else { "ies" },
                )}
                <a href=format!("/accounts/{}", done.source.id)>"See the merged record"</a>
            </p>
        }.into_any()),
        (_, Some(source)) => Some(view! {
            <p class="notice" role="status" data-testid="merge-result">
                "An account was merged into this one; its contacts and opportunities are now here. "
                <a href=format!("/accounts/{source}")>"See the merged record"</a>
            </p>
        }.into_any()),
        _ => None,
    }
    }
}

#[component]
fn AccountBody(
    detail: AccountDetail,
    csrf: String,
    actions: AccountActions,
    insights: Resource<Result<AccountInsightsView, ServerFnError>>,
    recompute: ServerAction<RecomputeHealth>,
    conversations: Resource<Result<AccountConversationsView, ServerFnError>>,
    candidates: Resource<Result<Vec<AccountRef>, ServerFnError>>,
) -> impl IntoView {
    let a = detail.account;
    let status = a.status.clone();
    let is_merged = status == "MERGED";
    let is_archived = status == "ARCHIVED";
    let AccountActions { decide, .. } = actions;
    let decide_error = action_error(decide.value());
    let contacts = detail
        .contacts
        .into_iter()
        .map(|c| {
            let confirm = c.status != "CONFIRMED" && !is_merged;
            let reject = c.status != "REJECTED" && !is_merged;
            let (id1, id2, csrf1, csrf2) = (c.id.clone(), c.id.clone(), csrf.clone(), csrf.clone());
            let confirm_label = format!("Confirm {}", c.label);
            let reject_label = format!("Reject {}", c.label);
            view! {
                <tr data-testid="contact-link" data-status=c.status.clone()>
                    <td><a href=format!("/contacts/{}", c.contact_id)>{c.label}</a></td>
                    <td>{c.email.unwrap_or_default()}</td>
                    <td>{c.role.unwrap_or_default()}</td>
                    <td><span class=format!("status status-{}", c.status.to_lowercase())>{c.status.to_lowercase()}</span></td>
                    <td>{c.source.to_lowercase().replace('_', " ")}</td>
                    <td class="actions">
                        {confirm.then(|| view! {
                            <ActionForm action=decide>
                                <input type="hidden" name="id" value=id1/>
                                <input type="hidden" name="decision" value="confirm"/>
                                <input type="hidden" name="csrf" value=csrf1/>
                                <button type="submit" class="btn-small" aria-label=confirm_label>"Confirm"</button>
                            </ActionForm>
                        })}
                        {reject.then(|| view! {
                            <ActionForm action=decide>
                                <input type="hidden" name="id" value=id2/>
                                <input type="hidden" name="decision" value="reject"/>
                                <input type="hidden" name="csrf" value=csrf2/>
                                <button type="submit" class="btn-small" aria-label=reject_label>"Reject"</button>
                            </ActionForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    let has_contacts = !contacts.is_empty();
    let opportunities = detail
        .opportunities
        .into_iter()
        .map(|o| {
            view! {
                <tr data-testid="account-opportunity">
                    <td><a href=format!("/opportunities/{}", o.id)>{o.name}</a></td>
                    <td class="num">{format!("{} {}", o.amount, o.currency)}</td>
                    <td>{o.stage}</td>
                    <td class="num">{o.probability.map(|p| format!("{p} %")).unwrap_or_default()}</td>
                    <td>{o.expected_close.unwrap_or_else(|| "—".to_owned())}</td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    let has_opportunities = !opportunities.is_empty();
    let archived_at = detail.archived_at.clone();
    view! {
        <h1>{a.name.clone()}</h1>
        {detail.merged_into.clone().map(|t| view! {
            <p class="notice notice-warning" role="status" data-testid="merged-notice">
                "This account was merged into "
                <a href=format!("/accounts/{}", t.id) data-testid="merged-into-link">{t.name}</a>
                ". Its contacts and opportunities are there now; this page is kept as a record."
            </p>
        })}
        <dl class="facts panel">
            <dt>"Domain"</dt><dd>{a.domain.clone().unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"Website"</dt><dd>{detail.website.clone().unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"Industry"</dt><dd data-testid="account-industry">{a.industry.clone().unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"Owner"</dt><dd data-testid="account-owner">{detail.owner.label()}</dd>
            <dt>"Status"</dt>
            <dd>
                <span class=format!("status status-{}", status.to_lowercase()) data-testid="account-status">{status.to_lowercase()}</span>
                {archived_at.map(|t| view! { " since " <time datetime=t.clone()>{when(&t)}</time> })}
            </dd>
        </dl>
        {(!is_merged).then(|| view! {
            <AccountAdmin id=a.id.clone() name=a.name.clone() domain=a.domain.clone() website=detail.website.clone()
                industry=a.industry.clone() owner=detail.owner.id.clone() members=detail.members.clone()
                archived=is_archived csrf=csrf.clone() actions/>
        })}
        <AccountInsightsSections account_id=a.id.clone() insights recompute csrf=csrf.clone()/>
        <section class="panel" data-testid="account-contacts">
            <h2>"Contacts"</h2>
            {(!is_merged).then(|| view! { <SuggestContactsForm account_id=a.id.clone() csrf=csrf.clone() suggest=actions.suggest/> })}
            <FormError error=decide_error fields=&[]/>
            {if has_contacts {
                view! {
                    <table class="data-table" data-testid="contacts-table">
                        <thead><tr>
                            <th scope="col">"Contact"</th><th scope="col">"Email"</th><th scope="col">"Role"</th>
                            <th scope="col">"Status"</th><th scope="col">"Found by"</th><th scope="col">"Decision"</th>
                        </tr></thead>
                        <tbody>{contacts}</tbody>
                    </table>
                }.into_any()
            } else {
                view! {
                    <EmptyState title="No contacts yet"
                        hint="Suggest contacts (by email domain or Chatwoot company), or link one below."/>
                }.into_any()
            }}
            {(!is_merged).then(|| view! { <LinkContactForm account_id=a.id.clone() csrf=csrf.clone() link=actions.link/> })}
        </section>
        <AccountConversationsSection conversations/>
        <section class="panel">
            <h2>"Opportunities"</h2>
            {if has_opportunities {
                view! {
                    <table class="data-table" data-testid="account-opportunities">
                        <thead><tr>
                            <th scope="col">"Name"</th><th scope="col">"Amount"</th><th scope="col">"Stage"</th>
                            <th scope="col">"Probability"</th><th scope="col">"Expected close"</th>
                        </tr></thead>
                        <tbody>{opportunities}</tbody>
                    </table>
                }.into_any()
            } else {
                view! { <EmptyState title="No opportunities" hint="Create the first one below."/> }.into_any()
            }}
            {match (is_merged, is_archived) {
                (true, _) => None,
                (false, true) => Some(view! {
                    <p class="muted">"Unarchive the account to add opportunities."</p>
                }.into_any()),
                (false, false) => Some(view! {
                    <CreateOpportunityForm account_id=a.id.clone() csrf=csrf.clone() create=actions.create/>
                }.into_any()),
            }}
        </section>
        {(!is_merged).then(|| view! {
            <MergeSection account_id=a.id.clone() name=a.name.clone() archived=is_archived csrf candidates merge=actions.merge/>
        })}
    }
    .into_any()
}

/// Edit the account's details; archive or bring it back.
#[component]
fn AccountAdmin(
    id: String,
    name: String,
    domain: Option<String>,
    website: Option<String>,
    industry: Option<String>,
    owner: Option<String>,
    members: Vec<MemberChoice>,
    archived: bool,
    csrf: String,
    actions: AccountActions,
) -> impl IntoView {
    let AccountActions {
        update, archive, ..
    } = actions;
    let error = action_error(update.value());
    let saved = move || matches!(update.value().get(), Some(Ok(())));
    let archive_error = action_error(archive.value());
    let (id2, csrf2) = (id.clone(), csrf.clone());
    view! {
        <section class="panel" data-testid="edit-account">
            <h2>"Edit account"</h2>
            <ActionForm action=update attr:class="form" attr:data-testid="edit-account-form">
                <input type="hidden" name="id" value=id/>
                <EditField id="account-name" name="name" api_field="name" label="Name" value=name required=true maxlength=200 error/>
                <EditField id="account-domain" name="domain" api_field="domain" label="Email domain" value=domain.unwrap_or_default()
                    hint="e.g. acme.com; contacts with this email domain are suggested" error/>
                <EditField id="account-website" name="website" api_field="website" label="Website" value=website.unwrap_or_default()
                    kind="url" hint="http:// or https:// address" error/>
                <EditField id="account-industry" name="industry" api_field="industry" label="Industry" value=industry.unwrap_or_default()
                    maxlength=120 error/>
                <OwnerSelect id="account-owner-select" current=owner members/>
                <input type="hidden" name="csrf" value=csrf/>
                <FormError error fields=&["name", "domain", "website", "industry", "ownerUserId"]/>
                <div class="actions">
                    <button type="submit" class="btn-primary">"Save changes"</button>
                </div>
            </ActionForm>
            <Show when=saved>
                <p class="notice" role="status" data-testid="account-saved">"Account saved."</p>
            </Show>
            <h3>{if archived { "Archived" } else { "Archive" }}</h3>
            <p class="muted">{if archived {
                "This account is archived: kept with its history, but no new opportunities can be added."
            } else {
                "Archiving keeps the account and its history but takes it out of day-to-day work."
            }}</p>
            <ActionForm action=archive attr:class="form inline" attr:data-testid="archive-form">
                <input type="hidden" name="id" value=id2/>
                <input type="hidden" name="archive" value=if archived { "false" } else { "true" }/>
                <input type="hidden" name="csrf" value=csrf2/>
                <button type="submit" class="btn-small">{if archived { "Unarchive account" } else { "Archive account" }}</button>
            </ActionForm>
            <FormError error=archive_error fields=&[]/>
        </section>
    }
}

#[component]
fn SuggestContactsForm(
    account_id: String,
    csrf: String,
    suggest: ServerAction<SuggestContacts>,
) -> impl IntoView {
    let error = action_error(suggest.value());
    view! {
        <ActionForm action=suggest attr:class="form inline" attr:data-testid="suggest-contacts-form">
            <input type="hidden" name="account_id" value=account_id/>
            <input type="hidden" name="csrf" value=csrf/>
            <button type="submit" class="btn-small">"Suggest contacts"</button>
        </ActionForm>
        {move || match suggest.value().get() {
            Some(Ok(0)) => Some(view! {
                <p class="muted" role="status" data-testid="suggest-result">"No new suggestions."</p>
            }.into_any()),
            Some(Ok(n)) => Some(view! {
                <p class="notice" role="status" data-testid="suggest-result">
                    {format!("{n} new suggestion(s): confirm or reject them below.")}
                </p>
            }.into_any()),
            _ => None,
        }}
        <FormError error fields=&[]/>
    }
}

#[component]
fn LinkContactForm(
    account_id: String,
    csrf: String,
    link: ServerAction<LinkContact>,
) -> impl IntoView {
    let error = action_error(link.value());
    view! {
        <h3>"Link a contact"</h3>
        <ActionForm action=link attr:class="form inline" attr:data-testid="link-contact-form">
            <input type="hidden" name="account_id" value=account_id/>
            <EditField id="link-contact" name="contact" api_field="contactId" label="Contact email or id" required=true
                hint="An exact email address, or a contact id (cwc:…)" error/>
            <EditField id="link-role" name="role" api_field="role" label="Role (optional)" maxlength=120 error/>
            <input type="hidden" name="csrf" value=csrf/>
            <button type="submit" class="btn-small">"Link contact"</button>
        </ActionForm>
        <FormError error fields=&["contactId", "role"]/>
    }
}

#[component]
fn CreateOpportunityForm(
    account_id: String,
    csrf: String,
    create: ServerAction<CreateOpportunity>,
) -> impl IntoView {
    let create_error = action_error(create.value());
    view! {
        <h3>"New opportunity"</h3>
        <ActionForm action=create attr:class="form" attr:data-testid="create-opportunity-form">
            <input type="hidden" name="account_id" value=account_id/>
            <Field name="name" api_field="name" label="Name" error=create_error/>
            <Field name="amount" api_field="amount" label="Amount" error=create_error/>
            <div class="field">
                <label for="field-currency">"Currency"</label>
                <input id="field-currency" name="currency" value="EUR" required=true maxlength="3"/>
            </div>
            <input type="hidden" name="csrf" value=csrf/>
            <FormError error=create_error fields=&["name", "amount"]/>
            <button type="submit" class="btn-primary">"Create opportunity"</button>
        </ActionForm>
    }
}

/// Merge a duplicate into this account: pick it, read what happens, tick to confirm.
#[component]
fn MergeSection(
    account_id: String,
    name: String,
    archived: bool,
    csrf: String,
    candidates: Resource<Result<Vec<AccountRef>, ServerFnError>>,
    merge: ServerAction<MergeAccounts>,
) -> impl IntoView {
    let error = action_error(merge.value());
    let account_id = StoredValue::new(account_id);
    let csrf = StoredValue::new(csrf);
    let name = StoredValue::new(name);
    let source_error = move || error.get().and_then(|e| field_error(&e, "sourceId"));
    let confirm_error = move || error.get().and_then(|e| field_error(&e, "confirm"));
    view! {
        <section class="panel" data-testid="merge-section">
            <h2>"Merge another account into this one"</h2>
            {if archived {
                view! { <p class="muted">"Unarchive this account to merge duplicates into it."</p> }.into_any()
            } else {
                view! {
                    <p class="warning" id="merge-warning">
                        "Use this when the same company was entered twice. The account you pick moves its contacts, "
                        "opportunities, signals and open actions here, and is then kept only as a merged record "
                        "pointing at this account. This cannot be undone."
                    </p>
                    <Transition fallback=|| view! { <Loading label="Loading accounts…"/> }>
                        {move || Suspend::new(async move {
                            match candidates.await {
                                Ok(list) if list.is_empty() => view! {
                                    <EmptyState title="No other active accounts" hint="There is nothing to merge into this account."/>
                                }.into_any(),
                                Ok(list) => view! {
                                    <ActionForm action=merge attr:class="form" attr:data-testid="merge-form">
                                        <input type="hidden" name="target_id" value=account_id.get_value()/>
                                        <div class="field">
                                            <label for="merge-source">"Duplicate account to merge"</label>
                                            <select id="merge-source" name="source_id" required=true
                                                aria-invalid=move || source_error().is_some().to_string()>
                                                <option value="">"Choose an account…"</option>
                                                {list.into_iter().map(|c| view! { <option value=c.id>{c.name}</option> }).collect_view()}
                                            </select>
                                            <Show when=move || source_error().is_some()>
                                                <p class="field-error" role="alert">{source_error}</p>
                                            </Show>
                                        </div>
                                        <div class="field checkbox">
                                            <label>
                                                <input type="checkbox" name="confirm" value="yes" required=true
                                                    aria-describedby="merge-warning"
                                                    aria-invalid=move || confirm_error().is_some().to_string()/>
                                                {format!(" Yes, merge the chosen account into “{}”", name.get_value())}
                                            </label>
                                            <Show when=move || confirm_error().is_some()>
                                                <p class="field-error" role="alert">{confirm_error}</p>
                                            </Show>
                                        </div>
                                        <input type="hidden" name="csrf" value=csrf.get_value()/>
                                        <div class="actions">
                                            <button type="submit" class="btn-danger">"Merge into this account"</button>
                                        </div>
                                    </ActionForm>
                                }.into_any(),
                                Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                            }
                        })}
                    </Transition>
                    <FormError error fields=&["sourceId", "confirm"]/>
                }.into_any()
            }}
        </section>
    }
}

/// The conversations of the account's confirmed contacts.
#[component]
fn AccountConversationsSection(
    conversations: Resource<Result<AccountConversationsView, ServerFnError>>,
) -> impl IntoView {
    view! {
        <section class="panel" data-testid="account-conversations">
            <h2>"Conversations"</h2>
            <Transition fallback=|| view! { <Loading label="Loading conversations…"/> }>
                {move || Suspend::new(async move {
                    match conversations.await {
                        Ok(c) if c.contacts == 0 => view! {
                            <p class="muted">"Confirm a contact above to see their conversations here."</p>
                        }.into_any(),
                        Ok(c) if c.rows.is_empty() => view! {
                            <p class="muted">"The confirmed contacts have no conversations yet."</p>
                        }.into_any(),
                        Ok(c) => view! {
                            <table class="data-table">
                                <thead><tr>
                                    <th scope="col">"#"</th><th scope="col">"Contact"</th>
                                    <th scope="col">"Status"</th><th scope="col">"Last activity"</th>
                                </tr></thead>
                                <tbody>
                                    {c.rows.into_iter().map(conversation_row).collect_view()}
                                </tbody>
                            </table>
                            {c.more.then(|| view! {
                                <p class="muted">"Showing each contact's latest conversations; their contact pages list all."</p>
                            })}
                        }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn conversation_row(row: ConversationRow) -> impl IntoView {
    view! {
        <tr data-testid="account-conversation">
            <td><a href=format!("/conversations/{}", row.id)>{row.display_id.map(|d| format!("#{d}")).unwrap_or_else(|| "Open".to_owned())}</a></td>
            <td>{match row.contact_id.clone() {
                Some(id) => view! { <a href=format!("/contacts/{id}")>{row.contact_name.clone()}</a> }.into_any(),
                None => view! { <span>{row.contact_name.clone()}</span> }.into_any(),
            }}</td>
            <td><span class=format!("status status-{}", row.status)>{row.status.clone()}</span></td>
            <td>{row.last_activity.as_deref().map(when).unwrap_or_default()}</td>
        </tr>
    }
}

/// The pipeline board.
#[component]
pub fn PipelinePage() -> impl IntoView {
    view! {
        <div class="page-head">
            <h1>"Pipeline"</h1>
            <a href="/pipeline/stages" data-testid="manage-stages">"Manage stages"</a>
        </div>
        {with_project(|csrf| view! { <Board csrf/> })}
    }
}

#[component]
fn Board(csrf: String) -> impl IntoView {
    let mover = ServerAction::<MoveOpportunity>::new();
    let board = Resource::new(move || mover.version().get(), |_| load_board());
    let error = action_error(mover.value());
    let csrf = StoredValue::new(csrf);
    view! {
        <FormError error fields=&[]/>
        <Transition fallback=|| view! { <Loading label="Loading the board…"/> }>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(view) => view! { <BoardBody view csrf=csrf.get_value() mover/> }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn BoardBody(view: BoardView, csrf: String, mover: ServerAction<MoveOpportunity>) -> impl IntoView {
    let stages: Vec<(String, String)> = view
        .columns
        .iter()
        .map(|c| (c.stage_id.clone(), c.name.clone()))
        .collect();
    let columns = view
        .columns
        .into_iter()
        .map(|c| {
            let cards = c
                .cards
                .into_iter()
                .map(|o| {
                    let select_id = format!("move-{}", o.id);
                    let csrf = csrf.clone();
                    let options = stages
                        .iter()
                        .map(|(id, name)| {
                            let selected = *id == c.stage_id;
                            view! { <option value=id.clone() selected=selected>{name.clone()}</option> }
                        })
                        .collect_view();
                    view! {
                        <li class="board-card" data-testid="board-card">
                            <strong><a href=format!("/opportunities/{}", o.id)>{o.name}</a></strong>
                            <span class="muted">{o.account}</span>
                            <span class="num">{format!("{} {}", o.amount, o.currency)}</span>
                            <ActionForm action=mover attr:class="form inline">
                                <input type="hidden" name="opportunity_id" value=o.id/>
                                <input type="hidden" name="csrf" value=csrf/>
                                <label for=select_id.clone() class="sr-only">"Move to"</label>
                                <select id=select_id name="to_stage_id">{options}</select>
                                <button type="submit" class="btn-small">"Move"</button>
                            </ActionForm>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <section class="board-column" data-testid="board-column" data-stage=c.name.clone()>
                    <h2>{c.name.clone()}</h2>
                    <p class="muted" data-testid="column-count">{format!("{} opportunit{} · {} %", c.count, if c.count == 1 { "y" } else { "ies" }, c.probability)}</p>
                    <p data-testid="column-totals">{totals_text(&c.totals)}</p>
                    <ul class="board-cards">{cards}</ul>
                </section>
            }
        })
        .collect_view();
    view! {
        <p class="panel" data-testid="open-totals">"Open pipeline: " {totals_text(&view.open_totals)}</p>
        <div class="board" data-testid="pipeline-board">{columns}</div>
    }
    .into_any()
}

// ---------------------------------------------------------------------------------------------
// Pipeline stages

/// The pipeline's stages: list in order, add, edit, reorder, delete.
#[component]
pub fn StagesPage() -> impl IntoView {
    view! {
        <p><a href="/pipeline">"← Pipeline"</a></p>
        <h1>"Pipeline stages"</h1>
        {with_project(|csrf| view! { <Stages csrf/> })}
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "WON" => "won",
        "LOST" => "lost",
        _ => "open",
    }
}

#[component]
fn Stages(csrf: String) -> impl IntoView {
    let create = ServerAction::<CreateStage>::new();
    let update = ServerAction::<UpdateStage>::new();
    let mover = ServerAction::<MoveStage>::new();
    let delete = ServerAction::<DeleteStage>::new();
    let (created, updated, moved, deleted) = (
        ok_version(create),
        ok_version(update),
        ok_version(mover),
        ok_version(delete),
    );
    let query = use_query_map();
    let editing = Memo::new(move |_| query.read().get("edit").filter(|e| !e.is_empty()));
    let stages = Resource::new(
        move || (created.get(), updated.get(), moved.get(), deleted.get()),
        |_| load_stages(),
    );
    // Moving re-renders the list; keep the keyboard where it was (the moved stage's button),
    // once the new rows are in the page.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if stages.get().is_none() {
            return;
        }
        if let Some(Ok((id, direction))) = mover.value().get_untracked() {
            request_animation_frame(move || {
                use leptos::wasm_bindgen::JsCast;
                let other = if direction == "up" { "down" } else { "up" };
                let found = document()
                    .get_element_by_id(&format!("move-{direction}-{id}"))
                    .or_else(|| document().get_element_by_id(&format!("move-{other}-{id}")));
                if let Some(el) = found {
                    let _ = el.unchecked_into::<leptos::web_sys::HtmlElement>().focus();
                }
            });
        }
    });
    let row_error = Signal::derive(move || {
        action_error(mover.value())
            .get()
            .or_else(|| action_error(delete.value()).get())
    });
    let csrf = StoredValue::new(csrf);
    view! {
        <p class="muted">
            "Opportunities move through the stages in this order. Each stage's default probability weighs "
            "the forecast of opportunities without their own."
        </p>
        <FormError error=row_error fields=&[]/>
        <Transition fallback=|| view! { <Loading label="Loading stages…"/> }>
            {move || Suspend::new(async move {
                match stages.await {
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState title="No stages" hint="Add the first stage below."/>
                    }.into_any(),
                    Ok(list) => {
                        let last = list.len() - 1;
                        let rows = list.into_iter().enumerate().map(|(i, s)| {
                            view! { <StageItem stage=s index=i last editing csrf=csrf.get_value() update mover delete/> }
                        }).collect_view();
                        view! {
                            <table class="data-table stages" data-testid="stages-table">
                                <thead><tr>
                                    <th scope="col">"#"</th><th scope="col">"Name"</th><th scope="col">"Key"</th>
                                    <th scope="col">"Default probability"</th><th scope="col">"Kind"</th>
                                    <th scope="col">"Actions"</th>
                                </tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
        <CreateStageForm create csrf=csrf.get_value()/>
    }
}

#[component]
fn StageItem(
    stage: StageRow,
    index: usize,
    last: usize,
    editing: Memo<Option<String>>,
    csrf: String,
    update: ServerAction<UpdateStage>,
    mover: ServerAction<MoveStage>,
    delete: ServerAction<DeleteStage>,
) -> impl IntoView {
    let is_editing = editing.get_untracked().as_deref() == Some(stage.id.as_str());
    let StageRow {
        id,
        key,
        name,
        probability,
        kind,
    } = stage;
    let edit_href = format!("/pipeline/stages?edit={}", query_value(&id));
    let (edit_label, delete_label) = (format!("Edit {name}"), format!("Delete {name}"));
    let (row_key, row_name) = (key.clone(), name.clone());
    let move_button = move |direction: &'static str,
                            label: String,
                            text: &'static str,
                            csrf: String,
                            id: String| {
        view! {
            <ActionForm action=mover>
                <input type="hidden" name="id" value=id.clone()/>
                <input type="hidden" name="direction" value=direction/>
                <input type="hidden" name="csrf" value=csrf/>
                <button type="submit" class="btn-small" id=format!("move-{direction}-{id}") aria-label=label>{text}</button>
            </ActionForm>
        }
    };
    let up = (index > 0).then(|| {
        move_button(
            "up",
            format!("Move {name} up"),
            "↑ Up",
            csrf.clone(),
            id.clone(),
        )
    });
    let down = (index < last).then(|| {
        move_button(
            "down",
            format!("Move {name} down"),
            "↓ Down",
            csrf.clone(),
            id.clone(),
        )
    });
    let edit_error = action_error(update.value());
    let (id, name, csrf) = (
        StoredValue::new(id),
        StoredValue::new(name),
        StoredValue::new(csrf),
    );
    view! {
        <tr data-testid="stage-row" data-key=row_key data-name=row_name>
            <td class="num">{index + 1}</td>
            {if is_editing {
                view! {
                    <td colspan="4">
                        <ActionForm action=update attr:class="form inline" attr:data-testid="edit-stage-form">
                            <input type="hidden" name="id" value=id.get_value()/>
                            <EditField id="edit-stage-name" name="name" api_field="name" label="Name" value=name.get_value()
                                required=true maxlength=80 error=edit_error/>
                            <EditField id="edit-stage-probability" name="default_probability" api_field="defaultProbability"
                                label="Default probability (%)" value=probability.to_string() kind="number" min="0" max="100"
                                required=true error=edit_error/>
                            <input type="hidden" name="csrf" value=csrf.get_value()/>
                            <button type="submit" class="btn-primary">"Save stage"</button>
                            <a href="/pipeline/stages">"Cancel"</a>
                        </ActionForm>
                        <FormError error=edit_error fields=&["name", "defaultProbability"]/>
                    </td>
                }.into_any()
            } else {
                view! {
                    <td data-testid="stage-name">{name.get_value()}</td>
                    <td><code>{key}</code></td>
                    <td class="num">{format!("{probability} %")}</td>
                    <td><span class=format!("badge badge-muted stage-kind-{}", kind_label(&kind))>{kind_label(&kind)}</span></td>
                }.into_any()
            }}
            <td class="actions">
                {(!is_editing).then(|| view! {
                    <a class="btn-small" href=edit_href aria-label=edit_label>"Edit"</a>
                })}
                {up}
                {down}
                {(kind != "WON").then(|| view! {
                    <ActionForm action=delete>
                        <input type="hidden" name="id" value=id.get_value()/>
                        <input type="hidden" name="name" value=name.get_value()/>
                        <input type="hidden" name="csrf" value=csrf.get_value()/>
                        <button type="submit" class="btn-small btn-danger" aria-label=delete_label>"Delete"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}

/// A query-string value, percent-encoded.
fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
fn CreateStageForm(create: ServerAction<CreateStage>, csrf: String) -> impl IntoView {
    let error = action_error(create.value());
    let kind_error = move || error.get().and_then(|e| field_error(&e, "kind"));
    view! {
        <section class="panel">
            <h2>"New stage"</h2>
            <ActionForm action=create attr:class="form" attr:data-testid="create-stage-form">
                <EditField id="stage-name" name="name" api_field="name" label="Name" required=true maxlength=80 error/>
                <EditField id="stage-key" name="key" api_field="key" label="Key (optional)" maxlength=40
                    hint="Lowercase letters, digits and underscores; derived from the name when blank. Stage history keeps it." error/>
                <EditField id="stage-probability" name="default_probability" api_field="defaultProbability"
                    label="Default probability (%)" kind="number" min="0" max="100" value="10" required=true error/>
                <div class="field">
                    <label for="stage-kind">"Kind"</label>
                    <select id="stage-kind" name="kind" aria-invalid=move || kind_error().is_some().to_string()>
                        <option value="OPEN" selected=true>"Open (still being worked)"</option>
                        <option value="LOST">"Lost"</option>
                    </select>
                    <p class="hint muted">"An open stage goes after the last open stage, a lost one at the end; move it afterwards."</p>
                    <Show when=move || kind_error().is_some()>
                        <p class="field-error" role="alert">{kind_error}</p>
                    </Show>
                </div>
                <input type="hidden" name="csrf" value=csrf/>
                <FormError error fields=&["name", "key", "defaultProbability", "kind"]/>
                <div class="actions">
                    <button type="submit" class="btn-primary">"Add stage"</button>
                </div>
            </ActionForm>
        </section>
    }
}

// ---------------------------------------------------------------------------------------------
// One opportunity

/// An opportunity: its details, an edit form, a stage move with a note, and its stage history.
#[component]
pub fn OpportunityPage() -> impl IntoView {
    with_project(|csrf| view! { <Opportunity csrf/> })
}

#[component]
fn Opportunity(csrf: String) -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let update = ServerAction::<UpdateOpportunity>::new();
    let mover = ServerAction::<MoveOpportunityWithNote>::new();
    let (updated, moved) = (ok_version(update), ok_version(mover));
    let opportunity = Resource::new(
        move || (id.get(), updated.get(), moved.get()),
        |(id, ..)| load_opportunity(id),
    );
    let csrf = StoredValue::new(csrf);
    view! {
        <Transition fallback=|| view! { <Loading label="Loading opportunity…"/> }>
            {move || Suspend::new(async move {
                match opportunity.await {
                    Ok(o) => view! { <OpportunityBody o csrf=csrf.get_value() update mover/> }.into_any(),
                    Err(e) => view! {
                        <p><a href="/pipeline">"← Pipeline"</a></p>
                        <p class="form-error" role="alert">{error_text(&e)}</p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn OpportunityBody(
    o: OpportunityDetail,
    csrf: String,
    update: ServerAction<UpdateOpportunity>,
    mover: ServerAction<MoveOpportunityWithNote>,
) -> impl IntoView {
    let error = action_error(update.value());
    let move_error = action_error(mover.value());
    let saved = move || matches!(update.value().get(), Some(Ok(())));
    let probability_text = match o.probability {
        Some(p) => format!("{p} % (its own)"),
        None => format!("{} % (the stage's default)", o.effective_probability),
    };
    let stage_options = o
        .stages
        .iter()
        .map(|(id, name)| {
            let selected = *id == o.stage_id;
            view! { <option value=id.clone() selected=selected>{name.clone()}</option> }
        })
        .collect_view();
    let history_empty = o.history.is_empty();
    let history = o
        .history
        .iter()
        .rev()
        .map(|h| {
            let who = h.changed_by.clone();
            let who_name = h.changed_by_name.clone();
            view! {
                <tr data-testid="stage-event">
                    <td>
                        {match &h.from {
                            Some(from) => format!("{from} → {}", h.to),
                            None => format!("Placed in {}", h.to),
                        }}
                    </td>
                    <td><time datetime=h.changed_at.clone()>{when(&h.changed_at)}</time></td>
                    <td data-testid="stage-event-who">{match (who, who_name) {
                        (_, Some(name)) => view! { <span>{name}</span> }.into_any(),
                        (Some(u), None) => view! { <span class="muted" title=u>"a former member"</span> }.into_any(),
                        (None, None) => view! { <span class="muted">"system"</span> }.into_any(),
                    }}</td>
                    <td class="num">{h.amount.clone().unwrap_or_default()}</td>
                    <td class="num">{h.probability.map(|p| format!("{p} %")).unwrap_or_default()}</td>
                    <td>{h.note.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let (csrf1, csrf2) = (csrf.clone(), csrf);
    let (id1, id2) = (o.id.clone(), o.id.clone());
    view! {
        <p><a href=format!("/accounts/{}", o.account.id)>{format!("← {}", o.account.name)}</a></p>
        <h1>{o.name.clone()}</h1>
        <dl class="facts panel" data-testid="opportunity-facts">
            <dt>"Account"</dt><dd><a href=format!("/accounts/{}", o.account.id)>{o.account.name.clone()}</a></dd>
            <dt>"Stage"</dt><dd data-testid="opportunity-stage">{format!("{} ({})", o.stage, kind_label(&o.stage_kind))}</dd>
            <dt>"Amount"</dt><dd data-testid="opportunity-amount">{format!("{} {}", o.amount, o.currency)}</dd>
            <dt>"Probability"</dt><dd>{probability_text}</dd>
            <dt>"Weighted"</dt><dd>{format!("{} {}", o.weighted, o.currency)}</dd>
            <dt>"Expected close"</dt><dd>{o.expected_close.clone().unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"Owner"</dt><dd data-testid="opportunity-owner">{o.owner.label()}</dd>
            {o.closed_at.clone().map(|t| view! { <dt>"Closed"</dt><dd><time datetime=t.clone()>{when(&t)}</time></dd> })}
            {o.lost_reason.clone().map(|r| view! { <dt>"Lost because"</dt><dd>{r}</dd> })}
        </dl>
        <section class="panel">
            <h2>"Edit opportunity"</h2>
            <ActionForm action=update attr:class="form" attr:data-testid="edit-opportunity-form">
                <input type="hidden" name="id" value=id1/>
                <EditField id="opp-name" name="name" api_field="name" label="Name" value=o.name.clone() required=true maxlength=200 error/>
                <EditField id="opp-amount" name="amount" api_field="amount" label="Amount" value=o.amount.clone() required=true
                    hint="e.g. 1234.50 (at most two decimals)" error/>
                <EditField id="opp-currency" name="currency" api_field="currency" label="Currency" value=o.currency.clone()
                    required=true maxlength=3 hint="ISO code, e.g. EUR" error/>
                <EditField id="opp-probability" name="probability" api_field="probability" label="Probability (%)"
                    value=o.probability.map(|p| p.to_string()).unwrap_or_default() kind="number" min="0" max="100"
                    hint="Blank uses the stage's default" error/>
                <EditField id="opp-close" name="expected_close_date" api_field="expectedCloseDate" label="Expected close date"
                    value=o.expected_close.clone().unwrap_or_default() kind="date" hint="YYYY-MM-DD; blank clears it" error/>
                <OwnerSelect id="opp-owner" current=o.owner.id.clone() members=o.members.clone()/>
                <input type="hidden" name="csrf" value=csrf1/>
                <FormError error fields=&["name", "amount", "currency", "probability", "expectedCloseDate", "ownerUserId"]/>
                <div class="actions">
                    <button type="submit" class="btn-primary">"Save opportunity"</button>
                </div>
            </ActionForm>
            <Show when=saved>
                <p class="notice" role="status" data-testid="opportunity-saved">"Opportunity saved."</p>
            </Show>
        </section>
        <section class="panel">
            <h2>"Move to another stage"</h2>
            <ActionForm action=mover attr:class="form" attr:data-testid="move-opportunity-form">
                <input type="hidden" name="opportunity_id" value=id2/>
                <div class="field">
                    <label for="move-stage">"Stage"</label>
                    <select id="move-stage" name="to_stage_id">{stage_options}</select>
                </div>
                <EditField id="move-note" name="note" api_field="note" label="Note (optional)" maxlength=2000
                    hint="Why it moved; kept in the stage history" error=move_error/>
                <EditField id="move-lost-reason" name="lost_reason" api_field="lostReason" label="Lost reason (optional)"
                    hint="Kept only when the stage is a lost one" error=move_error/>
                <input type="hidden" name="csrf" value=csrf2/>
                <FormError error=move_error fields=&["note", "lostReason"]/>
                <div class="actions">
                    <button type="submit" class="btn-small">"Move"</button>
                </div>
            </ActionForm>
        </section>
        <section class="panel" data-testid="stage-history">
            <h2>"Stage history"</h2>
            {if history_empty {
                view! { <EmptyState title="No stage changes yet" hint="Moves appear here with who made them and why."/> }.into_any()
            } else {
                view! {
                    <table class="data-table">
                        <thead><tr>
                            <th scope="col">"Change"</th><th scope="col">"When"</th><th scope="col">"Who"</th>
                            <th scope="col">"Amount"</th><th scope="col">"Probability"</th><th scope="col">"Note"</th>
                        </tr></thead>
                        <tbody>{history}</tbody>
                    </table>
                    <p class="muted">"Newest first."</p>
                }.into_any()
            }}
        </section>
    }
}

/// The owner field of an edit form: the project's members, "Nobody" to clear. An owner who
/// has left stays selectable as such, so saving other fields does not silently unassign.
#[component]
fn OwnerSelect(
    /// Element id (unique on the page).
    id: &'static str,
    /// The stored owner's user id.
    current: Option<String>,
    /// Members to choose from.
    members: Vec<MemberChoice>,
) -> impl IntoView {
    let former = current
        .clone()
        .filter(|c| !members.iter().any(|m| &m.id == c));
    let options = members
        .into_iter()
        .map(|m| {
            let selected = current.as_deref() == Some(m.id.as_str());
            view! { <option value=m.id selected=selected>{m.username}</option> }
        })
        .collect_view();
    view! {
        <div class="field">
            <label for=id>"Owner"</label>
            <select id=id name="owner_user_id">
                <option value="" selected=current.is_none()>"Nobody"</option>
                {former.map(|f| view! { <option value=f selected=true>"A former member"</option> })}
                {options}
            </select>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_kinds_and_query_values_read_plainly() {
        assert_eq!(kind_label("WON"), "won");
        assert_eq!(kind_label("LOST"), "lost");
        assert_eq!(kind_label("OPEN"), "open");
        assert_eq!(query_value("a b/c"), "a%20b%2Fc");
        assert_eq!(query_value("97727ca7-7310"), "97727ca7-7310");
    }
}
