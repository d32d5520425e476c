//! Servers under test, started and stopped by `compare`.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process, kill_process_group, test_kill_process_group};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use crate::error::Error;
use crate::serving::parse_ready_line;

/// How long a server may take to print its ready line. Django needs more
/// than a second to import itself.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a stopped server may take to exit before it is killed. aqueduct
/// gives connections 10 s to close gracefully.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A running server process.
#[derive(Debug)]
pub(crate) struct ServerProcess {
    name: String,
    child: Child,
    pid: u32,
    /// Whether the server leads its own process group: a shell command's
    /// children must be stopped with it.
    group: bool,
    addr: SocketAddr,
}

impl ServerProcess {
    /// Starts one of this crate's server binaries on a port of the system's
    /// choosing, with `args` after `--addr`.
    pub(crate) async fn binary(path: &Path, args: &[String]) -> Result<Self, Error> {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |name| name.to_string_lossy().into_owned(),
        );
        let mut command = Command::new(path);
        command.args(["--addr", "127.0.0.1:0"]).args(args);
        Self::start(name, command, false).await
    }

    /// Starts a shell command with `{addr}` replaced by a free loopback
    /// address, for servers (such as Django's) that may not report port 0,
    /// with `env` added to its environment.
    pub(crate) async fn shell(
        name: &str,
        template: &str,
        env: &[(&str, String)],
    ) -> Result<Self, Error> {
        let addr = free_port().map_err(|err| Error::Server {
            server: name.to_owned(),
            reason: format!("no free port: {err}"),
        })?;
        let mut command = Command::new("sh");
        command
            .args(["-c", &template.replace("{addr}", &addr.to_string())])
            .envs(env.iter().map(|(key, value)| (key, value)))
            .process_group(0);
        Self::start(name.to_owned(), command, true).await
    }

    async fn start(name: String, mut command: Command, group: bool) -> Result<Self, Error> {
        let fail = |reason: String| Error::Server {
            server: name.clone(),
            reason,
        };
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|err| fail(err.to_string()))?;
        let pid = child.id().ok_or_else(|| fail("exited at once".into()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| fail("no stdout".into()))?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(READY_TIMEOUT, ready(&mut lines))
            .await
            .map_err(|_| fail(format!("no `listening on` line within {READY_TIMEOUT:?}")))?
            .ok_or_else(|| fail("exited before printing `listening on HOST:PORT`".into()))?;
        tokio::spawn(forward(name.clone(), lines));
        Ok(Self {
            name,
            child,
            pid,
            group,
            addr,
        })
    }

    /// The server's process id, whose memory `idle` and `churn` read.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// The server's processes: its own, and for a shell command every
    /// process of its group (Daphne under `sh` and `serve.sh`).
    pub(crate) fn pids(&self) -> Vec<u32> {
        match self.group {
            true => group_members(self.pid),
            false => vec![self.pid],
        }
    }

    /// A WebSocket URL on this server: `scheme` is `ws`, or `wss` for TLS.
    pub(crate) fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://{}{path}", self.addr)
    }

    /// Stops the server with SIGTERM, killing it if it lingers.
    pub(crate) async fn stop(mut self) {
        let term = match Pid::from_raw(self.pid as i32) {
            Some(pid) if self.group => kill_process_group(pid, Signal::TERM),
            Some(pid) => kill_process(pid, Signal::TERM),
            None => Ok(()),
        };
        if term.is_err()
            || tokio::time::timeout(STOP_TIMEOUT, self.child.wait())
                .await
                .is_err()
        {
            eprintln!("{}: did not stop on SIGTERM; killing it", self.name);
            let _ = self.child.kill().await;
        }
        if let Some(pid) = Pid::from_raw(self.pid as i32).filter(|_| self.group) {
            // The shell may exit before Daphne under it has: wait for the
            // whole group, so nothing it writes to Redis on the way out
            // lands after the run's keys are deleted.
            let gone = async {
                while test_kill_process_group(pid).is_ok() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            };
            if tokio::time::timeout(STOP_TIMEOUT, gone).await.is_err() {
                eprintln!("{}: its process group outlived it", self.name);
                let _ = kill_process_group(pid, Signal::KILL);
            }
        }
    }
}

/// Reads lines until the ready line; `None` if the output ends first.
async fn ready(lines: &mut Lines<BufReader<ChildStdout>>) -> Option<SocketAddr> {
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(addr) = parse_ready_line(&line) {
            return Some(addr);
        }
        eprintln!("{line}");
    }
    None
}

/// Passes whatever else the server prints on to stderr, so its pipe never
/// fills and stdout stays the generator's.
async fn forward(name: String, mut lines: Lines<BufReader<ChildStdout>>) {
    while let Ok(Some(line)) = lines.next_line().await {
        eprintln!("{name}: {line}");
    }
}

/// The processes of process group `pgid`, read from `/proc/<pid>/stat`
/// (whose fifth field is the group, counted after the `(name)` that may
/// hold spaces).
fn group_members(pgid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![pgid];
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                let group = stat
                    .rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(2));
                group.and_then(|group| group.parse().ok()) == Some(pgid)
            })
        })
        .collect()
}

/// A loopback address no one listens on right now.
fn free_port() -> std::io::Result<SocketAddr> {
    TcpListener::bind("127.0.0.1:0")?.local_addr()
}
