//! Every setting, from command-line flags and `PRESSDX_*` environment variables.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::error::ContextKind;
use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::domain::access::Role;
use crate::store::{DEFAULT_DATABASE_URL, redact_password};
use crate::telemetry::LogFormat;

/// pressdx: the press digital-transformation reporting service.
///
/// Agencies submit their annual report over gRPC; pressdx checks it, keeps every revision, and
/// serves it to provincial and Ministry systems.
#[derive(Debug, Parser)]
#[command(name = "pressdx", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// How log lines (on standard error) are written: text, coloured on a terminal only, or one
    /// JSON object a line.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "PRESSDX_LOG_FORMAT",
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,
}

impl Cli {
    /// The command line, parsed; exits with clap's message (and usage) if it does not parse.
    ///
    /// An error's usage line is made from the command line alone. clap's own lists the
    /// arguments given, and counts a value taken from the environment as given: with
    /// PRESSDX_TOKEN set, `review list` without `--period` showed `--token <TOKEN>` beside the
    /// missing `--period <PERIOD>`, as though it were required too. The environment still
    /// supplies its values; only the message is made again, and help keeps its `[env: ...]`.
    pub fn parse_command_line() -> Cli {
        let error = match Cli::try_parse() {
            Ok(cli) => return cli,
            Err(error) => error,
        };
        if error.use_stderr()
            && let Err(again) = without_environment(Cli::command()).try_get_matches()
            // The same error about the same arguments: a value the environment gave to one
            // that another requires (`--tls-ca` for `--tls-client-cert`) would be missing here.
            && again.kind() == error.kind()
            && [ContextKind::InvalidArg, ContextKind::PriorArg]
                .iter()
                .all(|kind| again.get(*kind) == error.get(*kind))
        {
            again.exit()
        }
        error.exit()
    }
}

