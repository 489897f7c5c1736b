//! `pressdx bench`: a load generator that measures pressdx at national scale (34 provinces, about
//! 800 agencies, periods 2023-2030) against the ceiling of the same server and transport, the
//! health check, with the same clients and concurrency. It starts the server as a child process on
//! a scratch database, so that the server's peak memory is its own.

use std::collections::BTreeMap;
use std::future::Future;
use std::io::{self, Write};
use std::path::Path;
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database};
use serde::Serialize;
use tokio::process::{Child, Command};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use super::CliResult;
use crate::api::convert::report_to_proto;
use crate::app::admin::{Admin, CatalogSource};
use crate::catalog_file::{self, DEFAULT_CATALOG, without_closing_times};
use crate::config::{BenchArgs, BenchDatabase};
use crate::domain::Catalog;
use crate::domain::access::Role;
use crate::domain::report::{AnnualReport, DigitalPlatform, PlatformOrigin, StaffCounts};
use crate::proto::submission_service_client::SubmissionServiceClient;
use crate::proto::summary_service_client::SummaryServiceClient;
use crate::proto::{
    GetReportingStatusRequest, ListSubmissionsRequest, ListTargetAgenciesRequest,
    ListTargetSummariesRequest, SubmitReportRequest, import_reports_response,
};

const PROVINCES: usize = 34;
const AGENCIES_AT_SCALE_1: f64 = 800.0;
const YEARS: std::ops::RangeInclusive<i32> = 2023..=2030;
/// The year the submit and summary phases work on (its reports are back-filled first).
const WORKING_YEAR: i32 = 2026;
const NATIONAL_PLAN: &str = "national-348-qd-ttg";
/// ImportReports streams under way at once during the back-fill (one per agency at a time).
const IMPORT_STREAMS: usize = 32;
/// Writers that keep submitting while the summary reads are measured under write load.
const BACKGROUND_WRITERS: usize = 4;

pub async fn run(args: BenchArgs) -> CliResult {
    let agencies = ((AGENCIES_AT_SCALE_1 * args.scale).round() as usize).max(PROVINCES);
    let national = national_catalog(agencies);
    let catalog = catalog_file::parse(&national.toml).map_err(|error| format!("{error:?}"))?;

    let backends: &[BenchDatabase] = match args.database {
        BenchDatabase::Both => &[BenchDatabase::Sqlite, BenchDatabase::Postgres],
        BenchDatabase::Sqlite => &[BenchDatabase::Sqlite],
        BenchDatabase::Postgres => &[BenchDatabase::Postgres],
    };
    writeln!(
        io::stdout(),
        "pressdx bench: {agencies} agencies in {PROVINCES} provinces, {} periods; {} clients, {} s a phase; {} cores",
        YEARS.count(),
        args.clients,
        args.seconds,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    )?;
    let mut results = Vec::new();
    for backend in backends {
        let scratch = ScratchDatabase::create(*backend, &args.postgres_url).await?;
        let outcome = bench_backend(&args, scratch.url(), &catalog, &national).await;
        scratch.drop_database().await;
        let result = outcome?;
        print_table(&result)?;
        results.push(result);
    }
    std::fs::write(&args.json, serde_json::to_string_pretty(&results)?)?;
    writeln!(io::stdout(), "\nfigures written to {}", args.json.display())?;
    Ok(ExitCode::SUCCESS)
}

/// Everything measured on one database.
#[derive(Debug, Serialize)]
struct BackendResult {
    database: String,
    agencies: usize,
    clients: usize,
    phases: Vec<Phase>,
    server_peak_rss_mib: f64,
    /// The server's memory through the soak, when one ran.
    soak: Option<Soak>,
}

/// A long run of mixed load with the server's resident memory sampled along the way, to tell a
/// leak (memory that keeps rising) from a working set (memory that levels off).
#[derive(Debug, Serialize)]
struct Soak {
    seconds: f64,
    /// Calls of every kind that succeeded, and those that failed (a made-up token's refusal is
    /// the expected answer, counted as a success).
    calls: u64,
    errors: u64,
    /// Per kind of call that failed: how many times, and the first failure's status.
    failures: BTreeMap<&'static str, (u64, String)>,
    /// Revisions the soak's submits stored.
    submits: u64,
    samples: Vec<MemorySample>,
    /// The highest resident memory of the soak's first half, and of its second.
    first_half_max_rss_mib: f64,
    second_half_max_rss_mib: f64,
}

