//! Saves as real HTML forms: a page's `ServerMsg` written as hidden fields, and posted fields
//! read back into it.
//!
//! A form posts `application/x-www-form-urlencoded` pairs: [`SAVE_FIELD`] names the
//! `ServerMsg` variant (`UpdateScore`), every other field is one of the variant's fields by
//! name (for `ServerMsg::Save(T)`, the fields of `T`). Values are text: numbers and `bool`s are
//! parsed when read back (`true`/`false`, and a checkbox's `on`), an `Option` is `None` when
//! the field is missing or empty. Nested structs, sequences and maps do not fit in a form and
//! are refused with [`FormError::Unsupported`].
//!
//! Both directions are written here, against serde's data model, rather than taken from
//! `serde_urlencoded`, because that crate has no enums with struct variants — the shape every
//! `ServerMsg` has — and it could not say which field was wrong.

use std::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible};

/// The hidden field holding the `ServerMsg` variant.
pub const SAVE_FIELD: &str = "rally-save";

/// The marker attribute of a save form: the inline script replays submits of such forms after
/// hydration (see `docs/pages.md`, "forms and before hydration").
pub const FORM_MARKER: &str = "data-rally-save";

/// Why a message cannot be written as form fields, or posted fields cannot be read as one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// No [`SAVE_FIELD`] among the posted fields.
    #[error("the form names no save (its `{SAVE_FIELD}` field is missing)")]
    MissingVariant,
    /// [`SAVE_FIELD`] names no variant of the page's `ServerMsg`.
    #[error("the form names `{0}`, which is not a save of this page")]
    UnknownVariant(String),
    /// A field the variant needs was not posted.
    #[error("the form has no `{0}` field")]
    MissingField(String),
    /// A field's text is not a value of its type.
    #[error("`{field}` must be {expected}, not {value:?}")]
    Malformed {
        /// The field.
        field: String,
        /// Its posted text.
        value: String,
        /// What it should be (`an integer`, `true or false`).
        expected: &'static str,
    },
    /// A type that has no form representation.
    #[error("{0} cannot be a form field; give the save flat fields of numbers, text and bools")]
    Unsupported(&'static str),
    /// Anything else the message's `Deserialize` said.
    #[error("{0}")]
    Invalid(String),
}

impl ser::Error for FormError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        FormError::Invalid(msg.to_string())
    }
}

/// The form fields of `message`: [`SAVE_FIELD`] with its variant, then its fields in order.
pub fn fields<T: Serialize + ?Sized>(message: &T) -> Result<Vec<(String, String)>, FormError> {
    let mut out = Vec::new();
    message.serialize(MessageSerializer { out: &mut out })?;
    Ok(out)
}

/// Serializes the `ServerMsg` enum: its variant, then the variant's fields.
struct MessageSerializer<'a> {
    out: &'a mut Vec<(String, String)>,
}

/// Serializes a struct's (or struct variant's) fields as pairs.
struct FieldsSerializer<'a> {
    out: &'a mut Vec<(String, String)>,
}

/// Serializes one field's value as text; `None` for an absent `Option`.
struct ValueSerializer;

macro_rules! unsupported {
    ($($method:ident($($arg:ty),*) -> $ret:ty = $what:literal;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ret, FormError> {
            Err(FormError::Unsupported($what))
        })*
    };
}

