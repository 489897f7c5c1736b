//! Logging: tracing-subscriber, filtered by `RUST_LOG`, as text for a person (coloured only on a
//! terminal) or as one JSON object a line for a log collector (`--log-format json`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// What is logged when `RUST_LOG` is not set: our own info, and only warnings from the SQL layers.
const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Lines for a person to read.
    Text,
    /// One JSON object a line, with its fields, for a log collector.
    Json,
}

/// Installs the global subscriber, writing to standard error so that standard output stays free
/// for what a command prints. Calling it twice is harmless.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        // Colour codes are for terminals: in a file or a pipe they are noise.
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
    };
}
