//! The account page's health (latest, history chart), next-best-actions and signals.
use leptos::prelude::*;

use super::{actions::ActionItem, feed::SignalItem, *};

/// The account page's health, next-best-actions and signals, from one resource.
#[component]
pub fn AccountInsightsSections(
    account_id: String,
    insights: Resource<Result<AccountInsightsView, ServerFnError>>,
    recompute: ServerAction<RecomputeHealth>,
    csrf: String,
) -> impl IntoView {
    let csrf = StoredValue::new(csrf);
    let account_id = StoredValue::new(account_id);
    let recompute_error = action_error(recompute.value());
    view! {
        <Transition fallback=|| view! { <Loading label="Loading health and signals…"/> }>
            {move || Suspend::new(async move {
                match insights.await {
                    Ok(i) => {
                        let AccountInsightsView { health, history, signals, signals_total, actions } = i;
                        view! {
                            <section class="panel" id="health" data-testid="health">
                                <h2>"Health"</h2>
                                {match health {
                                    Some(h) => view! { <HealthPanel health=h history/> }.into_any(),
                                    None => view! {
                                        <EmptyState title="No health score yet"
                                            hint="Health is computed in the background from the conversations of the account's confirmed contacts and its opportunities."/>
                                    }.into_any(),
                                }}
                                <div class="toolbar">
                                    <ActionForm action=recompute attr:class="form inline">
                                        <input type="hidden" name="account_id" value=account_id.get_value()/>
                                        <input type="hidden" name="csrf" value=csrf.get_value()/>
                                        <button type="submit" class="btn-small">"Recompute now"</button>
                                    </ActionForm>
                                    <a href="/radar#health-weights">"Change the weights"</a>
                                </div>
                                <FormError error=recompute_error fields=&[]/>
                            </section>
                            <section class="panel" data-testid="account-actions">
                                <h2>"Next-best-actions"</h2>
                                {if actions.is_empty() {
                                    view! { <p class="muted">"No open actions for this account."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="nba-list">
                                            {actions.into_iter().map(|row| view! {
                                                <ActionItem row csrf=csrf.get_value() show_account=false/>
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            </section>
                            <section class="panel" data-testid="account-signals">
                                <h2>"Signals"</h2>
                                {if signals.is_empty() {
                                    view! { <p class="muted">"No signals from this account's conversations yet."</p> }.into_any()
                                } else {
                                    view! {
                                        <p class="muted">{format!("Latest {} of {}", signals.len(), signals_total)}</p>
                                        <table class="data-table signals">
                                            <thead><tr>
                                                <th scope="col">"Type"</th><th scope="col">"Confidence"</th><th scope="col">"Detector"</th>
                                                <th scope="col">"Message"</th><th scope="col">"Occurred"</th><th scope="col">"Status"</th>
                                            </tr></thead>
                                            <tbody>
                                                {signals.into_iter().map(|row| view! {
                                                    <SignalItem row csrf=csrf.get_value() show_account=false/>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    }.into_any()
                                }}
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! {
                        <section class="panel"><h2>"Health"</h2>{error_view(&e)}</section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

fn trend_arrow(trend: &str) -> (&'static str, &'static str) {
    match trend {
        "UP" => ("↑", "rising"),
        "DOWN" => ("↓", "falling"),
        "FLAT" => ("→", "steady"),
        _ => ("•", "first score"),
    }
}

fn measure_value(measure: &str, value: Option<f64>) -> String {
    let Some(v) = value else {
        return "—".to_owned();
    };
    match measure {
        "REPLY_LATENCY" => format!("{v:.1} h"),
        "ACTIVITY_RECENCY" => format!("{v:.0} day(s)"),
        "OPPORTUNITY_STATE" => format!("{v:.0} open"),
        _ => format!("{v:.0}"),
    }
}

#[component]
fn HealthPanel(health: HealthView, history: Vec<HealthPoint>) -> impl IntoView {
    let evidence = health.evidence.clone();
    let (arrow, trend_words) = trend_arrow(&health.trend);
    let trend_label = match health.previous_score {
        Some(p) => format!("{trend_words}, from {p:.0}"),
        None => trend_words.to_owned(),
    };
    let history = if history.is_empty() {
        vec![HealthPoint {
            score: health.score,
            band: health.band.clone(),
            computed_at: health.computed_at.clone(),
            at: 0,
        }]
    } else {
        history
    };
    view! {
        <div class="health-summary">
            <span class="health-score" data-testid="health-score">{format!("{:.0}", health.score)}</span>
            <span class=band_class(&health.band) data-testid="health-band">{words(&health.band)}</span>
            <span class="trend" title=trend_label.clone() aria-label=format!("Trend: {trend_label}")>{arrow}</span>
            <span class="muted">"computed " <time datetime=health.computed_at.clone()>{when(&health.computed_at)}</time></span>
        </div>
        <HealthChart points=history/>
        <table class="data-table measures" data-testid="health-measures">
            <caption class="sr-only">"Measures behind the score"</caption>
            <thead><tr>
                <th scope="col">"Measure"</th><th scope="col">"Value"</th>
                <th scope="col">"Sub-score"</th><th scope="col">"Weight"</th>
            </tr></thead>
            <tbody>
                {health.measures.into_iter().map(|m| view! {
                    <tr>
                        <th scope="row">{measure_label(&m.measure)}</th>
                        <td class="num">{measure_value(&m.measure, m.value)}</td>
                        <td class="num">{format!("{:.0}", m.score)}</td>
                        <td class="num">{format!("{} %", m.weight)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {(!evidence.is_empty()).then(|| view! {
            <div class="health-evidence" data-testid="health-evidence">
                <h3>"What drove it"</h3>
                <EvidenceLinks evidence/>
            </div>
        })}
    }
}

/// Chart geometry: the plot inside the SVG's view box.
const CHART_W: f64 = 600.0;
const CHART_H: f64 = 180.0;
const PAD_LEFT: f64 = 34.0;
const PAD_RIGHT: f64 = 10.0;
const PAD_Y: f64 = 10.0;

fn chart_y(score: f64) -> f64 {
    PAD_Y + (100.0 - score.clamp(0.0, 100.0)) / 100.0 * (CHART_H - 2.0 * PAD_Y)
}

/// x of each point: by time, or evenly spaced when the times coincide.
fn chart_xs(points: &[HealthPoint]) -> Vec<f64> {
    let width = CHART_W - PAD_LEFT - PAD_RIGHT;
    let first = points.first().map_or(0, |p| p.at);
    let last = points.last().map_or(0, |p| p.at);
    if points.len() == 1 {
        return vec![PAD_LEFT + width / 2.0];
    }
    if last > first {
        points
            .iter()
            .map(|p| PAD_LEFT + (p.at - first) as f64 / (last - first) as f64 * width)
            .collect()
    } else {
        let n = (points.len() - 1) as f64;
        (0..points.len())
            .map(|i| PAD_LEFT + i as f64 / n * width)
            .collect()
    }
}

/// The health history as an inline SVG line with the band thresholds, plus the same data as
/// a table for screen readers and anyone who prefers numbers.
#[component]
fn HealthChart(points: Vec<HealthPoint>) -> impl IntoView {
    let xs = chart_xs(&points);
    let line: String = points
        .iter()
        .zip(&xs)
        .map(|(p, x)| format!("{x:.1},{:.1}", chart_y(p.score)))
        .collect::<Vec<_>>()
        .join(" ");
    let first = points.first().cloned();
    let last = points.last().cloned();
    let summary = match (&first, &last) {
        (Some(f), Some(l)) if points.len() > 1 => format!(
            "Health score over time: {} scores from {:.0} on {} to {:.0} on {}",
            points.len(),
            f.score,
            when(&f.computed_at),
            l.score,
            when(&l.computed_at)
        ),
        (_, Some(l)) => format!("Health score: {:.0} on {}", l.score, when(&l.computed_at)),
        _ => "No health scores".to_owned(),
    };
    let threshold = |score: f64, label: &'static str| {
        let y = chart_y(score);
        view! {
            <line class="threshold" x1=PAD_LEFT.to_string() x2=(CHART_W - PAD_RIGHT).to_string()
                y1=format!("{y:.1}") y2=format!("{y:.1}")/>
            <text class="threshold-label" x="2" y=format!("{:.1}", y + 4.0)>{label}</text>
        }
    };
    let dots = points
        .iter()
        .zip(&xs)
        .map(|(p, x)| {
            let class = format!("dot dot-{}", p.band.to_lowercase().replace('_', "-"));
            view! {
                <circle class=class cx=format!("{x:.1}") cy=format!("{:.1}", chart_y(p.score)) r="3">
                    <title>{format!("{:.0} on {}", p.score, when(&p.computed_at))}</title>
                </circle>
            }
        })
        .collect_view();
    let rows = points
        .iter()
        .rev()
        .map(|p| {
            view! {
                <tr>
                    <td><time datetime=p.computed_at.clone()>{when(&p.computed_at)}</time></td>
                    <td class="num">{format!("{:.0}", p.score)}</td>
                    <td>{words(&p.band)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <figure class="health-chart">
            <svg data-testid="health-chart" role="img" aria-label=summary.clone()
                viewBox=format!("0 0 {CHART_W} {CHART_H}")>
                <title>{summary.clone()}</title>
                <rect class="zone zone-healthy" x=PAD_LEFT.to_string() y=format!("{:.1}", chart_y(100.0))
                    width=(CHART_W - PAD_LEFT - PAD_RIGHT).to_string() height=format!("{:.1}", chart_y(70.0) - chart_y(100.0))/>
                <rect class="zone zone-critical" x=PAD_LEFT.to_string() y=format!("{:.1}", chart_y(40.0))
                    width=(CHART_W - PAD_LEFT - PAD_RIGHT).to_string() height=format!("{:.1}", chart_y(0.0) - chart_y(40.0))/>
                {threshold(70.0, "70")}
                {threshold(40.0, "40")}
                <polyline class="score-line" points=line fill="none"/>
                {dots}
            </svg>
            <figcaption class="muted">"Score over time; lines at 70 (healthy) and 40 (critical)."</figcaption>
            <details>
                <summary>"Score history as a table"</summary>
                <table class="data-table" data-testid="health-history">
                    <thead><tr><th scope="col">"Computed"</th><th scope="col">"Score"</th><th scope="col">"Band"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(score: f64, at: i64) -> HealthPoint {
        HealthPoint {
            score,
            band: "HEALTHY".to_owned(),
            computed_at: String::new(),
            at,
        }
    }

    #[test]
    fn the_chart_spreads_points_over_time_and_maps_scores_top_down() {
        let xs = chart_xs(&[point(80.0, 100), point(50.0, 150), point(20.0, 300)]);
        assert_eq!(xs.first().copied(), Some(PAD_LEFT));
        assert_eq!(xs.last().copied(), Some(CHART_W - PAD_RIGHT));
        assert!(xs[1] < (xs[0] + xs[2]) / 2.0);
        assert!(chart_y(100.0) < chart_y(70.0) && chart_y(70.0) < chart_y(40.0));
        assert_eq!(chart_y(0.0), CHART_H - PAD_Y);
        assert_eq!(
            chart_xs(&[point(1.0, 5)]),
            vec![PAD_LEFT + (CHART_W - PAD_LEFT - PAD_RIGHT) / 2.0]
        );
        assert_eq!(
            chart_xs(&[point(1.0, 5), point(2.0, 5)]),
            vec![PAD_LEFT, CHART_W - PAD_RIGHT]
        );
    }
}
