//! `pressdx tasks`: a plan's tasks, a lead's progress report on its own line, reading one back,
//! and the following of a plan in a province, over TaskService.

use std::io::{self, Write};
use std::process::ExitCode;

use tonic::Code;

use super::client::connect;
use super::diagnosis::call_failed;
use super::submissions::print_refusal;
use super::{CliResult, EXIT_REFUSED, output};
use crate::config::{OutputFormat, ServerArgs, TasksCommand};
use crate::domain::canonical::sha256_hex;
use crate::proto::task_service_client::TaskServiceClient;
use crate::proto::{
    GetTaskFollowUpRequest, GetTaskProgressRequest, ListPlanTasksRequest,
    ReportTaskProgressRequest, TaskEvidence, TaskFollowUp, TaskLine, TaskParty, TaskPartyKind,
    TaskProgressReceipt, TaskStatus,
};

/// Refusals that are the caller's to fix, printed with every violation; anything else failed.
fn refused(status: &tonic::Status) -> bool {
    matches!(
        status.code(),
        Code::InvalidArgument
            | Code::FailedPrecondition
            | Code::NotFound
            | Code::AlreadyExists
            | Code::PermissionDenied
    )
}

pub async fn run(command: TasksCommand) -> CliResult {
    match command {
        TasksCommand::List { plan, server } => list(plan, &server).await,
        TasksCommand::Report {
            plan,
            task,
            period,
            status,
            percent,
            cancellation_reason,
            account,
            evidence,
            request_id,
            validate_only,
            server,
        } => {
            let Some(status) = status_named(&status) else {
                eprintln!(
                    "--status {status:?} is not one of: not_started, in_progress, done, cancelled"
                );
                return Ok(ExitCode::from(EXIT_REFUSED));
            };
            let evidence = match evidence
                .iter()
                .map(String::as_str)
                .map(evidence_of)
                .collect()
            {
                Ok(evidence) => evidence,
                Err(why) => {
                    eprintln!("{why}");
                    return Ok(ExitCode::from(EXIT_REFUSED));
                }
            };
            let mut request = ReportTaskProgressRequest {
                request_id: String::new(),
                plan_code: plan,
                task_code: task,
                period_code: period,
                status: status as i32,
                percent_complete: percent,
                cancellation_reason,
                account,
                evidence,
                validate_only,
            };
            request.request_id = request_id.unwrap_or_else(|| derived_request_id(&request));
            report(request, &server).await
        }
        TasksCommand::Show {
            plan,
            task,
            period,
            reporter,
            revision,
            server,
        } => {
            let request = GetTaskProgressRequest {
                plan_code: plan,
                task_code: task,
                period_code: period,
                reporter_code: reporter,
                revision,
            };
            show(request, &server).await
        }
        TasksCommand::FollowUp {
            plan,
            period,
            scope,
            as_of,
            output,
            server,
        } => {
            let request = GetTaskFollowUpRequest {
                plan_code: plan,
                period_code: period,
                scope,
                as_of,
            };
            follow_up(request, output, &server).await
        }
    }
}

fn status_named(text: &str) -> Option<TaskStatus> {
    match text.trim() {
        "not_started" => Some(TaskStatus::NotStarted),
        "in_progress" => Some(TaskStatus::InProgress),
        "done" => Some(TaskStatus::Done),
        "cancelled" => Some(TaskStatus::Cancelled),
        _ => None,
    }
}

/// "not started", "in progress", "done", "cancelled".
fn status_in_words(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Unspecified => "-",
        TaskStatus::NotStarted => "not started",
        TaskStatus::InProgress => "in progress",
        TaskStatus::Done => "done",
        TaskStatus::Cancelled => "cancelled",
    }
}

/// TITLE|LINK-OR-DOCUMENT-ID|SHA256: a link starts with http:// or https://.
fn evidence_of(text: &str) -> Result<TaskEvidence, String> {
    let parts: Vec<&str> = text.split('|').map(str::trim).collect();
    let [title, place, sha256] = parts.as_slice() else {
        return Err(format!(
            "--evidence {text:?} is not TITLE|LINK-OR-DOCUMENT-ID|SHA256"
        ));
    };
    let is_link = place.starts_with("http://") || place.starts_with("https://");
    Ok(TaskEvidence {
        title: (*title).to_string(),
        link: if is_link {
            (*place).to_string()
        } else {
            String::new()
        },
        document_id: if is_link {
            String::new()
        } else {
            (*place).to_string()
        },
        sha256: (*sha256).to_string(),
    })
}