impl<'a> ser::Serializer for MessageSerializer<'a> {
    type Ok = ();
    type Error = FormError;
    type SerializeSeq = Impossible<(), FormError>;
    type SerializeTuple = Impossible<(), FormError>;
    type SerializeTupleStruct = Impossible<(), FormError>;
    type SerializeTupleVariant = Impossible<(), FormError>;
    type SerializeMap = Impossible<(), FormError>;
    type SerializeStruct = Impossible<(), FormError>;
    type SerializeStructVariant = FieldsSerializer<'a>;

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), FormError> {
        self.out.push((SAVE_FIELD.to_owned(), variant.to_owned()));
        Ok(())
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), FormError> {
        self.out.push((SAVE_FIELD.to_owned(), variant.to_owned()));
        value.serialize(FieldsSerializer { out: self.out })
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<FieldsSerializer<'a>, FormError> {
        self.out.push((SAVE_FIELD.to_owned(), variant.to_owned()));
        Ok(FieldsSerializer { out: self.out })
    }

    unsupported! {
        serialize_bool(bool) -> () = "a message that is not an enum";
        serialize_i8(i8) -> () = "a message that is not an enum";
        serialize_i16(i16) -> () = "a message that is not an enum";
        serialize_i32(i32) -> () = "a message that is not an enum";
        serialize_i64(i64) -> () = "a message that is not an enum";
        serialize_u8(u8) -> () = "a message that is not an enum";
        serialize_u16(u16) -> () = "a message that is not an enum";
        serialize_u32(u32) -> () = "a message that is not an enum";
        serialize_u64(u64) -> () = "a message that is not an enum";
        serialize_f32(f32) -> () = "a message that is not an enum";
        serialize_f64(f64) -> () = "a message that is not an enum";
        serialize_char(char) -> () = "a message that is not an enum";
        serialize_str(&str) -> () = "a message that is not an enum";
        serialize_bytes(&[u8]) -> () = "a message that is not an enum";
        serialize_none() -> () = "a message that is not an enum";
        serialize_unit() -> () = "a message that is not an enum";
        serialize_unit_struct(&'static str) -> () = "a message that is not an enum";
        serialize_seq(Option<usize>) -> Self::SerializeSeq = "a message that is not an enum";
        serialize_tuple(usize) -> Self::SerializeTuple = "a message that is not an enum";
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct = "a message that is not an enum";
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant = "a tuple variant";
        serialize_map(Option<usize>) -> Self::SerializeMap = "a message that is not an enum";
        serialize_struct(&'static str, usize) -> Self::SerializeStruct = "a message that is not an enum";
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), FormError> {
        Err(FormError::Unsupported("a message that is not an enum"))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), FormError> {
        value.serialize(self)
    }
}

impl<'a> ser::Serializer for FieldsSerializer<'a> {
    type Ok = ();
    type Error = FormError;
    type SerializeSeq = Impossible<(), FormError>;
    type SerializeTuple = Impossible<(), FormError>;
    type SerializeTupleStruct = Impossible<(), FormError>;
    type SerializeTupleVariant = Impossible<(), FormError>;
    type SerializeMap = Impossible<(), FormError>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), FormError>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, FormError> {
        Ok(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), FormError> {
        value.serialize(self)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), FormError> {
        Err(FormError::Unsupported("a save that is not a struct"))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), FormError> {
        Err(FormError::Unsupported("a save that is not a struct"))
    }

    unsupported! {
        serialize_bool(bool) -> () = "a save that is not a struct";
        serialize_i8(i8) -> () = "a save that is not a struct";
        serialize_i16(i16) -> () = "a save that is not a struct";
        serialize_i32(i32) -> () = "a save that is not a struct";
        serialize_i64(i64) -> () = "a save that is not a struct";
        serialize_u8(u8) -> () = "a save that is not a struct";
        serialize_u16(u16) -> () = "a save that is not a struct";
        serialize_u32(u32) -> () = "a save that is not a struct";
        serialize_u64(u64) -> () = "a save that is not a struct";
        serialize_f32(f32) -> () = "a save that is not a struct";
        serialize_f64(f64) -> () = "a save that is not a struct";
        serialize_char(char) -> () = "a save that is not a struct";
        serialize_str(&str) -> () = "a save that is not a struct";
        serialize_bytes(&[u8]) -> () = "a save that is not a struct";
        serialize_none() -> () = "a save that is not a struct";
        serialize_unit() -> () = "a save that is not a struct";
        serialize_unit_struct(&'static str) -> () = "a save that is not a struct";
        serialize_unit_variant(&'static str, u32, &'static str) -> () = "a save that is not a struct";
        serialize_seq(Option<usize>) -> Self::SerializeSeq = "a save that is not a struct";
        serialize_tuple(usize) -> Self::SerializeTuple = "a save that is not a struct";
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct = "a save that is not a struct";
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant = "a save that is not a struct";
        serialize_map(Option<usize>) -> Self::SerializeMap = "a save that is not a struct";
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant = "a save that is not a struct";
    }
}

impl ser::SerializeStruct for FieldsSerializer<'_> {
    type Ok = ();
    type Error = FormError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), FormError> {
        if let Some(text) = value.serialize(ValueSerializer)? {
            self.out.push((key.to_owned(), text));
        }
        Ok(())
    }

    fn end(self) -> Result<(), FormError> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for FieldsSerializer<'_> {
    type Ok = ();
    type Error = FormError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), FormError> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }

    fn end(self) -> Result<(), FormError> {
        Ok(())
    }
}

