//! Work taken off tokio's async workers.

use super::error::AppError;

/// Runs `work` on tokio's blocking threads: computing figures over every agency of a scope takes
/// milliseconds at national scale, longer than an async worker should be held (Quickwit's 500 µs
/// rule), and would stall every other request on that worker meanwhile.
pub async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| AppError::Internal(format!("a computation of figures failed: {error}")))?
}
