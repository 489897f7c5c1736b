//! Who may call what: the table of every RPC against every kind of caller, revocation seen by every
//! server at once, TLS and mutual TLS, the request limits, and the audit chain catching a row edited
//! behind pressdx's back.

mod audit;
mod matrix;
mod refusals;
mod subjects;
mod transport;
