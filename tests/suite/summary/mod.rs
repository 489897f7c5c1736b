//! SummaryService, end to end: hand-worked fixtures, an independent recomputation on random data,
//! the change feed, and two servers writing to one database.

mod changes;
pub mod facts;
mod hand_worked;
mod over_time;
mod recomputed;
mod requests;