#[derive(Debug, Serialize)]
struct MemorySample {
    at_seconds: f64,
    rss_mib: f64,
    /// Revisions submitted by the soak so far.
    submits: u64,
}

/// One timed phase: how many calls, how fast, and how that compares with the ceiling.
#[derive(Debug, Serialize)]
struct Phase {
    name: String,
    unit: String,
    count: u64,
    errors: u64,
    seconds: f64,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// Throughput over the no-op ceiling's.
    ratio_to_ceiling: Option<f64>,
}

impl Phase {
    fn from_latencies(
        name: &str,
        unit: &str,
        mut latencies: Vec<Duration>,
        errors: u64,
        elapsed: Duration,
    ) -> Phase {
        latencies.sort_unstable();
        let at = |fraction: f64| {
            if latencies.is_empty() {
                return 0.0;
            }
            let index =
                ((latencies.len() as f64 * fraction).ceil() as usize).clamp(1, latencies.len()) - 1;
            latencies[index].as_secs_f64() * 1000.0
        };
        Phase {
            name: name.to_string(),
            unit: unit.to_string(),
            count: latencies.len() as u64,
            errors,
            seconds: elapsed.as_secs_f64(),
            per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
            p50_ms: at(0.50),
            p99_ms: at(0.99),
            max_ms: at(1.0),
            ratio_to_ceiling: None,
        }
    }
}

async fn bench_backend(
    args: &BenchArgs,
    database_url: &str,
    catalog: &Catalog,
    national: &NationalCatalog,
) -> Result<BackendResult, Box<dyn std::error::Error>> {
    let agency_codes = &national.agency_codes;
    let database = database_url.split(':').next().unwrap_or("?").to_string();
    writeln!(
        io::stdout(),
        "\n== {database}: loading the national catalogue"
    )?;
    let store = Admin::connect(database_url).await?;
    let source = CatalogSource {
        text: &national.toml,
        applied_by: "pressdx bench",
        accept_unrecorded_changes: false,
    };
    store.import_catalog(catalog, &source, false).await?;
    let tokens = BenchTokens::create(&store, agency_codes).await?;
    store.close().await?;

    let server = ServerProcess::start(database_url).await?;
    let channels = server.channels(args.clients).await?;
    let seconds = Duration::from_secs(args.seconds);
    let mut phases = Vec::new();

    writeln!(io::stdout(), "   ceiling: health checks")?;
    let ceiling = drive(&channels, seconds, |channel, _| async move {
        HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .map(drop)
    })
    .await;
    let ceiling = Phase::from_latencies(
        "no-op ceiling (health check)",
        "calls",
        ceiling.0,
        ceiling.1,
        ceiling.2,
    );
    let ceiling_rate = ceiling.per_second;
    phases.push(ceiling);

    writeln!(
        io::stdout(),
        "   back-fill: every agency, every year, over ImportReports"
    )?;
    phases.push(backfill(&channels, &tokens).await?);

    writeln!(io::stdout(), "   summaries, idle")?;
    let read_summaries = {
        let ministry = tokens.ministry.clone();
        move |channel, _| read_national_summaries(channel, ministry.clone())
    };
    let idle = drive(&channels, seconds, read_summaries.clone()).await;
    phases.push(Phase::from_latencies(
        "ListTargetSummaries national, idle",
        "calls",
        idle.0,
        idle.1,
        idle.2,
    ));

    writeln!(io::stdout(), "   submits")?;
    let sequence = Arc::new(AtomicU64::new(0));
    let codes = tokens.agencies.clone();
    let submits = drive(&channels, seconds, {
        let (sequence, codes) = (sequence.clone(), codes.clone());
        move |channel, _| submit_one(channel, sequence.clone(), codes.clone())
    })
    .await;
    phases.push(Phase::from_latencies(
        "SubmitReport (committed)",
        "reports",
        submits.0,
        submits.1,
        submits.2,
    ));

    writeln!(
        io::stdout(),
        "   summaries under write load ({BACKGROUND_WRITERS} writers)"
    )?;
    let stop_writers = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = channels
        .iter()
        .take(BACKGROUND_WRITERS)
        .cloned()
        .map(|channel| {
            let (sequence, codes, stop) = (sequence.clone(), codes.clone(), stop_writers.clone());
            tokio::spawn(async move {
                let mut written = 0_u64;
                while !stop.load(Ordering::Relaxed) {
                    if submit_one(channel.clone(), sequence.clone(), codes.clone())
                        .await
                        .is_ok()
                    {
                        written += 1;
                    }
                }
                written
            })
        })
        .collect();
    let loaded = drive(&channels, seconds, read_summaries).await;
    stop_writers.store(true, Ordering::Relaxed);
    let mut written = 0;
    for writer in writers {
        written += writer.await.unwrap_or(0);
    }
    let mut under_load = Phase::from_latencies(
        "ListTargetSummaries national, under writes",
        "calls",
        loaded.0,
        loaded.1,
        loaded.2,
    );
    under_load.name = format!("{} ({written} submits meanwhile)", under_load.name);
    phases.push(under_load);

    for phase in phases.iter_mut().skip(1) {
        phase.ratio_to_ceiling = Some(phase.per_second / ceiling_rate);
    }
    let soak = if args.soak_seconds > 0 {
        writeln!(
            io::stdout(),
            "   soak: mixed load for {} s, memory every {} s",
            args.soak_seconds,
            args.soak_sample_seconds
        )?;
        let settings = SoakSettings {
            duration: Duration::from_secs(args.soak_seconds),
            sample_every: Duration::from_secs(args.soak_sample_seconds.max(1)),
        };
        let endpoint = server.endpoint()?;
        Some(soak(&server, endpoint, &channels, &tokens, sequence, settings).await)
    } else {
        None
    };
    let server_peak_rss_mib = server.peak_rss_mib();
    server.stop().await;
    Ok(BackendResult {
        database,
        agencies: agency_codes.len(),
        clients: args.clients,
        phases,
        server_peak_rss_mib,
        soak,
    })
}

