//! Form pieces: labelled inputs with their field errors, and an action's overall error.
use leptos::prelude::*;

use crate::api::{error_text, field_error, is_field_message};

/// The latest error of an action, as text.
pub fn action_error<T, S>(value: S) -> Signal<Option<String>>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, ServerFnError>>> + Send + Sync + 'static,
{
    Signal::derive(move || value.get().and_then(|r| r.err()).map(|e| error_text(&e)))
}

/// A labelled input that shows its own part of a validation error.
#[component]
pub fn Field(
    /// The input's name (the server function argument).
    name: &'static str,
    /// The API's name for the field (camelCase), to find its error.
    api_field: &'static str,
    /// Visible label.
    label: &'static str,
    /// Input type.
    #[prop(default = "text")]
    kind: &'static str,
    /// Browser autocomplete hint.
    #[prop(default = "off")]
    autocomplete: &'static str,
    /// Whether the browser requires it.
    #[prop(default = true)]
    required: bool,
    /// The value it starts with (a setting being edited).
    #[prop(optional, into)]
    value: Option<String>,
    /// The form's current error.
    error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let message = move || error.get().and_then(|e| field_error(&e, api_field));
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id name=name type=kind autocomplete=autocomplete required=required value=value
                aria-invalid=move || message().is_some().to_string()/>
            <Show when=move || message().is_some()>
                <p class="field-error" role="alert">{message}</p>
            </Show>
        </div>
    }
}

/// An action's error that no field of the form shows itself.
#[component]
pub fn FormError(
    error: Signal<Option<String>>,
    /// API names of the fields the form shows errors beside.
    fields: &'static [&'static str],
) -> impl IntoView {
    let general = move || {
        error
            .get()
            .filter(|e| !is_field_message(e) || fields.iter().all(|f| field_error(e, f).is_none()))
    };
    view! {
        <Show when=move || general().is_some()>
            <p class="form-error" role="alert">{general}</p>
        </Show>
    }
}

/// A labelled input with a current value, an explicit id (pages with several forms) and its
/// own part of a validation error.
#[component]
pub fn EditField(
    /// Element id (unique on the page).
    id: &'static str,
    /// The input's name (the server function argument).
    name: &'static str,
    /// The API's name for the field (camelCase), to find its error.
    api_field: &'static str,
    /// Visible label.
    label: &'static str,
    /// The current value.
    #[prop(optional, into)]
    value: Option<String>,
    /// Input type.
    #[prop(default = "text")]
    kind: &'static str,
    /// Whether the browser requires it.
    #[prop(default = false)]
    required: bool,
    /// Longest value accepted.
    #[prop(optional)]
    maxlength: Option<u32>,
    /// Lowest number (number inputs).
    #[prop(optional)]
    min: Option<&'static str>,
    /// Highest number (number inputs).
    #[prop(optional)]
    max: Option<&'static str>,
    /// A hint under the input.
    #[prop(optional)]
    hint: Option<&'static str>,
    /// The form's current error.
    error: Signal<Option<String>>,
) -> impl IntoView {
    let message = move || error.get().and_then(|e| field_error(&e, api_field));
    let hint_id = hint.map(|_| format!("{id}-hint"));
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=name type=kind required=required value=value.unwrap_or_default()
                maxlength=maxlength.map(|m| m.to_string()) min=min max=max
                aria-describedby=hint_id.clone()
                aria-invalid=move || message().is_some().to_string()/>
            {hint.map(|h| view! { <p class="hint muted" id=hint_id.clone()>{h}</p> })}
            <Show when=move || message().is_some()>
                <p class="field-error" role="alert">{message}</p>
            </Show>
        </div>
    }
}
