//! The `pressdx` binary: parses the command line, sets up logging, and hands over to the library.

use std::process::ExitCode;

use pressdx::config::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse_command_line();
    pressdx::telemetry::init(cli.log_format);
    match pressdx::cli::run(cli.command).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
