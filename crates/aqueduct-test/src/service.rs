//! Tests that need a service: Redis, a Python interpreter, a browser.

use std::io::Write;

/// Whether a service a test needs is there. When it is not, the test is
/// skipped with a loud `SKIPPED` line, or fails when
/// `AQUEDUCT_REQUIRE_SERVICES=1` (as in CI), so a missing service never
/// passes for a green run where it matters.
///
/// ```
/// use aqueduct_test::service_available;
///
/// let redis_is_up = std::net::TcpStream::connect("127.0.0.1:6379").is_ok();
/// if !service_available("Redis at 127.0.0.1:6379", redis_is_up) {
///     return; // skipped
/// }
/// // … the test proper
/// ```
pub fn service_available(service: &str, available: bool) -> bool {
    if available {
        return true;
    }
    if std::env::var("AQUEDUCT_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!("{service} is required (AQUEDUCT_REQUIRE_SERVICES=1) but not available");
    }
    // Straight to the process's stderr: `eprintln!` would be captured by
    // the test harness and shown only if the test failed, and a skip passes.
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n==== SKIPPED: {service} is not available; install it to run this test ====\n"
    );
    false
}