/// Runs `call` in a loop on every channel for `duration`; returns each success's latency, the
/// error count and the time taken.
async fn drive<F, Fut>(
    channels: &[Channel],
    duration: Duration,
    call: F,
) -> (Vec<Duration>, u64, Duration)
where
    F: Fn(Channel, usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), tonic::Status>> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = channels
        .iter()
        .cloned()
        .enumerate()
        .map(|(client, channel)| {
            let call = call.clone();
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0_u64);
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    match call(channel.clone(), client).await {
                        Ok(()) => latencies.push(sent.elapsed()),
                        Err(_) => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        if let Ok((task_latencies, task_errors)) = task.await {
            latencies.extend(task_latencies);
            errors += task_errors;
        }
    }
    (latencies, errors, started.elapsed())
}

/// The credentials the bench calls with: a Ministry token for the national summaries, and each
/// agency's own token for its reports.
struct BenchTokens {
    ministry: Bearer,
    /// Each agency's code and token, in the catalogue's order.
    agencies: Arc<Vec<(String, Bearer)>>,
}

type Bearer = MetadataValue<Ascii>;

impl BenchTokens {
    async fn create(
        store: &Admin,
        agency_codes: &[String],
    ) -> Result<BenchTokens, Box<dyn std::error::Error>> {
        let create = |role, organization: Option<String>| async move {
            let (token, _) = store
                .create_token(role, organization, "pressdx bench", None, "pressdx bench")
                .await?;
            Ok::<_, Box<dyn std::error::Error>>(Bearer::try_from(format!("Bearer {token}"))?)
        };
        let ministry = create(Role::Ministry, None).await?;
        let mut agencies = Vec::with_capacity(agency_codes.len());
        for code in agency_codes {
            agencies.push((
                code.clone(),
                create(Role::Agency, Some(code.clone())).await?,
            ));
        }
        Ok(BenchTokens {
            ministry,
            agencies: Arc::new(agencies),
        })
    }
}

/// A request that carries `token`.
fn authorized<T>(message: T, token: &Bearer) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", token.clone());
    request
}

async fn read_national_summaries(channel: Channel, ministry: Bearer) -> Result<(), tonic::Status> {
    let request = ListTargetSummariesRequest {
        plan_code: NATIONAL_PLAN.into(),
        period_code: WORKING_YEAR.to_string(),
        scope: "country".into(),
        ..ListTargetSummariesRequest::default()
    };
    SummaryServiceClient::new(channel)
        .list_target_summaries(authorized(request, &ministry))
        .await
        .map(drop)
}

