//! The command line a person uses, run as the real binary against a real server and database.

mod command;
mod documents;
mod errors;
mod operators;
mod reports;
