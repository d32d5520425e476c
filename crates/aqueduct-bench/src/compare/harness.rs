//! Starting a fresh deployment for each run, running a scenario on it, and
//! keeping what came out.

use std::time::Duration;

use serde_json::{Map, Value};

use super::certificate::SelfSigned;
use super::deployment::{Deployment, Launcher, Server};
use super::median::median_report;
use super::redis_stats::Snapshot;
use super::table::{Table, Trio};
use crate::cli::Command;
use crate::report::print_line;

/// A pause between runs, so one run's closing sockets and exiting server
/// do not load the next.
const BETWEEN_RUNS: Duration = Duration::from_millis(500);

/// Runs scenarios on fresh servers and collects their reports.
#[derive(Debug)]
pub(super) struct Harness {
    launcher: Launcher,
    pub(super) table: Table,
    /// Runs that could not be done, in words.
    pub(super) problems: Vec<String>,
}

impl Harness {
    pub(super) fn new(launcher: Launcher) -> Self {
        Self {
            launcher,
            table: Table::default(),
            problems: Vec::new(),
        }
    }

    /// The baseline, aqueduct, and Django if a command for it was given.
    pub(super) fn servers(&self, baseline: Server) -> Vec<Server> {
        let mut servers = vec![baseline, Server::Aqueduct];
        if self.launcher.has_django() {
            servers.push(Server::Django);
        }
        servers
    }

    /// Whether Django can be started.
    pub(super) fn has_django(&self) -> bool {
        self.launcher.has_django()
    }

    /// Makes a self-signed certificate for the TLS servers of `target`
    /// to serve and their clients to trust; false, with the problem
    /// recorded, if it cannot be made.
    pub(super) fn make_certificate(&mut self, target: &str) -> bool {
        match SelfSigned::create() {
            Ok(certificate) => {
                self.launcher.use_certificate(certificate);
                true
            }
            Err(err) => {
                self.problem::<()>(format!("{target}: {err}"));
                false
            }
        }
    }

    /// Runs the scenario `job` builds on each of `servers` in turn, `repeat`
    /// times, each on a fresh server, and returns each server's median report.
    pub(super) async fn repeated(
        &mut self,
        target: &str,
        servers: &[Server],
        repeat: usize,
        job: impl Fn(&Deployment) -> Command,
    ) -> Trio {
        let medians = self.repeated_each(target, servers, repeat, job).await;
        let mut trio = Trio::default();
        for (server, median) in medians.0 {
            match server {
                Server::Aqueduct => trio.aqueduct = median,
                Server::Django => trio.django = median,
                _ => trio.baseline = median,
            }
        }
        trio
    }

    /// As [`Self::repeated`], returning every server's median report, for
    /// targets that pair servers in other ways.
    pub(super) async fn repeated_each(
        &mut self,
        target: &str,
        servers: &[Server],
        repeat: usize,
        job: impl Fn(&Deployment) -> Command,
    ) -> Medians {
        let mut runs: Vec<Vec<Value>> = vec![Vec::new(); servers.len()];
        for round in 1..=repeat {
            for (server, runs) in servers.iter().zip(&mut runs) {
                eprintln!("== {target} on {server} (run {round} of {repeat})");
                runs.extend(self.run(target, *server, &job).await);
            }
        }
        let medians = runs.iter().map(|runs| median_report(runs));
        Medians(servers.iter().copied().zip(medians).collect())
    }

    /// Starts `server`, runs the scenario `job` builds for it, stops it, and
    /// prints and returns the labelled report, with what the run cost Redis
    /// when it uses Redis.
    pub(super) async fn run(
        &mut self,
        target: &str,
        server: Server,
        job: impl Fn(&Deployment) -> Command,
    ) -> Option<Value> {
        let deployment = match self.launcher.start(server).await {
            Ok(deployment) => deployment,
            Err(err) => return self.problem(format!("{target} on {server}: {err}")),
        };
        let redis_url = server
            .uses_redis()
            .then(|| deployment.redis_url().to_owned());
        let before = match &redis_url {
            Some(url) => Some(Snapshot::take(url).await),
            None => None,
        };
        let result = job(&deployment).run_scenario().await;
        // Counted while the servers still run, after the load.
        let connections = redis_url
            .as_ref()
            .and_then(|_| deployment.redis_connections());
        let redis_figures = match (&redis_url, before) {
            (Some(url), Some(Ok(before))) => match Snapshot::take(url).await {
                Ok(after) => Some(after.since(&before)),
                Err(err) => self.problem(format!("{target} on {server}: Redis INFO: {err}")),
            },
            (_, Some(Err(err))) => self.problem(format!("{target} on {server}: Redis INFO: {err}")),
            _ => None,
        };
        deployment.stop().await;
        tokio::time::sleep(BETWEEN_RUNS).await;
        match result {
            Ok(Value::Object(mut report)) => {
                report.insert("target".into(), target.into());
                report.insert("server".into(), server.label().into());
                if let Some(figures) = redis_figures {
                    add_redis_figures(&mut report, figures);
                }
                if let Some(connections) = connections {
                    report.insert("redis_connections".into(), connections.into());
                }
                let report = Value::Object(report);
                print_line(&report);
                Some(report)
            }
            Ok(other) => Some(other),
            Err(err) => self.problem(format!("{target} on {server}: {err}")),
        }
    }

    /// Records a run, or some figures of one, that could not be had.
    fn problem<T>(&mut self, problem: String) -> Option<T> {
        eprintln!("problem: {problem}");
        self.problems.push(problem);
        None
    }
}

/// Each server's median report, from [`Harness::repeated_each`].
#[derive(Debug, Default)]
pub(super) struct Medians(Vec<(Server, Option<Value>)>);

impl Medians {
    /// The median report of `server`, if it ran and reported.
    pub(super) fn of(&self, server: Server) -> Option<Value> {
        let (_, median) = self.0.iter().find(|(ran, _)| *ran == server)?;
        median.clone()
    }

    /// `subject` against `baseline`, with Django's report when it ran.
    pub(super) fn pair(&self, baseline: Server, subject: Server) -> Trio {
        Trio {
            baseline: self.of(baseline),
            aqueduct: self.of(subject),
            django: self.of(Server::Django),
        }
    }
}

/// Adds Redis's figures to a report, and Redis's CPU time per round trip
/// when the report counts its round trips (the echo scenarios).
fn add_redis_figures(report: &mut Map<String, Value>, figures: Map<String, Value>) {
    let round_trips = report.get("round_trips_total").and_then(Value::as_f64);
    let cpu_sec = figures.get("redis_cpu_sec").and_then(Value::as_f64);
    if let (Some(round_trips), Some(cpu_sec)) = (round_trips, cpu_sec)
        && round_trips > 0.0
    {
        let per_msg = (cpu_sec * 1e6 / round_trips * 10.0).round() / 10.0;
        report.insert("redis_cpu_us_per_msg".into(), per_msg.into());
    }
    report.extend(figures);
}
