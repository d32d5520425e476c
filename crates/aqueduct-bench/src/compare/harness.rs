//! Starting a fresh server for each run, running a scenario on it, and
//! keeping what came out.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::median::median_report;
use super::table::{Table, Trio};
use crate::cli::Command;
use crate::error::Error;
use crate::report::print_line;
use crate::servers::ServerProcess;

/// A pause between runs, so one run's closing sockets and exiting server
/// do not load the next.
const BETWEEN_RUNS: Duration = Duration::from_millis(500);

/// The servers a target can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Server {
    Aqueduct,
    RawEcho,
    RawRoom,
    Django,
}

impl Server {
    fn binary(self) -> Option<&'static str> {
        match self {
            Self::Aqueduct => Some("bench-aqueduct"),
            Self::RawEcho => Some("bench-raw-echo"),
            Self::RawRoom => Some("bench-raw-room"),
            Self::Django => None,
        }
    }

    pub(super) fn label(self) -> &'static str {
        match self {
            Self::Aqueduct => "aqueduct",
            Self::RawEcho => "raw-echo",
            Self::RawRoom => "raw-room",
            Self::Django => "django",
        }
    }
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Runs scenarios on fresh servers and collects their reports.
#[derive(Debug)]
pub(super) struct Harness {
    bin_dir: PathBuf,
    django_cmd: Option<String>,
    pub(super) table: Table,
    /// Runs that could not be done, in words.
    pub(super) problems: Vec<String>,
}

impl Harness {
    /// Finds the server binaries in `bin_dir`, or next to this executable.
    pub(super) fn new(bin_dir: Option<PathBuf>, django_cmd: Option<String>) -> Result<Self, Error> {
        let bin_dir = match bin_dir {
            Some(dir) => dir,
            None => std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(PathBuf::from))
                .unwrap_or_default(),
        };
        for server in [Server::Aqueduct, Server::RawEcho, Server::RawRoom] {
            let path = bin_dir.join(server.binary().unwrap_or_default());
            if !path.is_file() {
                return Err(Error::Server {
                    server: path.display().to_string(),
                    reason: "not found; build it with `cargo build --release -p aqueduct-bench` or pass --bin-dir".into(),
                });
            }
        }
        Ok(Self {
            bin_dir,
            django_cmd,
            table: Table::default(),
            problems: Vec::new(),
        })
    }

    /// The baseline, aqueduct, and Django if a command for it was given.
    pub(super) fn servers(&self, baseline: Server) -> Vec<Server> {
        let mut servers = vec![baseline, Server::Aqueduct];
        if self.django_cmd.is_some() {
            servers.push(Server::Django);
        }
        servers
    }

    /// Runs the scenario `job` builds on each of `servers` in turn, `repeat`
    /// times, each on a fresh server, and returns each server's median report.
    pub(super) async fn repeated(
        &mut self,
        target: &str,
        servers: &[Server],
        repeat: usize,
        job: impl Fn(&ServerProcess) -> Command,
    ) -> Trio {
        let mut runs: Vec<Vec<Value>> = vec![Vec::new(); servers.len()];
        for round in 1..=repeat {
            for (server, runs) in servers.iter().zip(&mut runs) {
                eprintln!("== {target} on {server} (run {round} of {repeat})");
                runs.extend(self.run(target, *server, &job).await);
            }
        }
        let mut trio = Trio::default();
        for (server, runs) in servers.iter().zip(runs) {
            let median = median_report(&runs);
            match server {
                Server::Aqueduct => trio.aqueduct = median,
                Server::Django => trio.django = median,
                _ => trio.baseline = median,
            }
        }
        trio
    }

    /// Starts `server`, runs the scenario `job` builds for it, stops it, and
    /// prints and returns the labelled report.
    pub(super) async fn run(
        &mut self,
        target: &str,
        server: Server,
        job: impl Fn(&ServerProcess) -> Command,
    ) -> Option<Value> {
        let process = match self.start(server).await {
            Ok(process) => process,
            Err(err) => return self.problem(format!("{target} on {server}: {err}")),
        };
        let result = job(&process).run_scenario().await;
        process.stop().await;
        tokio::time::sleep(BETWEEN_RUNS).await;
        match result {
            Ok(Value::Object(mut report)) => {
                report.insert("target".into(), target.into());
                report.insert("server".into(), server.label().into());
                let report = Value::Object(report);
                print_line(&report);
                Some(report)
            }
            Ok(other) => Some(other),
            Err(err) => self.problem(format!("{target} on {server}: {err}")),
        }
    }

    async fn start(&self, server: Server) -> Result<ServerProcess, Error> {
        match (server.binary(), &self.django_cmd) {
            (Some(binary), _) => ServerProcess::binary(&self.bin_dir.join(binary)).await,
            (None, Some(command)) => ServerProcess::shell("django", command).await,
            (None, None) => Err(Error::Usage("no --django-cmd given".into())),
        }
    }

    fn problem(&mut self, problem: String) -> Option<Value> {
        eprintln!("problem: {problem}");
        self.problems.push(problem);
        None
    }
}
