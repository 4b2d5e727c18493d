//! The HTTP side of the operator API ([`crate::api`]): a route handler is one line, the call of
//! its [`Operator`](crate::api::Operator) method.
//!
//! - [`Req<T>`] extracts the operation's request struct from the route's path parameters, the
//!   query string and the JSON body, merged into one object (a path parameter wins over a query
//!   or body field of the same name) and read by [`crate::api::params::parse`], as the WebSocket
//!   adapter reads `params`. A request that does not read is `400 INVALID_REQUEST`.
//! - [`Answer<T>`] is the handler's result: the response struct as JSON (200), or the
//!   [`ApiError`] at its status with the body `{ok: false, error: {code, message}}`.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use futures_util::future::LocalBoxFuture;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::api::{params, ApiError, ErrorReply};

/// What an operator route answers.
pub(crate) type Answer<T> = Result<web::Json<T>, ApiError>;

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(ErrorReply::from(self))
    }
}

/// The request struct of an operation, read from the whole HTTP request.
pub(crate) struct Req<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Req<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Path parameters through actix's own decoding (a `+` or `#` in a session key arrives
        // percent-encoded), the query string as pairs, the body as bytes.
        let path = web::Path::<PathParams>::extract(request);
        let query = web::Query::<Vec<(String, String)>>::from_query(request.query_string());
        let body = web::Bytes::from_request(request, payload);
        Box::pin(async move {
            let invalid = |what: &str, e: &dyn std::fmt::Display| {
                ApiError::Invalid(format!("invalid {what}: {e}"))
            };
            let mut merged = Map::new();
            for (name, value) in query.map_err(|e| invalid("query string", &e))?.into_inner() {
                merged.insert(name, Value::String(value));
            }
            let body = body.await.map_err(|e| invalid("body", &e))?;
            if !body.iter().all(u8::is_ascii_whitespace) {
                match serde_json::from_slice::<Value>(&body)
                    .map_err(|e| invalid("JSON body", &e))?
                {
                    Value::Object(fields) => merged.extend(fields),
                    Value::Null => {}
                    other => {
                        return Err(ApiError::Invalid(format!(
                            "the body must be a JSON object, not {other}"
                        )))
                    }
                }
            }
            let path = path.await.map_err(|e| invalid("path", &e))?;
            for (name, value) in path.into_inner().0 {
                merged.insert(name, Value::String(value));
            }
            params::parse(Value::Object(merged)).map(Req)
        })
    }
}

/// A route's path parameters, read through `web::Path` so that they are percent-decoded as
/// every actix handler sees them (its deserializer gives names as identifiers, hence [`Name`]).
struct PathParams(Vec<(String, String)>);

impl<'de> Deserialize<'de> for PathParams {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Params;
        impl<'de> Visitor<'de> for Params {
            type Value = PathParams;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("path parameters")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PathParams, A::Error> {
                let mut params = Vec::new();
                while let Some(Name(name)) = map.next_key()? {
                    params.push((name, map.next_value()?));
                }
                Ok(PathParams(params))
            }
        }
        deserializer.deserialize_map(Params)
    }
}

/// A path parameter's name.
struct Name(String);

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Ident;
        impl Visitor<'_> for Ident {
            type Value = Name;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a parameter name")
            }

            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Name, E> {
                Ok(Name(name.to_string()))
            }
        }
        deserializer.deserialize_identifier(Ident)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_error_answers_its_status_with_its_code() {
        for error in ApiError::examples() {
            let response = error.error_response();
            assert_eq!(response.status().as_u16(), error.status(), "{error:?}");
            assert_eq!(error.status_code().as_u16(), error.status());
        }
    }

    #[actix_web::test]
    async fn path_query_and_body_merge_into_the_request() {
        use actix_web::test::TestRequest;
        #[derive(serde::Deserialize)]
        struct Probe {
            key: String,
            #[serde(deserialize_with = "params::number")]
            last: Option<usize>,
            code: String,
        }
        let request = TestRequest::post()
            .uri("/x?last=3&key=ignored")
            .param("key", "agent:main%2Bone")
            .set_payload(r#"{"code":"AB12"}"#)
            .to_http_parts();
        let (request, mut payload) = request;
        let Req(probe) = Req::<Probe>::from_request(&request, &mut payload)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (probe.key.as_str(), probe.last, probe.code.as_str()),
            ("agent:main+one", Some(3), "AB12")
        );
        let (request, mut payload) = TestRequest::post().set_payload("[1]").to_http_parts();
        let refused = Req::<Probe>::from_request(&request, &mut payload).await;
        assert_eq!(refused.err().map(|e| e.code()), Some("INVALID_REQUEST"));
    }
}
