//! The load generator's command line.

use clap::{Parser, Subcommand};
use serde_json::Value;

use crate::compare::{self, CompareArgs};
use crate::error::Error;
use crate::report::print_line;
use crate::scenario::{
    self, ChurnArgs, ConnectArgs, EchoArgs, FanoutArgs, FloodArgs, IdleArgs, RedisRateArgs,
};

/// `aqueduct-bench`: load for aqueduct and its baselines. Each run prints
/// one line of JSON on stdout; progress goes to stderr.
#[derive(Debug, Parser)]
#[command(name = "aqueduct-bench", version, about)]
pub struct Cli {
    /// What to measure.
    #[command(subcommand)]
    pub command: Command,
}

/// A scenario, or `compare` for all of them against fresh servers.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Closed-loop echo round trips: messages per second and latency.
    Echo(EchoArgs),
    /// One publisher, many subscribers in one room: deliveries and latency.
    Fanout(FanoutArgs),
    /// Server memory per idle connection.
    Idle(IdleArgs),
    /// WebSocket handshakes per second.
    Connect(ConnectArgs),
    /// Server memory after many connect-and-close cycles.
    Churn(ChurnArgs),
    /// Redis's own unpipelined rate, by redis-benchmark.
    RedisRate(RedisRateArgs),
    /// One client floods a chat room, another reads: delivered, or told?
    Flood(FloodArgs),
    /// Every target of issue 3, aqueduct against the baselines.
    Compare(Box<CompareArgs>),
}

impl Cli {
    /// Runs the command, printing its JSON line(s) on stdout.
    pub async fn run(self) -> Result<(), Error> {
        match self.command {
            Command::Compare(args) => compare::run(&args).await,
            scenario => {
                print_line(&scenario.run_scenario().await?);
                Ok(())
            }
        }
    }
}

impl Command {
    /// Runs one scenario against a server that is already up and returns its
    /// report; `compare` has none of its own.
    pub(crate) async fn run_scenario(&self) -> Result<Value, Error> {
        match self {
            Self::Echo(args) => scenario::echo(args).await,
            Self::Fanout(args) => scenario::fanout(args).await,
            Self::Idle(args) => scenario::idle(args).await,
            Self::Connect(args) => scenario::connect(args).await,
            Self::Churn(args) => scenario::churn(args).await,
            Self::RedisRate(args) => scenario::redis_rate(args).await,
            Self::Flood(args) => scenario::flood(args).await,
            Self::Compare(_) => Err(Error::Usage("compare runs scenarios, it is none".into())),
        }
    }
}
