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
pub mod editor;
pub mod report;

use self::{editor::CampaignEditor, report::CampaignReport};

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map};

use crate::{
    api::{
        campaigns::segments::{
            ACCOUNT_FIELDS, BANDS, CONTACT_KEYS, ConditionDraft, LEAF_KINDS, OPS, SIGNAL_KINDS,
            describe_definition,
        },
        campaigns::{
            CAMPAIGN_STATUSES, CampaignAction, CampaignDraft, CampaignPage, CampaignView,
            MemberCounts, SaveCampaignForm, SegmentPreviewView, SeriesPoint, TEMPLATE_PLACEHOLDERS,
            list_campaigns, load_campaign, preview_segment,
        },
        error_text, field_error,
    },
    components::page::{
        FieldMessage, GeneralError, StatusBadge, StatusFilter, draft_param, error_view,
        query_param, readable_error,
    },
    components::{
        feedback::{EmptyState, Loading},
        forms::action_error,
        paging::{LoadMore, more_pages},
    },
    pages::{crm::with_project, signals::when},
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
            <StatusFilter listing="campaigns" table=CAMPAIGN_STATUSES status/>
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
