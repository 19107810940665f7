//! The page frame: header, navigation, main area.
use leptos::prelude::*;
use leptos_router::components::A;

/// Areas of the product that are not built yet, shown in the navigation as upcoming so the
/// map of the product is visible from day one; they become links as they land.
const UPCOMING_AREAS: &[&str] = &[
    "Conversations",
    "Search",
    "Accounts",
    "Pipeline",
    "Signals",
    "Offers",
    "Campaigns",
    "Outbound",
    "Settings",
];

/// The frame every page renders inside.
#[component]
pub fn Shell(children: Children) -> impl IntoView {
    view! {
        <div class="app">
            <header class="topbar">
                <a class="brand" href="/">"Revenue Intelligence"</a>
            </header>
            <div class="frame">
                <nav class="sidenav" aria-label="Main">
                    <ul>
                        <li><A href="/">"Projects"</A></li>
                        {UPCOMING_AREAS
                            .iter()
                            .map(|area| view! {
                                <li>
                                    <span class="nav-upcoming" aria-disabled="true" title="Not available yet">
                                        {*area}
                                    </span>
                                </li>
                            })
                            .collect_view()}
                    </ul>
                </nav>
                <main class="content">{children()}</main>
            </div>
        </div>
    }
}
