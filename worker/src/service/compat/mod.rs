//! The ab-testing-service compatibility API (`/api/...`): its clients (its admin SPA, its
//! scripts, `requests` calls as in its README) work unchanged but for the base URL and the
//! password. Each file maps one of its resources onto Cleave's services and back into its
//! field names and statuses; the rules stay Cleave's (assignment, statistics per user,
//! validation), so nothing here decides anything the v1 API would decide differently.

pub mod assignments;
pub mod events;
pub mod experiment;
pub mod stats;
pub mod time;

pub use assignments::{AbAssignment, BulkRequest};
pub use events::{AbEvent, AbEventRequest, EventsQuery};
pub use experiment::{AbExperiment, AbVariant};
pub use stats::AbStats;
