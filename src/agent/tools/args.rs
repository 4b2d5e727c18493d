//! Reading a tool call's JSON arguments with errors the model can act on.
//!
//! Models send arguments as a JSON object; a missing or mistyped field is answered with a
//! message naming the field and the expected type, so the model can correct itself.

use serde_json::Value;

/// A required string field.
pub(crate) fn string<'a>(args: &'a Value, field: &str) -> Result<&'a str, String> {
    match args.get(field) {
        Some(Value::String(text)) => Ok(text),
        Some(other) => Err(format!(
            "argument `{field}` must be a string, got {}",
            kind(other)
        )),
        None => Err(format!("missing argument `{field}` (a string)")),
    }
}

/// An optional string field.
pub(crate) fn opt_string<'a>(args: &'a Value, field: &str) -> Result<Option<&'a str>, String> {
    match args.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => string(args, field).map(Some),
    }
}

/// An optional non-negative integer field (a float with no fraction is accepted).
pub(crate) fn opt_u64(args: &Value, field: &str) -> Result<Option<u64>, String> {
    match args.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
                    .map(|f| f as u64)
            })
            .map(Some)
            .ok_or_else(|| format!("argument `{field}` must be a non-negative integer")),
        Some(other) => Err(format!(
            "argument `{field}` must be a non-negative integer, got {}",
            kind(other)
        )),
    }
}

/// An optional boolean field.
pub(crate) fn opt_bool(args: &Value, field: &str) -> Result<Option<bool>, String> {
    match args.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(format!(
            "argument `{field}` must be true or false, got {}",
            kind(other)
        )),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_are_read_or_explained() {
        let args = json!({ "path": "a.txt", "n": 3, "f": 2.0, "yes": true, "bad": "x" });
        assert_eq!(string(&args, "path"), Ok("a.txt"));
        assert_eq!(opt_u64(&args, "n"), Ok(Some(3)));
        assert_eq!(opt_u64(&args, "f"), Ok(Some(2)));
        assert_eq!(opt_u64(&args, "missing"), Ok(None));
        assert_eq!(opt_bool(&args, "yes"), Ok(Some(true)));
        assert!(string(&args, "n").unwrap_err().contains("a number"));
        assert!(string(&args, "nope")
            .unwrap_err()
            .contains("missing argument `nope`"));
        assert!(opt_u64(&args, "bad").is_err());
    }
}
