//! Command-line entry: `serve` (default), `migrate`, `seed-demo`, `print-schema`.
use std::process::ExitCode;

use crate::{config::Config, db, domain::demo, graphql, http, telemetry};

/// Runs the subcommand named by `args` and reports success as an exit code.
pub async fn run(args: Vec<String>) -> ExitCode {
    let command = args.first().map(String::as_str).unwrap_or("serve");
    if command == "print-schema" {
        print!("{}", graphql::sdl());
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    let result = match command {
        "serve" => serve(config).await,
        "migrate" => migrate(&config).await,
        "seed-demo" => seed_demo(&config).await,
        other => {
            eprintln!(
                "unknown command {other:?}; expected serve | migrate | seed-demo | print-schema"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "{command} failed");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(config: &Config) -> anyhow::Result<()> {
    use anyhow::Context;
    let pool = db::connect(config)
        .await
        .context("connecting to the database")?;
    db::migrate(&pool, config)
        .await
        .context("applying migrations")?;
    tracing::info!("migrations applied");
    Ok(())
}

async fn seed_demo(config: &Config) -> anyhow::Result<()> {
    use anyhow::Context;
    let pool = db::connect(config)
        .await
        .context("connecting to the database")?;
    db::migrate(&pool, config)
        .await
        .context("applying migrations")?;
    demo::seed(&pool)
        .await
        .context("loading the demo workspace")?;
    tracing::info!("demo workspace loaded");
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    use anyhow::Context;
    let pool = db::connect(&config)
        .await
        .context("connecting to the database")?;
    db::migrate(&pool, &config)
        .await
        .context("applying migrations")?;
    if config.demo_seed {
        demo::seed(&pool)
            .await
            .context("loading the demo workspace")?;
    }
    let state = http::AppState::new(config.clone(), pool);
    let router = http::build_router(state);
    let listener = tokio::net::TcpListener::bind(config.bind_addr)
        .await
        .with_context(|| format!("binding {}", config.bind_addr))?;
    tracing::info!(addr = %config.bind_addr, env = ?config.app_env, "listening");
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving")?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM, letting in-flight requests finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; draining");
}
