//! Accounts: the listing with a filter and a create form, and one account (edit, archive,
//! merge a duplicate into it; contacts with suggest/confirm/reject and a link form;
//! opportunities and a create form; its conversations, health, signals and actions).
use leptos::prelude::*;

use super::{opportunities::OwnerSelect, *};

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

fn conversation_row(row: ConversationsQueryConversationsEdgesNode) -> impl IntoView {
    view! {
        <tr data-testid="account-conversation">
            <td><a href=format!("/conversations/{}", row.id)>{row.conversation_id.map(|d| format!("#{d}")).unwrap_or_else(|| "Open".to_owned())}</a></td>
            <td>{match row.contact_id() {
                Some(id) => view! { <a href=format!("/contacts/{id}")>{row.contact_name()}</a> }.into_any(),
                None => view! { <span>{row.contact_name()}</span> }.into_any(),
            }}</td>
            <td><span class=format!("status status-{}", row.state())>{row.state().to_owned()}</span></td>
            <td>{row.last_activity_at.as_deref().map(when).unwrap_or_default()}</td>
        </tr>
    }
}
