//! Fields changed from the command line (`--set core.remote_writes=true`):
//! a description's TOML table with keys replaced, read back and validated
//! like a file.

use super::{ArchError, Architecture};

impl Architecture {
    /// The description with each `(key, value)` of `settings` set: a dotted
    /// key as in the file (`core.remote_writes`), a value in TOML syntax, a
    /// bare word being text (`name=my-chip`). Errors name the settings.
    /// Unless `name` is set, the name records the changes
    /// (`xbar32-bus16+core.remote_writes=true`).
    pub fn with_settings(&self, settings: &[(String, String)]) -> Result<Architecture, ArchError> {
        if settings.is_empty() {
            return Ok(self.clone());
        }
        let source_name =
            settings.iter().map(|(key, value)| format!("--set {key}={value}")).collect::<Vec<_>>().join(" ");
        let serialize = |message: String| ArchError::Serialize { name: self.name.clone(), message };
        let mut table = toml::Table::try_from(self).map_err(|e| serialize(e.to_string()))?;
        for (key, value) in settings {
            set(&mut table, key, value).map_err(|message| ArchError::Parse {
                source_name: format!("--set {key}={value}"),
                position: None,
                message,
            })?;
        }
        let mut architecture: Architecture =
            toml::Value::Table(table).try_into().map_err(|e| ArchError::from_toml(&source_name, "", &e))?;
        architecture.validate(&source_name)?;
        // A changed chip is not the one its name stands for, unless renamed.
        if architecture.name == self.name {
            for (key, value) in settings {
                architecture.name = format!("{}+{key}={value}", architecture.name);
            }
        }
        Ok(architecture)
    }
}

/// Sets the dotted `key` of `table` to `value`, creating missing tables
/// (an unknown one is then reported by the reader, with the known keys).
fn set(table: &mut toml::Table, key: &str, value: &str) -> Result<(), String> {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().filter(|last| !last.is_empty() && parts.iter().all(|p| !p.is_empty()));
    let last = last.ok_or_else(|| format!("'{key}' is not a key: give a field, e.g. core.remote_writes"))?;
    let mut current = table;
    for (depth, part) in parts.iter().enumerate() {
        let entry = current.entry(part.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current =
            entry.as_table_mut().ok_or_else(|| format!("'{}' is a value, not a table", parts[..=depth].join(".")))?;
    }
    current.insert(last.to_string(), parse_value(value));
    Ok(())
}

/// A TOML value (`true`, `32`, `1.5`, `"text"`), else the text itself.
fn parse_value(text: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("value = {text}"))
        .ok()
        .and_then(|mut table| table.remove("value"))
        .unwrap_or_else(|| toml::Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn settings_change_fields_of_every_type() {
        let base = Architecture::preset("xbar32-bus16").unwrap();
        let changed = base
            .with_settings(&settings(&[
                ("core.remote_writes", "true"),
                ("bus.width_bytes", "64"),
                ("clock_mhz", "800"),
                ("name", "xbar32-bus16-forward"),
            ]))
            .unwrap();
        assert!(changed.core.remote_writes && !base.core.remote_writes);
        assert_eq!((changed.bus.width_bytes, changed.clock_mhz), (64, 800.0));
        assert_eq!(changed.name, "xbar32-bus16-forward");
        assert_eq!(changed.crossbar, base.crossbar);
        assert_eq!(base.with_settings(&[]).unwrap(), base);
    }

    #[test]
    fn a_bad_setting_is_an_error_that_names_it() {
        let base = Architecture::default();
        let cases = [
            (&[("core.remote_write", "true")][..], "--set core.remote_write=true: unknown field `remote_write`"),
            (&[("core.count", "0")], "--set core.count=0: core.count must be between 1 and 65536, got 0"),
            (&[("core.remote_writes", "yes")], "--set core.remote_writes=yes: invalid type: string \"yes\""),
            (&[("clock_mhz.x", "1")], "--set clock_mhz.x=1: 'clock_mhz' is a value, not a table"),
            (&[("core.", "1")], "--set core.=1: 'core.' is not a key"),
        ];
        for (pairs, expected) in cases {
            let message = base.with_settings(&settings(pairs)).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(message.starts_with(expected), "{pairs:?}: got '{message}'");
        }
    }
}
