//! Reading a request struct from what a transport received. Both adapters hand over a JSON object:
//! the WebSocket adapter its `params`, the HTTP adapter the route's path parameters, the query
//! string and the JSON body merged into one. Query-string values arrive as text, so the numeric
//! and yes/no fields of the request structs take either a JSON value or its text
//! ([`number`], [`flag`], [`text`]).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::ApiError;

/// The request `T` from a JSON object (`null` counts as `{}`); a mismatch is `INVALID_REQUEST`
/// naming the field.
pub(crate) fn parse<T: DeserializeOwned>(params: Value) -> Result<T, ApiError> {
    let params = match params {
        Value::Null => Value::Object(serde_json::Map::new()),
        object @ Value::Object(_) => object,
        other => {
            return Err(ApiError::Invalid(format!(
                "params must be an object, not {other}"
            )))
        }
    };
    serde_json::from_value(params).map_err(|e| ApiError::Invalid(format!("invalid params: {e}")))
}

/// `value`, or `INVALID_REQUEST` naming `name` when it is empty or only white space.
pub(crate) fn required<'a>(name: &str, value: &'a str) -> Result<&'a str, ApiError> {
    if value.trim().is_empty() {
        Err(ApiError::Invalid(format!(
            "params.{name} (a non-empty string) is required"
        )))
    } else {
        Ok(value)
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Lenient {
    Bool(bool),
    Number(u64),
    Text(String),
}

/// An optional count: a JSON number or its decimal text (`?last=3`).
pub(crate) fn number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<usize>, D::Error> {
    use serde::de::Error;
    match Option::<Lenient>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Lenient::Number(n)) => Ok(Some(usize::try_from(n).unwrap_or(usize::MAX))),
        Some(Lenient::Text(text)) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("{text:?} is not a count"))),
        Some(Lenient::Bool(b)) => Err(D::Error::custom(format!("{b} is not a count"))),
    }
}

/// A yes/no: a JSON boolean, or `1`/`true`/`yes` (anything else is no), as a query string says it.
pub(crate) fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(match Option::<Lenient>::deserialize(deserializer)? {
        None => false,
        Some(Lenient::Bool(b)) => b,
        Some(Lenient::Number(n)) => n == 1,
        Some(Lenient::Text(text)) => matches!(text.trim(), "1" | "true" | "yes"),
    })
}

/// An identifier given as text or as a number (an actor id over WebSocket is a number).
pub(crate) fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    use serde::de::Error;
    match Lenient::deserialize(deserializer)? {
        Lenient::Text(text) => Ok(text),
        Lenient::Number(n) => Ok(n.to_string()),
        Lenient::Bool(b) => Err(D::Error::custom(format!("{b} is not an id"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Probe {
        #[serde(default, deserialize_with = "number")]
        last: Option<usize>,
        #[serde(default, deserialize_with = "flag")]
        flat: bool,
        #[serde(default, deserialize_with = "text")]
        id: String,
    }

    #[test]
    fn query_text_and_json_values_read_the_same() {
        let from_query: Probe = parse(json!({ "last": "3", "flat": "1", "id": "7" })).unwrap();
        let from_ws: Probe = parse(json!({ "last": 3, "flat": true, "id": 7 })).unwrap();
        assert_eq!(from_query, from_ws);
        let nothing: Probe = parse(Value::Null).unwrap();
        assert_eq!(
            nothing,
            Probe {
                last: None,
                flat: false,
                id: String::new()
            }
        );
        let off: Probe = parse(json!({ "flat": "0" })).unwrap();
        assert!(!off.flat);
    }

    #[test]
    fn a_mismatch_is_an_invalid_request_naming_the_field() {
        let error = parse::<Probe>(json!({ "last": "many" })).unwrap_err();
        assert_eq!(error.code(), "INVALID_REQUEST");
        assert!(error.to_string().contains("many"), "{error}");
        assert_eq!(
            parse::<Probe>(json!([1])).unwrap_err().code(),
            "INVALID_REQUEST"
        );
        assert_eq!(required("key", "  ").unwrap_err().code(), "INVALID_REQUEST");
        assert_eq!(required("key", " k ").unwrap(), " k ");
    }
}
