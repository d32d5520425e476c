//! The facade's cargo features leave out what they name, as axum's `ws`
//! does: a user who turns off `server` or `views` does not build them.
//!
//! `cargo tree` resolves features without compiling, so this is quick;
//! `.ci/run` also checks that each combination builds.

use std::path::Path;
use std::process::Command;

/// The crates `aqueduct` pulls in (normal dependencies) with `features`.
fn tree(features: &[&str]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut args = vec![
        "tree",
        "-p",
        "aqueduct",
        "-e",
        "normal",
        "-f",
        "{p} {f}",
        "--offline",
    ];
    args.push("--no-default-features");
    let joined = features.join(",");
    if !features.is_empty() {
        args.extend(["--features", joined.as_str()]);
    }
    let output = Command::new(cargo)
        .args(&args)
        .current_dir(root)
        .output()
        .expect("run cargo tree");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn each_feature_brings_in_only_what_it_names() {
    // (features, whether the server is in, whether views are in)
    #[rustfmt::skip]
    let cases: [(&[&str], bool, bool); 4] = [
        (&[],                  false, false),
        (&["server"],          true,  false),
        (&["views"],           false, true),
        (&["server", "views"], true,  true),
    ];
    for (features, server, views) in cases {
        let tree = tree(features);
        assert_eq!(
            tree.contains("aqueduct-server"),
            server,
            "{features:?}:\n{tree}"
        );
        let has_views = tree
            .lines()
            .any(|line| line.contains("aqueduct-routing") && line.contains("views"));
        assert_eq!(has_views, views, "{features:?}:\n{tree}");
    }
}
