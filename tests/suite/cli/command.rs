//! Running the real pressdx binary, and making tokens for it in a test's database.

use std::process::{Command, Output, Stdio};

/// The pressdx binary, ready to run with `args`.
pub(super) fn pressdx_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pressdx"));
    command
        .args(args)
        .env("RUST_LOG", "warn")
        // Each command calls with the token it is given, never one from whoever runs the tests.
        .env_remove("PRESSDX_TOKEN");
    command
}

pub(super) fn pressdx(args: &[&str]) -> Output {
    pressdx_command(args)
        .output()
        .expect("the pressdx binary runs")
}

/// Runs pressdx with its standard output going into a pipe whose reader has already gone, as
/// `pressdx ... | head` leaves it once head has read enough.
pub(super) fn pressdx_into_a_closed_pipe(args: &[&str]) -> Output {
    let mut child = pressdx_command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the pressdx binary runs");
    // Closed before pressdx has a word to write: its first write meets the broken pipe.
    drop(child.stdout.take());
    child.wait_with_output().expect("pressdx ends")
}

/// The period of examples/report.toml, which several tests submit: the README's, open on any day.
pub(super) const EXAMPLE_PERIOD: &str = "2025";

pub(super) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Creates a credential as an operator does, with `pressdx token create --role ROLE [--org ORG]`:
/// its id, from "created credential N: ..." on stderr, and its token, alone on stdout.
pub(super) fn create_token(
    database_url: &str,
    role: &str,
    organization: Option<&str>,
) -> (i64, String) {
    let mut args = vec![
        "token",
        "create",
        "--role",
        role,
        "--database-url",
        database_url,
    ];
    if let Some(organization) = organization {
        args.extend(["--org", organization]);
    }
    let created = tokio::task::block_in_place(|| pressdx(&args));
    assert!(created.status.success(), "{}", text(&created.stderr));
    let stderr = text(&created.stderr);
    let id = stderr
        .lines()
        .find_map(|line| line.strip_prefix("created credential "))
        .and_then(|rest| rest.split_once(':'))
        .and_then(|(id, _)| id.parse().ok())
        .unwrap_or_else(|| panic!("no credential id in {stderr:?}"));
    let token = text(&created.stdout).trim().to_string();
    assert!(
        !token.is_empty() && !token.contains(char::is_whitespace),
        "{token:?}"
    );
    (id, token)
}
