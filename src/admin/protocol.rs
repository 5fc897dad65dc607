//! One JSON request line from the CLI, one JSON response line back; a backup response
//! is followed by the backup file's bytes until the connection closes.

use serde::{Deserialize, Serialize};

use crate::org::Role;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum AdminRequest {
    UserAdd {
        username: String,
        display_name: Option<String>,
        email: Option<String>,
        role: Role,
        department_id: Option<u64>,
        erp: bool,
        password: String,
    },
    UserList,
    UserPasswd {
        username: String,
        password: String,
    },
    UserSetRole {
        username: String,
        role: Role,
    },
    UserDisable {
        username: String,
        disabled: bool,
    },
    UserReset2fa {
        username: String,
    },
    TokenCreate {
        name: String,
        scopes: Vec<String>,
        owner: Option<String>,
    },
    TokenList,
    TokenRevoke {
        id: u64,
    },
    /// Install or update scenarios: (file name, source) pairs.
    RulesLoad {
        files: Vec<(String, String)>,
        /// (`.rhai` file name, text of its `NAME.cases.json`): the cases it keeps.
        #[serde(default)]
        cases: Vec<(String, String)>,
        /// Who ran `baton rules load` (the login name), for the version comment.
        #[serde(default)]
        user: Option<String>,
        /// Save files whose cases fail too (`--save-anyway`).
        #[serde(default)]
        save_anyway: bool,
    },
    /// One batch of records from `baton import` (already parsed and validated).
    Import {
        records: Vec<serde_json::Value>,
    },
    Backup,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminResponse {
    /// Text for the operator.
    Ok {
        text: String,
    },
    Error {
        message: String,
    },
}
