//! Campaigns: the listing, the editor (name, message template, and a segment builder of
//! conditions combined with ALL or ANY, each optionally negated, with typed inputs per kind of
//! condition and a JSON fallback; "Preview" shows the live count and sample contacts), the
//! lifecycle buttons its status allows, and the report (counts per member state and an SVG
//! chart of events per hour, with the same numbers as a table).
//!
//! The condition inputs of every kind are in the page; CSS (`:has`) shows the ones of the
//! chosen kind, so changing a condition's kind needs neither JavaScript nor a round trip.
//! "Add condition", "Remove", "Preview" and the JSON switch post the form back and return to
//! the editor with the draft in its URL.
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map};

use crate::{
    api::{
        error_text, field_error,
        sales::{
            CAMPAIGN_STATUSES, CampaignAction, CampaignDraft, CampaignPage, CampaignView,
            MemberCounts, SaveCampaignForm, SegmentPreviewView, SeriesPoint, TEMPLATE_PLACEHOLDERS,
            list_campaigns, load_campaign, preview_segment,
        },
        segments::{
            ACCOUNT_FIELDS, BANDS, CONTACT_KEYS, ConditionDraft, LEAF_KINDS, OPS, SIGNAL_KINDS,
            describe_definition,
        },
    },
    components::{
        feedback::{EmptyState, Loading},
        forms::action_error,
        paging::{LoadMore, more_pages},
    },
    pages::{
        crm::with_project,
        insights::when,
        sales::{
            FieldMessage, GeneralError, StatusBadge, draft_param, error_view, query_param,
            readable_error,
        },
    },
};

/// The campaign listing.
#[component]
pub fn CampaignsPage() -> impl IntoView {
    view! {
        <h1>"Campaigns"</h1>
        {with_project(|_| view! { <Campaigns/> })}
    }
}