/// `command` with no argument read from the environment, but the required ones (none today).
fn without_environment(command: clap::Command) -> clap::Command {
    command
        .mut_args(|arg| {
            if arg.is_required_set() {
                arg
            } else {
                arg.env(None::<&'static str>)
            }
        })
        .mut_subcommands(without_environment)
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the gRPC server (migrating the database, and loading a catalogue, the default one or
    /// --catalog, into an empty one).
    Serve(ServeConfig),
    /// Loads or prints the catalogue, working on the database directly.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Submits an annual report (TOML or JSON file) to a running server and prints the receipt or
    /// every violation.
    Submit(SubmitArgs),
    /// Submits many reports over one stream (ImportReports) to a running server, as a back-fill:
    /// prints every refusal and the totals, and exits with 2 if any report was refused.
    Import(ImportArgs),
    /// Reads submissions from a running server.
    #[command(subcommand)]
    Submissions(SubmissionsCommand),
    /// Prints a plan's target summaries for a period and scope: share, requirement, status.
    Summary(SummaryArgs),
    /// Prints who was expected to report for a period in a scope, who did (on time or late), and
    /// who did not.
    Status(StatusArgs),
    /// The province's checks on its agencies' reports: accepting or returning a submission,
    /// reopening a closed period for one agency.
    #[command(subcommand)]
    Review(ReviewCommand),
    /// The maturity index: an agency's self-assessment, the council's appraisal, reading one
    /// back with its scores, and a period's results, rankings and comparisons (MaturityService).
    #[command(subcommand)]
    Maturity(MaturityCommand),
    /// Each agency's own plan under a plan of the catalogue (AgencyPlanService): submitting it
    /// from a file, its governing body's approval or return, reading it, the list per governing
    /// body, and the agency's progress against its own commitments.
    #[command(subcommand)]
    AgencyPlan(AgencyPlanCommand),
    /// A plan's tasks (TaskService): listing them, a lead's progress report on its own line,
    /// reading a report back, and the following of a plan in a province (lines by status, the
    /// overdue ones with their lead and how many days late, each lead's open and overdue lines).
    #[command(subcommand)]
    Tasks(TasksCommand),
    /// The province's yearly report to the Ministry (ProvinceReportService): drafting it from a
    /// snapshot of the figures, writing its narrative, signing and submitting it, reading it, and
    /// rendering it as an HTML page and CSV.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Creates, lists and revokes the credentials callers present, working on the database
    /// directly: whoever holds the database file or URL is the operator.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Checks the audit log, working on the database directly.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Measures pressdx at national scale against the no-op ceiling of the same server and
    /// transport, on SQLite and PostgreSQL, and prints a table (and writes it as JSON).
    Bench(BenchArgs),
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Multiplies the national catalogue's 800 agencies (10 for 8 000).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Concurrent gRPC clients, each on its own connection.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// How long each timed phase runs.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Which databases to measure.
    #[arg(long, value_enum, default_value = "both")]
    pub database: BenchDatabase,
    /// After the timed phases, a soak of this many seconds of mixed load (submits, summaries of
    /// many scopes, drill-downs, reporting status, revision lists, new connections with made-up
    /// tokens) with the server's resident memory sampled along the way; 0 for none.
    #[arg(long, default_value_t = 0)]
    pub soak_seconds: u64,
    /// How often the soak samples the server's resident memory.
    #[arg(long, default_value_t = 10)]
    pub soak_sample_seconds: u64,
    /// The PostgreSQL server to create a scratch database on.
    #[arg(
        long,
        env = "PRESSDX_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub postgres_url: String,
    /// Where to write the figures as JSON.
    #[arg(long, default_value = "bench-results.json")]
    pub json: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchDatabase {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// The plan's code (see `pressdx catalog show`).
    #[arg(long)]
    pub plan: String,
    #[command(flatten)]
    pub view: PeriodScope,
    /// Count only the reports the province accepted; the others count as not reported.
    #[arg(long)]
    pub accepted_only: bool,
    /// table, json (the server's answer) or csv (one row per target).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub view: PeriodScope,
    /// table, json (the server's answer) or csv (one row per agency).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// How a read command prints what the server answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Columns for people to read.
    Table,
    /// One JSON document: the server's answer, with the proto's field names.
    Json,
    /// A header row, then one row per item, with the proto's field names as columns.
    Csv,
}

/// Which period, and which organisations, a figure is about.
#[derive(Debug, Clone, Args)]
pub struct PeriodScope {
    /// The period's code, such as 2025.
    #[arg(long)]
    pub period: String,
    /// country, province:CODE, governing_body:CODE, agency_type:TYPE or agency:CODE. By default,
    /// the organisation the token acts for (every agency for a Ministry token).
    #[arg(long, default_value = "")]
    pub scope: String,
    /// historical: the scope as the organisation tree stood in the period (a figure to sign).
    /// current: the scope's organisation as it stands on --as-of (today by default), read back
    /// over earlier periods to the organisations it continues.
    #[arg(long, value_enum, default_value_t = BoundariesArg::Historical)]
    pub boundaries: BoundariesArg,
    /// With --boundaries current: the date the scope's organisation is taken on (YYYY-MM-DD).
    #[arg(long)]
    pub as_of: Option<String>,
}

/// Which organisation tree a scope is read in (pressdx.v1.Boundaries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BoundariesArg {
    Historical,
    Current,
}

impl PeriodScope {
    /// The boundaries as the wire spells them.
    pub fn boundaries(&self) -> crate::proto::Boundaries {
        match self.boundaries {
            BoundariesArg::Historical => crate::proto::Boundaries::Historical,
            BoundariesArg::Current => crate::proto::Boundaries::Current,
        }
    }
}

#[derive(Clone, Args)]
pub struct DatabaseArgs {
    /// Where data is kept: a SQLite file (`sqlite://PATH?mode=rwc`) or PostgreSQL
    /// (`postgres://user@host/db`). Only `serve` creates a database; the operator commands
    /// (token, catalog, audit) open an existing one.
    #[arg(
        long,
        env = "PRESSDX_DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL,
        // The environment's URL may hold a password: --help must not print it.
        hide_env_values = true
    )]
    pub database_url: String,
}

/// Hides a PostgreSQL password from logs and `--help` output.
impl fmt::Debug for DatabaseArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseArgs")
            .field("database_url", &redact_password(&self.database_url))
            .finish()
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, env = "PRESSDX_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub tls: TlsArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// The catalogue (TOML, see catalog/default.toml) to load into an empty database instead of
    /// the default one; a database that holds a catalogue keeps it (change it with `pressdx
    /// catalog import`).
    #[arg(long, env = "PRESSDX_CATALOG")]
    pub catalog: Option<PathBuf>,
    /// Seconds the server keeps serving once asked to stop, with its health check answering
    /// NOT_SERVING, so that load balancers stop sending it requests before it closes its
    /// connections. Open streams (summary watches, imports) end at once.
    #[arg(long, env = "PRESSDX_SHUTDOWN_GRACE", default_value_t = 2)]
    pub shutdown_grace: u64,
    #[command(flatten)]
    pub web: WebArgs,
    /// Serve Prometheus metrics at http://ADDRESS/metrics (for example 127.0.0.1:9464): calls by
    /// method and status, their latency, submissions by outcome, the change feed's head, summary
    /// cache hits. The endpoint asks for no credential: keep it on a private address.
    #[arg(long, env = "PRESSDX_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
}

