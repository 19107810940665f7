//! The campaign editor: name, message template, and a segment builder of conditions
//! combined with ALL or ANY, each optionally negated, with typed inputs per kind of condition
//! and a JSON fallback; "Preview" shows the live count and sample contacts.
//!
//! The condition inputs of every kind are in the page; CSS (`:has`) shows the ones of the
//! chosen kind, so changing a condition's kind needs neither JavaScript nor a round trip.
use leptos::prelude::*;

use super::*;

/// API field names the campaign form shows beside their inputs.
const CAMPAIGN_FIELDS: &[&str] = &[
    "name",
    "description",
    "messageTemplate",
    "sendRatePerMinute",
    "segmentId",
];

#[component]
pub(super) fn CampaignEditor(
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
