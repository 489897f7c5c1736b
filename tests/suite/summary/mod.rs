//! SummaryService, end to end: hand-worked fixtures, an independent recomputation on random data,
//! the change feed, and two servers writing to one database.

pub mod changes;
pub mod facts;
pub mod hand_worked;
pub mod over_time;
pub mod recomputed;
pub mod requests;
