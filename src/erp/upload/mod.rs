//! Uploading an export in the UI (Admin → ERP records → Import): a CSV, XLSX or
//! JSON-lines file is read into a table once ([`table`]), kept for the admin while
//! they choose the kind, the id column, the columns and their types ([`staged`]), and
//! turned into records a batch at a time ([`records`]) through the same push path as
//! `POST /api/erp/records`.

pub mod records;
pub mod staged;
pub mod table;
