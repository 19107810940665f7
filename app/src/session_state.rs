//! The signed-in session as the whole UI shares it: one resource, refetched whenever an
//! action that changes the session (login, logout, switching project) completes.
use leptos::prelude::*;

use crate::api::identity::{SessionInfo, current_session};

/// Shared session state, provided by `App`.
#[derive(Clone, Copy)]
pub struct SessionState {
    /// Bumped to refetch.
    pub version: RwSignal<u64>,
    /// The session (None = visitor).
    pub session: Resource<Result<Option<SessionInfo>, ServerFnError>>,
}

impl SessionState {
    /// Creates and provides the state.
    pub fn provide() -> Self {
        let version = RwSignal::new(0);
        let session = Resource::new(move || version.get(), |_| current_session());
        let state = Self { version, session };
        provide_context(state);
        state
    }

    /// Asks every view of the session to refresh.
    pub fn refresh(&self) {
        self.version.update(|v| *v += 1);
    }
}

/// The shared session state.
pub fn use_session() -> SessionState {
    expect_context::<SessionState>()
}

/// Refreshes the session whenever `version` (an action's version) moves.
pub fn refresh_on(version: impl Fn() -> usize + 'static) {
    let state = use_session();
    Effect::new(move |previous: Option<usize>| {
        let current = version();
        if previous.is_some_and(|p| p != current) {
            state.refresh();
        }
        current
    });
}
