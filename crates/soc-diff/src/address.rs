//! Stable addresses: where a change is, named by what things are rather than where they sit.
//!
//! A JSON pointer names array items by position, so a change moves from `…/elements/2/…` to
//! `…/elements/3/…` when an unrelated node is added, and a rule written against last week's report
//! stops matching. An [`Address`] names an array item by its identity wherever it has one:
//!
//! | what | address step | example |
//! | --- | --- | --- |
//! | an object key | `/key` | `/taskconfig/timeout` |
//! | the active version (the one that runs) | `[@active]` | `/versions[@active]/taskconfig` |
//! | any other version, by its `version` label | `[label]` | `/versions[v1.2.0]/status` |
//! | a BPMN element in a decoded taskflow, by tag and id (by name with `element_ids = "by_name"`), wherever it sits in the diagram | `/tag[id]` | `/versions[@active]/taskflow/serviceTask[Activity_1yhrykd]/soar:params/duration` |
//! | an item of a keyed list, by its key | `[key]` | `/taskconfig/steps[notify]/retries` |
//! | an item of a set, by its value (a short hash for objects and lists) | `[value]` | `/labels[IP]`, `/recipients[#3fa9c2d1]` |
//! | an item of an ordered list without identity, by position | `/N` | `/taskconfig/channels/0` |
//!
//! Inside a BPMN element its attributes are addressed directly (`/soar:timeout`, not
//! `/attributes/soar:timeout`), a child element without an id by its tag (and its text, when it
//! holds only text: `/incoming[Flow_0bkydhy]`), and the element's own xml-js fields with a `#`
//! (`/#name` is its tag).
//!
//! A key or an identity that could be misread is written as a JSON string: `/"a/b"`,
//! `serviceTask["Block IP / WAF"]`, `["@active"]` (a version literally labelled `@active`),
//! `/"*"`. So an address is unambiguous and can be pasted into a rule as it is printed.
//! [`PathPattern`](crate::PathPattern) reads the same syntax, with wildcards.

use std::fmt::{self, Write as _};

use serde_json::Value;
use sha2::{Digest, Sha256};

/// One step of an [`Address`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// An object key; also the tag of a BPMN element (followed by its [`Step::Item`]).
    Key(String),
    /// An array item by identity: a key, a version label, an element id, a set item's value.
    Item(String),
    /// The active version of a workflow: whichever version runs on each side.
    Active,
    /// An array item by position (ordered lists whose items have no identity).
    Index(usize),
}

/// A place in a normalized workflow, independent of array positions wherever an identity exists
/// (see the [module docs](self)).
///
/// ```
/// use soc_diff::address::{Address, Step};
///
/// let address = Address::from(vec![
///     Step::Key("versions".into()),
///     Step::Active,
///     Step::Key("taskflow".into()),
///     Step::Key("serviceTask".into()),
///     Step::Item("Block IP / WAF".into()),
///     Step::Key("soar:timeout".into()),
/// ]);
/// assert_eq!(
///     address.to_string(),
///     r#"/versions[@active]/taskflow/serviceTask["Block IP / WAF"]/soar:timeout"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address(Vec<Step>);

impl From<Vec<Step>> for Address {
    fn from(steps: Vec<Step>) -> Self {
        Self(steps)
    }
}

impl Address {
    /// The steps from the document root.
    pub fn steps(&self) -> &[Step] {
        &self.0
    }

    pub(crate) fn push(&mut self, step: Step) {
        self.0.push(step);
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }

    /// Whether one address is the other or lies inside it: a change at one touches the other.
    /// Positions in ordered lists count as the same place, since two documents' positions need not
    /// correspond (see the three-way comparison).
    pub fn overlaps(&self, other: &Address) -> bool {
        self.0.iter().zip(&other.0).all(|pair| match pair {
            (Step::Index(_), Step::Index(_)) => true,
            (a, b) => a == b,
        })
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(key) => {
                    out.push('/');
                    write_key(&mut out, key);
                }
                Step::Index(index) => {
                    let _ = write!(out, "/{index}");
                }
                Step::Item(_) | Step::Active => {
                    // An identity belongs to the step before it: `versions[@active]`.
                    if i == 0 {
                        out.push('/');
                    }
                    out.push('[');
                    match step {
                        Step::Item(id) => write_item(&mut out, id),
                        _ => out.push_str(ACTIVE),
                    }
                    out.push(']');
                }
            }
        }
        f.write_str(&out)
    }
}

