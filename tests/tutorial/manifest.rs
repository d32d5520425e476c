//! Reading `Cargo.toml` files, and the tutorial's made local.

use std::path::Path;

/// The dependency lines of a TOML block: those of its dependency tables,
/// or all of them when it has no table header (a line to add).
pub fn dependency_lines(block: &str) -> Vec<&str> {
    if !block.lines().any(|l| l.starts_with('[')) {
        return block.lines().filter(|l| l.contains(" = ")).collect();
    }
    let mut lines: Vec<&str> = table_lines(block, "dependencies").collect();
    lines.extend(table_lines(block, "dev-dependencies"));
    lines
}

/// The `key = value` lines of `[table]`.
pub fn table_lines<'a>(manifest: &'a str, table: &str) -> impl Iterator<Item = &'a str> {
    let header = format!("[{table}]");
    manifest
        .lines()
        .skip_while(move |line| *line != header)
        .skip(1)
        .take_while(|line| !line.starts_with('['))
        .filter(|line| line.contains(" = ") && !line.starts_with('#'))
}

/// `"1.47"` or `{ version = "1.47", … }` gives `1.47`.
pub fn version_of(value: &str) -> Option<&str> {
    match value.strip_prefix('"') {
        Some(rest) => rest.split('"').next(),
        None => toml_string(value, "version"),
    }
}

/// The string value of `key = "…"` anywhere in `text`.
pub fn toml_string<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let start = text.find(&format!("{key} = \""))? + key.len() + 4;
    text[start..].split('"').next()
}

/// Whether the docs may offer `name = value` for an aqueduct crate: a path
/// to that crate in a clone of the repository beside the reader's crate,
/// which works today, or `release`, the version crates.io will have. Never
/// a git URL: no address of the repository has been confirmed.
pub fn is_aqueduct_dependency_to_offer(name: &str, value: &str, release: &str) -> bool {
    let clone = format!("{{ path = \"../aqueduct/crates/{name}\" }}");
    value == clone || value == format!("\"{release}\"")
}

/// The tutorial's `Cargo.toml` with aqueduct taken from this checkout
/// instead of a clone beside the reader's crate, as its own workspace (the
/// scratch directory is inside this one).
pub fn local_manifest(manifest: &str, root: &Path) -> String {
    let mut local = String::new();
    for line in manifest.lines() {
        match line.split_once(" = ") {
            Some((name, _)) if name.starts_with("aqueduct") => {
                let path = root.join("crates").join(name);
                local += &format!("{name} = {{ path = {:?} }}\n", path.display().to_string());
            }
            _ => local += &format!("{line}\n"),
        }
    }
    local + "\n[workspace]\n"
}