/// Submits a correction of a random agency's working-year report: a new revision each time.
async fn submit_one(
    channel: Channel,
    sequence: Arc<AtomicU64>,
    codes: Arc<Vec<(String, Bearer)>>,
) -> Result<(), tonic::Status> {
    let number = sequence.fetch_add(1, Ordering::Relaxed);
    let agency = (number.wrapping_mul(2_654_435_761) % codes.len() as u64) as usize;
    let (code, token) = &codes[agency];
    let request = SubmitReportRequest {
        request_id: format!("bench-{}-{number}", std::process::id()),
        agency_code: code.clone(),
        period_code: WORKING_YEAR.to_string(),
        report: Some(report_to_proto(&synthetic_report(
            agency,
            WORKING_YEAR,
            number,
        ))),
        validate_only: false,
        received_at: None,
    };
    SubmissionServiceClient::new(channel)
        .submit_report(authorized(request, token))
        .await
        .map(drop)
}

struct SoakSettings {
    duration: Duration,
    sample_every: Duration,
}

/// The kinds of call the soak mixes, each client taking them in turn: every path that keeps
/// something between calls (the read model, the figures of many scopes, page tokens, the
/// connection registry, the failed-authentication limiter) is exercised again and again.
#[derive(Clone, Copy)]
enum SoakCall {
    Submit,
    NationalSummaries,
    ProvinceSummaries,
    AgencyDrillDown,
    ReportingStatus,
    AgencySubmissions,
    /// A new connection that checks health and calls once with a made-up token, then closes.
    FreshConnectionWithBadToken,
}

impl SoakCall {
    fn name(self) -> &'static str {
        match self {
            SoakCall::Submit => "SubmitReport",
            SoakCall::NationalSummaries => "ListTargetSummaries (country)",
            SoakCall::ProvinceSummaries => "ListTargetSummaries (a province)",
            SoakCall::AgencyDrillDown => "ListTargetAgencies (every page)",
            SoakCall::ReportingStatus => "GetReportingStatus",
            SoakCall::AgencySubmissions => "ListSubmissions",
            SoakCall::FreshConnectionWithBadToken => "new connection with a made-up token",
        }
    }
}

const SOAK_CALLS: [SoakCall; 7] = [
    SoakCall::Submit,
    SoakCall::NationalSummaries,
    SoakCall::ProvinceSummaries,
    SoakCall::AgencyDrillDown,
    SoakCall::ReportingStatus,
    SoakCall::AgencySubmissions,
    SoakCall::FreshConnectionWithBadToken,
];

