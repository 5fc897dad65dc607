//! Unit tests of the body parsing in `extract.rs` (content type, field names in
//! errors), kept apart so the extractors stay under 400 lines.

use super::{json_content_type, named_field};

#[test]
fn json_content_types_as_axum_accepts_them() {
    let cases = [
        (Some("application/json"), true),
        (Some("application/json; charset=utf-8"), true),
        (Some("Application/JSON;charset=utf-8"), true),
        (Some("application/cloudevents+json"), true),
        (Some("text/json"), false),
        (Some("application/jsonx"), false),
        (Some("json"), false),
        (None, false),
    ];
    for (content_type, want) in cases {
        let mut req = axum::http::Request::builder();
        if let Some(c) = content_type {
            req = req.header("content-type", c);
        }
        let Ok(req) = req.body(axum::body::Body::empty()) else {
            panic!("request");
        };
        assert_eq!(json_content_type(&req), want, "{content_type:?}");
    }
}

#[test]
fn names_the_field_of_a_parse_error() {
    let cases = [
        (
            "limit: number too large to fit in target type",
            Some("limit"),
        ),
        ("missing field `kind`", Some("kind")),
        ("missing field `name` at line 1 column 2", Some("name")),
        (
            "unread: provided string was not `true` or `false`",
            Some("unread"),
        ),
        ("nodes[0].action: invalid type: integer `5`", Some("nodes")),
        // A field missing inside a nested object: the top-level field is at fault.
        (
            "nodes[0]: missing field `handler_id` at line 1 column 40",
            Some("nodes"),
        ),
        (
            "nme: unknown field `nme`, expected one of `name`",
            Some("nme"),
        ),
        ("[0]: invalid type: integer `1`, expected a string", None),
        ("invalid type: expected a map", None),
        ("", None),
    ];
    for (message, want) in cases {
        assert_eq!(named_field(message).as_deref(), want, "{message}");
    }
}