#[component]
fn Campaigns() -> impl IntoView {
    let status = query_param("status");
    let after = query_param("after");
    let campaigns = Resource::new(
        move || (status.get(), after.get()),
        |(status, after)| list_campaigns(status, after),
    );
    view! {
        <div class="toolbar">
            <a class="btn-primary" href="/campaigns/new" data-testid="new-campaign">"New campaign"</a>
            <form class="form inline" method="get" action="/campaigns" data-testid="campaigns-filter">
                <div class="field">
                    <label for="campaigns-status">"Status"</label>
                    <select id="campaigns-status" name="status">
                        <option value="" selected=move || status.get().is_none()>"All states"</option>
                        {CAMPAIGN_STATUSES.iter().map(|(v, l)| view! {
                            <option value=*v selected=move || status.get().as_deref() == Some(*v)>{*l}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="btn-small">"Apply"</button>
            </form>
        </div>
        {move || after.get().map(|_| view! { <p><a href="/campaigns">"← First page"</a></p> })}
        <Transition fallback=|| view! { <Loading label="Loading campaigns…"/> }>
            {move || Suspend::new(async move {
                match campaigns.await {
                    Ok(page) if page.rows.is_empty() => view! {
                        <EmptyState title="No campaigns"
                            hint="A campaign sends one message to every contact of a segment, after another member approves it."/>
                    }.into_any(),
                    Ok(page) => view! { <CampaignList page status=status.get_untracked()/> }.into_any(),
                    Err(e) => error_view(&e),
                }
            })}
        </Transition>
    }
}

#[component]
fn CampaignList(page: CampaignPage, status: Option<String>) -> impl IntoView {
    let s = status.clone();
    let (rows, more) = more_pages(
        page.rows,
        page.next,
        move |after| list_campaigns(s.clone(), Some(after)),
        |p: CampaignPage| (p.rows, p.next),
        |r| &r.id,
    );
    let keep: Vec<(&'static str, String)> = status.map(|s| ("status", s)).into_iter().collect();
    view! {
        <p class="muted">{format!("{} campaign(s)", page.total)}</p>
        <table class="data-table" data-testid="campaigns-table">
            <thead><tr>
                <th scope="col">"Campaign"</th><th scope="col">"Segment"</th><th scope="col">"Audience"</th>
                <th scope="col">"Status"</th><th scope="col">"Starts / started"</th>
            </tr></thead>
            <tbody>
                <For each=move || rows.get() key=|r| r.id.clone() let:row>
                    <tr data-testid="campaign-row" data-id=row.id.clone() data-status=row.status.clone()>
                        <td><a href=format!("/campaigns/{}", row.id)>{row.name.clone()}</a></td>
                        <td>{row.segment.clone().unwrap_or_else(|| "—".to_owned())}</td>
                        <td class="num">{row.audience.map(|n| n.to_string()).unwrap_or_else(|| "—".to_owned())}</td>
                        <td><StatusBadge table=CAMPAIGN_STATUSES status=row.status.clone()/></td>
                        <td>{row.scheduled_at.as_deref().map(when).unwrap_or_else(|| "—".to_owned())}</td>
                    </tr>
                </For>
            </tbody>
        </table>
        <LoadMore action="/campaigns" keep more/>
    }
}

/// The segment preview asked for in the URL (`?preview=1` with the editor's draft).
fn preview_resource() -> Resource<Result<Option<SegmentPreviewView>, ServerFnError>> {
    let draft = draft_param::<CampaignDraft>();
    let wanted = query_param("preview");
    Resource::new(
        move || {
            wanted
                .get()
                .and(draft.get())
                .map(|d| d.definition().map(|t| t.to_string()))
        },
        |definition| async move {
            match definition {
                None => Ok(None),
                Some(Ok(tree)) => preview_segment(tree).await.map(Some),
                Some(Err(message)) => Err(ServerFnError::ServerError(message)),
            }
        },
    )
}

/// A new campaign.
#[component]
pub fn NewCampaignPage() -> impl IntoView {
    view! {
        <p><a href="/campaigns">"← Campaigns"</a></p>
        <h1>"New campaign"</h1>
        {with_project(|csrf| {
            let preview = preview_resource();
            let draft = draft_param::<CampaignDraft>();
            view! {
                {move || {
                    let d = draft.get().unwrap_or_else(CampaignDraft::new_default);
                    view! { <CampaignEditor campaign_id=None draft=d csrf=csrf.clone() preview/> }
                }}
            }
        })}
    }
}

/// One campaign: its editor while a draft, its lifecycle and its report.
#[component]
pub fn CampaignPage() -> impl IntoView {
    view! {
        <p><a href="/campaigns">"← Campaigns"</a></p>
        {with_project(|csrf| view! { <CampaignDetail csrf/> })}
    }
}

#[component]
fn CampaignDetail(csrf: String) -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let search = use_location().search;
    let act = ServerAction::<CampaignAction>::new();
    // Saving the editor returns to this page: the query changes, so the campaign is read again.
    let campaign = Resource::new(
        move || (id.get(), act.version().get(), search.get()),
        |(id, ..)| load_campaign(id),
    );
    let preview = preview_resource();
    let draft = draft_param::<CampaignDraft>();
    let error = action_error(act.value());
    let csrf = StoredValue::new(csrf);
    view! {
        <Transition fallback=|| view! { <Loading label="Loading the campaign…"/> }>
            {move || Suspend::new(async move {
                match campaign.await {
                    Ok(c) => {
                        let editing = draft.get_untracked();
                        view! { <CampaignBody campaign=c act error csrf=csrf.get_value() preview editing/> }.into_any()
                    }
                    Err(e) => error_view(&e),
                }
            })}
        </Transition>
    }
}

#[component]
fn CampaignBody(
    campaign: CampaignView,
    act: ServerAction<CampaignAction>,
    error: Signal<Option<String>>,
    csrf: String,
    preview: Resource<Result<Option<SegmentPreviewView>, ServerFnError>>,
    /// The editor's draft from the URL, if any.
    editing: Option<CampaignDraft>,
) -> impl IntoView {
    let c = campaign;
    let is_draft = c.status == "DRAFT";
    let reported = !matches!(c.status.as_str(), "DRAFT" | "PENDING_APPROVAL") || c.counts.total > 0;
    let timeline = c
        .timeline
        .iter()
        .map(|(label, at)| view! { <dt>{label.clone()}</dt><dd><time datetime=at.clone()>{when(at)}</time></dd> })
        .collect_view();
    let audience = c
        .snapshot
        .as_deref()
        .or(c.segment.as_ref().map(|s| s.definition.as_str()))
        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .map(|d| describe_definition(&d));
    let summary = (!is_draft).then(|| {
        view! {
            <section class="panel" data-testid="campaign-summary">
                <h2>"Message and audience"</h2>
                <dl class="facts">
                    <dt>"Audience"</dt>
                    <dd data-testid="campaign-audience">
                        {audience.clone().unwrap_or_else(|| "No segment".to_owned())}
                        {c.segment.as_ref().and_then(|s| s.last_count).map(|n| format!(" ({n} contacts when last counted)"))}
                    </dd>
                    <dt>"Pace"</dt>
                    <dd>{c.rate.map(|r| format!("{r} messages per minute")).unwrap_or_else(|| "As fast as the sender allows".to_owned())}</dd>
                </dl>
                <pre class="message-preview" data-testid="campaign-template">{c.template.clone()}</pre>
            </section>
        }
    });
    let editor = is_draft.then(|| {
        let draft = editing.unwrap_or_else(|| c.draft.clone());
        view! {
            <section class="panel">
                <h2>"Edit"</h2>
                <CampaignEditor campaign_id=Some(c.id.clone()) draft csrf=csrf.clone() preview/>
            </section>
        }
    });
    let report = reported.then(|| {
        view! { <CampaignReport counts=c.counts.clone() series=c.series.clone() status=c.status.clone()/> }
    });
    view! {
        <h1>{c.name.clone()}</h1>
        <p><StatusBadge table=CAMPAIGN_STATUSES status=c.status.clone() testid="campaign-status"/></p>
        {c.description.clone().map(|d| view! { <p class="prewrap">{d}</p> })}
        <dl class="facts panel">{timeline}</dl>
        <CampaignActions id=c.id.clone() status=c.status.clone() act error csrf=csrf.clone()/>
        {report}
        {summary}
        {editor}
    }
}

/// How the campaign page names the API's fields in errors.
const CAMPAIGN_LABELS: &[(&str, &str)] = &[
    ("segmentId", "Segment"),
    ("messageTemplate", "Message"),
    ("scheduledAt", "Start at"),
    ("comment", "Comment"),
];

/// The buttons the campaign's status allows.
#[component]
fn CampaignActions(
    id: String,
    status: String,
    act: ServerAction<CampaignAction>,
    error: Signal<Option<String>>,
    csrf: String,
) -> impl IntoView {
    let (id, csrf) = (StoredValue::new(id), StoredValue::new(csrf));
    let hidden = move || {
        view! {
            <input type="hidden" name="id" value=id.get_value()/>
            <input type="hidden" name="csrf" value=csrf.get_value()/>
        }
    };
    let busy = move || act.pending().get();
    let simple = move |action: &'static str, label: &'static str, class: &'static str| {
        view! {
            <ActionForm action=act attr:class="form inline">
                {hidden()}
                <input type="hidden" name="action" value=action/>
                <button type="submit" class=class disabled=busy>{label}</button>
            </ActionForm>
        }
    };
    let cancel = move || simple("cancel", "Cancel campaign", "btn-small btn-danger");
    let buttons = match status.as_str() {
        "DRAFT" => view! {
            <div class="toolbar">{simple("submit", "Submit for approval", "btn-primary")}</div>
            <p class="muted">"Submitting freezes the segment; a member other than you approves it."</p>
        }
        .into_any(),
        "PENDING_APPROVAL" => view! {
            <div class="decide">
                <ActionForm action=act attr:class="form inline" attr:data-testid="approve-campaign-form">
                    {hidden()}
                    <input type="hidden" name="action" value="approve"/>
                    <div class="field">
                        <label for="campaign-start-at">"Start at (UTC, optional)"</label>
                        <input id="campaign-start-at" name="scheduled_at" type="datetime-local"/>
                    </div>
                    <button type="submit" class="btn-primary" disabled=busy>"Approve"</button>
                </ActionForm>
                <ActionForm action=act attr:class="form inline" attr:data-testid="reject-campaign-form">
                    {hidden()}
                    <input type="hidden" name="action" value="reject"/>
                    <div class="field grow">
                        <label for="campaign-reject-comment">"Why it is rejected"</label>
                        <input id="campaign-reject-comment" name="comment" maxlength="2000" required=true/>
                    </div>
                    <button type="submit" class="btn-small btn-danger" disabled=busy>"Reject"</button>
                </ActionForm>
                <p class="muted">"Approving schedules it (now unless a time is given); rejecting sends it back to draft."</p>
            </div>
        }
        .into_any(),
        "SCHEDULED" => view! {
            <div class="toolbar">{simple("start", "Start now", "btn-primary")}{cancel()}</div>
        }
        .into_any(),
        "RUNNING" => view! {
            <div class="toolbar">{simple("pause", "Pause", "btn-small")}{cancel()}</div>
        }
        .into_any(),
        "PAUSED" => view! {
            <div class="toolbar">{simple("resume", "Resume", "btn-primary")}{cancel()}</div>
        }
        .into_any(),
        _ => view! { <p class="muted">"This campaign is over."</p> }.into_any(),
    };
    view! {
        <section class="panel" data-testid="campaign-actions">
            <h2>"Next step"</h2>
            {buttons}
            <Show when=move || error.get().is_some()>
                <p class="form-error" role="alert" data-testid="campaign-action-error">
                    {move || error.get().map(|e| readable_error(&e, CAMPAIGN_LABELS))}
                </p>
            </Show>
        </section>
    }
}

// ---------------------------------------------------------------------------------------------
// Editor

/// API field names the campaign form shows beside their inputs.
const CAMPAIGN_FIELDS: &[&str] = &[
    "name",
    "description",
    "messageTemplate",
    "sendRatePerMinute",
    "segmentId",
];

#[component]
fn CampaignEditor(
    campaign_id: Option<String>,
    draft: CampaignDraft,
    csrf: String,
    preview: Resource<Result<Option<SegmentPreviewView>, ServerFnError>>,
) -> impl IntoView {
    let save = ServerAction::<SaveCampaignForm>::new();
    let failed = action_error(save.value());
    let url_error = query_param("error");
    let error = Signal::derive(move || failed.get().or_else(|| url_error.get()));
    let segment_error = query_param("segment_error");
    let fields = Signal::stored(
        CAMPAIGN_FIELDS
            .iter()
            .map(|f| (*f).to_owned())
            .collect::<Vec<_>>(),
    );
    let uses_json = draft.uses_json();
    let computed = draft
        .segment
        .to_definition()
        .ok()
        .and_then(|t| serde_json::to_string_pretty(&t).ok());
    let is_any = draft.segment.is_any();
    let conditions = draft
        .segment
        .conditions
        .iter()
        .enumerate()
        .map(|(i, c)| condition_row(i, c))
        .collect_view();
    let segment_message = move || {
        segment_error
            .get()
            .map(|e| field_error(&e, "definition").unwrap_or(e))
    };
    let builder = if uses_json {
        view! {
            <input type="hidden" name="mode" value="json"/>
            <div class="field">
                <label for="segment-json">"Segment definition (JSON)"</label>
                <textarea id="segment-json" name="advanced" rows="10" class="code" spellcheck="false">{draft.advanced.clone()}</textarea>
                <p class="muted">"One key per node: "<code>"and"</code>", "<code>"or"</code>", "<code>"not"</code>
                    " and the leaves, e.g. "<code>r#"{"contact_attribute": {"key": "additional.city", "op": "eq", "value": "Berlin"}}"#</code>"."</p>
            </div>
            <button type="submit" name="intent" value="builder" class="btn-small" formnovalidate=true>"Back to conditions"</button>
        }
        .into_any()
    } else {
        view! {
            <input type="hidden" name="mode" value="builder"/>
            <fieldset class="seg-combine">
                <legend>"Contacts matching"</legend>
                <label class="radio"><input type="radio" name="combine" value="all" checked=!is_any/>" all of the conditions"</label>
                <label class="radio"><input type="radio" name="combine" value="any" checked=is_any/>" any of the conditions"</label>
            </fieldset>
            <ol class="seg-conditions" data-testid="segment-conditions">{conditions}</ol>
            <datalist id="contact-keys">
                {CONTACT_KEYS.iter().map(|k| view! { <option value=*k></option> }).collect_view()}
            </datalist>
            <div class="toolbar">
                <button type="submit" name="intent" value="add" class="btn-small" formnovalidate=true>"Add condition"</button>
                <button type="submit" name="intent" value="json" class="btn-small" formnovalidate=true>"Edit as JSON"</button>
            </div>
            {computed.map(|json| view! {
                <details>
                    <summary>"The segment as JSON"</summary>
                    <pre class="code">{json}</pre>
                </details>
            })}
        }
        .into_any()
    };
    view! {
        <ActionForm action=save attr:class="form campaign-form" attr:data-testid="campaign-form">
            // Enter in a text field submits with the first button: make that "Save".
            <button type="submit" name="intent" value="save" class="default-submit" tabindex="-1" aria-hidden="true">"Save"</button>
            <input type="hidden" name="campaign_id" value=campaign_id.unwrap_or_default()/>
            <input type="hidden" name="csrf" value=csrf/>
            <div class="field">
                <label for="campaign-name">"Name"</label>
                <input id="campaign-name" name="name" value=draft.name.clone() maxlength="200" required=true
                    aria-describedby="campaign-name-error"/>
                <FieldMessage error field="name" id="campaign-name-error"/>
            </div>
            <div class="field">
                <label for="campaign-description">"Description (optional)"</label>
                <textarea id="campaign-description" name="description" rows="2" maxlength="2000">{draft.description.clone()}</textarea>
                <FieldMessage error field="description" id="campaign-description-error"/>
            </div>
            <div class="field">
                <label for="campaign-template">"Message"</label>
                <textarea id="campaign-template" name="template" rows="5" maxlength="4000"
                    aria-describedby="template-help campaign-template-error">{draft.template.clone()}</textarea>
                <p class="muted" id="template-help" data-testid="template-placeholders">
                    "Placeholders: "
                    {TEMPLATE_PLACEHOLDERS.iter().map(|p| view! { <code>{*p}</code>" " }).collect_view()}
                    "— with a fallback for missing values, e.g. "<code>"{{first_name|there}}"</code>"."
                </p>
                <FieldMessage error field="messageTemplate" id="campaign-template-error"/>
            </div>
            <div class="field narrow-field">
                <label for="campaign-rate">"Messages per minute (optional)"</label>
                <input id="campaign-rate" name="rate" type="number" min="1" max="600" value=draft.rate.clone()
                    aria-describedby="campaign-rate-error"/>
                <FieldMessage error field="sendRatePerMinute" id="campaign-rate-error"/>
            </div>
            <fieldset class="segment-builder" data-testid="segment-builder">
                <legend>"Who receives it"</legend>
                <input type="hidden" name="segment_id" value=draft.segment_id.clone()/>
                <div class="field">
                    <label for="segment-name">"Segment name (optional)"</label>
                    <input id="segment-name" name="segment_name" value=draft.segment_name.clone() maxlength="200"
                        placeholder="the campaign's name + “audience”"/>
                </div>
                {builder}
                <FieldMessage error field="segmentId" id="campaign-segment-error"/>
                <Show when=move || segment_message().is_some()>
                    <p class="form-error" role="alert" data-testid="segment-error">{segment_message}</p>
                </Show>
                <button type="submit" name="intent" value="preview" class="btn-small" formnovalidate=true>"Preview"</button>
                <SegmentPreview preview/>
            </fieldset>
            <GeneralError error fields testid="campaign-form-error"/>
            <button type="submit" name="intent" value="save" class="btn-primary">"Save campaign"</button>
        </ActionForm>
    }
}

fn options(table: &'static [(&'static str, &'static str)], current: &str) -> impl IntoView + use<> {
    let current = current.to_owned();
    table
        .iter()
        .map(|(v, l)| {
            let selected = *v == current;
            view! { <option value=*v selected=selected>{*l}</option> }
        })
        .collect_view()
}

/// One condition: NOT, its kind, and the inputs of every kind (CSS shows the chosen kind's).
fn condition_row(i: usize, c: &ConditionDraft) -> impl IntoView + use<> {
    let n = i + 1;
    let name = move |f: &str| format!("conditions[{i}][{f}]");
    let id = move |f: &str| format!("cond-{i}-{f}");
    let label = move |f: &str, text: &'static str| {
        view! {
            <label for=id(f)>{text}<span class="sr-only">{format!(" (condition {n})")}</span></label>
        }
    };
    let kind = if c.kind.is_empty() {
        "contact_attribute".to_owned()
    } else {
        c.kind.clone()
    };
    let when_options: &'static [(&'static str, &'static str)] = &[
        ("within", "within the last … days"),
        ("older", "more than … days ago"),
    ];
    view! {
        <li class="seg-condition" data-testid="segment-condition" data-kind=kind.clone()>
            <div class="field seg-not">
                <label class="checkbox">
                    <input type="checkbox" name=name("negate") value="true" checked=c.negated()/>
                    "NOT"<span class="sr-only">{format!(" (condition {n})")}</span>
                </label>
            </div>
            <div class="field">
                {label("kind", "Condition")}
                <select id=id("kind") name=name("kind") class="seg-kind">{options(LEAF_KINDS, &kind)}</select>
            </div>
            <div class="field seg-f" data-for="contact_attribute">
                {label("key", "Attribute")}
                <input id=id("key") name=name("key") value=c.key.clone() list="contact-keys" placeholder="additional.city"/>
            </div>
            <div class="field seg-f" data-for="account_attribute">
                {label("field", "Account field")}
                <select id=id("field") name=name("field")>{options(ACCOUNT_FIELDS, &c.field)}</select>
            </div>
            <div class="field seg-f" data-for="contact_attribute account_attribute">
                {label("op", "Comparison")}
                <select id=id("op") name=name("op")>{options(OPS, &c.op)}</select>
            </div>
            <div class="field seg-f" data-for="contact_attribute account_attribute">
                {label("value", "Value")}
                <input id=id("value") name=name("value") value=c.value.clone() maxlength="200"/>
            </div>
            <div class="field seg-f" data-for="chatwoot_label">
                {label("label", "Label")}
                <input id=id("label") name=name("label") value=c.label.clone() maxlength="200"/>
            </div>
            <div class="field seg-f" data-for="inbox">
                {label("inbox_id", "Inbox number")}
                <input id=id("inbox_id") name=name("inbox_id") type="number" min="1" value=c.inbox_id.clone()/>
            </div>
            <div class="field seg-f" data-for="health_band">
                {label("band", "Band")}
                <select id=id("band") name=name("band")>{options(BANDS, &c.band)}</select>
            </div>
            <div class="field seg-f" data-for="signal">
                {label("signal_type", "Signal type")}
                <select id=id("signal_type") name=name("signal_type")>{options(SIGNAL_KINDS, &c.signal_type)}</select>
            </div>
            <div class="field seg-f" data-for="last_activity">
                {label("when", "When")}
                <select id=id("when") name=name("when")>{options(when_options, &c.when)}</select>
            </div>
            <div class="field seg-f" data-for="signal last_activity">
                {label("days", "Days")}
                <input id=id("days") name=name("days") type="number" min="1" max="3650" value=c.days.clone()/>
            </div>
            <button type="submit" name="intent" value=format!("remove-{i}") class="btn-small"
                formnovalidate=true aria-label=format!("Remove condition {n}")>"Remove"</button>
        </li>
    }
}

