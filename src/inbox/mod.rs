//! The inbox: messages to users about tasks (assigned, transferred, returned, …),
//! read state and the follow-up flag (待处理). Messages are written in the same batch
//! as the change that caused them, so none is lost or sent twice.

pub mod model;
pub mod service;

pub use model::{Message, MessageKind};
