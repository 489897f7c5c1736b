//! What the read commands print for programs rather than people: the server's answer as JSON or
//! CSV. Both are read off the proto's own descriptors (prost-reflect), so they spell every field
//! as `proto/pressdx/v1` does and follow it when it grows; each command draws its own table.

use std::io::{self, Write};

use prost::Message;
use prost_reflect::{
    DescriptorPool, DynamicMessage, Kind, MessageDescriptor, ReflectMessage, SerializeOptions,
};
use serde_json::Value;

use crate::proto::FILE_DESCRIPTOR_SET;

/// The proto3 JSON mapping, as pressdx prints it.
fn json_options() -> SerializeOptions {
    SerializeOptions::new()
        // `target_code`, as in the .proto (the mapping's default is `targetCode`).
        .use_proto_field_name(true)
        // Zeros, `false` and empty lists too, so that a script finds every key it looks for. A
        // field that may be absent (`optional`, or a message) is left out when it is.
        .skip_default_fields(false)
        // Ids and counts as numbers, which jq and spreadsheets compare as numbers; none comes near
        // 2^53. A proto3 JSON parser reads them as readily as the mapping's strings.
        .stringify_64_bit_integers(false)
}

/// `message`, a generated message of the proto type `type_name` (such as
/// "pressdx.v1.ReportingStatus"), as one whose fields can be read by their proto names.
fn reflect(message: &impl Message, type_name: &str) -> io::Result<DynamicMessage> {
    let pool = DescriptorPool::decode(FILE_DESCRIPTOR_SET).map_err(io::Error::other)?;
    let descriptor = pool
        .get_message_by_name(type_name)
        .ok_or_else(|| io::Error::other(format!("no message {type_name} in the proto")))?;
    DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice()).map_err(io::Error::other)
}

/// Writes `message` as one JSON document, its fields in the proto's order.
///
/// Like [`write_csv`], it renders in memory and writes once, so that a failed write (a reader gone
/// away) reaches the caller as the plain I/O error it is.
pub fn write_json(out: &mut impl Write, message: &impl Message, type_name: &str) -> io::Result<()> {
    let message = reflect(message, type_name)?;
    let mut json = serde_json::Serializer::pretty(Vec::new());
    message
        .serialize_with_options(&mut json, &json_options())
        .map_err(io::Error::other)?;
    let mut json = json.into_inner();
    json.push(b'\n');
    out.write_all(&json)
}

/// Writes the messages in `message`'s repeated field `rows` (such as the `summaries` of a
/// ListTargetSummariesResponse) as CSV: a header row, then one row each.
pub fn write_csv(
    out: &mut impl Write,
    message: &impl Message,
    type_name: &str,
    rows: &str,
) -> io::Result<()> {
    let message = reflect(message, type_name)?;
    let row_type = message
        .descriptor()
        .get_field_by_name(rows)
        .and_then(|field| match field.kind() {
            Kind::Message(row_type) if field.is_list() => Some(row_type),
            _ => None,
        })
        .ok_or_else(|| io::Error::other(format!("{type_name} has no list of messages {rows}")))?;
    let columns = columns(&row_type);
    let document = message
        .serialize_with_options(serde_json::value::Serializer, &json_options())
        .map_err(io::Error::other)?;

    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(&columns).map_err(io::Error::other)?;
    for row in document[rows].as_array().into_iter().flatten() {
        let cells = columns.iter().map(|column| cell(row, column));
        csv.write_record(cells).map_err(io::Error::other)?;
    }
    let csv = csv.into_inner().map_err(io::Error::other)?;
    out.write_all(&csv)
}

/// A row's columns: its fields in the proto's order, with a nested message's fields in its place
/// as `outer.inner`. A timestamp, which JSON writes as one string, stays one column.
fn columns(row_type: &MessageDescriptor) -> Vec<String> {
    let mut columns = Vec::new();
    for field in row_type.fields() {
        match field.kind() {
            Kind::Message(nested)
                if !field.is_list()
                    && !field.is_map()
                    && !nested.full_name().starts_with("google.protobuf.") =>
            {
                let inner = self::columns(&nested).into_iter();
                columns.extend(inner.map(|column| format!("{}.{column}", field.name())));
            }
            _ => columns.push(field.name().to_string()),
        }
    }
    columns
}

/// One cell: a text as it is, an absent field empty, anything else (a number, a list) as JSON.
fn cell(row: &Value, column: &str) -> String {
    match row.pointer(&format!("/{}", column.replace('.', "/"))) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}