macro_rules! as_text {
    ($($method:ident($ty:ty);)*) => {
        $(fn $method(self, v: $ty) -> Result<Option<String>, FormError> {
            Ok(Some(v.to_string()))
        })*
    };
}

impl ser::Serializer for ValueSerializer {
    type Ok = Option<String>;
    type Error = FormError;
    type SerializeSeq = Impossible<Option<String>, FormError>;
    type SerializeTuple = Impossible<Option<String>, FormError>;
    type SerializeTupleStruct = Impossible<Option<String>, FormError>;
    type SerializeTupleVariant = Impossible<Option<String>, FormError>;
    type SerializeMap = Impossible<Option<String>, FormError>;
    type SerializeStruct = Impossible<Option<String>, FormError>;
    type SerializeStructVariant = Impossible<Option<String>, FormError>;

    as_text! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
    }

    fn serialize_none(self) -> Result<Option<String>, FormError> {
        Ok(None)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Option<String>, FormError> {
        value.serialize(self)
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Option<String>, FormError> {
        Ok(Some(variant.to_owned()))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Option<String>, FormError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Option<String>, FormError> {
        Err(FormError::Unsupported("an enum with data"))
    }

    unsupported! {
        serialize_bytes(&[u8]) -> Option<String> = "bytes";
        serialize_unit() -> Option<String> = "`()`";
        serialize_unit_struct(&'static str) -> Option<String> = "a unit struct";
        serialize_seq(Option<usize>) -> Self::SerializeSeq = "a sequence";
        serialize_tuple(usize) -> Self::SerializeTuple = "a tuple";
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct = "a tuple struct";
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant = "an enum with data";
        serialize_map(Option<usize>) -> Self::SerializeMap = "a map";
        serialize_struct(&'static str, usize) -> Self::SerializeStruct = "a nested struct";
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant = "an enum with data";
    }
}

/// A save as a real form: `message`'s hidden fields, then `children` (its submit button),
/// posting to the page's own URL. Before the page's wasm runs, or without JavaScript, the
/// browser posts it and the server saves (post/redirect/get); once hydrated, a submit
/// dispatches `submitted` instead, which the page's `update` turns into the save over the
/// socket. Pages use their generated `save_form_<page>` helper, which fixes `message`'s type.
pub fn save_form<S, Msg>(
    message: &S,
    submitted: Msg,
    attrs: impl IntoIterator<Item = rally_view::Attribute<Msg>>,
    children: impl IntoIterator<Item = rally_view::Element<Msg>>,
) -> rally_view::Element<Msg>
where
    S: Serialize + ?Sized,
    Msg: Clone + 'static,
{
    use rally_view::attribute::{attribute, method, name, type_, value};
    use rally_view::html::{form, input};
    let mut attrs: Vec<_> = attrs.into_iter().collect();
    let mut all = Vec::new();
    match fields(message) {
        Ok(fields) => all.extend(
            fields
                .into_iter()
                .map(|(field, text)| input([type_("hidden"), name(field), value(text)])),
        ),
        // Posted as is, the server answers "the form names no save"; the attribute says why.
        Err(e) => attrs.push(attribute("data-rally-form-error", e.to_string())),
    }
    all.extend(children);
    attrs.push(method("post"));
    attrs.push(attribute(FORM_MARKER, ""));
    attrs.push(rally_view::event::on_submit(move |_| submitted.clone()));
    form(attrs, all)
}

#[cfg(feature = "server")]
pub use decode::decode;

/// Reads posted `form` fields as the page's `ServerMsg` and encodes it as a socket request
/// would carry it, for the page's dispatch.
#[cfg(feature = "server")]
pub fn form_message<T: serde::de::DeserializeOwned + Serialize>(
    form: &[(String, String)],
) -> Result<Vec<u8>, FormError> {
    let message: T = decode(form)?;
    Ok(rally_wire::encode(&message))
}

/// Reading posted fields back into a message (the server's side).
#[cfg(feature = "server")]
mod decode {
    use serde::de::value::StringDeserializer;
    use serde::de::{
        self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess,
        VariantAccess, Visitor,
    };

    use super::{FormError, SAVE_FIELD};

    impl de::Error for FormError {
        fn custom<T: std::fmt::Display>(msg: T) -> Self {
            FormError::Invalid(msg.to_string())
        }

        fn missing_field(field: &'static str) -> Self {
            FormError::MissingField(field.to_owned())
        }

        fn unknown_variant(variant: &str, _expected: &'static [&'static str]) -> Self {
            FormError::UnknownVariant(variant.to_owned())
        }
    }

    /// Reads posted `pairs` as the message `T` (a page's `ServerMsg`).
    pub fn decode<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, FormError> {
        T::deserialize(Message { pairs })
    }

    /// The whole form, as an enum.
    struct Message<'a> {
        pairs: &'a [(String, String)],
    }

    impl<'a> Message<'a> {
        fn variant_name(&self) -> Result<&'a str, FormError> {
            self.pairs
                .iter()
                .find(|(k, _)| k == SAVE_FIELD)
                .map(|(_, v)| v.as_str())
                .ok_or(FormError::MissingVariant)
        }

        fn fields(&self) -> Fields<'a> {
            Fields {
                pairs: self.pairs.iter(),
                key: String::new(),
                value: None,
            }
        }
    }

    impl<'de> de::Deserializer<'de> for Message<'_> {
        type Error = FormError;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, FormError> {
            Err(FormError::Unsupported("a message that is not an enum"))
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _: &'static str,
            _: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, FormError> {
            visitor.visit_enum(self)
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map struct identifier ignored_any
        }
    }

    impl<'de> EnumAccess<'de> for Message<'_> {
        type Error = FormError;
        type Variant = Self;

        fn variant_seed<V: DeserializeSeed<'de>>(
            self,
            seed: V,
        ) -> Result<(V::Value, Self), FormError> {
            let name: StringDeserializer<FormError> =
                self.variant_name()?.to_owned().into_deserializer();
            Ok((seed.deserialize(name)?, self))
        }
    }

    impl<'de> VariantAccess<'de> for Message<'_> {
        type Error = FormError;

        fn unit_variant(self) -> Result<(), FormError> {
            Ok(())
        }

        fn newtype_variant_seed<T: DeserializeSeed<'de>>(
            self,
            seed: T,
        ) -> Result<T::Value, FormError> {
            seed.deserialize(Struct(self.fields()))
        }

        fn tuple_variant<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, FormError> {
            Err(FormError::Unsupported("a tuple variant"))
        }

        fn struct_variant<V: Visitor<'de>>(
            self,
            _: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, FormError> {
            visitor.visit_map(self.fields())
        }
    }

    /// The payload of `Save(T)`: `T`'s fields.
    struct Struct<'a>(Fields<'a>);

    impl<'de> de::Deserializer<'de> for Struct<'_> {
        type Error = FormError;

        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
            visitor.visit_map(self.0)
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map struct enum identifier ignored_any
        }
    }

    /// The posted fields (but [`SAVE_FIELD`]) as a map, remembering the current key so a bad
    /// value names its field.
    struct Fields<'a> {
        pairs: std::slice::Iter<'a, (String, String)>,
        key: String,
        value: Option<&'a str>,
    }

    impl<'de> MapAccess<'de> for Fields<'_> {
        type Error = FormError;

        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, FormError> {
            let Some((key, value)) = self.pairs.find(|(k, _)| k != SAVE_FIELD) else {
                return Ok(None);
            };
            self.key.clone_from(key);
            self.value = Some(value);
            let key: StringDeserializer<FormError> = key.clone().into_deserializer();
            seed.deserialize(key).map(Some)
        }

        fn next_value_seed<V: DeserializeSeed<'de>>(
            &mut self,
            seed: V,
        ) -> Result<V::Value, FormError> {
            let text = self.value.take().unwrap_or_default();
            seed.deserialize(Value {
                field: &self.key,
                text,
            })
        }
    }

    /// One field's text, parsed as the type asks.
    struct Value<'a> {
        field: &'a str,
        text: &'a str,
    }

    impl Value<'_> {
        fn malformed(&self, expected: &'static str) -> FormError {
            FormError::Malformed {
                field: self.field.to_owned(),
                value: self.text.to_owned(),
                expected,
            }
        }

        fn parse<T: std::str::FromStr>(&self, expected: &'static str) -> Result<T, FormError> {
            self.text
                .trim()
                .parse()
                .map_err(|_| self.malformed(expected))
        }
    }

    macro_rules! parsed {
        ($($method:ident => $visit:ident($ty:ty, $expected:literal);)*) => {
            $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
                visitor.$visit(self.parse::<$ty>($expected)?)
            })*
        };
    }

    impl<'de> de::Deserializer<'de> for Value<'_> {
        type Error = FormError;

        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
            visitor.visit_string(self.text.to_owned())
        }

        parsed! {
            deserialize_i8 => visit_i8(i8, "an integer from -128 to 127");
            deserialize_i16 => visit_i16(i16, "an integer");
            deserialize_i32 => visit_i32(i32, "an integer");
            deserialize_i64 => visit_i64(i64, "an integer");
            deserialize_i128 => visit_i128(i128, "an integer");
            deserialize_u8 => visit_u8(u8, "a whole number from 0 to 255");
            deserialize_u16 => visit_u16(u16, "a whole number");
            deserialize_u32 => visit_u32(u32, "a whole number");
            deserialize_u64 => visit_u64(u64, "a whole number");
            deserialize_u128 => visit_u128(u128, "a whole number");
            deserialize_f32 => visit_f32(f32, "a number");
            deserialize_f64 => visit_f64(f64, "a number");
            deserialize_char => visit_char(char, "one character");
        }

        fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
            match self.text.trim() {
                "true" | "on" | "1" => visitor.visit_bool(true),
                "false" | "off" | "0" | "" => visitor.visit_bool(false),
                _ => Err(self.malformed("true or false")),
            }
        }

        fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FormError> {
            if self.text.is_empty() {
                visitor.visit_none()
            } else {
                visitor.visit_some(self)
            }
        }

        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            visitor: V,
        ) -> Result<V::Value, FormError> {
            visitor.visit_newtype_struct(self)
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _: &'static str,
            _: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, FormError> {
            let text: StringDeserializer<FormError> = self.text.to_owned().into_deserializer();
            visitor.visit_enum(text)
        }

        serde::forward_to_deserialize_any! {
            str string bytes byte_buf unit unit_struct seq tuple
            tuple_struct map struct identifier ignored_any
        }
    }
}

