//! The error answers every operation can give, added to the OpenAPI document in one
//! place. They come from the shared error layer (`error.rs`) and the extractors, not
//! from the handlers, so writing them on each `#[utoipa::path]` would drift: a client
//! generated from the document (or schemathesis' status-code check) would meet
//! undocumented 400s and 404s. Statuses a handler already documents are left alone.

use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, ResponseBuilder};

/// Adds the shared error statuses to every operation of `doc`.
pub fn document_errors(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            (false, &mut item.get),
            (true, &mut item.put),
            (true, &mut item.post),
            (true, &mut item.delete),
            (true, &mut item.patch),
        ];
        for (writes, op) in ops {
            if let Some(op) = op.as_mut() {
                for (status, why) in statuses(path, writes, op) {
                    add(op, status, why);
                }
            }
        }
    }
}

/// Which error statuses one operation can answer, with what causes them.
fn statuses(path: &str, writes: bool, op: &Operation) -> Vec<(&'static str, &'static str)> {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_input = !params.is_empty() || op.request_body.is_some();
    let mut out = vec![
        (
            "401",
            "not logged in, or a wrong password or token (`unauthenticated`, `invalid_credentials`)",
        ),
        (
            "403",
            "not allowed for this caller, or a cookie-authenticated write without `X-CSRF-Token` (`forbidden`, `csrf`)",
        ),
        (
            "500",
            "the server failed; the message says little, the server log says all (`internal`)",
        ),
    ];
    if has_input {
        out.push((
            "400",
            "a parameter or body that cannot work; `field` names it when it is one field (`invalid`, `bad_request`)",
        ));
    }
    if has_input {
        // Ids also arrive in query strings and bodies (`department_id`, `project_id`).
        out.push((
            "404",
            "an object the path or the request names does not exist or is not visible to the caller (`not_found`)",
        ));
    }
    if writes {
        out.push((
            "409",
            "the object changed since the given revision, or the name is taken (`conflict`)",
        ));
        out.push((
            "507",
            "the server's disk is below its free-space floor: nothing was saved (`insufficient_storage`)",
        ));
    }
    if op.request_body.is_some() {
        out.push(("413", "the body is larger than the limit (`too_large`)"));
    }
    if path == "/api/login" {
        out.push((
            "429",
            "too many failed logins for this account or address (`rate_limited`)",
        ));
    }
    out
}

fn add(op: &mut Operation, status: &str, why: &str) {
    if op.responses.responses.contains_key(status) {
        return;
    }
    let body = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build();
    let response = ResponseBuilder::new()
        .description(why)
        .content("application/json", body)
        .build();
    op.responses
        .responses
        .insert(status.to_string(), response.into());
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_write_with_a_path_and_body_gets_every_status() {
        let doc = crate::http::openapi();
        let json = serde_json::to_value(&doc).unwrap_or_default();
        let responses = &json["paths"]["/api/tasks/{id}"]["patch"]["responses"];
        for s in ["200", "400", "401", "403", "404", "409", "413", "500"] {
            assert!(responses.get(s).is_some(), "{s} missing: {responses}");
        }
        let list = &json["paths"]["/api/tasks/{id}/log"]["get"]["responses"];
        assert!(list.get("409").is_none(), "a read has no conflict: {list}");
        assert!(list.get("413").is_none(), "a read has no body: {list}");
        assert!(json["paths"]["/api/login"]["post"]["responses"]
            .get("429")
            .is_some());
    }
}
