//! JSON objects whose keys must be unique ([`UniqueMap`]), and rules over
//! a map entry as a whole, checked while its value is read so the message
//! carries the entry's path and position ([`EntryCheck`]: env values by
//! docker's env-file rules).

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;

use super::errors::Invalid;
use super::raw::RawFields;
use super::values::{Arg, EnvKey, EnvValue, LabelKey, Name};

/// The text of a map key, for messages.
pub(super) trait KeyText {
    fn text(&self) -> &str;
}

/// A rule over a map entry as a whole (key and value together), checked
/// while the value is read so the message carries the entry's JSON path
/// and the value's position.
pub(super) trait EntryCheck<V> {
    /// Reads the value of this key; by default without a further rule.
    fn read<'de, D: serde::Deserializer<'de>>(&self, de: D) -> std::result::Result<V, D::Error>
    where
        V: Deserialize<'de>,
    {
        V::deserialize(de)
    }
}

impl EntryCheck<RawFields> for Name {}
impl EntryCheck<Arg> for LabelKey {}

/// docker's env-file reader, which carries env values to `docker run`:
/// one `KEY=value` a line, at most [`crate::spec::ENV_FILE_MAX_LINE`] bytes, a trailing `\r`
/// dropped. A NUL can never reach a process environment. The value is
/// never quoted: it may be a secret.
impl EntryCheck<EnvValue> for EnvKey {
    fn read<'de, D: serde::Deserializer<'de>>(
        &self,
        de: D,
    ) -> std::result::Result<EnvValue, D::Error> {
        /// Checks the string where serde_json still knows its position.
        struct Visit<'k>(&'k EnvKey);
        impl serde::de::Visitor<'_> for Visit<'_> {
            type Value = EnvValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<EnvValue, E> {
                self.0.check_value(v).map_err(Invalid::into_serde)?;
                Ok(EnvValue(v.to_string()))
            }
        }
        de.deserialize_string(Visit(self))
    }
}

impl EnvKey {
    /// docker's env-file rules ([`crate::spec::env_file_problem`]): the
    /// only way values reach docker without an argv or its environment.
    fn check_value(&self, value: &str) -> std::result::Result<(), Invalid> {
        match crate::spec::env_file_problem(&self.0, value) {
            None => Ok(()),
            Some(why) => Err(Invalid::new(format!("{why} (the value is not shown)")).help(
                "env values reach docker through its env-file reader, one line each; pass such data in a mounted file instead",
            )),
        }
    }
}

impl<K: JsonSchema, V: JsonSchema> JsonSchema for UniqueMap<K, V> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Map_{}_{}", K::schema_name(), V::schema_name()).into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "propertyNames": generator.subschema_for::<K>(),
            "additionalProperties": generator.subschema_for::<V>(),
        })
    }
}

/// A JSON object whose keys must be unique: serde_json would otherwise keep
/// the last of two `"coder"` entries without a word.
#[derive(Debug, Clone)]
pub(super) struct UniqueMap<K, V>(pub(super) BTreeMap<K, V>);

impl<'de, K, V> Deserialize<'de> for UniqueMap<K, V>
where
    K: Deserialize<'de> + Ord + KeyText + EntryCheck<V>,
    V: Deserialize<'de>,
{
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> std::result::Result<Self, D::Error> {
        /// Reads one value and checks it with its key.
        struct Entry<'k, K, V>(&'k K, std::marker::PhantomData<V>);
        impl<'de, K: EntryCheck<V>, V: Deserialize<'de>> serde::de::DeserializeSeed<'de>
            for Entry<'_, K, V>
        {
            type Value = V;
            fn deserialize<D: serde::Deserializer<'de>>(
                self,
                de: D,
            ) -> std::result::Result<V, D::Error> {
                self.0.read(de)
            }
        }
        struct Visit<K, V>(std::marker::PhantomData<(K, V)>);
        impl<'de, K, V> serde::de::Visitor<'de> for Visit<K, V>
        where
            K: Deserialize<'de> + Ord + KeyText + EntryCheck<V>,
            V: Deserialize<'de>,
        {
            type Value = UniqueMap<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(k) = map.next_key::<K>()? {
                    if out.contains_key(&k) {
                        return Err(serde::de::Error::custom(format!(
                            "`{}` appears twice: each key may appear once",
                            k.text()
                        )));
                    }
                    let v = map.next_value_seed(Entry(&k, std::marker::PhantomData))?;
                    out.insert(k, v);
                }
                Ok(UniqueMap(out))
            }
        }
        de.deserialize_map(Visit(std::marker::PhantomData))
    }
}
