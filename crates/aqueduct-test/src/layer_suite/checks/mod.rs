//! The checks of the suite, one `async fn` each, run by the tests that
//! [`layer_suite!`](crate::layer_suite!) writes.

mod concurrency;
mod delivery;
mod expiry;
mod groups;
mod names;
mod overflow;
mod receiving;

pub use concurrency::*;
pub use delivery::*;
pub use expiry::*;
pub use groups::*;
pub use names::*;
pub use overflow::*;
pub use receiving::*;

#[cfg(test)]
mod tests {
    /// A check written here but left out of `layer_suite!` would never
    /// run; one listed there but not written does not compile.
    #[test]
    fn layer_suite_runs_every_check() {
        let suite_macro = include_str!("../mod.rs");
        let checks = [
            include_str!("concurrency.rs"),
            include_str!("delivery.rs"),
            include_str!("expiry.rs"),
            include_str!("groups.rs"),
            include_str!("names.rs"),
            include_str!("overflow.rs"),
            include_str!("receiving.rs"),
        ];
        let names = checks
            .iter()
            .flat_map(|source| source.lines())
            .filter_map(|line| line.strip_prefix("pub async fn "))
            .map(|rest| &rest[..rest.find('(').expect("a parameter list")]);
        for name in names {
            let listed = format!("            {name},\n");
            assert!(
                suite_macro.contains(&listed),
                "{name} is not in layer_suite!"
            );
        }
    }
}
