//! `pressdx agency-plan`: an agency's own plan from a TOML file, its governing body's approval or
//! return, reading it back, the list per governing body and the agency's progress against its
//! own commitments, over AgencyPlanService.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use serde::Deserialize;
use tonic::Code;

use super::client::connect;
use super::diagnosis::call_failed;
use super::submissions::print_refusal;
use super::{CliResult, EXIT_REFUSED};
use crate::config::{AgencyPlanCommand, ServerArgs};
use crate::domain::canonical::sha256_hex;
use crate::domain::plan::{parse_percent, percent};
use crate::proto::agency_plan_service_client::AgencyPlanServiceClient;
use crate::proto::{
    AgencyPlanDecisionKind, AgencyPlanReason, AgencyTask, Commitment, DecideAgencyPlanRequest,
    GetAgencyPlanProgressRequest, GetAgencyPlanRequest, ListAgencyPlansRequest,
    SubmitAgencyPlanRequest, commitment,
};

/// An agency plan file, as `pressdx agency-plan submit --file` reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanFile {
    agency: String,
    plan: String,
    /// Optional: by default derived from the file's content, so that sending the same file again
    /// is a safe retry.
    request_id: Option<String>,
    #[serde(default)]
    commitment: Vec<FileCommitment>,
    #[serde(default)]
    task: Vec<FileTask>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCommitment {
    target: String,
    year: i32,
    meets: Option<bool>,
    /// "20%".
    growth: Option<String>,
    /// "70%".
    share: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTask {
    code: String,
    name: String,
    due_on: String,
    expected_output: String,
}

pub async fn run(command: AgencyPlanCommand) -> CliResult {
    match command {
        AgencyPlanCommand::Submit {
            file,
            validate_only,
            server,
        } => submit(&file, validate_only, &server).await,
        AgencyPlanCommand::Approve { id, remark, server } => {
            decide(id, AgencyPlanDecisionKind::Approve, &remark, &server).await
        }
        AgencyPlanCommand::Return { id, reason, server } => {
            decide(id, AgencyPlanDecisionKind::Return, &reason, &server).await
        }
        AgencyPlanCommand::Show {
            agency,
            plan,
            revision,
            server,
        } => {
            let request = GetAgencyPlanRequest {
                agency_code: agency,
                plan_code: plan,
                revision,
            };
            show(request, &server).await
        }
        AgencyPlanCommand::List {
            plan,
            governing_body,
            as_of,
            server,
        } => {
            let request = ListAgencyPlansRequest {
                plan_code: plan,
                governing_body_code: governing_body,
                as_of,
            };
            list(request, &server).await
        }
        AgencyPlanCommand::Progress {
            agency,
            plan,
            period,
            revision,
            server,
        } => {
            let request = GetAgencyPlanProgressRequest {
                agency_code: agency,
                plan_code: plan,
                period_code: period,
                revision,
            };
            progress(request, &server).await
        }
    }
}

/// A refusal the caller can act on, printed with its details; anything else is a failed call.
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

fn read_file(path: &Path, validate_only: bool) -> Result<SubmitAgencyPlanRequest, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let file: PlanFile =
        toml::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))?;
    let mut commitments = Vec::with_capacity(file.commitment.len());
    for (index, given) in file.commitment.into_iter().enumerate() {
        let basis_points = |text: &str| {
            parse_percent(text)
                .and_then(|bp| i32::try_from(bp).ok())
                .ok_or_else(|| {
                    format!(
                        "{}: commitment[{index}] ({}): {text:?} is not a percentage such as \"20%\"",
                        path.display(),
                        given.target
                    )
                })
        };
        let value = match (given.meets, &given.growth, &given.share) {
            (Some(meets), None, None) => commitment::Value::Meets(meets),
            (None, Some(growth), None) => commitment::Value::GrowthBp(basis_points(growth)?),
            (None, None, Some(share)) => commitment::Value::ShareBp(basis_points(share)?),
            _ => {
                return Err(format!(
                    "{}: commitment[{index}] ({}) needs exactly one of meets, growth or share",
                    path.display(),
                    given.target
                ));
            }
        };
        commitments.push(Commitment {
            target_code: given.target,
            year: given.year,
            value: Some(value),
        });
    }
    Ok(SubmitAgencyPlanRequest {
        request_id: file
            .request_id
            .unwrap_or_else(|| format!("file-{}", &sha256_hex(text.as_bytes())[7..39])),
        agency_code: file.agency,
        plan_code: file.plan,
        commitments,
        tasks: file
            .task
            .into_iter()
            .map(|task| AgencyTask {
                code: task.code,
                name: task.name,
                due_on: task.due_on,
                expected_output: task.expected_output,
            })
            .collect(),
        validate_only,
    })
}

