//! DEVELOPMENT ONLY: serves a fake Chatwoot with generated data for the local demo.
//!
//! `fake-chatwoot [--addr 127.0.0.1:3100] [--token dev-token] [--account-id 1]
//! [--scenario demo|small|bench] [--messages N] [--latency-ms N] [--edits N]`
use std::{net::SocketAddr, process::ExitCode, time::Duration};

use devtools::fake_chatwoot::{FakeChatwoot, Faults, Scenario, generate};

struct Args {
    addr: SocketAddr,
    token: String,
    account_id: i64,
    scenario: String,
    messages: usize,
    latency_ms: u64,
    edits: usize,
}

fn parse(mut raw: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        addr: SocketAddr::from(([127, 0, 0, 1], 3100)),
        token: "dev-token".to_owned(),
        account_id: 1,
        scenario: "demo".to_owned(),
        messages: 100_000,
        latency_ms: 0,
        edits: 0,
    };
    while let Some(flag) = raw.next() {
        let mut value = || raw.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => args.addr = value()?.parse().map_err(|e| format!("--addr: {e}"))?,
            "--token" => args.token = value()?,
            "--account-id" => {
                args.account_id = value()?.parse().map_err(|e| format!("--account-id: {e}"))?
            }
            "--scenario" => args.scenario = value()?,
            "--messages" => {
                args.messages = value()?.parse().map_err(|e| format!("--messages: {e}"))?
            }
            "--latency-ms" => {
                args.latency_ms = value()?.parse().map_err(|e| format!("--latency-ms: {e}"))?
            }
            "--edits" => args.edits = value()?.parse().map_err(|e| format!("--edits: {e}"))?,
            "-h" | "--help" => {
                return Err(
                    "usage: fake-chatwoot [--addr A] [--token T] [--account-id N] \
                            [--scenario demo|small|bench] [--messages N] [--latency-ms N] \
                            [--edits N]"
                        .to_owned(),
                );
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_target(false).init();
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let scenario = match args.scenario.as_str() {
        // The demo world ends about a week before today (at day granularity, so restarts on
        // one day serve the same world): what the workspace shows as recent is recent.
        "demo" => Scenario {
            start_unix: {
                let today = chrono::Utc::now().timestamp() / 86_400 * 86_400;
                today - 97 * 86_400 + 9 * 3_600
            },
            ..Scenario::demo(args.account_id)
        },
        "small" => Scenario::small(args.account_id),
        "bench" => Scenario::with_total_messages(args.account_id, args.messages),
        other => {
            eprintln!("unknown scenario {other:?}: expected demo | small | bench");
            return ExitCode::from(2);
        }
    };
    let mut world = generate(&scenario);
    if args.edits > 0 {
        let at = chrono::Utc::now().timestamp();
        world.apply_scripted_edits(args.account_id, args.edits, at);
    }
    let totals = world.totals(args.account_id);
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("binding {}: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    let fake = match FakeChatwoot::serve(listener, world, args.token.clone()) {
        Ok(fake) => fake,
        Err(e) => {
            eprintln!("starting: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.latency_ms > 0 {
        fake.set_faults(Faults {
            latency: Duration::from_millis(args.latency_ms),
            ..Faults::default()
        });
    }
    tracing::info!(
        base_url = %fake.base_url(),
        account_id = args.account_id,
        token = %args.token,
        ?totals,
        "fake Chatwoot (development fixture) serving"
    );
    println!(
        "FAKE CHATWOOT (development fixture) on {} account {} token {}",
        fake.base_url(),
        args.account_id,
        args.token
    );
    let _ = tokio::signal::ctrl_c().await;
    fake.stop().await;
    ExitCode::SUCCESS
}
