//! `pressdx import`: back-fills many reports over one ImportReports stream, with a progress bar,
//! and sums up what became of them: stored, replayed (already stored under their request id) or
//! refused, each refusal named by the file and line it came from.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use indicatif::{ProgressBar, ProgressStyle};
use prost::Message;
use tonic::{Code, Status};

use super::client::{Connection, connect};
use super::diagnosis::call_failed;
use super::submissions::print_refusal;
use super::{CliResult, EXIT_REFUSED, ReportFile};
use crate::config::{ImportArgs, ServerArgs};
use crate::proto::import_reports_response::Outcome;
use crate::proto::submission_service_client::SubmissionServiceClient;
use crate::proto::{SubmissionReceipt, SubmitReportRequest};

/// The files a directory may hold reports in.
const REPORT_EXTENSIONS: [&str; 3] = ["jsonl", "json", "toml"];

/// A report as read from disk, or why it could not be, and where it came from:
/// "reports.jsonl:12", "2024/bao-nam-dinh.toml".
struct Entry {
    source: String,
    report: Result<ReportFile, String>,
}

/// What became of the reports.
#[derive(Default)]
struct Totals {
    stored: usize,
    replayed: usize,
    /// Checked and found valid by a dry run, which stores nothing.
    valid: usize,
    refused: usize,
}

impl Totals {
    fn count(&mut self, receipt: &SubmissionReceipt) {
        if receipt.replayed {
            self.replayed += 1;
        } else if receipt.validated_only {
            self.valid += 1;
        } else {
            self.stored += 1;
        }
    }

    fn print(&self, out: &mut impl Write, dry_run: bool) -> io::Result<()> {
        if dry_run {
            writeln!(out, "  valid      {} (dry run: nothing stored)", self.valid)?;
        } else {
            writeln!(out, "  stored     {}", self.stored)?;
        }
        writeln!(
            out,
            "  replayed   {} (already stored under the same request id: nothing new)",
            self.replayed
        )?;
        writeln!(out, "  refused    {}", self.refused)
    }
}

pub async fn import(args: ImportArgs) -> CliResult {
    let entries = read_entries(&args.path)?;
    let read = entries.len();
    let mut totals = Totals::default();
    // The stream carries the readable reports; each answer names its request by its position.
    let mut sources = Vec::new();
    let mut requests = Vec::new();
    for entry in entries {
        match entry.report {
            Ok(report) => {
                sources.push(format!(
                    "{}, {} for {}",
                    entry.source, report.agency, report.period
                ));
                requests.push(report.into_request(None, args.dry_run));
            }
            Err(message) => {
                eprintln!("refused {}: cannot be read: {message}", entry.source);
                totals.refused += 1;
            }
        }
    }

    let sent = if requests.is_empty() {
        Ok(())
    } else {
        let client = SubmissionServiceClient::new(connect(&args.server).await?);
        send(client, requests, &sources, &args.server, &mut totals).await
    };
    // What was answered before a failure is stored: the totals say how far the import went.
    let out = &mut io::stdout().lock();
    writeln!(out, "{}: {read} report(s)", args.path.display())?;
    totals.print(out, args.dry_run)?;
    sent.map_err(|failure| format!("the import stopped after {failure}"))?;
    Ok(if totals.refused == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_REFUSED)
    })
}

/// Sends the requests over one stream and counts the answers, printing each refusal as it comes.
/// Fails if the stream cannot be opened or breaks off before every request is answered.
async fn send(
    mut client: SubmissionServiceClient<Connection>,
    requests: Vec<SubmitReportRequest>,
    sources: &[String],
    server: &ServerArgs,
    totals: &mut Totals,
) -> Result<(), String> {
    let sent = requests.len();
    let mut answers = client
        .import_reports(tokio_stream::iter(requests))
        .await
        .map_err(|status| format!("0 of {sent} answers: {}", call_failed(&status, server)))?
        .into_inner();

    // Drawn on stderr, and only when that is a terminal: indicatif hides it otherwise, so that a
    // log or a pipe gets the refusals and the totals alone.
    let bar = ProgressBar::new(sent as u64).with_style(
        ProgressStyle::with_template("{wide_bar} {pos}/{len} reports, {eta} left")
            .map_err(|error| error.to_string())?,
    );
    let mut answered = 0;
    let broken = loop {
        let answer = match answers.message().await {
            Ok(Some(answer)) => answer,
            Ok(None) if answered == sent => break None,
            Ok(None) => break Some("the server ended the stream".to_string()),
            Err(status) => break Some(call_failed(&status, server)),
        };
        answered += 1;
        bar.inc(1);
        let source = usize::try_from(answer.index)
            .ok()
            .and_then(|index| sources.get(index))
            .map_or("?", String::as_str);
        match answer.outcome {
            Some(Outcome::Receipt(receipt)) => totals.count(&receipt),
            Some(Outcome::Error(error)) => {
                totals.refused += 1;
                bar.suspend(|| print_refusal(&format!("refused {source}"), &as_status(error)));
            }
            None => {
                totals.refused += 1;
                bar.suspend(|| eprintln!("refused {source}: the server gave no outcome"));
            }
        }
    };
    bar.finish_and_clear();
    match broken {
        None => Ok(()),
        Some(why) => Err(format!("{answered} of {sent} answers: {why}")),
    }
}

/// An import answer's error as the status SubmitReport would have answered, details included.
fn as_status(error: tonic_types::pb::Status) -> Status {
    let details = error.encode_to_vec();
    Status::with_details(Code::from(error.code), error.message, details.into())
}

/// Every report under `path`: a .jsonl file's lines, one .json or .toml report, or every such
/// file in a directory, in the order of their names.
fn read_entries(path: &Path) -> Result<Vec<Entry>, String> {
    let metadata = std::fs::metadata(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    if !metadata.is_dir() {
        return Ok(read_file(path));
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|file| file.is_file() && has_report_extension(file))
        .collect();
    if files.is_empty() {
        return Err(format!(
            "{}: no .jsonl, .json or .toml file in this directory",
            path.display()
        ));
    }
    files.sort();
    Ok(files.iter().flat_map(|file| read_file(file)).collect())
}

fn has_report_extension(file: &Path) -> bool {
    file.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| REPORT_EXTENSIONS.contains(&extension))
}

/// The reports in one file: each line of a .jsonl file (blank lines aside), else the file as one
/// report. A file that cannot be read at all is one entry that says so.
fn read_file(file: &Path) -> Vec<Entry> {
    let is_json_lines = file
        .extension()
        .is_some_and(|extension| extension == "jsonl");
    if !is_json_lines {
        return vec![Entry {
            source: file.display().to_string(),
            report: ReportFile::read(file),
        }];
    }
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) => {
            return vec![Entry {
                source: file.display().to_string(),
                report: Err(error.to_string()),
            }];
        }
    };
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| Entry {
            source: format!("{}:{}", file.display(), index + 1),
            report: ReportFile::from_json(line),
        })
        .collect()
}
