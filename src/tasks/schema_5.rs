//! Schema step 4 → 5: fewer keys per task (issue 13). Index entries that said what
//! another entry of the same record already says are folded into it:
//!
//! - the statistics' deadline index (`stat_due`): overdue counts read the todo index;
//! - the creator index (`task_created`): the creator's entry in the visible-to index
//!   is marked (`{user}/c`);
//! - the unread index (`inbox_unread`): a message's one inbox entry says whether it
//!   was read (`{user}/u` or `{user}/r`).
//!
//! Each part drops the old entries and rewrites the index from the records, a chunk
//! per write; an interrupted step runs again whole at the next open. The task log's
//! half of the step (one value per task, no tallies) is `stats::schema_5`.

use crate::flow::Task;
use crate::inbox::model::{ix as inbox_ix, Message};
use crate::stats::record::IX_DUE;
use crate::store::{Store, StoreError};

use super::record::ix;

pub fn step(store: &Store) -> Result<(), StoreError> {
    store.drop_multi_index(IX_DUE)?;
    store.drop_multi_index(ix::CREATED)?;
    store.rebuild_multi_index::<Task>(ix::VISIBLE_TO)?;
    store.drop_multi_index(inbox_ix::UNREAD)?;
    store.rebuild_multi_index::<Message>(inbox_ix::USER)?;
    crate::stats::schema_5::fold_task_logs(store)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::actor::{Actor, Role};
    use crate::inbox::service::{list, unread_count, InboxQuery};
    use crate::inbox::MessageKind;
    use crate::store::{encode, record_key, Record, META_NEXT_ID, META_SCHEMA};

    fn message(id: u64, read: bool) -> Message {
        Message {
            id,
            rev: 1,
            user_id: 5,
            kind: MessageKind::Assigned,
            task_id: Some(10),
            task_title: None,
            actor_id: None,
            text: format!("m{id}"),
            reason: None,
            read,
            follow_up: false,
            created_at: Utc.with_ymd_and_hms(2026, 1, 9, 0, 0, 0).unwrap(),
        }
    }

    fn mx(index: &str, value: &str, id: u64) -> (Vec<u8>, Vec<u8>) {
        (
            format!("mx/{index}/{value}/{id:016x}").into_bytes(),
            Vec::new(),
        )
    }

    /// A database as schema 4 wrote it: a task created by 3 and handled by 5 with a
    /// deadline, a read and an unread message for 5, with the index entries of then.
    #[test]
    fn a_schema_4_database_opens_with_the_folded_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        let due = Utc.with_ymd_and_hms(2026, 1, 10, 0, 0, 0).unwrap();
        let mut task = Task {
            id: 10,
            rev: 1,
            creator_id: 3,
            due_at: Some(due),
            ..Task::one_step(5, due)
        };
        task.nodes[0].due_at = Some(due);
        {
            let store = Store::open(&db, 1 << 20).unwrap();
            let mut old = vec![
                (record_key(Task::KIND, 10), encode(&task).unwrap()),
                (
                    record_key(Message::KIND, 11),
                    encode(&message(11, false)).unwrap(),
                ),
                (
                    record_key(Message::KIND, 12),
                    encode(&message(12, true)).unwrap(),
                ),
                mx(
                    ix::TODO,
                    &super::super::record::todo_value(5, task.nodes[0].state, Some(due)),
                    10,
                ),
                mx("task_created", "3", 10),
                mx("task_visible", "3", 10),
                mx("task_visible", "5", 10),
                mx("stat_due", &format!("5/{}", crate::time::time_key(due)), 10),
                mx("inbox", "5", 11),
                mx("inbox", "5", 12),
                mx("inbox_unread", "5", 11),
                (META_SCHEMA.to_vec(), 4u32.to_be_bytes().to_vec()),
                (META_NEXT_ID.to_vec(), 13u64.to_be_bytes().to_vec()),
            ];
            old.sort();
            store.raw_insert_batch(old).unwrap();
        }
        let store = Store::open(&db, 1 << 20).unwrap();
        assert_eq!(store.count_by(IX_DUE, "5").unwrap(), 0);
        assert_eq!(store.count_by(ix::CREATED, "3").unwrap(), 0);
        assert_eq!(store.count_by(ix::VISIBLE_TO, "3").unwrap(), 1, "one entry");
        assert_eq!(store.ids_by(ix::VISIBLE_TO, "3/c").unwrap(), vec![10]);
        assert_eq!(store.ids_by(ix::VISIBLE_TO, "5/p").unwrap(), vec![10]);
        assert_eq!(store.count_by(inbox_ix::UNREAD, "5").unwrap(), 0);
        assert_eq!(store.count_by(inbox_ix::USER, "5").unwrap(), 2);
        assert_eq!(unread_count(&store, 5).unwrap(), 1);
        let me = Actor::user(5, "u5", Role::Member, None);
        let (page, _) = list(&store, &me, &InboxQuery::default()).unwrap();
        assert_eq!(page.iter().map(|m| m.id).collect::<Vec<_>>(), vec![12, 11]);
        // the views read the new layout: overdue from the todo index
        let now = due + chrono::Duration::days(1);
        assert_eq!(
            super::super::record::open_work(&store, 5, now).unwrap(),
            (1, 1)
        );
        let creator = Actor::user(3, "u3", Role::Member, None);
        let created = super::super::lists::personal(&store, &creator, "created", now).unwrap();
        assert_eq!(created.items.len(), 1);
    }
}
