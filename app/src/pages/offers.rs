//! Offers: the listing (status filter, "Load more"), the approval inbox, the builder (new and
//! edit) and one offer's page (lines with the server's totals, approvals, the message the
//! customer gets, its deliveries and the actions its status allows). Every form posts without
//! JavaScript; the builder's "Add line", "Remove" and account choice post the form back (past
//! the browser's required-field checks, which only "Save offer" applies) and return to the
//! builder with the changed draft in its URL.
use leptos::{html, prelude::*};
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::{
    api::{
        offers::{
            AccountChoices, ItemDraft, OFFER_STATUSES, OfferAction, OfferDraft, OfferPage,
            OfferRow, OfferView, SaveOfferForm, list_offers, load_offer, offer_account_choices,
            offer_accounts, offer_approval_inbox,
        },
        outbound::{OUTBOUND_STATUSES, OutboundRow},
        records::Named,
        text::words,
    },
    components::page::{
        FieldMessage, GeneralError, StatusBadge, draft_param, error_view, money, query_param,
        readable_error,
    },
    components::{
        feedback::{EmptyState, Loading},
        forms::action_error,
        paging::{LoadMore, more_pages},
    },
    pages::{crm::with_project, signals::when},
};

/// The offer listing.
#[component]
pub fn OffersPage() -> impl IntoView {
    view! {
        <h1>"Offers"</h1>
        {with_project(|_| view! { <Offers/> })}
    }
}

