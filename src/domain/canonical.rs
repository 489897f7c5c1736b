//! Canonical JSON: the one byte-exact spelling of a value that pressdx hashes, so that a hash
//! depends on what a value says and never on how a library happens to write it.
//!
//! The form (pressdx.v1.SubmissionReceipt.content_hash states it for integrators):
//! - no whitespace between tokens;
//! - object members sorted by key, comparing the keys' UTF-8 bytes;
//! - an object member whose value is null, an empty array or an empty object (once this rule has
//!   been applied inside it) is left out, so that a field nobody answered, and a field that did not
//!   exist yet when the value was written, contribute nothing;
//! - array elements keep their order and are never left out;
//! - strings escape only `"`, `\` and U+0000 to U+001F (as `\b`, `\f`, `\n`, `\r`, `\t`, or
//!   `\u00xx` with lowercase hex), everything else as raw UTF-8;
//! - integers in plain decimal, exactly (no exponent, no rounding, however large).

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// `value`, pruned and written in canonical form.
pub fn to_canonical_json(value: &impl Serialize) -> String {
    // Plain structs, enums, strings and integers always serialise to JSON.
    let value = serde_json::to_value(value).unwrap_or(Value::Null);
    let mut out = String::new();
    write(&prune(value), &mut out);
    out
}

/// "sha256:" and the lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// Whether a member with this value is left out of its object.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(members) => members.is_empty(),
        _ => false,
    }
}

/// Applies the leaving-out rule inside `value`.
fn prune(value: Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .into_iter()
                .map(|(key, member)| (key, prune(member)))
                .filter(|(_, member)| !is_empty(member))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(prune).collect()),
        other => other,
    }
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Object(members) => {
            // Sorted here rather than trusting the map's order, which a crate feature can change.
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|(a, _), (b, _)| a.as_bytes().cmp(b.as_bytes()));
            out.push('{');
            for (index, (key, member)) in sorted.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write(member, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::String(text) => write_string(text, out),
        // Integers print exactly; pressdx hashes no fractions.
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
    }
}

fn write_string(text: &str, out: &mut String) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            control if u32::from(control) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(control)));
            }
            other => out.push(other),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_are_sorted_and_empty_ones_left_out_but_array_elements_kept() {
        let value = json!({
            "b": 1,
            "a": {"z": null, "y": [], "x": {}},
            "c": [{}, null, {"k": null}],
            "d": false,
            "e": 0,
            "f": "",
        });
        assert_eq!(
            to_canonical_json(&value),
            r#"{"b":1,"c":[{},null,{}],"d":false,"e":0,"f":""}"#
        );
    }

    #[test]
    fn strings_escape_only_what_json_requires() {
        let value = json!({"name": "Báo \"Mới\"\\\n\t\u{1}\u{7f}é"});
        assert_eq!(
            to_canonical_json(&value),
            "{\"name\":\"Báo \\\"Mới\\\"\\\\\\n\\t\\u0001\u{7f}é\"}"
        );
    }

    #[test]
    fn large_integers_are_exact() {
        let value = json!({"revenue": 9_007_199_254_740_993_i64, "loss": -5});
        assert_eq!(
            to_canonical_json(&value),
            r#"{"loss":-5,"revenue":9007199254740993}"#
        );
    }
}
