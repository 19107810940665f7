//! The projects page: the workspaces the user belongs to, and a form to start a new one.
use leptos::prelude::*;

use crate::{
    api::identity::{
        CreateProject, list_projects, ops::projects_query::ProjectsQueryProjectsEdgesNode,
    },
    components::{
        feedback::{EmptyState, ErrorPanel, Loading},
        forms::{Field, FormError, action_error},
    },
    session_state::{refresh_on, use_session},
};

/// Lists projects; visitors are asked to sign in.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    let state = use_session();
    view! {
        <h1>"Projects"</h1>
        <Transition fallback=|| view! { <Loading label="Loading…"/> }>
            {move || Suspend::new(async move {
                match state.session.await {
                    Ok(Some(session)) => view! { <SignedIn csrf=session.csrf_token()/> }.into_any(),
                    Ok(None) => view! {
                        <div class="empty-state">
                            <p class="empty-title">"Sign in to see your projects"</p>
                            <p><a href="/login">"Sign in"</a>" or "<a href="/signup">"request an account"</a></p>
                        </div>
                    }
                    .into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{crate::api::error_text(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SignedIn(csrf: String) -> impl IntoView {
    let state = use_session();
    let create = ServerAction::<CreateProject>::new();
    refresh_on(move || create.version().get());
    let error = action_error(create.value());
    let projects = Resource::new(move || state.version.get(), |_| list_projects());
    view! {
        <Transition fallback=|| view! { <Loading label="Loading projects…"/> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors=errors/> }>
                {move || Suspend::new(async move {
                    projects.await.map(|list| view! { <ProjectTable projects=list/> })
                })}
            </ErrorBoundary>
        </Transition>
        <section class="panel">
            <h2>"New project"</h2>
            <ActionForm action=create attr:class="form inline" attr:data-testid="create-project-form">
                <Field name="name" api_field="name" label="Project name" error/>
                <input type="hidden" name="csrf" value=csrf/>
                <FormError error fields=&["name"]/>
                <button type="submit" class="btn-primary">"Create project"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn ProjectTable(projects: Vec<ProjectsQueryProjectsEdgesNode>) -> impl IntoView {
    if projects.is_empty() {
        return view! {
            <EmptyState
                title="No projects yet"
                hint="Create one below; you will own it and can bind a Chatwoot account in Settings."
            />
        }
        .into_any();
    }
    view! {
        <table class="data-table" data-testid="projects-table">
            <thead>
                <tr><th scope="col">"Name"</th><th scope="col">"Created"</th></tr>
            </thead>
            <tbody>
                {projects
                    .into_iter()
                    .map(|p| view! {
                        <tr data-project-id=p.id.clone()>
                            <td>{p.name.clone()}</td>
                            <td><time datetime=p.created_at.clone()>{p.created_on().to_owned()}</time></td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
