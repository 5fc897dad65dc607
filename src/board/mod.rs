//! The notice board beside the tasks: announcements, feedback and news feeds.

pub mod announce;
pub mod feedback;
pub mod news;
