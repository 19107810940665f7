//! A campaign's report: counts per member state and an SVG chart of events per hour, with
//! the same numbers as a table.
use leptos::prelude::*;

use super::*;

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
pub(super) fn CampaignReport(
    counts: MemberCounts,
    series: Vec<SeriesPoint>,
    status: String,
) -> impl IntoView {
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
