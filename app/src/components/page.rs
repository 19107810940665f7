//! Pieces shared by the offer, campaign and outbox pages (app/src/pages/offers.rs,
//! campaigns/, outbound.rs): query parameters, the editors' drafts in the URL, "Load more",
//! status badges and errors.
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::de::DeserializeOwned;

use crate::{
    api::{error_text, field_error, is_field_message, text::label_of},
    session_state::use_session,
};

/// A query parameter of the current page, blank as none.
pub(crate) fn query_param(key: &'static str) -> Memo<Option<String>> {
    let query = use_query_map();
    Memo::new(move |_| {
        query
            .read()
            .get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    })
}

/// A listing's status filter: a GET form on `/{listing}` choosing one of `table` (the API
/// value and its label), blank for all states. Ids and test ids are `{listing}-status` and
/// `{listing}-filter`.
#[component]
pub(crate) fn StatusFilter(
    listing: &'static str,
    table: &'static [(&'static str, &'static str)],
    status: Memo<Option<String>>,
) -> impl IntoView {
    let id = format!("{listing}-status");
    view! {
        <form class="form inline" method="get" action=format!("/{listing}") data-testid=format!("{listing}-filter")>
            <div class="field">
                <label for=id.clone()>"Status"</label>
                <select id=id name="status">
                    <option value="" selected=move || status.get().is_none()>"All states"</option>
                    {table.iter().map(|(v, l)| view! {
                        <option value=*v selected=move || status.get().as_deref() == Some(*v)>{*l}</option>
                    }).collect_view()}
                </select>
            </div>
            <button type="submit" class="btn-small">"Apply"</button>
        </form>
    }
}

/// The editor's draft carried in the URL (`?draft=` JSON), if any.
pub(crate) fn draft_param<T>() -> Memo<Option<T>>
where
    T: DeserializeOwned + PartialEq + Send + Sync + 'static,
{
    let query = use_query_map();
    Memo::new(move |_| {
        query
            .read()
            .get("draft")
            .and_then(|d| serde_json::from_str::<T>(&d).ok())
    })
}

/// An error shown as an alert.
pub(crate) fn error_view(e: &ServerFnError) -> AnyView {
    view! { <p class="form-error" role="alert">{error_text(e)}</p> }.into_any()
}

/// An action's error in words: `Invalid input: contactId: choose …` reads
/// `Recipient: choose …` with the labels in `labels` (API field, label).
pub(crate) fn readable_error(message: &str, labels: &[(&str, &str)]) -> String {
    let Some(rest) = message.strip_prefix("Invalid input: ") else {
        return message.to_owned();
    };
    rest.split("; ")
        .map(|part| match part.split_once(": ") {
            Some((field, text)) => {
                let label = labels
                    .iter()
                    .find(|(f, _)| *f == field)
                    .map(|(_, l)| (*l).to_owned())
                    .unwrap_or_else(|| field.to_owned());
                format!("{label}: {text}")
            }
            None => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `1234.50 EUR`.
pub(crate) fn money(amount: &str, currency: &str) -> String {
    format!("{amount} {currency}")
}

/// A status as a badge carrying its API value.
#[component]
pub(crate) fn StatusBadge(
    /// (API value, label) of the kind of record.
    table: &'static [(&'static str, &'static str)],
    /// API value.
    #[prop(into)]
    status: String,
    /// data-testid of the badge.
    #[prop(optional)]
    testid: Option<&'static str>,
) -> impl IntoView {
    view! {
        <span class=format!("status status-{}", status.to_lowercase().replace('_', "-"))
            data-testid=testid data-status=status.clone()>
            {label_of(table, &status)}
        </span>
    }
}

/// The part of `error` about `field`, shown under its input.
#[component]
pub(crate) fn FieldMessage(
    /// The form's error.
    error: Signal<Option<String>>,
    /// API field name.
    #[prop(into)]
    field: String,
    /// The input it describes (`aria-describedby` target id).
    #[prop(into)]
    id: String,
) -> impl IntoView {
    let field = StoredValue::new(field);
    let message = move || {
        error
            .get()
            .and_then(|e| field.with_value(|f| field_error(&e, f)))
    };
    view! {
        <Show when=move || message().is_some()>
            <p class="field-error" role="alert" id=id.clone()>{message}</p>
        </Show>
    }
}

/// An error the form does not show beside one of `fields`.
#[component]
pub(crate) fn GeneralError(
    /// The form's error.
    error: Signal<Option<String>>,
    /// API field names the form shows beside their inputs.
    fields: Signal<Vec<String>>,
    /// data-testid.
    testid: &'static str,
) -> impl IntoView {
    let general = move || {
        error.get().filter(|e| {
            !is_field_message(e)
                || fields.with(|fields| fields.iter().all(|f| field_error(e, f).is_none()))
        })
    };
    view! {
        <Show when=move || general().is_some()>
            <p class="form-error" role="alert" data-testid=testid>{general}</p>
        </Show>
    }
}

/// Renders `inner(csrf)` for a signed-in user, nothing for visitors.
pub(crate) fn with_csrf<V: IntoView + 'static>(
    inner: impl Fn(String) -> V + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let state = use_session();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match state.session.await {
                    Ok(Some(session)) => inner(session.csrf_token()).into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_with_their_currency() {
        assert_eq!(money("10.00", "EUR"), "10.00 EUR");
    }

    #[test]
    fn validation_errors_name_the_fields_as_the_page_does() {
        let labels = &[("contactId", "Recipient")];
        assert_eq!(
            readable_error(
                "Invalid input: contactId: choose one; items: add a line",
                labels
            ),
            "Recipient: choose one; items: add a line"
        );
        assert_eq!(readable_error("Not allowed", labels), "Not allowed");
    }
}
