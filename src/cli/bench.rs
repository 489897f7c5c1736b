//! `pressdx bench`: a load generator that measures pressdx at national scale (34 provinces, about
//! 800 agencies, periods 2023-2030) against the ceiling of the same server and transport, the
//! health check, with the same clients and concurrency. It starts the server as a child process on
//! a scratch database, so that the server's peak memory is its own.

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
use crate::catalog_file::{self, DEFAULT_CATALOG, without_closing_times};
use crate::config::{BenchArgs, BenchDatabase};
use crate::domain::Catalog;
use crate::domain::access::Role;
use crate::domain::report::{AnnualReport, DigitalPlatform, PlatformOrigin, StaffCounts};
use crate::proto::submission_service_client::SubmissionServiceClient;
use crate::proto::summary_service_client::SummaryServiceClient;
use crate::proto::{ListTargetSummariesRequest, SubmitReportRequest, import_reports_response};
use crate::store::{CatalogSource, Store};

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
    let store = Store::connect(database_url).await?;
    let source = CatalogSource {
        text: &national.toml,
        applied_by: "pressdx bench",
        accept_unrecorded_changes: false,
    };
    store.apply_catalog(catalog, &source, false).await?;
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
    let server_peak_rss_mib = server.peak_rss_mib();
    server.stop().await;
    Ok(BackendResult {
        database,
        agencies: agency_codes.len(),
        clients: args.clients,
        phases,
        server_peak_rss_mib,
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
        store: &Store,
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

    /// One connection per client.
    async fn channels(&self, count: usize) -> Result<Vec<Channel>, Box<dyn std::error::Error>> {
        let endpoint = Channel::from_shared(format!("http://{}", self.address))?;
        let mut channels = Vec::with_capacity(count);
        for _ in 0..count {
            channels.push(endpoint.connect().await?);
        }
        Ok(channels)
    }

    /// The server's peak resident memory so far (Linux), in MiB.
    fn peak_rss_mib(&self) -> f64 {
        let Some(pid) = self.child.id() else {
            return 0.0;
        };
        let status =
            std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status"))
                .unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
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
    )
}