/// Browsers. grpc-web is served on the gRPC port itself (HTTP/1.1 and HTTP/2), for every service,
/// with the same credentials and access rules as gRPC.
#[derive(Debug, Clone, Default, Args)]
pub struct WebArgs {
    /// A browser origin (`scheme://host[:port]`, as the browser sends it) whose pages may call
    /// pressdx over grpc-web (CORS); repeat it, or separate origins with commas. `*` allows every
    /// origin: harmless to the data, since each call still needs a bearer token, but it lets any
    /// site use a token a user pastes into it. Without it, only pages served from pressdx's own
    /// origin (behind the same proxy) can call it.
    #[arg(
        long = "cors-allow-origin",
        env = "PRESSDX_CORS_ALLOW_ORIGIN",
        value_delimiter = ',',
        value_parser = parse_origin
    )]
    pub cors_allow_origins: Vec<String>,
}

/// An origin exactly as a browser sends it in its `Origin` header, or `*`.
fn parse_origin(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text == "*" {
        return Ok(text.to_string());
    }
    let url = url::Url::parse(text).map_err(|error| format!("not an origin: {error}"))?;
    let origin = url.origin().ascii_serialization();
    if origin == text {
        Ok(origin)
    } else {
        Err(format!(
            "not an origin: a browser sends \"{origin}\" (scheme://host[:port], no path or trailing slash)"
        ))
    }
}

/// Transport security. Without `--tls-cert` the server speaks plaintext, which is only fit for a
/// loopback address: bearer tokens would cross the network in the clear.
#[derive(Debug, Clone, Default, Args)]
pub struct TlsArgs {
    /// Serve TLS with this certificate chain (PEM).
    #[arg(long, env = "PRESSDX_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of `--tls-cert` (PEM).
    #[arg(long, env = "PRESSDX_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Require a client certificate signed by this CA (PEM) on every connection (mutual TLS). A
    /// client certificate registered with `pressdx token create --client-cert` then acts as its
    /// principal when no bearer token is sent.
    #[arg(long, env = "PRESSDX_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
}

/// What one caller may ask of the server.
#[derive(Debug, Clone, Copy, Args)]
pub struct LimitArgs {
    /// The largest request message accepted, in bytes; larger ones are refused with
    /// RESOURCE_EXHAUSTED. A report is about 1 KiB.
    #[arg(
        long,
        env = "PRESSDX_MAX_MESSAGE_BYTES",
        default_value_t = 1024 * 1024,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
    )]
    pub max_message_bytes: usize,
    /// Requests a second each credential may make on average, in bursts of up to twice that;
    /// more are refused with RESOURCE_EXHAUSTED and a retry delay. 0 for no limit.
    #[arg(long, env = "PRESSDX_RATE_LIMIT", default_value_t = 50)]
    pub rate_limit: u32,
    /// The longest a request may take, in seconds, unless the caller's deadline is shorter.
    #[arg(
        long,
        env = "PRESSDX_REQUEST_TIMEOUT",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub request_timeout: u64,
    /// The most connections open at once. When a new one finds no place, the connection that has
    /// waited longest for its first authenticated request is closed to make room; if every place
    /// is held by an authenticated connection, the new one is closed (and the log says so). Keep
    /// it below the process's open-file limit (`ulimit -n`).
    #[arg(
        long,
        env = "PRESSDX_MAX_CONNECTIONS",
        default_value_t = 512,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
    )]
    pub max_connections: usize,
    /// The most connections that may wait at once for their first authenticated request (a health
    /// check does not authenticate); a new one past it closes the one that has waited longest.
    /// Connections without a credential can then never hold more than these places.
    #[arg(
        long,
        env = "PRESSDX_MAX_UNAUTHENTICATED_CONNECTIONS",
        default_value_t = 128,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
    )]
    pub max_unauthenticated_connections: usize,
    /// The most requests (HTTP/2 streams) one connection may have open at once.
    #[arg(
        long,
        env = "PRESSDX_MAX_STREAMS_PER_CONNECTION",
        default_value_t = 100
    )]
    pub max_streams_per_connection: u32,
    /// Seconds a new connection has, from its accept, to make its first authenticated request
    /// (whatever it sends meanwhile) before it is closed: a socket opened and never used, or used
    /// only for health checks or a byte at a time, does not hold a place for long.
    #[arg(
        long,
        alias = "handshake-timeout",
        env = "PRESSDX_AUTHENTICATION_TIMEOUT",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub authentication_timeout: u64,
    /// Failed authentications (unknown, malformed, expired or revoked credentials) a client
    /// address may make a minute, in bursts of up to that many; past it, a credential from that
    /// address that the server does not know is refused with RESOURCE_EXHAUSTED without asking
    /// the database, while known credentials from it are served as ever. 0 for no limit.
    #[arg(long, env = "PRESSDX_MAX_FAILED_AUTHENTICATIONS", default_value_t = 30)]
    pub max_failed_authentications: u32,
}