#[component]
fn Offers() -> impl IntoView {
    let status = query_param("status");
    let after = query_param("after");
    let offers = Resource::new(
        move || (status.get(), after.get()),
        |(status, after)| list_offers(status, after),
    );
    view! {
        <div class="toolbar">
            <a class="btn-primary" href="/offers/new" data-testid="new-offer">"New offer"</a>
            <a class="btn-small" href="/offers/approvals">"Approval inbox"</a>
            <form class="form inline" method="get" action="/offers" data-testid="offers-filter">
                <div class="field">
                    <label for="offers-status">"Status"</label>
                    <select id="offers-status" name="status">
                        <option value="" selected=move || status.get().is_none()>"All states"</option>
                        {OFFER_STATUSES.iter().map(|(v, l)| view! {
                            <option value=*v selected=move || status.get().as_deref() == Some(*v)>{*l}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="btn-small">"Apply"</button>
            </form>
        </div>
        {move || after.get().map(|_| {
            let href = match status.get() { Some(s) => format!("/offers?status={s}"), None => "/offers".to_owned() };
            view! { <p><a href=href>"← First page"</a></p> }
        })}
        <Transition fallback=|| view! { <Loading label="Loading offers…"/> }>
            {move || Suspend::new(async move {
                match offers.await {
                    Ok(page) if page.rows.is_empty() => view! {
                        <EmptyState title="No offers"
                            hint="Build one with “New offer”, or change the filter."/>
                    }.into_any(),
                    Ok(page) => view! { <OfferList page status=status.get_untracked()/> }.into_any(),
                    Err(e) => error_view(&e),
                }
            })}
        </Transition>
    }
}

#[component]
fn OfferList(page: OfferPage, status: Option<String>) -> impl IntoView {
    let s = status.clone();
    let (rows, more) = more_pages(
        page.rows,
        page.next,
        move |after| list_offers(s.clone(), Some(after)),
        |p: OfferPage| (p.rows, p.next),
        |r| &r.id,
    );
    let keep: Vec<(&'static str, String)> = status.map(|s| ("status", s)).into_iter().collect();
    view! {
        <p class="muted" data-testid="offers-count">{format!("{} offer(s), latest change first", page.total)}</p>
        <OfferTable rows=Signal::derive(move || rows.get()) testid="offers-table"/>
        <LoadMore action="/offers" keep more/>
    }
}

#[component]
fn OfferTable(rows: Signal<Vec<OfferRow>>, testid: &'static str) -> impl IntoView {
    view! {
        <table class="data-table" data-testid=testid>
            <thead><tr>
                <th scope="col">"Offer"</th><th scope="col">"Account"</th><th scope="col">"Recipient"</th>
                <th scope="col">"Total"</th><th scope="col">"Largest discount"</th>
                <th scope="col">"Status"</th><th scope="col">"Changed"</th>
            </tr></thead>
            <tbody>
                <For each=move || rows.get() key=|r| (r.id.clone(), r.status.clone()) let:row>
                    <tr data-testid="offer-row" data-id=row.id.clone() data-status=row.status.clone()>
                        <td><a href=format!("/offers/{}", row.id)>{row.title.clone()}</a></td>
                        <td>{row.account.clone().map(|a| view! { <a href=format!("/accounts/{}", a.id)>{a.name}</a> })}</td>
                        <td>{row.contact.clone().map(|c| view! { <a href=format!("/contacts/{}", c.id)>{c.label}</a> })}</td>
                        <td class="num">{money(&row.total, &row.currency)}</td>
                        <td class="num">
                            {format!("{} %", row.max_discount_pct)}
                            {row.requires_approval.then(|| view! { " " <span class="badge badge-muted">"needs approval"</span> })}
                        </td>
                        <td><StatusBadge table=OFFER_STATUSES status=row.status.clone()/></td>
                        <td><time datetime=row.updated_at.clone()>{when(&row.updated_at)}</time></td>
                    </tr>
                </For>
            </tbody>
        </table>
    }
}

// ---------------------------------------------------------------------------------------------
// Approval inbox

/// Offers waiting for the signed-in member's approval.
#[component]
pub fn OfferApprovalsPage() -> impl IntoView {
    view! {
        <p><a href="/offers">"← Offers"</a></p>
        <h1>"Approval inbox"</h1>
        <p class="muted">"Offers whose discount is above the project's threshold wait here for a member other than their author."</p>
        {with_project(|_| view! { <ApprovalInbox/> })}
    }
}

#[component]
fn ApprovalInbox() -> impl IntoView {
    let inbox = Resource::new(|| (), |_| offer_approval_inbox());
    view! {
        <Transition fallback=|| view! { <Loading label="Loading the inbox…"/> }>
            {move || Suspend::new(async move {
                match inbox.await {
                    Ok(rows) if rows.is_empty() => view! {
                        <div data-testid="approval-inbox">
                            <EmptyState title="Nothing waits for your approval"
                                hint="Offers submitted with a discount above the threshold appear here."/>
                        </div>
                    }.into_any(),
                    Ok(rows) => view! {
                        <ul class="approval-inbox" data-testid="approval-inbox">
                            {rows.into_iter().map(|o| view! {
                                <li class="panel" data-testid="approval-row" data-id=o.id.clone()>
                                    <a href=format!("/offers/{}", o.id)><strong>{o.title.clone()}</strong></a>
                                    <span class="muted">
                                        {o.account.clone().map(|a| a.name).unwrap_or_default()}
                                        {o.contact.clone().map(|c| format!(" · to {}", c.label))}
                                    </span>
                                    <span class="num">{money(&o.total, &o.currency)}</span>
                                    <span class="badge">{format!("discount up to {} %", o.max_discount_pct)}</span>
                                    <span class="muted">"submitted " <time datetime=o.updated_at.clone()>{when(&o.updated_at)}</time></span>
                                    <a class="btn-small" href=format!("/offers/{}#decide", o.id)
                                        aria-label=format!("Review “{}”", o.title)>"Review"</a>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => error_view(&e),
                }
            })}
        </Transition>
    }
}

// ---------------------------------------------------------------------------------------------
// Builder

/// What the builder needs: the draft, the accounts, the chosen account's contacts and
/// opportunities, and the saved offer's status when editing one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct EditorData {
    draft: OfferDraft,
    status: Option<String>,
    accounts: Vec<Named>,
    choices: Option<AccountChoices>,
}

async fn load_editor(
    id: Option<String>,
    draft: Option<OfferDraft>,
    account: Option<String>,
) -> Result<EditorData, ServerFnError> {
    let (mut draft, status) = match (draft, id) {
        (Some(d), _) => (d, None),
        (None, Some(id)) => {
            let offer = load_offer(id).await?;
            (offer.draft, Some(offer.status))
        }
        (None, None) => (OfferDraft::new_for(account), None),
    };
    if draft.items.is_empty() {
        draft.items.push(ItemDraft::blank());
    }
    let accounts = offer_accounts().await?;
    let choices = if draft.account_id.is_empty() {
        None
    } else {
        Some(offer_account_choices(draft.account_id.clone()).await?)
    };
    Ok(EditorData {
        draft,
        status,
        accounts,
        choices,
    })
}

/// A new offer.
#[component]
pub fn NewOfferPage() -> impl IntoView {
    view! {
        <p><a href="/offers">"← Offers"</a></p>
        <h1>"New offer"</h1>
        {with_project(|csrf| view! { <OfferEditor csrf editing=false/> })}
    }
}

/// Changes to a draft or rejected offer.
#[component]
pub fn EditOfferPage() -> impl IntoView {
    let params = use_params_map();
    let back = move || format!("/offers/{}", params.read().get("id").unwrap_or_default());
    view! {
        <p><a href=back>"← Offer"</a></p>
        <h1>"Edit offer"</h1>
        {with_project(|csrf| view! { <OfferEditor csrf editing=true/> })}
    }
}

#[component]
fn OfferEditor(csrf: String, editing: bool) -> impl IntoView {
    let params = use_params_map();
    let offer_id = Memo::new(move |_| {
        editing
            .then(|| params.read().get("id"))
            .flatten()
            .filter(|id| !id.is_empty())
    });
    let draft = draft_param::<OfferDraft>();
    let account = query_param("account");
    let error = query_param("error");
    let focus = query_param("focus");
    let data = Resource::new(
        move || (offer_id.get(), draft.get(), account.get()),
        |(id, draft, account)| load_editor(id, draft, account),
    );
    let csrf = StoredValue::new(csrf);
    let save = ServerAction::<SaveOfferForm>::new();
    view! {
        <Transition fallback=|| view! { <Loading label="Loading the builder…"/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) if d.status.as_deref().is_some_and(|s| s != "DRAFT" && s != "REJECTED") => view! {
                        <EmptyState title="This offer can no longer be edited"
                            hint="Only draft and rejected offers can be changed."/>
                    }.into_any(),
                    Ok(d) => view! {
                        <OfferForm data=d save offer_id=offer_id.get_untracked() csrf=csrf.get_value()
                            error=Signal::derive(move || error.get())
                            focus_last=focus.get_untracked().as_deref() == Some("last-line")/>
                    }.into_any(),
                    Err(e) => error_view(&e),
                }
            })}
        </Transition>
    }
}

/// API field names the builder shows beside their inputs.
fn offer_fields(lines: usize) -> Vec<String> {
    let mut fields: Vec<String> = [
        "title",
        "accountId",
        "opportunityId",
        "contactId",
        "currency",
        "validUntil",
        "terms",
        "notes",
        "items",
    ]
    .iter()
    .map(|f| (*f).to_owned())
    .collect();
    for i in 0..lines {
        for f in ["name", "quantity", "unitPrice", "discountPct"] {
            fields.push(format!("items[{i}].{f}"));
        }
        fields.push(format!("items[{i}]"));
    }
    fields
}

#[component]
fn OfferForm(
    data: EditorData,
    save: ServerAction<SaveOfferForm>,
    offer_id: Option<String>,
    csrf: String,
    /// The last save's error (from the URL).
    error: Signal<Option<String>>,
    /// Focus the last line's first input (after "Add line").
    focus_last: bool,
) -> impl IntoView {
    let failed = action_error(save.value());
    let error = Signal::derive(move || failed.get().or_else(|| error.get()));
    let account_button = NodeRef::<html::Button>::new();
    let EditorData {
        draft,
        accounts,
        choices,
        ..
    } = data;
    let lines = draft.items.len();
    let fields = Signal::stored(offer_fields(lines));
    let has_account = !draft.account_id.is_empty();
    let chosen_account = draft.account_id.clone();
    let account_options = accounts
        .into_iter()
        .map(|a| {
            let selected = a.id == chosen_account;
            view! { <option value=a.id selected=selected>{a.name}</option> }
        })
        .collect_view();
    let people = choices.map(|c| {
        let (opportunity, contact) = (draft.opportunity_id.clone(), draft.contact_id.clone());
        let no_contacts = c.contacts.is_empty();
        let account_href = format!("/accounts/{}", draft.account_id);
        view! {
            <div class="field">
                <label for="offer-contact">"Recipient"</label>
                <select id="offer-contact" name="contact_id" aria-describedby="offer-contact-error">
                    <option value="">"Choose later"</option>
                    {c.contacts.into_iter().map(|k| {
                        let selected = k.id == contact;
                        let text = match &k.email {
                            Some(e) if *e != k.label => format!("{} <{e}>", k.label),
                            _ => k.label.clone(),
                        };
                        view! { <option value=k.id selected=selected>{text}</option> }
                    }).collect_view()}
                </select>
                {no_contacts.then(|| view! {
                    <p class="muted">"This account has no confirmed contacts yet; "
                        <a href=account_href>"confirm one on the account"</a>" first."</p>
                })}
                <FieldMessage error field="contactId" id="offer-contact-error"/>
            </div>
            <div class="field">
                <label for="offer-opportunity">"Opportunity (optional)"</label>
                <select id="offer-opportunity" name="opportunity_id" aria-describedby="offer-opportunity-error">
                    <option value="">"None"</option>
                    {c.opportunities.into_iter().map(|o| {
                        let selected = o.id == opportunity;
                        view! { <option value=o.id selected=selected>{o.name}</option> }
                    }).collect_view()}
                </select>
                <FieldMessage error field="opportunityId" id="offer-opportunity-error"/>
            </div>
        }
    });
    let rows = draft
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let n = i + 1;
            let input = |f: &'static str, label: &'static str, value: String, api: &'static str| {
                let id = format!("line-{i}-{f}");
                let err_id = format!("{id}-error");
                let autofocus = focus_last && n == lines && f == "name";
                let class = if f == "name" { "line-name" } else { "line-num" };
                view! {
                    <td>
                        <label class="sr-only" for=id.clone()>{format!("{label} (line {n})")}</label>
                        <input id=id name=format!("items[{i}][{f}]") value=value class=class
                            inputmode=(f != "name").then_some("decimal") autofocus=autofocus
                            aria-describedby=err_id.clone()/>
                        <FieldMessage error field=format!("items[{i}].{api}") id=err_id/>
                    </td>
                }
            };
            view! {
                <tr data-testid="offer-line">
                    {input("name", "Item", item.name.clone(), "name")}
                    {input("quantity", "Quantity", item.quantity.clone(), "quantity")}
                    {input("unit_price", "Unit price", item.unit_price.clone(), "unitPrice")}
                    {input("discount_pct", "Discount %", item.discount_pct.clone(), "discountPct")}
                    <td>
                        <button type="submit" name="intent" value=format!("remove-{i}") class="btn-small"
                            formnovalidate=true aria-label=format!("Remove line {n}")>"Remove"</button>
                        <FieldMessage error field=format!("items[{i}]") id=format!("line-{i}-error")/>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <ActionForm action=save attr:class="form offer-form" attr:data-testid="offer-form">
            // Enter in a text field submits with the first button: make that "Save".
            <button type="submit" name="intent" value="save" class="default-submit" tabindex="-1" aria-hidden="true">"Save"</button>
            <input type="hidden" name="offer_id" value=offer_id.unwrap_or_default()/>
            <input type="hidden" name="csrf" value=csrf/>
            <fieldset class="panel">
                <legend>"Customer"</legend>
                <div class="field">
                    <label for="offer-account">"Account"</label>
                    <div class="inline-pair">
                        <select id="offer-account" name="account_id" aria-describedby="offer-account-error"
                            on:change=move |_| {
                                if let Some(button) = account_button.get() {
                                    button.click();
                                }
                            }>
                            <option value="" selected=!has_account>"Choose an account"</option>
                            {account_options}
                        </select>
                        <button type="submit" name="intent" value="account" class="btn-small" formnovalidate=true
                            node_ref=account_button>
                            "Show its contacts"
                        </button>
                    </div>
                    <FieldMessage error field="accountId" id="offer-account-error"/>
                </div>
                {people}
            </fieldset>
            <fieldset class="panel">
                <legend>"Offer"</legend>
                <div class="field">
                    <label for="offer-title">"Title"</label>
                    <input id="offer-title" name="title" value=draft.title.clone() maxlength="200" required=true
                        aria-describedby="offer-title-error"/>
                    <FieldMessage error field="title" id="offer-title-error"/>
                </div>
                <div class="field narrow-field">
                    <label for="offer-currency">"Currency"</label>
                    <input id="offer-currency" name="currency" value=draft.currency.clone() maxlength="3"
                        aria-describedby="offer-currency-error"/>
                    <FieldMessage error field="currency" id="offer-currency-error"/>
                </div>
                <div class="field">
                    <label for="offer-valid-until">"Valid until"</label>
                    <input id="offer-valid-until" name="valid_until" type="date" value=draft.valid_until.clone()
                        aria-describedby="offer-valid-until-error"/>
                    <FieldMessage error field="validUntil" id="offer-valid-until-error"/>
                </div>
                <div class="field">
                    <label for="offer-terms">"Terms (shown to the customer)"</label>
                    <textarea id="offer-terms" name="terms" rows="3" maxlength="10000"
                        aria-describedby="offer-terms-error">{draft.terms.clone()}</textarea>
                    <FieldMessage error field="terms" id="offer-terms-error"/>
                </div>
                <div class="field">
                    <label for="offer-notes">"Internal notes (never sent)"</label>
                    <textarea id="offer-notes" name="notes" rows="2" maxlength="2000"
                        aria-describedby="offer-notes-error">{draft.notes.clone()}</textarea>
                    <FieldMessage error field="notes" id="offer-notes-error"/>
                </div>
            </fieldset>
            <fieldset class="panel">
                <legend>"Lines"</legend>
                <table class="data-table offer-lines" data-testid="offer-lines">
                    <thead><tr>
                        <th scope="col">"Item"</th><th scope="col">"Quantity"</th><th scope="col">"Unit price"</th>
                        <th scope="col">"Discount %"</th><th scope="col"><span class="sr-only">"Remove"</span></th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                <FieldMessage error field="items" id="offer-items-error"/>
                <button type="submit" name="intent" value="add" class="btn-small" formnovalidate=true>"Add line"</button>
                <p class="muted">"Totals and the approval need are computed by the server when you save; empty lines are left out."</p>
            </fieldset>
            <GeneralError error fields testid="offer-form-error"/>
            <button type="submit" name="intent" value="save" class="btn-primary">"Save offer"</button>
        </ActionForm>
    }
}

// ---------------------------------------------------------------------------------------------
// One offer

/// One offer.
#[component]
pub fn OfferPage() -> impl IntoView {
    view! {
        <p><a href="/offers">"← Offers"</a></p>
        {with_project(|csrf| view! { <OfferDetail csrf/> })}
    }
}

#[component]
fn OfferDetail(csrf: String) -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let act = ServerAction::<OfferAction>::new();
    let offer = Resource::new(
        move || (id.get(), act.version().get()),
        |(id, _)| load_offer(id),
    );
    let error = action_error(act.value());
    let csrf = StoredValue::new(csrf);
    view! {
        <Transition fallback=|| view! { <Loading label="Loading the offer…"/> }>
            {move || Suspend::new(async move {
                match offer.await {
                    Ok(o) => view! { <OfferBody offer=o act error csrf=csrf.get_value()/> }.into_any(),
                    Err(e) => error_view(&e),
                }
            })}
        </Transition>
    }
}

#[component]
fn OfferBody(
    offer: OfferView,
    act: ServerAction<OfferAction>,
    error: Signal<Option<String>>,
    csrf: String,
) -> impl IntoView {
    let o = offer;
    let items = o
        .items
        .iter()
        .map(|i| {
            view! {
                <tr data-testid="offer-item">
                    <td>{i.name.clone()}{i.description.clone().map(|d| view! { <br/><span class="muted">{d}</span> })}</td>
                    <td class="num">{i.quantity.clone()}</td>
                    <td class="num">{money(&i.unit_price, &o.currency)}</td>
                    <td class="num">{format!("{} %", i.discount_pct)}</td>
                    <td class="num">{money(&i.line_total, &o.currency)}</td>
                </tr>
            }
        })
        .collect_view();
    let approvals = o
        .approvals
        .iter()
        .map(|a| {
            let who = if a.by_author {
                "the author".to_owned()
            } else {
                format!("another member ({})", a.decided_by.get(..8).unwrap_or(&a.decided_by))
            };
            let how = match a.mode.as_deref() {
                Some("auto") => " automatically, the discount being within the threshold",
                _ => "",
            };
            view! {
                <li data-testid="offer-approval" data-decision=a.decision.clone()>
                    <strong>{words(&a.decision)}</strong>
                    {format!(" by {who}{how}")}
                    {a.threshold.clone().map(|t| view! { <span class="muted">{format!(" · threshold {t} %")}</span> })}
                    " · " <time datetime=a.created_at.clone()>{when(&a.created_at)}</time>
                    {a.comment.clone().map(|c| view! { <blockquote>{c}</blockquote> })}
                </li>
            }
        })
        .collect_view();
    let has_approvals = !o.approvals.is_empty();
    let deliveries = o.messages.clone();
    let live_delivery = deliveries
        .iter()
        .any(|m| !matches!(m.status.as_str(), "FAILED" | "BLOCKED" | "CANCELLED"));
    let timeline = o
        .timeline
        .iter()
        .map(|(label, at)| view! { <dt>{label.clone()}</dt><dd><time datetime=at.clone()>{when(at)}</time></dd> })
        .collect_view();
    view! {
        <h1>{o.title.clone()}</h1>
        <p class="offer-head">
            <StatusBadge table=OFFER_STATUSES status=o.status.clone() testid="offer-status"/>
            {o.requires_approval.then(|| view! { " " <span class="badge">"needs another member's approval"</span> })}
        </p>
        <dl class="facts panel">
            <dt>"Account"</dt>
            <dd>{match o.account.clone() {
                Some(a) => view! { <a href=format!("/accounts/{}", a.id)>{a.name}</a> }.into_any(),
                None => view! { <span>"—"</span> }.into_any(),
            }}</dd>
            <dt>"Recipient"</dt>
            <dd data-testid="offer-recipient">{match o.contact.clone() {
                Some(c) => view! { <a href=format!("/contacts/{}", c.id)>{c.label}</a> }.into_any(),
                None => view! { <span>"not chosen yet"</span> }.into_any(),
            }}</dd>
            <dt>"Opportunity"</dt><dd>{o.opportunity.clone().map(|p| p.name).unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"Valid until"</dt><dd>{o.valid_until.as_deref().map(when).unwrap_or_else(|| "—".to_owned())}</dd>
            {timeline}
        </dl>
        <OfferActions offer=o.clone() act error csrf live_delivery/>
        <section class="panel">
            <h2>"Lines"</h2>
            <table class="data-table" data-testid="offer-items">
                <thead><tr>
                    <th scope="col">"Item"</th><th scope="col">"Quantity"</th><th scope="col">"Unit price"</th>
                    <th scope="col">"Discount"</th><th scope="col">"Line total"</th>
                </tr></thead>
                <tbody>{items}</tbody>
                <tfoot>
                    <tr><th scope="row" colspan="4">"Subtotal"</th><td class="num" data-testid="offer-subtotal">{money(&o.subtotal, &o.currency)}</td></tr>
                    <tr><th scope="row" colspan="4">"Discount"</th><td class="num" data-testid="offer-discount">{money(&o.discount_total, &o.currency)}</td></tr>
                    <tr><th scope="row" colspan="4">"Total"</th><td class="num" data-testid="offer-total"><strong>{money(&o.total, &o.currency)}</strong></td></tr>
                </tfoot>
            </table>
            <p class="muted">{format!("Largest line discount: {} %. Totals are computed by the server.", o.max_discount_pct)}</p>
            {o.terms.clone().map(|t| view! { <h3>"Terms"</h3><p class="prewrap">{t}</p> })}
            {o.notes.clone().map(|n| view! { <h3>"Internal notes"</h3><p class="prewrap muted">{n}</p> })}
        </section>
        <section class="panel" data-testid="offer-approvals">
            <h2>"Approvals"</h2>
            {if has_approvals {
                view! { <ol class="approvals">{approvals}</ol> }.into_any()
            } else {
                view! { <p class="muted">"No decisions yet."</p> }.into_any()
            }}
        </section>
        <section class="panel">
            <h2>"Message to the customer"</h2>
            <pre class="message-preview" data-testid="offer-preview">{o.message_preview.clone()}</pre>
        </section>
        <section class="panel" data-testid="offer-deliveries">
            <h2>"Delivery"</h2>
            {if deliveries.is_empty() {
                view! { <p class="muted">"Not sent yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="deliveries">
                        {deliveries.into_iter().map(delivery).collect_view()}
                    </ul>
                    <p class="muted">"The sender delivers in the background; reload to follow it. All messages are in the "<a href="/outbox">"outbox"</a>"."</p>
                }.into_any()
            }}
        </section>
    }
}

fn delivery(m: OutboundRow) -> impl IntoView {
    let conversation = m.conversation_id.clone().map(|c| {
        let label = m
            .conversation_display_id
            .map(|d| format!("conversation #{d}"))
            .unwrap_or_else(|| "conversation".to_owned());
        view! { " · " <a href=format!("/conversations/{c}")>{label}</a> }
    });
    view! {
        <li data-testid="offer-delivery" data-status=m.status.clone()
            data-display-id=m.conversation_display_id.map(|d| d.to_string())>
            <StatusBadge table=OUTBOUND_STATUSES status=m.status.clone()/>
            {conversation}
            {m.sent_at.clone().map(|at| view! { " · sent " <time datetime=at.clone()>{when(&at)}</time> })}
            {m.blocked_reason.clone().map(|r| view! { " · " <span class="muted">{words(&r)}</span> })}
            {m.last_error.clone().map(|e| view! { " · " <span class="muted">{e}</span> })}
        </li>
    }
}

/// How the offer page names the API's fields in errors.
const OFFER_LABELS: &[(&str, &str)] = &[
    ("contactId", "Recipient"),
    ("accountId", "Account"),
    ("items", "Lines"),
    ("validUntil", "Valid until"),
    ("comment", "Comment"),
];

/// The actions the offer's status allows, with the last action's error.
#[component]
fn OfferActions(
    offer: OfferView,
    act: ServerAction<OfferAction>,
    error: Signal<Option<String>>,
    csrf: String,
    live_delivery: bool,
) -> impl IntoView {
    let (id, csrf) = (StoredValue::new(offer.id.clone()), StoredValue::new(csrf));
    let hidden = move || {
        view! {
            <input type="hidden" name="id" value=id.get_value()/>
            <input type="hidden" name="csrf" value=csrf.get_value()/>
        }
    };
    let busy = move || act.pending().get();
    let edit = view! { <a class="btn-small" href=format!("/offers/{}/edit", offer.id)>"Edit"</a> };
    let buttons = match offer.status.as_str() {
        "DRAFT" => view! {
            <div class="toolbar">
                <ActionForm action=act attr:class="form inline">
                    {hidden()}
                    <input type="hidden" name="action" value="submit"/>
                    <button type="submit" class="btn-primary" disabled=busy>"Submit"</button>
                </ActionForm>
                {edit}
            </div>
            <p class="muted">"Submitting applies the approval policy: above the project's discount threshold another member must approve; otherwise it is approved at once."</p>
        }
        .into_any(),
        "PENDING_APPROVAL" => view! {
            <div class="decide" id="decide">
                <ActionForm action=act attr:class="form inline" attr:data-testid="approve-offer-form">
                    {hidden()}
                    <input type="hidden" name="action" value="approve"/>
                    <div class="field grow">
                        <label for="approve-comment">"Comment (optional)"</label>
                        <input id="approve-comment" name="comment" maxlength="2000"/>
                    </div>
                    <button type="submit" class="btn-primary" disabled=busy>"Approve"</button>
                </ActionForm>
                <ActionForm action=act attr:class="form inline" attr:data-testid="reject-offer-form">
                    {hidden()}
                    <input type="hidden" name="action" value="reject"/>
                    <div class="field grow">
                        <label for="reject-comment">"Why it is rejected"</label>
                        <input id="reject-comment" name="comment" maxlength="2000" required=true/>
                    </div>
                    <button type="submit" class="btn-small btn-danger" disabled=busy>"Reject"</button>
                </ActionForm>
            </div>
        }
        .into_any(),
        "APPROVED" if live_delivery => view! {
            <p class="notice" role="status">"Queued for sending: the sender delivers it in the background."</p>
        }
        .into_any(),
        "APPROVED" => view! {
            <ActionForm action=act attr:class="form inline">
                {hidden()}
                <input type="hidden" name="action" value="send"/>
                <button type="submit" class="btn-primary" disabled=busy>"Send"</button>
            </ActionForm>
            <p class="muted">"Sends the message below to the recipient's latest conversation."</p>
        }
        .into_any(),
        "REJECTED" => view! {
            <div class="toolbar">{edit}</div>
            <p class="muted">"Editing takes it back to draft."</p>
        }
        .into_any(),
        "SENT" => view! {
            <ActionForm action=act attr:class="form inline" attr:data-testid="offer-answer-form">
                {hidden()}
                <div class="field grow">
                    <label for="answer-comment">"What the customer said (optional)"</label>
                    <input id="answer-comment" name="comment" maxlength="2000"/>
                </div>
                <button type="submit" class="btn-primary" name="action" value="accepted" disabled=busy>"Accepted"</button>
                <button type="submit" class="btn-small" name="action" value="declined" disabled=busy>"Declined"</button>
            </ActionForm>
        }
        .into_any(),
        _ => view! { <p class="muted">"Nothing more to do with this offer."</p> }.into_any(),
    };
    view! {
        <section class="panel" data-testid="offer-actions">
            <h2>"Next step"</h2>
            {buttons}
            <Show when=move || error.get().is_some()>
                <p class="form-error" role="alert" data-testid="offer-action-error">
                    {move || error.get().map(|e| readable_error(&e, OFFER_LABELS))}
                </p>
                <Show when=move || error.get().is_some_and(|e| e.contains("other than its author"))>
                    <p class="muted">"Another member approves it from their "<a href="/offers/approvals">"approval inbox"</a>"."</p>
                </Show>
            </Show>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builder_knows_every_line_field() {
        let fields = offer_fields(2);
        assert!(fields.contains(&"items[1].discountPct".to_owned()));
        assert!(fields.contains(&"contactId".to_owned()));
    }
}
