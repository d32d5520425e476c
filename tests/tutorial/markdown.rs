//! Reading the docs: the tutorial's file blocks, and pages as text.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The tutorial's pages, in reading order.
const PARTS: [&str; 4] = ["part-1.md", "part-2.md", "part-3.md", "part-4.md"];

/// A code block that the tutorial marks as a whole file.
#[derive(Debug)]
pub struct FileBlock {
    /// Where it is, as `part-2.md:140`, for messages.
    pub place: String,
    /// The file's path in the reader's crate, such as `src/consumer.rs`.
    pub path: String,
    /// What follows the opening fence, such as `rust,ignore`.
    pub info: String,
    /// The file's content, ending with a newline as files do.
    pub text: String,
}

/// The directory of the workspace's `Cargo.toml`.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace root")
        .to_owned()
}

/// Reads a text file, or fails the test naming it.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}

/// Every file block of the tutorial, in reading order.
pub fn file_blocks() -> Vec<FileBlock> {
    let dir = workspace_root().join("docs/tutorial");
    let mut blocks = Vec::new();
    for part in PARTS {
        let markdown = read(&dir.join(part));
        let mut lines = markdown.lines().enumerate();
        while let Some((_, line)) = lines.next() {
            let Some(path) = file_marker(line) else {
                continue;
            };
            let (number, fence) = lines.next().unwrap_or_default();
            let place = format!("{part}:{}", number + 1);
            let info = fence.strip_prefix("```").unwrap_or_else(|| {
                panic!("{place}: a `<!-- file: {path} -->` line must be followed by a code block")
            });
            let body: Vec<&str> = lines
                .by_ref()
                .map(|(_, line)| line)
                .take_while(|line| *line != "```")
                .collect();
            blocks.push(FileBlock {
                place,
                path: path.to_owned(),
                info: info.to_owned(),
                text: body.join("\n") + "\n",
            });
        }
    }
    blocks
}

/// `<!-- file: src/lib.rs -->` gives `src/lib.rs`.
pub fn file_marker(line: &str) -> Option<&str> {
    line.strip_prefix("<!-- file: ")?.strip_suffix(" -->")
}

/// The tutorial's last version of each file.
pub fn final_files(blocks: &[FileBlock]) -> BTreeMap<&str, &FileBlock> {
    blocks
        .iter()
        .map(|block| (block.path.as_str(), block))
        .collect()
}

/// Every file under `dir`, as paths relative to it.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap();
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found.sort();
    found
}

/// The ```toml blocks of a page.
pub fn toml_blocks(markdown: &str) -> Vec<String> {
    markdown
        .split("```toml\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap().to_owned())
        .collect()
}
