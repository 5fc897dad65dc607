//! What the services did, as typed facts.
//!
//! A service decides and stores its change, then hands these to [`super::stage`] in
//! the same write; the consumers (`log`, `write_back`, `scenario_stats`, `messages`)
//! turn them into task-log lines, statistics, outbox items and inbox messages. No
//! service writes the log or the inbox itself, so what a change causes is read in one
//! place. Each event carries everything its consumers need (recipients the service
//! was allowed to tell, the titles of that moment, a flow change's task as it is
//! now), so a consumer loads little.

use chrono::{DateTime, Utc};

use crate::flow::apply::{LogLine, Notice, Outcome};
use crate::flow::Task;

/// The task an event is about, as it was named at that moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRef {
    pub id: u64,
    pub title: String,
}

/// One thing a task edit changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Title,
    Description,
    BusinessType,
    Priority,
    /// The task's deadline moved.
    Deadline {
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    },
    Watchers {
        added: Vec<u64>,
        removed: Vec<u64>,
    },
    Editors {
        added: Vec<u64>,
        removed: Vec<u64>,
    },
    /// The steps after the current one (handlers, actions, deadlines).
    Steps,
    Checklist,
    /// Custom field values.
    Fields,
}

impl Edit {
    /// How the task log names it ("changed title, due time").
    pub fn label(&self) -> &'static str {
        match self {
            Edit::Title => "title",
            Edit::Description => "description",
            Edit::BusinessType => "business type",
            Edit::Priority => "priority",
            Edit::Deadline { .. } => "due time",
            Edit::Watchers { .. } => "watchers",
            Edit::Editors { .. } => "editors",
            Edit::Steps => "steps",
            Edit::Checklist => "checklist",
            Edit::Fields => "fields",
        }
    }
}

/// A reminder about a task's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    /// The deadline is nearer than the configured lead.
    DueSoon,
    /// The deadline has passed (repeated daily).
    Overdue,
}

/// A flow change on a task: what `flow::apply` returned (its log line, typed flow
/// facts and notices), with the task as it is after the change (already staged).
#[derive(Debug, Clone, PartialEq)]
pub struct FlowChange {
    pub task: Task,
    /// The change's own log line, with `facts` on it. `None`: it writes none (the
    /// arrival at a new task's first step, whose line is the creation's; a step
    /// condition's error kept on the step), only its messages.
    pub line: Option<LogLine>,
    pub facts: Vec<crate::flow::events::Event>,
    /// Who is told, and how.
    pub notices: Vec<Notice>,
    /// Inbox messages that no longer ask anything of their reader (a withdrawal takes
    /// back what the inbox said about the step): marked read.
    pub taken_back: Vec<u64>,
}

impl FlowChange {
    /// The change `outcome` made to `task` (as it is now), taking nothing back.
    pub fn new(task: Task, outcome: Outcome) -> Self {
        FlowChange {
            task,
            line: Some(outcome.log),
            facts: outcome.events,
            notices: outcome.notices,
            taken_back: Vec::new(),
        }
    }

    /// Messages about `task` (as it is now) for `notices`, with no log line of
    /// their own.
    pub fn notices_only(task: Task, notices: Vec<Notice>) -> Self {
        FlowChange {
            task,
            line: None,
            facts: Vec::new(),
            notices,
            taken_back: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A flow operation (or the system passing a step by, auto-closing a scenario
    /// task) changed the task; boxed, as it carries the whole task.
    Flowed(Box<FlowChange>),
    /// A task was stored: the flow facts of its creation (`TaskCreated`, the first
    /// `StepReached`, for the log and statistics) and its first handler (`None`: the
    /// conditions skipped every step, the task is finished at once).
    Created {
        task: TaskRef,
        first_handler: Option<u64>,
        facts: Vec<crate::flow::events::Event>,
        /// The other handlers of a first step of kind all/any (told like the first).
        also_handlers: Vec<u64>,
        /// The candidates of a first step to claim (`first_handler` is then nobody).
        candidates: Vec<u64>,
    },
    /// `by` commented on the task: `mentions` are the named people who may see it,
    /// `participants` everyone with a part in it.
    Commented {
        task: TaskRef,
        by: u64,
        body: String,
        mentions: Vec<u64>,
        participants: Vec<u64>,
    },
    Edited {
        task: u64,
        changes: Vec<Edit>,
    },
    /// A checklist item was ticked or unticked (the flow's line says which).
    ItemChecked {
        task: u64,
        line: LogLine,
    },
    Attached {
        task: u64,
        name: String,
    },
    Detached {
        task: u64,
        name: String,
    },
    Deleted {
        task: TaskRef,
    },
    /// The task was copied to the new task `to`.
    Copied {
        task: u64,
        to: u64,
    },
    Moved {
        task: u64,
        from_project: u64,
        to_project: u64,
    },
    /// Archived alone, or with every finished task of its project.
    Archived {
        task: u64,
        with_project: bool,
    },
    /// A due-soon or overdue reminder for the current step's handlers — every open
    /// share of an all/any step, the candidates of an unclaimed one — (overdue: the
    /// creator too).
    Reminded {
        task: TaskRef,
        kind: Reminder,
        handler: Vec<u64>,
        creator: u64,
    },
    /// Escalation `level` (1 = first) of a scenario task went out to `notify`.
    Escalated {
        task: TaskRef,
        level: usize,
        notify: Vec<u64>,
    },
    /// Announcement `id` was published; `to` are the active users told.
    Announced {
        id: u64,
        title: String,
        to: Vec<u64>,
    },
    /// `by` sent feedback `id`; the admins who answer it hear of it.
    FeedbackSent {
        id: u64,
        title: String,
        by: u64,
        admins: Vec<u64>,
    },
    /// An admin answered feedback `id` of `author`.
    FeedbackAnswered {
        id: u64,
        title: String,
        author: u64,
    },
    /// The server switched a scenario off for running away; the company admins hear.
    ScenarioQuarantined {
        name: String,
        reason: String,
        admins: Vec<u64>,
    },
    /// The actor acted on the task: these inbox messages about it have been seen.
    Seen {
        messages: Vec<u64>,
    },
}
