//! `pressdx audit verify`: recomputes the audit chain on the database directly, and checks what
//! it recorded against the data: the submissions, the credentials, the catalogue, which revision
//! counts, and the counters.

use std::io::{self, Write};
use std::process::ExitCode;

use super::CliResult;

/// How many problems are printed; the count says how many there are in all.
const PRINTED_PROBLEMS: usize = 50;

pub async fn verify(database_url: &str) -> CliResult {
    let store = super::open_database(database_url).await?;
    let verification = store.verify_audit().await?;
    store.close().await?;
    let mut out = io::stdout().lock();
    if verification.holds() {
        writeln!(
            out,
            "the audit chain holds: {} entries, {} submissions each matching its entry; the \
             catalogue, the latest revisions and the counters match what was recorded",
            verification.entries, verification.submissions
        )?;
        // Written down elsewhere, the head also exposes a chain rewritten from scratch by
        // someone who can edit the database.
        writeln!(
            out,
            "head: entry {} {}",
            verification.entries, verification.head
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let problems = &verification.problems;
    writeln!(
        out,
        "the audit chain does NOT hold: {} problem(s) ({} entries verified)",
        problems.len(),
        verification.entries
    )?;
    for problem in problems.iter().take(PRINTED_PROBLEMS) {
        match problem.seq {
            Some(seq) => writeln!(out, "BROKEN at entry {seq}: {}", problem.problem)?,
            None => writeln!(out, "BROKEN: {}", problem.problem)?,
        }
    }
    if problems.len() > PRINTED_PROBLEMS {
        writeln!(out, "... and {} more", problems.len() - PRINTED_PROBLEMS)?;
    }
    Ok(ExitCode::FAILURE)
}
