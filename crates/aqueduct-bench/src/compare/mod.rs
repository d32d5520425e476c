//! `compare`: every target of issue 3, each scenario on a fresh server,
//! aqueduct against the no-framework baselines (and Django, if asked), the
//! targets of issue 8 on Redis, echo over TLS, and the flood of issue 10.

mod args;
mod certificate;
mod deployment;
mod harness;
mod median;
mod on_redis;
mod plan;
mod redis_stats;
mod table;
mod targets;

pub use args::{CompareArgs, Target};

use serde_json::json;

use self::deployment::Launcher;
use self::harness::Harness;
use self::plan::Plan;
use crate::error::Error;
use crate::report::print_line;

/// Runs the targets asked for, printing each run's line as it ends, then
/// the table on stderr and a summary line on stdout.
pub(crate) async fn run(args: &CompareArgs) -> Result<(), Error> {
    let plan = Plan::new(args);
    let launcher = Launcher::new(
        args.bin_dir.clone(),
        args.django_cmd.clone(),
        args.redis.clone(),
    )?;
    let mut harness = Harness::new(launcher);
    let wanted = |target| args.only.is_empty() || args.only.contains(&target);
    if wanted(Target::A) {
        targets::echo(&mut harness, &plan).await;
    }
    if wanted(Target::B) {
        targets::chat_as_echo(&mut harness, &plan).await;
    }
    let fanout_limits = match wanted(Target::C) {
        true => Some(targets::fanout(&mut harness, &plan).await),
        false => None,
    };
    let idle_max_held = match wanted(Target::D) {
        true => targets::idle(&mut harness, &plan).await,
        false => None,
    };
    if wanted(Target::E) {
        targets::connect(&mut harness, &plan).await;
    }
    if wanted(Target::F) {
        targets::churn(&mut harness, &plan).await;
    }
    if wanted(Target::G) {
        on_redis::chat_as_echo(&mut harness, &plan).await;
    }
    if wanted(Target::H) {
        on_redis::fanout(&mut harness, &plan).await;
    }
    if wanted(Target::I) {
        targets::echo_over_tls(&mut harness, &plan).await;
    }
    if wanted(Target::J) {
        targets::flood(&mut harness, &plan).await;
    }

    eprintln!("\n{}", harness.table.render());
    if let Some(limits) = &fanout_limits {
        eprintln!("fan-out, first subscriber count not kept up with: {limits}");
    }
    for problem in &harness.problems {
        eprintln!("problem: {problem}");
    }
    print_line(&json!({
        "scenario": "compare",
        "plan": plan,
        "rows": harness.table,
        "fanout_first_not_kept_up": fanout_limits,
        "idle_max_all_held": idle_max_held,
        "problems": harness.problems,
    }));
    Ok(())
}
