//! A line diff between two scripts, as hunks of numbered lines a page can draw
//! (`similar`'s Myers diff with three lines of context).

use std::time::Duration;

use serde::Serialize;
use similar::{ChangeTag, TextDiff};
use utoipa::ToSchema;

/// Lines of unchanged context around each change.
const CONTEXT: usize = 3;

/// Past this the diff stops looking for the smallest answer and returns a correct but
/// coarser one: scripts are at most 64 KiB, so it is a bound, not a limit people meet.
const TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Same,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DiffLine {
    pub kind: LineKind,
    /// 1-based line number in the older script (none for an added line).
    pub old_line: Option<usize>,
    /// 1-based line number in the newer script (none for a removed line).
    pub new_line: Option<usize>,
    /// The line without its line break.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Hunk {
    pub lines: Vec<DiffLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Diff {
    pub from: u64,
    pub to: u64,
    pub added: usize,
    pub removed: usize,
    /// Empty when the two scripts are the same.
    pub hunks: Vec<Hunk>,
}

/// The changes from `old` to `new`, grouped in hunks.
pub fn lines(from: u64, old: &str, to: u64, new: &str) -> Diff {
    let diff = TextDiff::configure().timeout(TIMEOUT).diff_lines(old, new);
    let (mut added, mut removed) = (0, 0);
    let hunks = diff
        .grouped_ops(CONTEXT)
        .iter()
        .map(|group| Hunk {
            lines: group
                .iter()
                .flat_map(|op| diff.iter_changes(op))
                .map(|c| {
                    let kind = match c.tag() {
                        ChangeTag::Equal => LineKind::Same,
                        ChangeTag::Insert => {
                            added += 1;
                            LineKind::Added
                        }
                        ChangeTag::Delete => {
                            removed += 1;
                            LineKind::Removed
                        }
                    };
                    DiffLine {
                        kind,
                        old_line: c.old_index().map(|i| i + 1),
                        new_line: c.new_index().map(|i| i + 1),
                        text: c.value().trim_end_matches(['\n', '\r']).to_string(),
                    }
                })
                .collect(),
        })
        .collect();
    Diff {
        from,
        to,
        added,
        removed,
        hunks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_line_is_one_removed_and_one_added_with_their_numbers() {
        let old = "a\nb\nc\nd\n";
        let new = "a\nB\nc\nd\ne\n";
        let d = lines(1, old, 2, new);
        assert_eq!((d.added, d.removed), (2, 1));
        assert_eq!(d.hunks.len(), 1);
        let got: Vec<(LineKind, Option<usize>, Option<usize>, &str)> = d.hunks[0]
            .lines
            .iter()
            .map(|l| (l.kind, l.old_line, l.new_line, l.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (LineKind::Same, Some(1), Some(1), "a"),
                (LineKind::Removed, Some(2), None, "b"),
                (LineKind::Added, None, Some(2), "B"),
                (LineKind::Same, Some(3), Some(3), "c"),
                (LineKind::Same, Some(4), Some(4), "d"),
                (LineKind::Added, None, Some(5), "e"),
            ]
        );
    }

    #[test]
    fn far_apart_changes_are_separate_hunks_and_equal_scripts_have_none() {
        let old: String = (1..=30).map(|i| format!("line {i}\n")).collect();
        let new = old
            .replace("line 2\n", "line two\n")
            .replace("line 28\n", "line twenty-eight\n");
        let d = lines(3, &old, 4, &new);
        assert_eq!(d.hunks.len(), 2);
        assert!(d.hunks[0].lines.len() <= 2 * CONTEXT + 2);
        assert!(lines(1, &old, 1, &old).hunks.is_empty());
    }
}