/// How the active version is written.
pub(crate) const ACTIVE: &str = "@active";

/// Characters that end a bare key or identity, or would make it read as something else.
fn is_special(c: char) -> bool {
    matches!(c, '/' | '[' | ']' | '"' | '\\' | '~') || c.is_control()
}

fn needs_quotes(text: &str) -> bool {
    text.is_empty()
        || text == "*"
        || text == "**"
        || text.contains(is_special)
        || text.starts_with(char::is_whitespace)
        || text.ends_with(char::is_whitespace)
}

/// A key as written in an address: bare when it reads unambiguously, else a JSON string.
fn write_key(out: &mut String, key: &str) {
    if needs_quotes(key) {
        quote(out, key);
    } else {
        out.push_str(key);
    }
}

/// An identity inside `[…]`: bare when it reads unambiguously, else a JSON string. Identities that
/// start with `@` are quoted, so that `[@active]` only ever means the active version.
fn write_item(out: &mut String, id: &str) {
    if needs_quotes(id) || id.starts_with('@') {
        quote(out, id);
    } else {
        out.push_str(id);
    }
}

fn quote(out: &mut String, text: &str) {
    // Serializing a string cannot fail.
    out.push_str(&serde_json::to_string(text).unwrap_or_default());
}

/// How an array item is identified, which decides its address step outside a taskflow.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ItemId<'v> {
    /// By position (ordered arrays).
    Position(usize),
    /// By its key (keyed arrays).
    Key(&'v str),
    /// By its value (sets, and items of keyed arrays without a usable key).
    Value,
}

/// The address of the place a walk over a normalized document is at; one step is entered per
/// key or array item, and left in reverse order. The differ and the ignore rules that match
/// addresses walk with it, so both name every place alike.
#[derive(Debug, Default)]
pub(crate) struct Cursor {
    address: Address,
    /// The length of `address` at the innermost decoded taskflow, where BPMN elements with an
    /// id are addressed from, wherever they sit in the diagram.
    taskflow: Option<usize>,
}

/// What [`Cursor::leave`] needs to step back out.
#[must_use]
pub(crate) struct Mark {
    len: usize,
    taskflow: Option<usize>,
    /// The address before a jump to an element's own address.
    jumped: Option<Address>,
}

impl Cursor {
    pub(crate) fn address(&self) -> &Address {
        &self.address
    }

    fn mark(&self) -> Mark {
        Mark {
            len: self.address.len(),
            taskflow: self.taskflow,
            jumped: None,
        }
    }

    /// Whether `object` is an xml-js element whose fields are addressed the BPMN way (inside a
    /// decoded taskflow).
    pub(crate) fn is_bpmn_element(&self, object: &serde_json::Map<String, Value>) -> bool {
        self.taskflow.is_some()
            && object.get("type").and_then(Value::as_str) == Some("element")
            && object.get("name").is_some_and(Value::is_string)
    }

    /// Enters `key` of an object; `element` says whether the object is a BPMN element (see
    /// [`is_bpmn_element`](Self::is_bpmn_element)). An element's `attributes` and `elements` add
    /// no step (an attribute is addressed as `…/serviceTask[A]/soar:timeout`), its other fields
    /// are written with a `#` (`#name`, its tag). Below a `taskflow` key holding an object or
    /// array, BPMN elements with an id are addressed from there.
    pub(crate) fn enter_key(&mut self, key: &str, element: bool, child: &Value) -> Mark {
        let mark = self.mark();
        match key {
            "attributes" | "elements" if element => {}
            _ if element => self.address.push(Step::Key(format!("#{key}"))),
            "taskflow" if child.is_object() || child.is_array() => {
                self.address.push(Step::Key(key.to_owned()));
                self.taskflow = Some(self.address.len());
            }
            _ => self.address.push(Step::Key(key.to_owned())),
        }
        mark
    }

