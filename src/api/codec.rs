//! The protobuf codec of pressdx's own services: prost's, except that a message that does not
//! decode (truncated, a wrong wire type, invalid UTF-8 in a string) is the caller's error,
//! INVALID_ARGUMENT with reason `MALFORMED_MESSAGE`, not the INTERNAL that prost's codec answers.
//! A client's retry logic must not retry it, and monitoring must not page anyone for it. Named in
//! build.rs (`codec_path`), so that every method of every pressdx service decodes through it,
//! streams included.

use std::collections::HashMap;

use prost::Message;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic::{Code, Status};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};
use tonic_types::{ErrorDetails, StatusExt};

use super::error::ERROR_DOMAIN;

/// prost's codec, with decoding failures answered INVALID_ARGUMENT.
#[derive(Debug, Clone, Default)]
pub struct StrictProstCodec<T, U> {
    prost: ProstCodec<T, U>,
}

impl<T, U> Codec for StrictProstCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = StrictDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        self.prost.encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        StrictDecoder {
            prost: self.prost.decoder(),
        }
    }
}

/// Decodes as prost does and turns its refusal into the caller's error.
#[derive(Debug)]
pub struct StrictDecoder<U> {
    prost: ProstDecoder<U>,
}

impl<U: Message + Default> Decoder for StrictDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        self.prost.decode(buf).map_err(malformed)
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.prost.buffer_settings()
    }
}

/// The status for a message that does not decode: what prost found, as the caller's error.
pub fn malformed(decode_error: Status) -> Status {
    let description = decode_error.message().to_string();
    let mut details = ErrorDetails::with_bad_request_violation("", description.clone());
    details.set_error_info("MALFORMED_MESSAGE", ERROR_DOMAIN, HashMap::new());
    Status::with_error_details(
        Code::InvalidArgument,
        format!("the request is not a valid protobuf message of its type: {description}"),
        details,
    )
}
