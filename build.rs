//! Compiles the gRPC contract in `proto/` with protox (pure Rust: no system `protoc` needed) and
//! writes the file descriptor set that server reflection serves.

use std::{env, fs, path::PathBuf};

use prost::Message;

const PROTO_FILES: &[&str] = &[
    "proto/pressdx/v1/report.proto",
    "proto/pressdx/v1/submission.proto",
    "proto/pressdx/v1/catalog.proto",
    "proto/pressdx/v1/summary.proto",
    "proto/pressdx/v1/review.proto",
    "proto/pressdx/v1/province_report.proto",
    "proto/pressdx/v1/maturity.proto",
    "proto/pressdx/v1/agency_plan.proto",
    "proto/pressdx/v1/task.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // protox does not announce what it read, so say it ourselves.
    println!("cargo:rerun-if-changed=proto");

    let file_descriptors = protox::compile(PROTO_FILES, ["proto"])?;

    // `compile_fds` does not write the descriptor set, and reflection needs it.
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("pressdx_descriptor.bin"),
        file_descriptors.encode_to_vec(),
    )?;

    tonic_prost_build::configure()
        // google.rpc.Status comes from tonic-types, so that its error details helpers apply.
        .extern_path(".google.rpc", "::tonic_types::pb")
        // A request that does not decode is the caller's error (src/api/codec.rs).
        .codec_path("crate::api::codec::StrictProstCodec")
        .compile_fds(file_descriptors)?;
    Ok(())
}
