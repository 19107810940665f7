//! `GET /health`: 200 when the database answers, 503 when it does not.
use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;

use crate::db;
use crate::http::AppState;

/// Health report body.
#[derive(Serialize)]
pub struct HealthReport {
    /// "ok" or "degraded".
    pub status: &'static str,
    /// "up" or "down".
    pub database: &'static str,
    /// Server version.
    pub version: &'static str,
}

/// Checks the database and reports.
pub async fn check(State(state): State<AppState>) -> (StatusCode, Json<HealthReport>) {
    match db::ping(&state.db).await {
        Ok(()) => (
            StatusCode::OK,
            Json(HealthReport {
                status: "ok",
                database: "up",
                version: env!("CARGO_PKG_VERSION"),
            }),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(HealthReport {
                    status: "degraded",
                    database: "down",
                    version: env!("CARGO_PKG_VERSION"),
                }),
            )
        }
    }
}
