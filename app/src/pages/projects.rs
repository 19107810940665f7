//! The projects page: the workspaces the caller can open.
use leptos::prelude::*;

use crate::{
    api::projects::{ProjectSummary, list_projects},
    components::feedback::{EmptyState, ErrorPanel, Loading},
};

/// Lists projects with their creation dates.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    let projects = Resource::new(|| (), |_| list_projects());
    view! {
        <h1>"Projects"</h1>
        <Suspense fallback=|| view! { <Loading label="Loading projects…"/> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPanel errors=errors/> }>
                {move || Suspend::new(async move {
                    projects.await.map(|list| view! { <ProjectTable projects=list/> })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}

#[component]
fn ProjectTable(projects: Vec<ProjectSummary>) -> impl IntoView {
    if projects.is_empty() {
        return view! {
            <EmptyState
                title="No projects yet"
                hint="Run `scripts/dev.sh` to load the demo workspace, or create a project once sign-in is available."
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
                            <td>{p.name}</td>
                            <td><time datetime=p.created_at.clone()>{p.created_on}</time></td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
