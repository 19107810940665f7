//! The `server` binary: `server` serves, `server migrate` migrates, `server seed-demo` loads the
//! demo workspace. Everything else lives in the library.
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    server::cli::run(std::env::args().skip(1).collect()).await
}
