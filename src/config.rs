//! Every setting, from command-line flags and `PRESSDX_*` environment variables.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::store::DEFAULT_DATABASE_URL;

/// pressdx: the press digital-transformation reporting service.
///
/// Agencies submit their annual report over gRPC; pressdx checks it, keeps every revision, and
/// serves it to provincial and Ministry systems.
#[derive(Debug, Parser)]
#[command(name = "pressdx", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the gRPC server (migrating the database, and loading the default catalogue into an
    /// empty one).
    Serve(ServeConfig),
    /// Loads or prints the catalogue, working on the database directly.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Submits an annual report (TOML or JSON file) to a running server and prints the receipt or
    /// every violation.
    Submit(SubmitArgs),
    /// Reads submissions from a running server.
    #[command(subcommand)]
    Submissions(SubmissionsCommand),
    /// Prints a plan's target summaries for a period and scope: share, requirement, status.
    Summary(SummaryArgs),
    /// Prints who was expected to report for a period in a scope, who did (on time or late), and
    /// who did not.
    Status(StatusArgs),
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
    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub view: PeriodScope,
    #[command(flatten)]
    pub server: ServerArgs,
}

/// Which period, and which organisations, a figure is about.
#[derive(Debug, Args)]
pub struct PeriodScope {
    /// The period's code, such as 2025.
    #[arg(long)]
    pub period: String,
    /// country, province:CODE, governing_body:CODE, agency_type:TYPE or agency:CODE.
    #[arg(long, default_value = "country")]
    pub scope: String,
}

#[derive(Clone, Args)]
pub struct DatabaseArgs {
    /// Where data is kept: a SQLite file (`sqlite://PATH?mode=rwc`) or PostgreSQL
    /// (`postgres://user@host/db`).
    #[arg(long, env = "PRESSDX_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
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

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// The address to listen on; port 0 picks a free port.
    #[arg(long, env = "PRESSDX_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
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
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Prints the catalogue loaded in the database.
    Show {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// The pressdx server to talk to.
    #[arg(long, env = "PRESSDX_SERVER", default_value = "http://127.0.0.1:50051")]
    pub server: String,
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
        assert_eq!(
            redact_password("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(redact_password(DEFAULT_DATABASE_URL), DEFAULT_DATABASE_URL);
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
