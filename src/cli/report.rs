//! `pressdx report`: the province's yearly report to the Ministry, over ProvinceReportService:
//! drafting it, writing its narrative, signing it, reading it, and rendering it with
//! [`crate::report`].
//!
//! The conversion of a stored report into the renderers' [`ProvinceReportDocument`] lives here
//! rather than in `crate::report`, which knows nothing of gRPC. It copies what the report states
//! and works out nothing a reader could take for a figure of the report, with one exception that
//! summary.proto itself defines: the trend's share in each year after the last observed one,
//! drawn from the formula it gives.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use prost::Message;
use sha2::{Digest, Sha256};
use tonic::Code;

use super::client::{Connection, connect};
use super::diagnosis::call_failed;
use super::submissions::print_refusal;
use super::summaries::{milestone_in_words, percent, status_in_words, status_word};
use super::{CliResult, EXIT_REFUSED, output};
use crate::api::convert::instant;
use crate::config::{OutputFormat, ReportCommand, ReportSelector, ServerArgs};
use crate::domain::period::vietnam_time;
use crate::proto::province_report_service_client::ProvinceReportServiceClient;
use crate::proto::{
    self, CreateProvinceReportRequest, GetProvinceReportRequest, GetProvinceReportingStatusRequest,
    ListProvinceReportsRequest, ListProvinceReportsResponse, ProjectionOutcome, ProvinceReport,
    ProvinceReportState, ProvinceReportingStatus, SubmitProvinceReportRequest, TargetSummary,
    Timeliness, UpdateProvinceReportNarrativeRequest,
};
use crate::report::{
    self, HORIZON_YEAR, MaturityLevelCount, MaturityLevels, Milestone, MilestoneOutcome, Narrative,
    Outcome, OverdueTask, Projection, ProjectionPoint, ProvinceReportDocument, ReportStatus,
    ReportingStatusCounts, Signature, TargetFigure, TargetSection, TargetStatus,
    TaskProgressCounts, YearShare,
};

type Client = ProvinceReportServiceClient<Connection>;

/// Runs a `pressdx report` subcommand.
pub async fn run(command: ReportCommand) -> CliResult {
    let out = &mut io::stdout().lock();
    match command {
        ReportCommand::Create {
            plan,
            period,
            province,
            correction_reason,
            accepted_only,
            server,
        } => {
            let request = CreateProvinceReportRequest {
                province_code: province,
                plan_code: plan,
                period_code: period,
                correction_reason,
                accepted_only,
                min_data_as_of: 0,
            };
            create(request, &server, out).await
        }
        ReportCommand::Narrative {
            id,
            results,
            results_file,
            difficulties,
            difficulties_file,
            proposals,
            proposals_file,
            server,
        } => {
            let sections = [
                Section::new("results", results, results_file),
                Section::new("difficulties", difficulties, difficulties_file),
                Section::new("proposals", proposals, proposals_file),
            ];
            narrative(id, sections, &server, out).await
        }
        ReportCommand::Submit {
            id,
            content_hash,
            server,
        } => submit(id, content_hash, &server, out).await,
        ReportCommand::Show {
            report,
            output,
            server,
        } => show(&report, output, &server, out).await,
        ReportCommand::List {
            plan,
            period,
            province,
            output,
            server,
        } => {
            let request = ListProvinceReportsRequest {
                province_code: province,
                plan_code: plan,
                period_code: period,
                page_size: 1000,
                page_token: String::new(),
            };
            list(request, output, &server, out).await
        }
        ReportCommand::Status {
            plan,
            period,
            output,
            server,
        } => status(plan, period, output, &server, out).await,
        ReportCommand::Render {
            report,
            html,
            csv,
            server,
        } => render(&report, &html, csv.as_deref(), &server, out).await,
    }
}

async fn client(server: &ServerArgs) -> Result<Client, String> {
    Ok(ProvinceReportServiceClient::new(connect(server).await?))
}

/// What the server answered a write with: the report, or a refusal (a request to fix, a report in
/// the wrong state), printed, which ends the command with [`EXIT_REFUSED`].
fn written(
    answer: Result<tonic::Response<ProvinceReport>, tonic::Status>,
    heading: &str,
    server: &ServerArgs,
) -> Result<Result<ProvinceReport, ExitCode>, String> {
    match answer {
        Ok(response) => Ok(Ok(response.into_inner())),
        Err(status)
            if matches!(
                status.code(),
                Code::InvalidArgument | Code::FailedPrecondition | Code::NotFound
            ) =>
        {
            print_refusal(heading, &status);
            Ok(Err(ExitCode::from(EXIT_REFUSED)))
        }
        Err(status) => Err(call_failed(&status, server)),
    }
}

