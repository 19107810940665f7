//! The risk radar: accounts at risk, riskiest first, and their triage.
use leptos::prelude::*;

use super::*;

/// A page of the risk radar (items still open or acknowledged), riskiest first. The signal
/// behind an item is looked up for its conversation, so its message evidence links there.
#[server(endpoint = "signals/radar")]
pub async fn load_radar(after: Option<String>) -> Result<RadarPageData, ServerFnError> {
    use std::collections::{HashMap, HashSet};

    use convert::*;
    use ops::*;

    let page = crate::api::executor::run::<RiskRadarQuery>(risk_radar_query::Variables {
        first: Some(25),
        after: nonblank(after),
    })
    .await?
    .risk_radar;
    // Where the signals behind the items were said: the latest signals of each account on
    // the page, and any item's own signal that is older.
    let mut said = SignalPlaces::new();
    let accounts: HashSet<String> = page
        .edges
        .iter()
        .map(|e| e.node.account_id.clone())
        .collect();
    for account in accounts {
        let signals = crate::api::executor::run::<SignalsQuery>(signals_query::Variables {
            types: None,
            statuses: None,
            account_id: Some(account),
            first: Some(100),
            after: None,
        })
        .await?
        .signals;
        for e in signals.edges {
            said.insert(e.node.id, (e.node.conversation_id, e.node.message_id));
        }
    }
    for e in &page.edges {
        if let Some(id) = &e.node.signal_id
            && !said.contains_key(id)
            && let Ok(d) =
                crate::api::executor::run::<SignalLinkQuery>(signal_link_query::Variables {
                    id: id.clone(),
                })
                .await
        {
            said.insert(id.clone(), (d.signal.conversation_id, d.signal.message_id));
        }
    }
    let mut message_conversations: HashMap<String, String> = said
        .values()
        .filter_map(|(c, m)| Some((m.clone()?, c.clone()?)))
        .collect();
    // Evidence messages the signals did not place.
    let refs: Vec<(String, String)> = page
        .edges
        .iter()
        .flat_map(|e| {
            e.node
                .evidence
                .iter()
                .map(|r| (r.kind.clone(), r.id.clone()))
        })
        .collect();
    resolve_messages(message_ids(&refs), &mut message_conversations).await;
    let mut rows = Vec::with_capacity(page.edges.len());
    for edge in page.edges {
        let r = edge.node;
        let own = r.signal_id.as_ref().and_then(|id| said.get(id));
        let conversation = own.and_then(|(c, _)| c.clone());
        let context = EvidenceContext {
            conversation: conversation.as_deref(),
            account: Some(&r.account_id),
            signal_href: own.and_then(|(c, m)| message_href(c.as_deref(), m.as_deref())),
            signals: Some(&said),
            message_conversations: Some(&message_conversations),
        };
        let refs = r.evidence.into_iter().map(|e| (e.kind, e.id));
        rows.push(RadarRow {
            evidence: evidence(refs, &context),
            id: r.id,
            kind: name(&r.kind),
            status: name(&r.status),
            risk_score: r.risk_score,
            explanation: r.explanation,
            from_band: r.from_band.as_ref().map(name),
            to_band: r.to_band.as_ref().map(name),
            detected_at: r.detected_at,
            account: AccountRef {
                id: r.account_id,
                name: r.account_name,
            },
        });
    }
    Ok(RadarPageData {
        next: next(page.page_info.has_next_page, page.page_info.end_cursor),
        total: page.total_count,
        rows,
    })
}

/// Sets a radar item's state; returns the new state.
#[server(endpoint = "signals/risk-status")]
pub async fn set_risk_status(
    id: String,
    status: String,
    csrf: String,
) -> Result<String, ServerFnError> {
    use convert::*;
    use ops::*;

    let status: set_risk_item_status_mutation::RiskItemStatus = parse(
        "status",
        &status,
        &["OPEN", "ACKNOWLEDGED", "RESOLVED", "DISMISSED"],
    )?;
    let done = crate::api::executor::run_mutation::<SetRiskItemStatusMutation>(
        set_risk_item_status_mutation::Variables { id, status },
        &csrf,
    )
    .await?;
    Ok(name(&done.set_risk_item_status.status))
}
