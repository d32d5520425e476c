//! Why the load generator could not run.

/// A reason the load generator could not run a scenario at all.
///
/// Poor figures are not errors: a server that drops messages or connections
/// under load gets a report saying so. These are the cases where there is
/// nothing to report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server did not accept a WebSocket connection.
    #[error("cannot open a WebSocket to {url}: {reason}; is the server running there?")]
    Unreachable {
        /// The URL tried.
        url: String,
        /// What the client reported.
        reason: String,
    },
    /// The server's resident memory could not be read.
    #[error(
        "cannot read the memory of process {pid} from /proc: {reason}; pass the server's pid with --pid"
    )]
    Rss {
        /// The process asked about.
        pid: u32,
        /// What went wrong.
        reason: String,
    },
    /// A server binary could not be started or did not become ready.
    #[error("cannot start {server}: {reason}")]
    Server {
        /// The binary or command.
        server: String,
        /// What went wrong.
        reason: String,
    },
    /// The self-signed certificate of the TLS target could not be made.
    #[error("cannot make a self-signed certificate in {dir}: {reason}")]
    Certificate {
        /// The directory it was to be written to.
        dir: String,
        /// What went wrong.
        reason: String,
    },
    /// The options make no run possible.
    #[error("{0}")]
    Usage(String),
}
