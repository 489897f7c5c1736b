//! pressdx: receives Vietnam's press agencies' annual digital-transformation reports over gRPC,
//! keeps every revision, and serves them to the provincial and Ministry systems.
//!
//! The direction of the arrows: the faces (`api` for gRPC, `cli`, `server`) -> `app` (workflows,
//! state, access) -> `store` (database) and `domain` (pure rules); `store` -> `domain`.

pub mod api;
pub mod app;
pub mod catalog_file;
pub mod cli;
pub mod config;
pub mod domain;
pub mod metrics;
pub mod report;
pub mod server;
pub mod store;
pub mod telemetry;

/// The code generated from `proto/pressdx/v1`.
pub mod proto {
    tonic::include_proto!("pressdx.v1");

    /// The file descriptor set that server reflection serves.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/pressdx_descriptor.bin"));
}