/// A request id made of what is reported, so that the same report sent twice is stored once.
fn derived_request_id(request: &ReportTaskProgressRequest) -> String {
    let evidence: Vec<String> = request
        .evidence
        .iter()
        .map(|evidence| {
            format!(
                "{}|{}|{}|{}",
                evidence.title, evidence.link, evidence.document_id, evidence.sha256
            )
        })
        .collect();
    let said = serde_json::json!([
        request.plan_code,
        request.task_code,
        request.period_code,
        request.status,
        request.percent_complete,
        request.cancellation_reason,
        request.account,
        evidence,
    ]);
    format!("cli-{}", &sha256_hex(said.to_string().as_bytes())[7..39])
}

fn party_in_words(party: Option<&TaskParty>) -> String {
    let Some(party) = party else {
        return String::new();
    };
    match party.kind() {
        TaskPartyKind::Department => "department".to_string(),
        TaskPartyKind::EveryAgency => "every agency".to_string(),
        TaskPartyKind::Agency | TaskPartyKind::GoverningBody => party.organization_code.clone(),
        TaskPartyKind::Unspecified => "-".to_string(),
    }
}

async fn list(plan: String, server: &ServerArgs) -> CliResult {
    let mut client = TaskServiceClient::new(connect(server).await?);
    let mut request = ListPlanTasksRequest {
        plan_code: plan,
        page_size: 1000,
        page_token: String::new(),
    };
    let out = &mut io::stdout().lock();
    writeln!(
        out,
        "{:<10} {:<20} {:<12} {:<7} name",
        "task", "lead", "due", "yearly"
    )?;
    loop {
        let page = match client.list_plan_tasks(request.clone()).await {
            Ok(response) => response.into_inner(),
            Err(status) if refused(&status) => {
                print_refusal("no tasks", &status);
                return Ok(ExitCode::from(EXIT_REFUSED));
            }
            Err(status) => return Err(call_failed(&status, server).into()),
        };
        for task in &page.tasks {
            writeln!(
                out,
                "{:<10} {:<20} {:<12} {:<7} {}{}",
                task.code,
                party_in_words(task.lead.as_ref()),
                task.due_on,
                if task.recurs_yearly { "yes" } else { "no" },
                task.name,
                if task.illustrative {
                    " (illustrative)"
                } else {
                    ""
                }
            )?;
        }
        if page.next_page_token.is_empty() {
            return Ok(ExitCode::SUCCESS);
        }
        request.page_token = page.next_page_token;
    }
}

fn print_receipt(out: &mut impl Write, receipt: &TaskProgressReceipt) -> io::Result<()> {
    writeln!(out, "  progress     {}", receipt.id)?;
    writeln!(
        out,
        "  task         {} {} for {}",
        receipt.plan_code, receipt.task_code, receipt.period_code
    )?;
    writeln!(out, "  reporter     {}", receipt.reporter_code)?;
    writeln!(out, "  revision     {}", receipt.revision)?;
    writeln!(
        out,
        "  status       {}{}",
        status_in_words(receipt.status()),
        receipt
            .percent_complete
            .map(|percent| format!(", {percent}%"))
            .unwrap_or_default()
    )?;
    writeln!(out, "  content      {}", receipt.content_hash)
}