/// Runs the mixed load on every channel for the soak's duration while sampling the server's
/// resident memory.
async fn soak(
    server: &ServerProcess,
    endpoint: tonic::transport::Endpoint,
    channels: &[Channel],
    tokens: &BenchTokens,
    sequence: Arc<AtomicU64>,
    settings: SoakSettings,
) -> Soak {
    let started = Instant::now();
    let deadline = started + settings.duration;
    let submitted = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = channels
        .iter()
        .cloned()
        .enumerate()
        .map(|(client, channel)| {
            let (sequence, submitted) = (sequence.clone(), submitted.clone());
            let (ministry, agencies) = (tokens.ministry.clone(), tokens.agencies.clone());
            let endpoint = endpoint.clone();
            tokio::spawn(async move {
                let mut calls = 0_u64;
                let mut failures = BTreeMap::<&'static str, (u64, String)>::new();
                let mut turn = client;
                while Instant::now() < deadline {
                    let call = SOAK_CALLS[turn % SOAK_CALLS.len()];
                    let number = turn as u64;
                    turn += 1;
                    let outcome = match call {
                        SoakCall::Submit => {
                            let outcome =
                                submit_one(channel.clone(), sequence.clone(), agencies.clone())
                                    .await;
                            if outcome.is_ok() {
                                submitted.fetch_add(1, Ordering::Relaxed);
                            }
                            outcome
                        }
                        SoakCall::NationalSummaries => {
                            read_national_summaries(channel.clone(), ministry.clone()).await
                        }
                        SoakCall::ProvinceSummaries => {
                            read_province_summaries(channel.clone(), &ministry, number).await
                        }
                        SoakCall::AgencyDrillDown => {
                            read_drill_down(channel.clone(), &ministry, number).await
                        }
                        SoakCall::ReportingStatus => {
                            read_reporting_status(channel.clone(), &ministry, number).await
                        }
                        SoakCall::AgencySubmissions => {
                            read_agency_submissions(channel.clone(), &agencies, number).await
                        }
                        SoakCall::FreshConnectionWithBadToken => {
                            fresh_connection_with_bad_token(&endpoint, number).await
                        }
                    };
                    match outcome {
                        Ok(()) => calls += 1,
                        Err(status) => {
                            let failed = failures.entry(call.name()).or_insert_with(|| {
                                (0, format!("{:?}: {}", status.code(), status.message()))
                            });
                            failed.0 += 1;
                        }
                    }
                }
                (calls, failures)
            })
        })
        .collect();

    let mut samples = Vec::new();
    let mut next_sample = started;
    while Instant::now() < deadline {
        samples.push(MemorySample {
            at_seconds: started.elapsed().as_secs_f64(),
            rss_mib: server.rss_mib(),
            submits: submitted.load(Ordering::Relaxed),
        });
        writeln!(
            io::stdout(),
            "     {:>6.0} s  {:>7.1} MiB  {:>8} revisions submitted",
            samples[samples.len() - 1].at_seconds,
            samples[samples.len() - 1].rss_mib,
            samples[samples.len() - 1].submits
        )
        .ok();
        next_sample += settings.sample_every;
        tokio::time::sleep_until(next_sample.min(deadline).into()).await;
    }
    let mut calls = 0;
    let mut failures = BTreeMap::<&'static str, (u64, String)>::new();
    for client in clients {
        if let Ok((client_calls, client_failures)) = client.await {
            calls += client_calls;
            for (call, (count, first)) in client_failures {
                failures.entry(call).or_insert((0, first)).0 += count;
            }
        }
    }
    samples.push(MemorySample {
        at_seconds: started.elapsed().as_secs_f64(),
        rss_mib: server.rss_mib(),
        submits: submitted.load(Ordering::Relaxed),
    });
    let half = settings.duration.as_secs_f64() / 2.0;
    let max_of = |in_half: &dyn Fn(f64) -> bool| {
        samples
            .iter()
            .filter(|sample| in_half(sample.at_seconds))
            .map(|sample| sample.rss_mib)
            .fold(0.0, f64::max)
    };
    Soak {
        seconds: started.elapsed().as_secs_f64(),
        calls,
        errors: failures.values().map(|(count, _)| count).sum(),
        failures,
        submits: submitted.load(Ordering::Relaxed),
        first_half_max_rss_mib: max_of(&|at| at < half),
        second_half_max_rss_mib: max_of(&|at| at >= half),
        samples,
    }
}

/// The province the `number`th call of a kind reads.
fn bench_province(number: u64) -> String {
    format!("bench-p{}", number % PROVINCES as u64)
}

async fn read_province_summaries(
    channel: Channel,
    ministry: &Bearer,
    number: u64,
) -> Result<(), tonic::Status> {
    let request = ListTargetSummariesRequest {
        plan_code: NATIONAL_PLAN.into(),
        period_code: (YEARS.start() + (number % YEARS.count() as u64) as i32).to_string(),
        scope: format!("province:{}", bench_province(number)),
        ..ListTargetSummariesRequest::default()
    };
    SummaryServiceClient::new(channel)
        .list_target_summaries(authorized(request, ministry))
        .await
        .map(drop)
}

/// A province's agencies behind one target, page by page, so that page tokens come and go.
async fn read_drill_down(
    channel: Channel,
    ministry: &Bearer,
    number: u64,
) -> Result<(), tonic::Status> {
    let mut client = SummaryServiceClient::new(channel);
    let mut page_token = String::new();
    loop {
        let request = ListTargetAgenciesRequest {
            plan_code: NATIONAL_PLAN.into(),
            target_code: "content_on_digital_platforms".into(),
            period_code: WORKING_YEAR.to_string(),
            scope: format!("province:{}", bench_province(number)),
            page_size: 10,
            page_token,
            ..ListTargetAgenciesRequest::default()
        };
        let page = client
            .list_target_agencies(authorized(request, ministry))
            .await?
            .into_inner();
        if page.next_page_token.is_empty() {
            return Ok(());
        }
        page_token = page.next_page_token;
    }
}

async fn read_reporting_status(
    channel: Channel,
    ministry: &Bearer,
    number: u64,
) -> Result<(), tonic::Status> {
    let request = GetReportingStatusRequest {
        period_code: WORKING_YEAR.to_string(),
        scope: format!("province:{}", bench_province(number)),
        ..GetReportingStatusRequest::default()
    };
    SummaryServiceClient::new(channel)
        .get_reporting_status(authorized(request, ministry))
        .await
        .map(drop)
}

