//! The subcommands a person runs: the server itself, the catalogue tools that work on the database
//! directly, and the client commands that talk to a running server.
//!
//! Commands write to standard output through `writeln!`, never `println!`, which panics when the
//! reader has gone (`pressdx summary ... | head -1`); the write error travels up instead, and
//! [`run`] ends the command quietly.

// A `println!` would bring the panic back.
#![warn(clippy::print_stdout)]

mod agency_plan;
mod audit;
mod bench;
mod catalog;
pub mod client;
mod diagnosis;
mod import;
mod maturity;
mod output;
mod report;
mod report_file;
mod review;
mod submissions;
mod summaries;
mod tasks;
mod tokens;

use std::error::Error;
use std::io;
use std::process::ExitCode;

use crate::app::admin::{Admin, describe_database};
use crate::config::{
    AuditCommand, CatalogCommand, Command, ReviewCommand, SubmissionsCommand, TokenCommand,
};
use crate::proto::ReviewDecision;
use crate::server::{Server, shutdown_signal};

pub use report_file::ReportFile;

/// What a subcommand ends with: an exit code, or an error to print.
pub type CliResult = Result<ExitCode, Box<dyn Error>>;

/// The exit code of a command whose input was refused (as opposed to one that failed).
pub const EXIT_REFUSED: u8 = 2;

/// Opens the database an operator command works on: an existing one only, named on standard
/// error so that the operator sees which.
pub async fn open_database(database_url: &str) -> Result<Admin, Box<dyn Error>> {
    eprintln!("database: {}", describe_database(database_url));
    Ok(Admin::open_existing(database_url).await?)
}

/// Who the audit log names for a change made with the CLI on the database directly: whoever holds
/// the database file or URL is the operator.
pub fn operator() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_string());
    format!("operator {user} (pressdx cli)")
}

/// Runs a command. A reader that stopped reading (`| head`) is not a failure: the command has
/// said all anyone wanted to hear, and ends with success and without a word, as ripgrep does.
/// (The alternative, restoring the default SIGPIPE action, would need unsafe code and would
/// also apply to the server's own sockets.)
pub async fn run(command: Command) -> CliResult {
    match dispatch(command).await {
        Err(error) if is_broken_pipe(error.as_ref()) => Ok(ExitCode::SUCCESS),
        result => result,
    }
}

/// Whether the error, or one of its causes, is a write to a pipe nobody reads any more.
fn is_broken_pipe(error: &(dyn Error + 'static)) -> bool {
    diagnosis::causes(error).any(|error| {
        error
            .downcast_ref::<io::Error>()
            .is_some_and(|error| error.kind() == io::ErrorKind::BrokenPipe)
    })
}

async fn dispatch(command: Command) -> CliResult {
    match command {
        Command::Serve(config) => {
            let server = Server::build(&config).await?;
            server.run_until_stopped(shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Catalog(CatalogCommand::Import {
            file,
            dry_run,
            accept_unrecorded_changes,
            database,
        }) => {
            let how = catalog::ImportOptions {
                dry_run,
                accept_unrecorded_changes,
            };
            catalog::import(&file, how, &database.database_url).await
        }
        Command::Catalog(CatalogCommand::Show { database }) => {
            catalog::show(&database.database_url).await
        }
        Command::Submit(args) => submissions::submit(args).await,
        Command::Import(args) => import::import(args).await,
        Command::Submissions(SubmissionsCommand::List {
            agency,
            period,
            latest_only,
            review_state,
            with_warnings,
            output,
            server,
        }) => {
            let filter = submissions::Filter {
                agency,
                period,
                latest_only,
                review_state,
                with_warnings,
            };
            submissions::list(filter, output, &server).await
        }
        Command::Summary(args) => summaries::summary(args).await,
        Command::Status(args) => summaries::status(args).await,
        Command::Maturity(command) => maturity::run(command).await,
        Command::AgencyPlan(command) => agency_plan::run(command).await,
        Command::Tasks(command) => tasks::run(command).await,
        Command::Review(ReviewCommand::List {
            period,
            state,
            with_warnings,
            output,
            server,
        }) => {
            let filter = submissions::Filter {
                agency: None,
                period: Some(period),
                latest_only: true,
                review_state: Some(state),
                with_warnings,
            };
            submissions::list(filter, output, &server).await
        }
        Command::Review(ReviewCommand::Reopen {
            agency,
            period,
            until,
            for_duration,
            reason,
            server,
        }) => {
            let until = match (until, for_duration) {
                (Some(until), _) => review::Until::At(until),
                (None, Some(duration)) => review::Until::For(duration),
                // clap requires one of them: none reads as an empty --until, refused as such.
                (None, None) => review::Until::At(String::new()),
            };
            review::reopen(&agency, &period, until, &reason, &server).await
        }
        Command::Review(ReviewCommand::Accept {
            submission,
            remark,
            server,
        }) => review::decide(submission, ReviewDecision::Accept, &remark, &server).await,
        Command::Review(ReviewCommand::Return {
            submission,
            reason,
            server,
        }) => review::decide(submission, ReviewDecision::Return, &reason, &server).await,
        Command::Report(command) => report::run(command).await,
        Command::Token(TokenCommand::Create {
            role,
            org,
            expires,
            label,
            client_cert,
            database,
        }) => {
            let new = tokens::NewToken {
                role,
                organization: org,
                expires,
                label,
                client_cert,
            };
            tokens::create(new, &database.database_url).await
        }
        Command::Token(TokenCommand::List { database }) => {
            tokens::list(&database.database_url).await
        }
        Command::Token(TokenCommand::Revoke { id, database }) => {
            tokens::revoke(id, &database.database_url).await
        }
        Command::Audit(AuditCommand::Verify { database }) => {
            audit::verify(&database.database_url).await
        }
        Command::Bench(args) => bench::run(args).await,
    }
}
