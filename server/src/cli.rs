//! Command-line entry: `serve` (default), `migrate`, `seed-demo`, `print-schema`.
use std::process::ExitCode;

use crate::{config::Config, db, domain::identity::demo, graphql, http, telemetry};

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
        "worker" => worker(config).await,
        "seed-demo-chatwoot" => seed_demo_chatwoot(&config, &args[1..]).await,
        "create-user" => create_user(&config, &args[1..]).await,
        "telegram-set-owner" => telegram_set_owner(&config, &args[1..]).await,
        other => {
            eprintln!(
                "unknown command {other:?}; expected serve | worker | migrate | seed-demo | seed-demo-chatwoot | create-user | telegram-set-owner | print-schema"
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
    config.refuse_demo_in_production()?;
    let pool = db::connect(config)
        .await
        .context("connecting to the database")?;
    db::migrate(&pool, config)
        .await
        .context("applying migrations")?;
    let hasher = crate::auth::password::PasswordHasher::new(config.password_hash_concurrency);
    demo::seed(&pool, &hasher)
        .await
        .context("loading the demo workspace")?;
    tracing::info!("demo workspace loaded");
    Ok(())
}

/// `server create-user <username> [--admin]`: the first user when no Telegram bot is set up.
/// The password is read from `REVINTEL_NEW_USER_PASSWORD`, or from standard input.
async fn create_user(config: &Config, args: &[String]) -> anyhow::Result<()> {
    use anyhow::Context;
    let username = args
        .first()
        .context("usage: server create-user <username> [--admin]")?;
    let is_admin = args.iter().any(|a| a == "--admin");
    let password = match std::env::var("REVINTEL_NEW_USER_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let pool = db::connect(config)
        .await
        .context("connecting to the database")?;
    db::migrate(&pool, config)
        .await
        .context("applying migrations")?;
    let identity = http::identity_from_config(config).context("configuring identity")?;
    let user = crate::domain::identity::create_user(
        &pool,
        &identity.hasher,
        username,
        &password,
        is_admin,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    tracing::info!(username = %user.username, is_admin, "user created");
    Ok(())
}

/// `server telegram-set-owner <chat id>`: binds the chat that receives signup PINs.
async fn telegram_set_owner(config: &Config, args: &[String]) -> anyhow::Result<()> {
    use anyhow::Context;
    let chat_id: i64 = args
        .first()
        .and_then(|a| a.parse().ok())
        .context("usage: server telegram-set-owner <numeric chat id>")?;
    let pool = db::connect(config)
        .await
        .context("connecting to the database")?;
    db::migrate(&pool, config)
        .await
        .context("applying migrations")?;
    crate::domain::identity::telegram_owner::set_owner_chat(&pool, chat_id, "system:cli")
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    tracing::info!(chat_id, "telegram owner chat bound");
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
        let hasher = crate::auth::password::PasswordHasher::new(config.password_hash_concurrency);
        demo::seed(&pool, &hasher)
            .await
            .context("loading the demo workspace")?;
    }
    // Jobs run in-process unless REVINTEL_WORKERS=false (then `server worker` runs them).
    let _rag = crate::domain::search::start(&pool, &config, "serve", config.workers)?;
    let background = config
        .workers
        .then(|| crate::workers::Background::start(pool.clone(), &config, "serve"));
    let requests_pool = db::connect_for_requests(&config)
        .await
        .context("connecting the request pool")?;
    let state = http::AppState::new(config.clone(), requests_pool)
        .context("configuring the Telegram client")?;
    let router = http::build_router(state);
    let listener = tokio::net::TcpListener::bind(config.bind_addr)
        .await
        .with_context(|| format!("binding {}", config.bind_addr))?;
    tracing::info!(addr = %config.bind_addr, env = ?config.app_env, "listening");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("serving")?;
    if let Some(background) = background {
        background.shutdown().await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// `server worker`: runs only the job workers and the scheduler, until Ctrl-C or SIGTERM.
async fn worker(config: Config) -> anyhow::Result<()> {
    use anyhow::Context;
    let pool = db::connect(&config)
        .await
        .context("connecting to the database")?;
    db::migrate(&pool, &config)
        .await
        .context("applying migrations")?;
    let _rag = crate::domain::search::start(&pool, &config, "worker", true)?;
    let background = crate::workers::Background::start(pool, &config, "worker");
    shutdown_signal().await;
    background.shutdown().await;
    Ok(())
}

/// `server seed-demo-chatwoot --base-url URL --account-id N --token T`: binds the demo project
/// to a Chatwoot account (the development fake, normally) and runs the real sync once.
async fn seed_demo_chatwoot(config: &Config, args: &[String]) -> anyhow::Result<()> {
    use anyhow::Context;
    const USAGE: &str = "usage: server seed-demo-chatwoot --base-url URL --account-id N --token T";
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let base_url = value("--base-url").context(USAGE)?;
    let account_id: i64 = value("--account-id")
        .and_then(|v| v.parse().ok())
        .context(USAGE)?;
    let token = value("--token").context(USAGE)?;
    config.refuse_demo_in_production()?;
    let pool = db::connect(config)
        .await
        .context("connecting to the database")?;
    db::migrate(&pool, config)
        .await
        .context("applying migrations")?;
    let report = crate::domain::conversations::demo::seed_demo_chatwoot(
        &pool,
        &base_url,
        account_id,
        &token,
        &crate::workers::sync_options(config),
    )
    .await
    .context("syncing the demo project from Chatwoot")?;
    tracing::info!(
        run = report.job_run_id,
        contacts = report.counts.contacts.inserted,
        conversations = report.counts.conversations.inserted,
        messages = report.counts.messages.inserted,
        "demo project synced from Chatwoot"
    );
    let scope = crate::domain::conversations::demo::demo_scope(&pool)
        .await
        .context("finding the demo project")?;
    let crm = crate::domain::crm::demo::seed_demo_accounts(&pool, &scope, 6)
        .await
        .context("seeding the demo accounts")?;
    tracing::info!(
        accounts = crm.accounts,
        contacts = crm.linked_contacts,
        "demo accounts seeded (signals, actions and health follow from the background jobs)"
    );
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
