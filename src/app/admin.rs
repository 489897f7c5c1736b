//! Administration: opening the database, the catalogue, credentials and the audit chain, for the
//! CLI and the server's start.