/// An agency's own revisions of the working year, the first page.
async fn read_agency_submissions(
    channel: Channel,
    agencies: &[(String, Bearer)],
    number: u64,
) -> Result<(), tonic::Status> {
    let (code, token) = &agencies[(number as usize) % agencies.len()];
    let request = ListSubmissionsRequest {
        agency_code: code.clone(),
        period_code: WORKING_YEAR.to_string(),
        page_size: 20,
        ..ListSubmissionsRequest::default()
    };
    SubmissionServiceClient::new(channel)
        .list_submissions(authorized(request, token))
        .await
        .map(drop)
}

/// Opens a connection, checks health, calls with a token no one issued and drops the connection.
/// The call must be refused: UNAUTHENTICATED, or RESOURCE_EXHAUSTED once the address has spent
/// its failed authentications for the minute.
async fn fresh_connection_with_bad_token(
    endpoint: &tonic::transport::Endpoint,
    number: u64,
) -> Result<(), tonic::Status> {
    let channel = endpoint
        .connect()
        .await
        .map_err(|error| tonic::Status::unavailable(error.to_string()))?;
    HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await?;
    let made_up = Bearer::try_from(format!("Bearer pdx_made_up_{number}"))
        .map_err(|error| tonic::Status::internal(error.to_string()))?;
    match read_national_summaries(channel, made_up).await {
        Err(status)
            if matches!(
                status.code(),
                tonic::Code::Unauthenticated | tonic::Code::ResourceExhausted
            ) =>
        {
            Ok(())
        }
        Err(status) => Err(status),
        Ok(()) => Err(tonic::Status::internal("a made-up token was served")),
    }
}

/// Back-fills every agency's report for every year: each agency sends its own eight years over
/// its own ImportReports stream (an agency submits its own reports only), with this many streams
/// under way at once.
async fn backfill(
    channels: &[Channel],
    tokens: &BenchTokens,
) -> Result<Phase, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let workers: Vec<_> = (0..IMPORT_STREAMS)
        .map(|worker| {
            let channel = channels[worker % channels.len()].clone();
            let agencies = tokens.agencies.clone();
            tokio::spawn(async move {
                let (mut accepted, mut refused) = (0_u64, 0_u64);
                let mut client = SubmissionServiceClient::new(channel);
                for (agency, (code, token)) in agencies
                    .iter()
                    .enumerate()
                    .skip(worker)
                    .step_by(IMPORT_STREAMS)
                {
                    let years: Vec<_> = YEARS
                        .map(|year| SubmitReportRequest {
                            request_id: format!("backfill-{code}-{year}"),
                            agency_code: code.clone(),
                            period_code: year.to_string(),
                            report: Some(report_to_proto(&synthetic_report(agency, year, 0))),
                            validate_only: false,
                            received_at: None,
                        })
                        .collect();
                    let mut responses = client
                        .import_reports(authorized(tokio_stream::iter(years), token))
                        .await?
                        .into_inner();
                    while let Some(response) = responses.message().await? {
                        match response.outcome {
                            Some(import_reports_response::Outcome::Receipt(_)) => accepted += 1,
                            _ => refused += 1,
                        }
                    }
                }
                Ok::<_, tonic::Status>((accepted, refused))
            })
        })
        .collect();
    let (mut accepted, mut refused) = (0, 0);
    for worker in workers {
        let (worker_accepted, worker_refused) = worker.await??;
        accepted += worker_accepted;
        refused += worker_refused;
    }
    let elapsed = started.elapsed();
    Ok(Phase {
        name: format!("ImportReports back-fill, a stream per agency, {IMPORT_STREAMS} at once"),
        unit: "reports".into(),
        count: accepted,
        errors: refused,
        seconds: elapsed.as_secs_f64(),
        per_second: accepted as f64 / elapsed.as_secs_f64(),
        // A stream has no per-call latency; the phase's time is in `seconds`.
        p50_ms: 0.0,
        p99_ms: 0.0,
        max_ms: 0.0,
        ratio_to_ceiling: None,
    })
}

