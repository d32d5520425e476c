//! The open-file limit, which caps how many sockets a process can hold.

use rustix::process::{Resource, getrlimit, setrlimit};

/// Raises this process's soft `RLIMIT_NOFILE` to its hard limit and returns
/// the new soft limit.
///
/// Every socket is a file descriptor, and the usual soft limit of 1024 is
/// far below the 19,000 connections the idle target holds. Child processes
/// inherit the raised limit.
pub fn raise_nofile_limit() -> std::io::Result<u64> {
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        setrlimit(Resource::Nofile, limit)?;
    }
    Ok(getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX))
}
