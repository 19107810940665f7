//! DEVELOPMENT AND TEST ONLY: serves a fake Telegram Bot API (used by the Playwright suite).
//!
//! `fake-telegram [--addr 127.0.0.1:3200] [--token test-bot-token]`
use std::{net::SocketAddr, process::ExitCode};

use devtools::fake_telegram::FakeTelegram;

#[tokio::main]
async fn main() -> ExitCode {
    let mut addr = SocketAddr::from(([127, 0, 0, 1], 3200));
    let mut token = "test-bot-token".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match (flag.as_str(), args.next()) {
            ("--addr", Some(v)) => match v.parse() {
                Ok(a) => addr = a,
                Err(e) => {
                    eprintln!("--addr: {e}");
                    return ExitCode::from(2);
                }
            },
            ("--token", Some(v)) => token = v,
            _ => {
                eprintln!("usage: fake-telegram [--addr 127.0.0.1:3200] [--token T]");
                return ExitCode::from(2);
            }
        }
    }
    match FakeTelegram::start(addr, &token).await {
        Ok(fake) => {
            println!("fake telegram listening on {}", fake.base_url());
            let _ = tokio::signal::ctrl_c().await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("could not start: {e}");
            ExitCode::FAILURE
        }
    }
}