/// A plausible report, varied by agency, year and a serial number.
fn synthetic_report(agency: usize, year: i32, serial: u64) -> AnnualReport {
    let progress = (year - 2022) as usize; // 1 in 2023 .. 8 in 2030
    let mix = agency.wrapping_mul(7919) + serial as usize;
    let headcount = 40 + (agency % 60) as i64;
    let trained = headcount * (progress.min(8) as i64) / 8;
    let content = mix % 10 < 4 + progress;
    let staff = |total: i64| StaffCounts {
        leaders: Some(total / 10),
        reporters: Some(total / 2),
        editors: Some(total / 5),
        other: Some(total - total / 10 - total / 2 - total / 5),
    };
    let revenue =
        5_000_000_000 + (agency as i64 % 97) * 100_000_000 + i64::from(year - 2023) * 400_000_000;
    AnnualReport {
        content_on_digital_platforms: Some(content),
        digital_platforms: if content {
            vec![DigitalPlatform {
                name: "Zalo".into(),
                origin: Some(PlatformOrigin::Domestic),
            }]
        } else {
            vec![]
        },
        central_data_platform: Some(mix % 10 < 2 + progress),
        ai_in_operations: Some(mix % 7 < progress),
        converged_newsroom: Some(mix % 10 < 3 + progress),
        newsroom_management_platform: Some(true),
        revenue_vnd: Some(revenue + (serial % 1000) as i64),
        digital_revenue_vnd: Some(revenue / 5),
        headcount: staff(headcount),
        trained: staff(trained),
        publishes_electronic_press: Some(agency % 5 != 0),
        security_level: Some(1 + ((agency + progress) % 5) as i64),
        digital_products_launched: Some((mix % 5) as i64),
        digital_radio_platform: None,
        digital_tv_platform: None,
    }
}

/// The default catalogue (plans, indicators, periods) with a generated national organisation
/// tree: 34 provinces, each with a Party Committee and a People's Committee, and the agencies
/// spread over them.
struct NationalCatalog {
    toml: String,
    agency_codes: Vec<String>,
}

fn national_catalog(agencies: usize) -> NationalCatalog {
    use std::fmt::Write;
    // The bench back-fills and submits every year whatever the day it runs: its periods never
    // close.
    let mut toml = without_closing_times(DEFAULT_CATALOG);
    for province in 0..PROVINCES {
        let _ = write!(
            toml,
            "\n[[organization]]\ncode = \"bench-p{province}\"\nkind = \"province\"\nname = \"Province {province}\"\n\
             [[organization]]\ncode = \"bench-p{province}-party\"\nkind = \"governing_body\"\nname = \"Party Committee {province}\"\nprovince = \"bench-p{province}\"\n\
             [[organization]]\ncode = \"bench-p{province}-people\"\nkind = \"governing_body\"\nname = \"People's Committee {province}\"\nprovince = \"bench-p{province}\"\n"
        );
    }
    let types = [
        "local_newspaper",
        "radio_tv",
        "magazine",
        "magazine",
        "scientific_journal",
    ];
    let mut agency_codes = Vec::with_capacity(agencies);
    for agency in 0..agencies {
        let province = agency % PROVINCES;
        let body = if agency % 2 == 0 { "party" } else { "people" };
        let code = format!("bench-a{agency}");
        let _ = write!(
            toml,
            "\n[[organization]]\ncode = \"{code}\"\nkind = \"press_agency\"\nname = \"Agency {agency}\"\n\
             province = \"bench-p{province}\"\ngoverning_body = \"bench-p{province}-{body}\"\n\
             agency_type = \"{}\"\npublishes_electronic_press = {}\n",
            types[agency % types.len()],
            agency % 5 != 0
        );
        agency_codes.push(code);
    }
    NationalCatalog { toml, agency_codes }
}

