//! Kinds of documents: workflows, and the playbooks that decide when workflows run.
//!
//! Both kinds flow through the same machinery: decoded, normalized under the same profile
//! (a playbook document is first put in its comparable shape, see
//! [`soc_model::playbook::comparable`]), stored as records of their kind, and matched by name
//! within their kind only, so a workflow and a playbook of the same name never meet.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::decode::{Content, Document};

/// What a document is.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A SOAR workflow (an export, or a document built from the versions API).
    #[default]
    Workflow,
    /// A playbook: its active version's trigger rule and the workflows its actions run.
    Playbook,
}

impl Kind {
    /// Every kind, in the order reports list them.
    pub const ALL: [Kind; 2] = [Kind::Workflow, Kind::Playbook];

    /// `workflow` or `playbook`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Workflow => "workflow",
            Self::Playbook => "playbook",
        }
    }

    /// `workflows` or `playbooks`.
    pub fn plural(self) -> &'static str {
        match self {
            Self::Workflow => "workflows",
            Self::Playbook => "playbooks",
        }
    }

    /// `Workflows` or `Playbooks`: how a report section is headed.
    pub fn heading(self) -> &'static str {
        match self {
            Self::Workflow => "Workflows",
            Self::Playbook => "Playbooks",
        }
    }

    /// Whether this is [`Kind::Workflow`] (for `skip_serializing_if`).
    pub fn is_workflow(&self) -> bool {
        *self == Self::Workflow
    }

    /// The kind of a decoded document: a playbook when it carries socdrift's playbook marker,
    /// else a workflow (opaque documents included).
    pub fn of(document: &Document) -> Kind {
        match &document.content {
            Content::Json(value) if soc_model::playbook::is_playbook(value) => Self::Playbook,
            _ => Self::Workflow,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One value per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ByKind<T> {
    /// The workflows'.
    pub workflows: T,
    /// The playbooks'.
    pub playbooks: T,
}

impl<T> ByKind<T> {
    /// The value of `kind`.
    pub fn get(&self, kind: Kind) -> &T {
        match kind {
            Kind::Workflow => &self.workflows,
            Kind::Playbook => &self.playbooks,
        }
    }

    /// The value of `kind`, mutably.
    pub fn get_mut(&mut self, kind: Kind) -> &mut T {
        match kind {
            Kind::Workflow => &mut self.workflows,
            Kind::Playbook => &mut self.playbooks,
        }
    }
}

impl<T> ByKind<Vec<T>> {
    /// Items split by the kind `kind_of` gives each, in their order.
    pub fn split(items: impl IntoIterator<Item = (Kind, T)>) -> Self {
        let mut out = ByKind {
            workflows: Vec::new(),
            playbooks: Vec::new(),
        };
        for (kind, item) in items {
            out.get_mut(kind).push(item);
        }
        out
    }
}