    /// Enters an array item: `item` is the value that names it (the right side's when both
    /// sides have it), `id` how its array identifies it.
    pub(crate) fn enter_item(&mut self, item: &Value, id: ItemId<'_>) -> Mark {
        let mut mark = self.mark();
        match (self.taskflow, xml_node(item)) {
            (Some(root), Some(XmlNode::Identified { tag, identity })) => {
                // Ids are unique in a diagram: the element's address does not depend on where it
                // sits (so moving it into a sub-process does not change it).
                let mut address = Address(self.address.0.get(..root).unwrap_or_default().to_vec());
                address.push(Step::Key(tag.to_owned()));
                address.push(Step::Item(identity));
                mark.jumped = Some(std::mem::replace(&mut self.address, address));
            }
            (Some(_), Some(XmlNode::Anonymous { tag, text })) => {
                self.address.push(Step::Key(tag.to_owned()));
                if let Some(text) = text {
                    self.address.push(Step::Item(text));
                }
            }
            (Some(_), Some(XmlNode::Other(kind))) => {
                self.address.push(Step::Key(format!("#{kind}")));
            }
            _ => self.address.push(match id {
                ItemId::Position(index) => Step::Index(index),
                ItemId::Key(key) => Step::Item(key.to_owned()),
                ItemId::Value => Step::Item(value_identity(item)),
            }),
        }
        mark
    }

    /// Enters steps given outright (the versions of a workflow, which the caller names).
    pub(crate) fn enter_steps(&mut self, steps: Vec<Step>) -> Mark {
        let mark = self.mark();
        for step in steps {
            self.address.push(step);
        }
        mark
    }

    /// Steps back to where `mark` was taken.
    pub(crate) fn leave(&mut self, mark: Mark) {
        match mark.jumped {
            Some(address) => self.address = address,
            None => self.address.truncate(mark.len),
        }
        self.taskflow = mark.taskflow;
    }
}

/// The identity of a set item: its text for a string, its JSON for another scalar, and `#` with
/// the first 8 hex digits of the SHA-256 of its compact JSON for an object or a list.
pub(crate) fn value_identity(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null | Value::Bool(_) | Value::Number(_) => value.to_string(),
        Value::Object(_) | Value::Array(_) => {
            let digest = Sha256::digest(value.to_string().as_bytes());
            format!("#{}", hex::encode(digest.get(..4).unwrap_or_default()))
        }
    }
}

/// What the address needs to know of an xml-js node (the decoded BPMN of a taskflow).
pub(crate) enum XmlNode<'v> {
    /// An element with an id: addressed as `tag[identity]` from the taskflow, wherever it sits.
    Identified { tag: &'v str, identity: String },
    /// An element without an id: addressed by its tag under its parent, with its text when it
    /// holds only text (`incoming[Flow_1]`).
    Anonymous { tag: &'v str, text: Option<String> },
    /// A text, CDATA or comment node: `#text`.
    Other(&'v str),
}

/// The xml-js node `value` is, if it is one.
pub(crate) fn xml_node(value: &Value) -> Option<XmlNode<'_>> {
    let node = value.as_object()?;
    let kind = node.get("type")?.as_str()?;
    if kind != "element" {
        return Some(XmlNode::Other(kind));
    }
    let full = node.get("name")?.as_str()?;
    let tag = local_name(full);
    let id = node
        .get("attributes")
        .and_then(|a| a.get("id"))
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty());
    Some(match id {
        Some(id) => XmlNode::Identified {
            tag,
            identity: element_identity(tag, id),
        },
        None => XmlNode::Anonymous {
            tag,
            text: only_text(node.get("elements")),
        },
    })
}

/// `bpmn2:serviceTask` -> `serviceTask`.
pub(crate) fn local_name(tag: &str) -> &str {
    tag.rsplit(':').next().unwrap_or(tag)
}

/// An element's id as its address shows it: with `element_ids = "by_name"` the id is a label that
/// starts with the tag (`serviceTask[Block on WAF]`, `exclusiveGateway#2`), which the address
/// already says, so only the rest is kept (`Block on WAF`, `#2`).
pub(crate) fn element_identity(tag: &str, id: &str) -> String {
    let named = id
        .strip_prefix(tag)
        .and_then(|rest| rest.strip_prefix('['))
        .and_then(|rest| rest.strip_suffix(']'));
    if let Some(name) = named {
        return name.to_owned();
    }
    match id.strip_prefix(tag) {
        Some(rest) if rest.starts_with('#') => rest.to_owned(),
        _ => id.to_owned(),
    }
}

