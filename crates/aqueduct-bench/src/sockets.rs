//! A process's TCP connections to a port, as Linux reports them: how many
//! Redis connections a server holds.

use std::collections::HashSet;

/// How many established TCP connections process `pid` has to port `port`
/// on any host, matching the socket inodes of `/proc/<pid>/fd` with the
/// lines of `/proc/net/tcp` and `tcp6`.
pub(crate) fn tcp_connections_to(pid: u32, port: u16) -> std::io::Result<usize> {
    let mut inodes = HashSet::new();
    for fd in std::fs::read_dir(format!("/proc/{pid}/fd"))? {
        // An fd closed since the listing is no connection of interest.
        let Ok(target) = std::fs::read_link(fd?.path()) else {
            continue;
        };
        if let Some(inode) = socket_inode(&target.to_string_lossy()) {
            inodes.insert(inode);
        }
    }
    let mut count = 0;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        count += text
            .lines()
            .filter_map(|line| established_to(line, port))
            .filter(|inode| inodes.contains(inode))
            .count();
    }
    Ok(count)
}

/// The inode of an fd's link target `socket:[12345]`.
fn socket_inode(target: &str) -> Option<u64> {
    target
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// The inode of a `/proc/net/tcp` line whose connection is established
/// (state `01`) to remote port `port`.
fn established_to(line: &str, port: u16) -> Option<u64> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (_, remote_port) = fields.get(2)?.rsplit_once(':')?;
    let matches = u16::from_str_radix(remote_port, 16).ok()? == port && *fields.get(3)? == "01";
    matches.then(|| fields.get(9)?.parse().ok()).flatten()
}

/// The port of a `redis://` URL (the first host of a comma-separated
/// list), 6379 if it names none.
pub(crate) fn redis_port(url: &str) -> u16 {
    let host = url.split(',').next().unwrap_or(url);
    let authority = host.split_once("://").map_or(host, |(_, rest)| rest);
    let authority = authority.split('/').next().unwrap_or(authority);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    host_port
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .unwrap_or(6379)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_net_tcp_lines() {
        let to_redis = "   3: 0100007F:A1B2 0100007F:18EB 01 00000000:00000000 00:00000000 00000000  1000        0 424242 1 0000000000000000 20 4 30 10 -1";
        let listening = "   0: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1111 1 0000000000000000 100 0 0 10 0";
        let closing = "   4: 0100007F:A1B3 0100007F:18EB 06 00000000:00000000 00:00000000 00000000  1000        0 0 1 0000000000000000 20 4 30 10 -1";
        let cases = [
            (to_redis, 6379, Some(424242)),
            (to_redis, 6380, None),
            (listening, 6379, None),
            (closing, 6379, None),
            (
                "  sl  local_address rem_address   st tx_queue rx_queue",
                6379,
                None,
            ),
        ];
        for (line, port, expected) in cases {
            assert_eq!(established_to(line, port), expected, "{line}");
        }
        assert_eq!(socket_inode("socket:[424242]"), Some(424242));
        assert_eq!(socket_inode("/dev/null"), None);
    }

    #[test]
    fn redis_ports() {
        let cases = [
            ("redis://127.0.0.1:6379", 6379),
            ("redis://127.0.0.1:6380/2", 6380),
            ("redis://:secret@localhost:7000", 7000),
            ("rediss://user:pw@host", 6379),
            ("redis://a:7001,redis://b:7002", 7001),
            ("redis://[::1]:7003", 7003),
        ];
        for (url, port) in cases {
            assert_eq!(redis_port(url), port, "{url}");
        }
    }

    #[test]
    fn this_process_has_no_connection_to_an_unused_port() {
        assert_eq!(tcp_connections_to(std::process::id(), 1).unwrap(), 0);
    }
}