async fn report(request: ReportTaskProgressRequest, server: &ServerArgs) -> CliResult {
    let mut client = TaskServiceClient::new(connect(server).await?);
    let receipt = match client.report_task_progress(request).await {
        Ok(response) => response.into_inner(),
        Err(status) if refused(&status) => {
            print_refusal("refused", &status);
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        Err(status) => return Err(call_failed(&status, server).into()),
    };
    let out = &mut io::stdout().lock();
    let heading = if receipt.validated_only {
        "valid (nothing stored)"
    } else if receipt.replayed {
        "accepted before (replayed)"
    } else {
        "accepted"
    };
    writeln!(out, "{heading}")?;
    print_receipt(out, &receipt)?;
    Ok(ExitCode::SUCCESS)
}

async fn show(request: GetTaskProgressRequest, server: &ServerArgs) -> CliResult {
    let mut client = TaskServiceClient::new(connect(server).await?);
    let progress = match client.get_task_progress(request).await {
        Ok(response) => response.into_inner(),
        Err(status) if refused(&status) => {
            print_refusal("no progress", &status);
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        Err(status) => return Err(call_failed(&status, server).into()),
    };
    let out = &mut io::stdout().lock();
    writeln!(out, "task progress")?;
    print_receipt(out, &progress.receipt.unwrap_or_default())?;
    writeln!(out, "  sent by      {}", progress.submitted_by)?;
    if !progress.cancellation_reason.is_empty() {
        writeln!(out, "  cancelled    {}", progress.cancellation_reason)?;
    }
    if !progress.account.is_empty() {
        writeln!(out, "  account      {}", progress.account)?;
    }
    for evidence in &progress.evidence {
        let place = if evidence.link.is_empty() {
            &evidence.document_id
        } else {
            &evidence.link
        };
        writeln!(
            out,
            "  evidence     {} ({place}, sha256 {})",
            evidence.title, evidence.sha256
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The days a line is overdue at most, that are said as a count: past them, the count (a task
/// of the plan's first year is "1066 days late" three years on) says less than the date.
const LATE_DAYS_COUNTED: i32 = 99;

/// How late an overdue line is: "17 days late", or "overdue since 2023-12-31".
fn lateness(days_late: i32, due_on: &str) -> String {
    if days_late == 1 {
        "1 day late".to_string()
    } else if days_late <= LATE_DAYS_COUNTED {
        format!("{days_late} days late")
    } else {
        format!("overdue since {due_on}")
    }
}

fn print_line(out: &mut impl Write, line: &TaskLine) -> io::Result<()> {
    let status = format!(
        "{}{}",
        status_in_words(line.status()),
        line.percent_complete
            .filter(|_| line.status() == TaskStatus::InProgress)
            .map(|percent| format!(" {percent}%"))
            .unwrap_or_default()
    );
    let late = if line.overdue {
        lateness(line.days_late, &line.due_on)
    } else {
        String::new()
    };
    writeln!(
        out,
        "{:<10} {:<26} {:<12} {:<16} {late}",
        line.task_code, line.lead_code, line.due_on, status
    )
}

fn print_follow_up(out: &mut impl Write, followed: &TaskFollowUp) -> io::Result<()> {
    writeln!(
        out,
        "tasks of {} in {} for {}, as of {}",
        followed.plan_code, followed.province_code, followed.period_code, followed.as_of
    )?;
    writeln!(
        out,
        "{:<10} {:<26} {:<12} {:<16} late",
        "task", "lead", "due", "status"
    )?;
    for line in &followed.lines {
        print_line(out, line)?;
    }
    let counts: Vec<String> = followed
        .by_status
        .iter()
        .map(|count| format!("{} {}", count.lines, status_in_words(count.status())))
        .collect();
    writeln!(out, "lines: {}", counts.join(", "))?;
    if followed.overdue.is_empty() {
        writeln!(out, "overdue: none")?;
    } else {
        writeln!(out, "overdue, the longest first:")?;
        for line in &followed.overdue {
            writeln!(
                out,
                "  {:<10} {:<26} {} ({})",
                line.task_code,
                line.lead_code,
                lateness(line.days_late, &line.due_on),
                line.lead_name
            )?;
        }
    }
    writeln!(out, "by lead:")?;
    for load in &followed.leads {
        writeln!(
            out,
            "  {:<26} {} lines, {} open, {} overdue",
            load.lead_code, load.lines, load.open, load.overdue
        )?;
    }
    Ok(())
}

async fn follow_up(
    request: GetTaskFollowUpRequest,
    output_format: OutputFormat,
    server: &ServerArgs,
) -> CliResult {
    let mut client = TaskServiceClient::new(connect(server).await?);
    let followed = match client.get_task_follow_up(request).await {
        Ok(response) => response.into_inner(),
        Err(status) if refused(&status) => {
            print_refusal("no follow-up", &status);
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        Err(status) => return Err(call_failed(&status, server).into()),
    };
    let out = &mut io::stdout().lock();
    const TYPE: &str = "pressdx.v1.TaskFollowUp";
    match output_format {
        OutputFormat::Table => print_follow_up(out, &followed)?,
        OutputFormat::Json => output::write_json(out, &followed, TYPE)?,
        OutputFormat::Csv => output::write_csv(out, &followed, TYPE, "lines")?,
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_long_overdue_gives_its_due_date() {
        assert_eq!(lateness(1, "2026-12-05"), "1 day late");
        assert_eq!(lateness(99, "2026-08-29"), "99 days late");
        assert_eq!(lateness(1066, "2023-12-31"), "overdue since 2023-12-31");
    }

    #[test]
    fn evidence_reads_a_link_or_a_document_id() {
        let link = evidence_of("Minutes|https://example.vn/a.pdf|ab").unwrap();
        assert_eq!(
            (link.link.as_str(), link.document_id.as_str()),
            ("https://example.vn/a.pdf", "")
        );
        let document = evidence_of("Minutes | BB-12/2024 | ab").unwrap();
        assert_eq!(document.document_id, "BB-12/2024");
        assert!(evidence_of("Minutes|ab").is_err());
    }
}