impl Default for LimitArgs {
    fn default() -> Self {
        LimitArgs {
            max_message_bytes: 1024 * 1024,
            rate_limit: 50,
            request_timeout: 30,
            max_connections: 512,
            max_unauthenticated_connections: 128,
            max_streams_per_connection: 100,
            authentication_timeout: 10,
            max_failed_authentications: 30,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Checks a catalogue file, reporting every problem with where it is, and applies it: new
    /// entries are added, changed ones replaced, unchanged ones left alone.
    Import {
        /// The catalogue file (TOML; see catalog/default.toml).
        file: PathBuf,
        /// Check the file and say what would change, without changing anything.
        #[arg(long)]
        dry_run: bool,
        /// Apply it even if the catalogue tables were changed outside an import since the last
        /// import recorded them (pressdx audit verify names such changes): the changes are then
        /// named in this import's audit entry. Without it, such an import is refused.
        #[arg(long)]
        accept_unrecorded_changes: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Prints the catalogue loaded in the database.
    Show {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum TasksCommand {
    /// Prints a plan's tasks: code, lead, due date, yearly or not (TaskService.ListPlanTasks).
    List {
        #[arg(long)]
        plan: String,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Reports the progress of the caller's own line of a task for a period
    /// (TaskService.ReportTaskProgress). Without --request-id, the request id is derived from
    /// what is reported, so that sending the same report again is a safe retry.
    Report {
        #[arg(long)]
        plan: String,
        #[arg(long)]
        task: String,
        #[arg(long)]
        period: String,
        /// not_started, in_progress, done or cancelled.
        #[arg(long)]
        status: String,
        /// 0 to 99 in progress (required then); 0 or nothing not started; 100 or nothing done;
        /// nothing cancelled.
        #[arg(long)]
        percent: Option<i32>,
        /// Required with --status cancelled.
        #[arg(long, default_value = "")]
        cancellation_reason: String,
        /// What was done, in a few sentences.
        #[arg(long, default_value = "")]
        account: String,
        /// An evidence reference, TITLE|LINK-OR-DOCUMENT-ID|SHA256 (a link starts with http);
        /// repeat for more.
        #[arg(long)]
        evidence: Vec<String>,
        #[arg(long)]
        request_id: Option<String>,
        /// Check only; store nothing.
        #[arg(long)]
        validate_only: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Prints one revision of a line's report, the latest by default (TaskService.GetTaskProgress).
    Show {
        #[arg(long)]
        plan: String,
        #[arg(long)]
        task: String,
        #[arg(long)]
        period: String,
        /// The organisation whose line: an agency, a province (its department) or a governing body.
        #[arg(long)]
        reporter: String,
        /// 0 for the latest.
        #[arg(long, default_value_t = 0)]
        revision: i32,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Follows a plan in a province for a period: every line with its status, the overdue ones
    /// (most days late first) and each lead's open and overdue lines (TaskService.GetTaskFollowUp).
    FollowUp {
        #[arg(long)]
        plan: String,
        #[arg(long)]
        period: String,
        /// province:CODE; the caller's own province if omitted.
        #[arg(long, default_value = "")]
        scope: String,
        /// The date lateness is counted on (YYYY-MM-DD); today in Vietnam if omitted.
        #[arg(long, default_value = "")]
        as_of: String,
        /// table, json (the server's answer) or csv (one row per line).
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum MaturityCommand {
    /// Submits a self-assessment from a TOML file (agency, period, framework, [[answer]] with
    /// criterion and one of yes / choice / number, [[evidence]] with criterion, title, link or
    /// document_id, sha256) and prints its score (MaturityService.SubmitSelfAssessment).
    Submit {
        #[arg(long)]
        file: PathBuf,
        /// Check and score only; store nothing.
        #[arg(long)]
        validate_only: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Records the council's points for one criterion of a self-assessment, with a reason
    /// (MaturityService.AppraiseSelfAssessment).
    Appraise {
        /// The self-assessment's id, as its receipt gives it.
        #[arg(long)]
        id: i64,
        #[arg(long)]
        criterion: String,
        /// The points given, such as 1.5.
        #[arg(long)]
        points: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Prints an agency's self-assessment for a period, its appraisals and its scores
    /// (MaturityService.GetSelfAssessment).
    Show {
        #[arg(long)]
        agency: String,
        #[arg(long)]
        period: String,
        /// 0 for the latest.
        #[arg(long, default_value_t = 0)]
        revision: i32,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Prints a period's results for a scope: each agency's final score, level and ranks, the
    /// agencies without a self-assessment, the agencies per level and each pillar's mean and
    /// median (MaturityService.GetMaturityResults).
    Results(MaturityResultsArgs),
    /// The same results as rankings: block by block, the highest final total first, with each
    /// agency's national and provincial rank (ties share a rank).
    Rankings(MaturityResultsArgs),
    /// Compares a scope's results in --period with those of the earlier --baseline, pillar by
    /// pillar as shares of their maximum, and the mean totals when one framework governs both
    /// (MaturityService.CompareMaturityResults).
    Compare {
        #[command(flatten)]
        view: PeriodScope,
        /// The earlier period compared with, such as 2023.
        #[arg(long)]
        baseline: String,
        /// table or json (the server's answer); csv gives one row per pillar.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum AgencyPlanCommand {
    /// Submits an agency's plan from a TOML file (agency, plan, [[commitment]] with target, year
    /// and one of meets / growth ("20%") / share ("70%"), [[task]] with code, name, due_on,
    /// expected_output) and prints its receipt (AgencyPlanService.SubmitAgencyPlan).
    Submit {
        #[arg(long)]
        file: PathBuf,
        /// Check only; store nothing.
        #[arg(long)]
        validate_only: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Approves a plan revision, as its agency's governing body (DecideAgencyPlan).
    Approve {
        /// The revision's id, as its receipt or `pressdx agency-plan list` gives it.
        #[arg(long)]
        id: i64,
        /// A remark, optionally about an entry: "commitments[staff_trained/2026]: text" or
        /// "text"; repeat it for several.
        #[arg(long)]
        remark: Vec<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Returns a plan revision to its agency with reasons, to revise (DecideAgencyPlan).
    Return {
        #[arg(long)]
        id: i64,
        /// Why, optionally about an entry: "tasks[T1]: text" or "text"; at least one, repeat it
        /// for several.
        #[arg(long, required = true)]
        reason: Vec<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Prints an agency's plan, its state and the decisions on it (GetAgencyPlan).
    Show {
        #[arg(long)]
        agency: String,
        #[arg(long)]
        plan: String,
        /// 0 for the latest.
        #[arg(long, default_value_t = 0)]
        revision: i32,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Lists a governing body's agencies and where each one's plan stands (ListAgencyPlans).
    List {
        #[arg(long)]
        plan: String,
        /// By default the token's own governing body.
        #[arg(long, default_value = "")]
        governing_body: String,
        /// The date its agencies are taken on (YYYY-MM-DD); today by default.
        #[arg(long, default_value = "")]
        as_of: String,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Prints an agency's progress in a period against its own commitments, beside the plan's
    /// requirement and its province's figure (GetAgencyPlanProgress).
    Progress {
        #[arg(long)]
        agency: String,
        #[arg(long)]
        plan: String,
        #[arg(long)]
        period: String,
        /// 0 for the plan in force.
        #[arg(long, default_value_t = 0)]
        revision: i32,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub struct MaturityResultsArgs {
    #[command(flatten)]
    pub view: PeriodScope,
    /// table, json (the server's answer) or csv (one row per agency).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Clone, Args)]
pub struct ServerArgs {
    /// The pressdx server to talk to (https://... for TLS, with `--tls-ca`).
    #[arg(long, env = "PRESSDX_SERVER", default_value = "http://127.0.0.1:50051")]
    pub server: String,
    /// The bearer token to call with (see `pressdx token create`). Prefer the environment
    /// variable: a flag is visible to other users of the machine in the process list.
    #[arg(long, env = "PRESSDX_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Trust this CA (PEM) for the server's TLS certificate.
    #[arg(long, env = "PRESSDX_TLS_CA")]
    pub tls_ca: Option<PathBuf>,
    /// Present this client certificate (PEM) to a server that requires one.
    #[arg(long, env = "PRESSDX_TLS_CLIENT_CERT", requires_all = ["tls_client_key", "tls_ca"])]
    pub tls_client_cert: Option<PathBuf>,
    /// The private key of `--tls-client-cert` (PEM).
    #[arg(long, env = "PRESSDX_TLS_CLIENT_KEY", requires = "tls_client_cert")]
    pub tls_client_key: Option<PathBuf>,
}

impl ServerArgs {
    /// Whether `--server` names a TLS server (https://).
    pub fn uses_tls(&self) -> bool {
        self.server.starts_with("https://")
    }
}

/// Keeps the token out of logs and debug output.
impl fmt::Debug for ServerArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerArgs")
            .field("server", &self.server)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("tls_ca", &self.tls_ca)
            .field("tls_client_cert", &self.tls_client_cert)
            .finish()
    }
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The report: a TOML or JSON file with `agency`, `period`, an optional `request_id`, and a
    /// `report` table (see README.md).
    #[arg(long)]
    pub file: PathBuf,
    /// Check the report without storing it.
    #[arg(long)]
    pub validate_only: bool,
    /// The request id; by default the file's `request_id`, or else one derived from the report's
    /// content, so that submitting the same file twice stores it once.
    #[arg(long)]
    pub request_id: Option<String>,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A .jsonl file (one report a line, as JSON in the format `pressdx submit --file` reads), a
    /// .json or .toml report file, or a directory of such files (its subdirectories are not read).
    /// Each report's request id is its own `request_id`, or else derived from its content, so
    /// that importing the same files again stores nothing twice.
    pub path: PathBuf,
    /// Check every report (validate_only) without storing any.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Creates a credential and prints its bearer token on standard output, once: only its hash
    /// is kept. With `--client-cert`, registers that TLS client certificate instead of a token.
    Create {
        /// agency, province, governing_body, ministry or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The agency, province or governing body the credential acts for (not for ministry or
        /// admin).
        #[arg(long)]
        org: Option<String>,
        /// When it stops working: a duration such as 90d or 12h, a date (the start of that day in
        /// Vietnam), or an RFC 3339 instant. Never, if not given.
        #[arg(long)]
        expires: Option<String>,
        /// A note on who holds it, for `token list`.
        #[arg(long, default_value = "")]
        label: String,
        /// Register this client certificate (PEM) rather than create a token: a client presenting
        /// it over mutual TLS acts as this credential.
        #[arg(long)]
        client_cert: Option<PathBuf>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Lists every credential (never its secret).
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revokes a credential, for every server sharing the database, from their next request.
    Revoke {
        /// The credential's id, as `token create` and `token list` print it.
        id: i64,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| {
        let roles: Vec<&str> = Role::ALL.iter().map(|role| role.as_str()).collect();
        format!("not a role: {}", roles.join(", "))
    })
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recomputes the audit log's hash chain and checks what it recorded against the data: every
    /// stored submission, which revision counts and whether it came on time, the catalogue, the
    /// change feed's counter and the credentials. Lists every problem with what changed and exits
    /// 1 if there is any; else prints the chain's head, to keep somewhere else. Like every command
    /// that opens the database, it first brings its schema up to date.
    Verify {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// A review state, as `submissions list --review-state` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReviewStateArg {
    /// Received, not yet reviewed in its latest revision.
    Awaiting,
    Accepted,
    Returned,
}

impl ReviewStateArg {
    pub fn to_proto(self) -> crate::proto::ReviewState {
        match self {
            ReviewStateArg::Awaiting => crate::proto::ReviewState::AwaitingReview,
            ReviewStateArg::Accepted => crate::proto::ReviewState::Accepted,
            ReviewStateArg::Returned => crate::proto::ReviewState::Returned,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Lists the latest revision of each agency's report for a period in a review state (the
    /// ones awaiting review unless --state says otherwise), with its warnings and review; the
    /// same as `pressdx submissions list --latest-only --review-state STATE`.
    List {
        /// The period's code, such as 2026.
        #[arg(long)]
        period: String,
        /// Which review state to list.
        #[arg(long, value_enum, default_value = "awaiting")]
        state: ReviewStateArg,
        /// Only reports accepted with at least one plausibility warning.
        #[arg(long)]
        with_warnings: bool,
        /// table, json or csv, as `pressdx submissions list` writes them.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Accepts a submission, its agency's latest revision for the period
    /// (ReviewService.ReviewSubmission).
    Accept {
        /// The submission's id (`pressdx submissions list --review-state awaiting`).
        #[arg(long)]
        submission: i64,
        /// A remark for the agency, optionally about a field: "report.revenue_vnd: text" or
        /// "text"; repeat it for several.
        #[arg(long)]
        remark: Vec<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Returns a submission to its agency with reasons, to correct with a new revision.
    Return {
        /// The submission's id.
        #[arg(long)]
        submission: i64,
        /// Why, optionally about a field: "report.trained.editors: more than the headcount" or
        /// "text"; at least one, repeat it for several.
        #[arg(long, required = true)]
        reason: Vec<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Reopens a closed period for one agency of the province until an instant, with a reason
    /// (ReviewService.ReopenPeriod), and prints the reopening.
    #[command(group(clap::ArgGroup::new("ends").required(true)))]
    Reopen {
        /// The agency's code.
        #[arg(long)]
        agency: String,
        /// The period's code, such as 2026.
        #[arg(long)]
        period: String,
        /// Until when the agency may submit: a duration from now (7d, 12h), a date (the start of
        /// that day in Vietnam), or an RFC 3339 instant. It must be after the period closes.
        #[arg(long, group = "ends")]
        until: Option<String>,
        /// Instead of --until: for how long (7d, 12h) the agency may submit, counted from the
        /// period's closing while it is still open, and from now once it has closed.
        #[arg(long = "for", id = "for", value_name = "DURATION", group = "ends")]
        for_duration: Option<String>,
        /// Why, for the agency and the audit log.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Drafts the province's report on a plan for a period (CreateProvinceReport): version 1, a
    /// fresh snapshot of the figures into the current draft, or, after a submitted version, a
    /// correction (which needs --correction-reason). Prints the draft and its figures.
    Create {
        /// The plan's code (see `pressdx catalog show`).
        #[arg(long)]
        plan: String,
        /// The period's code, such as 2026.
        #[arg(long)]
        period: String,
        /// The reporting province's code; by default the token's own.
        #[arg(long, default_value = "")]
        province: String,
        /// Why a new version corrects the submitted one: required then, refused before anything
        /// was submitted.
        #[arg(long, default_value = "")]
        correction_reason: String,
        /// Take the figures from the reports the province accepted only.
        #[arg(long)]
        accepted_only: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Writes sections of a draft's narrative (UpdateProvinceReportNarrative): each section given
    /// replaces the draft's, the others keep their text.
    #[command(group(
        clap::ArgGroup::new("sections")
            .required(true)
            .multiple(true)
            .args([
                "results", "results_file", "difficulties", "difficulties_file", "proposals",
                "proposals_file",
            ])
    ))]
    Narrative {
        /// The draft's id (as `report create` and `report list` print it).
        #[arg(long)]
        id: i64,
        /// Kết quả thực hiện: what was done. Paragraphs are separated by blank lines.
        #[arg(long, conflicts_with = "results_file")]
        results: Option<String>,
        /// The results section read from a file (UTF-8), or from standard input with `-`.
        #[arg(long)]
        results_file: Option<PathBuf>,
        /// Khó khăn, vướng mắc: difficulties and obstacles.
        #[arg(long, conflicts_with = "difficulties_file")]
        difficulties: Option<String>,
        /// The difficulties section read from a file, or from standard input with `-`.
        #[arg(long)]
        difficulties_file: Option<PathBuf>,
        /// Đề xuất, kiến nghị: proposals to the Ministry.
        #[arg(long, conflicts_with = "proposals_file")]
        proposals: Option<String>,
        /// The proposals section read from a file, or from standard input with `-`.
        #[arg(long)]
        proposals_file: Option<PathBuf>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Signs and submits a draft to the Ministry (SubmitProvinceReport): reads the draft, prints
    /// what is being signed and its content hash, and submits it with that hash.
    Submit {
        /// The draft's id.
        #[arg(long)]
        id: i64,
        /// Sign only if the draft still has this content hash, as `report show` printed it when
        /// the signer read it; the server refuses the submission if the draft changed since.
        #[arg(long)]
        content_hash: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Prints one version of a report (GetProvinceReport): its header, narrative and figures.
    Show {
        #[command(flatten)]
        report: ReportSelector,
        /// table, json (the server's answer) or csv (one row per target of the snapshot).
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Lists every version of the reports the token reaches, oldest first (ListProvinceReports).
    List {
        /// Only this plan's.
        #[arg(long, default_value = "")]
        plan: String,
        /// Only this period's.
        #[arg(long, default_value = "")]
        period: String,
        /// Only this province's.
        #[arg(long, default_value = "")]
        province: String,
        /// table, json (every page as one ListProvinceReportsResponse) or csv (one row per
        /// version).
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Prints which provinces have submitted their report on a plan for a period, on time or
    /// late, and which have not (GetProvinceReportingStatus; the Ministry's).
    Status {
        /// The plan's code.
        #[arg(long)]
        plan: String,
        /// The period's code.
        #[arg(long)]
        period: String,
        /// table, json (the server's answer) or csv (one row per province).
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Writes one version of a report as a self-contained HTML page (Vietnamese, with a chart per
    /// target, printable on A4) and, optionally, its figures as CSV.
    Render {
        #[command(flatten)]
        report: ReportSelector,
        /// Where to write the HTML page.
        #[arg(long)]
        html: PathBuf,
        /// Where to write the figures as CSV.
        #[arg(long)]
        csv: Option<PathBuf>,
        #[command(flatten)]
        server: ServerArgs,
    },
}

/// Which version of a province report to read: by id, or by plan and period.
#[derive(Debug, Args)]
pub struct ReportSelector {
    /// The version's id (as `report list` prints it); or name the version with --plan and
    /// --period.
    #[arg(
        long,
        required_unless_present = "plan",
        conflicts_with_all = ["plan", "period", "province", "version"]
    )]
    pub id: Option<i64>,
    /// The plan's code (with --period, instead of --id).
    #[arg(long, requires = "period")]
    pub plan: Option<String>,
    /// The period's code (with --plan).
    #[arg(long, requires = "plan")]
    pub period: Option<String>,
    /// The reporting province; by default the token's own.
    #[arg(long)]
    pub province: Option<String>,
    /// The version number; by default the latest the token reads (for the Ministry, the latest
    /// submitted).
    #[arg(long)]
    pub version: Option<i32>,
}

#[derive(Debug, Subcommand)]
pub enum SubmissionsCommand {
    /// Lists stored submissions, oldest first.
    List {
        /// Only this agency's.
        #[arg(long)]
        agency: Option<String>,
        /// Only this period's.
        #[arg(long)]
        period: Option<String>,
        /// Only the latest revision of each agency and period.
        #[arg(long)]
        latest_only: bool,
        /// Only the latest revisions in this review state (implies --latest-only).
        #[arg(long, value_enum)]
        review_state: Option<ReviewStateArg>,
        /// Only submissions accepted with at least one plausibility warning.
        #[arg(long)]
        with_warnings: bool,
        /// table, json (every page as one ListSubmissionsResponse) or csv (one row per
        /// submission, its report included).
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
        #[command(flatten)]
        server: ServerArgs,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            redact_password("postgres://pressdx:s3cret@db:5432/pressdx"),
            "postgres://pressdx:***@db:5432/pressdx"
        );
        // A password holding '@' (percent-encoded, as URLs require, or not).
        assert_eq!(
            redact_password("postgres://pressdx:p%40ss@db/pressdx"),
            "postgres://pressdx:***@db/pressdx"
        );
        assert_eq!(
            redact_password("postgres://pressdx:p@ss@db/pressdx"),
            "postgres://pressdx:***@db/pressdx"
        );
        assert_eq!(
            redact_password("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(redact_password(DEFAULT_DATABASE_URL), DEFAULT_DATABASE_URL);
        let debug = format!(
            "{:?}",
            DatabaseArgs {
                database_url: "postgres://u:s3cret@db/x".into()
            }
        );
        assert!(!debug.contains("s3cret"), "{debug}");
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
