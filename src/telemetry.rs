//! Logging: tracing-subscriber, filtered by `RUST_LOG`.

use tracing_subscriber::EnvFilter;

/// What is logged when `RUST_LOG` is not set: our own info, and only warnings from the SQL layers.
const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

/// Installs the global subscriber, writing to standard error so that standard output stays free
/// for what a command prints. Calling it twice is harmless.
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
