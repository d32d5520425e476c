//! A process's resident memory, as Linux reports it.

use crate::error::Error;

/// The resident set size of process `pid` in KiB, read from the `VmRSS`
/// line of `/proc/<pid>/status`.
pub(crate) fn rss_kib(pid: u32) -> Result<u64, Error> {
    let fail = |reason: String| Error::Rss { pid, reason };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|err| fail(err.to_string()))?;
    parse_vm_rss(&status).ok_or_else(|| fail("no VmRSS line".to_owned()))
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let mut words = line["VmRSS:".len()..].split_whitespace();
    let kib = words.next()?.parse().ok()?;
    (words.next() == Some("kB")).then_some(kib)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_rss_lines() {
        let cases = [
            (
                "Name:\tx\nVmRSS:\t   12345 kB\nVmData:\t1 kB\n",
                Some(12345),
            ),
            ("VmRSS:\t0 kB", Some(0)),
            ("VmRSS:\t12 MB", None),
            ("VmHWM:\t1 kB\n", None),
            ("", None),
        ];
        for (status, expected) in cases {
            assert_eq!(parse_vm_rss(status), expected, "{status:?}");
        }
    }

    #[test]
    fn reads_this_process() {
        assert!(rss_kib(std::process::id()).unwrap() > 0);
    }
}
