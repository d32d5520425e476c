//! The load generator: `aqueduct-bench compare --quick` for a smoke run of
//! every target, or one scenario against a running server, e.g.
//! `aqueduct-bench echo --url ws://127.0.0.1:8001/ws/echo/`.
//!
//! Build with `cargo build --release -p aqueduct-bench`.

use std::process::ExitCode;
use std::time::Duration;

use aqueduct_bench::Cli;
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Thousands of sockets need thousands of file descriptors.
    if let Err(err) = aqueduct_bench::raise_nofile_limit() {
        eprintln!("aqueduct-bench: cannot raise the open-file limit: {err}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("aqueduct-bench: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(cli.run());
    // Tasks still holding sockets are of no more use; don't wait on them.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("aqueduct-bench: {err}");
            ExitCode::FAILURE
        }
    }
}
