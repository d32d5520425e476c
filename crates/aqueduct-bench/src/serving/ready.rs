//! The ready line: how a server tells the generator where it listens.

use std::io::Write;
use std::net::SocketAddr;

const PREFIX: &str = "listening on ";

/// Prints `listening on HOST:PORT` to stdout and flushes it, once the server
/// accepts connections.
///
/// The address is the bound one, so a server started on port 0 names the
/// port it got.
pub fn announce(addr: SocketAddr) {
    let mut stdout = std::io::stdout().lock();
    // A generator that stopped reading is no reason to stop serving.
    let _ = writeln!(stdout, "{PREFIX}{addr}");
    let _ = stdout.flush();
}

/// Reads the address out of a ready line, or `None` if `line` is not one.
///
/// ```
/// use aqueduct_bench::serving::parse_ready_line;
///
/// let addr = parse_ready_line("listening on 127.0.0.1:8001\n").unwrap();
/// assert_eq!(addr.port(), 8001);
/// ```
pub fn parse_ready_line(line: &str) -> Option<SocketAddr> {
    line.trim().strip_prefix(PREFIX)?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_lines() {
        let cases = [
            ("listening on 127.0.0.1:8001", Some("127.0.0.1:8001")),
            ("listening on [::1]:9000\r\n", Some("[::1]:9000")),
            ("  listening on 127.0.0.1:1  ", Some("127.0.0.1:1")),
            ("listening on localhost:8000", None),
            ("Echo server running on ws://127.0.0.1:8001/ws/echo/", None),
            ("", None),
        ];
        for (line, expected) in cases {
            let expected = expected.map(|addr| addr.parse::<SocketAddr>().unwrap());
            assert_eq!(parse_ready_line(line), expected, "{line:?}");
        }
    }
}
