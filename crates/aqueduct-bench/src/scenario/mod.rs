//! The scenarios, one per subcommand: each connects to a server that is
//! already running, measures, and returns its report.

mod churn;
mod connect;
mod cycles;
mod echo;
mod fanout;
mod flood;
mod idle;
mod redis_rate;

pub use churn::ChurnArgs;
pub use connect::ConnectArgs;
pub use echo::EchoArgs;
pub use fanout::FanoutArgs;
pub use flood::FloodArgs;
pub use idle::IdleArgs;
pub use redis_rate::RedisRateArgs;

pub(crate) use churn::run as churn;
pub(crate) use connect::run as connect;
pub(crate) use echo::run as echo;
pub(crate) use fanout::run as fanout;
pub(crate) use flood::run as flood;
pub(crate) use idle::run as idle;
pub(crate) use redis_rate::run as redis_rate;

use std::time::Duration;

use crate::error::Error;

/// How many handshakes a scenario keeps in flight while it opens connections.
pub(crate) const CONNECT_CONCURRENCY: usize = 64;

/// `seconds` as a duration, refusing what `Duration` cannot hold.
fn seconds(option: &str, seconds: f64) -> Result<Duration, Error> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        Error::Usage(format!(
            "--{option} must be a number of seconds, not {seconds}"
        ))
    })
}