#[cfg(all(test, feature = "server"))]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    enum Side {
        Home,
        Away,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Note {
        text: String,
        pinned: bool,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    enum ServerMsg {
        Load,
        UpdateScore {
            game_id: i64,
            home: u8,
            ratio: f64,
            side: Side,
            period: String,
            finalize: bool,
            comment: Option<String>,
            overtime: Option<i32>,
        },
        Save(Note),
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn score() -> ServerMsg {
        ServerMsg::UpdateScore {
            game_id: -7,
            home: 3,
            ratio: 0.5,
            side: Side::Away,
            period: "3rd & long".into(),
            finalize: true,
            comment: None,
            overtime: Some(2),
        }
    }

    #[test]
    fn a_message_becomes_its_variant_and_flat_fields() {
        assert_eq!(
            fields(&score()).unwrap(),
            pairs(&[
                (SAVE_FIELD, "UpdateScore"),
                ("game_id", "-7"),
                ("home", "3"),
                ("ratio", "0.5"),
                ("side", "Away"),
                ("period", "3rd & long"),
                ("finalize", "true"),
                ("overtime", "2"),
            ])
        );
        assert_eq!(
            fields(&ServerMsg::Load).unwrap(),
            pairs(&[(SAVE_FIELD, "Load")])
        );
        let note = ServerMsg::Save(Note {
            text: "hi".into(),
            pinned: false,
        });
        assert_eq!(
            fields(&note).unwrap(),
            pairs(&[(SAVE_FIELD, "Save"), ("text", "hi"), ("pinned", "false")])
        );
    }

    #[test]
    fn every_field_type_reads_back_as_written() {
        for message in [
            score(),
            ServerMsg::Load,
            ServerMsg::Save(Note {
                text: "".into(),
                pinned: true,
            }),
        ] {
            let read: ServerMsg = decode(&fields(&message).unwrap()).unwrap();
            assert_eq!(read, message);
        }
    }

    #[test]
    fn browsers_spellings_are_understood() {
        let read: ServerMsg = decode(&pairs(&[
            (SAVE_FIELD, "UpdateScore"),
            ("game_id", " 12 "),
            ("home", "0"),
            ("ratio", "1e2"),
            ("side", "Home"),
            ("period", ""),
            // A checked checkbox posts `on`; an unchecked one posts nothing.
            ("finalize", "on"),
            ("comment", ""),
            ("overtime", ""),
            ("unknown", "ignored"),
        ]))
        .unwrap();
        let ServerMsg::UpdateScore {
            game_id,
            ratio,
            finalize,
            comment,
            overtime,
            ..
        } = read
        else {
            panic!("{read:?}");
        };
        assert_eq!((game_id, ratio, finalize), (12, 100.0, true));
        assert_eq!(
            (comment, overtime),
            (None, None),
            "empty optional fields are None"
        );
    }

    #[test]
    fn missing_and_malformed_fields_are_named() {
        let mut form = fields(&score()).unwrap();
        form.retain(|(k, _)| k != "period");
        assert_eq!(
            decode::<ServerMsg>(&form).unwrap_err(),
            FormError::MissingField("period".into())
        );
        let bad = |field: &str, value: &str| {
            let mut form = fields(&score()).unwrap();
            for pair in &mut form {
                if pair.0 == field {
                    pair.1 = value.to_owned();
                }
            }
            decode::<ServerMsg>(&form).unwrap_err()
        };
        assert_eq!(
            bad("game_id", "seven"),
            FormError::Malformed {
                field: "game_id".into(),
                value: "seven".into(),
                expected: "an integer"
            }
        );
        assert_eq!(
            bad("home", "300"),
            FormError::Malformed {
                field: "home".into(),
                value: "300".into(),
                expected: "a whole number from 0 to 255"
            }
        );
        assert_eq!(
            bad("finalize", "maybe"),
            FormError::Malformed {
                field: "finalize".into(),
                value: "maybe".into(),
                expected: "true or false"
            }
        );
        assert!(matches!(bad("side", "Middle"), FormError::UnknownVariant(v) if v == "Middle"));
        assert!(matches!(
            decode::<ServerMsg>(&pairs(&[(SAVE_FIELD, "UpdateScore"), ("game_id", "1"), ("game_id", "2")])).unwrap_err(),
            FormError::Invalid(m) if m.contains("duplicate field")
        ));
    }

    #[test]
    fn the_variant_must_be_named_and_exist() {
        assert_eq!(
            decode::<ServerMsg>(&pairs(&[("game_id", "1")])).unwrap_err(),
            FormError::MissingVariant
        );
        assert_eq!(
            decode::<ServerMsg>(&pairs(&[(SAVE_FIELD, "DropTables")])).unwrap_err(),
            FormError::UnknownVariant("DropTables".into())
        );
    }

    #[test]
    fn shapes_a_form_cannot_hold_are_refused() {
        #[derive(Serialize)]
        enum Nested {
            A { inner: Note },
            B { list: Vec<i64> },
        }
        assert_eq!(
            fields(&Nested::A {
                inner: Note {
                    text: String::new(),
                    pinned: false
                }
            })
            .unwrap_err(),
            FormError::Unsupported("a nested struct")
        );
        assert_eq!(
            fields(&Nested::B { list: vec![1] }).unwrap_err(),
            FormError::Unsupported("a sequence")
        );
        assert_eq!(
            fields(&Note {
                text: String::new(),
                pinned: false
            })
            .unwrap_err(),
            FormError::Unsupported("a message that is not an enum")
        );
    }
}
