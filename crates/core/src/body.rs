//! Request bodies of the management API: one declared type per request, read
//! strictly. serde's derive quietly accepts a JSON array for a struct (its
//! fields by position), so `[true]` would set `allow` and `[]` would reset
//! every defaulted field. Here a struct is only ever a JSON object, unknown
//! fields are refused by the types themselves (`deny_unknown_fields`), and
//! every error names the field it is about (`owner.targets[0]: …`).

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Value};
use std::fmt;

/// Why a body was refused: the field (empty for the whole body) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    pub field: String,
    pub why: String,
    /// Not JSON at all (a 400), rather than JSON of the wrong shape (a 422).
    pub malformed: bool,
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "body: {}", self.why)
        } else {
            write!(f, "{}: {}", self.field, self.why)
        }
    }
}

impl std::error::Error for BodyError {}

/// Parses `text` as `T`, which must be a JSON object.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, BodyError> {
    let value: Value = serde_json::from_str(text).map_err(|e| BodyError {
        field: String::new(),
        why: format!("not JSON: {e}"),
        malformed: true,
    })?;
    from_value(&value)
}

/// As `parse`, from a JSON value already read.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, BodyError> {
    if !value.is_object() {
        return Err(BodyError {
            field: String::new(),
            why: format!("expected a JSON object, got {}", kind(value)),
            malformed: false,
        });
    }
    serde_path_to_error::deserialize(Strict(value)).map_err(|e| {
        let field = e.path().to_string();
        BodyError {
            field: if field == "." { String::new() } else { field },
            why: e.into_inner().to_string(),
            malformed: false,
        }
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON value deserialized the way people read it.
struct Strict<'a>(&'a Value);

type Error = serde_json::Error;

impl<'de> de::Deserializer<'de> for Strict<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => v.visit_unit(),
            Value::Bool(b) => v.visit_bool(*b),
            Value::Number(n) => n.deserialize_any(v),
            Value::String(s) => v.visit_borrowed_str(s),
            Value::Array(a) => v.visit_seq(Seq(a.iter())),
            Value::Object(o) => v.visit_map(Fields {
                iter: o.iter(),
                value: None,
            }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(_) => self.deserialize_any(v),
            other => Err(de::Error::custom(format!(
                "expected a JSON object, got {}",
                kind(other)
            ))),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(s) => v.visit_enum(s.as_str().into_deserializer()),
            Value::Object(o) if o.len() == 1 => {
                let (variant, value) = o.iter().next().expect("one entry");
                v.visit_enum(Variant { variant, value })
            }
            other => Err(de::Error::custom(format!(
                "expected a string or an object with one key, got {}",
                kind(other)
            ))),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier
        ignored_any
    }
}

struct Seq<'a>(std::slice::Iter<'a, Value>);

impl<'de> SeqAccess<'de> for Seq<'de> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(Strict(v)))
            .transpose()
    }
}

struct Fields<'a> {
    iter: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
}

impl<'de> MapAccess<'de> for Fields<'de> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.iter.next() {
            None => Ok(None),
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(k.as_str().into_deserializer()).map(Some)
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let v = self
            .value
            .take()
            .ok_or_else(|| <Error as de::Error>::custom("value before key"))?;
        seed.deserialize(Strict(v))
    }
}

struct Variant<'a> {
    variant: &'a String,
    value: &'a Value,
}

impl<'de> EnumAccess<'de> for Variant<'de> {
    type Error = Error;
    type Variant = Strict<'de>;
    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Strict<'de>), Error> {
        let name = seed.deserialize(self.variant.as_str().into_deserializer())?;
        Ok((name, Strict(self.value)))
    }
}

impl<'de> VariantAccess<'de> for Strict<'de> {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        match self.0 {
            Value::Null => Ok(()),
            other => Err(de::Error::custom(format!(
                "expected nothing, got {}",
                kind(other)
            ))),
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_seq(self, v)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_struct(self, "", fields, v)
    }
}

/// An empty object, for requests whose body is optional.
pub fn empty() -> Value {
    Value::Object(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(deny_unknown_fields)]
    struct Settings {
        #[serde(default)]
        grace_secs: u32,
        #[serde(default)]
        inner: Option<Inner>,
        #[serde(default)]
        target: Option<crate::outcome::Target>,
    }

    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        on: bool,
    }

    #[test]
    fn an_object_is_read_as_declared() {
        let s: Settings =
            parse(r#"{"grace_secs": 60, "inner": {"on": true}, "target": {"client": "bob"}}"#)
                .unwrap();
        assert_eq!(s.grace_secs, 60);
        assert_eq!(s.inner, Some(Inner { on: true }));
    }

    #[test]
    fn an_array_is_never_a_struct() {
        let e = parse::<Settings>("[]").unwrap_err();
        assert_eq!(e.field, "");
        assert!(e.why.contains("an array"), "{e}");
        let e = parse::<Settings>(r#"{"inner": [true]}"#).unwrap_err();
        assert_eq!(e.field, "inner");
        assert!(e.why.contains("expected a JSON object"), "{e}");
    }

    #[test]
    fn unknown_fields_and_wrong_types_name_the_field() {
        let e = parse::<Settings>(r#"{"tll_secs": 60}"#).unwrap_err();
        assert!(e.why.contains("unknown field `tll_secs`"), "{e}");
        let e = parse::<Settings>(r#"{"grace_secs": "soon"}"#).unwrap_err();
        assert_eq!(e.field, "grace_secs");
        let e = parse::<Settings>(r#"{"inner": {"on": true, "colour": "red"}}"#).unwrap_err();
        assert_eq!(e.field, "inner.colour");
        let e = parse::<Settings>(r#"{"inner": {}}"#).unwrap_err();
        assert!(e.why.contains("missing field `on`"), "{e}");
        let e = parse::<Settings>(r#"{"grace_secs": -1}"#).unwrap_err();
        assert_eq!(e.field, "grace_secs");
    }

    #[test]
    fn text_that_is_not_a_json_object_is_refused() {
        for text in ["", "nope", "null", "true", "3", "\"x\""] {
            assert!(parse::<Settings>(text).is_err(), "{text:?}");
        }
        assert_eq!(parse::<Settings>("{}").unwrap(), Settings::default());
    }
}