/// The text of an element whose children are all text (or CDATA) nodes.
fn only_text(children: Option<&Value>) -> Option<String> {
    let children = children?.as_array()?;
    let mut text = String::new();
    for child in children {
        let kind = child.get("type").and_then(Value::as_str)?;
        if !matches!(kind, "text" | "cdata") {
            return None;
        }
        text.push_str(child.get(kind).and_then(Value::as_str)?);
    }
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(k: &str) -> Step {
        Step::Key(k.into())
    }

    fn item(i: &str) -> Step {
        Step::Item(i.into())
    }

    #[test]
    fn addresses_read_like_paths_and_quote_what_could_be_misread() {
        let show = |steps: Vec<Step>| Address::from(steps).to_string();
        assert_eq!(show(vec![]), "");
        assert_eq!(
            show(vec![key("versions"), Step::Active, key("status")]),
            "/versions[@active]/status"
        );
        assert_eq!(show(vec![key("list"), Step::Index(3)]), "/list/3");
        assert_eq!(show(vec![key("a/b"), key("c~d")]), r#"/"a/b"/"c~d""#);
        assert_eq!(show(vec![key("*"), key("")]), r#"/"*"/"""#);
        assert_eq!(
            show(vec![key("t"), key("serviceTask"), item("say \"hi\"\n")]),
            r#"/t/serviceTask["say \"hi\"\n"]"#
        );
        assert_eq!(show(vec![key("v"), item("@active")]), r#"/v["@active"]"#);
        assert_eq!(show(vec![Step::Active]), "/[@active]");
        assert_eq!(
            show(vec![key("x"), item("yes: a[1] -> b")]),
            r#"/x["yes: a[1] -> b"]"#
        );
        assert_eq!(show(vec![key(" padded")]), r#"/" padded""#);
    }

    #[test]
    fn overlapping_addresses_share_a_prefix() {
        let a = Address::from(vec![key("a"), key("b")]);
        let ab = Address::from(vec![key("a"), key("b"), key("c")]);
        let ac = Address::from(vec![key("a"), key("c")]);
        assert!(a.overlaps(&ab) && ab.overlaps(&a) && a.overlaps(&a));
        assert!(!ab.overlaps(&ac));
        let l0 = Address::from(vec![key("l"), Step::Index(0)]);
        let l5 = Address::from(vec![key("l"), Step::Index(5), key("x")]);
        assert!(l0.overlaps(&l5), "positions in one list are one place");
        let i = Address::from(vec![key("l"), item("0")]);
        assert!(!i.overlaps(&l0));
    }

    #[test]
    fn xml_nodes_and_identities() {
        let task = json!({"type": "element", "name": "bpmn2:serviceTask",
                          "attributes": {"id": "Activity_1", "name": "Block"}});
        assert!(matches!(
            xml_node(&task),
            Some(XmlNode::Identified { tag: "serviceTask", identity }) if identity == "Activity_1"
        ));
        let incoming = json!({"type": "element", "name": "bpmn2:incoming",
                              "elements": [{"type": "text", "text": "Flow_1"}]});
        assert!(matches!(
            xml_node(&incoming),
            Some(XmlNode::Anonymous { tag: "incoming", text: Some(t) }) if t == "Flow_1"
        ));
        assert!(matches!(
            xml_node(&json!({"type": "text", "text": "x"})),
            Some(XmlNode::Other("text"))
        ));
        assert!(xml_node(&json!({"name": "x"})).is_none());
        assert_eq!(
            element_identity("serviceTask", "serviceTask[Block on WAF]"),
            "Block on WAF"
        );
        assert_eq!(
            element_identity("exclusiveGateway", "exclusiveGateway#2"),
            "#2"
        );
        assert_eq!(element_identity("serviceTask", "Activity_1"), "Activity_1");
        assert_eq!(element_identity("task", "taskforce"), "taskforce");
    }

    #[test]
    fn set_items_are_named_by_value() {
        assert_eq!(value_identity(&json!("IP")), "IP");
        assert_eq!(value_identity(&json!(42)), "42");
        assert_eq!(value_identity(&json!(null)), "null");
        let hashed = value_identity(&json!({"a": 1}));
        assert!(hashed.starts_with('#') && hashed.len() == 9, "{hashed}");
        assert_eq!(hashed, value_identity(&json!({"a": 1})));
    }
}
