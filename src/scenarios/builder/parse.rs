//! Source → form, or why the script no longer fits the builder.
//!
//! A builder-made script carries its form on its last line. The form is trusted only
//! when rendering it again gives the script as it stands, so an edit by hand anywhere
//! (a changed threshold, an added `fn wake_at`) is noticed and named, and the script
//! opens in the code editor instead of losing that edit.

use super::form::Form;
use super::render::{render, FORM_LINE, MARK};

/// Why a script opens in the code editor; the message is shown as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotBuilder {
    #[error("it was written by hand, not with the builder")]
    NotMarked,
    #[error("its builder form (the last line) is missing or damaged")]
    FormDamaged,
    #[error("it was edited by hand after the builder wrote it (line {0} differs)")]
    Edited(usize),
}

/// Lines without trailing spaces or `\r`: what an editor may change on its own.
fn lines(s: &str) -> Vec<&str> {
    let mut v: Vec<&str> = s.lines().map(str::trim_end).collect();
    while v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

pub fn parse(source: &str) -> Result<Form, NotBuilder> {
    let have = lines(source);
    if !have.first().is_some_and(|l| l.starts_with(MARK)) {
        return Err(NotBuilder::NotMarked);
    }
    let form: Form = have
        .last()
        .and_then(|l| l.strip_prefix(FORM_LINE.trim_end()))
        .and_then(|json| serde_json::from_str(json.trim()).ok())
        .ok_or(NotBuilder::FormDamaged)?;
    let rendered = render(&form);
    let want = lines(&rendered);
    // The form line itself is compared as a form (above), not as text.
    let body = |v: &[&str]| v.len().saturating_sub(1);
    let (hb, wb) = (body(&have), body(&want));
    if let Some(i) = (0..hb.max(wb)).find(|&i| have.get(i) != want.get(i)) {
        return Err(NotBuilder::Edited(i + 1));
    }
    Ok(form)
}