/// A scratch database for one bench run: a SQLite file in a temporary directory, or a database
/// created on the PostgreSQL server and dropped afterwards.
enum ScratchDatabase {
    Sqlite {
        _directory: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl ScratchDatabase {
    async fn create(
        backend: BenchDatabase,
        postgres_url: &str,
    ) -> Result<ScratchDatabase, Box<dyn std::error::Error>> {
        if backend == BenchDatabase::Sqlite {
            let directory = tempfile::tempdir()?;
            let url = format!(
                "sqlite://{}?mode=rwc",
                directory.path().join("bench.db").display()
            );
            return Ok(ScratchDatabase::Sqlite {
                _directory: directory,
                url,
            });
        }
        let admin = Database::connect(postgres_url).await?;
        let name = format!("pressdx_bench_{}", std::process::id());
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        admin.close().await?;
        let base = postgres_url
            .rsplit_once('/')
            .map_or(postgres_url, |(base, _)| base);
        Ok(ScratchDatabase::Postgres {
            admin_url: postgres_url.to_string(),
            url: format!("{base}/{name}"),
            name,
        })
    }

    fn url(&self) -> &str {
        match self {
            ScratchDatabase::Sqlite { url, .. } | ScratchDatabase::Postgres { url, .. } => url,
        }
    }

    async fn drop_database(self) {
        if let ScratchDatabase::Postgres {
            admin_url, name, ..
        } = self
            && let Ok(admin) = Database::connect(&admin_url).await
        {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
            let _ = admin.close().await;
        }
    }
}

/// `pressdx serve` as a child process of the bench.
struct ServerProcess {
    child: Child,
    address: String,
}

impl ServerProcess {
    async fn start(database_url: &str) -> Result<ServerProcess, Box<dyn std::error::Error>> {
        // Ask the system for a free port, then hand it to the server.
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let address = format!("127.0.0.1:{port}");
        let child = Command::new(std::env::current_exe()?)
            .args([
                "serve",
                "--listen",
                &address,
                "--database-url",
                database_url,
                // The limiter stays in the path, far above what the clients can ask.
                "--rate-limit",
                "100000000",
                // 16 clients plus writers, each with connections of its own.
                "--max-connections",
                "4096",
                // Nothing to hand over to when the bench stops it.
                "--shutdown-grace",
                "0",
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let server = ServerProcess { child, address };
        let started = Instant::now();
        loop {
            if let Ok(channels) = server.channels(1).await
                && HealthClient::new(channels[0].clone())
                    .check(HealthCheckRequest {
                        service: String::new(),
                    })
                    .await
                    .is_ok()
            {
                return Ok(server);
            }
            if started.elapsed() > Duration::from_secs(60) {
                return Err("the server did not come up within 60 s".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn endpoint(&self) -> Result<tonic::transport::Endpoint, http::uri::InvalidUri> {
        Channel::from_shared(format!("http://{}", self.address))
    }

    /// One connection per client.
    async fn channels(&self, count: usize) -> Result<Vec<Channel>, Box<dyn std::error::Error>> {
        let endpoint = self.endpoint()?;
        let mut channels = Vec::with_capacity(count);
        for _ in 0..count {
            channels.push(endpoint.connect().await?);
        }
        Ok(channels)
    }

    /// The server's peak resident memory so far (Linux), in MiB.
    fn peak_rss_mib(&self) -> f64 {
        self.memory_mib("VmHWM:")
    }

    /// The server's resident memory now (Linux), in MiB.
    fn rss_mib(&self) -> f64 {
        self.memory_mib("VmRSS:")
    }

    /// A memory figure of `/proc/PID/status`, in MiB.
    fn memory_mib(&self, field: &str) -> f64 {
        let Some(pid) = self.child.id() else {
            return 0.0;
        };
        let status =
            std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status"))
                .unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|value| {
                value
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .map_or(0.0, |kib| kib / 1024.0)
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

fn print_table(result: &BackendResult) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "\n{:<58} {:>8} {:>10} {:>8} {:>8} {:>9} {:>9}",
        format!(
            "{} ({} agencies, {} clients)",
            result.database, result.agencies, result.clients
        ),
        "count",
        "per s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "/ceiling"
    )?;
    for phase in &result.phases {
        writeln!(
            out,
            "{:<58} {:>8} {:>10.1} {:>8.2} {:>8.2} {:>9.1} {:>9}",
            phase.name,
            phase.count,
            phase.per_second,
            phase.p50_ms,
            phase.p99_ms,
            phase.max_ms,
            phase
                .ratio_to_ceiling
                .map_or("-".to_string(), |ratio| format!("{:.1}%", ratio * 100.0))
        )?;
        if phase.errors > 0 {
            writeln!(out, "{:<58} {} errors", "", phase.errors)?;
        }
    }
    writeln!(
        out,
        "server peak RSS: {:.1} MiB",
        result.server_peak_rss_mib
    )?;
    if let Some(soak) = &result.soak {
        writeln!(
            out,
            "soak: {} calls ({} errors, {} revisions stored) in {:.0} s; highest RSS {:.1} MiB in the first half, {:.1} MiB in the second",
            soak.calls,
            soak.errors,
            soak.submits,
            soak.seconds,
            soak.first_half_max_rss_mib,
            soak.second_half_max_rss_mib
        )?;
        for (call, (count, first)) in &soak.failures {
            writeln!(
                out,
                "  {count} failed calls of {call}, the first with {first}"
            )?;
        }
    }
    Ok(())
}