async fn submit(path: &Path, validate_only: bool, server: &ServerArgs) -> CliResult {
    let request = match read_file(path, validate_only) {
        Ok(request) => request,
        Err(why) => {
            eprintln!("{why}");
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
    };
    let mut client = AgencyPlanServiceClient::new(connect(server).await?);
    let receipt = match client.submit_agency_plan(request).await {
        Ok(response) => response.into_inner(),
        Err(status) if refused(&status) => {
            print_refusal("agency plan refused", &status);
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        Err(status) => return Err(call_failed(&status, server).into()),
    };
    let what = if receipt.validated_only {
        "valid (nothing stored)".to_string()
    } else if receipt.replayed {
        format!("already stored: agency plan {}", receipt.id)
    } else {
        format!(
            "stored: agency plan {}, revision {}, awaiting approval",
            receipt.id, receipt.revision
        )
    };
    let out = &mut io::stdout().lock();
    writeln!(
        out,
        "{} under {}: {what}",
        receipt.agency_code, receipt.plan_code
    )?;
    writeln!(out, "  content hash  {}", receipt.content_hash)?;
    Ok(ExitCode::SUCCESS)
}

/// Records a decision with its reasons ("entry: text" or "text").
async fn decide(
    id: i64,
    decision: AgencyPlanDecisionKind,
    reasons: &[String],
    server: &ServerArgs,
) -> CliResult {
    let reasons = reasons
        .iter()
        .map(|text| match text.split_once(": ") {
            Some((field, reason))
                if (field.starts_with("commitments[") || field.starts_with("tasks["))
                    && field.ends_with(']') =>
            {
                AgencyPlanReason {
                    field: field.to_string(),
                    reason: reason.to_string(),
                }
            }
            _ => AgencyPlanReason {
                field: String::new(),
                reason: text.clone(),
            },
        })
        .collect();
    let mut client = AgencyPlanServiceClient::new(connect(server).await?);
    let decided = match client
        .decide_agency_plan(DecideAgencyPlanRequest {
            agency_plan_id: id,
            decision: decision.into(),
            reasons,
        })
        .await
    {
        Ok(response) => response.into_inner(),
        Err(status) if refused(&status) => {
            print_refusal("decision refused", &status);
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        Err(status) => return Err(call_failed(&status, server).into()),
    };
    let out = &mut io::stdout().lock();
    let verb = match decided.decision() {
        AgencyPlanDecisionKind::Return => "returned",
        _ => "approved",
    };
    writeln!(
        out,
        "{verb} agency plan {} ({} under {}, revision {}) as {}",
        decided.agency_plan_id,
        decided.agency_code,
        decided.plan_code,
        decided.revision,
        decided.decided_by
    )?;
    print_reasons(out, &decided.reasons)?;
    Ok(ExitCode::SUCCESS)
}

fn print_reasons(out: &mut impl Write, reasons: &[AgencyPlanReason]) -> io::Result<()> {
    for reason in reasons {
        if reason.field.is_empty() {
            writeln!(out, "    {}", reason.reason)?;
        } else {
            writeln!(out, "    {}: {}", reason.field, reason.reason)?;
        }
    }
    Ok(())
}

/// A commitment's value in the target's own terms.
fn value_in_words(value: Option<&commitment::Value>) -> String {
    let percentage = |bp: i32| percent(u32::try_from(bp).unwrap_or(0));
    match value {
        Some(commitment::Value::Meets(true)) => "meets it".to_string(),
        Some(commitment::Value::Meets(false)) => "not yet".to_string(),
        Some(commitment::Value::GrowthBp(bp)) => format!("grows by {}", percentage(*bp)),
        Some(commitment::Value::ShareBp(bp)) => format!("{} of its people", percentage(*bp)),
        None => "no value".to_string(),
    }
}

/// An enum value's name for people: "AGENCY_PLAN_STATE_APPROVED" becomes "approved".
fn words(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix)
        .unwrap_or(name)
        .to_lowercase()
        .replace('_', " ")
}

async fn show(request: GetAgencyPlanRequest, server: &ServerArgs) -> CliResult {
    let mut client = AgencyPlanServiceClient::new(connect(server).await?);
    let plan = match client.get_agency_plan(request).await {
        Ok(response) => response.into_inner(),
        Err(status) if refused(&status) => {
            print_refusal("no agency plan to show", &status);
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        Err(status) => return Err(call_failed(&status, server).into()),
    };
    let out = &mut io::stdout().lock();
    if let Some(receipt) = &plan.receipt {
        writeln!(
            out,
            "agency plan {}: {} under {}, revision {} of {}, sent by {}",
            receipt.id,
            receipt.agency_code,
            receipt.plan_code,
            receipt.revision,
            plan.latest_revision,
            plan.submitted_by
        )?;
    }
    let in_force = match plan.plan_in_force_revision {
        0 => "none".to_string(),
        revision => format!("revision {revision}"),
    };
    writeln!(
        out,
        "  state         {} (plan in force: {in_force})",
        words(plan.state().as_str_name(), "AGENCY_PLAN_STATE_")
    )?;
    for commitment in &plan.commitments {
        writeln!(
            out,
            "  {:<30} {}  {}",
            commitment.target_code,
            commitment.year,
            value_in_words(commitment.value.as_ref())
        )?;
    }
    for task in &plan.tasks {
        writeln!(
            out,
            "  task {:<10} due {}  {}: {}",
            task.code, task.due_on, task.name, task.expected_output
        )?;
    }
    for decision in &plan.decisions {
        writeln!(
            out,
            "  {} by {}",
            words(
                decision.decision().as_str_name(),
                "AGENCY_PLAN_DECISION_KIND_"
            ),
            decision.decided_by
        )?;
        print_reasons(out, &decision.reasons)?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(request: ListAgencyPlansRequest, server: &ServerArgs) -> CliResult {
    let mut client = AgencyPlanServiceClient::new(connect(server).await?);
    let listed = match client.list_agency_plans(request).await {
        Ok(response) => response.into_inner(),
        Err(status) if refused(&status) => {
            print_refusal("no list of agency plans", &status);
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        Err(status) => return Err(call_failed(&status, server).into()),
    };
    let out = &mut io::stdout().lock();
    writeln!(
        out,
        "{} under {} on {}: {} approved, {} awaiting approval, {} returned, {} without a plan; {} \
         with a plan in force",
        listed.governing_body_code,
        listed.plan_code,
        listed.as_of,
        listed.approved,
        listed.awaiting_approval,
        listed.returned,
        listed.none,
        listed.with_plan_in_force
    )?;
    for agency in &listed.agencies {
        let in_force = match agency.plan_in_force_revision {
            0 => String::new(),
            revision => format!(" (in force: revision {revision})"),
        };
        let latest = match agency.latest_revision {
            0 => String::new(),
            revision => format!(" revision {revision}, id {}", agency.latest_agency_plan_id),
        };
        writeln!(
            out,
            "  {:<28} {}{latest}{in_force}",
            agency.agency_code,
            words(agency.state().as_str_name(), "AGENCY_PLAN_STATE_")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn progress(request: GetAgencyPlanProgressRequest, server: &ServerArgs) -> CliResult {
    let mut client = AgencyPlanServiceClient::new(connect(server).await?);
    let progress = match client.get_agency_plan_progress(request).await {
        Ok(response) => response.into_inner(),
        Err(status) if refused(&status) => {
            print_refusal("no progress to show", &status);
            return Ok(ExitCode::from(EXIT_REFUSED));
        }
        Err(status) => return Err(call_failed(&status, server).into()),
    };
    let out = &mut io::stdout().lock();
    writeln!(
        out,
        "{} in {} against revision {} of its plan under {} ({})",
        progress.agency_code,
        progress.period_code,
        progress.revision,
        progress.plan_code,
        words(progress.state().as_str_name(), "AGENCY_PLAN_STATE_")
    )?;
    for target in &progress.targets {
        let committed = target.commitment.as_ref().map_or_else(
            || "no commitment".to_string(),
            |commitment| {
                format!(
                    "{} (from {})",
                    value_in_words(commitment.value.as_ref()),
                    commitment.year
                )
            },
        );
        let required = if target.requirement_applies {
            format!("{:.2}%", target.required_share * 100.0)
        } else {
            "none".to_string()
        };
        let province = target
            .province_summary
            .as_ref()
            .map_or_else(String::new, |summary| {
                format!(
                    "; province {}: {}/{}",
                    progress.province_code, summary.numerator, summary.denominator
                )
            });
        writeln!(
            out,
            "  {:<30} {}: {}; own value {}; against the plan ({required} required) {}{province}",
            target.target_code,
            committed,
            words(
                target.commitment_standing().as_str_name(),
                "COMMITMENT_STANDING_"
            ),
            if target.value.is_empty() {
                "-"
            } else {
                &target.value
            },
            words(target.plan_standing().as_str_name(), "AGENCY_STANDING_"),
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
