//! The scenario builder: a form an admin fills in instead of writing rhai.
//!
//! `form` is the form's model (the JSON the UI edits); `validate` lists what is wrong
//! with it per field; `render` writes the script, shaped like the shipped
//! `rules/*.rhai`; `parse` reads a builder-made script back into its form, or says
//! why it opens in the code editor. `fields` suggests the fields stored records of a
//! kind have. Scripts stay the source of truth: the builder only writes them.

pub mod fields;
pub mod form;
pub mod parse;
pub mod render;
pub mod validate;

#[cfg(test)]
mod in_engine_tests;
#[cfg(test)]
mod problems_tests;
#[cfg(test)]
mod tests;

pub use form::Form;
pub use parse::{parse, NotBuilder};
pub use render::render;
pub use validate::{problems, Problem};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::actor::Actor;
use crate::error::ServiceResult;
use crate::org::policy::{require_company_admin, CompanyArea};

/// The script for a form, and what to fix before it may be saved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rendered {
    pub script: String,
    /// Empty when the form may be saved.
    pub errors: Vec<Problem>,
}

/// A script read back: its form, or why it opens in the code editor.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Parsed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<Form>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

pub fn render_for(actor: &Actor, form: &Form) -> ServiceResult<Rendered> {
    require_company_admin(actor, CompanyArea::Scenarios)?;
    Ok(Rendered {
        script: render(form),
        errors: problems(form),
    })
}

pub fn parse_for(actor: &Actor, source: &str) -> ServiceResult<Parsed> {
    require_company_admin(actor, CompanyArea::Scenarios)?;
    Ok(match parse(source) {
        Ok(form) => Parsed {
            form: Some(form),
            reason: None,
        },
        Err(e) => Parsed {
            form: None,
            reason: Some(e.to_string()),
        },
    })
}
