//! The offer builder (new and edit): "Add line", "Remove" and the account choice post the
//! form back (past the browser's required-field checks, which only "Save offer" applies) and
//! return to the builder with the changed draft in its URL.
use leptos::{html, prelude::*};

use super::*;

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
