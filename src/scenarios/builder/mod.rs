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
mod tests;

pub use form::Form;
pub use parse::{parse, NotBuilder};
pub use render::render;
pub use validate::{problems, Problem};
