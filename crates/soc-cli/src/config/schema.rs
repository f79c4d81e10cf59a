//! What a place in the config file may hold, asked of the types it is read into.
//!
//! serde hands a type's field names to `deserialize_struct` and its variant names to
//! `deserialize_enum`. [`shape_at`] runs a type's `Deserialize` against a deserializer that walks
//! one key path and, at its end, reports those names instead of reading a value: the valid keys of
//! a table, the valid values of a setting. Config errors are then decided by comparing what the file
//! holds with them, never by reading serde's or toml's English messages.
//!
//! (serde-reflection traces whole types but gives up on `deserialize_any`, which free-form values
//! such as `toml::Value` use; this walks one path and treats such a value as free.)

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess};
use serde::forward_to_deserialize_any;

/// What the place at a key path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// A table whose keys are these names.
    Table(&'static [&'static str]),
    /// One of these names.
    OneOf(&'static [&'static str]),
    /// Anything else: a scalar, a list, a table of free keys, a free-form value, or a path that
    /// leads nowhere.
    Free,
}

/// The shape of the place at `path` (table keys; array items by their index, any number) in a
/// document read as a `T`.
pub(super) fn shape_at<'de, T: de::Deserialize<'de>>(path: &[String]) -> Shape {
    match T::deserialize(Probe { path }) {
        Err(Found(shape)) => shape,
        // Every step ends in `Found`; a type that reads nothing at all is free-form.
        Ok(_) => Shape::Free,
    }
}

/// Carries the shape found out of the type's `Deserialize`, as its error.
#[derive(Debug)]
struct Found(Shape);

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl std::error::Error for Found {}

impl de::Error for Found {
    /// Whatever else a type reports (a custom check, a missing field) says nothing of its shape.
    fn custom<M: fmt::Display>(_: M) -> Self {
        Found(Shape::Free)
    }
}

/// Walks `path` into the value a type asks for.
struct Probe<'p> {
    path: &'p [String],
}

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = Found;

    fn deserialize_any<V: de::Visitor<'de>>(self, _: V) -> Result<V::Value, Found> {
        Err(Found(Shape::Free))
    }

    fn deserialize_struct<V: de::Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Found> {
        match self.path.split_first() {
            None => Err(Found(Shape::Table(fields))),
            Some((key, rest)) if fields.contains(&key.as_str()) => {
                visitor.visit_map(OneEntry { key, rest })
            }
            Some(_) => Err(Found(Shape::Free)),
        }
    }

    fn deserialize_map<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Found> {
        match self.path.split_first() {
            None => Err(Found(Shape::Free)),
            Some((key, rest)) => visitor.visit_map(OneEntry { key, rest }),
        }
    }

    fn deserialize_seq<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Found> {
        match self.path.split_first() {
            Some((index, rest)) if index.parse::<usize>().is_ok() => {
                visitor.visit_seq(OneItem { rest })
            }
            _ => Err(Found(Shape::Free)),
        }
    }

    fn deserialize_enum<V: de::Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Found> {
        Err(Found(if self.path.is_empty() {
            Shape::OneOf(variants)
        } else {
            Shape::Free
        }))
    }

    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Found> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: de::Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Found> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct tuple tuple_struct identifier ignored_any
    }
}

/// A table with the one entry the path goes through.
struct OneEntry<'p> {
    key: &'p String,
    rest: &'p [String],
}

impl<'de> MapAccess<'de> for OneEntry<'_> {
    type Error = Found;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Found> {
        seed.deserialize(self.key.clone().into_deserializer())
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Found> {
        seed.deserialize(Probe { path: self.rest })
    }
}

/// A list with the one item the path goes through.
struct OneItem<'p> {
    rest: &'p [String],
}

impl<'de> SeqAccess<'de> for OneItem<'_> {
    type Error = Found;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Found> {
        seed.deserialize(Probe { path: self.rest }).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Root {
        name: Option<String>,
        tables: BTreeMap<String, Inner>,
        items: Vec<Inner>,
        free: Option<toml::Value>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        #[serde(default)]
        mode: Mode,
        #[serde(rename = "max-size")]
        max_size: u64,
    }

    #[derive(Deserialize, Default)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        #[default]
        ByName,
        Keep,
    }

    fn at(path: &[&str]) -> Shape {
        let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
        shape_at::<Root>(&path)
    }

    #[test]
    fn tables_give_their_keys_and_enums_their_values_as_written_in_the_file() {
        assert_eq!(at(&[]), Shape::Table(&["name", "tables", "items", "free"]));
        assert_eq!(
            at(&["tables", "any name"]),
            Shape::Table(&["mode", "max-size"])
        );
        assert_eq!(at(&["items", "3"]), Shape::Table(&["mode", "max-size"]));
        assert_eq!(
            at(&["items", "0", "mode"]),
            Shape::OneOf(&["by_name", "keep"])
        );
        assert_eq!(
            at(&["tables", "t", "mode"]),
            Shape::OneOf(&["by_name", "keep"])
        );
    }

    #[test]
    fn everything_else_is_free() {
        for path in [
            &["name"][..],
            &["tables"],
            &["items"],
            &["items", "x"],
            &["free"],
            &["free", "deep", "er"],
            &["nope"],
            &["items", "0", "max-size"],
            &["items", "0", "mode", "deeper"],
        ] {
            assert_eq!(at(path), Shape::Free, "{path:?}");
        }
    }
}
