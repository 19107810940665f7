//! The web app: layout, pages and server functions. Server functions reach data only through
//! the GraphQL schema, executed in-process by the executor the server provides in context.
#![recursion_limit = "256"]
pub mod api;
pub mod components;
pub mod pages;
pub mod session_state;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};

use crate::{
    components::layout::Shell,
    pages::{
        campaigns::{CampaignPage, CampaignsPage, NewCampaignPage},
        conversations::{ContactPage, ConversationsPage, ThreadPage},
        crm::{
            accounts::{AccountPage, AccountsPage},
            opportunities::OpportunityPage,
            pipeline::{PipelinePage, StagesPage},
        },
        identity::{
            login::LoginPage,
            projects::ProjectsPage,
            settings::SettingsPage,
            signup::{ConfirmSignupPage, SignupPage},
        },
        not_found::NotFound,
        offers::{
            OfferApprovalsPage, OfferPage, OffersPage,
            editor::{EditOfferPage, NewOfferPage},
        },
        outbound::OutboxPage,
        search::SearchPage,
        signals::{actions::ActionsPage, feed::SignalsPage, radar::RadarPage},
    },
    session_state::SessionState,
};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The root component: routes inside the shared layout.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    SessionState::provide();
    mark_hydrated();
    view! {
        <Stylesheet id="leptos" href="/pkg/revintel.css"/>
        <Title text="Revenue Intelligence"/>
        // Async SSR sends each page whole, so it reads (and its forms work) without JavaScript;
        // the pages are small, so waiting for their data costs little.
        <Router>
            <Shell>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=StaticSegment("") view=ProjectsPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("signup") view=SignupPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("signup"), StaticSegment("confirm")) view=ConfirmSignupPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("settings") view=SettingsPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("conversations") view=ConversationsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("conversations"), ParamSegment("id")) view=ThreadPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("contacts"), ParamSegment("id")) view=ContactPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("search") view=SearchPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("accounts") view=AccountsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("accounts"), ParamSegment("id")) view=AccountPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("pipeline") view=PipelinePage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("pipeline"), StaticSegment("stages")) view=StagesPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("opportunities"), ParamSegment("id")) view=OpportunityPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("signals") view=SignalsPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("actions") view=ActionsPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("radar") view=RadarPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("offers") view=OffersPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("offers"), StaticSegment("new")) view=NewOfferPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("offers"), StaticSegment("approvals")) view=OfferApprovalsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("offers"), ParamSegment("id")) view=OfferPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("offers"), ParamSegment("id"), StaticSegment("edit")) view=EditOfferPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("campaigns") view=CampaignsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("campaigns"), StaticSegment("new")) view=NewCampaignPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("campaigns"), ParamSegment("id")) view=CampaignPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("outbox") view=OutboxPage ssr=SsrMode::Async/>
                </Routes>
            </Shell>
        </Router>
    }
}

/// Sets `data-hydrated` on `<html>` once the wasm has taken over, so browser tests (and
/// people's scripts) know clicks will be handled.
fn mark_hydrated() {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}
