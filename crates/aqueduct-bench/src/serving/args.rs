//! The command line every server under test takes.

use clap::Parser;

/// `--addr HOST:PORT`, the only option of a server under test.
///
/// Port 0 asks the system for a free port; the ready line then tells which.
#[derive(Debug, Clone, Parser)]
#[command(about = "A server under test for aqueduct-bench.")]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: String,
}
