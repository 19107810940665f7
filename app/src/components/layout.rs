//! The page frame: header (project switcher, user, logout), navigation, main area.
use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    api::identity::{Logout, SwitchProject},
    session_state::{refresh_on, use_session},
};

/// The frame every page renders inside.
#[component]
pub fn Shell(children: Children) -> impl IntoView {
    view! {
        <div class="app">
            <header class="topbar">
                <a class="brand" href="/">"Revenue Intelligence"</a>
                <UserBar/>
            </header>
            <div class="frame">
                <nav class="sidenav" aria-label="Main">
                    <ul>
                        <li><A href="/">"Projects"</A></li>
                        <li><A href="/conversations">"Conversations"</A></li>
                        <li><A href="/search">"Search"</A></li>
                        <li><A href="/accounts">"Accounts"</A></li>
                        <li><A href="/pipeline">"Pipeline"</A></li>
                        <li><A href="/signals">"Signals"</A></li>
                        <li><A href="/actions">"Actions"</A></li>
                        <li><A href="/radar">"Radar"</A></li>
                        <li><A href="/offers">"Offers"</A></li>
                        <li><A href="/campaigns">"Campaigns"</A></li>
                        <li><A href="/outbox">"Outbox"</A></li>
                        <li><A href="/settings">"Settings"</A></li>
                    </ul>
                </nav>
                <main class="content">{children()}</main>
            </div>
        </div>
    }
}

/// Project switcher, user name and logout; sign-in links for visitors.
#[component]
fn UserBar() -> impl IntoView {
    let state = use_session();
    let switch = ServerAction::<SwitchProject>::new();
    let logout = ServerAction::<Logout>::new();
    refresh_on(move || switch.version().get());
    refresh_on(move || logout.version().get());
    view! {
        <div class="userbar">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match state.session.await {
                        Ok(Some(session)) => {
                            let csrf = session.csrf_token();
                            let switch_csrf = csrf.clone();
                            let active = session.me.active_project.as_ref().map(|p| p.id.clone()).unwrap_or_default();
                            view! {
                                <ActionForm action=switch attr:class="switcher">
                                    <label class="sr-only" for="project-switcher">"Project"</label>
                                    <select id="project-switcher" name="project_id" data-testid="project-switcher">
                                        {session.projects.iter().map(|p| {
                                            let selected = p.id == active;
                                            view! { <option value=p.id.clone() selected=selected>{p.name.clone()}</option> }
                                        }).collect_view()}
                                    </select>
                                    <input type="hidden" name="csrf" value=switch_csrf/>
                                    <button type="submit" class="btn-small">"Switch"</button>
                                </ActionForm>
                                <span class="username" data-testid="username">{session.me.username.clone()}</span>
                                <ActionForm action=logout>
                                    <input type="hidden" name="csrf" value=csrf/>
                                    <button type="submit" class="btn-small">"Log out"</button>
                                </ActionForm>
                            }
                            .into_any()
                        }
                        _ => view! {
                            <a href="/login">"Sign in"</a>
                            <a href="/signup">"Request an account"</a>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}
