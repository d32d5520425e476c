//! The tutorial (docs/tutorial/) and examples/chat must not drift apart.
//!
//! The tutorial marks each code block that is a whole file of the reader's
//! crate with a line `<!-- file: PATH -->` just above it. Read in order,
//! the last block for each path is the file the reader ends with, and it
//! must be examples/chat's file byte for byte; every step before that must
//! build as the reader builds it, without a warning.

mod manifest;
mod markdown;

use std::path::Path;
use std::process::Command;

use manifest::{
    dependency_lines, is_aqueduct_dependency_to_offer, local_manifest, table_lines, toml_string,
    version_of,
};
use markdown::{
    file_blocks, file_marker, files_under, final_files, read, toml_blocks, workspace_root,
};

/// Files of examples/chat that the tutorial does not build, and why.
const NOT_IN_THE_TUTORIAL: [(&str, &str); 3] = [
    (
        "Cargo.toml",
        "it uses workspace dependencies; the tutorial's versions are checked against them",
    ),
    (
        "tests/cli.rs",
        "it runs the example's binary, which only the repository has",
    ),
    (
        "tests/redis.rs",
        "it runs two of the example's binaries on Redis, which only the repository has",
    ),
];

/// What `cargo new mysite` writes in `src/main.rs`.
const HELLO_WORLD: &str = "fn main() {\n    println!(\"Hello, world!\");\n}\n";
#[test]
fn the_tutorial_ends_with_the_files_of_examples_chat() {
    let example = workspace_root().join("examples/chat");
    let blocks = file_blocks();
    let finals = final_files(&blocks);
    let skipped: Vec<&str> = NOT_IN_THE_TUTORIAL.iter().map(|(path, _)| *path).collect();

    for path in files_under(&example) {
        if skipped.contains(&path.as_str()) {
            continue;
        }
        let Some(block) = finals.get(path.as_str()) else {
            panic!(
                "examples/chat/{path} is not in the tutorial: show it with a \
                 `<!-- file: {path} -->` block, or list it in NOT_IN_THE_TUTORIAL with a reason"
            );
        };
        let expected = read(&example.join(&path));
        if block.text != expected {
            panic!(
                "the tutorial's last version of {path} ({}) differs from examples/chat/{path}, {}; \
                 make them the same",
                block.place,
                first_difference(&block.text, &expected)
            );
        }
    }
    for path in finals.keys() {
        assert!(
            example.join(path).exists(),
            "the tutorial builds {path}, which examples/chat does not have"
        );
    }
}

/// Says where two texts first differ, line by line.
fn first_difference(tutorial: &str, example: &str) -> String {
    let mut example_lines = example.lines();
    for (index, line) in tutorial.lines().enumerate() {
        let other = example_lines.next();
        if other != Some(line) {
            return format!(
                "first at its line {}:\n  tutorial: {line:?}\n  example:  {:?}",
                index + 1,
                other.unwrap_or("(the file ends)")
            );
        }
    }
    match example_lines.next() {
        Some(line) => format!("which ends before the example's line {line:?}"),
        None => "in line endings or a trailing newline".to_owned(),
    }
}

#[test]
fn every_file_block_has_the_language_of_its_file() {
    #[rustfmt::skip]
    let table = [
        (".rs",   &["rust", "rust,ignore"][..]),
        (".html", &["html"][..]),
        (".toml", &["toml"][..]),
    ];
    for block in file_blocks() {
        let Some((_, infos)) = table.iter().find(|(end, _)| block.path.ends_with(end)) else {
            panic!("{}: no language is known for {}", block.place, block.path);
        };
        assert!(
            infos.contains(&block.info.as_str()),
            "{}: {} is shown as `{}`; use one of {infos:?}",
            block.place,
            block.path,
            block.info
        );
    }
}

#[test]
fn only_file_blocks_skip_the_doctests() {
    // A `rust,ignore` block is not compiled by rustdoc; a file block is
    // checked here instead. Any other Rust block must compile as a doctest.
    for page in files_under(&workspace_root().join("docs")) {
        let markdown = read(&workspace_root().join("docs").join(&page));
        let mut previous = "";
        for (number, line) in markdown.lines().enumerate() {
            if line.starts_with("```rust") && line.contains("ignore") {
                assert!(
                    file_marker(previous).is_some(),
                    "docs/{page}:{}: only a `<!-- file: … -->` block may be `ignore`; \
                     make this one compile as a doctest",
                    number + 1
                );
            }
            previous = line;
        }
    }
}