/// `pressdx report create`.
async fn create(
    request: CreateProvinceReportRequest,
    server: &ServerArgs,
    out: &mut impl Write,
) -> CliResult {
    let answer = client(server).await?.create_province_report(request).await;
    let report = match written(answer, "not drafted", server)? {
        Ok(report) => report,
        Err(code) => return Ok(code),
    };
    print_header(out, &report)?;
    if let Some(content) = &report.content {
        writeln!(out)?;
        print_figures(out, &content.summaries, Detail::Short)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One narrative section as the command line gives it: its text, or a file to read it from.
struct Section {
    name: &'static str,
    text: Option<String>,
    file: Option<PathBuf>,
}

impl Section {
    fn new(name: &'static str, text: Option<String>, file: Option<PathBuf>) -> Section {
        Section { name, text, file }
    }

    fn reads_stdin(&self) -> bool {
        self.file.as_deref() == Some(Path::new("-"))
    }

    /// The section's text, `None` when it is not given (and keeps the draft's).
    fn read(self) -> Result<Option<String>, String> {
        let Some(file) = self.file else {
            return Ok(self.text);
        };
        let text = if file == Path::new("-") {
            let mut text = String::new();
            io::stdin()
                .read_to_string(&mut text)
                .map_err(|error| format!("--{}-file -: {error}", self.name))?;
            text
        } else {
            fs::read_to_string(&file)
                .map_err(|error| format!("--{}-file {}: {error}", self.name, file.display()))?
        };
        Ok(Some(text))
    }
}

/// `pressdx report narrative`.
async fn narrative(
    id: i64,
    sections: [Section; 3],
    server: &ServerArgs,
    out: &mut impl Write,
) -> CliResult {
    if sections
        .iter()
        .filter(|section| section.reads_stdin())
        .count()
        > 1
    {
        return Err("only one section can be read from standard input (-)".into());
    }
    let [results, difficulties, proposals] = sections.map(Section::read);
    let request = UpdateProvinceReportNarrativeRequest {
        id,
        results: results?,
        difficulties: difficulties?,
        proposals: proposals?,
    };
    let written_sections: Vec<&str> = [
        ("results", &request.results),
        ("difficulties", &request.difficulties),
        ("proposals", &request.proposals),
    ]
    .into_iter()
    .filter_map(|(name, text)| text.as_ref().map(|_| name))
    .collect();
    let answer = client(server)
        .await?
        .update_province_report_narrative(request)
        .await;
    let report = match written(answer, "narrative not written", server)? {
        Ok(report) => report,
        Err(code) => return Ok(code),
    };
    writeln!(out, "wrote {}", written_sections.join(", "))?;
    print_header(out, &report)?;
    if let Some(narrative) = report.content.as_ref().and_then(|c| c.narrative.as_ref()) {
        print_narrative(out, narrative)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `pressdx report submit`: the contract wants the hash of what the signer read, so the draft is
/// read first, its hash checked over the bytes it names, shown, and sent back.
async fn submit(
    id: i64,
    expected_hash: Option<String>,
    server: &ServerArgs,
    out: &mut impl Write,
) -> CliResult {
    let mut client = client(server).await?;
    let draft = client
        .get_province_report(GetProvinceReportRequest {
            id,
            ..Default::default()
        })
        .await
        .map_err(|status| call_failed(&status, server))?
        .into_inner();
    check_signed_content(&draft)?;
    if draft.state() == ProvinceReportState::Submitted {
        // As the server would answer a retry: the same hash is the same signature, another is
        // a refusal.
        if let Some(expected) = expected_hash.filter(|hash| *hash != draft.content_hash) {
            eprintln!(
                "not submitted: version {} was submitted already, with content hash {}, not {expected}",
                draft.version, draft.content_hash
            );
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        writeln!(out, "already submitted: nothing signed again")?;
        print_header(out, &draft)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "signing")?;
    print_header(out, &draft)?;
    if let Some(content) = &draft.content {
        writeln!(out)?;
        print_figures(out, &content.summaries, Detail::Short)?;
    }
    let content_hash = match expected_hash {
        Some(expected) if expected != draft.content_hash => {
            writeln!(
                out,
                "note: the draft's hash is no longer the {expected} given; the server will refuse"
            )?;
            expected
        }
        Some(expected) => expected,
        None => draft.content_hash.clone(),
    };
    out.flush()?;
    let answer = client
        .submit_province_report(SubmitProvinceReportRequest { id, content_hash })
        .await;
    let report = match written(answer, "not submitted", server)? {
        Ok(report) => report,
        Err(code) => return Ok(code),
    };
    writeln!(
        out,
        "\nsubmitted province report {} version {}",
        report.id, report.version
    )?;
    writeln!(out, "  content hash  {}", report.content_hash)?;
    writeln!(
        out,
        "  submitted     {} by {}",
        local_time(report.submitted_at.as_ref()),
        report.submitted_by
    )?;
    writeln!(
        out,
        "  deadline      {} ({})",
        local_time(report.deadline.as_ref()),
        timeliness_word(report.timeliness())
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The GetProvinceReport request the selector names.
fn get_request(selector: &ReportSelector) -> GetProvinceReportRequest {
    GetProvinceReportRequest {
        id: selector.id.unwrap_or(0),
        province_code: selector.province.clone().unwrap_or_default(),
        plan_code: selector.plan.clone().unwrap_or_default(),
        period_code: selector.period.clone().unwrap_or_default(),
        version: selector.version.unwrap_or(0),
    }
}

async fn get(selector: &ReportSelector, server: &ServerArgs) -> Result<ProvinceReport, String> {
    Ok(client(server)
        .await?
        .get_province_report(get_request(selector))
        .await
        .map_err(|status| call_failed(&status, server))?
        .into_inner())
}

/// `pressdx report show`.
async fn show(
    selector: &ReportSelector,
    format: OutputFormat,
    server: &ServerArgs,
    out: &mut impl Write,
) -> CliResult {
    let report = get(selector, server).await?;
    match format {
        OutputFormat::Json => output::write_json(out, &report, "pressdx.v1.ProvinceReport")?,
        OutputFormat::Csv => {
            let content = report.content.clone().unwrap_or_default();
            output::write_csv(
                out,
                &content,
                "pressdx.v1.ProvinceReportContent",
                "summaries",
            )?;
        }
        OutputFormat::Table => {
            print_header(out, &report)?;
            let Some(content) = &report.content else {
                return Ok(ExitCode::SUCCESS);
            };
            if let Some(counts) = &content.reporting_status {
                writeln!(
                    out,
                    "\nagencies: expected {}, on time {}, late {}, missing {}; accepted {}, \
                     returned {}, awaiting review {}",
                    counts.expected,
                    counts.received_on_time,
                    counts.received_late,
                    counts.missing,
                    counts.accepted,
                    counts.returned,
                    counts.awaiting_review
                )?;
            }
            if let Some(maturity) = &content.maturity_results {
                print_maturity(out, maturity)?;
            }
            if let Some(tasks) = &content.task_follow_up {
                print_tasks(out, tasks)?;
            }
            if let Some(narrative) = &content.narrative {
                print_narrative(out, narrative)?;
            }
            writeln!(out)?;
            print_figures(out, &content.summaries, Detail::Full)?;
        }
    }
    // After the report, so that whoever reads it also sees that it does not hold together.
    if let Err(problem) = check_signed_content(&report) {
        eprintln!("{problem}");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// `pressdx report list`: every page, joined.
async fn list(
    mut request: ListProvinceReportsRequest,
    format: OutputFormat,
    server: &ServerArgs,
    out: &mut impl Write,
) -> CliResult {
    let mut client = client(server).await?;
    let mut reports = Vec::new();
    loop {
        let page = client
            .list_province_reports(request.clone())
            .await
            .map_err(|status| call_failed(&status, server))?
            .into_inner();
        reports.extend(page.reports);
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    let response = ListProvinceReportsResponse {
        reports,
        next_page_token: String::new(),
    };
    const TYPE: &str = "pressdx.v1.ListProvinceReportsResponse";
    match format {
        OutputFormat::Json => output::write_json(out, &response, TYPE)?,
        OutputFormat::Csv => output::write_csv(out, &response, TYPE, "reports")?,
        OutputFormat::Table => {
            writeln!(
                out,
                "{:>5}  {:<20} {:<24} {:<7} {:>3}  {:<9} {:<22} {:<8} content hash",
                "id", "province", "plan", "period", "v", "state", "submitted", "timely"
            )?;
            for report in &response.reports {
                let submitted = match report.state() {
                    ProvinceReportState::Submitted => local_time(report.submitted_at.as_ref()),
                    _ => "-".to_string(),
                };
                let timely = match report.timeliness() {
                    Timeliness::Unspecified => "-",
                    timeliness => timeliness_word(timeliness),
                };
                writeln!(
                    out,
                    "{:>5}  {:<20} {:<24} {:<7} {:>3}  {:<9} {:<22} {:<8} {}",
                    report.id,
                    report.province_code,
                    report.plan_code,
                    report.period_code,
                    report.version,
                    state_word(report.state()),
                    submitted,
                    timely,
                    report.content_hash
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `pressdx report status`.
async fn status(
    plan: String,
    period: String,
    format: OutputFormat,
    server: &ServerArgs,
    out: &mut impl Write,
) -> CliResult {
    let status = client(server)
        .await?
        .get_province_reporting_status(GetProvinceReportingStatusRequest {
            plan_code: plan,
            period_code: period,
        })
        .await
        .map_err(|status| call_failed(&status, server))?
        .into_inner();
    const TYPE: &str = "pressdx.v1.ProvinceReportingStatus";
    match format {
        OutputFormat::Json => output::write_json(out, &status, TYPE)?,
        OutputFormat::Csv => output::write_csv(out, &status, TYPE, "provinces")?,
        OutputFormat::Table => print_reporting_status(out, &status)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn print_reporting_status(
    out: &mut impl Write,
    status: &ProvinceReportingStatus,
) -> io::Result<()> {
    writeln!(
        out,
        "{} {}: province reports due {}",
        status.plan_code,
        status.period_code,
        local_time(status.deadline.as_ref())
    )?;
    writeln!(
        out,
        "expected {}, submitted on time {}, late {}, missing {}",
        status.expected, status.submitted_on_time, status.submitted_late, status.missing
    )?;
    writeln!(
        out,
        "reporting rate {}, on time {}\n",
        percent(status.reporting_rate),
        percent(status.reporting_rate_on_time)
    )?;
    for province in &status.provinces {
        let state = match (province.submitted, province.timeliness()) {
            (false, _) => "MISSING".to_string(),
            (true, timeliness) => format!(
                "{}, version {}",
                timeliness_word(timeliness),
                province.latest_version
            ),
        };
        let when = if province.submitted {
            format!(
                "first {}, latest {}",
                local_time(province.first_submitted_at.as_ref()),
                local_time(province.latest_submitted_at.as_ref())
            )
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {:<24} {:<20} {:<24} {when}",
            province.province_code, state, province.province_name
        )?;
    }
    Ok(())
}

/// `pressdx report render`: the HTML page, and the CSV if asked for, of one version.
async fn render(
    selector: &ReportSelector,
    html: &Path,
    csv: Option<&Path>,
    server: &ServerArgs,
    out: &mut impl Write,
) -> CliResult {
    let report = get(selector, server).await?;
    // The page prints the hash: it must be the hash of what the page shows.
    check_signed_content(&report)?;
    let document = report_document(&report)?;
    let write = |path: &Path, text: String| {
        fs::write(path, text).map_err(|error| format!("{}: {error}", path.display()))
    };
    write(html, report::render_html(&document))?;
    if let Some(csv) = csv {
        write(csv, report::render_csv(&document))?;
    }
    writeln!(
        out,
        "wrote {}{} for province report {} ({} {} {}, version {}, {})",
        html.display(),
        csv.map(|csv| format!(" and {}", csv.display()))
            .unwrap_or_default(),
        report.id,
        report.province_code,
        report.plan_code,
        report.period_code,
        report.version,
        state_word(report.state())
    )?;
    if report.state() == ProvinceReportState::Draft {
        writeln!(
            out,
            "the page is marked BẢN NHÁP (draft): it is not submitted"
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks that `content_hash` is the SHA-256 of `signed_content`, and that `content` is what
/// those bytes encode: what is shown, rendered or signed is then what the hash covers.
fn check_signed_content(report: &ProvinceReport) -> Result<(), String> {
    let subject = format!("province report {}", report.id);
    if report.signed_content.is_empty() {
        return Err(format!(
            "{subject}: the server sent no signed content to check its hash against"
        ));
    }
    let hash = format!("sha256:{:x}", Sha256::digest(&report.signed_content));
    if hash != report.content_hash {
        return Err(format!(
            "{subject}: its signed content hashes to {hash}, not to the {} the server states",
            report.content_hash
        ));
    }
    let signed = proto::ProvinceReportContent::decode(report.signed_content.as_slice())
        .map_err(|error| format!("{subject}: its signed content does not decode: {error}"))?;
    if Some(&signed) != report.content.as_ref() {
        return Err(format!(
            "{subject}: the content sent differs from the signed content its hash covers"
        ));
    }
    Ok(())
}

/// The version's identity and signature, as lines.
fn print_header(out: &mut impl Write, report: &ProvinceReport) -> io::Result<()> {
    let content = report.content.as_ref();
    let name = content.map_or("", |content| content.province_name.as_str());
    writeln!(
        out,
        "province report {}: {} {} ({}), {}",
        report.id, name, report.province_code, report.plan_code, report.period_code
    )?;
    if let Some(content) = content {
        let decision = if content.plan_decision.is_empty() {
            String::new()
        } else {
            format!(" ({})", content.plan_decision)
        };
        writeln!(out, "  plan          {}{decision}", content.plan_name)?;
    }
    writeln!(
        out,
        "  version       {}, {}",
        report.version,
        state_word(report.state())
    )?;
    if let Some(reason) = content
        .map(|content| content.correction_reason.as_str())
        .filter(|reason| !reason.is_empty())
    {
        writeln!(out, "  correcting    {reason}")?;
    }
    writeln!(
        out,
        "  drafted       {} by {}",
        local_time(report.created_at.as_ref()),
        report.created_by
    )?;
    if report.state() == ProvinceReportState::Submitted {
        writeln!(
            out,
            "  submitted     {} by {} ({})",
            local_time(report.submitted_at.as_ref()),
            report.submitted_by,
            timeliness_word(report.timeliness())
        )?;
    } else {
        writeln!(
            out,
            "  last changed  {}",
            local_time(report.updated_at.as_ref())
        )?;
    }
    writeln!(
        out,
        "  deadline      {}",
        local_time(report.deadline.as_ref())
    )?;
    writeln!(out, "  content hash  {}", report.content_hash)?;
    if let Some(content) = content {
        let accepted_only = if content.accepted_only {
            "; accepted reports only"
        } else {
            ""
        };
        writeln!(
            out,
            "  data as of    change {} (figures taken {}{accepted_only})",
            content.data_as_of,
            local_time(content.figures_taken_at.as_ref())
        )?;
    }
    Ok(())
}

fn print_narrative(
    out: &mut impl Write,
    narrative: &proto::ProvinceReportNarrative,
) -> io::Result<()> {
    for (heading, text) in [
        ("Kết quả thực hiện (results)", &narrative.results),
        (
            "Khó khăn, vướng mắc (difficulties)",
            &narrative.difficulties,
        ),
        ("Đề xuất, kiến nghị (proposals)", &narrative.proposals),
    ] {
        writeln!(out, "\n{heading}")?;
        if text.trim().is_empty() {
            writeln!(out, "  (empty)")?;
        }
        for line in text.lines() {
            if line.trim().is_empty() {
                writeln!(out)?;
            } else {
                writeln!(out, "  {line}")?;
            }
        }
    }
    Ok(())
}

/// How much of each target `print_figures` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// One line per target.
    Short,
    /// With the explanation, the history and the milestones.
    Full,
}

fn print_figures(
    out: &mut impl Write,
    summaries: &[TargetSummary],
    detail: Detail,
) -> io::Result<()> {
    writeln!(
        out,
        "{:<30} {:>13} {:>7} {:>9}  status",
        "target", "count", "share", "required"
    )?;
    for summary in summaries {
        let share = if summary.status() == proto::TargetStatus::NoData {
            "-".to_string()
        } else {
            percent(summary.share)
        };
        let required = if summary.requirement_applies {
            percent(summary.required_share)
        } else {
            "-".to_string()
        };
        writeln!(
            out,
            "{:<30} {:>13} {:>7} {:>9}  {}",
            summary.target_code,
            format!("{}/{}", summary.numerator, summary.denominator),
            share,
            required,
            status_word(summary.status())
        )?;
        if detail == Detail::Short {
            continue;
        }
        writeln!(out, "{:<30} {}", "", status_in_words(summary))?;
        if !summary.history.is_empty() {
            let years: Vec<String> = summary
                .history
                .iter()
                .map(|year| {
                    format!(
                        "{} {} ({}/{})",
                        year.year,
                        percent(year.share),
                        year.numerator,
                        year.denominator
                    )
                })
                .collect();
            writeln!(out, "{:<30} history: {}", "", years.join("; "))?;
        }
        let milestones: Vec<String> = summary
            .milestone_projections
            .iter()
            .map(milestone_in_words)
            .collect();
        if !milestones.is_empty() {
            writeln!(out, "{:<30} milestones: {}", "", milestones.join("; "))?;
        }
    }
    Ok(())
}

fn state_word(state: ProvinceReportState) -> &'static str {
    match state {
        ProvinceReportState::Draft => "draft",
        ProvinceReportState::Submitted => "submitted",
        ProvinceReportState::Unspecified => "?",
    }
}

fn timeliness_word(timeliness: Timeliness) -> &'static str {
    match timeliness {
        Timeliness::OnTime => "on time",
        Timeliness::Late => "LATE",
        Timeliness::Unspecified => "?",
    }
}

/// An instant as people in Vietnam read it ("2026-12-10 09:30 +07:00"), or "-" when unset.
fn local_time(timestamp: Option<&prost_types::Timestamp>) -> String {
    timestamp.and_then(instant).map_or_else(
        || "-".to_string(),
        |at| {
            at.with_timezone(&vietnam_time())
                .format("%Y-%m-%d %H:%M %:z")
                .to_string()
        },
    )
}

/// The stored report as the renderers' document. Fails on a report that does not say what the
/// page must show (a listing's entry without content, a value the contract leaves unspecified),
/// rather than filling in something it does not say.
pub(crate) fn report_document(report: &ProvinceReport) -> Result<ProvinceReportDocument, String> {
    let subject = format!("province report {}", report.id);
    let content = report.content.as_ref().ok_or_else(|| {
        format!("{subject} carries no content (read it with GetProvinceReport, not from a list)")
    })?;
    let targets = content
        .summaries
        .iter()
        .map(|summary| target_section(summary, content.year))
        .collect::<Result<Vec<_>, String>>()
        .map_err(|problem| format!("{subject}: {problem}"))?;
    let reporting = content
        .reporting_status
        .as_ref()
        .ok_or_else(|| format!("{subject} carries no reporting status"))
        .and_then(|status| {
            reporting_counts(status).map_err(|problem| format!("{subject}: {problem}"))
        })?;
    let narrative = content
        .narrative
        .as_ref()
        .map(|narrative| Narrative {
            results: narrative.results.clone(),
            difficulties: narrative.difficulties.clone(),
            proposals: narrative.proposals.clone(),
        })
        .unwrap_or_default();
    let status = match report.state() {
        ProvinceReportState::Draft => ReportStatus::Draft,
        ProvinceReportState::Submitted => ReportStatus::Submitted,
        ProvinceReportState::Unspecified => {
            return Err(format!("{subject} is neither a draft nor submitted"));
        }
    };
    let version = u32::try_from(report.version)
        .map_err(|_| format!("{subject} has version {}", report.version))?;
    Ok(ProvinceReportDocument {
        province_code: content.province_code.clone(),
        province_name: content.province_name.clone(),
        plan_code: content.plan_code.clone(),
        plan_name: content.plan_name.clone(),
        plan_decision: content.plan_decision.clone(),
        period_code: content.period_code.clone(),
        year: content.year,
        targets,
        reporting,
        maturity: content.maturity_results.as_ref().map(maturity_levels),
        tasks: content.task_follow_up.as_ref().map(task_counts),
        narrative,
        signature: Signature {
            version,
            status,
            submitted_at: report.submitted_at.as_ref().and_then(instant),
            submitted_by: report.submitted_by.clone(),
            content_hash: report.content_hash.clone(),
            data_as_of: content.data_as_of,
            correction_reason: content.correction_reason.clone(),
            accepted_only: content.accepted_only,
        },
    })
}

fn target_section(summary: &TargetSummary, year: i32) -> Result<TargetSection, String> {
    let code = &summary.target_code;
    let status =
        target_status(summary.status()).ok_or_else(|| format!("target {code} has no status"))?;
    let figure = TargetFigure {
        numerator: summary.numerator,
        denominator: summary.denominator,
        // summary.proto: the share is 0 when there is none, which is what NO_DATA says.
        share: (status != TargetStatus::NoData).then_some(summary.share),
        required_share: summary
            .requirement_applies
            .then_some(summary.required_share),
        status,
        explanation: summary.explanation.clone(),
    };
    // Earlier years come with their share only: what was required of them and their status are
    // not in the report, and are left unknown rather than worked out again here.
    let mut history: Vec<YearShare> = summary
        .history
        .iter()
        .map(|observed| YearShare {
            year: observed.year,
            numerator: observed.numerator,
            denominator: observed.denominator,
            share: Some(observed.share),
            required_share: None,
            status: None,
        })
        .collect();
    // The report's own year is the summary's figure. history leaves it out when it has no share;
    // the table still shows it, as the figure states it.
    match history.iter_mut().find(|observed| observed.year == year) {
        Some(this_year) => {
            this_year.required_share = figure.required_share;
            this_year.status = Some(status);
        }
        None => history.push(YearShare {
            year,
            numerator: figure.numerator,
            denominator: figure.denominator,
            share: figure.share,
            required_share: figure.required_share,
            status: Some(status),
        }),
    }
    let milestones = summary
        .milestone_projections
        .iter()
        .map(|milestone| Milestone {
            year: milestone.year,
            required_share: milestone.required_share,
        })
        .collect();
    let outcomes = summary
        .milestone_projections
        .iter()
        .map(|milestone| {
            let outcome = outcome(milestone.outcome()).ok_or_else(|| {
                format!(
                    "target {code}: the {} milestone has no outcome",
                    milestone.year
                )
            })?;
            Ok(MilestoneOutcome {
                year: milestone.year,
                required_share: milestone.required_share,
                outcome,
                projected_year: milestone.projected_year,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let points = summary.trend.as_ref().map_or_else(Vec::new, |trend| {
        (trend.last_year + 1..=HORIZON_YEAR)
            .map(|year| ProjectionPoint {
                year,
                share: projected_share(trend, year),
            })
            .collect()
    });
    Ok(TargetSection {
        code: code.clone(),
        name: summary.target_name.clone(),
        figure,
        history,
        milestones,
        projection: Projection { points, outcomes },
    })
}

/// The trend's share in `year`, in summary.proto's words: "min(1, max(0,
/// trend.share_at_last_year + trend.slope_per_year * (X - trend.last_year)))", in doubles.
fn projected_share(trend: &proto::ProjectionTrend, year: i32) -> f64 {
    let uncapped =
        trend.share_at_last_year + trend.slope_per_year * f64::from(year - trend.last_year);
    uncapped.clamp(0.0, 1.0)
}

fn target_status(status: proto::TargetStatus) -> Option<TargetStatus> {
    Some(match status {
        proto::TargetStatus::Achieved => TargetStatus::Achieved,
        proto::TargetStatus::OnTrack => TargetStatus::OnTrack,
        proto::TargetStatus::AccelerationNeeded => TargetStatus::AccelerationNeeded,
        proto::TargetStatus::LimitedProgress => TargetStatus::LimitedProgress,
        proto::TargetStatus::Deterioration => TargetStatus::Deterioration,
        proto::TargetStatus::NoData => TargetStatus::NoData,
        proto::TargetStatus::NoTrend => TargetStatus::NoTrend,
        proto::TargetStatus::Unspecified => return None,
    })
}

fn outcome(outcome: ProjectionOutcome) -> Option<Outcome> {
    Some(match outcome {
        ProjectionOutcome::Met => Outcome::Met,
        ProjectionOutcome::Missed => Outcome::Missed,
        ProjectionOutcome::OnPace => Outcome::OnPace,
        ProjectionOutcome::OffPace => Outcome::OffPace,
        ProjectionOutcome::TooFewYears => Outcome::TooFewYears,
        ProjectionOutcome::NoData => Outcome::NoData,
        ProjectionOutcome::Unspecified => return None,
    })
}

/// "maturity (V2024): Yếu 0, Khá 2; assessed 2, missing 1".
fn print_maturity(out: &mut impl Write, results: &proto::MaturityResults) -> io::Result<()> {
    let levels = maturity_levels(results);
    let counted: Vec<String> = levels
        .levels
        .iter()
        .map(|level| format!("{} {}", level.name, level.agencies))
        .collect();
    writeln!(
        out,
        "maturity ({}): {}; assessed {}, missing {}",
        levels.framework_code,
        counted.join(", "),
        levels.assessed,
        levels.missing
    )
}

/// "tasks (as of 2026-12-01): 4 lines, 1 not started, 1 in progress, 2 done, 0 cancelled; 2
/// overdue".
fn print_tasks(out: &mut impl Write, tasks: &proto::TaskFollowUp) -> io::Result<()> {
    let counts = task_counts(tasks);
    writeln!(
        out,
        "tasks (as of {}): {} lines, {} not started, {} in progress, {} done, {} cancelled; {} \
         overdue",
        counts.as_of,
        counts.lines(),
        counts.not_started,
        counts.in_progress,
        counts.done,
        counts.cancelled,
        counts.overdue.len()
    )
}

/// The lines of the plan's tasks by status and the overdue ones, as the page and the CSV show
/// them.
fn task_counts(follow_up: &proto::TaskFollowUp) -> TaskProgressCounts {
    let count = |value: i32| u32::try_from(value).unwrap_or(0);
    let lines_in = |status: proto::TaskStatus| {
        follow_up
            .by_status
            .iter()
            .filter(|counted| counted.status() == status)
            .map(|counted| count(counted.lines))
            .sum()
    };
    TaskProgressCounts {
        as_of: follow_up.as_of.clone(),
        not_started: lines_in(proto::TaskStatus::NotStarted),
        in_progress: lines_in(proto::TaskStatus::InProgress),
        done: lines_in(proto::TaskStatus::Done),
        cancelled: lines_in(proto::TaskStatus::Cancelled),
        overdue: follow_up
            .overdue
            .iter()
            .map(|line| OverdueTask {
                task_code: line.task_code.clone(),
                task_name: line.task_name.clone(),
                lead_name: line.lead_name.clone(),
                due_on: line.due_on.clone(),
                days_late: count(line.days_late),
            })
            .collect(),
    }
}

/// The level counts of the province's maturity results, as the page and the CSV show them.
fn maturity_levels(results: &proto::MaturityResults) -> MaturityLevels {
    let aggregate = results.aggregate.clone().unwrap_or_default();
    let count = |value: i32| u32::try_from(value).unwrap_or(0);
    MaturityLevels {
        framework_code: results.framework_code.clone(),
        assessed: count(aggregate.assessed),
        missing: count(aggregate.missing),
        levels: aggregate
            .levels
            .iter()
            .map(|level| MaturityLevelCount {
                rank: count(level.level_rank),
                name: level.level_name.clone(),
                agencies: count(level.agencies),
            })
            .collect(),
    }
}

fn reporting_counts(status: &proto::ReportingStatus) -> Result<ReportingStatusCounts, String> {
    let count = |name: &str, value: i32| {
        u32::try_from(value).map_err(|_| format!("the reporting status counts {value} {name}"))
    };
    Ok(ReportingStatusCounts {
        expected: count("expected", status.expected)?,
        received_on_time: count("received on time", status.received_on_time)?,
        received_late: count("received late", status.received_late)?,
        missing: count("missing", status.missing)?,
        awaiting_review: count("awaiting review", status.awaiting_review)?,
        accepted: count("accepted", status.accepted)?,
        returned: count("returned", status.returned)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{
        MilestoneProjection, ProjectionTrend, ProvinceReportContent, ProvinceReportNarrative,
        ReportingStatus,
    };

    fn timestamp(seconds: i64) -> prost_types::Timestamp {
        prost_types::Timestamp { seconds, nanos: 0 }
    }

    /// 2026-12-10 02:30 UTC, 09:30 in Vietnam.
    const SUBMITTED_AT: i64 = 1_796_869_800;
    /// 15 December 2026, 00:00 in Vietnam: the default periods' province_report_deadline.
    const DEADLINE: i64 = 1_797_267_600;

    fn year_share(year: i32, numerator: i64, denominator: i64) -> proto::YearShare {
        proto::YearShare {
            year,
            numerator,
            denominator,
            share: numerator as f64 / denominator as f64,
        }
    }

    fn milestone(
        year: i32,
        required_share: f64,
        outcome: ProjectionOutcome,
        projected_year: Option<i32>,
    ) -> MilestoneProjection {
        MilestoneProjection {
            year,
            required_share,
            outcome: outcome.into(),
            observed_share: None,
            projected_share: None,
            projected_year,
        }
    }

    fn summary(code: &str, name: &str, status: proto::TargetStatus) -> TargetSummary {
        TargetSummary {
            plan_code: "nam-dinh-cds-bao-chi".into(),
            target_code: code.into(),
            target_name: name.into(),
            period_code: "2026".into(),
            scope: "province:ninh-binh-2025".into(),
            status: status.into(),
            data_as_of: 1842,
            ..Default::default()
        }
    }

    /// Three targets, as a server would send them for the Nam Định plan in 2026: one achieved
    /// whose trend runs past 100%, one off pace, and one with no figure this year.
    fn summaries() -> Vec<TargetSummary> {
        use ProjectionOutcome::*;
        let platforms = TargetSummary {
            numerator: 9,
            denominator: 12,
            share: 0.75,
            requirement_applies: true,
            required_share: 0.6,
            required_share_interpolated: true,
            explanation: "75.00% meets the 60.00% required in 2026".into(),
            history: vec![
                year_share(2023, 4, 12),
                year_share(2024, 6, 12),
                year_share(2025, 8, 12),
                year_share(2026, 9, 12),
            ],
            trend: Some(ProjectionTrend {
                years: vec![2023, 2024, 2025, 2026],
                slope_per_year: 0.141_666_666_666_666_7,
                last_year: 2026,
                share_at_last_year: 0.775,
            }),
            milestone_projections: vec![
                milestone(2025, 0.5, Met, None),
                milestone(2030, 1.0, OnPace, Some(2028)),
            ],
            ..summary(
                "content_on_digital_platforms",
                "Agencies distributing content on digital platforms (domestic platforms \
                 preferred)",
                proto::TargetStatus::Achieved,
            )
        };
        let newsroom = TargetSummary {
            numerator: 6,
            denominator: 12,
            share: 0.5,
            requirement_applies: true,
            required_share: 0.6,
            required_share_interpolated: true,
            explanation: "observed +8.33 points a year, 67% of the +12.50 needed to reach \
                          100.00% by 2030"
                .into(),
            history: vec![
                year_share(2024, 4, 12),
                year_share(2025, 5, 12),
                year_share(2026, 6, 12),
            ],
            trend: Some(ProjectionTrend {
                years: vec![2024, 2025, 2026],
                slope_per_year: 1.0 / 12.0,
                last_year: 2026,
                share_at_last_year: 0.5,
            }),
            milestone_projections: vec![
                milestone(2025, 0.5, Missed, None),
                milestone(2030, 1.0, OffPace, Some(2032)),
            ],
            ..summary(
                "converged_newsroom",
                "Agencies operating a converged newsroom",
                proto::TargetStatus::AccelerationNeeded,
            )
        };
        let trained = TargetSummary {
            measure: proto::TargetMeasure::PeopleShare.into(),
            requirement_applies: true,
            required_share: 1.0,
            explanation: "no share: the reports received leave the counts unset".into(),
            history: vec![year_share(2024, 230, 410)],
            milestone_projections: vec![
                milestone(2025, 1.0, NoData, None),
                milestone(2030, 1.0, TooFewYears, None),
            ],
            ..summary(
                "staff_trained",
                "Leaders, reporters, editors and staff trained in press digital \
                 transformation (share of people)",
                proto::TargetStatus::NoData,
            )
        };
        vec![platforms, newsroom, trained]
    }

    fn content() -> ProvinceReportContent {
        ProvinceReportContent {
            province_code: "ninh-binh-2025".into(),
            province_name: "Tỉnh Ninh Bình".into(),
            plan_code: "nam-dinh-cds-bao-chi".into(),
            plan_name: "Kế hoạch thực hiện Chiến lược chuyển đổi số báo chí đến năm 2025, định \
                        hướng đến năm 2030 trên địa bàn tỉnh Nam Định"
                .into(),
            plan_decision: String::new(),
            period_code: "2026".into(),
            year: 2026,
            version: 2,
            correction_reason: "Bổ sung số liệu đào tạo của Báo Ninh Bình".into(),
            data_as_of: 1842,
            figures_taken_at: Some(timestamp(SUBMITTED_AT - 3600)),
            accepted_only: false,
            summaries: summaries(),
            reporting_status: Some(ReportingStatus {
                period_code: "2026".into(),
                scope: "province:ninh-binh-2025".into(),
                expected: 12,
                received_on_time: 9,
                received_late: 2,
                missing: 1,
                awaiting_review: 2,
                accepted: 8,
                returned: 1,
                data_as_of: 1842,
                ..Default::default()
            }),
            narrative: Some(ProvinceReportNarrative {
                results: "Các cơ quan báo chí trên địa bàn tỉnh tiếp tục phân phối nội dung trên \
                          các nền tảng số trong nước.\n\nToà soạn hội tụ đã vận hành tại 6/12 \
                          cơ quan."
                    .into(),
                difficulties: "Kinh phí đầu tư hạ tầng số còn hạn chế.".into(),
                proposals: "Đề nghị Bộ hỗ trợ nền tảng dữ liệu dùng chung.".into(),
            }),
            maturity_results: None,
            task_follow_up: None,
        }
    }

    /// A submitted second version whose signed content and hash match its content.
    fn stored_report(content: ProvinceReportContent) -> ProvinceReport {
        let signed_content = content.encode_to_vec();
        ProvinceReport {
            id: 7,
            province_code: content.province_code.clone(),
            plan_code: content.plan_code.clone(),
            period_code: content.period_code.clone(),
            version: 2,
            state: ProvinceReportState::Submitted.into(),
            content_hash: format!("sha256:{:x}", Sha256::digest(&signed_content)),
            content: Some(content),
            signed_content,
            created_by: "province ninh-binh-2025 (credential 4)".into(),
            created_at: Some(timestamp(SUBMITTED_AT - 86_400)),
            updated_at: Some(timestamp(SUBMITTED_AT)),
            submitted_by: "province ninh-binh-2025 (credential 4)".into(),
            submitted_at: Some(timestamp(SUBMITTED_AT)),
            deadline: Some(timestamp(DEADLINE)),
            timeliness: Timeliness::OnTime.into(),
        }
    }

    fn assert_near(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-9,
            "{actual} is not {expected}"
        );
    }

    #[test]
    fn a_stored_report_converts_to_what_it_states() {
        let report = stored_report(content());
        let document = report_document(&report).unwrap();
        assert_eq!(document.province_name, "Tỉnh Ninh Bình");
        assert_eq!(document.year, 2026);
        assert_eq!(document.targets.len(), 3);

        let platforms = &document.targets[0];
        assert_eq!(platforms.code, "content_on_digital_platforms");
        assert_eq!(platforms.figure.share, Some(0.75));
        assert_eq!(platforms.figure.required_share, Some(0.6));
        assert_eq!(platforms.figure.status, TargetStatus::Achieved);
        let years: Vec<i32> = platforms.history.iter().map(|year| year.year).collect();
        assert_eq!(years, [2023, 2024, 2025, 2026]);
        // An earlier year's requirement and status are not in the report: left unknown.
        assert_eq!(platforms.history[0].share, Some(4.0 / 12.0));
        assert_eq!(platforms.history[0].required_share, None);
        assert_eq!(platforms.history[0].status, None);
        // The report's year is the summary's own figure.
        assert_eq!(platforms.history[3].required_share, Some(0.6));
        assert_eq!(platforms.history[3].status, Some(TargetStatus::Achieved));
        assert_eq!(
            platforms.milestones,
            [
                Milestone {
                    year: 2025,
                    required_share: 0.5
                },
                Milestone {
                    year: 2030,
                    required_share: 1.0
                }
            ]
        );
        // The trend's points after 2026, by summary.proto's formula, capped at 100%.
        let points = &platforms.projection.points;
        let point_years: Vec<i32> = points.iter().map(|point| point.year).collect();
        assert_eq!(point_years, [2027, 2028, 2029, 2030]);
        assert_near(points[0].share, 0.775 + 0.141_666_666_666_666_7);
        assert_eq!(points[1].share, 1.0, "1.058 capped");
        assert_eq!(points[3].share, 1.0);
        let outcomes: Vec<(Outcome, Option<i32>)> = platforms
            .projection
            .outcomes
            .iter()
            .map(|outcome| (outcome.outcome, outcome.projected_year))
            .collect();
        assert_eq!(
            outcomes,
            [(Outcome::Met, None), (Outcome::OnPace, Some(2028))]
        );

        let newsroom = &document.targets[1];
        assert_near(newsroom.projection.points[3].share, 0.5 + 4.0 / 12.0);
        assert_eq!(newsroom.projection.outcomes[0].outcome, Outcome::Missed);
        assert_eq!(newsroom.projection.outcomes[1].outcome, Outcome::OffPace);
        assert_eq!(newsroom.projection.outcomes[1].projected_year, Some(2032));

        // No share this year: none shown, not the wire's 0; the year still has its row.
        let trained = &document.targets[2];
        assert_eq!(trained.figure.share, None);
        assert_eq!(trained.figure.status, TargetStatus::NoData);
        assert_eq!(trained.history.len(), 2);
        assert_eq!(trained.history[1].year, 2026);
        assert_eq!(trained.history[1].share, None);
        assert_eq!(trained.history[1].status, Some(TargetStatus::NoData));
        assert!(trained.projection.points.is_empty(), "no trend, no points");
        let outcomes: Vec<Outcome> = trained
            .projection
            .outcomes
            .iter()
            .map(|outcome| outcome.outcome)
            .collect();
        assert_eq!(outcomes, [Outcome::NoData, Outcome::TooFewYears]);

        assert_eq!(
            document.reporting,
            ReportingStatusCounts {
                expected: 12,
                received_on_time: 9,
                received_late: 2,
                missing: 1,
                awaiting_review: 2,
                accepted: 8,
                returned: 1,
            }
        );
        assert_eq!(
            document.narrative.difficulties,
            "Kinh phí đầu tư hạ tầng số còn hạn chế."
        );
        let signature = &document.signature;
        assert_eq!(signature.version, 2);
        assert_eq!(signature.status, ReportStatus::Submitted);
        assert_eq!(signature.content_hash, report.content_hash);
        assert_eq!(signature.data_as_of, 1842);
        assert_eq!(
            signature.correction_reason,
            "Bổ sung số liệu đào tạo của Báo Ninh Bình"
        );
        assert!(!signature.accepted_only);
        assert_eq!(
            signature.submitted_at.map(|at| at.timestamp()),
            Some(SUBMITTED_AT)
        );
    }

    #[test]
    fn the_converted_report_renders_in_vietnamese_with_its_narrative() {
        let report = stored_report(content());
        let document = report_document(&report).unwrap();
        let page = report::render_html(&document);
        for heading in [
            "Báo cáo kết quả chuyển đổi số báo chí",
            "I. Kết quả theo chỉ tiêu",
            "II. Tình hình báo cáo",
            "III. Kết quả thực hiện",
            "IV. Khó khăn, vướng mắc",
            "V. Đề xuất, kiến nghị",
            "Thông tin xác thực",
        ] {
            assert!(page.contains(heading), "missing heading {heading}");
        }
        assert!(page.contains("Toà soạn hội tụ đã vận hành tại 6/12 cơ quan."));
        assert!(page.contains("Kinh phí đầu tư hạ tầng số còn hạn chế."));
        assert!(page.contains("Bổ sung số liệu đào tạo của Báo Ninh Bình"));
        assert!(page.contains(&report.content_hash));
        assert!(page.contains("10/12/2026 09:30 (giờ Việt Nam)"));
        assert!(!page.contains("BẢN NHÁP"), "submitted, not a draft");
        assert_eq!(page.matches("<svg width=\"400\"").count(), 3);
        let csv = report::render_csv(&document);
        assert!(
            csv.contains(",staff_trained,")
                && csv.contains(",2026,observed,,0,0,1.000000,no_data\n"),
            "{csv}"
        );
    }

    #[test]
    fn a_report_with_maturity_results_shows_their_level_counts() {
        let mut with_maturity = content();
        assert_eq!(
            report_document(&stored_report(content())).unwrap().maturity,
            None
        );
        let level = |rank: i32, name: &str, agencies: i32| proto::LevelCount {
            level_rank: rank,
            level_name: name.into(),
            agencies,
        };
        with_maturity.maturity_results = Some(proto::MaturityResults {
            framework_code: "V2025".into(),
            aggregate: Some(proto::MaturityAggregate {
                covered: 3,
                assessed: 2,
                missing: 1,
                levels: vec![level(1, "Yếu", 0), level(2, "Khá", 2)],
                ..Default::default()
            }),
            ..Default::default()
        });
        let mut shown = Vec::new();
        print_maturity(&mut shown, with_maturity.maturity_results.as_ref().unwrap()).unwrap();
        assert_eq!(
            String::from_utf8(shown).unwrap(),
            "maturity (V2025): Yếu 0, Khá 2; assessed 2, missing 1\n"
        );
        let document = report_document(&stored_report(with_maturity)).unwrap();
        let levels = MaturityLevels {
            framework_code: "V2025".into(),
            assessed: 2,
            missing: 1,
            levels: vec![
                MaturityLevelCount {
                    rank: 1,
                    name: "Yếu".into(),
                    agencies: 0,
                },
                MaturityLevelCount {
                    rank: 2,
                    name: "Khá".into(),
                    agencies: 2,
                },
            ],
        };
        assert_eq!(document.maturity, Some(levels));
        let csv = report::render_csv(&document);
        assert!(
            csv.contains(",maturity_level:2,Khá,2026,maturity_level,1.000000,2,2,,\n"),
            "{csv}"
        );
    }

    #[test]
    fn a_report_that_does_not_say_what_the_page_shows_is_refused() {
        let mut listed = stored_report(content());
        listed.content = None;
        assert!(report_document(&listed).unwrap_err().contains("no content"));

        let mut unknown_status = content();
        unknown_status.summaries[1].status = proto::TargetStatus::Unspecified.into();
        let error = report_document(&stored_report(unknown_status)).unwrap_err();
        assert!(error.contains("converged_newsroom"), "{error}");

        let mut state = stored_report(content());
        state.state = ProvinceReportState::Unspecified.into();
        assert!(report_document(&state).is_err());
    }

    #[test]
    fn only_content_that_its_hash_covers_is_shown_or_signed() {
        let report = stored_report(content());
        assert_eq!(check_signed_content(&report), Ok(()));

        let mut other_content = report.clone();
        if let Some(content) = other_content.content.as_mut() {
            content.data_as_of += 1;
        }
        let error = check_signed_content(&other_content).unwrap_err();
        assert!(error.contains("differs from the signed content"), "{error}");

        let mut other_hash = report.clone();
        other_hash.content_hash = format!("sha256:{}", "0".repeat(64));
        let error = check_signed_content(&other_hash).unwrap_err();
        assert!(error.contains("hashes to"), "{error}");

        let mut unsigned = report;
        unsigned.signed_content.clear();
        assert!(check_signed_content(&unsigned).is_err());
    }

    #[test]
    fn the_table_shows_the_signature_the_narrative_and_the_figures() {
        let report = stored_report(content());
        let mut out = Vec::new();
        print_header(&mut out, &report).unwrap();
        if let Some(content) = &report.content {
            print_narrative(&mut out, content.narrative.as_ref().unwrap()).unwrap();
            print_figures(&mut out, &content.summaries, Detail::Full).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        for expected in [
            "province report 7: Tỉnh Ninh Bình ninh-binh-2025 (nam-dinh-cds-bao-chi), 2026",
            "  version       2, submitted",
            "  correcting    Bổ sung số liệu đào tạo của Báo Ninh Bình",
            "  submitted     2026-12-10 09:30 +07:00 by province ninh-binh-2025 (credential 4) \
             (on time)",
            "  deadline      2026-12-15 00:00 +07:00",
            &format!("  content hash  {}", report.content_hash),
            "  data as of    change 1842 (figures taken 2026-12-10 08:30 +07:00)",
            "Khó khăn, vướng mắc (difficulties)\n  Kinh phí đầu tư hạ tầng số còn hạn chế.",
            "history: 2023 33.3% (4/12); 2024 50.0% (6/12); 2025 66.7% (8/12); 2026 75.0% (9/12)",
            "milestones: 2025 50.0%: met; 2030 100.0%: on pace (met in 2028 at the trend)",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
        // No share is not a share of 0.
        let trained = text
            .lines()
            .find(|line| line.starts_with("staff_trained"))
            .unwrap();
        assert!(
            trained.contains(" 0/0       -    100.0%  no data"),
            "{trained}"
        );
    }

    /// A ProvinceReportService that serves one draft and records the hashes it is asked to sign
    /// with, answering as the contract says: the draft's own hash signs it, another is
    /// DRAFT_CHANGED.
    #[derive(Clone)]
    struct OneDraft {
        draft: ProvinceReport,
        signed_with: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    }

    #[tonic::async_trait]
    impl proto::province_report_service_server::ProvinceReportService for OneDraft {
        async fn create_province_report(
            &self,
            _: tonic::Request<CreateProvinceReportRequest>,
        ) -> Result<tonic::Response<ProvinceReport>, tonic::Status> {
            Err(tonic::Status::unimplemented("not in this test"))
        }

        async fn update_province_report_narrative(
            &self,
            _: tonic::Request<UpdateProvinceReportNarrativeRequest>,
        ) -> Result<tonic::Response<ProvinceReport>, tonic::Status> {
            Err(tonic::Status::unimplemented("not in this test"))
        }

        async fn submit_province_report(
            &self,
            request: tonic::Request<SubmitProvinceReportRequest>,
        ) -> Result<tonic::Response<ProvinceReport>, tonic::Status> {
            let request = request.into_inner();
            self.signed_with
                .lock()
                .unwrap()
                .push(request.content_hash.clone());
            if request.id != self.draft.id || request.content_hash != self.draft.content_hash {
                return Err(tonic::Status::failed_precondition("DRAFT_CHANGED"));
            }
            let mut submitted = self.draft.clone();
            submitted.state = ProvinceReportState::Submitted.into();
            Ok(tonic::Response::new(submitted))
        }

        async fn get_province_report(
            &self,
            request: tonic::Request<GetProvinceReportRequest>,
        ) -> Result<tonic::Response<ProvinceReport>, tonic::Status> {
            if request.into_inner().id != self.draft.id {
                return Err(tonic::Status::permission_denied("OUT_OF_SCOPE"));
            }
            Ok(tonic::Response::new(self.draft.clone()))
        }

        async fn list_province_reports(
            &self,
            _: tonic::Request<ListProvinceReportsRequest>,
        ) -> Result<tonic::Response<ListProvinceReportsResponse>, tonic::Status> {
            Err(tonic::Status::unimplemented("not in this test"))
        }

        async fn get_province_reporting_status(
            &self,
            _: tonic::Request<GetProvinceReportingStatusRequest>,
        ) -> Result<tonic::Response<ProvinceReportingStatus>, tonic::Status> {
            Err(tonic::Status::unimplemented("not in this test"))
        }
    }

    /// Serves `draft` on a free local port; returns the client arguments to reach it and the
    /// hashes it was asked to sign with.
    async fn serve(
        draft: ProvinceReport,
    ) -> (ServerArgs, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let service = OneDraft {
            draft,
            signed_with: Default::default(),
        };
        let signed_with = service.signed_with.clone();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(
                    proto::province_report_service_server::ProvinceReportServiceServer::new(
                        service,
                    ),
                )
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
        );
        let server = ServerArgs {
            server: format!("http://{address}"),
            token: Some("test".into()),
            tls_ca: None,
            tls_client_cert: None,
            tls_client_key: None,
        };
        (server, signed_with)
    }

    fn draft() -> ProvinceReport {
        let mut draft = stored_report(content());
        draft.state = ProvinceReportState::Draft.into();
        draft.submitted_at = None;
        draft.submitted_by.clear();
        draft.timeliness = Timeliness::Unspecified.into();
        draft
    }

    #[tokio::test]
    async fn submit_signs_with_the_hash_of_the_draft_it_read() {
        let draft = draft();
        let (server, signed_with) = serve(draft.clone()).await;
        let mut out = Vec::new();
        let code = submit(draft.id, None, &server, &mut out).await.unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
        let hash_line = format!("  content hash  {}", draft.content_hash);
        let printed = String::from_utf8(out).unwrap();
        let (signing, submitted) = printed
            .split_once("\nsubmitted province report 7 version 2\n")
            .unwrap_or_else(|| panic!("{printed}"));
        assert!(signing.starts_with("signing\n"), "{printed}");
        assert!(
            signing.contains(&hash_line),
            "shows what it signs: {printed}"
        );
        assert!(submitted.contains(&hash_line), "{printed}");
        assert_eq!(*signed_with.lock().unwrap(), [draft.content_hash]);
    }

    #[tokio::test]
    async fn submit_with_a_hash_read_earlier_is_refused_once_the_draft_changed() {
        let draft = draft();
        let (server, signed_with) = serve(draft.clone()).await;
        let read_earlier = format!("sha256:{}", "1".repeat(64));
        let mut out = Vec::new();
        let code = submit(draft.id, Some(read_earlier.clone()), &server, &mut out)
            .await
            .unwrap();
        assert_eq!(code, ExitCode::from(EXIT_REFUSED));
        assert_eq!(*signed_with.lock().unwrap(), [read_earlier]);
    }

    #[tokio::test]
    async fn a_draft_whose_hash_does_not_cover_its_content_is_not_signed() {
        let mut draft = draft();
        if let Some(content) = draft.content.as_mut() {
            content.narrative = None;
        }
        let (server, signed_with) = serve(draft.clone()).await;
        let mut out = Vec::new();
        let error = submit(draft.id, None, &server, &mut out).await.unwrap_err();
        assert!(error.to_string().contains("differs"), "{error}");
        assert!(signed_with.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn render_writes_the_page_and_the_csv_of_the_version_read() {
        let report = stored_report(content());
        let (server, _) = serve(report.clone()).await;
        let directory = tempfile::tempdir().unwrap();
        let (html, csv) = (
            directory.path().join("report.html"),
            directory.path().join("report.csv"),
        );
        let selector = ReportSelector {
            id: Some(report.id),
            plan: None,
            period: None,
            province: None,
            version: None,
        };
        let mut out = Vec::new();
        let code = render(&selector, &html, Some(&csv), &server, &mut out)
            .await
            .unwrap();
        assert_eq!(code, ExitCode::SUCCESS);
        let page = fs::read_to_string(&html).unwrap();
        assert!(page.contains("V. Đề xuất, kiến nghị"));
        assert!(page.contains(&report.content_hash));
        let csv = fs::read_to_string(&csv).unwrap();
        assert!(csv.contains(",converged_newsroom,"), "{csv}");
        let printed = String::from_utf8(out).unwrap();
        assert!(printed.contains("for province report 7"), "{printed}");
    }

    #[test]
    #[ignore = "writes the converted report's page and CSV to a directory, to look at in a browser"]
    fn write_the_converted_report() {
        let directory = std::env::var_os("PRESSDX_RENDER_SAMPLE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("pressdx-render"));
        fs::create_dir_all(&directory).unwrap();
        let submitted = stored_report(content());
        let mut draft = submitted.clone();
        draft.state = ProvinceReportState::Draft.into();
        draft.submitted_at = None;
        draft.submitted_by.clear();
        for (report, name) in [(submitted, "converted"), (draft, "converted-draft")] {
            let document = report_document(&report).unwrap();
            fs::write(
                directory.join(format!("{name}.html")),
                report::render_html(&document),
            )
            .unwrap();
            fs::write(
                directory.join(format!("{name}.csv")),
                report::render_csv(&document),
            )
            .unwrap();
        }
    }
}