#[component]
fn SegmentPreview(
    preview: Resource<Result<Option<SegmentPreviewView>, ServerFnError>>,
) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <Loading label="Counting…"/> }>
            {move || Suspend::new(async move {
                match preview.await {
                    Ok(None) => ().into_any(),
                    Ok(Some(p)) => view! {
                        <div class="segment-preview" data-testid="segment-preview" role="status">
                            <p>
                                <strong data-testid="segment-count" data-count=p.count.to_string()>{p.count}</strong>
                                {if p.count == 1 { " contact matches now" } else { " contacts match now" }}
                                {(p.count > p.sample.len() as i64).then(|| format!("; the first {} by name:", p.sample.len()))}
                            </p>
                            {(!p.sample.is_empty()).then(|| view! {
                                <ul class="sample" data-testid="segment-sample">
                                    {p.sample.into_iter().map(|c| view! {
                                        <li><a href=format!("/contacts/{}", c.id)>{c.label}</a>
                                            {c.email.map(|e| view! { " " <span class="muted">{e}</span> })}</li>
                                    }).collect_view()}
                                </ul>
                            })}
                        </div>
                    }.into_any(),
                    Err(e) => view! {
                        <p class="form-error" role="alert" data-testid="segment-error">{error_text(&e)}</p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

// ---------------------------------------------------------------------------------------------
// Report

/// Series of the chart (key, label), drawn in this order.
const SERIES: &[(&str, &str)] = &[
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("replied", "Replied"),
    ("failed", "Failed"),
];

fn series_value(p: &SeriesPoint, key: &str) -> i64 {
    match key {
        "queued" => p.queued,
        "sent" => p.sent,
        "delivered" => p.delivered,
        "replied" => p.replied,
        "failed" => p.failed,
        "opted_out" => p.opted_out,
        _ => 0,
    }
}

const CHART_W: f64 = 600.0;
const CHART_H: f64 = 200.0;
const PAD_LEFT: f64 = 36.0;
const PAD_RIGHT: f64 = 8.0;
const PAD_TOP: f64 = 10.0;
const PAD_BOTTOM: f64 = 24.0;

/// One bar: (series key, x, y, width, height).
type Bar = (&'static str, f64, f64, f64, f64);

/// The bars of each bucket.
fn bars(points: &[SeriesPoint]) -> Vec<Vec<Bar>> {
    let max = points
        .iter()
        .flat_map(|p| SERIES.iter().map(move |(k, _)| series_value(p, k)))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let plot_w = CHART_W - PAD_LEFT - PAD_RIGHT;
    let plot_h = CHART_H - PAD_TOP - PAD_BOTTOM;
    let group = plot_w / points.len().max(1) as f64;
    let bar = (group * 0.8 / SERIES.len() as f64).min(24.0);
    points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let start = PAD_LEFT + i as f64 * group + (group - bar * SERIES.len() as f64) / 2.0;
            SERIES
                .iter()
                .enumerate()
                .map(|(j, (key, _))| {
                    let h = series_value(p, key) as f64 / max * plot_h;
                    (*key, start + j as f64 * bar, PAD_TOP + plot_h - h, bar, h)
                })
                .collect()
        })
        .collect()
}

#[component]
fn CampaignReport(counts: MemberCounts, series: Vec<SeriesPoint>, status: String) -> impl IntoView {
    let running = matches!(status.as_str(), "RUNNING" | "SCHEDULED" | "PAUSED");
    let entries = counts.entries();
    let max = series
        .iter()
        .flat_map(|p| SERIES.iter().map(move |(k, _)| series_value(p, k)))
        .max()
        .unwrap_or(0);
    let summary = if series.is_empty() {
        "Campaign events per hour: none yet".to_owned()
    } else {
        let totals: Vec<String> = SERIES
            .iter()
            .map(|(k, l)| {
                let sum: i64 = series.iter().map(|p| series_value(p, k)).sum();
                format!("{} {sum}", l.to_lowercase())
            })
            .collect();
        format!(
            "Campaign events per hour over {} hour(s): {}",
            series.len(),
            totals.join(", ")
        )
    };
    let groups = bars(&series);
    let plot_h = CHART_H - PAD_TOP - PAD_BOTTOM;
    let bar_views = series
        .iter()
        .zip(groups)
        .map(|(p, group)| {
            let hour = p.bucket.get(11..16).unwrap_or(&p.bucket).to_owned();
            let label_x = group
                .first()
                .map(|(_, x, ..)| *x)
                .unwrap_or(PAD_LEFT)
                + group.iter().map(|(.., w, _)| *w).sum::<f64>() / 2.0;
            let rects = group
                .into_iter()
                .map(|(key, x, y, w, h)| {
                    let value = series_value(p, key);
                    view! {
                        <rect class=format!("bar bar-{key}") x=format!("{x:.1}") y=format!("{y:.1}")
                            width=format!("{w:.1}") height=format!("{h:.1}")>
                            <title>{format!("{key} {value} at {}", when(&p.bucket))}</title>
                        </rect>
                    }
                })
                .collect_view();
            view! {
                <g>
                    {rects}
                    <text class="axis-label" x=format!("{label_x:.1}") y=format!("{:.1}", CHART_H - 6.0) text-anchor="middle">{hour}</text>
                </g>
            }
        })
        .collect_view();
    let rows = series
        .iter()
        .map(|p| {
            view! {
                <tr>
                    <td><time datetime=p.bucket.clone()>{when(&p.bucket)}</time></td>
                    <td class="num">{p.queued}</td><td class="num">{p.sent}</td><td class="num">{p.delivered}</td>
                    <td class="num">{p.replied}</td><td class="num">{p.failed}</td><td class="num">{p.opted_out}</td>
                </tr>
            }
        })
        .collect_view();
    let empty = series.is_empty();
    view! {
        <section class="panel" data-testid="campaign-report">
            <h2>"Report"</h2>
            <table class="data-table counts" data-testid="campaign-counts">
                <caption class="sr-only">"Members per state"</caption>
                <thead><tr>{entries.iter().map(|(_, label, _)| view! { <th scope="col">{*label}</th> }).collect_view()}</tr></thead>
                <tbody><tr>
                    {entries.iter().map(|(key, _, n)| view! {
                        <td class="num" data-testid=format!("count-{key}")>{*n}</td>
                    }).collect_view()}
                </tr></tbody>
            </table>
            <figure class="campaign-chart">
                <svg data-testid="campaign-report-chart" role="img" aria-label=summary.clone()
                    viewBox=format!("0 0 {CHART_W} {CHART_H}")>
                    <title>{summary.clone()}</title>
                    <line class="axis" x1=PAD_LEFT.to_string() x2=(CHART_W - PAD_RIGHT).to_string()
                        y1=format!("{:.1}", PAD_TOP + plot_h) y2=format!("{:.1}", PAD_TOP + plot_h)/>
                    <text class="axis-label" x="2" y=format!("{:.1}", PAD_TOP + 8.0)>{max.to_string()}</text>
                    <text class="axis-label" x="2" y=format!("{:.1}", PAD_TOP + plot_h)>"0"</text>
                    {empty.then(|| view! {
                        <text class="axis-label" x=(CHART_W / 2.0).to_string() y=(CHART_H / 2.0).to_string() text-anchor="middle">
                            "No events yet"
                        </text>
                    })}
                    {bar_views}
                </svg>
                <figcaption class="legend">
                    {SERIES.iter().map(|(key, label)| view! {
                        <span class="legend-item"><span class=format!("swatch bar-{key}") aria-hidden="true"></span>{*label}</span>
                    }).collect_view()}
                    <span class="muted">" · per hour (UTC)"</span>
                </figcaption>
                <details>
                    <summary>"Events per hour as a table"</summary>
                    <table class="data-table" data-testid="campaign-report-table">
                        <thead><tr>
                            <th scope="col">"Hour"</th><th scope="col">"Queued"</th><th scope="col">"Sent"</th>
                            <th scope="col">"Delivered"</th><th scope="col">"Replied"</th><th scope="col">"Failed"</th>
                            <th scope="col">"Opted out"</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </details>
            </figure>
            {running.then(|| view! {
                <p class="muted">"Messages go out in the background. " <a href="">"Refresh"</a>" to follow it."</p>
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(queued: i64, sent: i64) -> SeriesPoint {
        SeriesPoint {
            bucket: "2024-05-01T10:00:00Z".to_owned(),
            at: 0,
            queued,
            sent,
            delivered: 0,
            replied: 0,
            failed: 0,
            opted_out: 0,
        }
    }

    #[test]
    fn bars_scale_to_the_largest_value_and_sit_on_the_axis() {
        let groups = bars(&[point(10, 5), point(0, 0)]);
        assert_eq!(groups.len(), 2);
        let plot_h = CHART_H - PAD_TOP - PAD_BOTTOM;
        let (key, _, y, _, h) = groups[0][0];
        assert_eq!(key, "queued");
        assert!((h - plot_h).abs() < 1e-9);
        assert!((y - PAD_TOP).abs() < 1e-9);
        let (_, _, _, _, half) = groups[0][1];
        assert!((half - plot_h / 2.0).abs() < 1e-9);
        assert!(groups[1].iter().all(|(.., h)| *h == 0.0));
        assert!(groups[1][0].1 > groups[0][3].1);
    }
}