#[test]
fn the_docs_ask_for_the_versions_the_workspace_uses() {
    let root = read(&workspace_root().join("Cargo.toml"));
    let version = toml_string(&root, "version").expect("the workspace has a version");
    // What a user writes for 0.1.0: "0.1".
    let release = version.rsplit_once('.').unwrap().0;

    for (page, markdown) in pages_with_dependencies() {
        assert!(
            !markdown.contains("git clone http"),
            "{page} tells users to clone from an address nobody has confirmed; \
             say \"clone the aqueduct repository\" instead"
        );
        for line in toml_blocks(&markdown)
            .iter()
            .flat_map(|b| dependency_lines(b))
        {
            let (name, value) = line.split_once(" = ").unwrap();
            if name.starts_with("aqueduct") {
                assert!(
                    is_aqueduct_dependency_to_offer(name, value, release),
                    "{page}: `{line}` should be `{name} = {{ path = \"../aqueduct/crates/{name}\" }}` \
                     (a clone beside the reader's crate) or `{name} = \"{release}\"` (once released), \
                     not an address that may not exist"
                );
                continue;
            }
            let workspace = root
                .lines()
                .find(|l| l.starts_with(&format!("{name} = ")))
                .unwrap_or_else(|| panic!("{page} uses {name}, which the workspace does not"));
            assert_eq!(
                version_of(value),
                version_of(workspace.split_once(" = ").unwrap().1),
                "{page}: its {name} and the workspace's differ in version"
            );
        }
    }
}

/// The pages that tell users what to depend on: docs/, the README, and
/// each crate's README (which crates.io shows).
fn pages_with_dependencies() -> Vec<(String, String)> {
    let root = workspace_root();
    let mut pages: Vec<String> = files_under(&root.join("docs"))
        .into_iter()
        .map(|page| format!("docs/{page}"))
        .collect();
    pages.push("README.md".to_owned());
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let readme = entry.unwrap().path().join("README.md");
        if readme.exists() {
            let relative = readme.strip_prefix(&root).unwrap();
            pages.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
    pages
        .into_iter()
        .map(|page| {
            let markdown = read(&root.join(&page));
            (page, markdown)
        })
        .collect()
}

#[test]
fn aqueduct_dependencies_lead_to_a_clone_or_a_release() {
    // Regression: the docs led users to a git URL nothing here confirmed.
    #[rustfmt::skip]
    let table = [
        ("aqueduct",      r#"{ path = "../aqueduct/crates/aqueduct" }"#,            true),
        ("aqueduct-test", r#"{ path = "../aqueduct/crates/aqueduct-test" }"#,       true),
        ("aqueduct",      r#""0.1""#,                                                true),
        ("aqueduct",      r#"{ git = "https://github.com/aqueduct-rs/aqueduct" }"#, false),
        ("aqueduct-test", r#"{ path = "../aqueduct/crates/aqueduct" }"#,            false),
        ("aqueduct",      r#"{ path = "../aqueduct" }"#,                             false),
        ("aqueduct",      r#""0.2""#,                                                false),
    ];
    for (name, value, offered) in table {
        assert_eq!(
            is_aqueduct_dependency_to_offer(name, value, "0.1"),
            offered,
            "{name} = {value}"
        );
    }
}

#[test]
fn the_tutorial_depends_on_what_the_example_depends_on() {
    // The same crates, no more and no fewer; aqueduct-tests serves only
    // tests/cli.rs, which the tutorial leaves out.
    let example = read(&workspace_root().join("examples/chat/Cargo.toml"));
    let blocks = file_blocks();
    let tutorial = &final_files(&blocks)["Cargo.toml"].text;
    for table in ["dependencies", "dev-dependencies"] {
        let names = |manifest: &str| -> Vec<String> {
            table_lines(manifest, table)
                .map(|line| line.split([' ', '.']).next().unwrap().to_owned())
                .filter(|name| name != "aqueduct-tests")
                .collect()
        };
        assert_eq!(names(tutorial), names(&example), "[{table}]");
    }
}
/// Builds the reader's crate after each file block, as the reader does,
/// with `cargo check` in a scratch directory. Slow the first time (it
/// checks every dependency); later runs reuse its target directory.
#[test]
fn every_step_of_the_tutorial_builds_without_warnings() {
    let root = workspace_root();
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tutorial");
    let crate_dir = scratch.join("mysite");
    let _ = std::fs::remove_dir_all(&crate_dir);
    std::fs::create_dir_all(crate_dir.join("src")).unwrap();
    std::fs::write(crate_dir.join("src/main.rs"), HELLO_WORLD).unwrap();
    // The workspace's lock file pins the versions it was tested with, and
    // lets the check run offline.
    std::fs::copy(root.join("Cargo.lock"), crate_dir.join("Cargo.lock")).unwrap();

    for block in file_blocks() {
        let text = if block.path == "Cargo.toml" {
            local_manifest(&block.text, &root)
        } else {
            block.text.clone()
        };
        let path = crate_dir.join(&block.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();

        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let output = Command::new(cargo)
            .args(["check", "--all-targets", "--offline", "--color", "never"])
            .current_dir(&crate_dir)
            .env("CARGO_TARGET_DIR", scratch.join("target"))
            .output()
            .expect("run cargo");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let warned = stderr.lines().any(|line| line.starts_with("warning"));
        assert!(
            output.status.success() && !warned,
            "after {} ({}), `cargo check` {}:\n{stderr}",
            block.place,
            block.path,
            if warned { "warns" } else { "fails" }
        );
    }
}
