//! Experiment lifecycle: statuses and the legal transitions between them.

use core::fmt;

/// Where an experiment is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Status {
    /// Being designed; nobody is assigned.
    #[default]
    Draft,
    /// Assigning units and collecting data.
    Running,
    /// Temporarily not assigning; can resume.
    Paused,
    /// Finished; results are final.
    Stopped,
    /// Hidden from default lists; read-only.
    Archived,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 5] = [
        Status::Draft,
        Status::Running,
        Status::Paused,
        Status::Stopped,
        Status::Archived,
    ];

    /// The snake_case name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Stopped => "stopped",
            Self::Archived => "archived",
        }
    }

    /// Parses a wire name (`draft`, `running`, ...).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Applies a lifecycle action, or says why it is illegal from this status.
    pub fn apply(self, action: Action) -> Result<Status, TransitionError> {
        use Action::*;
        use Status::*;
        let next = match (self, action) {
            (Draft, Start) => Running,
            (Running, Pause) => Paused,
            (Paused, Resume) => Running,
            (Running | Paused, Stop) => Stopped,
            (Draft | Stopped, Archive) => Archived,
            _ => return Err(TransitionError { from: self, action }),
        };
        Ok(next)
    }

    /// Whether `action` is legal from this status.
    pub fn allows(self, action: Action) -> bool {
        self.apply(action).is_ok()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A lifecycle action an operator can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Action {
    /// `draft → running`.
    Start,
    /// `running → paused`.
    Pause,
    /// `paused → running`.
    Resume,
    /// `running | paused → stopped`.
    Stop,
    /// `draft | stopped → archived`.
    Archive,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 5] = [
        Action::Start,
        Action::Pause,
        Action::Resume,
        Action::Stop,
        Action::Archive,
    ];

    /// The snake_case name used in URLs (`/start`, `/pause`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Stop => "stop",
            Self::Archive => "archive",
        }
    }

    /// Parses a URL name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// An action that is not legal from the current status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionError {
    /// The current status.
    pub from: Status,
    /// The refused action.
    pub action: Action,
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} an experiment that is {}",
            self.action.as_str(),
            self.from
        )
    }
}

impl core::error::Error for TransitionError {}
