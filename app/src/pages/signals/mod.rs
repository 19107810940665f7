//! What the CRM reads out of conversations: the signals feed (with its example phrases and a
//! re-scan), the next-best-action inbox, the risk radar with the health weights, and the
//! account page's health, signals and actions. Filters are GET forms and every change is an
//! ActionForm with the CSRF token, so all of it works without JavaScript; with it, rows change
//! in place and "Load more" appends the next page.
pub mod actions;
pub mod feed;
pub mod health;
pub mod radar;

use leptos::prelude::*;

use crate::{
    api::{
        field_error,
        signals::{
            AccountInsightsView, ActionPage, ActionRow, AddPhrase, BackfillSignals, DecideAction,
            DeletePhrase, EvidenceLink, HEALTH_MEASURES, HealthPoint, HealthView, PhraseRow,
            RadarPageData, RadarRow, RecomputeHealth, SIGNAL_STATUSES, SIGNAL_TYPES,
            SetHealthWeights, SetPhraseEnabled, SetRiskStatus, SetSignalStatus, SignalPage,
            SignalRow, action_rules, health_weights, label_of, list_actions, list_phrases,
            list_signals, load_radar, measure_label, words,
        },
        text::query_escape,
    },
    components::page::{error_view, query_param},
    components::{
        feedback::{EmptyState, Loading},
        forms::{FormError, action_error},
        paging::{LoadMore, more_pages},
    },
    pages::crm::with_project,
};

/// `2024-05-01T10:20:30Z` → `2024-05-01 10:20`.
pub(crate) fn when(rfc3339: &str) -> String {
    rfc3339.get(..16).unwrap_or(rfc3339).replace('T', " ")
}

/// `the weights must …` → `The weights must ….`
fn sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

fn percent(confidence: f64) -> String {
    format!("{:.0} %", (confidence * 100.0).clamp(0.0, 100.0))
}

fn band_class(band: &str) -> String {
    format!("band band-{}", band.to_lowercase().replace('_', "-"))
}

/// `message` → `Messages`, `opportunity` → `Opportunities`.
fn plural_words(kind: &str) -> String {
    let one = words(kind);
    match one.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{one}s"),
    }
}

/// Evidence references grouped by kind, each a numbered link where it can be one.
#[component]
fn EvidenceLinks(evidence: Vec<EvidenceLink>) -> impl IntoView {
    let mut groups: Vec<(String, Vec<EvidenceLink>)> = Vec::new();
    for e in evidence {
        match groups.iter_mut().find(|(kind, _)| *kind == e.kind) {
            Some((_, items)) => items.push(e),
            None => groups.push((e.kind.clone(), vec![e])),
        }
    }
    (!groups.is_empty()).then(|| {
        view! {
            <ul class="evidence" aria-label="Evidence">
                {groups.into_iter().map(|(kind, items)| {
                    let single = items.len() == 1;
                    let heading = if single { words(&kind) } else { format!("{}:", plural_words(&kind)) };
                    let one = words(&kind);
                    let links = items.into_iter().enumerate().map(|(i, e)| {
                        let text = if single { String::new() } else { (i + 1).to_string() };
                        let label = if single { one.clone() } else { format!("{one} {}", i + 1) };
                        match (e.href, single) {
                            (Some(href), true) => view! { <a href=href title=e.id>{label}</a> }.into_any(),
                            (Some(href), false) => view! { " " <a href=href title=e.id aria-label=label>{text}</a> }.into_any(),
                            (None, true) => view! { <span title=e.id>{label}</span> }.into_any(),
                            (None, false) => view! { " " <span title=e.id aria-label=label>{text}</span> }.into_any(),
                        }
                    }).collect_view();
                    if single {
                        view! { <li>{links}</li> }.into_any()
                    } else {
                        view! { <li><span class="muted">{heading}</span>{links}</li> }.into_any()
                    }
                }).collect_view()}
            </ul>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_kinds_read_as_plural_words() {
        assert_eq!(plural_words("message"), "Messages");
        assert_eq!(plural_words("health_score"), "Health scores");
        assert_eq!(plural_words("opportunity"), "Opportunities");
        assert_eq!(
            sentence("the weights must sum to 100"),
            "The weights must sum to 100."
        );
    }

    #[test]
    fn query_values_are_escaped() {
        assert_eq!(query_escape("a+b/c=="), "a%2Bb%2Fc%3D%3D");
        assert_eq!(query_escape("OPEN"), "OPEN");
    }
}
