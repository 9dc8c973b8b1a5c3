//! How a policy value is written in config: durations as whole seconds, numbers as themselves.

use chrono::TimeDelta;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Lets one `#[serde(with)]` path serve every field of the generated policy structs.
pub trait ConfigValue: Sized {
    type Repr: Serialize + DeserializeOwned;
    fn to_repr(&self) -> Self::Repr;
    fn from_repr(repr: Self::Repr) -> Result<Self, String>;
}

macro_rules! plain_number {
    ($($t:ty),+) => {$(
        impl ConfigValue for $t {
            type Repr = $t;
            fn to_repr(&self) -> $t {
                *self
            }
            fn from_repr(repr: $t) -> Result<Self, String> {
                Ok(repr)
            }
        }
    )+};
}

plain_number!(i32, i64, u32, u64, usize);

impl ConfigValue for TimeDelta {
    type Repr = i64;

    fn to_repr(&self) -> i64 {
        self.num_seconds()
    }

    fn from_repr(secs: i64) -> Result<Self, String> {
        if secs < 0 {
            return Err(format!("a duration must be whole seconds >= 0, got {secs}"));
        }
        TimeDelta::try_seconds(secs).ok_or_else(|| format!("duration of {secs} s is too long"))
    }
}

pub mod plain {
    use super::*;

    pub fn serialize<T: ConfigValue, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        value.to_repr().serialize(s)
    }

    pub fn deserialize<'de, T: ConfigValue, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        T::from_repr(T::Repr::deserialize(d)?).map_err(D::Error::custom)
    }
}

pub mod optional {
    use super::*;

    pub fn deserialize<'de, T: ConfigValue, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        Option::<T::Repr>::deserialize(d)?
            .map(T::from_repr)
            .transpose()
            .map_err(D::Error::custom)
    }
}
